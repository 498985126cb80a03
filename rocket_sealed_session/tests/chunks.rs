//! Sessions past one cookie (`max_chunks` > 1), through the whole guard and
//! fairing path with Rocket's local client: a big session is cut into
//! `sid`, `sid.1`, ...; it opens only whole; shrinking and destroying remove
//! the pieces no longer used; the request-header budget still holds.

use rocket::http::{Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use rocket::{get, post, routes};
use rocket_sealed_session::{Secret, Session, Sessions};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Notes {
    notes: Vec<String>,
}

/// Sets the payload to `count` notes of 100 random-looking characters
/// (they do not compress; the cookie grows with them).
#[post("/notes/<count>")]
fn fill(session: Session<'_, Notes>, count: usize) -> String {
    let notes = (0..count).map(|i| format!("{i:04}-{}", "x".repeat(95))).collect();
    match session.try_set(Notes { notes }) {
        Ok(()) => format!("{} cookies", session.cookies_needed().unwrap_or(0)),
        Err((_, err)) => format!("refused: {err}"),
    }
}

#[post("/notes/<count>/forced")]
fn force(session: Session<'_, Notes>, count: usize) -> &'static str {
    session
        .set(Notes { notes: (0..count).map(|i| format!("{i:04}-{}", "y".repeat(95))).collect() });
    "set"
}

#[get("/count")]
fn count(session: Session<'_, Notes>) -> String {
    format!("{} {}", session.read(|n| n.notes.len()), session.is_new())
}

#[post("/logout")]
fn logout(session: Session<'_, Notes>) {
    session.destroy();
}

fn client(secret: &Secret, max_chunks: usize) -> Client {
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("session.secret", secret.to_base64()))
        .merge(("session.max_chunks", max_chunks));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing())
        .mount("/", routes![fill, force, count, logout]);
    Client::untracked(rocket).expect("the test app ignites")
}

/// `(name, value)` of every `Set-Cookie`, in order.
fn set_cookies(response: &LocalResponse<'_>) -> Vec<(String, String)> {
    response
        .headers()
        .get("Set-Cookie")
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn live(cookies: &[(String, String)]) -> Vec<(String, String)> {
    cookies.iter().filter(|(_, v)| !v.is_empty()).cloned().collect()
}

fn header(cookies: &[(String, String)]) -> String {
    cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
}

fn get_count(client: &Client, cookie_header: &str) -> String {
    let response = client.get("/count").header(Header::new("Cookie", cookie_header.to_owned()));
    response.dispatch().into_string().unwrap_or_default()
}

#[test]
fn a_session_past_one_cookie_is_cut_into_numbered_cookies_and_opens_whole() {
    let client = client(&Secret::generate(), 3);
    let response = client.post("/notes/40").dispatch();
    assert_eq!(response.into_string().as_deref(), Some("2 cookies"));
    let response = client.post("/notes/40").dispatch();
    let cookies = live(&set_cookies(&response));
    let names: Vec<&str> = cookies.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sid", "sid.1"]);
    for set_cookie in response.headers().get("Set-Cookie") {
        assert!(set_cookie.len() <= 4096, "{} bytes", set_cookie.len());
        assert!(set_cookie.contains("; HttpOnly") && set_cookie.contains("; Path=/"));
    }
    assert_eq!(get_count(&client, &header(&cookies)), "40 false");
    // In another order in the header: each piece is found by its name.
    let reversed: Vec<_> = cookies.iter().rev().cloned().collect();
    assert_eq!(get_count(&client, &header(&reversed)), "40 false");
}

#[test]
fn a_missing_extra_swapped_or_foreign_piece_gives_a_fresh_session() {
    let secret = Secret::generate();
    let client = client(&secret, 4);
    let cookies = live(&set_cookies(&client.post("/notes/40").dispatch()));
    assert_eq!(cookies.len(), 2);
    let other = live(&set_cookies(&client.post("/notes/40").dispatch()));
    let (first, second) = (&cookies[0], &cookies[1]);
    let cases = [
        ("missing piece", vec![first.clone()]),
        ("extra piece", vec![first.clone(), second.clone(), ("sid.2".into(), "QUFBQQ".into())]),
        (
            "swapped values",
            vec![("sid".into(), second.1.clone()), ("sid.1".into(), first.1.clone())],
        ),
        ("foreign piece", vec![first.clone(), other[1].clone()]),
        ("piece renamed", vec![first.clone(), ("sid.2".into(), second.1.clone())]),
    ];
    for (what, cookies) in cases {
        assert_eq!(get_count(&client, &header(&cookies)), "0 true", "{what}");
    }
    // Two different values for one piece name: ambiguous, fresh.
    let doubled = vec![first.clone(), second.clone(), ("sid.1".into(), other[1].1.clone())];
    assert_eq!(get_count(&client, &header(&doubled)), "0 true", "two values for sid.1");
    // And the genuine set still opens.
    assert_eq!(get_count(&client, &header(&cookies)), "40 false");
}

#[test]
fn shrinking_removes_the_pieces_no_longer_used_and_destroy_removes_all() {
    let client = client(&Secret::generate(), 4);
    let big = live(&set_cookies(&client.post("/notes/40").dispatch()));
    assert_eq!(big.len(), 2);
    let response = client.post("/notes/2").header(Header::new("Cookie", header(&big))).dispatch();
    let sent = set_cookies(&response);
    assert_eq!(live(&sent).len(), 1, "{sent:?}");
    assert!(sent.contains(&("sid.1".to_owned(), String::new())), "sid.1 removed: {sent:?}");
    let response = client.post("/logout").header(Header::new("Cookie", header(&big))).dispatch();
    let sent = set_cookies(&response);
    let removed: Vec<&str> =
        sent.iter().filter(|(_, v)| v.is_empty()).map(|(n, _)| n.as_str()).collect();
    assert_eq!(removed, ["sid", "sid.1"]);
}

#[test]
fn with_one_chunk_allowed_a_big_session_is_refused_as_before() {
    let client = client(&Secret::generate(), 1);
    let reply = client.post("/notes/40").dispatch().into_string().unwrap_or_default();
    assert!(reply.starts_with("refused: sealed session cookie needs"), "{reply}");
    let response = client.post("/notes/40/forced").dispatch();
    assert_eq!(response.status(), Status::InternalServerError);
    assert!(response.headers().get("Set-Cookie").next().is_none());
}

#[test]
fn the_request_header_budget_caps_a_chunked_session() {
    let client = client(&Secret::generate(), 8);
    let reply = client.post("/notes/80").dispatch().into_string().unwrap_or_default();
    assert!(reply.starts_with("refused:") && reply.contains("7168"), "{reply}");
    let response = client.post("/notes/80/forced").dispatch();
    assert_eq!(response.status(), Status::InternalServerError);
    assert!(response.headers().get("Set-Cookie").next().is_none());
}

#[test]
fn after_max_chunks_is_lowered_a_shrunk_session_still_removes_its_old_pieces() {
    let secret = Secret::generate();
    let big = live(&set_cookies(&client(&secret, 4).post("/notes/40").dispatch()));
    assert_eq!(big.len(), 2);
    let lowered = client(&secret, 1);
    let response = lowered.post("/notes/2").header(Header::new("Cookie", header(&big))).dispatch();
    let sent = set_cookies(&response);
    assert!(sent.contains(&("sid.1".to_owned(), String::new())), "sid.1 removed: {sent:?}");
}
