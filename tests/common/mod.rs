//! Helpers shared by the integration tests: configured clients, cookie
//! parsing, and real server processes with a tiny HTTP client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rocket::figment::Figment;
use rocket::local::blocking::{Client, LocalResponse};
use rocket_sealed_session::Secret;

/// A fresh random secret as base64.
pub fn secret() -> String {
    Secret::generate().to_base64()
}

/// Rocket's figment for `profile`, quiet, with `session.secret` set.
pub fn figment(profile: &str, secret: &str) -> Figment {
    rocket::Config::figment()
        .select(profile)
        .merge(("log_level", "off"))
        .merge(("session.secret", secret))
}

/// A tracked client of the demo app in the debug profile with a known secret.
pub fn demo_client(secret: &str) -> Client {
    let rocket = sealed_session_demo::app::rocket().configure(figment("debug", secret));
    Client::tracked(rocket).expect("the demo app launches")
}

/// All `Set-Cookie` values of a response.
pub fn set_cookies(response: &LocalResponse<'_>) -> Vec<String> {
    response.headers().get("Set-Cookie").map(str::to_owned).collect()
}

/// The one `Set-Cookie` for `name`, if any.
pub fn set_cookie_for(response: &LocalResponse<'_>, name: &str) -> Option<String> {
    set_cookies(response).into_iter().find(|c| c.starts_with(&format!("{name}=")))
}

/// The value of `name=value` at the start of a `Set-Cookie`.
pub fn cookie_value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=').map(|(_, v)| v).unwrap_or_default()
}

/// The attributes of a `Set-Cookie`, lower-cased names, e.g. ("max-age", "60").
pub fn attributes(set_cookie: &str) -> Vec<(String, String)> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|attr| {
            let (name, value) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
            (name.to_ascii_lowercase(), value.to_owned())
        })
        .collect()
}

/// The number N in "You have visited this page N times."
pub fn views_in(page: &str) -> Option<u64> {
    let rest = page.split("You have visited this page ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

/// A free loopback port (bound and released; a small race is accepted).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running copy of the demo binary, killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    /// Starts the demo binary with these extra environment variables and
    /// waits until it accepts connections.
    pub fn start(env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealed-session"));
        command
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env_remove("SESSION_SECRET")
            .env_remove("SESSION_OLD_SECRETS")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_LOG_LEVEL", "critical")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("the demo binary starts");
        let server = Server { port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server on port {port} did not come up");
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }

    /// `GET path` with an optional `Cookie` header.
    pub fn get(&self, path: &str, cookie: Option<&str>) -> HttpResponse {
        http_get(self.port, path, cookie)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the demo binary to completion (for refusals) with a time limit:
/// (exit success, stderr).
pub fn run_to_exit(env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sealed-session"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("SESSION_SECRET")
        .env_remove("SESSION_OLD_SECRETS")
        .env("ROCKET_PORT", free_port().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the demo binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait on the child") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            return (status.success(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (true, "still running after 20 s (launch was not refused)".into());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The `Set-Cookie` for `name`, if any.
    pub fn set_cookie_for(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
    }
}

/// A minimal HTTP/1.1 GET over loopback, `Connection: close`.
pub fn http_get(port: u16, path: &str, cookie: Option<&str>) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("set a read timeout");
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{cookie}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse { status, headers, body: body.to_owned() }
}
