//! The request lifecycle of DESIGN.md through the demo app and small test
//! apps: when a cookie is sealed, removed, or left alone.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use rocket::http::{Cookie, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Session, Sessions};

#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct Counter {
    n: u64,
}

#[get("/count")]
fn count(session: Session<'_, Counter>) -> String {
    session.update(|c| c.n += 1);
    session.read(|c| c.n).to_string()
}

#[get("/peek")]
fn peek(session: Session<'_, Counter>) -> String {
    session.read(|c| c.n).to_string()
}

#[get("/fail")]
fn fail(session: Session<'_, Counter>) -> Status {
    session.update(|c| c.n += 100);
    Status::InternalServerError
}

#[get("/two-guards")]
fn two_guards(a: Session<'_, Counter>, b: Session<'_, Counter>) -> String {
    a.update(|c| c.n += 1);
    b.read(|c| c.n).to_string()
}

#[get("/touch")]
fn touch(session: Session<'_, Counter>) -> &'static str {
    session.mark_dirty();
    "touched"
}

#[get("/regenerate")]
fn regenerate(session: Session<'_, Counter>) -> String {
    session.regenerate();
    session.id()
}

#[get("/take")]
fn take(session: Session<'_, Counter>) -> String {
    session.take().n.to_string()
}

#[get("/deadlines")]
fn deadlines(session: Session<'_, Counter>) -> String {
    format!("{:?} {:?} {}", session.idle_timeout(), session.idle_deadline(), session.expires_at())
}

#[get("/id")]
fn id(session: Session<'_, Counter>) -> String {
    session.id()
}

/// A catcher sees the same session as the handlers.
#[rocket::catch(404)]
async fn not_found(req: &rocket::Request<'_>) -> String {
    match req.guard::<Session<'_, Counter>>().await {
        rocket::outcome::Outcome::Success(session) => {
            format!("404 at count {}", session.read(|c| c.n))
        }
        _ => "404 without a session".into(),
    }
}

/// A small app with the routes above, its clock under the test's control.
fn test_client(secret: &str, extra: &[(&str, i64)], clock: &ManualClock) -> Client {
    let mut figment = figment("debug", secret);
    for (key, value) in extra {
        figment = figment.merge((format!("session.{key}"), *value));
    }
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", routes![count, peek, fail, two_guards, touch, regenerate, take, deadlines, id])
        .register("/", rocket::catchers![not_found]);
    Client::tracked(rocket).expect("the test app launches")
}

#[test]
fn counter_counts_one_two_three() {
    let client = demo_client(&secret());
    for expected in 1..=3 {
        let page = client.get("/").dispatch().into_string().unwrap_or_default();
        assert_eq!(views_in(&page), Some(expected), "{page}");
    }
}

#[test]
fn debug_cookie_has_the_seed_attributes() {
    let client = demo_client(&secret());
    let response = client.get("/").dispatch();
    let set_cookie = set_cookie_for(&response, "sid").expect("a session cookie");
    let attrs = attributes(&set_cookie);
    let has = |name: &str| attrs.iter().any(|(n, _)| n == name);
    let value_of = |name: &str| attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert!(has("httponly"), "{set_cookie}");
    assert_eq!(value_of("samesite").as_deref(), Some("Lax"));
    assert_eq!(value_of("path").as_deref(), Some("/"));
    let max_age: u64 = value_of("max-age").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((86_390..=86_400).contains(&max_age), "{set_cookie}");
    assert!(!has("secure"), "debug serves plain http: {set_cookie}");
}

#[test]
fn release_profile_uses_a_host_prefixed_secure_cookie() {
    let rocket = sealed_session_demo::app::rocket().configure(figment("release", &secret()));
    let client = Client::tracked(rocket).expect("release launches with a secret");
    let response = client.get("/").dispatch();
    let set_cookie = set_cookie_for(&response, "__Host-sid").expect("a __Host- cookie");
    let attrs = attributes(&set_cookie);
    assert!(attrs.iter().any(|(n, _)| n == "secure"), "{set_cookie}");
    assert!(attrs.iter().any(|(n, v)| n == "path" && v == "/"), "{set_cookie}");
    assert!(!attrs.iter().any(|(n, _)| n == "domain"), "{set_cookie}");
}

#[test]
fn a_read_only_route_sends_no_set_cookie() {
    let client = demo_client(&secret());
    client.get("/").dispatch();
    let response = client.get("/api/session").dispatch();
    assert!(set_cookies(&response).is_empty(), "{:?}", set_cookies(&response));
    let json: serde_json::Value = response.into_json().expect("json");
    assert_eq!(json["views"], 1);
}

#[test]
fn a_new_visitor_on_a_read_only_route_gets_no_cookie() {
    let client = demo_client(&secret());
    let response = client.get("/api/session").dispatch();
    assert!(set_cookies(&response).is_empty());
    let json: serde_json::Value = response.into_json().expect("json");
    assert!(json["id"].is_null() && json["views"].is_null() && json["expires_at"].is_null());
}

#[test]
fn health_never_touches_sessions() {
    let client = demo_client(&secret());
    let response = client.get("/health").dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookies(&response).is_empty());
}

#[test]
fn logout_sends_the_removal_cookie_and_the_next_visit_counts_from_one() {
    let client = demo_client(&secret());
    client.get("/").dispatch();
    client.get("/").dispatch();
    let response = client.get("/logout").dispatch();
    let removal = set_cookie_for(&response, "sid").expect("a removal cookie");
    assert_eq!(cookie_value(&removal), "");
    assert!(attributes(&removal).contains(&("max-age".into(), "0".into())), "{removal}");
    assert!(attributes(&removal).contains(&("path".into(), "/".into())), "{removal}");
    let body = response.into_string().unwrap_or_default();
    assert!(body.contains("Logged out successfully!"), "{body}");
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert_eq!(views_in(&page), Some(1));
}

/// The cookie value with one bit flipped in the sealed byte at `index`
/// (negative: from the end), re-encoded as a well-formed cookie value.
fn flip_bit(value: &str, index: isize, mask: u8) -> String {
    let mut raw = URL_SAFE_NO_PAD.decode(value).expect("a cookie we sealed is base64url");
    let at = if index < 0 { raw.len() - index.unsigned_abs() } else { index.unsigned_abs() };
    raw[at] ^= mask;
    URL_SAFE_NO_PAD.encode(raw)
}

/// The 4-byte key id of a sealed cookie value (after the version byte).
fn key_id_of(value: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value).map(|raw| raw[1..5].to_vec()).unwrap_or_default()
}

#[test]
fn a_tampered_or_garbage_cookie_gives_a_fresh_session_with_200() {
    // One secret for every client: the tampered cookies carry the key id
    // of a key the server holds, so they can only be refused on their
    // AEAD tag, never on an unknown key id.
    let secret = secret();
    let client = demo_client(&secret);
    let response = client.get("/").dispatch();
    let genuine = cookie_value(&set_cookie_for(&response, "sid").expect("cookie")).to_owned();
    // Sealed bytes: version (0), key id (1..5), nonce (5..29), ciphertext, tag (last 16).
    let tampered = [
        ("nonce", flip_bit(&genuine, 12, 0x01)),
        ("ciphertext", flip_bit(&genuine, 29, 0x01)),
        ("last ciphertext byte", flip_bit(&genuine, -17, 0x80)),
        ("tag", flip_bit(&genuine, -1, 0x01)),
    ];

    // The untampered cookie opens with the same secret on a fresh client.
    let fresh = demo_client(&secret);
    let response = fresh.get("/").cookie(Cookie::new("sid", genuine.clone())).dispatch();
    assert_eq!(views_in(&response.into_string().unwrap_or_default()), Some(2), "genuine");

    for (what, value) in &tampered {
        assert_ne!(value, &genuine, "{what}");
        assert_eq!(key_id_of(value), key_id_of(&genuine), "{what}: the key id is intact");
        let fresh = demo_client(&secret);
        let response = fresh.get("/").cookie(Cookie::new("sid", value.clone())).dispatch();
        assert_eq!(response.status(), Status::Ok, "{what}");
        assert_eq!(views_in(&response.into_string().unwrap_or_default()), Some(1), "{what}");
    }
    for bad in ["garbage", "", "%00%ff"] {
        let fresh = demo_client(&secret);
        let response = fresh.get("/").cookie(Cookie::new("sid", bad.to_owned())).dispatch();
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(views_in(&response.into_string().unwrap_or_default()), Some(1), "{bad}");
    }
}

#[test]
fn a_server_error_leaves_the_clients_cookie_alone() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[], &clock);
    client.get("/count").dispatch();
    let response = client.get("/fail").dispatch();
    assert_eq!(response.status(), Status::InternalServerError);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("1"));
}

#[test]
fn several_guards_share_one_session() {
    let client = test_client(&secret(), &[], &ManualClock::new(1_000_000));
    let response = client.get("/two-guards").dispatch();
    assert_eq!(response.into_string().as_deref(), Some("1"));
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("1"));
}

#[test]
fn mark_dirty_saves_without_a_change() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[], &clock);
    client.get("/count").dispatch();
    clock.advance(10);
    assert_eq!(set_cookies(&client.get("/peek").dispatch()).len(), 0);
    assert_eq!(set_cookies(&client.get("/touch").dispatch()).len(), 1);
}

#[test]
fn regenerate_gives_a_new_id_and_keeps_the_data() {
    let client = test_client(&secret(), &[], &ManualClock::new(1_000_000));
    client.get("/count").dispatch();
    let before = client.get("/id").dispatch().into_string();
    let after = client.get("/regenerate").dispatch().into_string();
    assert_ne!(before, after);
    assert_eq!(client.get("/id").dispatch().into_string(), after);
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("1"));
}

#[test]
fn the_session_ends_at_its_absolute_deadline() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[("max_age", 60)], &clock);
    client.get("/count").dispatch();
    clock.advance(59);
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("1"));
    clock.advance(1);
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("0"));
}

#[test]
fn the_idle_timeout_ends_a_quiet_session_and_rolling_extends_a_busy_one() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[("idle_timeout", 100)], &clock);
    client.get("/count").dispatch();
    clock.advance(40);
    let early = client.get("/peek").dispatch();
    assert!(set_cookies(&early).is_empty(), "no re-seal before half the idle window");
    clock.advance(20);
    let rolled = client.get("/peek").dispatch();
    let set_cookie = set_cookie_for(&rolled, "sid").expect("rolled past half the window");
    assert!(attributes(&set_cookie).contains(&("max-age".into(), "100".into())), "{set_cookie}");
    clock.advance(99);
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("1"));
    clock.advance(100);
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("0"));
}

#[test]
fn max_age_counts_down_to_the_absolute_deadline() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[("max_age", 3600)], &clock);
    client.get("/count").dispatch();
    clock.advance(600);
    let response = client.get("/count").dispatch();
    let set_cookie = set_cookie_for(&response, "sid").expect("re-sealed");
    assert!(attributes(&set_cookie).contains(&("max-age".into(), "3000".into())), "{set_cookie}");
}

#[test]
fn a_route_using_session_without_the_fairing_fails_at_launch() {
    let rocket = rocket::custom(figment("debug", &secret())).mount("/", routes![count]);
    match Client::tracked(rocket) {
        Ok(_) => panic!("launch must be aborted"),
        Err(error) => assert!(format!("{error:?}").contains("Sentinel"), "{error:?}"),
    }
}

#[test]
fn responses_that_set_a_session_cookie_are_not_cacheable() {
    let client = demo_client(&secret());
    let response = client.get("/").dispatch();
    assert_eq!(response.headers().get_one("Cache-Control"), Some("private, no-store"));
    assert!(response.headers().get("Vary").any(|v| v.contains("Cookie")));
}

#[test]
fn a_stale_cookie_of_the_same_name_does_not_hide_the_genuine_one() {
    let secret = secret();
    let client = demo_client(&secret);
    let response = client.get("/").dispatch();
    let genuine = cookie_value(&set_cookie_for(&response, "sid").expect("cookie")).to_owned();
    let stale = "AQAAAAAA-stale-cookie-from-another-path";
    for header in [format!("sid={genuine}; sid={stale}"), format!("sid={stale}; sid={genuine}")] {
        let client = demo_client(&secret);
        let response =
            client.get("/").header(rocket::http::Header::new("Cookie", header.clone())).dispatch();
        assert_eq!(views_in(&response.into_string().unwrap_or_default()), Some(2), "{header}");
    }
}

#[test]
fn taking_all_data_out_removes_the_cookie() {
    let client = test_client(&secret(), &[], &ManualClock::new(1_000_000));
    client.get("/count").dispatch();
    client.get("/count").dispatch();
    let response = client.get("/take").dispatch();
    let removal = set_cookie_for(&response, "sid").expect("a removal cookie");
    assert!(removal.starts_with("sid=;") && removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(response.into_string().as_deref(), Some("2"));
    assert_eq!(client.get("/peek").dispatch().into_string().as_deref(), Some("0"));
}

#[test]
fn a_new_visitor_whose_change_leaves_the_session_empty_gets_no_cookie() {
    let client = test_client(&secret(), &[], &ManualClock::new(1_000_000));
    let response = client.get("/take").dispatch();
    assert!(set_cookies(&response).is_empty(), "{:?}", set_cookies(&response));
}

#[test]
fn a_catcher_reads_the_session_and_sends_no_cookie() {
    let client = test_client(&secret(), &[], &ManualClock::new(1_000_000));
    client.get("/count").dispatch();
    let response = client.get("/nowhere").dispatch();
    assert_eq!(response.status(), Status::NotFound);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(response.into_string().as_deref(), Some("404 at count 1"));
}

#[test]
fn deadlines_report_the_nearer_of_idle_and_absolute() {
    let clock = ManualClock::new(1_000_000);
    let client = test_client(&secret(), &[("idle_timeout", 100), ("max_age", 150)], &clock);
    client.get("/count").dispatch();
    clock.advance(10);
    let text = client.get("/deadlines").dispatch().into_string();
    assert_eq!(text.as_deref(), Some("Some(100) Some(1000100) 1000100"), "idle from the last seal");
    clock.advance(50);
    client.get("/count").dispatch();
    let text = client.get("/deadlines").dispatch().into_string();
    assert_eq!(text.as_deref(), Some("Some(100) Some(1000160) 1000150"), "absolute comes first");

    let plain = test_client(&secret(), &[], &clock);
    let text = plain.get("/deadlines").dispatch().into_string();
    assert_eq!(text.as_deref(), Some(format!("None None {}", 1_000_060 + 86_400).as_str()));
}

/// The demo's `/metrics`: the library's counters in the Prometheus text
/// format, with the key id of a cookie that opened and its latest deadline.
#[test]
fn metrics_show_sessions_by_outcome_and_key_id() {
    let client = demo_client(&secret());
    client.get("/").dispatch(); // sealed
    client.get("/").dispatch(); // opened, sealed again
    let key_id = client
        .get("/api/session")
        .dispatch()
        .into_json::<serde_json::Value>()
        .and_then(|json| json["key_id"].as_str().map(str::to_owned));
    let response = client.get("/metrics").dispatch();
    assert_eq!(response.status(), Status::Ok);
    let text = response.into_string().unwrap_or_default();
    assert!(text.contains("sealed_session_sealed_total"), "{text}");
    assert!(text.contains("sealed_session_opened_total{key_id="), "{text}");
    assert!(text.contains("sealed_session_key_latest_deadline_seconds{key_id="), "{text}");
    if let Some(key_id) = key_id {
        assert!(text.contains(&format!("key_id=\"{key_id}\"")), "{key_id}: {text}");
    }
    assert!(!text.contains("sid="), "no cookie in the metrics");
}
