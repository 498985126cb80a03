# shellcheck shell=bash disable=SC2034 # LAST_PID is read by the scripts that source this file
# Shared by the benchmark scripts (source it; it runs nothing by itself):
# their command line, the processes they start, and the wrk runs of
# bench/load.sh and bench/demo.sh.
#
#   bench_other_arg "$arg"          in a script's `case`: -h/--help prints the
#                                   script's header comment; anything else fails
#   bench_need HINT TOOL ...        fails, naming HINT, unless every TOOL exists
#   log MESSAGE                     "::: MESSAGE" on stderr
#   make_secret                     32 random bytes, base64
#
# With WORK (a temporary directory) and PIDS (an array) set by the script:
#
#   trap bench_cleanup EXIT         stops every process in PIDS, removes WORK
#   forget PID                      drops a finished process from PIDS
#
# With SEED (bench/express-seed), SESSION_SECRET, HOST, CONNS (wrk -c) and
# LUA (bench/session.lua) set:
#
#   start_express PORT              the seed's app on PORT (sets LAST_PID)
#   get_cookie URL                  "name=value" of the first Set-Cookie of a GET
#   run_wrk URL COOKIE SECONDS      the RESULT line of one wrk run
#   field LINE NAME                 one NAME=value of a RESULT line
#   cpu_ticks PID                   utime + stime of PID in clock ticks
#   ratio A B, verdict V OP LIMIT   for the reports

bench_other_arg() { # arg
  case "$1" in
    -h | --help)
      awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
      exit 0
      ;;
    *)
      echo "unknown argument: $1 (try --help)" >&2
      exit 2
      ;;
  esac
}

bench_need() { # hint tool...
  local hint=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || {
      echo "$(basename "$0") needs '$tool' ($hint)" >&2
      exit 1
    }
  done
}

log() { printf '::: %s\n' "$*" >&2; }

make_secret() {
  if command -v openssl >/dev/null; then
    openssl rand -base64 32
  else
    head -c32 /dev/urandom | base64
  fi
}

bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

forget() { # pid
  local keep=() p
  for p in "${PIDS[@]}"; do
    [[ $p == "$1" ]] || keep+=("$p")
  done
  PIDS=("${keep[@]}")
}

start_express() { # port
  (cd "$SEED" && exec env SESSION_SECRET="$SESSION_SECRET" PORT="$1" HOST="$HOST" \
    node app.js >"$WORK/express-$1.log" 2>&1) &
  PIDS+=("$!")
  LAST_PID=$!
}

get_cookie() { # url
  local cookie
  cookie=$(curl -s --max-time 5 -o /dev/null -D - "$1" | tr -d '\r' |
    awk 'tolower($1) == "set-cookie:" { sub(/^[^:]*: */, ""); sub(/;.*/, ""); print; exit }')
  [[ -n $cookie ]] || {
    echo "no Set-Cookie from $1" >&2
    exit 1
  }
  printf '%s' "$cookie"
}

run_wrk() { # url cookie duration
  BENCH_COOKIE=$2 timeout $(($3 + 30)) \
    wrk -t1 -c"$CONNS" -d"$3s" --timeout 2s -s "$LUA" "$1" | grep '^RESULT'
}

field() { # "RESULT a=1 b=2" name
  printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

cpu_ticks() { # pid -> utime+stime in clock ticks (fields 14 and 15 of /proc/PID/stat)
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

verdict() { # value op threshold
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "**not met**" }'
}
