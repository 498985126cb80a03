//! Nothing secret reaches the logs.
//!
//! - In process, with every log record captured at the most verbose level:
//!   a full request cycle with a valid, a tampered and an expired cookie,
//!   and a refused launch, log neither the secret, nor a cookie value, nor
//!   the session's plaintext (the library's own records).
//! - The real demo binary at each of Rocket's log levels (`off`, `critical`,
//!   `normal`, `debug`), its stdout and stderr captured: at `off`,
//!   `critical` and `normal`, no secret, no cookie value and no session
//!   plaintext appear; at `debug` Rocket itself logs every request and
//!   response header, cookies included, so there the launch warning saying
//!   that it "prints session cookies" must appear, before any cookie value.
//!   The secret appears at no level, nor does a refused secret.
//!
//! The in-process test installs the process-wide logger, so it runs again
//! in a process of its own (`in_a_process_of_its_own`).

use std::path::Path;
use std::sync::Mutex;

use crate::common::process::in_a_process_of_its_own;
use crate::common::*;
use rocket::http::Cookie;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Session, Sessions};

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
    let test = "no_secrets_in_logs::a_full_request_cycle_logs_no_secret_cookie_or_plaintext";
    if !in_a_process_of_its_own(test) {
        return;
    }
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

/// Rocket's log levels, quietest first.
const LEVELS: [&str; 4] = ["off", "critical", "normal", "debug"];

/// The phrase of the library's launch warning at Rocket's `debug` level.
const DEBUG_WARNING: &str = "prints session cookies";

/// A display name that ends up only in the sealed session (and the
/// accounts database).
const NAME_CANARY: &str = "Canary7f3a9Lovelace";

/// A password that ends up nowhere but in its hash: never in a log below
/// Rocket's `debug` level.
const PASSWORD_CANARY: &str = "Canary5e1bPassphrase";

/// The release profile's session cookie.
const SID: &str = "__Host-sid";

/// The demo binary in the release profile at `level` with this secret.
fn demo(level: &str, secret: &str) -> Demo {
    Demo::new(&[
        ("ROCKET_PROFILE", "release"),
        ("ROCKET_LOG_LEVEL", level),
        ("SESSION_SECRET", secret),
    ])
}

/// Drives one server through a visit, a sign-up (the display name goes
/// into the sealed session; the password, only hashed, into the database),
/// a wrong password, and tampered and foreign cookies. Returns the cookie
/// values the client saw or sent.
fn visit(server: &Server, level: &str) -> Vec<String> {
    let first = server.get("/signup", None);
    let cookie =
        first.cookie_value_for(SID).unwrap_or_else(|| panic!("{level}: no cookie: {first:?}"));
    let token = csrf_token(&first.body).unwrap_or_default();
    let wrong = format!("csrf_token={token}&name={NAME_CANARY}&password={PASSWORD_CANARY}x");
    let refused = server.post_form("/login", Some(&format!("{SID}={cookie}")), &wrong);
    assert_eq!(refused.status, 422, "{level}: a wrong password: {refused:?}");
    let form = format!("csrf_token={token}&name={NAME_CANARY}&password={PASSWORD_CANARY}");
    let login = server.post_form("/signup", Some(&format!("{SID}={cookie}")), &form);
    let signed_in =
        login.cookie_value_for(SID).unwrap_or_else(|| panic!("{level}: login: {login:?}"));
    let profile = server.get("/profile", Some(&format!("{SID}={signed_in}")));
    assert!(profile.body.contains(NAME_CANARY), "{level}: the login did not work: {profile:?}");

    let mut tampered = signed_in.clone();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(tampered.len() - 1.., last);
    let foreign = "AQAAAAAAforeign-cookie-value-from-another-site-0123456789abcdef";
    for value in [tampered.as_str(), foreign] {
        server.get("/", Some(&format!("{SID}={value}")));
    }
    let mut values = vec![cookie, signed_in, tampered, foreign.to_owned()];
    values.extend(profile.cookie_value_for(SID));
    values
}

#[test]
fn the_demo_binary_logs_no_secret_or_cookie_below_debug_and_warns_at_debug() {
    let secret = secret();
    for level in LEVELS {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("no-secrets-{level}.log"));
        let server = demo(level, &secret).log_to(log).start();
        let cookies = visit(&server, level);
        let log = server.stop();
        assert!(!log.contains(&secret), "{level}: the secret is in the log:\n{log}");
        let first_cookie = cookies.iter().filter_map(|c| log.find(&c[..40])).min();
        let warning = log.find(DEBUG_WARNING);
        if level == "debug" {
            let warning = warning.unwrap_or_else(|| panic!("debug: no warning in:\n{log}"));
            if let Some(at) = first_cookie {
                assert!(warning < at, "debug: a cookie is logged before the warning:\n{log}");
            }
            eprintln!(
                "debug: warning logged; cookie values {} the log",
                if first_cookie.is_some() { "are in" } else { "are not in" }
            );
        } else {
            assert_eq!(warning, None, "{level}: the debug warning at another level:\n{log}");
            for value in &cookies {
                assert!(!log.contains(&value[..40]), "{level}: cookie {value} logged:\n{log}");
            }
            assert!(!log.contains(NAME_CANARY), "{level}: session plaintext logged:\n{log}");
            // (At `debug`, Rocket itself logs every form field it parses,
            // passwords included: one more reason for the launch warning.)
            assert!(!log.contains(PASSWORD_CANARY), "{level}: a password is in the log:\n{log}");
        }
    }
}

#[test]
fn a_refused_secret_is_not_logged_at_any_level() {
    const LEAKED: &str = "not base64 but a leaked passphrase";
    for level in LEVELS {
        let exit = demo(level, LEAKED).run_to_exit();
        assert!(exit.refused(), "{level}: the launch was not refused: {exit:?}");
        let output = format!("{}{}", exit.stdout, exit.stderr);
        assert!(!output.contains("leaked passphrase"), "{level}: refused secret in:\n{output}");
    }
}
