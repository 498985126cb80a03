//! Where the demo's configuration comes from: Rocket's own providers
//! (Rocket.toml profiles, `ROCKET_*` variables), plus `SESSION_<KEY>`
//! environment variables for the library's `session` table, and the
//! documents whose printed values may never be used as a secret.

use rocket::figment::providers::Env;
use rocket::figment::Figment;
use rocket_sealed_session::{SessionConfig, Sessions, CONFIG_KEYS};

/// The project's own documents: a secret printed in any of them is public,
/// and the demo refuses it in every profile.
pub const PUBLISHED_DOCUMENTS: &[&str] = &[
    include_str!("../../README.md"),
    include_str!("../../SECURITY.md"),
    include_str!("../../Rocket.toml"),
    include_str!("../../rocket_sealed_session/README.md"),
];

/// `SESSION_<KEY>` for each key of the session table (`SESSION_SECRET`,
/// `SESSION_MAX_AGE`, ...), winning over every profile of Rocket.toml.
/// Other `SESSION_*` variables (desktops set `SESSION_MANAGER`) are ignored.
pub fn session_env() -> Env {
    Env::prefixed("SESSION_")
        .only(CONFIG_KEYS)
        .map(|key| format!("session.{}", key.as_str()).into())
        .global()
}

/// Rocket's default figment with the `SESSION_*` variables merged on top.
pub fn figment() -> Figment {
    rocket::Config::figment().merge(session_env())
}

/// The sessions fairing as the demo configures it.
pub fn sessions() -> Sessions {
    Sessions::fairing().refuse_secrets_published_in(PUBLISHED_DOCUMENTS)
}

/// Checks the session configuration of `figment` before launch, so that
/// the binary can print a refusal on stderr and exit non-zero.
///
/// # Errors
///
/// The library's [`rocket_sealed_session::Error::Config`], which says what
/// to fix.
pub fn check(figment: &Figment) -> Result<SessionConfig, rocket_sealed_session::Error> {
    SessionConfig::from_figment_refusing(figment, PUBLISHED_DOCUMENTS)
}
