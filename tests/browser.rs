//! The demo in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver, via fantoccini) against the built binary on a
//! free loopback port.
//!
//! Each test starts its own server, chromedriver and browser profile, and
//! stops them when it ends (also on failure). The tests take turns: two
//! cores do not run several Chromiums well.
//!
//! Without `chromium` and `chromedriver` the tests say so on the terminal
//! and pass; with `CI=true` a missing browser is a failure. Install both
//! with `.ci/browser-deps`; point at other binaries with `CHROMIUM=...` and
//! `CHROMEDRIVER=...`. Screenshots of every page land in
//! `target/screenshots/`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use rocket::tokio::sync::Mutex;
use serde_json::{json, Value};

/// One browser test at a time.
static TURN: Mutex<()> = Mutex::const_new(());

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const STARTUP: Duration = Duration::from_secs(30);

type TestResult = Result<(), String>;

/// Fails the test body with a message (the browser is still closed).
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Says something on the terminal even when the test harness captures
/// output (it captures `print!`, not writes to the stderr handle).
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn find_program(env_var: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` (after saying so) when the test
/// should be skipped.
///
/// # Panics
///
/// When they are missing and `CI=true`.
fn browser_programs(test: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program("CHROMIUM", "chromium");
    let driver = find_program("CHROMEDRIVER", "chromedriver");
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        (chromium, driver) => {
            let missing: Vec<&str> =
                [("chromium", chromium.is_none()), ("chromedriver", driver.is_none())]
                    .iter()
                    .filter(|(_, missing)| *missing)
                    .map(|(name, _)| *name)
                    .collect();
            let missing = format!(
                "{} not found (install with `.ci/browser-deps`, or set CHROMIUM / CHROMEDRIVER)",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
                panic!("browser test {test} FAILED: {missing}; CI=true requires the real browser");
            }
            let message = format!("browser test {test} SKIPPED: {missing}");
            say(&message);
            None
        }
    }
}

fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(err) => panic!("no free loopback port: {err}"),
    }
}

/// Waits until `GET path` on the port answers 200.
fn wait_for_http(port: u16, path: &str, child: &mut Child, what: &str) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited during startup: {status}");
        }
        if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            // The status line is enough (chromedriver keeps the connection open).
            let mut head = [0u8; 12];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut head).is_ok()
                && (head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not answer on port {port} within {STARTUP:?}");
}

/// A child process that is killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh Chromium profile directory, removed (with any Chromium still
/// using it) when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new(test: &str) -> Profile {
        let dir = Path::new(MANIFEST_DIR)
            .join("target/browser-profiles")
            .join(format!("{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(err) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {err}", dir.display());
        }
        Profile(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // Chromium processes are started by chromedriver; if the WebDriver
        // session did not end cleanly, end the ones using this profile
        // (found by their command line, killed by process id).
        let marker = format!("--user-data-dir={}", self.0.display());
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok())
                else {
                    continue;
                };
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                if cmdline.contains(&marker) {
                    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo server, chromedriver and a browser session, for one test.
struct Harness {
    base: String,
    browser: Client,
    _server: Killed,
    _driver: Killed,
    _profile: Profile,
}

impl Harness {
    /// Starts everything, or returns `None` when the browser is missing
    /// (and `CI` is not `true`).
    async fn start(test: &str) -> Option<Harness> {
        let (chromium, driver_path) = browser_programs(test)?;
        let logs = Path::new(MANIFEST_DIR).join("target/browser-logs");
        let _ = std::fs::create_dir_all(&logs);
        let log = |name: &str| match std::fs::File::create(logs.join(format!("{test}-{name}.log")))
        {
            Ok(file) => Stdio::from(file),
            Err(_) => Stdio::null(),
        };

        let port = free_port();
        let mut server = Command::new(env!("CARGO_BIN_EXE_sealed-session"));
        server
            .current_dir(MANIFEST_DIR)
            .env("ROCKET_PROFILE", "debug")
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_CLI_COLORS", "false")
            .stdin(Stdio::null())
            .stdout(log("server"))
            .stderr(log("server-err"));
        let mut server = match server.spawn() {
            Ok(child) => Killed(child),
            Err(err) => panic!("cannot start the demo binary: {err}"),
        };
        wait_for_http(port, "/health", &mut server.0, "the demo server");

        let driver_port = free_port();
        let mut driver = Command::new(&driver_path);
        driver
            .arg(format!("--port={driver_port}"))
            .stdin(Stdio::null())
            .stdout(log("chromedriver"))
            .stderr(log("chromedriver-err"));
        let mut driver = match driver.spawn() {
            Ok(child) => Killed(child),
            Err(err) => panic!("cannot start {}: {err}", driver_path.display()),
        };
        wait_for_http(driver_port, "/status", &mut driver.0, "chromedriver");

        let profile = Profile::new(test);
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
            "--window-size=1000,1100".to_owned(),
            format!("--user-data-dir={}", profile.0.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium.display().to_string(), "args": args }),
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
            base: format!("http://127.0.0.1:{port}"),
            browser,
            _server: server,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Runs the test body, then always ends the browser session and stops
    /// the processes, then fails the test if the body failed.
    async fn run(test: &str, body: impl AsyncFnOnce(&Harness) -> TestResult) {
        let _turn = TURN.lock().await;
        let Some(harness) = Harness::start(test).await else {
            return;
        };
        let outcome = body(&harness).await;
        let _ = harness.browser.clone().close().await;
        drop(harness);
        if let Err(message) = outcome {
            panic!("{test}: {message}");
        }
    }

    async fn goto(&self, path: &str) -> TestResult {
        let url = format!("{}{path}", self.base);
        self.browser.goto(&url).await.map_err(|e| format!("goto {url}: {e}"))
    }

    async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.browser.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.text().await.map_err(|e| format!("text of {css}: {e}"))
    }

    async fn path(&self) -> Result<String, String> {
        let url = self.browser.current_url().await.map_err(|e| e.to_string())?;
        Ok(url.path().to_owned())
    }

    async fn page_text(&self) -> Result<String, String> {
        self.text("body").await
    }

    async fn click(&self, css: &str) -> TestResult {
        let element = self.browser.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.click().await.map_err(|e| format!("click {css}: {e}"))
    }

    async fn type_into(&self, css: &str, text: &str) -> TestResult {
        let element = self.browser.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.send_keys(text).await.map_err(|e| format!("type into {css}: {e}"))
    }

    async fn script(&self, script: &str) -> Result<Value, String> {
        self.browser.execute(script, vec![]).await.map_err(|e| format!("script failed: {e}"))
    }

    /// Saves a PNG of the current page as `target/screenshots/<name>.png`.
    async fn screenshot(&self, name: &str) -> TestResult {
        let png = self.browser.screenshot().await.map_err(|e| format!("screenshot: {e}"))?;
        let dir = Path::new(MANIFEST_DIR).join("target/screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(format!("{name}.png")), png).map_err(|e| e.to_string())
    }

    /// Signs in as `name` through the login form.
    async fn login(&self, name: &str) -> TestResult {
        self.goto("/login").await?;
        self.type_into("#name", name).await?;
        self.click("#login-form button[type=submit]").await?;
        self.wait_for("#profile-name").await
    }

    async fn wait_for(&self, css: &str) -> TestResult {
        let found = self
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        found.map(drop).map_err(|e| format!("{css} never appeared: {e}"))
    }
}

#[rocket::async_test]
async fn reloading_the_page_raises_the_visit_counter() {
    Harness::run("counter", async |h: &Harness| {
        h.goto("/").await?;
        let first = h.text("#views").await?;
        ensure!(first == "You have visited this page 1 times.", "first visit: {first:?}");
        h.browser.refresh().await.map_err(|e| e.to_string())?;
        h.browser.refresh().await.map_err(|e| e.to_string())?;
        let third = h.text("#views").await?;
        ensure!(third == "You have visited this page 3 times.", "after two reloads: {third:?}");
        ensure!(h.text("#panel-id").await? == h.text("#session-id").await?, "panel id differs");
        h.screenshot("index").await?;
        h.browser.set_window_size(390, 844).await.map_err(|e| e.to_string())?;
        h.screenshot("index-phone").await
    })
    .await;
}

#[rocket::async_test]
async fn the_session_cookie_is_invisible_to_javascript() {
    Harness::run("httponly", async |h: &Harness| {
        h.goto("/").await?;
        let cookies = h.browser.get_all_cookies().await.map_err(|e| e.to_string())?;
        let sid = cookies.iter().find(|c| c.name() == "sid");
        ensure!(sid.is_some(), "the browser holds no sid cookie: {cookies:?}");
        ensure!(sid.and_then(|c| c.http_only()) == Some(true), "sid is not HttpOnly");
        let visible = h.script("return document.cookie;").await?;
        let visible = visible.as_str().unwrap_or_default().to_owned();
        ensure!(!visible.contains("sid="), "document.cookie shows the session: {visible:?}");
        Ok(())
    })
    .await;
}

#[rocket::async_test]
async fn logging_in_shows_the_profile_with_the_name_under_a_new_session_id() {
    Harness::run("login", async |h: &Harness| {
        h.goto("/login").await?;
        let before = h.text("#panel-id").await?;
        h.screenshot("login").await?;
        h.login("Ada Lovelace").await?;
        ensure!(h.path().await? == "/profile", "landed on {}", h.path().await?);
        let greeting = h.text("#profile-name").await?;
        ensure!(greeting.contains("Ada Lovelace"), "profile says {greeting:?}");
        let flash = h.text("#flash").await?;
        ensure!(flash == "Signed in as Ada Lovelace.", "flash says {flash:?}");
        let after = h.text("#panel-id").await?;
        ensure!(after != before, "the session id did not change at login ({after})");
        h.screenshot("profile").await
    })
    .await;
}

#[rocket::async_test]
async fn logging_out_ends_the_session_and_profile_then_redirects_to_login() {
    Harness::run("logout", async |h: &Harness| {
        h.login("Grace").await?;
        h.click("#logout-form button").await?;
        h.wait_for("h1").await?;
        ensure!(h.path().await? == "/logout", "after logout at {}", h.path().await?);
        let page = h.page_text().await?;
        ensure!(page.contains("Logged out successfully!"), "logout page: {page}");
        h.screenshot("logout").await?;
        let cookies = h.browser.get_all_cookies().await.map_err(|e| e.to_string())?;
        ensure!(cookies.iter().all(|c| c.name() != "sid"), "sid survived logout: {cookies:?}");

        h.goto("/profile").await?;
        ensure!(h.path().await? == "/login", "/profile went to {}", h.path().await?);
        let flash = h.text("#flash").await?;
        ensure!(flash.contains("Please sign in"), "login page flash: {flash:?}");
        h.goto("/login").await?;
        let page = h.page_text().await?;
        ensure!(page.contains("Display name"), "not the login page: {page}");
        ensure!(!page.contains("Please sign in"), "the sign-in warning was shown twice: {page}");
        Ok(())
    })
    .await;
}

#[rocket::async_test]
async fn a_form_posted_without_its_csrf_token_gets_the_403_page() {
    Harness::run("csrf", async |h: &Harness| {
        h.goto("/login").await?;
        h.script("document.querySelector('#login-form input[name=csrf_token]').remove();").await?;
        h.type_into("#name", "Mallory").await?;
        h.click("#login-form button[type=submit]").await?;
        h.wait_for("#error-title").await?;
        let title = h.text("#error-title").await?;
        ensure!(title == "403 Forbidden: form refused", "error page title: {title:?}");
        let reason = h.text("#error-reason").await?;
        ensure!(reason.contains("without its security token"), "reason: {reason:?}");
        h.screenshot("forbidden").await?;

        h.goto("/profile").await?;
        ensure!(h.path().await? == "/login", "Mallory got signed in anyway");
        Ok(())
    })
    .await;
}

#[rocket::async_test]
async fn a_form_posted_with_a_wrong_csrf_token_gets_the_403_page() {
    Harness::run("csrf-wrong", async |h: &Harness| {
        h.goto("/").await?;
        let script = "document.querySelector('#logout-form input[name=csrf_token]').value = \
                      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';";
        h.script(script).await?;
        h.click("#logout-form button").await?;
        h.wait_for("#error-title").await?;
        let reason = h.text("#error-reason").await?;
        ensure!(reason.contains("does not belong to your session"), "reason: {reason:?}");
        h.goto("/").await?;
        let views = h.text("#views").await?;
        ensure!(views.contains(" 2 times"), "the refused logout ended the session: {views:?}");
        Ok(())
    })
    .await;
}
