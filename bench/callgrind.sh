#!/usr/bin/env bash
# Instructions per request of one route of the load-benchmark server
# (bench/server, binary target/release/bench_app), counted by valgrind's
# callgrind: repeatable on a shared, noisy machine (instructions,
# not seconds). Two runs of the same server, with N1 and N2 requests over one
# keep-alive connection carrying a session cookie; the difference divided by
# N2 - N1 removes start-up and shutdown. The counting and the driver (which
# checks that /counter re-seals and /peek only reads) are shared with
# bench/layers.sh: bench/lib/callgrind.sh and bench/lib/drive.py.
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

# shellcheck source-path=SCRIPTDIR/.. disable=SC1091 # (followed with shellcheck -x)
. bench/lib/callgrind.sh
cg_require_valgrind
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release -p sealed-session-bench-server >&2
fi
bin=target/release/bench_app

secret=$(head -c 32 /dev/urandom | base64)
rocket_key=$(head -c 32 /dev/urandom | base64)
trap cg_stop EXIT

# Runs the server under callgrind, sends $2 requests to $1; total Ir in CG_TOTAL.
count() {
  cg_count "$out/callgrind.out.${1//\//_}.$2" "$PORT" "$1" "$2" \
    ROCKET_PROFILE=release ROCKET_PORT="$PORT" ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
    ROCKET_WORKERS=1 SESSION_SECRET="$secret" ROCKET_SECRET_KEY="$rocket_key" -- "$bin"
}

printf '| route | instructions per request |\n|---|---:|\n'
for route in "${routes[@]}"; do
  count "$route" "$N1"
  a=$CG_TOTAL
  count "$route" "$N2"
  b=$CG_TOTAL
  printf '| %s | %d |\n' "$route" "$(cg_per_request "$a" "$b" "$N1" "$N2")"
done
