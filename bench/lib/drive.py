#!/usr/bin/env python3
"""Drives one route of a benchmark server for the callgrind counts.

    python3 bench/lib/drive.py PORT ROUTE N

Used by bench/lib/callgrind.sh (so by bench/callgrind.sh and bench/layers.sh)
while the server runs under callgrind. Everything goes over ONE keep-alive
connection to 127.0.0.1:PORT: a few set-up requests, then N requests to ROUTE
that all carry the same session cookie. The set-up is the same whatever N is,
so it cancels out of the difference of two runs (N1 and N2 requests).

It also checks that the server does what the figure claims, and exits non-zero
(with the reason on stderr) otherwise, since a layer that silently started a
fresh session on every request, or re-sealed where it should only read, would
give a wrong figure:

- /counter and /private (counter routes: open, increment, re-seal): the first
  answer without a cookie is "1" with a Set-Cookie; sent back, that cookie
  gives "2" and a new Set-Cookie (the counter came from the cookie); every
  measured request, carrying that second cookie, answers "3" with a
  Set-Cookie (re-sealed every time);
- /peek (open and read): without a cookie it answers "0" and sets none; the
  measured requests carry a cookie that /counter sealed with views = 2 and
  must all answer "2" without any Set-Cookie (read, never re-sealed);
- /plain: "ok" and no Set-Cookie, with that same cookie sent;
- any other route: a 200 (with /counter's cookie if the route sets none).

The connection must stay open throughout: a server that closed it would
make every request pay a new connection.
"""

import http.client
import sys

COUNTER_ROUTES = ("/counter", "/private")


def fail(msg):
    sys.exit(f"drive.py: {ROUTE}: {msg}")


def cookie_pairs(resp):
    """The name=value pairs of the response's Set-Cookie headers."""
    return [v.split(";", 1)[0].strip() for h, v in resp.getheaders() if h.lower() == "set-cookie"]


def get(route, cookie):
    CONN.request("GET", route, headers={"Cookie": cookie} if cookie else {})
    resp = CONN.getresponse()
    body = resp.read().decode("utf-8", "replace")
    if resp.status != 200:
        fail(f"GET {route} answered {resp.status}: {body[:200]!r}")
    return body, cookie_pairs(resp)


def expect(route, cookie, body, sets):
    """GET route with cookie; checks the body and whether a cookie was set.
    Returns the cookies set."""
    got, pairs = get(route, cookie)
    if body is not None and got != body:
        fail(f"GET {route} answered {got!r}, expected {body!r} (cookie sent: {bool(cookie)})")
    if sets is True and not pairs:
        fail(f"GET {route} set no cookie: the session was not re-sealed")
    if sets is False and pairs:
        fail(f"GET {route} set a cookie where it should only read: {pairs[0][:60]}...")
    return pairs


def sealed_twice(route):
    """Seals views = 1 and then 2 through counter route `route`; returns the
    second cookie."""
    first = expect(route, None, "1", True)
    second = expect(route, "; ".join(first), "2", True)
    if second == first:
        fail(f"GET {route} sent back the cookie it was given")
    return "; ".join(second)


def main():
    n = int(sys.argv[3])
    if ROUTE in COUNTER_ROUTES:
        cookie = sealed_twice(ROUTE)
        want, sets = "3", True
    elif ROUTE == "/peek":
        expect(ROUTE, None, "0", False)
        cookie = sealed_twice("/counter")
        want, sets = "2", False
    elif ROUTE == "/plain":
        expect(ROUTE, None, "ok", False)
        cookie = sealed_twice("/counter")
        want, sets = "ok", False
    else:
        # As bench/callgrind.sh always did for a route it does not know.
        _, pairs = get(ROUTE, None)
        if not pairs:
            _, pairs = get("/counter", None)
        cookie = "; ".join(pairs) or None
        want, sets = None, None
    sock = CONN.sock
    for _ in range(n):
        expect(ROUTE, cookie, want, sets)
        if CONN.sock is not sock:
            fail("the server closed the keep-alive connection")
    CONN.close()


if __name__ == "__main__":
    PORT, ROUTE = int(sys.argv[1]), sys.argv[2]
    CONN = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    main()
