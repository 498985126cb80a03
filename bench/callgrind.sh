#!/usr/bin/env bash
# Instructions per request of one route of the load-benchmark server
# (bench/server, binary target/release/bench_app), counted by valgrind's
# callgrind: repeatable on a shared, noisy machine (instructions,
# not seconds). Two runs of the same server, with N1 and N2 requests over one
# keep-alive connection carrying a session cookie; the difference divided by
# N2 - N1 removes start-up and shutdown.
#
#   bench/callgrind.sh                 # /counter, /peek and /plain
#   bench/callgrind.sh /counter        # one route
#   BENCH_NO_BUILD=1 bench/callgrind.sh
#
# Loopback only; stops what it starts. Output files stay in target/callgrind/.
set -euo pipefail
cd "$(dirname "$0")/.."

routes=("$@")
[ ${#routes[@]} -gt 0 ] || routes=(/counter /peek /plain)
N1=${N1:-200}
N2=${N2:-1200}
PORT=${PORT:-18771}
out=target/callgrind
mkdir -p "$out"

command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release -p sealed-session-bench-server >&2
fi
bin=target/release/bench_app

secret=$(head -c 32 /dev/urandom | base64)
rocket_key=$(head -c 32 /dev/urandom | base64)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

# Sends $2 requests to route $1 over one connection, with a cookie if the
# route sets one on the first request. Prints nothing.
drive() {
  python3 - "$PORT" "$1" "$2" <<'PY'
import http.client, sys
port, route, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def get(cookie):
    conn.request("GET", route, headers={"Cookie": cookie} if cookie else {})
    r = conn.getresponse(); r.read()
    return r
cookie = None
first = get(None)
for h, v in first.getheaders():
    if h.lower() == "set-cookie":
        cookie = v.split(";", 1)[0]
if cookie is None and route != "/counter":
    conn.request("GET", "/counter"); r = conn.getresponse(); r.read()
    cookie = next((v.split(";", 1)[0] for h, v in r.getheaders() if h.lower() == "set-cookie"), None)
for _ in range(n):
    if get(cookie).status != 200:
        sys.exit("non-200 answer")
PY
}

# Runs the server under callgrind, sends $2 requests to $1, prints total Ir.
count() {
  local route=$1 n=$2 file="$out/callgrind.out.${1//\//_}.$2"
  ROCKET_PROFILE=release ROCKET_PORT=$PORT ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
  ROCKET_WORKERS=1 SESSION_SECRET=$secret ROCKET_SECRET_KEY=$rocket_key \
    valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
  done
  drive "$route" "$n"
  kill -INT "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
  awk '/^(summary|totals):/ { print $2; exit }' "$file"
}

printf '| route | instructions per request |\n|---|---:|\n'
for route in "${routes[@]}"; do
  a=$(count "$route" "$N1")
  b=$(count "$route" "$N2")
  printf '| %s | %d |\n' "$route" $(( (b - a) / (N2 - N1) ))
done
