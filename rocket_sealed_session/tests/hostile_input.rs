//! Hostile `Cookie` headers sent through the whole request path (guard,
//! handler, fairing) of a small test rocket: every one of them must give a
//! 200 with either a fresh session or the genuine one, never a 4xx/5xx.
//!
//! Rocket's local client does not parse a raw `Cookie` header into the
//! request's cookie jar (only the HTTP server does, in
//! `rocket::Request::from_hyp`). [`send`] therefore attaches the raw header
//! (which the library reads itself, to see every cookie of its name) and
//! also parses it into the jar exactly as the server does (split on `;`,
//! trim, `Cookie::parse_encoded`, `add_original`, a later cookie of a name
//! replacing an earlier one). The `over_tcp_*` test runs a real server on
//! loopback and sends raw bytes (including bytes that are not UTF-8) to make
//! sure the two paths agree.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::fairing::AdHoc;
use rocket::http::{Cookie, Header, Status};
use rocket::local::blocking::Client;
use rocket::{Build, Rocket};
use rocket_sealed_session::sealing::{KeyRing, Sealer};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Secret, Sessions};

const NAME: &str = "sid";
const T0: u64 = 1_700_000_000;
const MAX_AGE: u64 = 86_400;

/// The test rocket: a known secret, the default cookie name, a clock the
/// test moves.
fn test_rocket(secret: &Secret, clock: &ManualClock) -> Rocket<Build> {
    rocket_with(secret, clock, rocket::Config::figment())
}

fn rocket_with(
    secret: &Secret,
    clock: &ManualClock,
    figment: rocket::figment::Figment,
) -> Rocket<Build> {
    let figment = figment
        .merge(("session.secret", secret.to_base64()))
        .merge(("session.cookie_name", NAME))
        .merge(("session.max_age", MAX_AGE))
        .merge(("session.idle_timeout", 0))
        .merge(("log_level", "off"));
    rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", common::counter::routes())
}

struct Fixture {
    client: Client,
    secret: Secret,
    clock: ManualClock,
}

fn fixture() -> Fixture {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let client = Client::untracked(test_rocket(&secret, &clock)).expect("test rocket ignites");
    Fixture { client, secret, clock }
}

/// What a response said about the session.
#[derive(Debug)]
struct Reply {
    status: Status,
    /// The counter the handler saw (after its own increment on `/`).
    n: u64,
    /// Whether the handler got a fresh session.
    new: bool,
    /// The value of our `Set-Cookie`, if any.
    cookie: Option<String>,
}

/// Sends `GET path` with `cookie_header` as the raw `Cookie` header value,
/// its cookies parsed as Rocket's HTTP server parses them.
fn send(client: &Client, path: &str, cookie_header: Option<&str>) -> Reply {
    let mut req = client.get(path.to_owned());
    if let Some(raw) = cookie_header {
        req = req.header(Header::new("Cookie", raw.to_owned()));
        // As `rocket::Request::from_hyp` does for every `Cookie` header.
        for part in raw.split(';').map(str::trim) {
            if let Ok(cookie) = Cookie::parse_encoded(part.to_owned()) {
                req = req.cookie(cookie.into_owned());
            }
        }
    }
    let res = req.dispatch();
    let status = res.status();
    let cookie = res
        .headers()
        .get("Set-Cookie")
        .filter_map(|v| v.strip_prefix(&format!("{NAME}=")).map(str::to_owned))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| !v.is_empty());
    let body = res.into_string().unwrap_or_default();
    let (n, new) = parse_body(&body);
    Reply { status, n, new, cookie }
}

fn parse_body(body: &str) -> (u64, bool) {
    let mut words = body.split_whitespace();
    let n = words.next().and_then(|w| w.parse().ok()).unwrap_or(u64::MAX);
    let new = words.next() == Some("true");
    (n, new)
}

/// A genuine cookie holding `n`, obtained from the server itself.
fn genuine(fx: &Fixture, n: u64) -> String {
    let mut cookie = send(&fx.client, "/", None).cookie.expect("a first visit sets a cookie");
    for _ in 1..n {
        cookie = send(&fx.client, "/", Some(&format!("{NAME}={cookie}")))
            .cookie
            .expect("every increment re-seals");
    }
    cookie
}

/// Asserts the request got a 200 and a fresh session (on `/`: counter 1 and a
/// new cookie that itself works).
fn assert_fresh(fx: &Fixture, path: &str, reply: &Reply, what: &str) {
    assert_eq!(reply.status, Status::Ok, "{what}: {reply:?}");
    assert!(reply.new, "{what}: expected a fresh session, got {reply:?}");
    match path {
        "/" => {
            assert_eq!(reply.n, 1, "{what}: {reply:?}");
            let cookie = reply.cookie.as_deref().expect("the fresh session is saved");
            let next = send(&fx.client, "/read", Some(&format!("{NAME}={cookie}")));
            assert_eq!((next.status, next.n, next.new), (Status::Ok, 1, false), "{what}");
        }
        _ => {
            assert_eq!(reply.n, 0, "{what}: {reply:?}");
            assert_eq!(reply.cookie, None, "{what}: reading alone sets no cookie");
        }
    }
}

/// Seals a hand-made envelope with `secret` for cookie `name`.
fn forge(secret: &Secret, name: &str, iat: u64, n: u64) -> String {
    let sealer = Sealer::new(KeyRing::new(secret, &[]).expect("a generated secret"), name);
    let envelope = format!(
        r#"{{"id":"AAAAAAAAAAAAAAAAAAAAAA","iat":{iat},"exp":{},"seen":{iat},"data":{{"n":{n}}}}}"#,
        iat + MAX_AGE
    );
    sealer.seal(envelope.as_bytes())
}

#[test]
fn a_genuine_cookie_round_trips_through_the_test_rocket() {
    let fx = fixture();
    let cookie = genuine(&fx, 3);
    let reply = send(&fx.client, "/read", Some(&format!("{NAME}={cookie}")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 3, false));
    let forged = forge(&fx.secret, NAME, T0, 41);
    let reply = send(&fx.client, "/", Some(&format!("{NAME}={forged}")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 42, false), "sealed by the test");
}

#[test]
fn oversized_cookies_of_4_to_16_kib_give_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 2);
    for size in [4 * 1024, 4097, 6 * 1024, 8 * 1024, 8193, 12 * 1024, 16 * 1024] {
        // Base64url garbage, a genuine cookie padded with more base64, and junk.
        let garbage: String = "AbCd-_09".chars().cycle().take(size).collect();
        let padded = format!("{real}{}", &garbage[..size.saturating_sub(real.len())]);
        let junk = "\u{7f}x!".repeat(size / 3);
        for (kind, value) in [("garbage", &garbage), ("padded", &padded), ("junk", &junk)] {
            for path in ["/", "/read"] {
                let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
                assert_fresh(&fx, path, &reply, &format!("{kind} of {size} bytes on {path}"));
            }
        }
    }
}

#[test]
fn hundreds_of_cookies_in_one_header_give_a_fresh_session() {
    let fx = fixture();
    let header = (0..500).map(|i| format!("c{i}=v{i}")).collect::<Vec<_>>().join("; ");
    assert_fresh(&fx, "/", &send(&fx.client, "/", Some(&header)), "500 foreign cookies");
    let ours = (0..300).map(|i| format!("{NAME}=junk{i}")).collect::<Vec<_>>().join("; ");
    assert_fresh(&fx, "/", &send(&fx.client, "/", Some(&ours)), "300 garbage session cookies");
}

#[test]
fn hundreds_of_cookies_around_a_genuine_one_keep_the_session() {
    let fx = fixture();
    let real = genuine(&fx, 5);
    let mut parts: Vec<String> = (0..400).map(|i| format!("c{i}=v{i}")).collect();
    parts.insert(200, format!("{NAME}={real}"));
    let reply = send(&fx.client, "/read", Some(&parts.join("; ")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 5, false), "{reply:?}");
}

/// A browser sends two cookies of the same name when they differ in path or
/// domain (for example one tossed by a sibling subdomain). Rocket's jar keeps
/// only one of them, so the library reads every `sid` in the `Cookie` header
/// itself (src/state.rs, `CookieScan`) and tries each:
/// garbage next to the genuine cookie, in either order, does not lose the
/// session.
#[test]
fn two_session_cookies_garbage_then_genuine_keeps_the_genuine_session() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let header = format!("{NAME}=garbage; {NAME}={real}");
    let reply = send(&fx.client, "/read", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
    let reply = send(&fx.client, "/", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 8, false), "{reply:?}");
}

#[test]
fn two_session_cookies_genuine_then_garbage_keeps_the_genuine_session() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let header = format!("{NAME}={real}; {NAME}=garbage");
    let reply = send(&fx.client, "/read", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
    let reply = send(&fx.client, "/", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 8, false), "{reply:?}");
}

#[test]
fn a_genuine_cookie_behind_foreign_sealed_and_expired_duplicates_is_kept() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let foreign = forge(&Secret::generate(), NAME, T0, 99);
    let other_name = forge(&fx.secret, "other", T0, 99);
    let header = format!("{NAME}={foreign}; {NAME}={other_name}; {NAME}=%FF; {NAME}={real}");
    let reply = send(&fx.client, "/read", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
}

/// A value that passes every check before decryption (length, version,
/// our key id) but is random bytes: each one costs the server an AEAD attempt.
fn junk_with_our_key_id(secret: &Secret) -> String {
    let key_id = KeyRing::new(secret, &[]).expect("a generated secret").current().id();
    let mut raw = vec![0x01];
    raw.extend_from_slice(&key_id);
    raw.extend((0..40).map(|_| rand::random::<u8>()));
    URL_SAFE_NO_PAD.encode(raw)
}

/// Junk that carries our key id, each value distinct, in front of the
/// genuine cookie: the genuine one is still found while the header is
/// within twice nginx's default 8 KiB (about 240 such values).
#[test]
fn junk_with_our_key_id_in_front_cannot_push_the_genuine_cookie_out() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let mut parts: Vec<String> =
        (0..240).map(|_| format!("{NAME}={}", junk_with_our_key_id(&fx.secret))).collect();
    parts.push(format!("{NAME}={real}"));
    let header = parts.join("; ");
    assert!(header.len() <= 16 * 1024, "{} bytes", header.len());
    let reply = send(&fx.client, "/read", Some(&header));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
}

/// Values with an unknown key id are refused before any decryption and do
/// not count towards the limit on AEAD attempts: thousands of them do not
/// hide the genuine cookie.
#[test]
fn thousands_of_foreign_key_ids_in_front_do_not_hide_the_genuine_cookie() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let foreign = Secret::generate();
    let mut parts: Vec<String> =
        (0..2000).map(|_| format!("{NAME}={}", junk_with_our_key_id(&foreign))).collect();
    parts.push(format!("{NAME}={real}"));
    let reply = send(&fx.client, "/read", Some(&parts.join("; ")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
}

/// Far past what servers accept, the AEAD work per request is capped:
/// a genuine cookie behind 300 distinct junk values with our key id is not
/// tried, and the request gets a fresh session (never an error).
#[test]
fn past_the_aead_cap_a_stuffed_header_gives_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let mut parts: Vec<String> =
        (0..300).map(|_| format!("{NAME}={}", junk_with_our_key_id(&fx.secret))).collect();
    parts.push(format!("{NAME}={real}"));
    let reply = send(&fx.client, "/read", Some(&parts.join("; ")));
    assert_fresh(&fx, "/read", &reply, "genuine behind 300 distinct junk values");
}

/// Identical copies cost one attempt: 1000 copies of one junk value do not
/// hide the genuine cookie.
#[test]
fn identical_copies_of_junk_count_once() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    let junk = junk_with_our_key_id(&fx.secret);
    let mut parts: Vec<String> = (0..1000).map(|_| format!("{NAME}={junk}")).collect();
    parts.push(format!("{NAME}={real}"));
    let reply = send(&fx.client, "/read", Some(&parts.join("; ")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 7, false), "{reply:?}");
}

#[test]
fn session_cookies_in_two_cookie_headers_keep_the_genuine_session() {
    let fx = fixture();
    let real = genuine(&fx, 7);
    for (first, second) in [("garbage".to_owned(), real.clone()), (real.clone(), "x".to_owned())] {
        let reply = fx
            .client
            .get("/read")
            .header(Header::new("Cookie", format!("a=b; {NAME}={first}")))
            .header(Header::new("Cookie", format!("{NAME}={second}; c=d")))
            .dispatch();
        assert_eq!(reply.status(), Status::Ok);
        assert_eq!(reply.into_string().as_deref(), Some("7 false"));
    }
}

/// The written rule for two exact-name cookies that both open: to
/// different sessions, neither is used (one may have been tossed by a
/// sibling domain; a fresh session is safer than the wrong user's).
#[test]
fn two_exact_name_cookies_of_different_sessions_give_neither() {
    let fx = fixture();
    let (a, b) = (genuine(&fx, 2), genuine(&fx, 9));
    for header in [format!("{NAME}={a}; {NAME}={b}"), format!("{NAME}={b}; {NAME}={a}")] {
        let reply = send(&fx.client, "/read", Some(&header));
        assert_fresh(&fx, "/read", &reply, "two different sessions");
        let reply = send(&fx.client, "/", Some(&header));
        assert_fresh(&fx, "/", &reply, "two different sessions, changed");
    }
}

/// Two versions of one session (same id), as a browser holding an older
/// copy under another path would send: the first one sent is used.
#[test]
fn two_versions_of_one_session_give_the_first_sent() {
    let fx = fixture();
    let older = genuine(&fx, 2);
    let newer = send(&fx.client, "/", Some(&format!("{NAME}={older}"))).cookie.expect("re-sealed");
    let reply = send(&fx.client, "/read", Some(&format!("{NAME}={newer}; {NAME}={older}")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 3, false), "{reply:?}");
    let reply = send(&fx.client, "/read", Some(&format!("{NAME}={older}; {NAME}={newer}")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 2, false), "{reply:?}");
}

/// Cookie tossing: a sibling subdomain or a plain-HTTP response can set a
/// cookie whose name only looks like ours (percent-encoded, Unicode
/// whitespace around it, another letter case). The browser keeps it apart
/// from the genuine cookie; the server must too. The attacker's own valid
/// session under such a name is never opened, alone or next to the
/// victim's.
#[test]
fn look_alike_cookie_names_never_open_the_attackers_session() {
    let fx = fixture();
    let attacker = genuine(&fx, 41);
    let victim = genuine(&fx, 3);
    let look_alikes = [
        "%73id".to_owned(),
        "si%64".to_owned(),
        "%73%69%64".to_owned(),
        "SID".to_owned(),
        "Sid".to_owned(),
        "sid ".to_owned(),
        "sid\t".to_owned(),
        "\u{a0}sid".to_owned(),
        "sid\u{a0}".to_owned(),
        "\u{2000}sid".to_owned(),
        "sid\u{3000}".to_owned(),
        "\u{feff}sid".to_owned(),
        "sid\u{200b}".to_owned(),
    ];
    for name in &look_alikes {
        let alone = format!("{name}={attacker}");
        assert_fresh(&fx, "/read", &send(&fx.client, "/read", Some(&alone)), &alone);
        assert_fresh(&fx, "/", &send(&fx.client, "/", Some(&alone)), &alone);
        for header in [format!("{alone}; {NAME}={victim}"), format!("{NAME}={victim}; {alone}")] {
            let reply = send(&fx.client, "/read", Some(&header));
            assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 3, false), "{header:?}");
        }
    }
}

/// The same for a `__Host-` cookie, where the look-alikes are what browsers
/// accept without `Secure` or from a sibling domain.
#[test]
fn look_alikes_of_a_host_prefixed_name_never_open_the_attackers_session() {
    const HOST: &str = "__Host-sid";
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let figment = rocket::Config::figment()
        .merge(("session.secret", secret.to_base64()))
        .merge(("session.cookie_name", HOST))
        .merge(("session.secure", true))
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", common::counter::routes());
    let client = Client::untracked(rocket).expect("test rocket ignites");
    let read = |header: String| {
        let mut req = client.get("/read").header(Header::new("Cookie", header.clone()));
        for part in header.split(';').map(str::trim) {
            if let Ok(cookie) = Cookie::parse_encoded(part.to_owned()) {
                req = req.cookie(cookie.into_owned());
            }
        }
        req.dispatch().into_string().unwrap_or_default()
    };
    let attacker = forge(&secret, HOST, T0, 41);
    assert_eq!(read(format!("{HOST}={attacker}")), "41 false", "the forged value is genuine");
    for name in ["__Host%2Dsid", "%5F_Host-sid", "__host-sid", "__HOST-SID", "\u{a0}__Host-sid"] {
        assert_eq!(read(format!("{name}={attacker}")), "0 true", "{name}");
    }
}

/// Values are taken as sent: a percent-encoded value (which no browser
/// sends for a base64url cookie) does not open, and gives a fresh session,
/// never an error.
#[test]
fn a_percent_encoded_genuine_value_gives_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 3);
    let encoded: String = real.bytes().map(|b| format!("%{b:02X}")).collect();
    let reply = send(&fx.client, "/read", Some(&format!("{NAME}={encoded}")));
    assert_fresh(&fx, "/read", &reply, "percent-encoded value");
}

#[test]
fn percent_encoded_garbage_and_invalid_utf8_escapes_give_a_fresh_session() {
    let fx = fixture();
    let values = [
        "%FF%FE%FD",
        "%C3%28",
        "%00%00%00",
        "%",
        "%%",
        "%zz",
        "%E2%82",
        "A%0D%0ASet-Cookie:%20x=y",
        "%41%51%49%44", // "AQID": valid base64, far too short
    ];
    for value in values {
        for path in ["/", "/read"] {
            let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
            assert_fresh(&fx, path, &reply, value);
        }
    }
}

#[test]
fn non_ascii_characters_in_the_cookie_value_give_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 4);
    let values = [
        format!("{real}é"),
        format!("é{real}"),
        format!("{}\u{fffd}{}", &real[..10], &real[11..]),
        "日本語のクッキー".repeat(50),
        "\u{0}\u{1}\u{2}".into(),
        "\"quoted\"".into(),
    ];
    for value in &values {
        for path in ["/", "/read"] {
            let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
            assert_fresh(&fx, path, &reply, value);
        }
    }
}

#[test]
fn a_cookie_sealed_for_another_cookie_name_with_the_same_secret_gives_a_fresh_session() {
    let fx = fixture();
    for other in ["other", "__Host-sid", "SID", "sid ", "my.session.id"] {
        let value = forge(&fx.secret, other, T0, 41);
        for path in ["/", "/read"] {
            let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
            assert_fresh(&fx, path, &reply, other);
        }
    }
}

#[test]
fn a_cookie_sealed_by_another_secret_gives_a_fresh_session() {
    let fx = fixture();
    let value = forge(&Secret::generate(), NAME, T0, 41);
    for path in ["/", "/read"] {
        let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
        assert_fresh(&fx, path, &reply, "another secret");
    }
}

#[test]
fn a_cookie_relabelled_with_our_key_id_but_sealed_by_another_secret_gives_a_fresh_session() {
    let fx = fixture();
    let ours = URL_SAFE_NO_PAD.decode(genuine(&fx, 1)).unwrap();
    let mut theirs = URL_SAFE_NO_PAD.decode(forge(&Secret::generate(), NAME, T0, 41)).unwrap();
    theirs[1..5].copy_from_slice(&ours[1..5]);
    let value = URL_SAFE_NO_PAD.encode(theirs);
    for path in ["/", "/read"] {
        let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
        assert_fresh(&fx, path, &reply, "relabelled");
    }
}

#[test]
fn an_expired_cookie_gives_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 6);
    fx.clock.advance(MAX_AGE - 1);
    let reply = send(&fx.client, "/read", Some(&format!("{NAME}={real}")));
    assert_eq!((reply.status, reply.n, reply.new), (Status::Ok, 6, false), "still alive");
    fx.clock.advance(1);
    for path in ["/", "/read"] {
        let reply = send(&fx.client, path, Some(&format!("{NAME}={real}")));
        assert_fresh(&fx, path, &reply, "expired");
    }
}

#[test]
fn a_cookie_issued_in_the_future_gives_a_fresh_session() {
    let fx = fixture();
    let value = forge(&fx.secret, NAME, T0 + 3600, 41);
    for path in ["/", "/read"] {
        let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
        assert_fresh(&fx, path, &reply, "from the future");
    }
}

#[test]
fn a_truncated_cookie_gives_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 2);
    for cut in [0, 1, 5, 40, 59, 60, 61, real.len() / 2, real.len() - 2, real.len() - 1] {
        for path in ["/", "/read"] {
            let reply = send(&fx.client, path, Some(&format!("{NAME}={}", &real[..cut])));
            assert_fresh(&fx, path, &reply, &format!("cut at {cut}"));
        }
    }
}

#[test]
fn a_genuine_cookie_with_extra_base64_appended_gives_a_fresh_session() {
    let fx = fixture();
    let real = genuine(&fx, 2);
    for extra in ["A", "AA", "AAA", "AAAA", "="] {
        let reply = send(&fx.client, "/read", Some(&format!("{NAME}={real}{extra}")));
        assert_fresh(&fx, "/read", &reply, extra);
    }
}

#[test]
fn a_payload_of_the_wrong_shape_gives_a_fresh_session() {
    let fx = fixture();
    let sealer = Sealer::new(KeyRing::new(&fx.secret, &[]).unwrap(), NAME);
    let envelopes = [
        format!(r#"{{"id":"x","iat":{T0},"exp":{},"seen":{T0},"data":{{"n":-1}}}}"#, T0 + 9),
        format!(r#"{{"id":"x","iat":{T0},"exp":{},"seen":{T0},"data":"n"}}"#, T0 + 9),
        format!(r#"{{"id":"x","iat":{T0},"exp":{},"seen":{T0}}}"#, T0 + 9),
        format!(r#"{{"id":"x","iat":-1,"exp":{},"seen":{T0},"data":{{}}}}"#, T0 + 9),
        format!(r#"{{"id":"x","iat":{T0},"exp":1e999,"seen":{T0},"data":{{}}}}"#),
        r#"{"id":"x","iat":18446744073709551615,"exp":18446744073709551615,"seen":0,"data":{}}"#
            .into(),
        "[".repeat(10_000),
        String::new(),
        "null".into(),
    ];
    for envelope in &envelopes {
        let value = sealer.seal(envelope.as_bytes());
        for path in ["/", "/read"] {
            let reply = send(&fx.client, path, Some(&format!("{NAME}={value}")));
            assert_fresh(&fx, path, &reply, &envelope.chars().take(60).collect::<String>());
        }
    }
}

// ---------------------------------------------------------------------------
// The same cases over a real HTTP connection, raw bytes on the wire.

/// A running test rocket on an ephemeral loopback port; shut down on drop.
struct Server {
    port: u16,
    shutdown: rocket::Shutdown,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(secret: &Secret, clock: &ManualClock) -> Server {
    let (tx, rx) = mpsc::channel();
    let figment = rocket::Config::figment()
        .merge(("port", 0))
        .merge(("address", "127.0.0.1"))
        .merge(("workers", 2))
        .merge(("shutdown.ctrlc", false));
    let rocket = rocket_with(secret, clock, figment).attach(AdHoc::on_liftoff(
        "report port",
        move |rocket| {
            let sent = (rocket.config().port, rocket.shutdown());
            Box::pin(async move {
                let _ = tx.send(sent);
            })
        },
    ));
    let thread = std::thread::spawn(move || {
        let _ = rocket::execute(rocket.launch());
    });
    let (port, shutdown) = rx.recv_timeout(Duration::from_secs(30)).expect("server starts");
    Server { port, shutdown, thread: Some(thread) }
}

/// Sends a raw request with `cookie` as the raw bytes of one `Cookie`
/// header; returns the status code (0 when the server closed the connection
/// without an answer) and the body.
fn raw_get(server: &Server, path: &str, cookie: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n").into_bytes();
    request.extend_from_slice(b"Cookie: ");
    request.extend_from_slice(cookie);
    request.extend_from_slice(b"\r\n\r\n");
    // The server may answer (431) and close before it has read a huge
    // request: a failed write or a reset is not an error here.
    let _ = stream.write_all(&request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[test]
fn over_tcp_hostile_cookie_headers_give_200_and_the_right_session() {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let server = serve(&secret, &clock);
    let real = forge(&secret, NAME, T0, 10);
    let sid = |v: &str| format!("{NAME}={v}").into_bytes();
    let many: String = (0..500).map(|i| format!("c{i}=v{i}; ")).collect();
    let cases: Vec<(&str, Vec<u8>, (u64, bool))> = vec![
        ("genuine", sid(&real), (10, false)),
        ("invalid UTF-8 bytes", [&b"sid=\xff\xfe"[..], real.as_bytes()].concat(), (0, true)),
        // Rocket drops a whole Cookie header that is not UTF-8.
        ("genuine then invalid UTF-8", [sid(&real), b"; x=\xc3\x28".to_vec()].concat(), (0, true)),
        ("garbage then genuine", [&b"sid=junk; "[..], &sid(&real)].concat(), (10, false)),
        ("16 KiB", sid(&"A".repeat(16 * 1024)), (0, true)),
        ("hundreds, then genuine", [many.as_bytes(), &sid(&real)].concat(), (10, false)),
        ("percent garbage", sid("%FF%00%zz"), (0, true)),
        ("other name", sid(&forge(&secret, "other", T0, 10)), (0, true)),
        ("truncated", sid(&real[..real.len() - 1]), (0, true)),
        // Two `Cookie` header lines (as HTTP/2 sends them, split per cookie).
        ("two headers", [&b"sid=junk\r\nCookie: "[..], &sid(&real)].concat(), (10, false)),
        // Look-alike names (cookie tossing): Rocket's jar would decode or
        // trim them into `sid`; the library must not take them for it.
        ("percent-encoded name", format!("s%69d={real}").into_bytes(), (0, true)),
        ("NBSP after the name", format!("sid\u{a0}={real}").into_bytes(), (0, true)),
        ("ideographic space before", format!("\u{3000}sid={real}").into_bytes(), (0, true)),
        ("space before =", format!("sid ={real}").into_bytes(), (0, true)),
        ("upper case", format!("SID={real}").into_bytes(), (0, true)),
    ];
    for (what, cookie, (n, new)) in cases {
        let (status, body) = raw_get(&server, "/read", &cookie);
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(parse_body(&body), (n, new), "{what}: {body}");
    }
    let (status, body) = raw_get(&server, "/read", format!("sid={real}; sid=junk").as_bytes());
    assert_eq!((status, parse_body(&body)), (200, (10, false)), "genuine then garbage: {body}");
    // Far beyond any browser's limits: refused by the HTTP layer or served
    // as a fresh session, never a 5xx.
    for size in [64 * 1024, 512 * 1024] {
        let (status, body) = raw_get(&server, "/read", &sid(&"A".repeat(size)));
        assert!(status < 500, "{size} bytes: {status} {body}");
        assert!(status != 200 || parse_body(&body) == (0, true), "{size} bytes: {body}");
    }
}
