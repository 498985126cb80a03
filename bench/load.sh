#!/usr/bin/env bash
# Load benchmark: our sessions next to Rocket alone, Rocket's private cookies
# and the seed's Express app (issue 4; results in docs/PERFORMANCE.md).
#
#   bench/load.sh            full run: 3 interleaved rounds of 5 s per cell,
#                            plus the memory check with 100,000 new sessions
#   bench/load.sh --quick    smoke run for CI: 1 round of 1 s per cell, memory
#                            check with 2,000 sessions (well under 2 minutes
#                            once the release build is done)
#
# Knobs (environment): BENCH_DURATION (s per cell), BENCH_ROUNDS,
# BENCH_CONNECTIONS (wrk -c, default 32), BENCH_SESSIONS (memory check),
# BENCH_PORT_BASE (default 18100), BENCH_NO_BUILD=1 (reuse the binary).
#
# What it does: builds target/release/bench_app (bench/server), installs
# bench/express-seed (npm ci) if needed, starts both servers on 127.0.0.1,
# fetches a valid session cookie for each target with curl, then runs
# `wrk -t1 -cN` with bench/session.lua in two modes: "cookie" (every request
# carries that cookie) and "fresh" (no cookie: a new session per request).
# For every run it reads utime+stime of the server from /proc/PID/stat before
# and after and divides by the requests served. At the end: peak RSS (VmHWM),
# a markdown table of medians with min-max spread, the ratios the issue sets
# targets for, and the memory check on fresh processes. Everything it
# started is stopped on exit (trap). Loopback only; every step is bounded.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    *) bench_other_arg "$arg" ;;
  esac
done

if [[ $QUICK == 1 ]]; then
  DURATION=${BENCH_DURATION:-1}
  ROUNDS=${BENCH_ROUNDS:-1}
  SESSIONS=${BENCH_SESSIONS:-2000}
  WARMUP=0
else
  DURATION=${BENCH_DURATION:-5}
  ROUNDS=${BENCH_ROUNDS:-3}
  SESSIONS=${BENCH_SESSIONS:-100000}
  WARMUP=2
fi
CONNS=${BENCH_CONNECTIONS:-32}
PORT_BASE=${BENCH_PORT_BASE:-18100}
OURS_PORT=$PORT_BASE
EXPRESS_PORT=$((PORT_BASE + 1))
MEM_OURS_PORT=$((PORT_BASE + 2))
MEM_EXPRESS_PORT=$((PORT_BASE + 3))
HOST=127.0.0.1
BIN="$ROOT/target/release/bench_app"
SEED="$ROOT/bench/express-seed"
LUA="$ROOT/bench/session.lua"
OUT_DIR="$ROOT/target/bench-load"
CLK_TCK=$(getconf CLK_TCK)

bench_need "apt-get install wrk curl nodejs npm" wrk curl node npm cargo awk sort

WORK=$(mktemp -d)
PIDS=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM



# ---------------------------------------------------------------- build ---
if [[ ${BENCH_NO_BUILD:-0} != 1 || ! -x $BIN ]]; then
  log "cargo build --release -p sealed-session-bench-server"
  cargo build --release -p sealed-session-bench-server >&2
fi
if [[ ! -d $SEED/node_modules/express-session ]]; then
  log "npm ci (bench/express-seed)"
  (cd "$SEED" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

# -------------------------------------------------------------- servers ---
SESSION_SECRET=$(make_secret)
ROCKET_SECRET_KEY=$(make_secret)

start_ours() { # port
  SESSION_SECRET=$SESSION_SECRET ROCKET_SECRET_KEY=$ROCKET_SECRET_KEY \
    ROCKET_PORT=$1 ROCKET_ADDRESS=$HOST ROCKET_LOG_LEVEL=critical ROCKET_CLI_COLORS=false \
    "$BIN" >"$WORK/ours-$1.log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}


wait_ready() { # url pid
  local i
  for i in $(seq 1 150); do
    if curl -s -o /dev/null --max-time 1 "$1"; then
      return 0
    fi
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "server for $1 did not start; its log:" >&2
  cat "$WORK"/*.log >&2 || true
  exit 1
}


stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}



status_kb() { # pid field
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

start_ours "$OURS_PORT"
OURS_PID=$LAST_PID
start_express "$EXPRESS_PORT"
EXPRESS_PID=$LAST_PID
wait_ready "http://$HOST:$OURS_PORT/plain" "$OURS_PID"
wait_ready "http://$HOST:$EXPRESS_PORT/" "$EXPRESS_PID"

COUNTER_COOKIE=$(get_cookie "http://$HOST:$OURS_PORT/counter")
PRIVATE_COOKIE=$(get_cookie "http://$HOST:$OURS_PORT/private")
EXPRESS_COOKIE=$(get_cookie "http://$HOST:$EXPRESS_PORT/")
# /peek must see a real session: check that the cookie opens.
[[ $(curl -s --max-time 5 -H "Cookie: $COUNTER_COOKIE" "http://$HOST:$OURS_PORT/peek") == 1 ]] || {
  echo "the /counter cookie does not open on /peek" >&2
  exit 1
}

# target name | pid | url | cookie sent in "cookie" mode
TARGETS=(
  "plain|$OURS_PID|http://$HOST:$OURS_PORT/plain|$COUNTER_COOKIE"
  "counter|$OURS_PID|http://$HOST:$OURS_PORT/counter|$COUNTER_COOKIE"
  "peek|$OURS_PID|http://$HOST:$OURS_PORT/peek|$COUNTER_COOKIE"
  "private|$OURS_PID|http://$HOST:$OURS_PORT/private|$PRIVATE_COOKIE"
  "express|$EXPRESS_PID|http://$HOST:$EXPRESS_PORT/|$EXPRESS_COOKIE"
)
MODES=(cookie fresh)

# ------------------------------------------------------------ load runs ---
RESULTS="$WORK/results.txt"
: >"$RESULTS"


# Like run_wrk, but ends after `limit` responses (or `max` seconds).
run_wrk_count() { # url cookie max_seconds limit -> prints the RESULT line
  local done_file="$WORK/wrk.done" out="$WORK/wrk-count.out" wpid i
  rm -f "$done_file"
  BENCH_COOKIE=$2 BENCH_LIMIT=$4 BENCH_DONE_FILE=$done_file \
    wrk -t1 -c"$CONNS" -d"$3s" --timeout 2s -s "$LUA" "$1" >"$out" 2>&1 &
  wpid=$!
  PIDS+=("$wpid")
  for ((i = 0; i < $3 * 10; i++)); do
    [[ -e $done_file ]] && break
    kill -0 "$wpid" 2>/dev/null || break
    sleep 0.1
  done
  kill -INT "$wpid" 2>/dev/null || true
  wait "$wpid" 2>/dev/null || true
  forget "$wpid"
  grep '^RESULT' "$out"
}


one_run() { # mode target pid url cookie round
  local mode=$1 name=$2 pid=$3 url=$4 cookie=$5 round=$6 before after line
  [[ $mode == cookie ]] || cookie=""
  before=$(cpu_ticks "$pid")
  line=$(run_wrk "$url" "$cookie" "$DURATION")
  after=$(cpu_ticks "$pid")
  local req dur p50 p99 err non2xx
  req=$(field "$line" requests)
  dur=$(field "$line" duration_us)
  p50=$(field "$line" p50_us)
  p99=$(field "$line" p99_us)
  err=$(field "$line" errors)
  non2xx=$(field "$line" non2xx)
  awk -v m="$mode" -v t="$name" -v r="$round" -v req="$req" -v dur="$dur" -v p50="$p50" \
    -v p99="$p99" -v b="$before" -v a="$after" -v tck="$CLK_TCK" -v err="$err" -v nx="$non2xx" \
    'BEGIN {
       rps = req / (dur / 1e6); cpu = (a - b) / tck * 1e6 / req
       printf "%s %s %d %.0f %d %d %.2f %d %d\n", m, t, r, rps, p50, p99, cpu, req, err + nx
     }' >>"$RESULTS"
  tail -n1 "$RESULTS" | awk '{ printf "      %-6s %-8s round %d: %8.0f req/s  p50 %5d us  p99 %6d us  %6.2f us CPU/req  errors %d\n", $1, $2, $3, $4, $5, $6, $7, $9 }' >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $WARMUP -gt 0 ]]; then
  log "warm-up: ${WARMUP} s per target"
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name pid url cookie <<<"$t"
    run_wrk "$url" "$cookie" "$WARMUP" >/dev/null
  done
fi

for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS (${DURATION} s per cell, wrk -t1 -c$CONNS)"
  for mode in "${MODES[@]}"; do
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name pid url cookie <<<"$t"
      one_run "$mode" "$name" "$pid" "$url" "$cookie" "$round"
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

OURS_HWM=$(status_kb "$OURS_PID" VmHWM)
EXPRESS_HWM=$(status_kb "$EXPRESS_PID" VmHWM)
stop "$OURS_PID"
stop "$EXPRESS_PID"

# ------------------------------------------------------- memory check ---
# Fresh processes, so the load runs above do not count: RSS right after
# start, then SESSIONS requests without a cookie (each one a new session,
# sealed into a cookie by us, stored in MemoryStore by Express), then RSS.
# "warm" is RSS after a first 1,000 such requests (threads, connection
# buffers and allocator arenas in place), to tell growth per session from
# the one-time growth of a process's first requests; both are reported.
mem_check() { # label pid url -> "label start_kb warm_kb after_kb hwm_kb requests"
  local label=$1 pid=$2 url=$3 start warm after hwm line req
  sleep 0.5
  start=$(status_kb "$pid" VmRSS)
  run_wrk_count "$url" "" 60 1000 >/dev/null
  sleep 0.5
  warm=$(status_kb "$pid" VmRSS)
  line=$(run_wrk_count "$url" "" 600 "$SESSIONS")
  sleep 1
  after=$(status_kb "$pid" VmRSS)
  hwm=$(status_kb "$pid" VmHWM)
  req=$(field "$line" requests)
  echo "$label $start $warm $after $hwm $req"
}
log "memory check: $SESSIONS new sessions each"
start_ours "$MEM_OURS_PORT"
pid=$LAST_PID
wait_ready "http://$HOST:$MEM_OURS_PORT/plain" "$pid"
MEM_OURS=$(mem_check ours "$pid" "http://$HOST:$MEM_OURS_PORT/counter")
stop "$pid"
start_express "$MEM_EXPRESS_PORT"
pid=$LAST_PID
wait_ready "http://$HOST:$MEM_EXPRESS_PORT/" "$pid"
MEM_EXPRESS=$(mem_check express "$pid" "http://$HOST:$MEM_EXPRESS_PORT/")
stop "$pid"

# --------------------------------------------------------------- report ---
# stats mode target column -> "median min max"
stats() {
  awk -v m="$1" -v t="$2" -v c="$3" '$1 == m && $2 == t { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan nan nan"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print med, v[1], v[NR]
    }'
}
med() { stats "$1" "$2" "$3" | cut -d' ' -f1; }


mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
pct() { # now then
  awk -v a="$1" -v s="$2" 'BEGIN {
    c = (a - s) / s * 100; printf "%+.1f %% (%s)", c, (c <= 5 && c >= -5) ? "met" : "**not met**" }'
}

REPORT="$WORK/report.md"
{
  echo "### Load benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Machine: $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)."
  echo "wrk -t1 -c$CONNS on the same cores, loopback; $ROUNDS interleaved round(s) of ${DURATION} s" \
    "per cell; load average before/after: $LOAD_BEFORE / $LOAD_AFTER."
  echo "Medians, with min-max over the rounds in brackets. CPU = server utime+stime per request."
  echo
  echo "| mode | target | req/s | p50 µs | p99 µs | CPU µs/req | errors |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for mode in "${MODES[@]}"; do
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name _ _ _ <<<"$t"
      read -r rps rmin rmax <<<"$(stats "$mode" "$name" 4)"
      read -r cpu cmin cmax <<<"$(stats "$mode" "$name" 7)"
      errs=$(awk -v m="$mode" -v t="$name" '$1 == m && $2 == t { s += $9 } END { print s + 0 }' "$RESULTS")
      printf '| %s | %s | %.0f [%.0f-%.0f] | %.0f | %.0f | %.2f [%.2f-%.2f] | %d |\n' \
        "$mode" "/$name" "$rps" "$rmin" "$rmax" "$(med "$mode" "$name" 5)" \
        "$(med "$mode" "$name" 6)" "$cpu" "$cmin" "$cmax" "$errs"
    done
  done
  echo
  echo "Peak RSS (VmHWM) over the load runs: bench_app $((OURS_HWM / 1024)) MiB (all four routes)," \
    "Express seed $((EXPRESS_HWM / 1024)) MiB."
  echo
  echo "| ratio (medians) | cookie mode | fresh mode | target |"
  echo "|---|---:|---:|---|"
  declare -A R
  for mode in "${MODES[@]}"; do
    R[$mode, cp]=$(ratio "$(med "$mode" counter 4)" "$(med "$mode" plain 4)")
    R[$mode, cv]=$(ratio "$(med "$mode" counter 4)" "$(med "$mode" private 4)")
    R[$mode, pp]=$(ratio "$(med "$mode" peek 4)" "$(med "$mode" plain 4)")
    R[$mode, ce]=$(ratio "$(med "$mode" counter 4)" "$(med "$mode" express 4)")
    R[$mode, cpu]=$(awk -v a="$(med "$mode" counter 7)" -v b="$(med "$mode" plain 7)" \
      'BEGIN { printf "%.2f", a - b }')
  done
  echo "| /counter vs /plain, req/s | ${R[cookie, cp]}× ($(verdict "${R[cookie, cp]}" ">=" 0.85)) | ${R[fresh, cp]}× | ≥ 0.85× |"
  echo "| /counter − /plain, CPU µs/req | ${R[cookie, cpu]} ($(verdict "${R[cookie, cpu]}" "<=" 2.5)) | ${R[fresh, cpu]} | ≤ 2.5 µs |"
  echo "| /counter vs /private, req/s | ${R[cookie, cv]}× ($(verdict "${R[cookie, cv]}" ">=" 1.0)) | ${R[fresh, cv]}× | ≥ 1.0× |"
  echo "| /peek vs /plain, req/s | ${R[cookie, pp]}× ($(verdict "${R[cookie, pp]}" ">=" 0.95)) | ${R[fresh, pp]}× | ≥ 0.95× |"
  echo "| /counter vs Express, req/s | ${R[cookie, ce]}× ($(verdict "${R[cookie, ce]}" ">=" 10)) | ${R[fresh, ce]}× ($(verdict "${R[fresh, ce]}" ">=" 10)) | ≥ 10× |"
  echo
  echo "Memory: fresh processes; RSS right after start, after a first 1,000 requests" \
    "without a cookie (warm), and after $SESSIONS more (each a new session):"
  echo
  echo "| server | RSS at start | warm | after | change from start | change from warm | peak (VmHWM) | requests |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for m in "$MEM_OURS" "$MEM_EXPRESS"; do
    read -r label start warm after hwm req <<<"$m"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(mib "$start")" \
      "$(mib "$warm")" "$(mib "$after")" "$(pct "$after" "$start")" "$(pct "$after" "$warm")" \
      "$(mib "$hwm")" "$req"
  done
  echo
  echo "Target: RSS after the new sessions within 5 % of RSS at start (judged on both columns)."
} >"$REPORT"

mkdir -p "$OUT_DIR"
cp "$REPORT" "$OUT_DIR/report.md"
cp "$RESULTS" "$OUT_DIR/runs.txt"
cat "$REPORT"
log "report saved in target/bench-load/report.md (raw runs: target/bench-load/runs.txt)"
