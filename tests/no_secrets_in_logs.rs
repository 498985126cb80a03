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
//! Its own test binary, because it installs the process-wide logger.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
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

/// A display name that ends up only in the sealed session.
const NAME_CANARY: &str = "Canary7f3a9Lovelace";

/// The demo binary with its stdout and stderr going to one log file.
struct Logged {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Logged {
    /// Starts the demo binary in the release profile at `level` with these
    /// secrets; `wait` for it to accept connections.
    fn start(level: &str, secret: &str, tag: &str, wait: bool) -> Logged {
        let port = free_port();
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("no-secrets-{tag}.log"));
        let file = File::create(&log).expect("a log file in the target tmpdir");
        let err = file.try_clone().expect("a second handle on the log file");
        let child = Command::new(env!("CARGO_BIN_EXE_sealed-session"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("SESSION_OLD_SECRETS")
            .env("ROCKET_PROFILE", "release")
            .env("ROCKET_LOG_LEVEL", level)
            .env("ROCKET_CLI_COLORS", "false")
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("SESSION_SECRET", secret)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .expect("the demo binary starts");
        let mut logged = Logged { child, log, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while wait && TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = logged.child.try_wait().ok().flatten();
            assert!(exited.is_none(), "{level}: the server exited: {}", logged.output());
            assert!(Instant::now() < deadline, "{level}: the server did not come up");
            std::thread::sleep(Duration::from_millis(25));
        }
        logged
    }

    /// Everything it wrote so far.
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for it to exit by itself (a refused launch); its output.
    fn exit_output(mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(Instant::now() < deadline, "the launch was not refused: {}", self.output());
            std::thread::sleep(Duration::from_millis(25));
        }
        self.output()
    }

    /// Stops it; everything it wrote.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.output()
    }

    /// One HTTP/1.1 request with an optional cookie and form body.
    fn request(&self, method: &str, path: &str, cookie: &str, form: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if !cookie.is_empty() {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if !form.is_empty() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", form.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        stream.write_all(format!("{head}{form}").as_bytes()).expect("send the request");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the `__Host-sid` `Set-Cookie` of a raw response, if any.
fn session_cookie(response: &str) -> Option<String> {
    response
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, value)| value.trim().strip_prefix("__Host-sid="))
        .map(|value| value.split(';').next().unwrap_or_default().to_owned())
        .filter(|value| !value.is_empty())
}

/// The CSRF token in a page's form.
fn csrf_token(page: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    page.split(marker).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("").to_owned()
}

/// Drives one server through a visit, a login (the display name goes into
/// the sealed session), and tampered and foreign cookies. Returns the
/// cookie values the client saw or sent.
fn visit(server: &Logged, level: &str) -> Vec<String> {
    let first = server.request("GET", "/login", "", "");
    let cookie = session_cookie(&first).unwrap_or_else(|| panic!("{level}: no cookie: {first}"));
    let form = format!("csrf_token={}&name={NAME_CANARY}", csrf_token(&first));
    let login = server.request("POST", "/login", &format!("__Host-sid={cookie}"), &form);
    let signed_in = session_cookie(&login).unwrap_or_else(|| panic!("{level}: login: {login}"));
    let profile = server.request("GET", "/profile", &format!("__Host-sid={signed_in}"), "");
    assert!(profile.contains(NAME_CANARY), "{level}: the login did not work: {profile}");

    let mut tampered = signed_in.clone();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(tampered.len() - 1.., last);
    let foreign = "AQAAAAAAforeign-cookie-value-from-another-site-0123456789abcdef";
    for value in [tampered.as_str(), foreign] {
        server.request("GET", "/", &format!("__Host-sid={value}"), "");
    }
    let mut values = vec![cookie, signed_in, tampered, foreign.to_owned()];
    let after_profile = session_cookie(&profile);
    values.extend(after_profile);
    values
}

#[test]
fn the_demo_binary_logs_no_secret_or_cookie_below_debug_and_warns_at_debug() {
    let secret = secret();
    for level in LEVELS {
        let server = Logged::start(level, &secret, level, true);
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
        }
    }
}

#[test]
fn a_refused_secret_is_not_logged_at_any_level() {
    const LEAKED: &str = "not base64 but a leaked passphrase";
    for level in LEVELS {
        let output = Logged::start(level, LEAKED, &format!("refused-{level}"), false).exit_output();
        assert!(!output.contains("leaked passphrase"), "{level}: refused secret in:\n{output}");
    }
}
