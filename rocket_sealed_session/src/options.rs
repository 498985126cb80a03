//! What an app says in code about the [`Sessions`] fairing's configuration:
//! settings with Rocket's own types (durations, [`SameSite`]) that act as
//! defaults under the figment's `session` table, and the documents whose
//! printed values may never be used as a secret.

use std::time::Duration;

use rocket::figment::providers::Serialized;
use rocket::figment::value::Value;
use rocket::figment::Figment;
use rocket::http::SameSite;

use super::config::{same_site_str, SessionConfig};
use super::error::Error;
use super::fairing::Sessions;

/// Settings made in code are the lowest layer: the profile's `session`
/// table (Rocket.toml, and any provider the app merges, such as environment
/// variables) overrides each of them. So code says what the app wants and
/// operators can still change it without a rebuild.
///
/// ```
/// use std::time::Duration;
/// use rocket::http::SameSite;
/// use rocket_sealed_session::Sessions;
///
/// let fairing = Sessions::fairing()
///     .cookie_name("__Host-app")
///     .max_age(Duration::from_secs(8 * 60 * 60))
///     .idle_timeout(Duration::from_secs(30 * 60))
///     .same_site(SameSite::Strict);
/// let rocket = rocket::build().attach(fairing);
/// ```
impl Sessions {
    fn code_default(mut self, key: &'static str, value: impl Into<Value>) -> Sessions {
        self.code_defaults.retain(|(k, _)| *k != key);
        self.code_defaults.push((key, value.into()));
        self
    }

    /// The cookie name (`cookie_name`). Prefer a `__Host-` name in production.
    pub fn cookie_name(self, name: &str) -> Sessions {
        self.code_default("cookie_name", name)
    }

    /// The absolute lifetime of a session (`max_age`), in whole seconds.
    pub fn max_age(self, lifetime: Duration) -> Sessions {
        self.code_default("max_age", lifetime.as_secs())
    }

    /// How long a session may go without a request (`idle_timeout`), in
    /// whole seconds; zero turns it off.
    pub fn idle_timeout(self, idle: Duration) -> Sessions {
        self.code_default("idle_timeout", idle.as_secs())
    }

    /// The `SameSite` attribute (`same_site`).
    pub fn same_site(self, same_site: SameSite) -> Sessions {
        self.code_default("same_site", same_site_str(same_site))
    }

    /// The `Secure` attribute (`secure`).
    pub fn secure(self, secure: bool) -> Sessions {
        self.code_default("secure", secure)
    }

    /// The `HttpOnly` attribute (`http_only`).
    pub fn http_only(self, http_only: bool) -> Sessions {
        self.code_default("http_only", http_only)
    }

    /// The cookie's `Path` (`path`): the scope of the session.
    pub fn path(self, path: &str) -> Sessions {
        self.code_default("path", path)
    }

    /// The cookie's `Domain` (`domain`); not allowed with a `__Host-` name.
    pub fn domain(self, domain: &str) -> Sessions {
        self.code_default("domain", domain)
    }

    /// How far in the future a session's timestamps may lie (`clock_skew`).
    pub fn clock_skew(self, skew: Duration) -> Sessions {
        self.code_default("clock_skew", skew.as_secs())
    }

    /// Refuses, at launch, any secret that appears in one of `documents`
    /// (your README, example configuration, ...): a value printed there is
    /// known to everyone. The library always refuses values printed in its
    /// own README.
    ///
    /// ```
    /// use rocket_sealed_session::Sessions;
    ///
    /// const DOCS: &[&str] = &["Set SESSION_SECRET to a random value."];
    /// let fairing = Sessions::fairing().refuse_secrets_published_in(DOCS);
    /// ```
    pub fn refuse_secrets_published_in(mut self, documents: &[&'static str]) -> Sessions {
        self.published.extend_from_slice(documents);
        self
    }

    /// The configuration this fairing would build from `figment` at
    /// ignite: the code settings under the `session` table, checked, with
    /// the published documents refused. Useful to report a bad
    /// configuration before launching.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with a message that says what to fix.
    pub fn config_from(&self, figment: &Figment) -> Result<SessionConfig, Error> {
        let mut figment = figment.clone();
        for (key, value) in &self.code_defaults {
            let path = format!("session.{key}");
            figment = figment.join(Serialized::default(&path, value));
        }
        SessionConfig::from_figment_refusing(&figment, &self.published)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debug_figment() -> Figment {
        Figment::from(Serialized::defaults(rocket::Config::debug_default())).select("debug")
    }

    #[test]
    fn code_settings_apply_with_rockets_own_types() {
        let config = Sessions::fairing()
            .cookie_name("app")
            .max_age(Duration::from_secs(3600))
            .idle_timeout(Duration::from_secs(600))
            .same_site(SameSite::Strict)
            .config_from(&debug_figment())
            .unwrap();
        assert_eq!(config.cookie_name, "app");
        assert_eq!((config.max_age, config.idle_timeout), (3600, 600));
        assert_eq!(config.same_site, SameSite::Strict);
    }

    #[test]
    fn the_session_table_overrides_code_settings() {
        let figment = debug_figment().merge(("session.max_age", 60));
        let config = Sessions::fairing()
            .max_age(Duration::from_secs(3600))
            .cookie_name("app")
            .config_from(&figment)
            .unwrap();
        assert_eq!((config.max_age, config.cookie_name.as_str()), (60, "app"));
    }

    #[test]
    fn published_secrets_are_refused() {
        let secret = crate::Secret::generate().to_base64();
        let readme: &'static str = Box::leak(format!("SESSION_SECRET={secret}").into_boxed_str());
        let figment = debug_figment().merge(("session.secret", &secret));
        assert!(Sessions::fairing().config_from(&figment).is_ok());
        let refusing = Sessions::fairing().refuse_secrets_published_in(&[readme]);
        let err = refusing.config_from(&figment).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("published"), "{err}");
    }
}
