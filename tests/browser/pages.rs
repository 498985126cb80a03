//! The tour of the demo's pages in Chromium against the built binary in
//! the debug profile: reloads raise the counter, `document.cookie` does
//! not show the session cookie, login shows the profile under a new
//! session id, logout ends the session and `/profile` then goes to
//! `/login`, a form without its token gets the 403 page, and notes take
//! the session past one cookie (`sid`, `sid.1`) and clearing them leaves no
//! stale piece in the browser. Screenshots of every page land in
//! `target/screenshots/`.

use crate::common::real_components::{require, CHROMEDRIVER, CHROMIUM};
use crate::common::{Demo, Server};
use crate::session::{self, ensure, logs_dir, Browser, HeldCookie, TestResult};

/// A browser and the demo server, for one test.
type Harness = session::Harness<Server>;

impl Harness {
    /// Starts everything, or returns `None` when the browser is missing
    /// (and `CI` is not `true`).
    async fn start(test: &str) -> Option<Harness> {
        let [chromium, chromedriver] =
            require(&format!("browser test {test}"), [&CHROMIUM, &CHROMEDRIVER])?;
        let server = Demo::new(&[("ROCKET_PROFILE", "debug")])
            .log_to(logs_dir().join(format!("{test}-server.log")))
            .start();
        let window = ["--window-size=1000,1100"];
        let browser = Browser::start(test, &chromium, &chromedriver, &window, false).await;
        Some(Harness { browser, setup: server })
    }

    /// Runs the test body with everything started, then stops it all.
    async fn run(test: &str, body: impl AsyncFnOnce(&Harness) -> TestResult) {
        session::run(test, async || Harness::start(test).await, body).await;
    }

    async fn goto(&self, path: &str) -> TestResult {
        let url = format!("http://127.0.0.1:{}{path}", self.setup.port);
        self.browser.goto(&url).await.map_err(|e| format!("goto {url}: {e}"))
    }

    async fn page_text(&self) -> Result<String, String> {
        self.text("body").await
    }

    /// Signs up as `name` (which signs in) through the sign-up form.
    async fn signup(&self, name: &str) -> TestResult {
        self.goto("/signup").await?;
        self.type_into("#name", name).await?;
        self.type_into("#password", PASSWORD).await?;
        self.click("#signup-form button[type=submit]").await?;
        self.wait_for("#profile-name").await
    }

    /// Signs in as `name` through the login form.
    async fn login(&self, name: &str) -> TestResult {
        self.goto("/login").await?;
        self.type_into("#name", name).await?;
        self.type_into("#password", PASSWORD).await?;
        self.click("#login-form button[type=submit]").await?;
        self.wait_for("#profile-name").await
    }

    /// Signs up as `name` with "remember me" ticked.
    async fn signup_remembered(&self, name: &str) -> TestResult {
        self.goto("/signup").await?;
        self.type_into("#name", name).await?;
        self.type_into("#password", PASSWORD).await?;
        self.click("#remember").await?;
        self.click("#signup-form button[type=submit]").await?;
        self.wait_for("#profile-name").await
    }
}

/// The password of the tests' accounts.
const PASSWORD: &str = "correct horse battery";

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
        h.goto("/signup").await?;
        h.screenshot("signup").await?;
        h.signup("Ada Lovelace").await?;
        let flash = h.text("#flash").await?;
        ensure!(flash == "Account created. Signed in as Ada Lovelace.", "flash says {flash:?}");
        h.click("#logout-form button").await?;
        h.wait_for("#message").await?;

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
        h.signup("Grace").await?;
        h.click("#logout-form button").await?;
        h.wait_for("#message").await?; // only the logout page has it
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
        ensure!(page.contains("Password"), "not the login page: {page}");
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
        h.type_into("#password", PASSWORD).await?;
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

#[rocket::async_test]
async fn notes_take_the_session_past_one_cookie_and_clearing_leaves_no_stale_piece() {
    Harness::run("notes", async |h: &Harness| {
        h.signup_remembered("Ada Lovelace").await?;
        h.goto("/notes").await?;
        ensure!(h.path().await? == "/notes", "/notes went to {}", h.path().await?);
        h.screenshot("notes-empty").await?;

        // Notes until the session is about 6 KB, in two cookies.
        let notes = h.add_notes_until(6000).await?;
        let (count, bytes) = h.panel_cookies().await?;
        ensure!(count == 2, "a {bytes}-byte session in {count} cookies");
        let jar = h.cookie_jar().await?;
        let names: Vec<&str> = jar.iter().map(|c| c.name.as_str()).collect();
        ensure!(names == ["sid", "sid.1"], "the browser holds {jar:?}");
        let total: usize = jar.iter().map(|c| c.value_len).sum();
        ensure!(total > 4096 && jar.iter().all(|c| c.value_len < 4096), "cookie values: {jar:?}");
        ensure!(jar.iter().all(|c| c.http_only), "a piece is not HttpOnly: {jar:?}");
        // "Remember me": both pieces live 30 days.
        let thirty_days = 30 * 86_400;
        let remembered = |c: &HeldCookie| {
            c.expires_in.is_some_and(|s| (thirty_days - 120..=thirty_days).contains(&s))
        };
        ensure!(jar.iter().all(remembered), "not 30 days: {jar:?}");
        // Tall enough for the notes and the panel below them (for the README).
        h.browser.set_window_size(1000, 1400).await.map_err(|e| e.to_string())?;
        h.screenshot("notes").await?;
        h.browser.set_window_size(390, 844).await.map_err(|e| e.to_string())?;
        h.screenshot("notes-phone").await?;
        h.browser.set_window_size(1000, 1100).await.map_err(|e| e.to_string())?;

        // Reloads send both cookies: every note is still there.
        for _ in 0..2 {
            h.browser.refresh().await.map_err(|e| e.to_string())?;
            ensure!(h.listed_notes().await? == notes, "the notes after a reload differ");
            ensure!(h.panel_cookies().await?.0 == 2, "not two cookies after a reload");
        }
        h.goto("/profile").await?;
        ensure!(h.text("#profile-name").await?.contains("Ada Lovelace"), "signed out by a reload");
        h.goto("/notes").await?;

        // Clearing: one cookie left, and no stale sid.1 in the browser.
        h.click("#clear-form button").await?;
        h.wait_for("#no-notes").await?;
        let flash = h.text("#flash").await?;
        ensure!(flash == "Notes cleared.", "after clearing: {flash:?}");
        ensure!(h.panel_cookies().await?.0 == 1, "the panel does not say one cookie");
        let jar = h.cookie_jar().await?;
        let names: Vec<&str> = jar.iter().map(|c| c.name.as_str()).collect();
        ensure!(names == ["sid"], "after clearing the browser holds {jar:?}");
        ensure!(jar[0].value_len > 0 && jar[0].value_len < 4096, "the session cookie: {jar:?}");
        h.browser.refresh().await.map_err(|e| e.to_string())?;
        ensure!(h.text("#no-notes").await.is_ok(), "notes came back after a reload");
        h.goto("/profile").await?;
        ensure!(h.text("#profile-name").await?.contains("Ada Lovelace"), "signed out by clearing");
        Ok(())
    })
    .await;
}
