//! A headless Chromium driven through chromedriver (WebDriver, via
//! fantoccini), for the `browser` test binary: one chromedriver and one
//! fresh profile per test, all stopped when the test ends (also on
//! failure), and one browser test at a time (two cores do not run several
//! Chromiums well).
//!
//! Included by `tests/browser/main.rs` only (`#[path]`), next to
//! `common`; the other test binaries do not compile the WebDriver client.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use rocket::tokio::sync::Mutex;
use serde_json::{json, Value};

use crate::common::process::{free_port, log_file, target_dir, Killed, Scratch};

/// One browser test at a time.
static TURN: Mutex<()> = Mutex::const_new(());

/// What a test body returns: `Err` fails the test after the browser and
/// every process are stopped.
pub type TestResult = Result<(), String>;

/// Fails the test body with a message (the browser is still closed).
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}
pub(crate) use ensure;

/// Where chromedriver and the servers of browser tests write their logs.
pub fn logs_dir() -> PathBuf {
    target_dir().join("browser-logs")
}

/// One browser test's browser and the rest of its setup `T` (servers,
/// nginx, values), stopped in that order; derefs to the browser. Each test
/// module adds its own methods to its `Harness<T>`.
pub struct Harness<T> {
    pub browser: Browser,
    pub setup: T,
}

impl<T> Deref for Harness<T> {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// Takes the turn, starts the test's processes and browser with `start`
/// (`None`: skipped), runs `body`, then always closes the browser and
/// stops everything, then fails the test if the body failed.
pub async fn run<T>(
    test: &str,
    start: impl AsyncFnOnce() -> Option<Harness<T>>,
    body: impl AsyncFnOnce(&Harness<T>) -> TestResult,
) {
    let _turn = TURN.lock().await;
    let Some(harness) = start().await else {
        return;
    };
    let outcome = body(&harness).await;
    harness.browser.close().await;
    drop(harness);
    if let Err(message) = outcome {
        panic!("{test}: {message}");
    }
}

/// A fresh Chromium profile directory, removed (with any Chromium still
/// using it) when dropped.
struct Profile(Scratch);

impl Drop for Profile {
    fn drop(&mut self) {
        // Chromium processes are started by chromedriver; if the WebDriver
        // session did not end cleanly, end the ones using this profile
        // (found by their command line, killed by process id).
        let marker = format!("--user-data-dir={}", self.0.path().display());
        for pid in processes_mentioning(&marker) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
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

/// The Chromium flags every test uses.
const ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A WebDriver session with its own chromedriver and Chromium profile;
/// derefs to the fantoccini client.
pub struct Browser {
    client: Client,
    _driver: Killed,
    _profile: Profile,
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Browser {
    /// Starts chromedriver (log: `target/browser-logs/<test>-chromedriver.log`)
    /// and, through it, a headless Chromium with a fresh profile and
    /// `extra_args`; `insecure_certs` accepts self-signed certificates.
    ///
    /// # Panics
    ///
    /// When chromedriver or Chromium does not start.
    pub async fn start(
        test: &str,
        chromium: &Path,
        chromedriver: &Path,
        extra_args: &[&str],
        insecure_certs: bool,
    ) -> Browser {
        let port = free_port();
        let (stdout, stderr) = log_file(&logs_dir().join(format!("{test}-chromedriver.log")));
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}")).stdout(stdout).stderr(stderr);
        let mut driver = Killed::spawn(&mut command, &chromedriver.display().to_string());
        if let Err(why) = driver.wait_for_http(port, "/status", "chromedriver") {
            panic!("{why}");
        }

        let profile = Profile(Scratch::new("browser-profiles", test));
        let mut args: Vec<String> = ARGS.iter().chain(extra_args).map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.0.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        if insecure_certs {
            caps.insert("acceptInsecureCerts".into(), json!(true));
        }
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium.display().to_string(), "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        let client = match client {
            Ok(client) => client,
            Err(err) => panic!("chromedriver did not start Chromium: {err}"),
        };
        Browser { client, _driver: driver, _profile: profile }
    }

    /// Ends the WebDriver session (Chromium exits).
    pub async fn close(&self) {
        let _ = self.client.clone().close().await;
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.client.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.text().await.map_err(|e| format!("text of {css}: {e}"))
    }

    pub async fn click(&self, css: &str) -> TestResult {
        let element = self.client.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.click().await.map_err(|e| format!("click {css}: {e}"))
    }

    pub async fn type_into(&self, css: &str, text: &str) -> TestResult {
        let element = self.client.find(Locator::Css(css)).await;
        let element = element.map_err(|e| format!("no {css} on the page: {e}"))?;
        element.send_keys(text).await.map_err(|e| format!("type into {css}: {e}"))
    }

    pub async fn script(&self, script: &str) -> Result<Value, String> {
        self.client.execute(script, vec![]).await.map_err(|e| format!("script failed: {e}"))
    }

    /// The current page's path.
    pub async fn path(&self) -> Result<String, String> {
        let url = self.client.current_url().await.map_err(|e| e.to_string())?;
        Ok(url.path().to_owned())
    }

    /// Waits up to 10 s for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> TestResult {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        found.map(drop).map_err(|e| format!("{css} never appeared: {e}"))
    }

    /// Saves a PNG of the current page as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> TestResult {
        let png = self.client.screenshot().await.map_err(|e| format!("screenshot: {e}"))?;
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join(format!("{name}.png")), png).map_err(|e| e.to_string())
    }
}

/// A cookie as the browser holds it (WebDriver also reads `HttpOnly` ones).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeldCookie {
    pub name: String,
    /// Bytes of its value.
    pub value_len: usize,
    pub http_only: bool,
    pub secure: bool,
    /// Seconds until it expires; `None` for a session cookie.
    pub expires_in: Option<i64>,
}

/// Waits, helpers for the demo's pages (the session panel, `/notes`).
impl Browser {
    /// Waits up to 10 s until the text of the first `css` is `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> TestResult {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await.unwrap_or_default();
            if text == expected {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("{css} says {text:?}, not {expected:?}"));
            }
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every cookie the browser holds for the current page's site, by name.
    pub async fn cookie_jar(&self) -> Result<Vec<HeldCookie>, String> {
        let cookies = self.client.get_all_cookies().await.map_err(|e| e.to_string())?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut jar: Vec<HeldCookie> = cookies
            .iter()
            .map(|c| HeldCookie {
                name: c.name().to_owned(),
                value_len: c.value().len(),
                http_only: c.http_only() == Some(true),
                secure: c.secure() == Some(true),
                expires_in: c.expires_datetime().map(|t| t.unix_timestamp() - now),
            })
            .collect();
        jar.sort();
        Ok(jar)
    }

    /// What the session panel says: how many cookies, and the sealed size
    /// in bytes.
    pub async fn panel_cookies(&self) -> Result<(usize, usize), String> {
        let count = self.text("#panel-cookie-count").await?;
        let bytes = self.text("#panel-cookie-bytes").await?;
        let number = |text: &str| text.split(' ').next().and_then(|n| n.parse().ok());
        match (number(&count), number(&bytes)) {
            (Some(count), Some(bytes)) => Ok((count, bytes)),
            _ => Err(format!("the panel says {count:?} cookies of {bytes:?}")),
        }
    }

    /// The notes `/notes` lists (the DOM's text, also of notes scrolled out
    /// of the list's box).
    pub async fn listed_notes(&self) -> Result<Vec<String>, String> {
        let items = self.client.find_all(Locator::Css("#notes li")).await;
        let items = items.map_err(|e| format!("the notes list: {e}"))?;
        let mut texts = Vec::new();
        for item in items {
            let text = item.prop("textContent").await.map_err(|e| e.to_string())?;
            texts.push(text.unwrap_or_default());
        }
        Ok(texts)
    }

    /// On `/notes`, types notes of 450 characters into the form, one by
    /// one, until the panel says the session is sealed into at least
    /// `bytes` bytes; returns the notes. Each must be added ("Note added.").
    pub async fn add_notes_until(&self, bytes: usize) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        loop {
            if notes.len() >= 20 {
                return Err(format!("20 notes and the session is still under {bytes} bytes"));
            }
            let text = crate::common::sample_note(notes.len(), 450);
            self.type_into("#note", &text).await?;
            self.click("#note-form button[type=submit]").await?;
            notes.push(text);
            let count = match notes.len() {
                1 => "1 note".to_owned(),
                n => format!("{n} notes"),
            };
            self.wait_for_text("#notes-count", &count).await?;
            let flash = self.text("#flash").await?;
            if flash != "Note added." {
                return Err(format!("after note {}: {flash:?}", notes.len()));
            }
            if self.panel_cookies().await?.1 >= bytes {
                return Ok(notes);
            }
        }
    }
}
