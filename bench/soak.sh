#!/usr/bin/env bash
# Soak test of the production fleet: deploy/nginx.conf (TLS, round robin)
# in front of three release replicas that share their secrets through files,
# under minutes of mixed traffic, with a key rotation by SIGHUP in the middle.
#
#   bench/soak.sh            3 minutes (SOAK_DURATION to change it)
#   bench/soak.sh --smoke    about 25 s of traffic, for CI (.ci/soak-smoke)
#
# It passes only with zero 5xx (from the driver's side and in nginx's access
# log), zero transport errors, zero lost sessions (every session's visit
# counter and notes continue, to the end), no tampered or junk cookie taken
# for a session, the rotation checked on every replica after each phase, and
# a flat RSS on every replica (VmRSS from /proc/<pid>/status, once a second:
# the median of the last tenth of the run against the median just after the
# warm-up). It prints a summary table and exits non-zero on any failure.
#
# Traffic (Python 3 standard library only, HTTP/1.1 over TLS, a few threads
# of virtual users, each user's requests in order):
#   returning visits   GET / with the user's session: the counter goes up by one
#   session reads      GET /api/session: same id, same count, nothing re-sealed
#   new visitors       GET / without a cookie: a new session
#   tampered cookies   a user's sealed value with one character changed, a
#                      truncated value, a foreign key id: a new session, never 5xx
#   junk cookies       garbage values and names, an orphan chunk, a ~10 KB
#                      Cookie header (alone, and around a real session, which
#                      must still count: nginx's large_client_header_buffers)
#   logouts            GET /logout: the cookie is removed, the next visit is 1
#   writers            users who sign up once, then sign in with their password
#                      (CSRF-checked POSTs), and add notes until
#                      their session takes two cookies (nginx's
#                      proxy_buffer_size), check them, clear them
# Every Set-Cookie of the session must carry Secure, HttpOnly, SameSite=Lax
# and Path=/.
#
# The rotation, with secret files (SESSION_SECRET_FILE,
# SESSION_OLD_SECRETS_FILE) and SIGHUP to every replica, in the library's
# three phases (rocket_sealed_session/examples/rotation.rs):
#   30 %  phase 1: A seals, B only opens      (checked: new cookies carry A's key id)
#   45 %  phase 2: B seals, A only opens      (checked: new cookies carry B's key id,
#                                               an A cookie still opens)
#   then  phase 3: A retired, as soon as every live session has been re-sealed
#         with B (checked: the A cookie no longer opens, on every replica)
# Each check goes to every replica directly (plain HTTP on loopback).
#
# Knobs (environment): SOAK_DURATION (seconds of traffic), SOAK_USERS
# (virtual users, default 48), SOAK_THREADS (default 6), SOAK_NO_BUILD=1
# (reuse target/release/sealed-session), SOAK_KEEP=1 (keep the work
# directory: logs, rendered nginx.conf), NGINX=<path>.
# Needs: cargo, nginx, openssl, curl, python3. Loopback only; everything it
# started is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh

SMOKE=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    *) bench_other_arg "$arg" ;;
  esac
done

if [[ $SMOKE == 1 ]]; then
  DURATION=${SOAK_DURATION:-25}
else
  DURATION=${SOAK_DURATION:-180}
fi
USERS=${SOAK_USERS:-48}
THREADS=${SOAK_THREADS:-6}
HOST=app.example.test

say() { echo "::: $*"; }

NGINX_BIN=${NGINX:-$(command -v nginx || true)}
[[ -z $NGINX_BIN && -x /usr/sbin/nginx ]] && NGINX_BIN=/usr/sbin/nginx
missing=()
[[ -n $NGINX_BIN ]] || missing+=(nginx)
for tool in openssl curl python3 cargo; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "soak: missing ${missing[*]} (.ci/soak-smoke installs nginx, openssl, curl, python3)" >&2
  exit 1
fi

# The replicas read only what this script gives them.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(ROCKET|SESSION)_' || true)

if [[ ${SOAK_NO_BUILD:-0} != 1 ]]; then
  say "cargo build --release (the demo binary)"
  cargo build --release --quiet -p sealed-session-demo --bin sealed-session
fi
BIN=$ROOT/target/release/sealed-session
[[ -x $BIN ]] || { echo "soak: no $BIN (build it, or unset SOAK_NO_BUILD)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sealed-session-soak.XXXXXX")
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ ${SOAK_KEEP:-0} == 1 || $status != 0 ]]; then
    echo "soak: logs and configuration kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/keys" "$WORK/nginx/logs" "$WORK/logs"
# Secret A today; the old-secrets file exists and is empty.
openssl rand -base64 32 >"$WORK/keys/secret"
: >"$WORK/keys/old_secrets"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$WORK/nginx/key.pem" -out "$WORK/nginx/cert.pem" 2>/dev/null

read -r -a PORTS < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
REPLICA_PORTS=("${PORTS[@]:0:3}")
HTTP_PORT=${PORTS[3]}
TLS_PORT=${PORTS[4]}

say "three replicas (release profile, secrets from files, PORT=${REPLICA_PORTS[*]})"
REPLICAS=()
for i in 0 1 2; do
  port=${REPLICA_PORTS[$i]}
  # PORT, not ROCKET_PORT: what the container image and platforms use.
  # One accounts database for the fleet (a SQLite file of this run).
  PORT=$port ROCKET_PROFILE=release ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=critical \
    ROCKET_CLI_COLORS=false \
    ROCKET_DATABASES="{accounts={url=\"sqlite://$WORK/accounts.sqlite?mode=rwc\"}}" \
    SESSION_SECRET_FILE="$WORK/keys/secret" SESSION_OLD_SECRETS_FILE="$WORK/keys/old_secrets" \
    "$BIN" >"$WORK/logs/replica$((i + 1)).log" 2>&1 &
  PIDS+=($!)
  REPLICAS+=("$!:$port")
done
for i in 0 1 2; do
  port=${REPLICA_PORTS[$i]}
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health" || {
    echo "soak: replica $((i + 1)) did not come up:" >&2
    cat "$WORK/logs/replica$((i + 1)).log" >&2
    exit 1
  }
done

say "nginx: deploy/nginx.conf rendered for $HOST, http $HTTP_PORT, https $TLS_PORT"
# The shipped file with the test's values for what is site-specific (the
# same substitutions as tests/common/tls.rs); each must find its text.
python3 - "$ROOT/deploy/nginx.conf" "$WORK/nginx" "$HOST" "$HTTP_PORT" "$TLS_PORT" \
  "${REPLICA_PORTS[@]}" >"$WORK/nginx/nginx.conf" <<'PY'
import sys
src, prefix, host, http, tls, *replicas = sys.argv[1:]
out, found, in_upstream = [], set(), False
for line in open(src).read().splitlines():
    t = line.lstrip()
    indent = line[: len(line) - len(t)]
    if t.startswith("upstream sealed_session {"):
        in_upstream = True
        found.add("upstream")
    elif in_upstream and t.startswith("}"):
        in_upstream = False
    elif in_upstream and t.startswith("server "):
        if "servers" not in found:
            found.add("servers")
            params = t[len("server "):].strip().split(None, 1)
            params = params[1] if len(params) > 1 else ";"
            out += [f"{indent}server 127.0.0.1:{p} {params}" for p in replicas]
        continue
    if t.startswith("listen 80"):
        found.add("listen 80")
        line = f"{indent}listen 127.0.0.1:{http}{t[len('listen 80'):]}"
    elif t.startswith("listen 443"):
        found.add("listen 443")
        line = f"{indent}listen 127.0.0.1:{tls}{t[len('listen 443'):]}"
    for old, new in [
        ("https://$host$request_uri", f"https://$host:{tls}$request_uri"),
        ("app.example.com", host),
        ("/etc/nginx/tls/fullchain.pem", f"{prefix}/cert.pem"),
        ("/etc/nginx/tls/privkey.pem", f"{prefix}/key.pem"),
        ("/var/log/nginx/access.log", f"{prefix}/logs/access.log"),
    ]:
        if old in line:
            found.add(old)
            line = line.replace(old, new)
    out.append(line)
    if t.startswith("http {"):
        found.add("http")
        for directive, d in [("client_body_temp_path", "body"), ("proxy_temp_path", "proxy"),
                             ("fastcgi_temp_path", "fastcgi"), ("uwsgi_temp_path", "uwsgi"),
                             ("scgi_temp_path", "scgi")]:
            out.append(f"    {directive} {prefix}/{d};")
want = {"http", "upstream", "servers", "listen 80", "listen 443", "https://$host$request_uri",
        "app.example.com", "/etc/nginx/tls/fullchain.pem", "/etc/nginx/tls/privkey.pem",
        "/var/log/nginx/access.log"}
if want - found:
    sys.exit(f"deploy/nginx.conf no longer has {sorted(want - found)}; update bench/soak.sh")
print("\n".join(out))
PY
NGINX_GLOBALS="daemon off; master_process off; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/logs/error.log warn;"
"$NGINX_BIN" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "$NGINX_GLOBALS"
"$NGINX_BIN" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "$NGINX_GLOBALS" \
  >"$WORK/nginx/logs/stderr.log" 2>&1 &
PIDS+=($!)
NGINX_PID=$!
RESOLVE=(--resolve "$HOST:$TLS_PORT:127.0.0.1" --resolve "$HOST:$HTTP_PORT:127.0.0.1")
for _ in $(seq 100); do
  curl -fsS -o /dev/null --cacert "$WORK/nginx/cert.pem" "${RESOLVE[@]}" \
    "https://$HOST:$TLS_PORT/health" 2>/dev/null && break
  sleep 0.1
done

say "the front: redirect, HTTP/2, HSTS (curl)"
front_ok=1
redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "${RESOLVE[@]}" \
  "http://$HOST:$HTTP_PORT/some/path?q=1")
[[ $redirect == "308 https://$HOST:$TLS_PORT/some/path?q=1" ]] || {
  echo "  plain HTTP: expected a 308 to https, got: $redirect"
  front_ok=0
}
h2=$(curl -sS -o /dev/null -D - --http2 --cacert "$WORK/nginx/cert.pem" "${RESOLVE[@]}" \
  "https://$HOST:$TLS_PORT/health" | tr -d '\r')
grep -q '^HTTP/2 200' <<<"$h2" || { echo "  not HTTP/2 200: $h2"; front_ok=0; }
grep -qi '^strict-transport-security: max-age=63072000; includeSubDomains$' <<<"$h2" ||
  { echo "  no HSTS header: $h2"; front_ok=0; }
echo "  redirect: $redirect; $(head -n 1 <<<"$h2"); $(grep -i '^strict-transport-security' <<<"$h2")"

say "traffic for ${DURATION}s: $USERS users on $THREADS threads, rotation by SIGHUP"
set +e
SOAK_HOST=$HOST SOAK_TLS_PORT=$TLS_PORT SOAK_CERT=$WORK/nginx/cert.pem \
  SOAK_REPLICAS="${REPLICAS[*]}" SOAK_KEYS=$WORK/keys SOAK_DURATION=$DURATION \
  SOAK_USERS=$USERS SOAK_THREADS=$THREADS SOAK_ACCESS_LOG=$WORK/nginx/logs/access.log \
  SOAK_MODE=$([[ $SMOKE == 1 ]] && echo smoke || echo full) SOAK_FRONT_OK=$front_ok \
  python3 - <<'PY'
import base64, http.client, json, os, random, re, signal, socket, ssl, statistics
import sys, threading, time
from collections import Counter

HOST = os.environ["SOAK_HOST"]
TLS_PORT = int(os.environ["SOAK_TLS_PORT"])
REPLICAS = [tuple(map(int, r.split(":"))) for r in os.environ["SOAK_REPLICAS"].split()]
KEYS = os.environ["SOAK_KEYS"]
DURATION = float(os.environ["SOAK_DURATION"])
USERS = int(os.environ["SOAK_USERS"])
THREADS = int(os.environ["SOAK_THREADS"])
ACCESS_LOG = os.environ["SOAK_ACCESS_LOG"]
SID = "__Host-sid"
WARMUP = 0.25  # of the run: RSS may still grow (allocator arenas, caches)

CTX = ssl.create_default_context(cafile=os.environ["SOAK_CERT"])
random.seed(20240601)
T0 = time.monotonic()
STOP = threading.Event()


def now():
    return time.monotonic() - T0


class Front(http.client.HTTPSConnection):
    """HTTPS to nginx on loopback, with SNI and Host for HOST."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def front():
    return Front(HOST, TLS_PORT, context=CTX, timeout=15)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def set_cookies(self):
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def send(conn, method, path, cookie=None, form=None):
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=form, headers=headers)
    r = conn.getresponse()
    body = r.read().decode("utf-8", "replace")
    return Response(r.status, r.getheaders(), body)


def views_in(page):
    m = re.search(r"You have visited this page (\d+) time", page)
    return int(m.group(1)) if m else None


def csrf_in(page):
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return m.group(1) if m else None


def key_id(value):
    """The hex key id sealed into a cookie value (version byte, then 4 bytes)."""
    try:
        head = base64.urlsafe_b64decode(value[:8])
        return head[1:5].hex()
    except Exception:
        return "?"


def jar_header(jar):
    return "; ".join(f"{k}={v}" for k, v in sorted(jar.items())) or None


class Stats:
    def __init__(self):
        self.requests = Counter()  # by kind
        self.status = Counter()  # by class: 2xx ...
        self.failures = Counter()  # by what
        self.examples = []
        self.sealed_keys = Counter()  # (phase, key id)

    def fail(self, what, detail):
        self.failures[what] += 1
        if len(self.examples) < 12:
            self.examples.append(f"{now():7.1f}s {what}: {detail}")

    def merge(self, other):
        self.requests += other.requests
        self.status += other.status
        self.failures += other.failures
        self.examples += other.examples[: max(0, 12 - len(self.examples))]
        self.sealed_keys += other.sealed_keys


PHASE = {"now": 0}  # the rotation phase, for the report


class User:
    def __init__(self, n, writer):
        self.n, self.writer = n, writer
        self.jar = {}
        self.views = 0
        self.id = None
        self.user = None
        self.registered = False  # the account exists: sign in, not up
        self.notes = 0
        self.full = False  # the last note was refused: clear next time

    def has_session(self):
        return SID in self.jar


def absorb(stats, user, r, kind):
    """Applies the Set-Cookie headers of r to the user's jar; checks them."""
    for sc in r.set_cookies():
        pair, *attrs = [p.strip() for p in sc.split(";")]
        name, _, value = pair.partition("=")
        if not (name == SID or name.startswith(SID + ".")):
            continue
        lower = [a.lower() for a in attrs]
        removed = value == "" or "max-age=0" in lower or any(
            a.startswith("expires=") and "1970" in a for a in lower)
        if removed:
            user.jar.pop(name, None)
            continue
        for attr in ("secure", "httponly", "samesite=lax", "path=/"):
            if attr not in lower:
                stats.fail("cookie attributes", f"{kind}: {name} without {attr}: {sc[:120]}")
        user.jar[name] = value
        if name == SID:
            stats.sealed_keys[(PHASE["now"], key_id(value))] += 1


def check_status(stats, r, kind, want=(200,)):
    stats.status[f"{r.status // 100}xx"] += 1
    if r.status >= 500:
        stats.fail("5xx", f"{kind}: {r.status} {r.body[:200]!r}")
        return False
    if r.status not in want:
        stats.fail("unexpected status", f"{kind}: {r.status} (wanted {want}) {r.body[:120]!r}")
        return False
    return True


def visit(stats, conn, user, cookie_extra=None, kind="returning visit"):
    cookie = jar_header(user.jar)
    if cookie_extra:
        cookie = f"{cookie_extra}; {cookie}" if cookie else cookie_extra
    had = user.has_session()
    r = send(conn, "GET", "/", cookie)
    stats.requests[kind] += 1
    if not check_status(stats, r, kind):
        return
    views = views_in(r.body)
    if had:
        if views == user.views + 1:
            user.views = views
        elif views == 1:
            stats.fail("lost session", f"user {user.n}: counter back to 1 after {user.views}")
            user.views, user.user, user.notes = 1, None, 0
        else:
            stats.fail("wrong count", f"user {user.n}: {views} after {user.views}")
            user.views = views or 0
    else:
        if views != 1:
            stats.fail("wrong count", f"user {user.n} without a session saw {views}")
        user.views = views or 0
    absorb(stats, user, r, kind)
    if not user.has_session():
        stats.fail("lost session", f"user {user.n}: a visit left no session cookie")


def read_session(stats, conn, user):
    r = send(conn, "GET", "/api/session", jar_header(user.jar))
    stats.requests["session read"] += 1
    if not check_status(stats, r, "session read"):
        return
    data = json.loads(r.body)
    if user.has_session():
        if data.get("views") != user.views:
            what = "lost session" if data.get("id") is None else "wrong count"
            stats.fail(what, f"user {user.n}: /api/session says {data} after {user.views}")
        if user.id is not None and data.get("id") != user.id:
            stats.fail("lost session", f"user {user.n}: id {data.get('id')} instead of {user.id}")
        user.id = data.get("id")
    absorb(stats, user, r, "session read")


def new_visitor(stats, conn):
    fresh = User(-1, False)
    r = send(conn, "GET", "/", None)
    stats.requests["new visitor"] += 1
    if check_status(stats, r, "new visitor"):
        if views_in(r.body) != 1:
            stats.fail("wrong count", f"a new visitor saw {views_in(r.body)}")
        absorb(stats, fresh, r, "new visitor")
        if not fresh.has_session():
            stats.fail("no cookie", "a new visitor got no session cookie")
    return fresh


def tampered(value):
    choice = random.randrange(4)
    if choice == 0:  # one character changed, past the header
        i = random.randrange(10, len(value))
        c = "A" if value[i] != "A" else "B"
        return value[:i] + c + value[i + 1:]
    if choice == 1:  # truncated
        return value[: random.randrange(8, len(value) - 1)]
    if choice == 2:  # an unknown key id
        raw = bytearray(base64.urlsafe_b64decode(value[:8]))
        raw[1] ^= 0xFF
        return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=") + value[8:]
    return value[:-1] + ("A" if value[-1] != "A" else "B")  # the tag


JUNK = [
    f"{SID}=",
    f"{SID}=not-base64!!",
    f"{SID}=" + "A" * 200,
    f"{SID}.1=" + "B" * 300,  # an orphan piece
    f"{SID}=AQAAAAA",  # version 1, too short
    f"__host-sid=x; {SID}x=y; sid=abc",
    "=; ;;; =x; \u00e9=1".encode("utf-8").decode("latin-1"),
]


def big_junk():
    """About 10 KB of other cookies: past nginx's default 8k header buffer."""
    return "; ".join(f"pref{i}=" + "x" * 2500 for i in range(4))


def junk(stats, conn, user):
    choice = random.randrange(4)
    if choice == 0 and user.has_session():
        # The real session inside a ~10 KB Cookie header: still counts.
        visit(stats, conn, user, cookie_extra=big_junk(), kind="junk around a session")
        return
    cookie = big_junk() if choice == 1 else random.choice(JUNK)
    r = send(conn, "GET", "/", cookie)
    stats.requests["junk cookies"] += 1
    if check_status(stats, r, "junk cookies") and views_in(r.body) != 1:
        stats.fail("junk accepted", f"junk {cookie[:60]!r} gave a count of {views_in(r.body)}")


def tamper(stats, conn, user):
    if not user.has_session():
        return visit(stats, conn, user)
    cookie = f"{SID}={tampered(user.jar[SID])}"
    r = send(conn, "GET", "/", cookie)
    stats.requests["tampered cookie"] += 1
    if check_status(stats, r, "tampered cookie") and views_in(r.body) != 1:
        stats.fail("tampered accepted", f"a tampered cookie gave a count of {views_in(r.body)}")


def logout(stats, conn, user):
    r = send(conn, "GET", "/logout", jar_header(user.jar))
    stats.requests["logout"] += 1
    if check_status(stats, r, "logout"):
        if "Logged out successfully!" not in r.body:
            stats.fail("logout", "the logout page did not say so")
        absorb(stats, user, r, "logout")
        if user.jar:
            stats.fail("logout", f"cookies left after logout: {sorted(user.jar)}")
            user.jar.clear()
    user.views, user.id, user.user, user.notes, user.full = 0, None, None, 0, False


def note_text(user):
    words = [f"w{(user.n * 7919 + user.notes * 104729 + k * 31) % 1000003:x}" for k in range(90)]
    return f"Soak note {user.notes} of user {user.n}: " + " ".join(words)


def writer_step(stats, conn, user):
    """Sign up (once) or in, add notes up to two cookies, check them, clear them."""
    cookie = jar_header(user.jar)
    if user.user is None:
        path = "/login" if user.registered else "/signup"
        r = send(conn, "GET", path, cookie)
        stats.requests["writer"] += 1
        if not check_status(stats, r, f"{path} form"):
            return
        absorb(stats, user, r, f"{path} form")
        token = csrf_in(r.body)
        name = f"writer{user.n}"
        form = f"csrf_token={token}&name={name}&password=soak+password+{user.n}"
        r = send(conn, "POST", path, jar_header(user.jar), form)
        stats.requests["writer"] += 1
        if check_status(stats, r, path, want=(303,)):
            absorb(stats, user, r, path)
            user.registered = True
            user.user, user.notes, user.full, user.id = name, 0, False, None
        return
    r = send(conn, "GET", "/notes", cookie)
    stats.requests["writer"] += 1
    if not check_status(stats, r, "notes"):
        return
    absorb(stats, user, r, "notes")
    shown = re.search(r'id="notes-count">(\d+) note', r.body)
    shown = int(shown.group(1)) if shown else (0 if 'id="no-notes"' in r.body else None)
    if user.user not in r.body or shown != user.notes:
        stats.fail("lost session", f"{user.user}: /notes shows {shown} notes, wanted {user.notes}")
        user.user, user.notes = None, 0
        return
    token = csrf_in(r.body)
    pieces = len([k for k in user.jar if k == SID or k.startswith(SID + ".")])
    if user.full or (pieces >= 2 and random.random() < 0.2):
        r = send(conn, "POST", "/notes/clear", jar_header(user.jar), f"csrf_token={token}")
        stats.requests["writer"] += 1
        if check_status(stats, r, "clear notes", want=(303,)):
            absorb(stats, user, r, "clear notes")
            user.notes, user.full = 0, False
            if len(user.jar) != 1:
                stats.fail("stale piece", f"{user.user}: {sorted(user.jar)} after clearing")
        return
    text = note_text(user).replace(" ", "+").replace(":", "%3A")
    r = send(conn, "POST", "/notes", jar_header(user.jar), f"csrf_token={token}&text={text}")
    if r.status == 422:  # does not fit: a message, never a 500
        stats.status["4xx"] += 1
        stats.requests["writer: note refused (422, full)"] += 1
        user.full = True
        return
    stats.requests["writer"] += 1
    if check_status(stats, r, "add note", want=(303,)):
        absorb(stats, user, r, "add note")
        user.notes += 1


def worker(users, stats, has_notes):
    conn = front()
    weights = [("visit", 50), ("read", 8), ("new", 10), ("tamper", 8), ("junk", 8),
               ("logout", 3), ("reconnect", 1)]
    kinds = [k for k, w in weights for _ in range(w)]
    while not STOP.is_set():
        user = random.choice(users)
        kind = random.choice(kinds)
        if user.writer and has_notes and random.random() < 0.6:
            kind = "writer"
        try:
            if kind == "visit":
                visit(stats, conn, user)
            elif kind == "read":
                read_session(stats, conn, user)
            elif kind == "new":
                new_visitor(stats, conn)
            elif kind == "tamper":
                tamper(stats, conn, user)
            elif kind == "junk":
                junk(stats, conn, user)
            elif kind == "logout":
                logout(stats, conn, user)
            elif kind == "writer":
                writer_step(stats, conn, user)
            elif kind == "reconnect":  # a new TLS connection now and then
                conn.close()
                conn = front()
                visit(stats, conn, user)
        except Exception as err:  # noqa: BLE001 - every failure is counted
            stats.fail("transport error", f"{kind}: {type(err).__name__}: {err}")
            conn.close()
            conn = front()
    # The end: every session still there, with its count.
    for user in users:
        if user.has_session():
            try:
                read_session(stats, conn, user)
            except Exception as err:  # noqa: BLE001
                stats.fail("transport error", f"final read: {err}")
    conn.close()


# --- replicas, directly ------------------------------------------------------

def direct(port, path, cookie=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return send(conn, "GET", path, cookie)
    finally:
        conn.close()


def sealed_key(port):
    """The key id a replica seals a new session with."""
    r = direct(port, "/")
    for sc in r.set_cookies():
        if sc.startswith(SID + "="):
            return key_id(sc.split(";")[0].split("=", 1)[1])
    return None


def opens(port, cookie_value):
    data = json.loads(direct(port, "/api/session", f"{SID}={cookie_value}").body)
    return data.get("id") is not None


def handles_sighup(pid):
    with open(f"/proc/{pid}/status") as f:
        caught = next(line for line in f if line.startswith("SigCgt:"))
    return int(caught.split()[1], 16) & 1 == 1


def write_keys(secret, old):
    for name, text in (("secret", secret + "\n"), ("old_secrets", "".join(s + "\n" for s in old))):
        path = f"{KEYS}/{name}"
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)


def hangup_all(log, label):
    for pid, _ in REPLICAS:
        if not handles_sighup(pid):
            raise RuntimeError(f"replica {pid} does not handle SIGHUP (it would die)")
        os.kill(pid, signal.SIGHUP)
    time.sleep(0.3)  # the reload runs on the replica's runtime
    log.append((now(), label))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- the run -----------------------------------------------------------------

def main():
    has_notes = direct(REPLICAS[0][1], "/notes").status != 404
    users = [User(n, writer=(n % 4 == 0)) for n in range(USERS)]
    groups = [users[i::THREADS] for i in range(THREADS)]
    stats = [Stats() for _ in range(THREADS)]
    secret_a = open(f"{KEYS}/secret").read().strip()
    secret_b = base64.b64encode(os.urandom(32)).decode()
    key_a = sealed_key(REPLICAS[0][1])
    # A session sealed with A that no user touches: the retirement probe.
    probe = direct(REPLICAS[0][1], "/")
    probe_value = next(sc.split(";")[0].split("=", 1)[1] for sc in probe.set_cookies()
                       if sc.startswith(SID + "="))

    threads = [threading.Thread(target=worker, args=(g, s, has_notes)) for g, s in zip(groups, stats)]
    for t in threads:
        t.start()

    rss = {pid: [] for pid, _ in REPLICAS}
    rotation, checks, problems = [], [], []
    key_b = None
    next_sample = 0.0
    while now() < DURATION:
        t = now()
        if t >= next_sample:
            for pid, _ in REPLICAS:
                rss[pid].append((t, rss_kib(pid)))
            next_sample += 1.0
        try:
            if PHASE["now"] == 0 and t >= 0.30 * DURATION:
                PHASE["now"] = 1
                write_keys(secret_a, [secret_b])
                hangup_all(rotation, "phase 1: A seals, B only opens")
                got = [sealed_key(port) for _, port in REPLICAS]
                ok = all(k == key_a for k in got)
                checks.append(("phase 1", ok, f"new cookies sealed with A ({key_a}): {got}"))
            elif PHASE["now"] == 1 and t >= 0.45 * DURATION:
                PHASE["now"] = 2
                write_keys(secret_b, [secret_a])
                hangup_all(rotation, "phase 2: B seals, A only opens")
                got = [sealed_key(port) for _, port in REPLICAS]
                key_b = got[0]
                ok = key_b not in (None, key_a) and all(k == key_b for k in got)
                checks.append(("phase 2", ok, f"new cookies sealed with B ({key_b}): {got}"))
                opened = [opens(port, probe_value) for _, port in REPLICAS]
                checks.append(("phase 2", all(opened), f"the A cookie opens: {opened}"))
            elif PHASE["now"] == 2 and t >= 0.60 * DURATION:
                # Only once no user holds a cookie sealed with A any more.
                stale = [u.n for u in users if key_id(u.jar.get(SID) or "AAAAAAAA") == key_a]
                if not stale or t >= 0.85 * DURATION:
                    if stale:
                        problems.append(f"sessions still sealed with A at {t:.0f}s: users {stale}")
                    PHASE["now"] = 3
                    write_keys(secret_b, [])
                    hangup_all(rotation, "phase 3: A retired")
                    got = [sealed_key(port) for _, port in REPLICAS]
                    checks.append(("phase 3", all(k == key_b for k in got),
                                   f"new cookies sealed with B: {got}"))
                    opened = [opens(port, probe_value) for _, port in REPLICAS]
                    checks.append(("phase 3", not any(opened),
                                   f"the A cookie is refused: opens {opened}"))
        except Exception as err:  # noqa: BLE001
            problems.append(f"rotation at {t:.1f}s: {type(err).__name__}: {err}")
            PHASE["now"] = 9
        time.sleep(0.05)
    STOP.set()
    for t in threads:
        t.join()
    elapsed = now()
    for pid, _ in REPLICAS:
        rss[pid].append((elapsed, rss_kib(pid)))

    total = Stats()
    for s in stats:
        total.merge(s)
    report(total, rss, rotation, checks, problems, elapsed, key_a, key_b, has_notes)


def access_log():
    lines = open(ACCESS_LOG).read().splitlines()
    status, retried, served = Counter(), 0, Counter()
    for line in lines:
        try:
            code = int(line.split('"')[2].split()[0])
        except (IndexError, ValueError):
            continue
        status[f"{code // 100}xx"] += 1
        upstream = line.split(" upstream=")[1].split(" upstream_status=")[0]
        tried = [u.strip() for u in upstream.split(",") if u.strip() not in ("", "-")]
        retried += len(tried) > 1
        if tried:
            served[tried[-1]] += 1
    return len(lines), status, retried, served


def metrics(port):
    r = direct(port, "/metrics")
    if r.status != 200:
        return None
    found = Counter()
    for line in r.body.splitlines():
        m = re.match(r'(sealed_session_(?:opened|rejected)_total)\{(\w+)="([^"]*)"\} ([0-9.e+]+)', line)
        if m:
            found[f"{m.group(1).split('_')[2]} {m.group(3)}"] += float(m.group(4))
    return found


def report(s, rss, rotation, checks, problems, elapsed, key_a, key_b, has_notes):
    fail = []
    total = sum(s.requests.values())
    w = 44
    print()
    print(f"== soak summary ({os.environ['SOAK_MODE']}: {elapsed:.0f} s of traffic, 3 replicas behind "
          f"nginx, {USERS} users on {THREADS} threads) ==")
    print(f"{'traffic':<{w}}{'requests':>10}")
    for kind, n in sorted(s.requests.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<{w - 2}}{n:>10}")
    print(f"  {'total':<{w - 2}}{total:>10}   ({total / elapsed:.0f} req/s)")
    if not has_notes:
        print("  (no /notes in this build: no writers, no two-cookie sessions)")
    print(f"{'status seen by the driver':<{w}}" + "  ".join(
        f"{k} {s.status.get(k, 0)}" for k in ("2xx", "3xx", "4xx", "5xx")))
    n, status, retried, served = access_log()
    shares = "  ".join(f"{a.split(':')[1]}: {100 * c / max(1, sum(served.values())):.1f}%"
                       for a, c in sorted(served.items()))
    print(f"{'nginx access log':<{w}}{n} requests; " + "  ".join(
        f"{k} {status.get(k, 0)}" for k in ("2xx", "3xx", "4xx", "5xx")) + f"; retried {retried}")
    print(f"{'  answered per replica (port)':<{w}}{shares}")
    for what in ("5xx", "transport error", "lost session", "wrong count", "tampered accepted",
                 "junk accepted", "cookie attributes", "unexpected status", "no cookie", "logout",
                 "stale piece"):
        count = s.failures.get(what, 0)
        print(f"{what:<{w}}{count:>10}")
        if count:
            fail.append(f"{count} {what}")
    if status.get("5xx", 0):
        fail.append(f"{status['5xx']} 5xx in nginx's access log")
    for what, count in s.failures.items():
        if what not in ("5xx", "transport error", "lost session", "wrong count",
                        "tampered accepted", "junk accepted", "cookie attributes",
                        "unexpected status", "no cookie", "logout", "stale piece"):
            print(f"{what:<{w}}{count:>10}")
            fail.append(f"{count} {what}")

    print("rotation (secret files + SIGHUP to every replica)")
    for t, label in rotation:
        print(f"  t={t:6.1f}s  {label}")
    for phase, ok, detail in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {phase}: {detail}")
        if not ok:
            fail.append(f"{phase}: {detail}")
    if len(rotation) != 3:
        fail.append(f"the rotation went through {len(rotation)} of 3 phases")
    for p in problems:
        print(f"  FAIL {p}")
        fail.append(p)
    by_phase = {}
    for (phase, key), count in s.sealed_keys.items():
        by_phase.setdefault(phase, Counter())[key] += count
    names = {key_a: "A", key_b: "B"}
    for phase in sorted(by_phase):
        keys = ", ".join(f"{names.get(k, '?')} {k}: {c}" for k, c in by_phase[phase].most_common())
        print(f"  cookies sealed {'before phase 1' if phase == 0 else f'from phase {phase}'}: {keys}")
    if 3 in by_phase and any(k != key_b for k in by_phase[3]):
        fail.append(f"cookies sealed with another key than B after phase 3: {dict(by_phase[3])}")

    mets = [metrics(port) for _, port in REPLICAS]
    if all(m is not None for m in mets):
        merged = Counter()
        for m in mets:
            merged += m
        print("/metrics, summed over the replicas")
        for key, value in sorted(merged.items()):
            metric, label = key.split(" ", 1)
            label += {key_a: " (A)", key_b: " (B)"}.get(label, "")
            print(f"  sealed_session_{metric}_total {label:<24}{value:>10.0f}")
    else:
        print("/metrics: not served by this build (skipped)")

    print(f"RSS per replica, MiB (VmRSS once a second; after warm-up = median of "
          f"{int(WARMUP * 100)}-{int(WARMUP * 100) + 10} % of the run, end = median of the last 10 %)")
    print(f"  {'pid':>8} {'start':>7} {'warm':>7} {'end':>7} {'max':>7} {'growth':>8} {'slope/min':>10}")
    for pid, samples in rss.items():
        ts = [t for t, _ in samples]
        vs = [v / 1024 for _, v in samples]
        warm = [v for t, v in zip(ts, vs) if WARMUP * elapsed <= t <= (WARMUP + 0.10) * elapsed]
        end = [v for t, v in zip(ts, vs) if t >= 0.90 * elapsed]
        post = [(t, v) for t, v in zip(ts, vs) if t >= WARMUP * elapsed]
        warm_m, end_m = statistics.median(warm or vs), statistics.median(end or vs)
        growth = end_m - warm_m
        if len(post) >= 3:
            mt = statistics.mean(t for t, _ in post)
            mv = statistics.mean(v for _, v in post)
            den = sum((t - mt) ** 2 for t, _ in post) or 1
            slope = 60 * sum((t - mt) * (v - mv) for t, v in post) / den
        else:
            slope = 0.0
        # Flat: the end within 10 % (at least 2 MiB) of the level after warm-up.
        limit = max(2.0, 0.10 * warm_m)
        flat = growth <= limit
        print(f"  {pid:>8} {vs[0]:>7.1f} {warm_m:>7.1f} {end_m:>7.1f} {max(vs):>7.1f} "
              f"{growth:>+8.1f} {slope:>+10.2f}  {'flat' if flat else f'GROWING (> {limit:.1f})'}")
        if not flat:
            fail.append(f"RSS of {pid} grew {growth:+.1f} MiB after warm-up")
    if os.environ.get("SOAK_FRONT_OK") != "1":
        fail.append("the front (redirect, HTTP/2, HSTS) did not check out")
    if s.examples:
        print("first failures:")
        for e in s.examples:
            print(f"  {e}")
    print()
    if fail:
        print("RESULT: FAIL (" + "; ".join(fail) + ")")
        sys.exit(1)
    print("RESULT: PASS")


main()
PY
status=$?
set -e
if ! kill -0 "$NGINX_PID" 2>/dev/null; then
  echo "soak: nginx died during the run:" >&2
  cat "$WORK/nginx/logs/error.log" "$WORK/nginx/logs/stderr.log" >&2
  status=1
fi
for i in 0 1 2; do
  pid=${REPLICAS[$i]%%:*}
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "soak: replica $((i + 1)) (pid $pid) died during the run:" >&2
    cat "$WORK/logs/replica$((i + 1)).log" >&2
    status=1
  elif [[ -s $WORK/logs/replica$((i + 1)).log ]]; then
    echo "replica $((i + 1)) said:"
    sed 's/^/  /' "$WORK/logs/replica$((i + 1)).log" | tail -n 20
  fi
done
exit "$status"
