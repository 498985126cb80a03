//! [`SessionConfig`]: where the session settings come from (the `session`
//! table of the figment Rocket gives the fairing, i.e. Rocket.toml's
//! `[<profile>.session]` and whatever providers the app adds), their
//! defaults, and the checks that stop a bad launch.

use std::fmt;
use std::path::PathBuf;

use rocket::config::LogLevel;
use rocket::figment::Figment;
use rocket::http::SameSite;
use serde::{Deserialize, Deserializer};

use super::error::Error;
use super::seal::MAX_CHUNKS;
use super::secret::{Secret, HOW_TO_MAKE_A_SECRET};
use super::secret_files::SecretSources;

/// The keys of the `session` table. An app that maps environment variables
/// onto them (the demo maps `SESSION_<KEY>`) can filter with this list, so
/// that unrelated variables such as `SESSION_MANAGER` are ignored.
pub const KEYS: &[&str] = &[
    "secret",
    "old_secrets",
    "cookie_name",
    "max_age",
    "idle_timeout",
    "same_site",
    "secure",
    "http_only",
    "path",
    "domain",
    "clock_skew",
    "max_chunks",
    "max_lifetime",
    "secret_file",
    "old_secrets_file",
];

/// The cookie-name prefix that binds a cookie to one host, secure, path `/`.
pub const HOST_PREFIX: &str = "__Host-";
/// The cookie-name prefix that requires `Secure`.
pub const SECURE_PREFIX: &str = "__Secure-";

/// Browsers cap a cookie's lifetime at 400 days.
pub const MAX_MAX_AGE: u64 = 400 * 24 * 60 * 60;

/// The `SameSite` attribute as written in `Set-Cookie`.
pub(crate) fn same_site_str(same_site: SameSite) -> &'static str {
    match same_site {
        SameSite::Strict => "Strict",
        SameSite::Lax => "Lax",
        SameSite::None => "None",
    }
}

/// The validated session configuration.
///
/// Built by the fairing at ignite from Rocket's figment; see
/// [`SessionConfig::from_figment`].
#[derive(Clone)]
pub struct SessionConfig {
    /// Seals and opens. `None` only in the debug profile, where the fairing
    /// makes a random key for the process. **(default: none)**
    pub secret: Option<Secret>,
    /// Open only, for rotation. **(default: `[]`)**
    pub old_secrets: Vec<Secret>,
    /// Cookie name. **(default: `"sid"`; release: `"__Host-sid"`)**
    pub cookie_name: String,
    /// Absolute lifetime in seconds. **(default: `86400`)**
    pub max_age: u64,
    /// Seconds without a request before the session ends; 0 is off.
    /// **(default: `0`)**
    pub idle_timeout: u64,
    /// SameSite attribute, Rocket's own type. **(default: `lax`)**
    pub same_site: SameSite,
    /// Secure attribute. **(default: `true`; debug: `false`)**
    pub secure: bool,
    /// HttpOnly attribute. **(default: `true`)**
    pub http_only: bool,
    /// Path attribute. **(default: `"/"`)**
    pub path: String,
    /// Domain attribute. **(default: none)**
    pub domain: Option<String>,
    /// Seconds an `iat` may lie in the future (clock skew between
    /// replicas). **(default: `5`)**
    pub clock_skew: u64,
    /// The most cookies one session may be cut into when it does not fit
    /// one (`name`, `name.1`, ...); 1 keeps every session in one cookie.
    /// **(default: `1`)**
    pub max_chunks: usize,
    /// The longest absolute lifetime, in seconds, a handler may give one
    /// session with `Session::set_lifetime` ("remember me"); at least
    /// `max_age`. **(default: `max_age`)**
    pub max_lifetime: u64,
    /// Where the secrets come from when they are files (`secret_file`,
    /// `old_secrets_file`); re-read by a key-ring reload.
    pub(crate) sources: SecretSources,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("old_secrets", &format_args!("<{} redacted>", self.old_secrets.len()))
            .field("cookie_name", &self.cookie_name)
            .field("max_age", &self.max_age)
            .field("idle_timeout", &self.idle_timeout)
            .field("same_site", &self.same_site)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("clock_skew", &self.clock_skew)
            .field("max_chunks", &self.max_chunks)
            .field("max_lifetime", &self.max_lifetime)
            .finish()
    }
}

/// The table as written, before defaults and checks.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    secret: Option<String>,
    #[serde(default, deserialize_with = "list_or_comma_separated")]
    old_secrets: Vec<String>,
    cookie_name: Option<String>,
    max_age: Option<u64>,
    idle_timeout: Option<u64>,
    #[serde(default, deserialize_with = "same_site_any_case")]
    same_site: Option<SameSite>,
    secure: Option<bool>,
    http_only: Option<bool>,
    path: Option<String>,
    domain: Option<String>,
    clock_skew: Option<u64>,
    max_chunks: Option<usize>,
    max_lifetime: Option<u64>,
    secret_file: Option<PathBuf>,
    old_secrets_file: Option<PathBuf>,
}

impl SessionConfig {
    /// Reads the `session` table of `figment`'s selected profile, fills the
    /// defaults of that profile and checks everything. The library reads
    /// no environment variable of its own: add a provider to the figment
    /// for that (see the crate docs).
    ///
    /// # Example
    ///
    /// ```
    /// use rocket_sealed_session::SessionConfig;
    /// use rocket::figment::{Figment, providers::Serialized};
    ///
    /// let figment = Figment::from(Serialized::defaults(rocket::Config::debug_default()))
    ///     .merge(("session.max_age", 3600))
    ///     .select("debug");
    /// let config = SessionConfig::from_figment(&figment)?;
    /// assert_eq!((config.max_age, config.cookie_name.as_str()), (3600, "sid"));
    /// # Ok::<(), rocket_sealed_session::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with a message that says what to fix.
    pub fn from_figment(figment: &Figment) -> Result<SessionConfig, Error> {
        Self::from_figment_refusing(figment, &[])
    }

    /// [`SessionConfig::from_figment`], also refusing any secret that
    /// appears in one of `published` (an app's own README, example
    /// configuration, ...): a value printed there is known to everyone.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with a message that says what to fix.
    pub fn from_figment_refusing(
        figment: &Figment,
        published: &[&'static str],
    ) -> Result<SessionConfig, Error> {
        let raw: RawConfig = figment.focus("session").extract().map_err(|err| {
            Error::Config(format!("{err}; fix the [{}.session] table", figment.profile()))
        })?;
        Self::from_raw(raw, figment.profile().as_str().as_str(), published)
    }

    fn from_raw(
        raw: RawConfig,
        profile: &str,
        published: &[&'static str],
    ) -> Result<SessionConfig, Error> {
        let release = profile == "release";
        let debug = profile == "debug";
        for (value, file, key) in [
            (raw.secret.is_some(), raw.secret_file.is_some(), "secret"),
            (!raw.old_secrets.is_empty(), raw.old_secrets_file.is_some(), "old_secrets"),
        ] {
            if value && file {
                return Err(Error::Config(format!(
                    "both {key} and {key}_file are set; keep one of them"
                )));
            }
        }
        let sources = SecretSources {
            secret_file: raw.secret_file.clone(),
            old_secrets_file: raw.old_secrets_file.clone(),
            published: published.to_vec(),
        };
        let from_file = sources.read_secret()?;
        let secret = match (raw.secret.as_deref(), from_file) {
            (_, Some(secret)) => Some(secret),
            (Some(text), None) => Some(Secret::from_base64_refusing(text, published)?),
            (None, None) if debug => None,
            (None, None) => {
                return Err(Error::Config(format!(
                    "no session secret in the `{profile}` profile; {HOW_TO_MAKE_A_SECRET}"
                )))
            }
        };
        let old_secrets = raw
            .old_secrets
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Secret::from_base64_refusing(text, published).map_err(|err| match err {
                    Error::Config(msg) => Error::Config(format!("old_secrets[{i}]: {msg}")),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let old_secrets = sources.read_old_secrets()?.unwrap_or(old_secrets);
        let max_age = raw.max_age.unwrap_or(86_400);
        let config = SessionConfig {
            secret,
            old_secrets,
            cookie_name: raw
                .cookie_name
                .unwrap_or_else(|| if release { "__Host-sid" } else { "sid" }.into()),
            max_age,
            idle_timeout: raw.idle_timeout.unwrap_or(0),
            same_site: raw.same_site.unwrap_or(SameSite::Lax),
            secure: raw.secure.unwrap_or(!debug),
            http_only: raw.http_only.unwrap_or(true),
            path: raw.path.unwrap_or_else(|| "/".into()),
            domain: raw.domain.filter(|d| !d.is_empty()),
            clock_skew: raw.clock_skew.unwrap_or(5),
            max_chunks: raw.max_chunks.unwrap_or(1),
            max_lifetime: raw.max_lifetime.unwrap_or(max_age),
            sources,
        };
        config.check()?;
        Ok(config)
    }

    /// Whether the cookie name starts with `prefix` in any letter case:
    /// browsers apply the `__Host-`/`__Secure-` rules to `__host-sid` too.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.cookie_name.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    }

    /// What an operator should know at launch about this configuration in
    /// `profile` with Rocket's `log_level`; the fairing logs each at warn.
    pub fn launch_warnings(&self, profile: &str, log_level: LogLevel) -> Vec<String> {
        let mut warnings = Vec::new();
        if profile == "release" && !self.has_prefix(HOST_PREFIX) && !self.has_prefix(SECURE_PREFIX)
        {
            warnings.push(format!(
                "cookie_name {:?} has no __Host- or __Secure- prefix: a sibling subdomain or any \
                 plain-HTTP response for this host can set a cookie of that name (cookie tossing), \
                 planting its own session (login CSRF) or, with two sessions, logging users out; \
                 use cookie_name = \"__Host-sid\"",
                self.cookie_name
            ));
        }
        if log_level == LogLevel::Debug {
            warnings.push(
                "Rocket's log level `debug` logs every request and response header and every \
                 form field, so it prints session cookies (replayable credentials) and CSRF \
                 tokens into the log; use `normal` or lower outside development"
                    .to_owned(),
            );
        }
        warnings
    }

    /// Checks the rules that browsers or the cookie prefixes impose.
    fn check(&self) -> Result<(), Error> {
        let fail = |msg: String| Err(Error::Config(msg));
        let name = &self.cookie_name;
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return fail(format!(
                "cookie_name {name:?} is not a valid cookie name; use letters, digits and -._"
            ));
        }
        if self.has_prefix(HOST_PREFIX) {
            if !self.secure || self.path != "/" || self.domain.is_some() {
                return fail(format!(
                    "cookie_name {name:?} has the __Host- prefix, which browsers accept only \
                     with secure = true, path = \"/\" and no domain; change those or the name"
                ));
            }
        } else if self.has_prefix(SECURE_PREFIX) && !self.secure {
            return fail(format!("cookie_name {name:?} needs secure = true (__Secure- prefix)"));
        }
        if self.same_site == SameSite::None && !self.secure {
            return fail(
                "same_site = \"none\" needs secure = true; browsers drop it otherwise".into(),
            );
        }
        if self.max_age == 0 || self.max_age > MAX_MAX_AGE {
            return fail(format!(
                "max_age = {} is out of range; use 1 to {MAX_MAX_AGE} seconds (400 days)",
                self.max_age
            ));
        }
        if self.max_lifetime < self.max_age || self.max_lifetime > MAX_MAX_AGE {
            return fail(format!(
                "max_lifetime = {} is out of range; use max_age ({}) to {MAX_MAX_AGE} seconds",
                self.max_lifetime, self.max_age
            ));
        }
        if self.max_chunks == 0 || self.max_chunks > MAX_CHUNKS {
            return fail(format!(
                "max_chunks = {} is out of range; use 1 (one cookie) to {MAX_CHUNKS}",
                self.max_chunks
            ));
        }
        if !self.path.starts_with('/') || !self.path.bytes().all(is_attribute_byte) {
            return fail(format!("path {:?} must start with / and hold no ; or spaces", self.path));
        }
        if let Some(domain) = &self.domain {
            if !domain.bytes().all(is_attribute_byte) {
                return fail(format!("domain {domain:?} holds characters not allowed"));
            }
        }
        Ok(())
    }
}

/// RFC 6265 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

fn is_attribute_byte(b: u8) -> bool {
    b.is_ascii_graphic() && b != b';'
}

/// Accepts a list, or one string of comma-separated values (the form an
/// environment variable takes).
fn list_or_comma_separated<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        One(String),
    }
    Ok(match ListOrString::deserialize(de)? {
        ListOrString::List(list) => list,
        ListOrString::One(text) => {
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        }
    })
}

fn same_site_any_case<'de, D: Deserializer<'de>>(de: D) -> Result<Option<SameSite>, D::Error> {
    let text = String::deserialize(de)?;
    match text.to_ascii_lowercase().as_str() {
        "strict" => Ok(Some(SameSite::Strict)),
        "lax" => Ok(Some(SameSite::Lax)),
        "none" => Ok(Some(SameSite::None)),
        _ => Err(serde::de::Error::custom(format!(
            "same_site {text:?} is not one of \"strict\", \"lax\", \"none\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig { secret: Some(Secret::generate().to_base64()), ..RawConfig::default() }
    }

    fn refusal(raw: RawConfig, profile: &str) -> String {
        match SessionConfig::from_raw(raw, profile, &[]) {
            Err(Error::Config(msg)) => msg,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn profile_defaults() {
        let debug = SessionConfig::from_raw(RawConfig::default(), "debug", &[]).unwrap();
        assert!(debug.secret.is_none() && !debug.secure);
        assert_eq!((debug.cookie_name.as_str(), debug.max_age), ("sid", 86_400));
        let release = SessionConfig::from_raw(raw(), "release", &[]).unwrap();
        assert!(release.secure && release.http_only);
        assert_eq!(release.cookie_name, "__Host-sid");
        assert_eq!(release.same_site, SameSite::Lax);
    }

    #[test]
    fn release_without_a_secret_is_refused_with_a_recipe() {
        let msg = refusal(RawConfig::default(), "release");
        assert!(msg.contains("no session secret") && msg.contains("openssl rand"), "{msg}");
    }

    #[test]
    fn a_bad_old_secret_is_refused_and_named() {
        let msg = refusal(RawConfig { old_secrets: vec!["short".into()], ..raw() }, "debug");
        assert!(msg.starts_with("old_secrets[0]"), "{msg}");
    }

    #[test]
    fn host_prefix_needs_secure_root_path_and_no_domain() {
        let insecure = RawConfig { secure: Some(false), ..raw() };
        assert!(refusal(insecure, "release").contains("__Host-"));
        let domain = RawConfig { domain: Some("example.com".into()), ..raw() };
        assert!(refusal(domain, "release").contains("__Host-"));
    }

    #[test]
    fn prefixes_in_any_letter_case_get_the_prefix_rules() {
        for name in ["__host-sid", "__HOST-sid", "__Host-sid"] {
            let raw = RawConfig { cookie_name: Some(name.into()), secure: Some(false), ..raw() };
            assert!(refusal(raw, "debug").contains("__Host-"), "{name}");
        }
        for name in ["__secure-sid", "__SECURE-sid"] {
            let raw = RawConfig { cookie_name: Some(name.into()), secure: Some(false), ..raw() };
            assert!(refusal(raw, "debug").contains("__Secure-"), "{name}");
        }
    }

    #[test]
    fn release_warns_about_a_cookie_name_without_a_prefix() {
        let plain = RawConfig { cookie_name: Some("sid".into()), ..raw() };
        let config = SessionConfig::from_raw(plain, "release", &[]).unwrap();
        let warnings = config.launch_warnings("release", LogLevel::Normal);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("cookie tossing") && warnings[0].contains("__Host-"));
        assert!(config.launch_warnings("debug", LogLevel::Normal).is_empty(), "debug is quiet");
        for name in ["__Host-sid", "__host-sid", "__Secure-sid"] {
            let raw = RawConfig { cookie_name: Some(name.into()), ..raw() };
            let config = SessionConfig::from_raw(raw, "release", &[]).unwrap();
            assert!(config.launch_warnings("release", LogLevel::Normal).is_empty(), "{name}");
        }
    }

    #[test]
    fn the_debug_log_level_warns_that_it_prints_session_cookies() {
        let config = SessionConfig::from_raw(raw(), "debug", &[]).unwrap();
        let warnings = config.launch_warnings("debug", LogLevel::Debug);
        assert!(warnings.iter().any(|w| w.contains("prints session cookies")), "{warnings:?}");
        for quiet in [LogLevel::Normal, LogLevel::Critical, LogLevel::Off] {
            assert!(config.launch_warnings("debug", quiet).is_empty(), "{quiet:?}");
        }
    }

    #[test]
    fn a_value_and_a_file_for_the_same_secret_is_refused() {
        let both = RawConfig { secret_file: Some("/run/secrets/s".into()), ..raw() };
        assert!(refusal(both, "release").contains("both secret and secret_file"));
        let old = RawConfig {
            old_secrets: vec![Secret::generate().to_base64()],
            old_secrets_file: Some("/run/secrets/old".into()),
            ..raw()
        };
        assert!(refusal(old, "release").contains("both old_secrets and old_secrets_file"));
    }

    #[test]
    fn secrets_come_from_their_files() {
        let dir =
            std::env::temp_dir().join(format!("sealed-session-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (current, old) = (Secret::generate(), Secret::generate());
        std::fs::write(dir.join("current"), current.to_base64()).unwrap();
        std::fs::write(dir.join("old"), format!("{}\n", old.to_base64())).unwrap();
        let raw = RawConfig {
            secret_file: Some(dir.join("current")),
            old_secrets_file: Some(dir.join("old")),
            ..RawConfig::default()
        };
        let config = SessionConfig::from_raw(raw, "release", &[]).unwrap();
        assert_eq!(config.secret.map(|s| s.to_base64()), Some(current.to_base64()));
        assert_eq!(config.old_secrets.len(), 1);
    }

    #[test]
    fn max_lifetime_defaults_to_max_age_and_is_at_least_that() {
        let config = SessionConfig::from_raw(raw(), "debug", &[]).unwrap();
        assert_eq!(config.max_lifetime, config.max_age);
        let raw_lower = RawConfig { max_age: Some(100), max_lifetime: Some(99), ..raw() };
        assert!(refusal(raw_lower, "debug").contains("max_lifetime"));
        let raw_ok = RawConfig { max_lifetime: Some(30 * 86_400), ..raw() };
        assert_eq!(SessionConfig::from_raw(raw_ok, "debug", &[]).unwrap().max_lifetime, 2_592_000);
    }

    #[test]
    fn max_chunks_defaults_to_one_and_is_bounded() {
        assert_eq!(SessionConfig::from_raw(raw(), "debug", &[]).unwrap().max_chunks, 1);
        for bad in [0, MAX_CHUNKS + 1] {
            let raw = RawConfig { max_chunks: Some(bad), ..raw() };
            assert!(refusal(raw, "debug").contains("max_chunks"), "{bad}");
        }
    }

    #[test]
    fn same_site_none_needs_secure() {
        let raw = RawConfig { same_site: Some(SameSite::None), ..raw() };
        assert!(refusal(raw, "debug").contains("same_site"));
    }

    #[test]
    fn out_of_range_max_age_and_bad_names_are_refused() {
        assert!(refusal(RawConfig { max_age: Some(0), ..raw() }, "debug").contains("max_age"));
        let name = RawConfig { cookie_name: Some("my session".into()), ..raw() };
        assert!(refusal(name, "debug").contains("cookie_name"));
    }

    #[test]
    fn debug_of_the_config_redacts_secrets() {
        let config = SessionConfig::from_raw(raw(), "debug", &[]).unwrap();
        let secret = config.secret.as_ref().unwrap().to_base64();
        assert!(!format!("{config:?}").contains(&secret));
    }
}
