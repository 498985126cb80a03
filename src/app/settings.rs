//! Where the demo's configuration comes from: Rocket's own providers
//! (Rocket.toml profiles, `ROCKET_*` variables), plus `SESSION_<KEY>`
//! environment variables for the library's `session` table, and the
//! documents whose printed values may never be used as a secret; the
//! session limits the pages show and use ([`SessionLimits`]); and the
//! demo's own `demo` table ([`DemoSettings`]: how often a signed-in session
//! is checked against its account).

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::figment::providers::Env;
use rocket::figment::Figment;
use rocket_sealed_session::{SessionConfig, Sessions, WhenCheckFails, CONFIG_KEYS};
use serde::{Deserialize, Serialize};

use super::accounts::EpochCheck;

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

/// The sessions fairing as the demo configures it: secrets printed in the
/// project's documents refused, and every signed-in session checked against
/// its account ([`EpochCheck`]: "log out everywhere") at most once per
/// `revalidate_every`, failing closed (a session that cannot be checked,
/// the database down, is refused: signed out, never kept unchecked).
pub fn sessions(revalidate_every: Duration) -> Sessions {
    unchecked_sessions().revalidate(revalidate_every, WhenCheckFails::Refuse, EpochCheck)
}

/// The fairing without the revalidation check: enough to read the session
/// configuration.
fn unchecked_sessions() -> Sessions {
    Sessions::fairing().refuse_secrets_published_in(PUBLISHED_DOCUMENTS)
}

/// The demo's own settings: the `demo` table of Rocket.toml (in the
/// environment, `ROCKET_DEMO='{revalidate_every=2}'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Seconds between two checks of a signed-in session against its
    /// account: how long "log out everywhere" may take to reach every other
    /// copy of a session, on every replica. 0: on every request.
    pub revalidate_every: u64,
}

impl Default for DemoSettings {
    fn default() -> DemoSettings {
        DemoSettings { revalidate_every: 30 }
    }
}

impl DemoSettings {
    /// The `demo` table of `figment`, or the defaults without one.
    ///
    /// # Errors
    ///
    /// A table that does not parse (an unknown key, a negative interval).
    pub fn from_figment(figment: &Figment) -> Result<DemoSettings, Box<rocket::figment::Error>> {
        if figment.contains("demo") {
            figment.extract_inner("demo").map_err(Box::new)
        } else {
            Ok(DemoSettings::default())
        }
    }

    /// `revalidate_every` as a duration.
    pub fn revalidate_interval(&self) -> Duration {
        Duration::from_secs(self.revalidate_every)
    }
}

/// The sessions fairing, attached at ignite with the revalidation interval
/// of the configuration in force (so that a `.configure(..)` counts), and
/// [`DemoSettings`] managed for the pages that show it. A `demo` table
/// that does not parse stops the launch.
pub fn sessions_and_settings() -> AdHoc {
    AdHoc::try_on_ignite("Demo sessions and settings", |rocket| async move {
        match DemoSettings::from_figment(rocket.figment()) {
            Ok(demo) => Ok(rocket.manage(demo).attach(sessions(demo.revalidate_interval()))),
            Err(err) => {
                log::error!("the `demo` settings do not parse: {err}");
                Err(rocket)
            }
        }
    })
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

/// What "remember me" asks for: 30 days, bounded by the configured
/// `max_lifetime` (Rocket.toml sets it to 30 days).
pub const REMEMBER_ME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The session settings the pages need, read at ignite from the same
/// figment (and so the same configuration) as the sessions fairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLimits {
    /// The session cookie's name (`sid`; `__Host-sid` in release).
    pub cookie_name: String,
    /// The most cookies one session may take (`max_chunks`).
    pub max_chunks: usize,
    /// A session's lifetime without "remember me" (`max_age`).
    pub default_lifetime: Duration,
    /// What "remember me" gives: [`REMEMBER_ME`], or `max_lifetime` if shorter.
    pub remembered_lifetime: Duration,
}

impl SessionLimits {
    /// The limits of a checked configuration.
    pub fn of(config: &SessionConfig) -> SessionLimits {
        SessionLimits {
            cookie_name: config.cookie_name.clone(),
            max_chunks: config.max_chunks,
            default_lifetime: Duration::from_secs(config.max_age),
            remembered_lifetime: REMEMBER_ME.min(Duration::from_secs(config.max_lifetime)),
        }
    }

    /// The names of the first `count` cookies of a session: `sid`, `sid.1`, ...
    pub fn cookie_names(&self, count: usize) -> Vec<String> {
        let name = &self.cookie_name;
        (0..count).map(|i| if i == 0 { name.clone() } else { format!("{name}.{i}") }).collect()
    }
}

/// Manages [`SessionLimits`] at ignite, from the configuration the
/// [`sessions`] fairing builds. One that does not check out manages
/// nothing: the fairing refuses the launch and says why (once).
pub fn limits() -> AdHoc {
    AdHoc::on_ignite("Demo session limits", |rocket| async move {
        match unchecked_sessions().config_from(rocket.figment()) {
            Ok(config) => {
                let limits = SessionLimits::of(&config);
                rocket.manage(limits)
            }
            Err(_) => rocket,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revalidation_interval_comes_from_the_demo_table() {
        let figment = rocket::Config::figment();
        let from_rocket_toml = DemoSettings::from_figment(&figment).ok();
        assert_eq!(from_rocket_toml, Some(DemoSettings { revalidate_every: 30 }));
        let without = Figment::new();
        assert_eq!(DemoSettings::from_figment(&without).ok(), Some(DemoSettings::default()));
        let two = figment.clone().merge(("demo.revalidate_every", 2));
        let two = DemoSettings::from_figment(&two).map(|d| d.revalidate_interval()).ok();
        assert_eq!(two, Some(Duration::from_secs(2)));
        assert!(DemoSettings::from_figment(&figment.clone().merge(("demo.every", 2))).is_err());
        assert!(DemoSettings::from_figment(&figment.merge(("demo.revalidate_every", -1))).is_err());
    }

    #[test]
    fn remember_me_is_bounded_by_max_lifetime_and_pieces_are_numbered() {
        let figment = rocket::Config::figment()
            .select("debug")
            .merge(("session.max_lifetime", 7 * 86_400))
            .merge(("session.max_chunks", 3));
        let limits = SessionLimits::of(&SessionConfig::from_figment(&figment).unwrap());
        assert_eq!(limits.remembered_lifetime, Duration::from_secs(7 * 86_400));
        assert_eq!(limits.max_chunks, 3);
        assert_eq!(limits.cookie_names(3), ["sid", "sid.1", "sid.2"]);
    }
}
