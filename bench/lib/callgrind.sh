# shellcheck shell=bash disable=SC2034 # CG_TOTAL is read by the scripts that source this file
# Shared by bench/callgrind.sh and bench/layers.sh (source it; it runs
# nothing by itself): instructions per request of one route of a server,
# counted by valgrind's callgrind. Two runs of the same server, with N1 and
# N2 requests over one keep-alive connection carrying a session cookie
# (bench/lib/drive.py sends them and checks the answers); the difference
# divided by N2 - N1 removes start-up, set-up requests and shutdown.
#
#   cg_require_valgrind
#   trap cg_stop EXIT
#   cg_count FILE PORT ROUTE N [VAR=VALUE ...] -- BINARY [ARG ...]
#   echo "$CG_TOTAL"
#   per_request=$(cg_per_request TOTAL_N1 TOTAL_N2 N1 N2)
#
# cg_count starts `VAR=VALUE ... valgrind --tool=callgrind BINARY ARG...`
# (the server must listen on 127.0.0.1:PORT and stop within 60 s of SIGINT;
# its output goes to FILE.log), waits up to 120 s for the port, drives ROUTE
# N times,
# stops the server with SIGINT and sets CG_TOTAL to the total instruction
# count (Ir) of the callgrind output FILE. Call it directly, not in $(...),
# so that the EXIT trap sees CG_SERVER_PID. It fails, saying why on stderr,
# if the server dies or never listens or the driver's checks fail.
# Loopback only; stops what it starts.

CG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CG_SERVER_PID=""
CG_TOTAL=""

cg_require_valgrind() {
  command -v valgrind >/dev/null || {
    echo "valgrind is missing (apt-get install valgrind)" >&2
    return 1
  }
  command -v python3 >/dev/null || {
    echo "python3 is missing (apt-get install python3)" >&2
    return 1
  }
}

# Whether process $1 is alive (a child that exited stays a zombie until
# waited for, and kill -0 still finds it).
cg_alive() {
  local stat
  stat=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

# Stops the server cg_count started, if any (for an EXIT trap).
cg_stop() {
  if [ -n "$CG_SERVER_PID" ]; then
    kill "$CG_SERVER_PID" 2>/dev/null || true
    wait "$CG_SERVER_PID" 2>/dev/null || true
    CG_SERVER_PID=""
  fi
}

cg_count() {
  local file=$1 port=$2 route=$3 n=$4
  shift 4
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  [ "${1:-}" = "--" ] || {
    echo "cg_count: no -- before the server command" >&2
    return 2
  }
  shift
  CG_TOTAL=""
  rm -f "$file"
  env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$file" "$@" >"$file.log" 2>&1 &
  CG_SERVER_PID=$!
  local up=""
  for _ in $(seq 1 1200); do
    if ! cg_alive "$CG_SERVER_PID"; then
      break
    fi
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      up=1
      break
    fi
    sleep 0.1
  done
  if [ -z "$up" ]; then
    echo "cg_count: $* never listened on 127.0.0.1:$port; the end of $file.log:" >&2
    cg_stop
    tail -n 20 "$file.log" >&2
    return 1
  fi
  if ! python3 "$CG_LIB_DIR/drive.py" "$port" "$route" "$n"; then
    echo "cg_count: the checks failed on $route of $*" >&2
    cg_stop
    return 1
  fi
  kill -INT "$CG_SERVER_PID"
  for _ in $(seq 1 600); do
    cg_alive "$CG_SERVER_PID" || break
    sleep 0.1
  done
  if cg_alive "$CG_SERVER_PID"; then
    echo "cg_count: $* did not stop within 60 s of SIGINT" >&2
    kill -KILL "$CG_SERVER_PID" 2>/dev/null || true
    cg_stop
    return 1
  fi
  wait "$CG_SERVER_PID" 2>/dev/null || true
  CG_SERVER_PID=""
  local total
  total=$(awk '/^(summary|totals):/ { print $2; exit }' "$file" 2>/dev/null)
  if [ -z "$total" ]; then
    echo "cg_count: no instruction total in $file" >&2
    return 1
  fi
  CG_TOTAL=$total
}

cg_per_request() {
  echo $((($2 - $1) / ($4 - $3)))
}
