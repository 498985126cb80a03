//! The [`Sessions`] fairing: at ignite it turns configuration into keys and
//! managed [`SessionState`]; on every response it decides whether the
//! session is sealed, removed or left alone (the lifecycle in
//! `docs/DESIGN.md`). Its configuration methods live in `options.rs`.

use std::sync::Arc;
use std::time::Duration;

use rocket::config::LogLevel;
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::figment::value::Value;
use rocket::http::{ContentType, Status};
use rocket::{Build, Request, Response, Rocket};

use super::chunks::{cut, pieces_needed};
use super::clock::{Clock, SystemClock};
use super::envelope::{Lifetimes, Meta};
use super::error::Error;
use super::guard::SessionData;
use super::keys::{hex, KeyAge, KeyRing};
use super::revalidate::{Revalidate, Revalidation, WhenCheckFails};
use super::seal::{Sealer, HEADER_LEN, MAX_CHUNKS};
use super::secret::Secret;
use super::slot::{convert, payload_digest, ErasedPayload, Origin, Slot, SlotState};
use super::state::{SessionState, Validator};
use super::telemetry;

/// The fairing that makes [`Session`](super::Session) work. Attach it once.
///
/// # Example
///
/// ```
/// use rocket_sealed_session::Sessions;
///
/// let rocket = rocket::build().attach(Sessions::fairing());
/// ```
pub struct Sessions {
    clock: Arc<dyn Clock>,
    validator: Option<Validator>,
    /// Settings made in code: defaults under the figment's `session` table.
    pub(crate) code_defaults: Vec<(&'static str, Value)>,
    /// Documents whose printed values are refused as secrets.
    pub(crate) published: Vec<&'static str>,
    /// The app's throttled, async revalidation check, if any.
    revalidation: Option<Revalidation>,
}

impl Sessions {
    /// The fairing, reading its configuration from the `session` table of
    /// Rocket's figment (see [`SessionConfig`](crate::SessionConfig) for every key).
    pub fn fairing() -> Sessions {
        Sessions {
            clock: Arc::new(SystemClock),
            validator: None,
            code_defaults: Vec::new(),
            published: Vec::new(),
            revalidation: None,
        }
    }

    /// Registers a check that may `.await` (a database query), run at most
    /// once per `every` per session: when it last passed is sealed in the
    /// session, so any replica knows whether it is due, and a request
    /// between checks costs nothing extra. A session it refuses becomes a
    /// fresh one; when it cannot run, `on_error` decides (fail closed by
    /// default). See [`Revalidate`] for an example.
    pub fn revalidate<R: Revalidate>(
        mut self,
        every: Duration,
        on_error: WhenCheckFails,
        check: R,
    ) -> Sessions {
        self.revalidation = Some(Revalidation::new(check, every, on_error));
        self
    }

    /// Reads time from `clock` instead of the system clock (for tests).
    pub fn with_clock(mut self, clock: impl Clock) -> Sessions {
        self.clock = Arc::new(clock);
        self
    }

    /// Registers a check that every opened session must pass, or become a
    /// fresh one: revocation without a store. It sees the request (and so
    /// Rocket's managed state), the session's id and deadlines, and its
    /// payload as `T`; it runs once per request that opens a session.
    ///
    /// The per-user epoch pattern: keep an epoch counter in your user
    /// record, copy it into the session at login, and compare here; "log out
    /// everywhere" bumps the counter, and every older cookie stops working.
    ///
    /// # Example
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::Mutex;
    /// use rocket_sealed_session::Sessions;
    ///
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Login { user: Option<String>, epoch: u64 }
    ///
    /// /// Epochs by user name, kept by the app (a database column in real life).
    /// struct Epochs(Mutex<HashMap<String, u64>>);
    ///
    /// let fairing = Sessions::fairing().validate(|req, _meta, login: &Login| {
    ///     let Some(user) = &login.user else { return true };
    ///     let epochs = req.rocket().state::<Epochs>().map(|e| e.0.lock());
    ///     match epochs {
    ///         Some(Ok(epochs)) => epochs.get(user).copied().unwrap_or(0) == login.epoch,
    ///         _ => false,
    ///     }
    /// });
    /// let rocket = rocket::build()
    ///     .manage(Epochs(Mutex::new(HashMap::new())))
    ///     .attach(fairing);
    /// ```
    pub fn validate<T, F>(mut self, check: F) -> Sessions
    where
        T: SessionData,
        F: Fn(&Request<'_>, &Meta, &T) -> bool + Send + Sync + 'static,
    {
        self.validator =
            Some(Arc::new(move |req, meta, payload: &dyn ErasedPayload| {
                match payload.as_any().downcast_ref::<T>() {
                    Some(typed) => check(req, meta, typed),
                    None => convert::<T>(payload).is_ok_and(|typed| check(req, meta, &typed)),
                }
            }));
        self
    }

    fn build_state(&self, rocket: &Rocket<Build>) -> Result<SessionState, Error> {
        let config = self.config_from(rocket.figment())?;
        let profile = rocket.figment().profile().as_str().to_string();
        let log_level = rocket.figment().extract_inner("log_level").unwrap_or(LogLevel::Normal);
        for warning in config.launch_warnings(&profile, log_level) {
            log::warn!("{warning}");
        }
        let current = match &config.secret {
            Some(secret) => secret.clone(),
            None => {
                log::warn!(
                    "no session secret configured: using a random key for this process, so \
                     sessions end when it restarts (set the session `secret` to keep them)"
                );
                Secret::generate()
            }
        };
        let ring = KeyRing::new(&current, &config.old_secrets)?;
        log::info!(
            "sessions: cookie `{}`, sealing key id {}, {} old key(s)",
            config.cookie_name,
            hex(&ring.current().id()),
            config.old_secrets.len()
        );
        let sealer = Sealer::new(ring, &config.cookie_name);
        let mut state =
            SessionState::new(&config, current, sealer, self.clock.clone(), self.validator.clone());
        state.revalidation = self.revalidation.clone();
        Ok(state)
    }
}

/// What the response does with the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// No `Set-Cookie` at all.
    Nothing,
    /// Seal the session and send it (or remove the cookie, if the payload
    /// turns out to hold nothing: see [`Sealed::Empty`]).
    Save,
    /// Send the removal cookie.
    Remove,
}

/// The seal decision table of `docs/DESIGN.md`, given a response that is not a 5xx.
pub(crate) fn decide(state: &SlotState, now: u64, lifetimes: &Lifetimes) -> Action {
    if state.dirty {
        return Action::Save;
    }
    if state.destroyed {
        return removal_if_sent(state);
    }
    match state.origin {
        Origin::Opened { key_age: KeyAge::Old, .. } => Action::Save,
        Origin::Opened { .. } if state.meta.wants_rolling(now, lifetimes) => Action::Save,
        _ => Action::Nothing,
    }
}

/// A removal cookie only for a client that sent one: a visitor whose
/// session never held data gets no cookie at all.
fn removal_if_sent(state: &SlotState) -> Action {
    match state.had_cookie {
        true => Action::Remove,
        false => Action::Nothing,
    }
}

/// What sealing produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// The whole `Set-Cookie` value of a session in one cookie.
    Cookie(String),
    /// One `Set-Cookie` value per piece of a session cut into several cookies.
    Cookies(Vec<String>),
    /// The payload serializes like `T::default()`: nothing to keep.
    Empty,
    /// Nothing but the payload was to be saved, and it is byte for byte
    /// the payload that was opened: no `Set-Cookie`.
    Unchanged,
}

/// Why a seal stopped before encrypting.
enum Stop {
    Empty,
    Unchanged,
    /// Too big for one cookie, and `max_chunks` allows several.
    Chunked,
    Failed(Error),
}

/// Seals the session into whole `Set-Cookie` values, within the budgets.
/// The envelope is serialized once, straight into the seal buffer; the
/// emptiness check and the size check read what was written. Only a
/// session too big for one cookie is serialized again, to be sealed as
/// pieces.
fn seal(sessions: &SessionState, state: &mut SlotState, now: u64) -> Result<Sealed, Error> {
    // Saved only for its payload (not to roll, re-key or record a change of
    // id, lifetime or check time): skipped if the payload did not change.
    let opened_digest = match state.origin {
        Origin::Opened { key_age: KeyAge::Current, .. }
            if state.dirty
                && !state.must_save
                && !state.meta.wants_rolling(now, &sessions.lifetimes) =>
        {
            state.opened_digest
        }
        _ => None,
    };
    state.meta.seen = now;
    // A lowered max_age is written into the cookie, so it holds on every replica.
    state.meta.exp = state.meta.absolute_deadline(&sessions.lifetimes);
    if sessions.revalidation.is_some()
        && state.meta.checked.is_none()
        && state.origin == Origin::Fresh
    {
        // A session created in this request (a login) was checked by its creation.
        state.meta.checked = Some(now);
    }
    state.id();
    let max_age = state.meta.max_age_at(now, &sessions.lifetimes);
    let (meta, payload) = (&state.meta, &state.payload);
    let mut set_cookie = sessions.cookie.begin_live(TYPICAL_VALUE_LEN);
    let sealed = state.sealer.clone().seal_into(&mut set_cookie, |buf| {
        let data =
            payload.write_envelope(meta, buf).map_err(|err| Stop::Failed(Error::json(&err)))?;
        if buf[data.clone()] == *payload.default_json() {
            return Err(Stop::Empty);
        }
        if opened_digest.is_some_and(|digest| digest == payload_digest(&buf[data])) {
            return Err(Stop::Unchanged);
        }
        let value_len = Sealer::sealed_len(buf.len() - HEADER_LEN);
        match pieces_needed(&sessions.cookie, value_len, max_age, sessions.max_chunks) {
            Ok(1) => Ok(()),
            Ok(_) => Err(Stop::Chunked),
            Err(err) => Err(Stop::Failed(err)),
        }
    });
    match sealed {
        Ok(()) => {
            sessions.cookie.end_live(&mut set_cookie, max_age);
            Ok(Sealed::Cookie(set_cookie))
        }
        Err(Stop::Chunked) => {
            seal_in_pieces(sessions, &state.sealer, meta, payload.as_ref(), max_age)
        }
        Err(Stop::Empty) => Ok(Sealed::Empty),
        Err(Stop::Unchanged) => Ok(Sealed::Unchanged),
        Err(Stop::Failed(err)) => Err(err),
    }
}

/// Seals a session as one chunked value and cuts it into its cookies.
fn seal_in_pieces(
    sessions: &SessionState,
    sealer: &Sealer,
    meta: &Meta,
    payload: &dyn ErasedPayload,
    max_age: u64,
) -> Result<Sealed, Error> {
    let (value, pieces) = sealer.seal_chunked(
        |buf| payload.write_envelope(meta, buf).map(drop).map_err(|err| Error::json(&err)),
        |value_len| {
            let pieces = pieces_needed(&sessions.cookie, value_len, max_age, sessions.max_chunks)?;
            u8::try_from(pieces.max(2))
                .map_err(|_| Error::TooLarge { needed: value_len, budget: 0 })
        },
    )?;
    let cookies = cut(&value, usize::from(pieces))
        .enumerate()
        .map(|(index, piece)| sessions.cookie.live_chunk(index, piece, max_age))
        .collect();
    Ok(Sealed::Cookies(cookies))
}

/// Room reserved for a cookie value up front (a small session seals to
/// about 150 to 400 characters).
const TYPICAL_VALUE_LEN: usize = 512;

/// Makes the response private (`no-store`), then adds the session's
/// `Set-Cookie`s and removals for the piece cookies the request sent
/// (`pieces_sent`, a bit set of indexes) that these no longer use,
/// whatever `max_chunks` says now: it may have been lowered since the
/// client's pieces were set.
fn send_cookies(
    res: &mut Response<'_>,
    sessions: &SessionState,
    seen: &SeenHeaders,
    mut cookies: impl ExactSizeIterator<Item = String>,
    pieces_sent: u32,
) {
    make_private(res, seen, true);
    let used = cookies.len();
    if !seen.set_cookie && used == 1 {
        // The common case: one cookie, and the handler set none of its own.
        if let Some(only) = cookies.next() {
            res.set_raw_header("Set-Cookie", only);
        }
    }
    for set_cookie in cookies {
        res.adjoin_raw_header("Set-Cookie", set_cookie);
    }
    for index in (used.max(1)..MAX_CHUNKS).filter(|index| pieces_sent & (1 << index) != 0) {
        res.adjoin_raw_header("Set-Cookie", sessions.cookie.chunk_removal(index));
    }
}

/// What a response's handler already set of the headers the fairing
/// writes, read in one pass over its headers: a header-map lookup hashes
/// the name byte by byte, a pass compares a handful of names.
#[derive(Debug, Default)]
pub(crate) struct SeenHeaders {
    /// A `Vary` header.
    vary: bool,
    /// A `Vary` that already names `Cookie` (or is `*`).
    vary_has_cookie: bool,
    /// A `Cache-Control` header.
    cache_control: bool,
    /// A `Set-Cookie` header.
    set_cookie: bool,
}

impl SeenHeaders {
    /// Reads `res`'s headers once.
    pub(crate) fn of(res: &Response<'_>) -> SeenHeaders {
        let mut seen = SeenHeaders::default();
        for header in res.headers().iter() {
            let name = header.name().as_str();
            if name.eq_ignore_ascii_case("Vary") {
                seen.vary = true;
                seen.vary_has_cookie |= header.value().split(',').any(|v| {
                    let v = v.trim();
                    v == "*" || v.eq_ignore_ascii_case("cookie")
                });
            } else if name.eq_ignore_ascii_case("Cache-Control") {
                seen.cache_control = true;
            } else if name.eq_ignore_ascii_case("Set-Cookie") {
                seen.set_cookie = true;
            }
        }
        seen
    }
}

/// Marks a response built from a session as one user's: `Vary: Cookie`,
/// and `Cache-Control: private, no-store` when it sets a session cookie;
/// otherwise `Cache-Control: private` unless the handler set something at
/// least as strict (`private` or `no-store`), a `public` or `s-maxage`
/// directive the handler set dropped and its other directives kept.
pub(crate) fn make_private(res: &mut Response<'_>, seen: &SeenHeaders, sets_cookie: bool) {
    match (seen.vary_has_cookie, seen.vary) {
        (true, _) => {}
        (false, false) => drop(res.set_raw_header("Vary", "Cookie")),
        (false, true) => res.adjoin_raw_header("Vary", "Cookie"),
    }
    if sets_cookie {
        res.set_raw_header("Cache-Control", "private, no-store");
        return;
    }
    if !seen.cache_control {
        // The common case: nothing to merge with.
        res.set_raw_header("Cache-Control", "private");
        return;
    }
    let set: Vec<String> = res
        .headers()
        .get("Cache-Control")
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    let is = |d: &str, name: &str| {
        d.split('=').next().is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
    };
    if set.iter().any(|d| is(d, "private") || is(d, "no-store")) {
        return;
    }
    let kept = set.into_iter().filter(|d| !is(d, "public") && !is(d, "s-maxage"));
    let value = std::iter::once("private".to_owned()).chain(kept).collect::<Vec<_>>().join(", ");
    res.set_raw_header("Cache-Control", value);
}

/// Replaces the whole response with a bare 500 page: nothing of the
/// failed response (no `Set-Cookie` at all) reaches the client.
fn replace_with_500(res: &mut Response<'_>) {
    const PAGE: &str = "<!DOCTYPE html><html><head><title>500 Internal Server Error</title>\
        </head><body><h1>500 Internal Server Error</h1><p>The session could not be saved. \
        Nothing was changed.</p></body></html>";
    *res = Response::build()
        .status(Status::InternalServerError)
        .header(ContentType::HTML)
        .raw_header("Cache-Control", "no-store")
        .raw_header("Vary", "Cookie")
        .sized_body(PAGE.len(), std::io::Cursor::new(PAGE))
        .finalize();
}

#[rocket::async_trait]
impl Fairing for Sessions {
    fn info(&self) -> Info {
        Info { name: "Sealed sessions", kind: Kind::Ignite | Kind::Response | Kind::Singleton }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        match self.build_state(&rocket) {
            Ok(state) => Ok(rocket.manage(state)),
            Err(err) => {
                // Rocket logs errors at every level but `off`; the launch stops here.
                log::error!("{err}");
                Err(rocket)
            }
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(sessions) = req.rocket().state::<SessionState>() else { return };
        let slot = req.local_cache(Slot::default);
        let mut guard = slot.lock();
        let Some(state) = guard.as_mut() else { return };
        let seen = SeenHeaders::of(res);
        if res.status().class().is_server_error() {
            // The client keeps the cookie it has.
            return make_private(res, &seen, false);
        }
        let now = sessions.clock.now();
        let action = match decide(state, now, &sessions.lifetimes) {
            Action::Save => match seal(sessions, state, now) {
                Ok(Sealed::Cookie(cookie)) => {
                    telemetry::sealed();
                    let cookie = std::iter::once(cookie);
                    return send_cookies(res, sessions, &seen, cookie, state.pieces_sent);
                }
                Ok(Sealed::Cookies(cookies)) => {
                    telemetry::sealed();
                    let cookies = cookies.into_iter();
                    return send_cookies(res, sessions, &seen, cookies, state.pieces_sent);
                }
                Ok(Sealed::Empty) => removal_if_sent(state),
                Ok(Sealed::Unchanged) => Action::Nothing,
                Err(err) => {
                    if let Error::TooLarge { .. } = err {
                        telemetry::oversize();
                    }
                    log::error!("{} {}: {err}; answering 500", req.method(), req.uri().path());
                    return replace_with_500(res);
                }
            },
            other => other,
        };
        match action {
            Action::Remove => {
                telemetry::removed();
                // The removal of the plain name, then of every piece the request sent.
                let removal = std::iter::once(sessions.cookie.removal().to_owned());
                send_cookies(res, sessions, &seen, removal, state.pieces_sent);
            }
            _ => make_private(res, &seen, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes =
        Lifetimes { max_age: 100, idle_timeout: 40, clock_skew: 5, max_lifetime: 100 };

    fn state(origin: Origin, had_cookie: bool, views: u32) -> SlotState {
        SlotState {
            meta: Meta {
                id: "x".into(),
                iat: 1000,
                exp: 1100,
                seen: 1000,
                life: None,
                checked: None,
            },
            payload: Box::new(views),
            origin,
            had_cookie,
            dirty: false,
            destroyed: false,
            sealer: Arc::new(Sealer::new(KeyRing::new(&Secret::generate(), &[]).unwrap(), "sid")),
            opened_digest: None,
            must_save: false,
            pieces_sent: 0,
        }
    }

    const CURRENT: Origin = Origin::Opened { key_age: KeyAge::Current, key_id: [0; 4] };
    const OLD: Origin = Origin::Opened { key_age: KeyAge::Old, key_id: [1; 4] };

    #[test]
    fn clean_sessions_send_nothing() {
        assert_eq!(decide(&state(CURRENT, true, 3), 1001, &LIFE), Action::Nothing);
        assert_eq!(decide(&state(Origin::Fresh, false, 0), 1001, &LIFE), Action::Nothing);
    }

    #[test]
    fn changed_sessions_with_data_are_sealed() {
        let mut s = state(Origin::Fresh, false, 1);
        s.dirty = true;
        assert_eq!(decide(&s, 1001, &LIFE), Action::Save);
    }

    fn sessions() -> SessionState {
        let config = crate::SessionConfig {
            secret: None,
            old_secrets: vec![],
            cookie_name: "sid".into(),
            max_age: 100,
            idle_timeout: 40,
            same_site: rocket::http::SameSite::Lax,
            secure: false,
            http_only: true,
            path: "/".into(),
            domain: None,
            clock_skew: 5,
            max_chunks: 1,
            max_lifetime: 100,
            sources: Default::default(),
        };
        let ring = KeyRing::new(&Secret::generate(), &[]).unwrap();
        let clock = Arc::new(crate::clock::ManualClock::new(1001));
        SessionState::new(&config, Secret::generate(), Sealer::new(ring, "sid"), clock, None)
    }

    #[test]
    fn emptied_sessions_seal_to_nothing_and_full_ones_to_a_cookie() {
        let sessions = sessions();
        let mut emptied = state(CURRENT, true, 0);
        emptied.dirty = true;
        assert_eq!(decide(&emptied, 1001, &LIFE), Action::Save);
        assert_eq!(seal(&sessions, &mut emptied, 1001), Ok(Sealed::Empty));
        assert_eq!(removal_if_sent(&emptied), Action::Remove);
        let mut full = state(CURRENT, true, 7);
        match seal(&sessions, &mut full, 1001) {
            Ok(Sealed::Cookie(c)) => assert!(c.starts_with("sid=") && c.contains("Max-Age=40")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn destroyed_sessions_are_removed_only_if_the_client_had_a_cookie() {
        assert_eq!(removal_if_sent(&state(Origin::Fresh, false, 0)), Action::Nothing);
        let mut destroyed = state(Origin::Fresh, true, 0);
        destroyed.destroyed = true;
        assert_eq!(decide(&destroyed, 1001, &LIFE), Action::Remove);
    }

    #[test]
    fn changes_after_destroy_start_a_new_saved_session() {
        let mut s = state(Origin::Fresh, true, 2);
        s.destroyed = true;
        s.dirty = true;
        assert_eq!(decide(&s, 1001, &LIFE), Action::Save);
    }

    #[test]
    fn old_keys_are_resealed_even_when_clean() {
        assert_eq!(decide(&state(OLD, true, 3), 1001, &LIFE), Action::Save);
    }

    #[test]
    fn rolling_reseals_past_half_the_idle_window() {
        assert_eq!(decide(&state(CURRENT, true, 3), 1019, &LIFE), Action::Nothing);
        assert_eq!(decide(&state(CURRENT, true, 3), 1020, &LIFE), Action::Save);
    }
}
