//! Cookie tossing in a real browser: a sibling subdomain, or any plain-HTTP
//! response on the same host, sets cookies whose names only look like the
//! session cookie `__Host-sid`. Chromium keeps them apart from the real
//! one and sends them along; the server must never take one of them for
//! the session (which would sign the victim in as the attacker: login
//! CSRF, session swap).
//!
//! The setup, all on loopback:
//! - one replica of the demo binary in the release profile (cookie
//!   `__Host-sid`, `Secure`), behind a real nginx that terminates TLS with a
//!   self-signed certificate for `example.test` and `*.example.test`
//!   (made with `openssl` at test time);
//! - `https://app.example.test:<tls>`: the app (and `/__echo`, answered
//!   by nginx itself with the `Cookie` header it received, to see what the
//!   browser sends);
//! - `https://evil.example.test:<tls>/toss`: the sibling subdomain, which
//!   sets `Domain=example.test` look-alikes;
//! - `http://app.example.test:<http>/toss`: a plain-HTTP page on the app's
//!   own host, which sets look-alikes without `Secure`;
//! - Chromium maps `*.example.test` to 127.0.0.1 (`--host-resolver-rules`)
//!   and accepts the certificate (`--ignore-certificate-errors`).
//!
//! The attacker ("mallory") first gets a valid session of his own by
//! logging in straight at the replica; the look-alikes carry that sealed
//! value. The victim's pages must never show mallory and never carry his
//! session id, also after the victim logs in as "alice", and the victim's
//! real `__Host-sid` must not hold mallory's session.
//!
//! Needs `chromium`, `chromedriver`, `nginx` and `openssl`. Without one of
//! them plain `cargo test` says the tests were SKIPPED and passes; with
//! `CI=true` a missing program is a failure. Each test prints (to stderr)
//! which look-alikes Chromium stored and which `Cookie` header it sent.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, secret, HttpResponse, Server};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use rocket::tokio::sync::Mutex;
use serde_json::{json, Value};

/// One browser test at a time (two cores do not run several Chromiums well).
static TURN: Mutex<()> = Mutex::const_new(());

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const STARTUP: Duration = Duration::from_secs(30);
/// The release profile's session cookie.
const SID: &str = "__Host-sid";
/// The attacker's display name; the victim's pages must never show it.
const ATTACKER: &str = "mallory";
/// The victim's display name.
const VICTIM: &str = "alice";

type TestResult = Result<(), String>;

/// Fails the test body with a message (the browser is still closed).
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Says something on the terminal even when the harness captures output.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

// ---------------------------------------------------------------------------
// Programs and the skip rule
// ---------------------------------------------------------------------------

/// The programs these tests drive.
struct Programs {
    chromium: PathBuf,
    chromedriver: PathBuf,
    nginx: PathBuf,
    openssl: PathBuf,
}

/// `$env_var`, else `name` on the `PATH`, else one of `extra`.
fn find_program(env_var: &str, name: &str, extra: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()));
    on_path.or_else(|| extra.iter().map(PathBuf::from).find(|p| p.is_file()))
}

/// The four programs, or `None` (after saying so) when the test should be
/// skipped.
///
/// # Panics
///
/// When one is missing and `CI=true`.
fn programs(test: &str) -> Option<Programs> {
    let chromium = find_program("CHROMIUM", "chromium", &[]);
    let chromedriver = find_program("CHROMEDRIVER", "chromedriver", &[]);
    let nginx = find_program("NGINX", "nginx", &["/usr/sbin/nginx", "/usr/local/sbin/nginx"]);
    let openssl = find_program("OPENSSL", "openssl", &[]);
    let missing: Vec<&str> = [
        ("chromium", chromium.is_none()),
        ("chromedriver", chromedriver.is_none()),
        ("nginx", nginx.is_none()),
        ("openssl", openssl.is_none()),
    ]
    .iter()
    .filter(|(_, missing)| *missing)
    .map(|(name, _)| *name)
    .collect();
    match (chromium, chromedriver, nginx, openssl) {
        (Some(chromium), Some(chromedriver), Some(nginx), Some(openssl)) => {
            Some(Programs { chromium, chromedriver, nginx, openssl })
        }
        _ => {
            let missing = format!(
                "{} not found (install with `.ci/browser-deps` and `apt-get install nginx \
                 openssl`, or set CHROMIUM / CHROMEDRIVER / NGINX / OPENSSL)",
                missing.join(", ")
            );
            if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
                panic!("browser test {test} FAILED: {missing}; CI=true requires them");
            }
            say(&format!("browser test {test} SKIPPED: {missing}"));
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Processes and directories that clean up after themselves
// ---------------------------------------------------------------------------

/// A child process that is killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory under `target/`, removed when dropped; with
/// `kill_users`, any process whose command line names it (the Chromiums
/// chromedriver started with it as profile) is killed first, by id.
struct Scratch {
    dir: PathBuf,
    kill_users: bool,
}

impl Scratch {
    fn new(kind: &str, test: &str, kill_users: bool) -> Scratch {
        let dir = Path::new(MANIFEST_DIR)
            .join("target")
            .join(kind)
            .join(format!("tossing-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(err) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {err}", dir.display());
        }
        Scratch { dir, kill_users }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.kill_users {
            let marker = format!("--user-data-dir={}", self.dir.display());
            for pid in processes_mentioning(&marker) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ids of the processes whose command line contains `marker`.
fn processes_mentioning(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(marker).then_some(pid)
        })
        .collect()
}

/// Waits until the port accepts connections (and the child still runs).
fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited during startup: {status}");
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within {STARTUP:?}");
}

/// Waits until `GET path` answers 200 (chromedriver's `/status`).
fn wait_for_http(port: u16, path: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited during startup: {status}");
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && head.ends_with(b" 200")
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not answer on port {port} within {STARTUP:?}");
}

// ---------------------------------------------------------------------------
// Plain HTTP straight to the replica (the attacker's client, and checks)
// ---------------------------------------------------------------------------

/// One HTTP/1.1 request to the replica, `Connection: close`.
fn http(port: u16, method: &str, path: &str, cookie: Option<&str>, form: &str) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the replica");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("set a read timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", form.len()));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.push_str(form);
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

/// The value of the `__Host-sid` a response sets.
fn sid_value(response: &HttpResponse) -> Option<String> {
    let set_cookie = response.set_cookie_for(SID)?;
    let pair = set_cookie.split(';').next()?;
    pair.split_once('=').map(|(_, value)| value.to_owned())
}

/// The `value` of the first `csrf_token` input of a page.
fn csrf_token(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf_token\"")?;
    let tag_start = page[..at].rfind('<')?;
    let tag_end = at + page[at..].find('>')?;
    let tag = &page[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?;
    value.split('"').next().map(str::to_owned)
}

/// The session id `/api/session` reports for this `__Host-sid` value.
fn session_id_of(replica: u16, sid: &str) -> Option<String> {
    let response = http(replica, "GET", "/api/session", Some(&format!("{SID}={sid}")), "");
    let json: Value = serde_json::from_str(&response.body).ok()?;
    json.get("id")?.as_str().map(str::to_owned)
}

/// The attacker's own valid session: (sealed `__Host-sid` value, session id).
fn attacker_session(replica: u16) -> (String, String) {
    let form = http(replica, "GET", "/login", None, "");
    let sid = sid_value(&form).unwrap_or_else(|| panic!("GET /login set no {SID}: {form:?}"));
    let token = csrf_token(&form.body).expect("the login form has a csrf_token");
    let body = format!("csrf_token={token}&name={ATTACKER}");
    let login = http(replica, "POST", "/login", Some(&format!("{SID}={sid}")), &body);
    assert!(
        (300..400).contains(&login.status),
        "the attacker's login was refused: {} {}",
        login.status,
        login.body
    );
    let sid = sid_value(&login).expect("the login sets a new session cookie");
    let id = session_id_of(replica, &sid).expect("the attacker's session opens");
    let profile = http(replica, "GET", "/profile", Some(&format!("{SID}={sid}")), "");
    assert!(
        profile.body.contains(ATTACKER),
        "the attacker's own session does not show {ATTACKER}: {profile:?}"
    );
    (sid, id)
}

// ---------------------------------------------------------------------------
// The look-alike cookies and nginx
// ---------------------------------------------------------------------------

/// Who sets a look-alike.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tosser {
    /// `http://app.example.test:<http>/toss`: no `Secure`, host-only.
    PlainHttp,
    /// `https://evil.example.test:<tls>/toss`: `Domain=example.test; Secure`.
    Sibling,
}

/// One look-alike `Set-Cookie`; the value is the attacker's sealed session.
#[derive(Clone, Debug)]
struct Toss {
    from: Tosser,
    /// The name as sent in `Set-Cookie`.
    name: String,
    /// The cookie's `Path`.
    path: &'static str,
}

impl Toss {
    fn new(from: Tosser, name: &str) -> Toss {
        Toss { from, name: name.to_owned(), path: "/" }
    }

    fn on_path(mut self, path: &'static str) -> Toss {
        self.path = path;
        self
    }

    fn set_cookie(&self, value: &str) -> String {
        let path = self.path;
        match self.from {
            Tosser::PlainHttp => format!("{}={value}; Path={path}; HttpOnly", self.name),
            Tosser::Sibling => {
                format!("{}={value}; Domain=example.test; Path={path}; Secure; HttpOnly", self.name)
            }
        }
    }
}

/// The percent-encoded name, which Rocket's cookie jar decodes.
fn percent_encoded(from: Tosser) -> Vec<Toss> {
    ["__Host%2Dsid", "__Host%2dsid", "%5F%5FHost-sid", "__Host-sid%20"]
        .iter()
        .map(|name| Toss::new(from, name))
        .collect()
}

/// Names padded with whitespace that Rust's `str::trim` strips (Unicode
/// `White_Space`), plus plain spaces, a tab, U+FEFF (not `White_Space`)
/// and the lower-case name.
fn whitespace_padded(from: Tosser) -> Vec<Toss> {
    let mut names = Vec::new();
    for pad in ["\u{a0}", "\u{2000}", "\u{3000}", "\u{85}", "\u{1680}", "\u{205f}", "\u{feff}"] {
        names.push(format!("{pad}{SID}"));
        names.push(format!("{SID}{pad}"));
    }
    names.push(format!("\u{2003}\u{a0}{SID}\u{3000}"));
    names.push(format!(" {SID} "));
    names.push(format!("{SID}\t"));
    names.push("__host-sid".to_owned());
    names.iter().map(|name| Toss::new(from, name)).collect()
}

/// A foreground nginx in a scratch prefix: the TLS front, the sibling and
/// the plain-HTTP page. Stopped on drop.
struct Front {
    tls: u16,
    http: u16,
    _nginx: Killed,
    _prefix: Scratch,
}

impl Front {
    fn start(programs: &Programs, test: &str, replica: u16, tosses: &[Toss], value: &str) -> Front {
        let prefix = Scratch::new("tossing-nginx", test, false);
        let dir = prefix.dir.display().to_string();
        std::fs::create_dir_all(prefix.dir.join("logs")).expect("an nginx log directory");
        make_certificate(&programs.openssl, &prefix.dir);

        let add_headers = |from: Tosser| -> String {
            tosses
                .iter()
                .filter(|toss| toss.from == from)
                .map(|toss| {
                    let header = toss.set_cookie(value);
                    assert!(!header.contains(['"', '\\', '$']), "unquotable header {header:?}");
                    format!("            add_header Set-Cookie \"{header}\" always;\n")
                })
                .collect()
        };
        let toss_page = "<!DOCTYPE html><title>tossed</title><p id=tossed>tossed</p>";
        let tls = free_port();
        let http = free_port();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log;\nevents {{ worker_connections 64; }}\n\
             http {{\n    access_log off;\n    charset utf-8;\n\
             client_body_temp_path {dir}/body;\n    proxy_temp_path {dir}/proxy;\n\
             fastcgi_temp_path {dir}/fastcgi;\n    uwsgi_temp_path {dir}/uwsgi;\n\
             scgi_temp_path {dir}/scgi;\n\
             ssl_certificate {dir}/cert.pem;\n    ssl_certificate_key {dir}/key.pem;\n\
             server {{\n        listen 127.0.0.1:{tls} ssl;\n        server_name app.example.test;\n\
                     location ~ /__echo$ {{\n            default_type text/plain;\n\
                         return 200 \"$http_cookie\";\n        }}\n\
                     location / {{\n            proxy_pass http://127.0.0.1:{replica};\n\
                         proxy_set_header Host $host;\n        }}\n    }}\n\
             server {{\n        listen 127.0.0.1:{tls} ssl;\n        server_name evil.example.test;\n\
                     location = /toss {{\n            default_type text/html;\n{sibling}\
                         return 200 \"{toss_page}\";\n        }}\n    }}\n\
             server {{\n        listen 127.0.0.1:{http};\n        server_name app.example.test;\n\
                     location = /toss {{\n            default_type text/html;\n{plain}\
                         return 200 \"{toss_page}\";\n        }}\n    }}\n}}\n",
            sibling = add_headers(Tosser::Sibling),
            plain = add_headers(Tosser::PlainHttp),
        );
        let config_path = prefix.dir.join("nginx.conf");
        std::fs::write(&config_path, config).expect("write the nginx configuration");
        let log = std::fs::File::create(prefix.dir.join("logs/stderr.log")).map(Stdio::from);
        let mut child = Command::new(&programs.nginx);
        child
            .arg("-p")
            .arg(&prefix.dir)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.unwrap_or_else(|_| Stdio::null()));
        let mut nginx = match child.spawn() {
            Ok(child) => Killed(child),
            Err(err) => panic!("cannot start {}: {err}", programs.nginx.display()),
        };
        wait_for_port(tls, &mut nginx.0, "nginx (TLS)");
        wait_for_port(http, &mut nginx.0, "nginx (plain HTTP)");
        Front { tls, http, _nginx: nginx, _prefix: prefix }
    }
}

/// A self-signed certificate for `example.test` and `*.example.test` as
/// `cert.pem` and `key.pem` in `dir`.
fn make_certificate(openssl: &Path, dir: &Path) {
    let output = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-days", "2", "-subj", "/CN=example.test"])
        .args(["-addext", "subjectAltName=DNS:example.test,DNS:*.example.test"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!("openssl req failed: {}", String::from_utf8_lossy(&output.stderr)),
        Err(err) => panic!("cannot run {}: {err}", openssl.display()),
    }
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/// Everything one test needs: the replica, the front, chromedriver and a
/// victim browser with a fresh profile.
struct Harness {
    replica: Server,
    front: Front,
    browser: Client,
    /// The attacker's sealed session value and its session id.
    attacker_sid: String,
    attacker_id: String,
    _driver: Killed,
    _profile: Scratch,
}

impl Harness {
    /// Starts the replica and gets the attacker's session; `tosses` builds
    /// the look-alikes; then starts nginx, chromedriver and Chromium.
    async fn start(test: &str, tosses: &[Toss]) -> Option<Harness> {
        let programs = programs(test)?;
        let secret = secret();
        let replica =
            Server::start(&[("ROCKET_PROFILE", "release"), ("SESSION_SECRET", secret.as_str())]);
        let (attacker_sid, attacker_id) = attacker_session(replica.port);
        let front = Front::start(&programs, test, replica.port, tosses, &attacker_sid);

        let logs = Path::new(MANIFEST_DIR).join("target/browser-logs");
        let _ = std::fs::create_dir_all(&logs);
        let log = |name: &str| match std::fs::File::create(
            logs.join(format!("tossing-{test}-{name}.log")),
        ) {
            Ok(file) => Stdio::from(file),
            Err(_) => Stdio::null(),
        };
        let driver_port = free_port();
        let mut driver = Command::new(&programs.chromedriver);
        driver
            .arg(format!("--port={driver_port}"))
            .stdin(Stdio::null())
            .stdout(log("chromedriver"))
            .stderr(log("chromedriver-err"));
        let mut driver = match driver.spawn() {
            Ok(child) => Killed(child),
            Err(err) => panic!("cannot start {}: {err}", programs.chromedriver.display()),
        };
        wait_for_http(driver_port, "/status", &mut driver.0, "chromedriver");

        let profile = Scratch::new("browser-profiles", test, true);
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-proxy-server".to_owned(),
            "--ignore-certificate-errors".to_owned(),
            "--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP example.test 127.0.0.1"
                .to_owned(),
            format!("--user-data-dir={}", profile.dir.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("acceptInsecureCerts".into(), json!(true));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": programs.chromium.display().to_string(), "args": args }),
        );
        let browser = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await;
        let browser = match browser {
            Ok(browser) => browser,
            Err(err) => panic!("chromedriver did not start Chromium: {err}"),
        };
        Some(Harness {
            replica,
            front,
            browser,
            attacker_sid,
            attacker_id,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Runs the body, then always closes the browser and stops everything,
    /// then fails the test if the body failed.
    async fn run(test: &str, tosses: &[Toss], body: impl AsyncFnOnce(&Harness) -> TestResult) {
        let _turn = TURN.lock().await;
        let Some(harness) = Harness::start(test, tosses).await else {
            return;
        };
        let outcome = body(&harness).await;
        let _ = harness.browser.clone().close().await;
        drop(harness);
        if let Err(message) = outcome {
            panic!("{test}: {message}");
        }
    }

    fn app(&self, path: &str) -> String {
        format!("https://app.example.test:{}{path}", self.front.tls)
    }

    async fn goto(&self, url: &str) -> TestResult {
        self.browser.goto(url).await.map_err(|e| format!("goto {url}: {e}"))?;
        let now = self.browser.current_url().await.map_err(|e| e.to_string())?;
        // The same scheme, host and port (no HTTPS upgrade, no error page).
        let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        ensure!(now.as_str().starts_with(&origin), "went to {url} but landed on {now}");
        Ok(())
    }

    /// The current page's path.
    async fn path(&self) -> Result<String, String> {
        let url = self.browser.current_url().await.map_err(|e| e.to_string())?;
        Ok(url.path().to_owned())
    }

    /// The victim's browser visits the attacker's pages.
    async fn visit_attacker_pages(&self) -> TestResult {
        for url in [
            format!("http://app.example.test:{}/toss", self.front.http),
            format!("https://evil.example.test:{}/toss", self.front.tls),
        ] {
            self.goto(&url).await?;
            let text = self.text("#tossed").await?;
            ensure!(text == "tossed", "the attacker's page {url} says {text:?}");
        }
        Ok(())
    }

    /// Opens an app page and returns its text (after checking it is not an
    /// nginx or certificate error).
    async fn app_page(&self, path: &str) -> Result<String, String> {
        self.goto(&self.app(path)).await?;
        let text = self.text("body").await?;
        ensure!(!text.contains("502 Bad Gateway"), "nginx could not reach the replica: {text}");
        Ok(text)
    }

    async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.browser.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.text().await.map_err(|e| format!("text of {css}: {e}"))
    }

    async fn script(&self, script: &str) -> Result<Value, String> {
        self.browser.execute(script, vec![]).await.map_err(|e| format!("script failed: {e}"))
    }

    /// What an app URL answers to the page's own `fetch` (the raw text:
    /// WebDriver's element text would fold the Unicode spaces). The browser
    /// must be on an app page.
    async fn fetch_text(&self, path: &str) -> Result<String, String> {
        let script =
            format!("return fetch('{path}', {{credentials: 'same-origin'}}).then(r => r.text());");
        let text = self.script(&script).await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The names of the cookies the browser holds for app URLs under `dir`.
    async fn stored_names(&self, dir: &str) -> Result<Vec<String>, String> {
        self.goto(&self.app(&format!("{dir}__echo"))).await?;
        let cookies = self.browser.get_all_cookies().await.map_err(|e| e.to_string())?;
        Ok(cookies.iter().map(|c| c.name().to_owned()).collect())
    }

    /// The value of the browser's real `__Host-sid` for the app, if any.
    async fn real_sid(&self) -> Result<Option<String>, String> {
        self.goto(&self.app("/__echo")).await?;
        let cookies = self.browser.get_all_cookies().await.map_err(|e| e.to_string())?;
        Ok(cookies.iter().find(|c| c.name() == SID).map(|c| c.value().to_owned()))
    }

    /// Says which look-alikes Chromium stored and sent to app URLs under
    /// `dir` (for the docs), and fails unless at least one that the old
    /// scan took for `__Host-sid` (trimmed or percent-decoded) was sent:
    /// otherwise the test would prove nothing.
    async fn report_tossed(&self, test: &str, tosses: &[Toss], dir: &str) -> TestResult {
        let stored = self.stored_names(dir).await?;
        let header = self.fetch_text(&format!("{dir}__echo")).await?;
        let sent: Vec<(String, String)> = header
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let mut lines = vec![format!("{test}: the look-alike cookies in Chromium (for {dir}):")];
        for toss in tosses {
            let is_stored = stored.contains(&toss.name);
            let is_sent = sent.iter().any(|(name, _)| *name == toss.name);
            lines.push(format!(
                "  {:<40} from {:<9} stored: {:<5} sent: {}",
                escaped(&toss.name),
                format!("{:?}", toss.from),
                is_stored,
                is_sent
            ));
        }
        let shown: Vec<String> = sent
            .iter()
            .map(|(name, value)| {
                let whose = if *value == self.attacker_sid { "<mallory>" } else { "<own>" };
                format!("{}={whose}", escaped(name))
            })
            .collect();
        lines.push(format!("  Cookie header sent, in order: {}", shown.join("; ")));
        let stored: Vec<String> = stored.iter().map(|name| escaped(name)).collect();
        lines.push(format!("  stored for {dir}: {}", stored.join(", ")));
        say(&lines.join("\n"));
        let exercised = sent.iter().any(|(name, value)| {
            name != SID
                && taken_for_the_session_by_the_old_scan(name)
                && *value == self.attacker_sid
        });
        ensure!(
            exercised,
            "Chromium sent no look-alike that a trimming or percent-decoding scan would take \
             for {SID} (Cookie: {}); the test would prove nothing",
            escaped(&header)
        );
        Ok(())
    }

    /// Fails if the page shows the attacker, or the browser's session is his.
    async fn never_the_attacker(&self, when: &str, page: &str) -> TestResult {
        ensure!(
            !page.to_lowercase().contains(ATTACKER),
            "{when}: the victim's page shows the attacker's user {ATTACKER:?}:\n{}",
            main_text(page)
        );
        let id = self.session_id_in_browser().await?;
        ensure!(
            id.as_deref() != Some(self.attacker_id.as_str()),
            "{when}: the victim's browser carries the attacker's session id {}",
            self.attacker_id
        );
        Ok(())
    }

    /// The session id `/api/session` reports to the browser (fetched from
    /// the current app page, so that the page stays).
    async fn session_id_in_browser(&self) -> Result<Option<String>, String> {
        let text = self.fetch_text("/api/session").await?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("/api/session: {e}: {text}"))?;
        Ok(json.get("id").and_then(Value::as_str).map(str::to_owned))
    }

    /// Signs in as `name` through the login form; returns the page after.
    async fn login(&self, name: &str) -> Result<String, String> {
        self.app_page("/login").await?;
        let field = self.browser.find(Locator::Css("#name")).await;
        let field = field.map_err(|e| format!("no #name on the login page: {e}"))?;
        field.send_keys(name).await.map_err(|e| format!("type the name: {e}"))?;
        let button = self.browser.find(Locator::Css("#login-form button[type=submit]")).await;
        let button = button.map_err(|e| format!("no login button: {e}"))?;
        button.click().await.map_err(|e| format!("click the login button: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.path().await? != "/profile" {
            ensure!(Instant::now() < deadline, "the login did not land on /profile");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.text("body").await
    }

    /// The victim's own `__Host-sid`, opened straight at the replica: not
    /// the attacker's session, and (once signed in) the victim's user.
    async fn real_cookie_is_the_victims(&self, when: &str, signed_in: bool) -> TestResult {
        let Some(sid) = self.real_sid().await? else {
            return Err(format!("{when}: the browser holds no {SID} for the app"));
        };
        ensure!(sid != self.attacker_sid, "{when}: the browser's {SID} is the attacker's value");
        let id = session_id_of(self.replica.port, &sid);
        ensure!(
            id.as_deref() != Some(self.attacker_id.as_str()),
            "{when}: the browser's real {SID} re-sealed the attacker's session {}",
            self.attacker_id
        );
        let profile = http(self.replica.port, "GET", "/profile", Some(&format!("{SID}={sid}")), "");
        ensure!(
            !profile.body.to_lowercase().contains(ATTACKER),
            "{when}: the browser's real {SID} holds the attacker's user"
        );
        if signed_in {
            ensure!(
                profile.status == 200 && profile.body.contains(VICTIM),
                "{when}: the browser's real {SID} does not hold {VICTIM:?}: {} {}",
                profile.status,
                profile.body
            );
        }
        Ok(())
    }
}

/// Whether the scan of the old code (commit bb80fc6) took a cookie of
/// this name for `__Host-sid`: equal after `str::trim` (Unicode
/// whitespace), or after Rocket's jar percent-decoded it.
fn taken_for_the_session_by_the_old_scan(name: &str) -> bool {
    name.trim() == SID || percent_decoded(name.trim()) == SID
}

/// `%XX` escapes decoded (lossily), as Rocket's cookie jar does for names.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A page's text without the session panel, for messages.
fn main_text(page: &str) -> &str {
    page.split("\nYour session\n").next().unwrap_or(page)
}

/// Non-ASCII and control characters as `\u{..}`, for messages.
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c.to_string(),
            c => format!("\\u{{{:x}}}", u32::from(c)),
        })
        .collect()
}

/// A fresh victim who first visits the attacker's pages, then the app:
/// never the attacker, before or after signing in.
async fn fresh_victim_after_tossing(h: &Harness, test: &str, tosses: &[Toss]) -> TestResult {
    h.visit_attacker_pages().await?;
    h.report_tossed(test, tosses, "/").await?;

    let page = h.app_page("/").await?;
    h.never_the_attacker("first visit to /", &page).await?;
    let page = h.app_page("/").await?;
    h.never_the_attacker("reload of /", &page).await?;
    let page = h.app_page("/profile").await?;
    h.never_the_attacker("/profile before signing in", &page).await?;
    let path = h.path().await?;
    ensure!(path == "/login", "/profile before signing in stayed at {path}: {}", main_text(&page));
    h.real_cookie_is_the_victims("before signing in", false).await?;

    let page = h.login(VICTIM).await?;
    h.never_the_attacker("after signing in", &page).await?;
    ensure!(page.contains(VICTIM), "after signing in as {VICTIM}: {}", main_text(&page));
    let page = h.app_page("/").await?;
    h.never_the_attacker("/ after signing in", &page).await?;
    ensure!(
        page.contains(VICTIM),
        "/ after signing in does not show {VICTIM}: {}",
        main_text(&page)
    );
    let page = h.app_page("/profile").await?;
    h.never_the_attacker("/profile after signing in", &page).await?;
    ensure!(page.contains(VICTIM), "/profile after signing in: {}", main_text(&page));
    h.real_cookie_is_the_victims("after signing in", true).await
}

#[rocket::async_test]
async fn a_percent_encoded_look_alike_never_makes_the_victim_the_attacker() {
    let test = "percent-encoded";
    let tosses: Vec<Toss> = percent_encoded(Tosser::PlainHttp)
        .into_iter()
        .chain(percent_encoded(Tosser::Sibling))
        .collect();
    Harness::run(test, &tosses, async |h: &Harness| {
        fresh_victim_after_tossing(h, test, &tosses).await
    })
    .await;
}

#[rocket::async_test]
async fn whitespace_padded_look_alikes_never_make_the_victim_the_attacker() {
    let test = "whitespace";
    let tosses: Vec<Toss> = whitespace_padded(Tosser::PlainHttp)
        .into_iter()
        .chain(whitespace_padded(Tosser::Sibling))
        .collect();
    Harness::run(test, &tosses, async |h: &Harness| {
        fresh_victim_after_tossing(h, test, &tosses).await
    })
    .await;
}

#[rocket::async_test]
async fn look_alikes_on_a_longer_path_never_swap_a_signed_in_victims_session() {
    // Chromium sends cookies with longer paths first: a look-alike scoped
    // to /profile comes before the victim's own `__Host-sid` there.
    let test = "longer-path";
    let tosses: Vec<Toss> = [Tosser::PlainHttp, Tosser::Sibling]
        .into_iter()
        .flat_map(|from| percent_encoded(from).into_iter().chain(whitespace_padded(from)))
        .map(|toss| toss.on_path("/profile"))
        .collect();
    Harness::run(test, &tosses, async |h: &Harness| {
        let page = h.login(VICTIM).await?;
        ensure!(page.contains(VICTIM), "after signing in as {VICTIM}: {}", main_text(&page));
        h.visit_attacker_pages().await?;
        h.report_tossed(test, &tosses, "/profile/").await?;

        let page = h.app_page("/profile").await?;
        h.never_the_attacker("/profile after the tossing", &page).await?;
        ensure!(
            page.contains(VICTIM),
            "/profile after the tossing does not show {VICTIM}: {}",
            main_text(&page)
        );
        let page = h.app_page("/").await?;
        h.never_the_attacker("/ after the tossing", &page).await?;
        let page = h.app_page("/profile").await?;
        h.never_the_attacker("/profile, second visit", &page).await?;
        ensure!(page.contains(VICTIM), "/profile, second visit: {}", main_text(&page));
        h.real_cookie_is_the_victims("after the tossing", true).await
    })
    .await;
}
