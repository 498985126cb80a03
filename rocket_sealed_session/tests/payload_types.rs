//! One request, one payload type: a second `Session` guard asking for a
//! type the session's payload does not convert to must be loud (a 500 and
//! an error log naming both types) and must not lose the session.

use rocket::http::{Header, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::testing::{read_session, session_cookie};
use rocket_sealed_session::{Session, Sessions};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Counter {
    n: u64,
}

/// Needs a field a `Counter` does not have: no conversion.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Profile {
    name: String,
}

/// Reads the counter's field, and defaults the rest: converts.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CounterView {
    n: u64,
    #[serde(default)]
    note: String,
}

#[get("/count")]
fn count(session: Session<'_, Counter>) -> String {
    session.update(|c| c.n += 1);
    session.read(|c| c.n).to_string()
}

#[get("/mismatch")]
fn mismatch(counter: Session<'_, Counter>, profile: Session<'_, Profile>) -> String {
    counter.update(|c| c.n += 100);
    profile.update(|p| p.name.push('x'));
    "both".into()
}

#[get("/compatible")]
fn compatible(counter: Session<'_, Counter>, view: Session<'_, CounterView>) -> String {
    let n = counter.read(|c| c.n);
    format!("{n} {}", view.read(|v| v.n))
}

fn client() -> Client {
    let figment = rocket::Config::figment().merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing())
        .mount("/", routes![count, mismatch, compatible]);
    Client::untracked(rocket).expect("the test app ignites")
}

#[test]
fn an_incompatible_second_payload_type_fails_loudly_and_keeps_the_session() {
    let client = client();
    let cookie = session_cookie(client.rocket(), &Counter { n: 5 });
    let response = client.get("/mismatch").cookie(cookie.clone()).dispatch();
    assert_eq!(response.status(), Status::InternalServerError);
    assert!(response.headers().get("Set-Cookie").next().is_none(), "the cookie is kept");
    // The same cookie still holds the counter.
    let response = client.get("/count").cookie(cookie).dispatch();
    assert_eq!(
        read_session::<Counter>(client.rocket(), response.headers()),
        Some(Counter { n: 6 })
    );
}

#[test]
fn a_compatible_second_payload_type_reads_the_same_session() {
    let client = client();
    let cookie = session_cookie(client.rocket(), &Counter { n: 7 });
    let response = client.get("/compatible").cookie(cookie).dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_string().as_deref(), Some("7 7"));
}

#[test]
fn the_minted_cookie_also_works_as_a_raw_cookie_header() {
    let client = client();
    let cookie = session_cookie(client.rocket(), &Counter { n: 41 });
    let header = format!("{}={}", cookie.name(), cookie.value());
    let response = client.get("/count").header(Header::new("Cookie", header)).dispatch();
    assert_eq!(response.into_string().as_deref(), Some("42"));
}
