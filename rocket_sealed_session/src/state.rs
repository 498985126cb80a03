//! [`SessionState`]: what the fairing builds at ignite and manages, and the
//! open path that turns a request's cookie into a [`SlotState`].

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use rocket::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::clock::Clock;
use super::config::SessionConfig;
use super::cookie::CookieWriter;
use super::envelope::{data_json, read_meta, EnvelopeOwned, Lifetimes, Meta};
use super::error::Error;
use super::keys::KeyRing;
use super::revalidate::Revalidation;
use super::seal::{Opened, Sealer, MAX_CHUNKS, VERSION_CHUNKED};
use super::secret::Secret;
use super::secret_files::SecretSources;
use super::slot::{payload_digest, ErasedPayload, Origin, SlotState};
use super::telemetry;

/// The application's revocation check, type-erased: sees the request, the
/// opened envelope's meta and payload, and says whether the session stands.
pub(crate) type Validator =
    Arc<dyn Fn(&Request<'_>, &Meta, &dyn ErasedPayload) -> bool + Send + Sync>;

/// At most this many candidates that carry one of our key ids are
/// decrypted in one request, so a header stuffed with copies cannot
/// multiply the AEAD work without bound. The smallest candidate
/// (`sid=` + 60 characters + `; `) is 66 bytes, so 256 of them need a
/// `Cookie` header of about 17 KB, twice what nginx accepts by default:
/// within the sizes servers accept, junk cannot push the genuine cookie out.
/// Candidates with an unknown key id cost no AEAD work and are not counted.
pub(crate) const MAX_AEAD_ATTEMPTS: usize = 256;

/// One `name=value` pair of a `Cookie` header: only ASCII space and tab
/// around the pair and around the value are trimmed, as RFC 6265 does (no
/// percent-decoding, no Unicode trimming, no case folding), and one pair of
/// double quotes around the value is removed.
pub(crate) fn split_pair(pair: &str) -> Option<(&str, &str)> {
    let (key, value) = pair.trim_matches([' ', '\t']).split_once('=')?;
    let value = value.trim_matches([' ', '\t']);
    Some((key, value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value)))
}

/// What one pass over a request's cookies found for the session: every
/// value of the cookie named exactly `name`, in order (browsers send
/// several when cookies of one name exist for different paths or domains,
/// or one was tossed by a sibling domain), and which piece cookies
/// (`name.1`, `name.2`, ...) came with it.
pub(crate) struct CookieScan<'a> {
    /// The first value of the exact name, if any (no allocation for the
    /// common case of one).
    first: Option<Cow<'a, str>>,
    /// Any further values, in order.
    more: Vec<Cow<'a, str>>,
    /// The piece indexes sent, as a bit set (see [`piece_index`]).
    pub(crate) pieces: u32,
}

impl<'a> CookieScan<'a> {
    /// Scans the request's cookies once ([`for_each_cookie_pair`]).
    pub(crate) fn of(req: &'a Request<'_>, name: &str) -> Self {
        let mut scan = CookieScan { first: None, more: Vec::new(), pieces: 0 };
        for_each_cookie_pair(req, |key, value| scan.note(key, value, name));
        scan
    }

    fn note(&mut self, key: &str, value: Cow<'a, str>, name: &str) {
        if key == name {
            match self.first {
                None => self.first = Some(value),
                Some(_) => self.more.push(value),
            }
        } else if let Some(index) = piece_index(key, name) {
            self.pieces |= 1 << index;
        }
    }

    /// The values of the exact name, in order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.first.iter().chain(&self.more).map(|value| value.as_ref())
    }

    /// Whether the request carried a cookie of the exact name.
    pub(crate) fn any(&self) -> bool {
        self.first.is_some()
    }

    /// Whether it carried more than one.
    pub(crate) fn several(&self) -> bool {
        !self.more.is_empty()
    }
}

/// The values of the request's `Cookie` headers, in order. The headers are
/// walked rather than looked up: Rocket's header map hashes a name byte by
/// byte with SipHash, which costs more than comparing the names of a
/// request's dozen headers. Rocket's `HeaderMap::iter` lends every value
/// from the map (`Cow::Borrowed`); every test that sends a cookie would
/// fail if a release of Rocket ever handed them over owned.
fn cookie_headers<'r>(req: &'r Request<'_>) -> impl Iterator<Item = &'r str> {
    req.headers()
        .iter()
        .filter(|header| header.name().as_str().eq_ignore_ascii_case("Cookie"))
        .filter_map(|header| match header.value {
            Cow::Borrowed(value) => Some(value),
            Cow::Owned(_) => None,
        })
}

/// The index `N` (1 and up, below [`MAX_CHUNKS`]) of a piece cookie named
/// exactly `name.N`.
pub(crate) fn piece_index(key: &str, name: &str) -> Option<usize> {
    key.strip_prefix(name)?
        .strip_prefix('.')?
        .parse::<usize>()
        .ok()
        .filter(|index| (1..MAX_CHUNKS).contains(index))
}

/// The key ring in force and where a reload reads the secrets again.
pub(crate) struct KeyCell {
    /// The ring; a reload swaps it for new requests.
    sealer: RwLock<Arc<Sealer>>,
    /// The secret files, if any.
    sources: SecretSources,
    /// The current secret when it is written in the configuration (or made
    /// for this process), kept for a reload that re-reads only old secrets.
    fixed_secret: Secret,
    /// The old secrets written in the configuration (not from a file).
    fixed_old: Vec<Secret>,
    /// The cookie name, part of every AAD.
    cookie_name: String,
}

impl KeyCell {
    /// The key ring in force now.
    pub(crate) fn sealer(&self) -> Arc<Sealer> {
        match self.sealer.read() {
            Ok(sealer) => sealer.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the secret files and swaps the key ring for new requests;
    /// requests in flight keep the ring they started with. On any error the
    /// ring in force stays.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no file is configured or a file is missing or bad.
    pub(crate) fn reload(&self) -> Result<Arc<Sealer>, Error> {
        if !self.sources.has_files() {
            return Err(Error::Config(
                "no secret_file or old_secrets_file is configured: nothing to reload".into(),
            ));
        }
        let current = self.sources.read_secret()?.unwrap_or_else(|| self.fixed_secret.clone());
        let old = self.sources.read_old_secrets()?.unwrap_or_else(|| self.fixed_old.clone());
        let ring = KeyRing::new(&current, &old)?;
        let sealer = Arc::new(Sealer::new(ring, &self.cookie_name));
        match self.sealer.write() {
            Ok(mut slot) => *slot = sealer.clone(),
            Err(poisoned) => *poisoned.into_inner() = sealer.clone(),
        }
        Ok(sealer)
    }
}

/// What opening a cookie gives: the meta, the payload, where it came from,
/// and the digest of the payload's JSON as sealed.
type Opening<T> = (Meta, T, Origin, Option<u64>);

/// Calls `f` with every `name=value` pair of the request's cookies, in
/// order: from its raw `Cookie` headers by [`split_pair`]'s rules, or, only
/// when it has none, from Rocket's jar. Only Rocket's local client puts
/// cookies in the jar without a `Cookie` header; a real request's jar is
/// parsed from the header (percent-decoding names), so it is never read then.
pub(crate) fn for_each_cookie_pair<'a>(
    req: &'a Request<'_>,
    mut f: impl FnMut(&str, Cow<'a, str>),
) {
    let mut any_header = false;
    for header in cookie_headers(req) {
        any_header = true;
        for (key, value) in header.split(';').filter_map(split_pair) {
            f(key, Cow::Borrowed(value));
        }
    }
    if !any_header {
        for cookie in req.cookies().iter() {
            f(cookie.name(), Cow::Owned(cookie.value().to_owned()));
        }
    }
}

/// Every value of the cookie named exactly `name`, in order.
fn cookie_values<'a>(req: &'a Request<'_>, name: &str) -> Vec<Cow<'a, str>> {
    let mut values = Vec::new();
    for_each_cookie_pair(req, |key, value| {
        if key == name {
            values.push(value);
        }
    });
    values
}

/// The ready-to-use session machinery, managed by Rocket after ignite.
pub(crate) struct SessionState {
    /// The key ring in force, shared with [`KeyReloader`] handles.
    pub(crate) keys: Arc<KeyCell>,
    pub(crate) cookie: CookieWriter,
    pub(crate) lifetimes: Lifetimes,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) validator: Option<Validator>,
    /// The most cookies one session may be cut into.
    pub(crate) max_chunks: usize,
    /// The app's throttled, async revalidation check, if any.
    pub(crate) revalidation: Option<Revalidation>,
}

impl SessionState {
    /// Builds the state from a checked configuration, the current secret
    /// (configured, or made for this process) and its key ring.
    pub(crate) fn new(
        config: &SessionConfig,
        current: Secret,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        validator: Option<Validator>,
    ) -> Self {
        SessionState {
            keys: Arc::new(KeyCell {
                sealer: RwLock::new(Arc::new(sealer)),
                sources: config.sources.clone(),
                fixed_secret: current,
                fixed_old: match config.sources.old_secrets_file {
                    Some(_) => Vec::new(),
                    None => config.old_secrets.clone(),
                },
                cookie_name: config.cookie_name.clone(),
            }),
            cookie: CookieWriter::new(config),
            lifetimes: Lifetimes {
                max_age: config.max_age,
                idle_timeout: config.idle_timeout,
                clock_skew: config.clock_skew,
                max_lifetime: config.max_lifetime,
            },
            clock,
            validator,
            max_chunks: config.max_chunks,
            revalidation: None,
        }
    }

    /// The key ring in force now.
    pub(crate) fn sealer(&self) -> Arc<Sealer> {
        self.keys.sealer()
    }

    /// Bytes of the whole live `Set-Cookie` for a plaintext envelope of
    /// `plaintext_len` bytes.
    pub(crate) fn set_cookie_len(&self, plaintext_len: usize, max_age: u64) -> usize {
        self.cookie.live_len(Sealer::sealed_len(plaintext_len), max_age)
    }

    /// Opens the request's session cookie (if any) as a session of `T`.
    /// Anything that does not open is a fresh session; the reason is logged
    /// at debug level, without any cookie content.
    ///
    /// The rule for several cookies of the exact name: every candidate is
    /// tried (up to [`MAX_AEAD_ATTEMPTS`] decryptions); if all that open
    /// belong to one session (same id), the first of them is used; if they
    /// open to different sessions, neither is used ([`Error::Ambiguous`]):
    /// one of them may have been planted by a sibling domain.
    pub(crate) fn open<T>(&self, req: &Request<'_>) -> SlotState
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        let now = self.clock.now();
        let sealer = self.sealer();
        let scan = CookieScan::of(req, self.cookie.name());
        let outcome = match scan.any() {
            false => None,
            true => self.open_candidates::<T>(&sealer, &scan, now, req),
        };
        match &outcome {
            Some(Ok((meta, _, Origin::Opened { key_id, .. }, _))) => {
                telemetry::opened(*key_id, now, meta.deadline(&self.lifetimes))
            }
            Some(Err(reason)) => telemetry::rejected(reason),
            _ => {}
        }
        match outcome {
            Some(Ok((meta, data, origin, opened_digest))) => SlotState {
                meta,
                payload: Box::new(data),
                origin,
                had_cookie: true,
                dirty: false,
                destroyed: false,
                sealer,
                opened_digest,
                must_save: false,
                pieces_sent: scan.pieces,
            },
            Some(Err(reason)) => {
                match reason {
                    // Genuine cookies that were not used: say so where operators look.
                    Error::Ambiguous | Error::Payload(_) => {
                        log::warn!("{reason}; starting a fresh session")
                    }
                    _ => log::debug!(
                        "session cookie not accepted ({reason}); starting a fresh session"
                    ),
                }
                self.fresh::<T>(now, true, sealer, scan.pieces)
            }
            None => self.fresh::<T>(now, false, sealer, scan.pieces),
        }
    }

    /// Applies the several-cookies rule of [`SessionState::open`] to the
    /// candidate values; `None` when there were none.
    fn open_candidates<T>(
        &self,
        sealer: &Sealer,
        scan: &CookieScan<'_>,
        now: u64,
        req: &Request<'_>,
    ) -> Option<Result<Opening<T>, Error>>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        let mut chosen: Option<Opening<T>> = None;
        let mut last_failure = None;
        // The values tried so far, kept only when there are several.
        let mut tried: Vec<&str> = Vec::new();
        let mut attempts = 0;
        for value in scan.values() {
            let version = match sealer.precheck(value) {
                Ok(version) => version,
                Err(err) => {
                    last_failure = Some(err);
                    continue;
                }
            };
            if scan.several() {
                if tried.contains(&value) {
                    continue; // an identical copy costs nothing more
                }
                tried.push(value);
            }
            attempts += 1;
            if attempts > MAX_AEAD_ATTEMPTS {
                log::debug!(
                    "more than {MAX_AEAD_ATTEMPTS} session cookie candidates; rest ignored"
                );
                break;
            }
            let opened = match version {
                VERSION_CHUNKED => self.open_pieces(sealer, value, req),
                _ => sealer.open_prechecked(value),
            };
            match opened.and_then(|opened| self.open_sealed::<T>(opened, now, req)) {
                Ok(opened) => match &chosen {
                    None => chosen = Some(opened),
                    Some((first, ..)) if first.id == opened.0.id => {}
                    Some(_) => return Some(Err(Error::Ambiguous)),
                },
                Err(err) => last_failure = Some(err),
            }
        }
        match (chosen, last_failure) {
            (Some(opened), _) => Some(Ok(opened)),
            (None, Some(err)) => Some(Err(err)),
            (None, None) => None,
        }
    }

    /// Opens a session cut into pieces: `first` is the value of the plain
    /// name; the others are the values of `name.1`, `name.2`, ... up to the
    /// first name the request does not carry. A piece name with two
    /// different values is ambiguous (one may have been tossed).
    fn open_pieces(
        &self,
        sealer: &Sealer,
        first: &str,
        req: &Request<'_>,
    ) -> Result<Opened, Error> {
        let mut rest: Vec<Cow<'_, str>> = Vec::new();
        for index in 1..MAX_CHUNKS {
            let mut values = cookie_values(req, &self.cookie.chunk_name(index));
            values.dedup();
            match values.len() {
                0 => break,
                1 => rest.extend(values),
                _ => return Err(Error::Ambiguous),
            }
        }
        let pieces: Vec<&str> =
            std::iter::once(first).chain(rest.iter().map(|piece| piece.as_ref())).collect();
        sealer.open_chunked(&pieces)
    }

    /// A fresh session in place of `refused` (which had a cookie), keeping
    /// the type of its payload and its key ring. Marked destroyed, so the
    /// response removes the refused cookie unless the handler saves anew.
    pub(crate) fn fresh_like(&self, now: u64, refused: SlotState) -> SlotState {
        SlotState {
            meta: Meta::fresh(now, &self.lifetimes),
            payload: refused.payload.fresh_default(),
            origin: Origin::Fresh,
            had_cookie: true,
            dirty: false,
            destroyed: true,
            sealer: refused.sealer,
            opened_digest: None,
            must_save: false,
            pieces_sent: refused.pieces_sent,
        }
    }

    /// A new, empty session; `pieces_sent` as in [`SlotState`].
    pub(crate) fn fresh<T>(
        &self,
        now: u64,
        had_cookie: bool,
        sealer: Arc<Sealer>,
        pieces_sent: u32,
    ) -> SlotState
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
            sealer,
            opened_digest: None,
            must_save: false,
            pieces_sent,
        }
    }

    fn open_sealed<T>(
        &self,
        opened: Opened,
        now: u64,
        req: &Request<'_>,
    ) -> Result<Opening<T>, Error>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        let plaintext = opened.plaintext();
        let fast = read_meta(plaintext).and_then(|(meta, payload)| {
            let data = serde_json::from_slice::<T>(&plaintext[payload.clone()]).ok()?;
            Some((meta, data, Some(payload_digest(&plaintext[payload]))))
        });
        let (meta, data, digest) = match fast {
            Some(read) => read,
            // Any other shape, and every error (so its message is the one
            // for the whole envelope): serde reads the whole envelope.
            None => {
                let envelope: EnvelopeOwned<T> = serde_json::from_slice(plaintext)
                    .map_err(|err| Error::payload_shape(std::any::type_name::<T>(), &err))?;
                let (meta, data) = envelope.split();
                let digest = data_json(plaintext).map(payload_digest);
                (meta, data, digest)
            }
        };
        meta.check_alive(now, &self.lifetimes)?;
        if let Some(validator) = &self.validator {
            if !validator(req, &meta, &data) {
                return Err(Error::Rejected);
            }
        }
        let origin = Origin::Opened { key_age: opened.key_age(), key_id: opened.key_id() };
        Ok((meta, data, origin, digest))
    }
}

#[cfg(test)]
mod tests {
    use super::piece_index;

    #[test]
    fn piece_indexes_are_read_from_exact_names_only() {
        let names = ["sid", "sid.1", "sid.3", "sid.x", "sidx.2", "SID.2", "sid.16", "sid.0"];
        let found: Vec<usize> = names.iter().filter_map(|n| piece_index(n, "sid")).collect();
        assert_eq!(found, [1, 3]);
    }
}
