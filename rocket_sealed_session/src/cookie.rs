//! The `Set-Cookie` header values: a live session cookie and its removal,
//! with the configured attributes computed once at ignite.

use std::fmt::Write;

use super::config::SessionConfig;

/// Browsers keep a cookie only when its `Set-Cookie` fits in 4096 bytes.
pub const COOKIE_BUDGET: usize = 4096;

/// Writes `Set-Cookie` values for the configured cookie.
#[derive(Debug, Clone)]
pub struct CookieWriter {
    name: String,
    /// The `Path` attribute: the cookie's scope.
    path: String,
    /// `; Path=/; Domain=..; Secure; HttpOnly; SameSite=Lax`
    attributes: String,
    /// The whole removal header value.
    removal: String,
}

const MAX_AGE: &str = "; Max-Age=";

impl CookieWriter {
    /// The writer for a checked configuration.
    pub fn new(config: &SessionConfig) -> CookieWriter {
        let mut attributes = format!("; Path={}", config.path);
        if let Some(domain) = &config.domain {
            let _ = write!(attributes, "; Domain={domain}");
        }
        if config.secure {
            attributes.push_str("; Secure");
        }
        if config.http_only {
            attributes.push_str("; HttpOnly");
        }
        let _ = write!(attributes, "; SameSite={}", super::config::same_site_str(config.same_site));
        let removal = format!("{}={MAX_AGE}0{attributes}", config.cookie_name);
        CookieWriter {
            name: config.cookie_name.clone(),
            path: config.path.clone(),
            attributes,
            removal,
        }
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a request for `request_path` is in the cookie's scope: the
    /// browser sends the cookie there (RFC 6265 path-match). Outside it no
    /// session is opened or saved, as express-session ignores requests
    /// outside `cookie.path`: a `Set-Cookie` sent there would replace the
    /// user's real session with a new one.
    pub fn covers(&self, request_path: &str) -> bool {
        path_matches(request_path, &self.path)
    }

    /// Bytes of the live header value for a value of `value_len` characters.
    pub fn live_len(&self, value_len: usize, max_age: u64) -> usize {
        self.name.len()
            + 1
            + value_len
            + MAX_AGE.len()
            + decimal_digits(max_age)
            + self.attributes.len()
    }

    /// The live cookie: `name=value; Max-Age=N; <attributes>`.
    #[cfg(test)]
    pub fn live(&self, value: &str, max_age: u64) -> String {
        let mut out = self.begin_live(value.len());
        out.push_str(value);
        self.end_live(&mut out, max_age);
        out
    }

    /// The start of a live cookie, `name=`, with room for a value of
    /// about `value_len` characters and the attributes; the caller appends
    /// the value, then calls [`CookieWriter::end_live`].
    pub fn begin_live(&self, value_len: usize) -> String {
        let mut out = String::with_capacity(self.live_len(value_len, u64::MAX));
        out.push_str(&self.name);
        out.push('=');
        out
    }

    /// Finishes a live cookie begun with [`CookieWriter::begin_live`].
    pub fn end_live(&self, out: &mut String, max_age: u64) {
        out.push_str(MAX_AGE);
        out.push_str(itoa::Buffer::new().format(max_age));
        out.push_str(&self.attributes);
    }

    /// The removal cookie: same name, path, domain, Secure and SameSite as
    /// the live one, empty value and `Max-Age=0`.
    pub fn removal(&self) -> &str {
        &self.removal
    }

    /// The name of piece `index` of a session cut into several cookies:
    /// the cookie name for 0, then `name.1`, `name.2`, ... (same prefix
    /// rules, since the prefix is the same).
    pub fn chunk_name(&self, index: usize) -> String {
        match index {
            0 => self.name.clone(),
            index => format!("{}.{index}", self.name),
        }
    }

    /// Bytes of a `Set-Cookie` for piece `index` apart from its value.
    pub fn chunk_overhead(&self, index: usize, max_age: u64) -> usize {
        self.live_len(0, max_age) + if index == 0 { 0 } else { 1 + decimal_digits(index as u64) }
    }

    /// The live cookie of piece `index`, holding `value`.
    pub fn live_chunk(&self, index: usize, value: &str, max_age: u64) -> String {
        let mut out = String::with_capacity(self.chunk_overhead(index, max_age) + value.len());
        out.push_str(&self.chunk_name(index));
        out.push('=');
        out.push_str(value);
        self.end_live(&mut out, max_age);
        out
    }

    /// The removal cookie of piece `index` (0 is [`CookieWriter::removal`]).
    pub fn chunk_removal(&self, index: usize) -> String {
        match index {
            0 => self.removal.clone(),
            index => format!("{}.{index}={MAX_AGE}0{}", self.name, self.attributes),
        }
    }
}

/// RFC 6265 section 5.1.4: `cookie_path` matches `request_path` when they
/// are equal, or when it is a prefix that ends in `/` or is followed by `/`.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    match request_path.strip_prefix(cookie_path) {
        Some(rest) => rest.is_empty() || cookie_path.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

fn decimal_digits(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::http::SameSite;

    fn config() -> SessionConfig {
        SessionConfig {
            secret: None,
            old_secrets: vec![],
            cookie_name: "__Host-sid".into(),
            max_age: 86_400,
            idle_timeout: 0,
            same_site: SameSite::Lax,
            secure: true,
            http_only: true,
            path: "/".into(),
            domain: None,
            clock_skew: 5,
            max_chunks: 1,
            max_lifetime: 86_400,
            sources: Default::default(),
        }
    }

    #[test]
    fn live_cookie_has_every_attribute_and_its_exact_length() {
        let writer = CookieWriter::new(&config());
        let live = writer.live("abc", 86_400);
        assert_eq!(live, "__Host-sid=abc; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax");
        assert_eq!(writer.live_len(3, 86_400), live.len());
        assert_eq!(writer.live_len(3, 9), writer.live("abc", 9).len());
    }

    #[test]
    fn path_scope_follows_rfc_6265_path_match() {
        for (request, cookie, matches) in [
            ("/", "/", true),
            ("/anything/deep", "/", true),
            ("/foo/bar", "/foo/bar", true),
            ("/foo/bar/", "/foo/bar", true),
            ("/foo/bar/baz", "/foo/bar", true),
            ("/foo/bar/baz", "/foo/bar/", true),
            ("/", "/foo/bar", false),
            ("/foo", "/foo/bar", false),
            ("/foo/barbaz", "/foo/bar", false),
            ("/FOO/bar", "/foo/bar", false),
        ] {
            assert_eq!(path_matches(request, cookie), matches, "{request} under {cookie}");
        }
    }

    #[test]
    fn chunk_cookies_share_the_attributes_and_their_sizes_are_exact() {
        let writer = CookieWriter::new(&config());
        let live = writer.live_chunk(2, "abc", 60);
        assert_eq!(live, "__Host-sid.2=abc; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax");
        assert_eq!(writer.chunk_overhead(2, 60) + 3, live.len());
        assert_eq!(writer.live_chunk(0, "abc", 60), writer.live("abc", 60));
        assert_eq!(
            writer.chunk_removal(3),
            "__Host-sid.3=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn removal_matches_the_live_attributes() {
        let mut config = config();
        config.cookie_name = "sid".into();
        config.domain = Some("example.com".into());
        config.secure = false;
        config.same_site = SameSite::Strict;
        assert_eq!(
            CookieWriter::new(&config).removal(),
            "sid=; Max-Age=0; Path=/; Domain=example.com; HttpOnly; SameSite=Strict"
        );
    }
}
