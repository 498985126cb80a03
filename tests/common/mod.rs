//! The one harness of the demo's integration tests.
//!
//! - here: configured local clients and `Set-Cookie` parsing for Rocket's
//!   local client, notes for `/notes` ([`sample_note`]), and [`say`];
//! - [`process`]: free ports, child processes killed on drop, the demo
//!   binary as a server or as a launch that must be refused, scratch
//!   directories, running one test in a process of its own;
//! - [`http`]: a tiny HTTP/1.1 client for loopback, with a cookie [`Jar`];
//! - [`real_components`]: finding chromium, chromedriver, nginx and openssl,
//!   with the skip rule (SKIPPED and pass under plain `cargo test`, a
//!   failure under `CI=true`);
//! - [`nginx`]: a foreground nginx in a scratch prefix.
//!
//! `browser.rs` beside this file (the chromedriver session) is included by
//! the `browser` test binary only, so that the other binaries do not
//! compile the WebDriver client.
#![allow(dead_code, unused_imports)]

pub mod http;
pub mod nginx;
pub mod process;
pub mod real_components;
pub mod tls;

use std::io::Write;

use rocket::figment::Figment;
use rocket::local::blocking::{Client, LocalResponse};
use rocket_sealed_session::Secret;

pub use http::{http_get, HttpResponse, Jar};
pub use process::{accounts_env, free_port, AccountsFile, Demo, Server};

/// A fresh random secret as base64.
pub fn secret() -> String {
    Secret::generate().to_base64()
}

/// The accounts database URL that gives each app (each pool) an empty
/// database of its own, in memory: sqlx names every `sqlite::memory:` pool's
/// database apart.
pub const MEMORY_ACCOUNTS: &str = "sqlite::memory:";

/// Rocket's figment for `profile`, quiet, with `session.secret` set and an
/// accounts database of its own.
pub fn figment(profile: &str, secret: &str) -> Figment {
    rocket::Config::figment()
        .select(profile)
        .merge(("log_level", "off"))
        .merge(("session.secret", secret))
        .merge(("databases.accounts.url", MEMORY_ACCOUNTS))
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

/// The `name=value` pair at the start of a `Set-Cookie`: what a client
/// sends back in its `Cookie` header.
pub fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap_or_default()
}

/// The value of `name=value` at the start of a `Set-Cookie`.
pub fn cookie_value(set_cookie: &str) -> &str {
    cookie_pair(set_cookie).split_once('=').map(|(_, v)| v).unwrap_or_default()
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

/// Says something on the terminal even when the test harness captures
/// output (it captures `print!` and `eprint!`, not writes to the stderr
/// handle): for SKIPPED notices and reports that must be seen on a pass.
pub fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Note `i` of a test, `len` characters of letters, digits and spaces
/// that do not repeat themselves: a few of them take a session past one
/// cookie (`/notes`).
pub fn sample_note(i: usize, len: usize) -> String {
    const WORDS: [&str; 12] = [
        "amber", "basalt", "cobalt", "dune", "ember", "fjord", "granite", "harbor", "iris",
        "juniper", "kelp", "lantern",
    ];
    let mut text = format!("Note {i}:");
    let mut k = i * 7 + 3;
    while text.len() < len {
        text.push_str(&format!(" {}{}", WORDS[k % WORDS.len()], k % 97));
        k = (k * 31 + 17) % 10_007;
    }
    text.truncate(len);
    text.trim_end().to_owned()
}

/// `text` URL-encoded for a form body.
pub fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The `value` of the first `csrf_token` input of a page.
pub fn csrf_token(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf_token\"")?;
    let tag_start = page[..at].rfind('<')?;
    let tag_end = at + page[at..].find('>')?;
    let tag = &page[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?;
    value.split('"').next().map(str::to_owned)
}
