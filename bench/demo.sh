#!/usr/bin/env bash
# The demo binary's own benchmark (issue 13, "the demo page costs three
# /health's"): instructions per request of /health, /api/session and / with
# valgrind's callgrind (the method of bench/callgrind.sh), then wrk req/s of
# the same three routes and the seed's Express app (bench/express-seed, as
# bench/load.sh starts it), in interleaved rounds, every request carrying a
# session cookie. Prints both tables with the ratios the issue sets targets
# for:
#   callgrind: /  <= 2x /health;  /api/session <= 1.15x /health
#   wrk:       /  >= 12x Express /;  /api/session >= 0.95x /health
#
#   bench/demo.sh                full run: callgrind windows of 200 and 1200
#                                requests after 100 to warm up; 3
#                                interleaved wrk rounds of 5 s per cell
#                                after a 2 s warm-up per target
#   bench/demo.sh --quick        smoke run for CI: windows of 10 and 60
#                                after 10; one wrk round of 1 s per cell
#   bench/demo.sh --no-wrk       callgrind part only (and --no-callgrind)
#
# Knobs (environment): N1, N2, WARM_REQUESTS (the callgrind windows),
# BENCH_DURATION (s per wrk cell; keep it under the demo's revalidate_every,
# 30 s), BENCH_ROUNDS, BENCH_CONNECTIONS (wrk -c, default 32),
# BENCH_PORT_BASE (default 18300; uses 3 ports), BENCH_NO_BUILD=1 (reuse
# target/release/sealed-session), BENCH_BIN=path (measure another build of
# the demo, e.g. a copy kept from before a change; nothing is built),
# BENCH_APP_DIR=dir (where that build's Rocket.toml and templates/ are,
# e.g. a `git worktree` of its commit; default: this checkout),
# BENCH_PROFILE (default release; debug gives the same counts).
#
# How the demo runs: the release build (`cargo build --release -p
# sealed-session-demo`), from the repository root (its Rocket.toml and
# templates/), with ROCKET_PROFILE=release: the production configuration,
# so the cookie is `__Host-sid` with `Secure`, and the session secret is a
# random SESSION_SECRET (the release profile refuses to start without one,
# or with one printed in the project's documents). `Secure` binds browsers
# only: the clients here send the cookie themselves, so plain http on
# 127.0.0.1 is enough. ROCKET_LOG_LEVEL=off (no per-request log lines);
# ROCKET_DATABASES points the accounts database (Rocket.toml's default is
# target/demo-accounts.sqlite) at a SQLite file in a temporary directory,
# removed on exit. Every other ROCKET_* and SESSION_* variable of the
# caller is dropped.
#
# Callgrind: one demo process per route (ROCKET_WORKERS=1), which dumps its
# counters each time the stylesheet's handler starts (--dump-before). The
# client makes its session (/ twice), sends the route WARM_REQUESTS times,
# then /static/style.css, N1 requests, the stylesheet, N2 requests, the
# stylesheet. Dump 2 holds N1 requests and one stylesheet, dump 3 N2
# requests and one stylesheet: their difference over N2 - N1 is one
# request, with start-up and shutdown left out (start-up varies by
# millions of instructions from run to run: the metrics recorder
# calibrates its clock over a stretch of wall time, which is why this is
# not bench/callgrind.sh's two processes).
#
# Cookies, as a browser would: the callgrind client takes every Set-Cookie
# back. On /, it checks that each answer is the real page: a re-sealed
# cookie, the counter one higher than the last, the session panel with the
# same session id; on /api/session, the JSON of that session (not the
# nulls of a new one). Before each wrk cell a new session is made the same
# way (a cookie checked less than revalidate_every ago, as a browser's
# would be), so / counts up from it and re-seals on every request, and
# /api/session opens it read-only. wrk uses bench/session.lua (one fixed
# Cookie header per cell); Express gets the cookie of its own /.
#
# Output: target/bench-demo/ (report.md; callgrind.out_<route>.N, where
# .2 and .3 are the windows, for callgrind_annotate --inclusive=yes; the
# last page / served; wrk-runs.txt). Loopback only; stops what it starts.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh

QUICK=0
DO_CALLGRIND=1
DO_WRK=1
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --no-wrk) DO_WRK=0 ;;
    --no-callgrind) DO_CALLGRIND=0 ;;
    *) bench_other_arg "$arg" ;;
  esac
done

if [[ $QUICK == 1 ]]; then
  N1=${N1:-10}
  N2=${N2:-60}
  WARM_REQUESTS=${WARM_REQUESTS:-10}
  DURATION=${BENCH_DURATION:-1}
  ROUNDS=${BENCH_ROUNDS:-1}
  WARMUP=0
else
  N1=${N1:-200}
  N2=${N2:-1200}
  WARM_REQUESTS=${WARM_REQUESTS:-100}
  DURATION=${BENCH_DURATION:-5}
  ROUNDS=${BENCH_ROUNDS:-3}
  WARMUP=2
fi
CONNS=${BENCH_CONNECTIONS:-32}
PORT_BASE=${BENCH_PORT_BASE:-18300}
CG_PORT=$PORT_BASE
DEMO_PORT=$((PORT_BASE + 1))
EXPRESS_PORT=$((PORT_BASE + 2))
HOST=127.0.0.1
BIN=${BENCH_BIN:-$ROOT/target/release/sealed-session}
SEED="$ROOT/bench/express-seed"
LUA="$ROOT/bench/session.lua"
OUT="$ROOT/target/bench-demo"
CLK_TCK=$(getconf CLK_TCK)
APP_DIR=${BENCH_APP_DIR:-$ROOT}
ROUTES=(/health /api/session /)

need=(cargo python3 awk sort)
[[ $DO_CALLGRIND == 1 ]] && need+=(valgrind)
[[ $DO_WRK == 1 ]] && need+=(wrk curl node npm)
bench_need "apt-get install valgrind wrk curl nodejs npm python3" "${need[@]}"

# The demo must not inherit the caller's configuration.
while read -r var; do
  unset "$var"
done < <(compgen -e | grep -E '^(ROCKET|SESSION)_' || true)

WORK=$(mktemp -d)
PIDS=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM




# ---------------------------------------------------------------- build ---
if [[ -n ${BENCH_BIN:-} ]]; then
  [[ -x $BIN ]] || {
    echo "BENCH_BIN=$BIN is not an executable" >&2
    exit 1
  }
elif [[ ${BENCH_NO_BUILD:-0} != 1 || ! -x $BIN ]]; then
  log "cargo build --release -p sealed-session-demo"
  cargo build --release -p sealed-session-demo >&2
fi
if [[ $DO_WRK == 1 && ! -d $SEED/node_modules/express-session ]]; then
  log "npm ci (bench/express-seed)"
  (cd "$SEED" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
mkdir -p "$OUT"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n ${BENCH_BIN:-} ]]; then
  COMMIT="(binary $BIN)"
elif [[ -n $(git status --porcelain -- src templates Cargo.toml Cargo.lock rocket_sealed_session 2>/dev/null) ]]; then
  COMMIT="$COMMIT + uncommitted changes"
fi

SESSION_SECRET=$(make_secret)

# Runs the demo binary (or "$@" before it, e.g. valgrind) on port $1.
start_demo() { # port [wrapper...]
  local port=$1
  shift
  (cd "$APP_DIR" && exec env ROCKET_PROFILE="${BENCH_PROFILE:-release}" ROCKET_ADDRESS=$HOST ROCKET_PORT="$port" \
    ROCKET_LOG_LEVEL=off ROCKET_CLI_COLORS=false SESSION_SECRET="$SESSION_SECRET" \
    ROCKET_DATABASES="{accounts={url=\"sqlite://${DEMO_DB:-$WORK/accounts.sqlite}?mode=rwc\"}}" \
    ${DEMO_WORKERS:+ROCKET_WORKERS=$DEMO_WORKERS} \
    "$@" "$BIN" >>"$WORK/demo-$port.log" 2>&1) &
  PIDS+=("$!")
  LAST_PID=$!
}

wait_port() { # port pid [seconds]
  local i
  for ((i = 0; i < ${3:-60} * 10; i++)); do
    (echo >"/dev/tcp/$HOST/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server on port $1 did not start; its log:" >&2
  cat "$WORK"/*-"$1".log >&2 || true
  exit 1
}

# The HTTP client of both parts (Python's standard library only).
#   client.py drive PORT ROUTE WARM N1,N2 [PAGE_FILE]
#                                             the callgrind driver (below)
#   client.py cookie PORT                     "name=value" of a session
#                                             that / has counted twice
cat >"$WORK/client.py" <<'PY'
import http.client, json, re, sys

VIEWS = re.compile(r'id="views"[^>]*>You have visited this page (\d+) times\.')
PANEL_ID = re.compile(r'<code id="panel-id">([^<]+)</code>')
MARKER = "/static/style.css"

def fail(why):
    sys.exit(f"demo.sh client: {why}")

class Browser:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.jar = {}

    def get(self, route):
        headers = {}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        self.conn.request("GET", route, headers=headers)
        r = self.conn.getresponse()
        body = r.read().decode()
        if r.status != 200:
            fail(f"GET {route}: status {r.status}")
        sealed = False
        for h, v in r.getheaders():
            if h.lower() != "set-cookie":
                continue
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in v.lower():
                self.jar[name] = value
                sealed = True
            else:
                self.jar.pop(name, None)
        return body, sealed

    def page(self, expect_views):
        body, sealed = self.get("/")
        m = VIEWS.search(body)
        if not sealed:
            fail("/ did not re-seal the session")
        if not m or int(m.group(1)) != expect_views:
            fail(f"/ counted {m and m.group(1)}, expected {expect_views}")
        panel = PANEL_ID.search(body)
        if not panel or 'id="session-panel"' not in body:
            fail("/ has no session panel")
        return body, panel.group(1)

def session_of(port):
    b = Browser(port)
    _, sid = b.page(1)
    body, again = b.page(2)
    if again != sid:
        fail("/ with the cookie sent back showed another session")
    return b, sid, body

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "cookie":
    b, _, _ = session_of(port)
    print("; ".join(f"{k}={v}" for k, v in b.jar.items()))
elif mode == "drive":
    route, warm, counts = sys.argv[3], int(sys.argv[4]), [int(n) for n in sys.argv[5].split(",")]
    b, sid, body = session_of(port)
    views = 2
    def one():
        global views, body
        if route == "/":
            views += 1
            body, shown = b.page(views)
            if shown != sid:
                fail("the session id changed")
        elif route == "/api/session":
            body, _ = b.get(route)
            data = json.loads(body)
            if data.get("id") != sid or data.get("views") != views:
                fail(f"/api/session answered {body} for session {sid}, views {views}")
        else:
            body, _ = b.get(route)
            if route == "/health" and body != "ok":
                fail(f"/health answered {body!r}")
    for _ in range(warm):
        one()
    page = body
    for n in counts:
        b.get(MARKER)  # callgrind dumps its counters as this one starts
        for _ in range(n):
            one()
    b.get(MARKER)
    if len(sys.argv) > 6:
        with open(sys.argv[6], "w") as f:
            f.write(body)
else:
    fail(f"unknown mode {mode}")
PY

client() { python3 "$WORK/client.py" "$@"; }


REPORT="$WORK/report.md"
{
  echo "### Demo benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT)"
  echo
  echo "Machine: $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(uname -sr). Demo: ${BIN#"$ROOT"/}, ROCKET_PROFILE=${BENCH_PROFILE:-release}, log off."
} >"$REPORT"

# ------------------------------------------------------------ callgrind ---
# One demo process per route under callgrind (see the header); prints the
# instructions per request.
MARKER_FN='sealed_session_demo::app::assets::style::into_info::monomorphized_function'
count() { # route
  local route=$1 name file pid a b
  name=${route//\//_}
  [[ $route == / ]] && name=_index
  file="$OUT/callgrind.out$name"
  rm -f "$file" "$file".*
  DEMO_WORKERS=1 start_demo "$CG_PORT" valgrind --tool=callgrind --callgrind-out-file="$file" \
    --dump-before="$MARKER_FN"
  pid=$LAST_PID
  wait_port "$CG_PORT" "$pid" 300
  client drive "$CG_PORT" "$route" "$WARM_REQUESTS" "$N1,$N2" "$WORK/last-page.html"
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  forget "$pid"
  for part in "$file.1" "$file.2" "$file.3" "$file"; do
    [[ -s $part ]] || {
      echo "callgrind wrote no $part (did $MARKER_FN get renamed?)" >&2
      exit 1
    }
  done
  a=$(awk '/^(summary|totals):/ { print $2; exit }' "$file.2")
  b=$(awk '/^(summary|totals):/ { print $2; exit }' "$file.3")
  echo $(((b - a) / (N2 - N1)))
}

if [[ $DO_CALLGRIND == 1 ]]; then
  declare -A IR
  for route in "${ROUTES[@]}"; do
    log "callgrind: $route, $WARM_REQUESTS to warm up, then $N1 and $N2 requests"
    IR[$route]=$(count "$route")
    [[ $route == / ]] && cp "$WORK/last-page.html" "$OUT/index.html"
  done
  h=${IR[/health]}
  api=$(ratio "${IR[/api/session]}" "$h")
  idx=$(ratio "${IR[/]}" "$h")
  {
    echo
    echo "Instructions per request (valgrind --tool=callgrind, ROCKET_WORKERS=1; one process per" \
      "route, one keep-alive connection with the session cookie; after $WARM_REQUESTS requests," \
      "windows of $N1 and $N2 requests, the difference divided by $((N2 - N1))):"
    echo
    echo "| route | instructions per request | vs /health | target |"
    echo "|---|---:|---:|---|"
    echo "| /health | $h | 1.00× | |"
    echo "| /api/session | ${IR[/api/session]} | ${api}× | ≤ 1.15× ($(verdict "$api" "<=" 1.15)) |"
    echo "| / | ${IR[/]} | ${idx}× | ≤ 2× ($(verdict "$idx" "<=" 2)) |"
  } >>"$REPORT"
fi

# ------------------------------------------------------------------ wrk ---





if [[ $DO_WRK == 1 ]]; then
  start_demo "$DEMO_PORT"
  DEMO_PID=$LAST_PID
  start_express "$EXPRESS_PORT"
  EXPRESS_PID=$LAST_PID
  wait_port "$DEMO_PORT" "$DEMO_PID"
  wait_port "$EXPRESS_PORT" "$EXPRESS_PID"

  # name | pid | url | label (the cookie is fetched anew before each cell)
  TARGETS=(
    "health|$DEMO_PID|http://$HOST:$DEMO_PORT/health|demo /health"
    "api|$DEMO_PID|http://$HOST:$DEMO_PORT/api/session|demo /api/session"
    "index|$DEMO_PID|http://$HOST:$DEMO_PORT/|demo /"
    "express|$EXPRESS_PID|http://$HOST:$EXPRESS_PORT/|Express seed /"
  )
  cookie_for() { # name
    if [[ $1 == express ]]; then get_cookie "http://$HOST:$EXPRESS_PORT/"; else client cookie "$DEMO_PORT"; fi
  }

  RESULTS="$WORK/results.txt"
  : >"$RESULTS"
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  if [[ $WARMUP -gt 0 ]]; then
    log "warm-up: ${WARMUP} s per target"
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name pid url _ <<<"$t"
      run_wrk "$url" "$(cookie_for "$name")" "$WARMUP" >/dev/null
    done
  fi
  for round in $(seq 1 "$ROUNDS"); do
    log "round $round of $ROUNDS (${DURATION} s per cell, wrk -t1 -c$CONNS)"
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name pid url _ <<<"$t"
      cookie=$(cookie_for "$name")
      before=$(cpu_ticks "$pid")
      line=$(run_wrk "$url" "$cookie" "$DURATION")
      after=$(cpu_ticks "$pid")
      awk -v t="$name" -v r="$round" -v req="$(field "$line" requests)" \
        -v dur="$(field "$line" duration_us)" -v p50="$(field "$line" p50_us)" \
        -v p99="$(field "$line" p99_us)" -v b="$before" -v a="$after" -v tck="$CLK_TCK" \
        -v err="$(field "$line" errors)" -v nx="$(field "$line" non2xx)" \
        'BEGIN {
           rps = req / (dur / 1e6); cpu = (a - b) / tck * 1e6 / req
           printf "%s %d %.0f %d %d %.2f %d %d %d\n", t, r, rps, p50, p99, cpu, req, err, nx
         }' >>"$RESULTS"
      tail -n1 "$RESULTS" | awk '{ printf "      %-8s round %d: %8.0f req/s  p50 %5d us  p99 %6d us  %6.2f us CPU/req  errors %d, non-2xx %d\n", $1, $2, $3, $4, $5, $6, $8, $9 }' >&2
    done
  done
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

  stats() { # target column -> "median min max"
    awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$RESULTS" | sort -g |
      awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print med, v[1], v[NR]
      }'
  }
  med() { stats "$1" "$2" | cut -d' ' -f1; }
  {
    echo
    echo "wrk -t1 -c$CONNS on the same cores, loopback, a session cookie on every request;" \
      "$ROUNDS interleaved round(s) of ${DURATION} s per cell; load average before/after:" \
      "$LOAD_BEFORE / $LOAD_AFTER. Medians, min-max in brackets; CPU = server utime+stime per request."
    echo
    echo "| target | req/s | p50 µs | p99 µs | CPU µs/req | socket errors | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for t in "${TARGETS[@]}"; do
      IFS='|' read -r name _ _ label <<<"$t"
      read -r rps rmin rmax <<<"$(stats "$name" 3)"
      read -r cpu cmin cmax <<<"$(stats "$name" 6)"
      errs=$(awk -v t="$name" '$1 == t { s += $8 } END { print s + 0 }' "$RESULTS")
      non2xx=$(awk -v t="$name" '$1 == t { s += $9 } END { print s + 0 }' "$RESULTS")
      printf '| %s | %.0f [%.0f-%.0f] | %.0f | %.0f | %.2f [%.2f-%.2f] | %d | %d |\n' \
        "$label" "$rps" "$rmin" "$rmax" "$(med "$name" 4)" "$(med "$name" 5)" \
        "$cpu" "$cmin" "$cmax" "$errs" "$non2xx"
    done
    ie=$(ratio "$(med index 3)" "$(med express 3)")
    ah=$(ratio "$(med api 3)" "$(med health 3)")
    echo
    echo "| ratio (median req/s) | value | target |"
    echo "|---|---:|---|"
    echo "| demo / vs Express / | ${ie}× | ≥ 12× ($(verdict "$ie" ">=" 12)) |"
    echo "| demo /api/session vs /health | ${ah}× | ≥ 0.95× ($(verdict "$ah" ">=" 0.95)) |"
  } >>"$REPORT"
  cp "$RESULTS" "$OUT/wrk-runs.txt"
fi

cp "$REPORT" "$OUT/report.md"
cat "$REPORT"
log "report saved in target/bench-demo/report.md; where / goes:" \
  "callgrind_annotate --inclusive=yes target/bench-demo/callgrind.out_index.3 (N2 requests)"
# Socket errors (timeouts on a loaded machine) are reported; an answer
# other than 2xx means the demo is broken, and fails the run.
if [[ $DO_WRK == 1 ]] && awk '$9 > 0 { bad = 1 } END { exit !bad }' "$RESULTS"; then
  echo "wrk saw non-2xx answers (see the table)" >&2
  exit 1
fi
