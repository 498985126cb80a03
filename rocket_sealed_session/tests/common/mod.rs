//! Helpers shared by the library's integration tests: figments, secrets and
//! `Set-Cookie` parsing for Rocket's local client.
#![allow(dead_code)]

pub mod counter;

use rocket::figment::Figment;
use rocket::local::blocking::LocalResponse;
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
