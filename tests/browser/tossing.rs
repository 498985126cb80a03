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

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use crate::common::nginx::Nginx;
use crate::common::process::Scratch;
use crate::common::real_components::{require, CHROMEDRIVER, CHROMIUM, NGINX, OPENSSL};
use crate::common::{csrf_token, free_port, say, secret, Server};
use crate::session::{self, ensure, Browser, TestResult};

/// The release profile's session cookie.
const SID: &str = "__Host-sid";
/// The attacker's display name; the victim's pages must never show it.
const ATTACKER: &str = "mallory";
/// The victim's display name.
const VICTIM: &str = "alice";

// ---------------------------------------------------------------------------
// Plain HTTP straight to the replica (the attacker's client, and checks)
// ---------------------------------------------------------------------------

/// The session id `/api/session` reports for this `__Host-sid` value.
fn session_id_of(replica: &Server, sid: &str) -> Option<String> {
    let response = replica.get("/api/session", Some(&format!("{SID}={sid}")));
    let json: Value = serde_json::from_str(&response.body).ok()?;
    json.get("id")?.as_str().map(str::to_owned)
}

/// The attacker's own valid session: (sealed `__Host-sid` value, session id).
fn attacker_session(replica: &Server) -> (String, String) {
    let form = replica.get("/signup", None);
    let sid = form.cookie_value_for(SID);
    let sid = sid.unwrap_or_else(|| panic!("GET /signup set no {SID}: {form:?}"));
    let token = csrf_token(&form.body).expect("the sign-up form has a csrf_token");
    let body = format!("csrf_token={token}&name={ATTACKER}&password=mallory+is+here");
    let login = replica.post_form("/signup", Some(&format!("{SID}={sid}")), &body);
    assert!(
        (300..400).contains(&login.status),
        "the attacker's login was refused: {} {}",
        login.status,
        login.body
    );
    let sid = login.cookie_value_for(SID).expect("the login sets a new session cookie");
    let id = session_id_of(replica, &sid).expect("the attacker's session opens");
    let profile = replica.get("/profile", Some(&format!("{SID}={sid}")));
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
    _nginx: Nginx,
}

impl Front {
    fn start(
        binaries: [&Path; 2],
        test: &str,
        replica: u16,
        tosses: &[Toss],
        value: &str,
    ) -> Front {
        let [nginx, openssl] = binaries;
        let prefix = Scratch::new("tossing-nginx", test);
        let dir = prefix.path().display().to_string();
        make_certificate(openssl, prefix.path());

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
        // Some 40 look-alikes, each with the attacker's sealed session (an
        // account and its epoch in it), make a Cookie header past nginx's
        // default 8k line; deploy/nginx.conf raises it too.
        let servers = format!(
            "    charset utf-8;\n    large_client_header_buffers 4 16k;\n\
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
                         return 200 \"{toss_page}\";\n        }}\n    }}\n",
            sibling = add_headers(Tosser::Sibling),
            plain = add_headers(Tosser::PlainHttp),
        );
        let nginx = Nginx::start(nginx, prefix, &servers, &[tls, http]);
        Front { tls, http, _nginx: nginx }
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

/// Everything one test needs besides the victim's browser.
struct Attack {
    front: Front,
    replica: Server,
    /// The attacker's sealed session value and its session id.
    attacker_sid: String,
    attacker_id: String,
}

/// The victim's browser (fresh profile) and the [`Attack`], for one test.
type Harness = session::Harness<Attack>;

impl Harness {
    /// Starts the replica and gets the attacker's session; `tosses` builds
    /// the look-alikes; then starts nginx, chromedriver and Chromium.
    async fn start(test: &str, tosses: &[Toss]) -> Option<Harness> {
        let components = [&CHROMIUM, &CHROMEDRIVER, &NGINX, &OPENSSL];
        let [chromium, chromedriver, nginx, openssl] =
            require(&format!("browser test {test}"), components)?;
        let secret = secret();
        let replica =
            Server::start(&[("ROCKET_PROFILE", "release"), ("SESSION_SECRET", secret.as_str())]);
        let (attacker_sid, attacker_id) = attacker_session(&replica);
        let front = Front::start([&nginx, &openssl], test, replica.port, tosses, &attacker_sid);
        let args = [
            "--no-proxy-server",
            "--ignore-certificate-errors",
            "--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP example.test 127.0.0.1",
        ];
        let name = format!("tossing-{test}");
        let browser = Browser::start(&name, &chromium, &chromedriver, &args, true).await;
        let attack = Attack { front, replica, attacker_sid, attacker_id };
        Some(Harness { browser, setup: attack })
    }

    /// Runs the body with everything started, then stops it all.
    async fn run(test: &str, tosses: &[Toss], body: impl AsyncFnOnce(&Harness) -> TestResult) {
        session::run(test, async || Harness::start(test, tosses).await, body).await;
    }

    fn app(&self, path: &str) -> String {
        format!("https://app.example.test:{}{path}", self.setup.front.tls)
    }

    async fn goto(&self, url: &str) -> TestResult {
        self.browser.goto(url).await.map_err(|e| format!("goto {url}: {e}"))?;
        let now = self.browser.current_url().await.map_err(|e| e.to_string())?;
        // The same scheme, host and port (no HTTPS upgrade, no error page).
        let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        ensure!(now.as_str().starts_with(&origin), "went to {url} but landed on {now}");
        Ok(())
    }

    /// The victim's browser visits the attacker's pages.
    async fn visit_attacker_pages(&self) -> TestResult {
        for url in [
            format!("http://app.example.test:{}/toss", self.setup.front.http),
            format!("https://evil.example.test:{}/toss", self.setup.front.tls),
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
                let whose = if *value == self.setup.attacker_sid { "<mallory>" } else { "<own>" };
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
                && *value == self.setup.attacker_sid
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
            id.as_deref() != Some(self.setup.attacker_id.as_str()),
            "{when}: the victim's browser carries the attacker's session id {}",
            self.setup.attacker_id
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

    /// Signs up as `name` (which signs in) through the sign-up form;
    /// returns the page after.
    async fn login(&self, name: &str) -> Result<String, String> {
        self.app_page("/signup").await?;
        for (css, text) in [("#name", name), ("#password", "alice in wonderland")] {
            let field = self.browser.find(Locator::Css(css)).await;
            let field = field.map_err(|e| format!("no {css} on the sign-up page: {e}"))?;
            field.send_keys(text).await.map_err(|e| format!("type into {css}: {e}"))?;
        }
        let button = self.browser.find(Locator::Css("#signup-form button[type=submit]")).await;
        let button = button.map_err(|e| format!("no sign-up button: {e}"))?;
        button.click().await.map_err(|e| format!("click the sign-up button: {e}"))?;
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
        ensure!(
            sid != self.setup.attacker_sid,
            "{when}: the browser's {SID} is the attacker's value"
        );
        let id = session_id_of(&self.setup.replica, &sid);
        ensure!(
            id.as_deref() != Some(self.setup.attacker_id.as_str()),
            "{when}: the browser's real {SID} re-sealed the attacker's session {}",
            self.setup.attacker_id
        );
        let profile = self.setup.replica.get("/profile", Some(&format!("{SID}={sid}")));
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
