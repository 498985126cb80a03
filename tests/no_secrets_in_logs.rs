//! Nothing secret reaches the logs: a full request cycle at the most
//! verbose level, with a valid, a tampered and an expired cookie, and a
//! refused launch, logs neither the secret, nor a cookie value, nor the
//! session's plaintext.
//!
//! Its own test binary, because it installs the process-wide logger.

mod common;

use std::sync::Mutex;

use common::*;
use rocket::http::Cookie;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use sealed_session::session::{ManualClock, Session, Sessions};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut lines) = LINES.lock() {
            lines.push(format!("{} {} {}", record.level(), record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

const CANARY: &str = "plaintext-canary-7f3a9";

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Secretive {
    note: String,
}

#[get("/write")]
fn write(session: Session<'_, Secretive>) -> &'static str {
    session.set(Secretive { note: CANARY.into() });
    "ok"
}

#[get("/read")]
fn read(session: Session<'_, Secretive>) -> String {
    session.read(|s| s.note.len().to_string())
}

#[test]
fn a_full_request_cycle_logs_no_secret_cookie_or_plaintext() {
    log::set_boxed_logger(Box::new(Capture)).expect("the first logger of this binary");
    log::set_max_level(log::LevelFilter::Trace);

    let secret = secret();
    let clock = ManualClock::new(1_000_000);
    let verbose = figment("debug", &secret).merge(("log_level", "debug"));
    let rocket = rocket::custom(verbose)
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", routes![write, read]);
    let client = Client::untracked(rocket).expect("launches");

    let response = client.get("/write").dispatch();
    let value = cookie_value(&set_cookie_for(&response, "sid").expect("sealed")).to_owned();
    client.get("/read").cookie(Cookie::new("sid", value.clone())).dispatch();
    let mut tampered = value.clone();
    tampered.replace_range(10..11, if &value[10..11] == "A" { "B" } else { "A" });
    client.get("/read").cookie(Cookie::new("sid", tampered.clone())).dispatch();
    clock.advance(100_000);
    client.get("/read").cookie(Cookie::new("sid", value.clone())).dispatch();

    let bad_launch = rocket::custom(figment("release", "not base64 but a leaked passphrase"))
        .attach(Sessions::fairing());
    let refusal = Client::untracked(bad_launch).err().map(|e| format!("{e:?}"));
    assert!(refusal.is_some(), "a bad secret must stop the launch");

    let lines = LINES.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(lines.iter().any(|l| l.contains("not accepted")), "the debug reasons were logged");
    for line in &lines {
        assert!(!line.contains(&secret), "secret in log: {line}");
        assert!(!line.contains(&value[..40]), "cookie value in log: {line}");
        assert!(!line.contains(&tampered[..40]), "cookie value in log: {line}");
        assert!(!line.contains(CANARY), "plaintext in log: {line}");
        assert!(!line.contains("leaked passphrase"), "refused secret in log: {line}");
    }
}
