//! The demo in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver, via fantoccini) against the built binary on a
//! free loopback port. One test binary (`cargo test --test browser`):
//!
//! - [`accounts`]: sign-up, sign-in, and "log out everywhere" from a second
//!   browser ending the first browser's session;
//! - [`pages`]: the tour of the demo's pages (counter, `HttpOnly`, login,
//!   logout, CSRF); screenshots of every page land in `target/screenshots/`;
//! - [`tossing`]: cookie tossing behind a real nginx with TLS.
//!
//! Each test starts its own processes and browser profile and stops them
//! when it ends (also on failure); the tests take turns. Without the real
//! programs (`chromium`, `chromedriver`; `nginx` and `openssl` for
//! [`tossing`]) a test says `browser test … SKIPPED` on the terminal and
//! passes; with `CI=true` a missing program is a failure. Install them with
//! `.ci/browser-deps` and `apt-get install nginx openssl`; point at other
//! binaries with `CHROMIUM=`, `CHROMEDRIVER=`, `NGINX=`, `OPENSSL=`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/browser.rs"]
mod session;

mod accounts;
mod fleet;
mod pages;
mod tossing;
