//! Accounts in Chromium: sign up, sign in with the password, and "log out
//! everywhere" pressed in a second browser (its own WebDriver session and
//! fresh profile, signed in as the same user) ends the first browser's
//! session too, once the revalidation interval (2 s here) has passed: its
//! next page shows it signed out. The screenshot of the profile page with
//! the button is `target/screenshots/accounts-profile.png`
//! (`docs/demo-accounts.png`).

use std::time::{Duration, Instant};

use crate::common::real_components::{require, CHROMEDRIVER, CHROMIUM};
use crate::common::{Demo, Server};
use crate::session::{self, ensure, logs_dir, Browser, TestResult};

/// The revalidation interval of the test's server, in seconds.
const EVERY: u64 = 2;

/// The account's password.
const PASSWORD: &str = "correct horse battery";

/// The demo server and a second browser, beside the harness's first.
struct Setup {
    server: Server,
    second: Browser,
}

type Harness = session::Harness<Setup>;

impl Harness {
    /// Starts the server (sessions checked every [`EVERY`] seconds) and two
    /// browsers with fresh profiles, or returns `None` when the browser is
    /// missing (and `CI` is not `true`).
    async fn start(test: &str) -> Option<Harness> {
        let [chromium, chromedriver] =
            require(&format!("browser test {test}"), [&CHROMIUM, &CHROMEDRIVER])?;
        let every = format!("{{revalidate_every={EVERY}}}");
        let server = Demo::new(&[("ROCKET_PROFILE", "debug"), ("ROCKET_DEMO", every.as_str())])
            .log_to(logs_dir().join(format!("{test}-server.log")))
            .start();
        let window = ["--window-size=1000,1100"];
        let first = Browser::start(test, &chromium, &chromedriver, &window, false).await;
        let second_name = format!("{test}-second");
        let second = Browser::start(&second_name, &chromium, &chromedriver, &window, false).await;
        Some(Harness { browser: first, setup: Setup { server, second } })
    }

    /// Runs the test body with everything started, then stops it all.
    async fn run(test: &str, body: impl AsyncFnOnce(&Harness) -> TestResult) {
        session::run(test, async || Harness::start(test).await, body).await;
    }
}

/// Goes to `path` of the demo in `browser`.
async fn goto(h: &Harness, browser: &Browser, path: &str) -> TestResult {
    let url = format!("http://127.0.0.1:{}{path}", h.setup.server.port);
    browser.goto(&url).await.map_err(|e| format!("goto {url}: {e}"))
}

/// Fills and sends the form of `path` (`/signup` or `/login`, whose form
/// is `#signup-form` or `#login-form`) in `browser`.
async fn send_account_form(
    h: &Harness,
    browser: &Browser,
    path: &str,
    name: &str,
    password: &str,
) -> TestResult {
    goto(h, browser, path).await?;
    browser.type_into("#name", name).await?;
    browser.type_into("#password", password).await?;
    let form = if path == "/signup" { "#signup-form" } else { "#login-form" };
    submit_and_wait(browser, &format!("{form} button[type=submit]")).await
}

/// Clicks a form's button and waits until the next document has loaded:
/// the old page is marked first, so that an element of the old page (the
/// password check takes a while) is never taken for one of the new.
async fn submit_and_wait(browser: &Browser, button: &str) -> TestResult {
    browser.script("document.documentElement.dataset.before = 'submit';").await?;
    browser.click(button).await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = browser
            .script(
                "return document.documentElement.dataset.before === undefined \
                 && document.readyState === 'complete';",
            )
            .await;
        if matches!(state, Ok(serde_json::Value::Bool(true))) {
            return browser.wait_for("h1").await;
        }
        ensure!(Instant::now() < deadline, "{button}: the next page never loaded");
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `browser` is signed in: `/profile` shows the profile, or went
/// to the login form (which then says why).
async fn signed_in(h: &Harness, browser: &Browser) -> Result<bool, String> {
    goto(h, browser, "/profile").await?;
    match browser.path().await?.as_str() {
        "/profile" => Ok(true),
        "/login" => {
            let flash = browser.text("#flash").await?;
            ensure!(flash == "Please sign in to see that page.", "the login page says {flash:?}");
            Ok(false)
        }
        other => Err(format!("/profile went to {other}")),
    }
}

#[rocket::async_test]
async fn log_out_everywhere_from_a_second_browser_signs_the_first_out() {
    Harness::run("accounts", async |h: &Harness| {
        let (first, second) = (&h.browser, &h.setup.second);

        // Sign up in the first browser: a weak password is refused first.
        send_account_form(h, first, "/signup", "Ada Lovelace", "qwertyuiop").await?;
        let error = first.text("#form-error").await?;
        ensure!(error.contains("too easy to guess"), "a common password: {error:?}");
        send_account_form(h, first, "/signup", "Ada Lovelace", PASSWORD).await?;
        ensure!(first.path().await? == "/profile", "sign-up landed on {}", first.path().await?);
        let flash = first.text("#flash").await?;
        ensure!(flash == "Account created. Signed in as Ada Lovelace.", "sign-up: {flash:?}");

        // Out, and in again with the password (a wrong one first).
        first.click("#logout-form button").await?;
        first.wait_for("#message").await?;
        send_account_form(h, first, "/login", "Ada Lovelace", "not the password").await?;
        let error = first.text("#form-error").await?;
        ensure!(error == "Wrong name or password.", "a wrong password: {error:?}");
        send_account_form(h, first, "/login", "Ada Lovelace", PASSWORD).await?;
        let flash = first.text("#flash").await?;
        ensure!(flash == "Signed in as Ada Lovelace.", "sign-in: {flash:?}");
        let interval = first.text("#revalidate-every").await?;
        ensure!(interval == format!("{EVERY} seconds"), "the profile says {interval:?}");

        // The second browser signs in as the same user, and logs out
        // everywhere.
        send_account_form(h, second, "/login", "ada lovelace", PASSWORD).await?;
        ensure!(second.path().await? == "/profile", "second sign-in at {}", second.path().await?);
        second.screenshot("accounts-profile").await?;
        second.click("#logout-everywhere-form button").await?;
        second.wait_for("#message").await?;
        ensure!(second.path().await? == "/logout/everywhere", "at {}", second.path().await?);
        let message = second.text("#message").await?;
        ensure!(message == "Logged out everywhere.", "the page says {message:?}");
        let note = second.text("#everywhere-note").await?;
        ensure!(note.contains(&format!("within {EVERY} seconds")), "the page says {note:?}");
        second.screenshot("accounts-logged-out-everywhere").await?;
        let pressed = Instant::now();
        ensure!(!signed_in(h, second).await?, "the second browser is still signed in");

        // The first browser's next page after the interval: signed out.
        rocket::tokio::time::sleep(Duration::from_secs(EVERY + 1)).await;
        ensure!(!signed_in(h, first).await?, "the first browser is still signed in");
        let nav = first.text("nav").await?;
        ensure!(nav.contains("Log in") && !nav.contains("Ada"), "the navigation says {nav:?}");
        first.screenshot("accounts-signed-out").await?;
        crate::common::say(&format!(
            "log out everywhere: the first browser was signed out {:.1} s after the second \
             pressed the button (interval {EVERY} s)",
            pressed.elapsed().as_secs_f64()
        ));

        // The password still signs in, in either browser.
        send_account_form(h, first, "/login", "Ada Lovelace", PASSWORD).await?;
        ensure!(signed_in(h, first).await?, "signing in again failed");
        second.close().await;
        Ok(())
    })
    .await;
}
