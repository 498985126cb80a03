//! Payload types: one request, one payload type (a second `Session` guard
//! asking for a type the session's payload does not convert to is loud: a
//! 500 and an error log naming both types, and the session is kept); and
//! payloads that change between releases (additive changes keep sessions;
//! a breaking one is a fresh session with a warning naming the type).

use std::sync::{Mutex, Once};

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

/// Log lines of this test binary (installed before any rocket, so that
/// Rocket's own logger does not take the place).
static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut logs) = LOGS.lock() {
            logs.push(format!("{} {}", record.level(), record.args()));
        }
    }

    fn flush(&self) {}
}

fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = log::set_boxed_logger(Box::new(Capture));
        log::set_max_level(log::LevelFilter::Debug);
    });
}

fn logged(needle: &str) -> Vec<String> {
    LOGS.lock()
        .map(|l| l.iter().filter(|l| l.contains(needle)).cloned().collect())
        .unwrap_or_default()
}

fn client() -> Client {
    capture_logs();
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

/// Release 1 of an app's payload.
#[derive(Debug, Default, Serialize, Deserialize)]
struct AccountV1 {
    user: Option<String>,
    views: u64,
}

/// Release 2, additive: a new field with a default, so release-1 cookies
/// still open here, and (serde ignores unknown fields) release-2 cookies
/// still open on a release-1 replica during a rolling deploy.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct AccountV2 {
    user: Option<String>,
    views: u64,
    #[serde(default)]
    theme: Option<String>,
}

/// A breaking change: `views` changed type, without a migration.
#[derive(Debug, Default, Serialize, Deserialize)]
struct AccountBroken {
    user: Option<String>,
    views: String,
}

#[get("/v1")]
fn v1(session: Session<'_, AccountV1>) -> String {
    session.update(|a| a.views += 1);
    session.read(|a| format!("{:?} {}", a.user, a.views))
}

#[get("/v2")]
fn v2(session: Session<'_, AccountV2>) -> String {
    session.update(|a| {
        a.views += 1;
        a.theme.get_or_insert_with(|| "dark".into());
    });
    session.read(|a| format!("{:?} {} {:?}", a.user, a.views, a.theme))
}

#[get("/broken")]
fn broken(session: Session<'_, AccountBroken>) -> String {
    format!(
        "{:?} {:?} {}",
        session.read(|a| a.user.clone()),
        session.read(|a| a.views.clone()),
        session.is_new()
    )
}

fn releases() -> Client {
    capture_logs();
    let figment = rocket::Config::figment().merge(("log_level", "off"));
    let rocket =
        rocket::custom(figment).attach(Sessions::fairing()).mount("/", routes![v1, v2, broken]);
    Client::untracked(rocket).expect("the test app ignites")
}

#[test]
fn an_additive_payload_change_keeps_sessions_both_ways_during_a_rolling_deploy() {
    let client = releases();
    let old = session_cookie(client.rocket(), &AccountV1 { user: Some("ada".into()), views: 4 });
    let response = client.get("/v2").cookie(old).dispatch();
    let upgraded: Option<AccountV2> = read_session(client.rocket(), response.headers());
    assert_eq!(response.into_string().as_deref(), Some("Some(\"ada\") 5 Some(\"dark\")"));
    // The release-2 cookie, back on a release-1 replica.
    let upgraded = upgraded.expect("re-sealed");
    let back = session_cookie(client.rocket(), &upgraded);
    let response = client.get("/v1").cookie(back).dispatch();
    assert_eq!(response.into_string().as_deref(), Some("Some(\"ada\") 6"));
}

#[test]
fn a_breaking_payload_change_is_a_fresh_session_and_a_warning_naming_the_type() {
    let client = releases();
    let old =
        session_cookie(client.rocket(), &AccountV1 { user: Some("grace-hopper".into()), views: 9 });
    let response = client.get("/broken").cookie(old).dispatch();
    assert_eq!(response.into_string().as_deref(), Some("None \"\" true"));
    let warnings = logged("AccountBroken");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("WARN") && w.contains("invalid type, expected a string")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().all(|w| !w.contains("grace-hopper")),
        "no payload content: {warnings:?}"
    );
}
