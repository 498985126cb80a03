//! The library's one error type.
//!
//! Authentication failures say nothing more than "invalid": the reason a
//! cookie did not open is never more specific than the attacker needs.

use std::fmt;

/// Everything that can go wrong in the session library.
///
/// Cookie failures ([`Error::Invalid`], [`Error::Expired`], ...) never reach
/// a client: the request guard turns them into a fresh session and logs the
/// reason at debug level. Configuration failures ([`Error::Config`]) stop the
/// launch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The cookie is malformed, tampered, truncated, sealed for another
    /// cookie name or by a key we do not hold. Deliberately unspecific.
    Invalid,
    /// The cookie was sealed by a key id that is not in the key ring.
    UnknownKey,
    /// The cookie opened, but its absolute or idle deadline has passed.
    Expired,
    /// The cookie opened, but the session went unused for longer than the
    /// idle timeout.
    Idle,
    /// The cookie opened, but claims to be issued in the future (beyond the
    /// allowed clock skew).
    FromTheFuture,
    /// The cookie opened, but its payload no longer decodes as the
    /// application's session type.
    Payload(String),
    /// The cookie opened, but the application's validation hook rejected
    /// it (e.g. the user logged out everywhere since it was issued).
    Rejected,
    /// The request carried two or more cookies of the session's exact name
    /// that each opened, to different sessions: one of them may have been
    /// planted (cookie tossing), so neither is used.
    Ambiguous,
    /// A `Session<'_, T>` asked for a payload type that the session's
    /// payload (put there by another guard of the same request) does not
    /// convert to. The guard fails with 500 rather than lose the session.
    PayloadType {
        /// The type the session holds.
        held: &'static str,
        /// The type the guard asked for.
        requested: &'static str,
        /// Why it does not convert (no payload content).
        why: String,
    },
    /// The sealed cookie would not fit the browser's size budget.
    TooLarge {
        /// Bytes the whole `Set-Cookie` value would take.
        needed: usize,
        /// Bytes allowed.
        budget: usize,
    },
    /// The configuration is unusable; the message says how to fix it.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid => f.write_str("invalid session cookie"),
            Error::UnknownKey => f.write_str("session cookie sealed by an unknown key"),
            Error::Expired => f.write_str("session expired"),
            Error::Idle => f.write_str("session idle past its idle timeout"),
            Error::FromTheFuture => f.write_str("session issued in the future"),
            Error::Rejected => f.write_str("session rejected by the validation hook"),
            Error::PayloadType { held, requested, why } => write!(
                f,
                "Session<{requested}> was asked for, but this request's session holds a \
                 {held} that does not convert to it ({why}); use one payload type per request"
            ),
            Error::Ambiguous => f.write_str(
                "two session cookies of the exact name opened to different sessions; using neither",
            ),
            Error::Payload(why) => write!(f, "session payload does not decode: {why}"),
            Error::TooLarge { needed, budget } => write!(
                f,
                "sealed session cookie needs {needed} bytes, over the budget of {budget} bytes"
            ),
            Error::Config(msg) => write!(f, "session configuration: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A payload error that names only the kind and position of a JSON
    /// failure: serde's own message can quote the session's plaintext,
    /// which must never reach a log.
    pub(crate) fn json(err: &serde_json::Error) -> Error {
        Error::Payload(format!("{:?} error at column {}", err.classify(), err.column()))
    }

    /// An opened envelope whose payload no longer deserializes as `type_name`
    /// (a payload type changed between releases): names the type and what
    /// serde expected, with anything serde quoted from the payload removed.
    pub(crate) fn payload_shape(type_name: &str, err: &serde_json::Error) -> Error {
        Error::Payload(format!(
            "the sealed payload is not a {type_name} ({} at column {})",
            schema_only(&err.to_string()),
            err.column()
        ))
    }
}

/// The part of a serde error message that speaks of the Rust type, not of
/// the data: "missing field `x`" stays; "invalid type: string \"alice\",
/// expected u64" becomes "invalid type, expected u64".
fn schema_only(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or_default();
    for kind in ["missing field", "duplicate field"] {
        if message.starts_with(kind) {
            return message.to_owned();
        }
    }
    for kind in
        ["invalid type", "invalid value", "invalid length", "unknown variant", "unknown field"]
    {
        if message.starts_with(kind) {
            return match message.split_once(", expected ") {
                Some((_, expected)) => format!("{kind}, expected {expected}"),
                None => kind.to_owned(),
            };
        }
    }
    "malformed".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_says_nothing_specific() {
        assert_eq!(Error::Invalid.to_string(), "invalid session cookie");
    }

    #[test]
    fn payload_shape_errors_name_the_type_but_quote_no_payload() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Profile {
            name: String,
            age: u64,
        }
        for (json, says) in [
            (r#"{"name":"alice-secret"}"#, "missing field `age`"),
            (r#"{"name":"alice-secret","age":"alice-secret"}"#, "invalid type, expected u64"),
            (r#"{"name":7,"age":1}"#, "invalid type, expected a string"),
        ] {
            let err = match serde_json::from_str::<Profile>(json) {
                Err(err) => Error::payload_shape("app::Profile", &err).to_string(),
                Ok(profile) => panic!("{profile:?}"),
            };
            assert!(err.contains("app::Profile") && err.contains(says), "{err}");
            assert!(!err.contains("alice-secret"), "{err}");
        }
    }

    #[test]
    fn too_large_names_both_sizes() {
        let text = Error::TooLarge { needed: 5000, budget: 4096 }.to_string();
        assert!(text.contains("5000") && text.contains("4096"), "{text}");
    }
}
