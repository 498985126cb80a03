#!/usr/bin/env bash
# The session layer itself against its peers (issue 13), in instructions per
# request counted by valgrind's callgrind the way bench/callgrind.sh counts
# them (bench/lib/callgrind.sh: two runs of N1 and N2 requests over one
# keep-alive connection carrying a session cookie; the difference divided by
# N2 - N1). For each framework, Δ /counter (open the session, increment the
# u64 counter `views`, re-seal) and Δ /peek (open, read the counter, no
# re-seal) are that route minus the same framework's own /plain (returns
# "ok", no session):
#
# - ours: bench/server (target/release/bench_app), Rocket with our sealed
#   session; Rocket's private cookie is /private of the same binary (its
#   Δ /counter = /private - /plain; it has no read-only route); and
#   /vary, /plain with the two headers our fairing adds (Vary,
#   Cache-Control) and no session, to tell their cost from the session's;
# - actix-web + actix-session (CookieSessionStore, private) and axum +
#   tower-sessions-cookie-store (private): bench/peers/, a Cargo workspace of
#   its own built into target/peers (see each main.rs for what it mirrors).
#
# Every server runs with one worker thread. The driver (bench/lib/drive.py)
# fails the run if a /counter does not re-seal on every request from the
# cookie it was sent, or if a /peek sets a cookie or does not read the
# counter from the cookie.
#
#   bench/layers.sh            full run (N1=200, N2=1200)
#   bench/layers.sh --quick    smoke run for CI (N1=20, N2=60; well under a
#                              minute once the release builds are done)
#
# Knobs (environment): N1, N2, PORT (default 18772), BENCH_NO_BUILD=1
# (reuse the binaries). Prints the markdown table of Δs, then the raw counts.
# Loopback only; stops what it starts. Output files stay in
# target/callgrind/layers/.
set -euo pipefail
cd "$(dirname "$0")/.."
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
  N1=${N1:-20}
  N2=${N2:-60}
else
  N1=${N1:-200}
  N2=${N2:-1200}
fi
PORT=${PORT:-18772}
out=target/callgrind/layers
mkdir -p "$out"

# shellcheck source-path=SCRIPTDIR/.. disable=SC1091 # (followed with shellcheck -x)
. bench/lib/callgrind.sh
cg_require_valgrind
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release -p sealed-session-bench-server >&2
  cargo build --release --manifest-path bench/peers/Cargo.toml --target-dir target/peers >&2
fi
ours=target/release/bench_app
actix=target/peers/release/actix_peer
axum=target/peers/release/axum_peer
for bin in "$ours" "$actix" "$axum"; do
  [ -x "$bin" ] || {
    echo "$bin is missing (run without BENCH_NO_BUILD=1)" >&2
    exit 1
  }
done

secret=$(head -c 32 /dev/urandom | base64 -w0)
rocket_key=$(head -c 32 /dev/urandom | base64 -w0)
peer_key=$(head -c 64 /dev/urandom | base64 -w0)
trap cg_stop EXIT

# Server name -> its environment and command, for cg_count.
server_cmd() {
  case "$1" in
    ours)
      cmd=(ROCKET_PROFILE=release ROCKET_PORT="$PORT" ROCKET_ADDRESS=127.0.0.1
        ROCKET_LOG_LEVEL=off ROCKET_WORKERS=1 SESSION_SECRET="$secret"
        ROCKET_SECRET_KEY="$rocket_key" -- "$ours")
      ;;
    actix) cmd=(PORT="$PORT" PEER_SECRET_KEY="$peer_key" -- "$actix") ;;
    axum) cmd=(PORT="$PORT" PEER_SECRET_KEY="$peer_key" -- "$axum") ;;
  esac
}

declare -A per_request=() total1=() total2=()
measure() {
  local server=$1 route=$2 file
  server_cmd "$server"
  file="$out/callgrind.out.$server${route//\//_}"
  echo "::: $server $route ($N1 and $N2 requests)" >&2
  cg_count "$file.$N1" "$PORT" "$route" "$N1" "${cmd[@]}"
  total1[$server$route]=$CG_TOTAL
  cg_count "$file.$N2" "$PORT" "$route" "$N2" "${cmd[@]}"
  total2[$server$route]=$CG_TOTAL
  per_request[$server$route]=$(cg_per_request "${total1[$server$route]}" "$CG_TOTAL" "$N1" "$N2")
}

for route in /plain /counter /peek /private /vary; do measure ours "$route"; done
for server in actix axum; do
  for route in /plain /counter /peek; do measure "$server" "$route"; done
done

# Instructions as thousands with one decimal: 25932 -> 25.9k.
k() { awk -v n="$1" 'BEGIN { printf "%.1fk", n / 1000 }'; }
delta() { k $((per_request[$1$2] - per_request[$1/plain])); }

echo
echo "Δ = instructions per request of the route minus the same server's /plain"
echo "(callgrind, N1=$N1, N2=$N2; one worker thread each)."
echo
echo '| layer | Δ /counter | Δ /peek |'
echo '|---|---:|---:|'
echo "| ours (Rocket, XAES-256-GCM, envelope with id and deadlines, \`Cache-Control\` + \`Vary\`) | $(delta ours /counter) | $(delta ours /peek) |"
echo "| Rocket private cookie (AES-256-GCM, bare value, no extra headers) | $(delta ours /private) | — |"
echo "| actix-web + actix-session, \`CookieSessionStore\` private | $(delta actix /counter) | $(delta actix /peek) |"
echo "| axum + tower-sessions-cookie-store, private | $(delta axum /counter) | $(delta axum /peek) |"
echo
# What the two anti-caching headers cost by themselves in Rocket and hyper:
# /vary is /plain with them set by the handler, no session.
with_headers=${per_request[ours/vary]}
headers=$((with_headers - per_request[ours/plain]))
beyond() {
  local key=ours$1
  k $((per_request[$key] - with_headers))
}
verdict() { # value limit
  awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "**not met**" }'
}
counter=$((per_request[ours/counter] - per_request[ours/plain]))
peek=$((per_request[ours/peek] - per_request[ours/plain]))
private=$((per_request[ours/private] - per_request[ours/plain]))
echo "Targets (issue 13): ours Δ /counter $(k "$counter") ≤ Rocket private $(k "$private"):" \
  "$(verdict "$counter" "$private"); ≤ 17.8k: $(verdict "$counter" 17800);" \
  "ours Δ /peek $(k "$peek") ≤ 8k: $(verdict "$peek" 8000)."
echo
echo "Of ours, the two headers alone (\`Vary: Cookie\`, \`Cache-Control: private\` on /plain," \
  "no session: /vary - /plain) cost $(k "$headers") in Rocket and hyper;" \
  "ours beyond them (against /vary): Δ /counter $(beyond /counter), Δ /peek $(beyond /peek)."
echo
echo "Raw counts (total Ir of each run, and per request):"
echo
echo "| server | route | Ir, $N1 requests | Ir, $N2 requests | per request |"
echo '|---|---|---:|---:|---:|'
for key in ours/plain ours/counter ours/peek ours/private ours/vary \
  actix/plain actix/counter actix/peek axum/plain axum/counter axum/peek; do
  server=${key%%/*}
  route=/${key#*/}
  case "$server" in
    ours) name="bench_app (Rocket)" ;;
    actix) name="actix_peer" ;;
    axum) name="axum_peer" ;;
  esac
  echo "| $name | $route | ${total1[$key]} | ${total2[$key]} | ${per_request[$key]} |"
done
