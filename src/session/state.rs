//! [`SessionState`]: what the fairing builds at ignite and manages, and the
//! open path that turns a request's cookie into a [`SlotState`].

use std::borrow::Cow;
use std::sync::Arc;

use rocket::http::RawStr;
use rocket::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::clock::Clock;
use super::config::SessionConfig;
use super::cookie::CookieWriter;
use super::envelope::{EnvelopeOwned, Lifetimes, Meta};
use super::error::Error;
use super::seal::Sealer;
use super::slot::{ErasedPayload, Origin, SlotState};

/// The application's revocation check, type-erased: sees the request, the
/// opened envelope's meta and payload, and says whether the session stands.
pub(crate) type Validator =
    Arc<dyn Fn(&Request<'_>, &Meta, &dyn ErasedPayload) -> bool + Send + Sync>;

/// At most this many cookies of our name are tried in one request, so a
/// header stuffed with copies cannot multiply the AEAD work.
const MAX_CANDIDATES: usize = 4;

/// Every value of a cookie named `name` in the request's `Cookie` headers,
/// in order. Browsers send several when cookies of one name exist for
/// different paths or domains (or one was tossed by a sibling domain);
/// Rocket's jar keeps only one of them. Values are percent-decoded, as
/// Rocket's jar does (ours never need it, so the common case borrows).
fn header_cookie_values<'r>(
    req: &'r Request<'_>,
    name: &'r str,
) -> impl Iterator<Item = Cow<'r, str>> + 'r {
    req.headers().get("Cookie").flat_map(|header| header.split(';')).filter_map(move |pair| {
        let (key, value) = pair.trim().split_once('=')?;
        if key.trim() != name {
            return None;
        }
        let value = value.trim().trim_matches('"');
        Some(match value.contains('%') {
            true => RawStr::new(value).percent_decode_lossy(),
            false => Cow::Borrowed(value),
        })
    })
}

/// The ready-to-use session machinery, managed by Rocket after ignite.
pub struct SessionState {
    pub(crate) sealer: Sealer,
    pub(crate) cookie: CookieWriter,
    pub(crate) lifetimes: Lifetimes,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) validator: Option<Validator>,
}

impl SessionState {
    /// Builds the state from a checked configuration and a key ring's sealer.
    pub(crate) fn new(
        config: &SessionConfig,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        validator: Option<Validator>,
    ) -> Self {
        SessionState {
            sealer,
            cookie: CookieWriter::new(config),
            lifetimes: Lifetimes {
                max_age: config.max_age,
                idle_timeout: config.idle_timeout,
                clock_skew: config.clock_skew,
            },
            clock,
            validator,
        }
    }

    /// Bytes of the whole live `Set-Cookie` for a plaintext envelope of
    /// `plaintext_len` bytes.
    pub(crate) fn set_cookie_len(&self, plaintext_len: usize, max_age: u64) -> usize {
        self.cookie.live_len(Sealer::sealed_len(plaintext_len), max_age)
    }

    /// Opens the request's cookie value (if any) as a session of `T`.
    /// Anything that does not open is a fresh session; the reason is logged
    /// at debug level, without any cookie content.
    pub(crate) fn open<T>(&self, req: &Request<'_>) -> SlotState
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        let now = self.clock.now();
        // The first candidate that opens wins; the last failure is the reason.
        let mut opened = None;
        for value in header_cookie_values(req, self.cookie.name()).take(MAX_CANDIDATES) {
            opened = Some(self.open_value::<T>(&value, now, req));
            if let Some(Ok(_)) = opened {
                break;
            }
        }
        if opened.is_none() {
            // Cookies added to the jar directly (Rocket's local client) have no header.
            let jar_value = req.cookies().get(self.cookie.name());
            opened = jar_value.map(|cookie| self.open_value::<T>(cookie.value(), now, req));
        }
        let had_cookie = opened.is_some();
        match opened {
            Some(Ok((meta, data, origin))) => SlotState {
                meta,
                payload: Box::new(data),
                origin,
                had_cookie: true,
                dirty: false,
                destroyed: false,
            },
            Some(Err(reason)) => {
                log::debug!("session cookie not accepted ({reason}); starting a fresh session");
                self.fresh::<T>(now, true)
            }
            None => self.fresh::<T>(now, had_cookie),
        }
    }

    /// A new, empty session.
    pub(crate) fn fresh<T>(&self, now: u64, had_cookie: bool) -> SlotState
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        SlotState {
            meta: Meta::fresh(now, &self.lifetimes),
            payload: Box::new(T::default()),
            origin: Origin::Fresh,
            had_cookie,
            dirty: false,
            destroyed: false,
        }
    }

    fn open_value<T>(
        &self,
        value: &str,
        now: u64,
        req: &Request<'_>,
    ) -> Result<(Meta, T, Origin), Error>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        let opened = self.sealer.open(value)?;
        let envelope: EnvelopeOwned<T> =
            serde_json::from_slice(opened.plaintext()).map_err(|err| Error::json(&err))?;
        let (meta, data) = envelope.split();
        meta.check_alive(now, &self.lifetimes)?;
        if let Some(validator) = &self.validator {
            if !validator(req, &meta, &data) {
                return Err(Error::Rejected);
            }
        }
        Ok((meta, data, Origin::Opened { key_age: opened.key_age(), key_id: opened.key_id() }))
    }
}
