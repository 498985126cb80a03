//! [`Session<'r, T>`]: the request guard handlers use to read and change
//! the session. It opens the cookie once per request (cached in the
//! request-local slot, also across several guards and catchers) and records
//! what changed for the fairing.

use std::marker::PhantomData;
use std::time::Duration;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Ignite, Rocket, Sentinel};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::chunks::pieces_needed;
use super::envelope::Meta;
use super::error::Error;
use super::keys::hex;
use super::seal::Sealer;
use super::slot::{Origin, Slot, SlotState};
use super::state::SessionState;

/// What a session would take if it were saved now ([`Session::sealed_size`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSize {
    /// Bytes of its whole `Set-Cookie` value as one cookie
    /// ([`Session::sealed_len`]).
    pub set_cookie_len: usize,
    /// How many cookies it takes ([`Session::cookies_needed`]):
    /// [`Error::TooLarge`] when it fits no allowed layout.
    pub cookies: Result<usize, Error>,
}

/// The bounds a session payload type needs; implemented for every such type.
pub trait SessionData: Serialize + DeserializeOwned + Default + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + Default + Send + Sync + 'static> SessionData for T {}

/// The session of the current request, with a payload of type `T`.
///
/// A missing, tampered, expired or otherwise unusable cookie gives a new
/// empty session (`T::default()`), never an error. Changes are sealed into
/// the cookie by the [`Sessions`](super::Sessions) fairing after the handler
/// returns; reading alone never sends a cookie.
///
/// # Example
///
/// ```
/// use rocket::get;
/// use rocket_sealed_session::Session;
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Visits { views: u64 }
///
/// #[get("/")]
/// fn index(session: Session<'_, Visits>) -> String {
///     let views = session.update(|v| { v.views += 1; v.views });
///     format!("You have visited this page {views} times.")
/// }
/// ```
///
/// # Outcomes
///
/// Always succeeds when the fairing is attached. Without it, launch is
/// aborted by this type's [`Sentinel`]; if the guard is still reached (from
/// a custom guard that Rocket's sentinels cannot see), it fails with `500`.
///
/// Outside the cookie's `path` (a request the browser sends without the
/// cookie) the guard forwards (`404` unless another route matches): no
/// session is opened there and none is saved, so a page outside the scope
/// cannot replace the user's session. Take `Option<Session<'_, T>>` in a
/// route that serves both.
///
/// # Concurrency
///
/// Two requests that change the same session at once each seal their own
/// version: the last response wins.
pub struct Session<'r, T: SessionData> {
    slot: &'r Slot,
    sessions: &'r SessionState,
    _payload: PhantomData<fn() -> T>,
}

impl<'r, T: SessionData> Session<'r, T> {
    fn with<R>(&self, f: impl FnOnce(&mut SlotState) -> R) -> R {
        let mut guard = self.slot.lock();
        match guard.as_mut() {
            Some(state) => f(state),
            None => unreachable!("the guard opens the slot before handing out a Session"),
        }
    }

    /// Reads the payload through a closure.
    ///
    /// # Panics
    ///
    /// When another `Session` method is called inside `f`.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.with(|state| f(state.typed_mut::<T>()))
    }

    /// A copy of the payload.
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.read(T::clone)
    }

    /// Changes the payload through a closure and marks the session changed.
    /// If the payload ends up byte for byte as it was opened, nothing is
    /// sealed (express-session's `resave: false` compares the same way).
    ///
    /// # Panics
    ///
    /// When another `Session` method is called inside `f`.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.with(|state| {
            state.dirty = true;
            f(state.typed_mut::<T>())
        })
    }

    /// Replaces the payload.
    pub fn set(&self, value: T) {
        self.update(|data| *data = value);
    }

    /// Replaces the payload only if the sealed session still fits the
    /// budgets (one cookie, or `max_chunks` of them); otherwise keeps the old payload and hands the
    /// rejected value back, so the app can refuse gracefully instead of the
    /// fairing answering 500.
    ///
    /// # Errors
    ///
    /// `(value, Error::TooLarge { needed, budget })` when it would not fit;
    /// `(value, Error::Payload(..))` when it does not serialize.
    pub fn try_set(&self, value: T) -> Result<(), (T, Error)> {
        let previous = self.with(|state| std::mem::replace(state.typed_mut::<T>(), value));
        let verdict = self.cookies_needed();
        self.with(|state| match verdict {
            Ok(_) => {
                state.dirty = true;
                Ok(())
            }
            Err(err) => Err((std::mem::replace(state.typed_mut::<T>(), previous), err)),
        })
    }

    /// Takes the payload out, leaving `T::default()`. An emptied session's
    /// cookie is removed.
    pub fn take(&self) -> T {
        self.update(std::mem::take)
    }

    /// Gives the session a new id, keeping its data and deadlines. Call it
    /// on every privilege change (login) to defeat session fixation.
    pub fn regenerate(&self) {
        self.with(|state| {
            state.meta.id = super::envelope::new_session_id();
            state.dirty = true;
            state.must_save = true;
        })
    }

    /// Ends the session: its data is dropped and the client's cookie is
    /// removed. Changes made afterwards start a new session with a new id.
    pub fn destroy(&self) {
        let now = self.sessions.clock.now();
        self.with(|state| {
            state.payload = Box::new(T::default());
            state.meta = Meta::fresh(now, &self.sessions.lifetimes);
            state.origin = Origin::Fresh;
            state.dirty = false;
            state.destroyed = true;
        })
    }

    /// Gives this session its own absolute lifetime, counted from its
    /// creation, instead of the configured `max_age`: longer for a login
    /// form's "remember me", shorter for a sensitive one. It is bounded by
    /// the configured `max_lifetime`, sealed with the session (so every
    /// replica enforces it) and the cookie's `Max-Age` follows it. Returns
    /// the lifetime applied.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rocket::post;
    /// use rocket_sealed_session::Session;
    ///
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Login { user: Option<String> }
    ///
    /// #[post("/login?<remember>")]
    /// fn login(session: Session<'_, Login>, remember: bool) {
    ///     session.regenerate();
    ///     session.set(Login { user: Some("ada".into()) });
    ///     if remember {
    ///         session.set_lifetime(Duration::from_secs(30 * 24 * 3600));
    ///     }
    /// }
    /// ```
    pub fn set_lifetime(&self, lifetime: Duration) -> Duration {
        let lifetimes = &self.sessions.lifetimes;
        let applied = self.with(|state| {
            state.dirty = true;
            state.must_save = true;
            state.meta.set_lifetime(lifetime.as_secs(), lifetimes)
        });
        Duration::from_secs(applied)
    }

    /// Saves the session in this response even though nothing changed,
    /// e.g. to push out its idle deadline.
    pub fn mark_dirty(&self) {
        self.with(|state| {
            state.dirty = true;
            state.must_save = true;
        });
    }

    /// The session id (128 random bits, base64url). A new session gets its
    /// id on first use.
    pub fn id(&self) -> String {
        self.with(|state| state.id().to_owned())
    }

    /// Whether the request came without a usable session (this session is new).
    pub fn is_new(&self) -> bool {
        self.with(|state| state.origin == Origin::Fresh)
    }

    /// When the session was created (Unix seconds).
    pub fn issued_at(&self) -> u64 {
        self.with(|state| state.meta.iat)
    }

    /// The absolute deadline in force (Unix seconds): the sealed one, or
    /// creation plus the configured `max_age` if that is earlier.
    pub fn absolute_deadline(&self) -> u64 {
        let lifetimes = &self.sessions.lifetimes;
        self.with(|state| state.meta.absolute_deadline(lifetimes))
    }

    /// When the session ends (Unix seconds): the nearer of the absolute and
    /// the idle deadline, counting the idle window from now if this
    /// response will save the session.
    pub fn expires_at(&self) -> u64 {
        let absolute = self.absolute_deadline();
        self.idle_deadline().map_or(absolute, |idle| idle.min(absolute))
    }

    /// The configured idle timeout in seconds, or `None` when it is off.
    pub fn idle_timeout(&self) -> Option<u64> {
        Some(self.sessions.lifetimes.idle_timeout).filter(|secs| *secs > 0)
    }

    /// The idle deadline (Unix seconds), counted from now if this response
    /// will save the session; `None` without an idle timeout.
    pub fn idle_deadline(&self) -> Option<u64> {
        let idle = self.idle_timeout()?;
        let now = self.sessions.clock.now();
        let lifetimes = &self.sessions.lifetimes;
        let seen =
            self.with(|state| match state.dirty || state.meta.wants_rolling(now, lifetimes) {
                true => now,
                false => state.meta.seen,
            });
        Some(seen.saturating_add(idle))
    }

    /// Bytes the whole `Set-Cookie` header value would take if the session
    /// were saved now, to compare with [`COOKIE_BUDGET`](super::COOKIE_BUDGET) before storing more.
    ///
    /// # Errors
    ///
    /// [`Error::Payload`] when the payload does not serialize.
    pub fn sealed_len(&self) -> Result<usize, Error> {
        self.sealed_size().map(|size| size.set_cookie_len)
    }

    /// [`Session::sealed_len`] and [`Session::cookies_needed`] from one
    /// measurement of the session as it would be sealed now (the envelope
    /// is measured, not written), for a page that shows both.
    ///
    /// # Errors
    ///
    /// [`Error::Payload`] when the payload does not serialize.
    pub fn sealed_size(&self) -> Result<SealedSize, Error> {
        let (plaintext_len, max_age) = self.envelope_if_saved_now()?;
        let sessions = self.sessions;
        let value_len = Sealer::sealed_len(plaintext_len);
        Ok(SealedSize {
            set_cookie_len: sessions.set_cookie_len(plaintext_len, max_age),
            cookies: pieces_needed(&sessions.cookie, value_len, max_age, sessions.max_chunks),
        })
    }

    /// The envelope's length and the cookie's `Max-Age` if the session were
    /// sealed now, with the meta the seal would write (`seen`, the bounded
    /// `exp`, an id of full length, a first check time). Counted, not
    /// written: no plaintext copy is left on the heap.
    fn envelope_if_saved_now(&self) -> Result<(usize, u64), Error> {
        let sessions = self.sessions;
        let now = sessions.clock.now();
        self.with(|state| {
            let mut meta = state.meta.clone();
            meta.seen = now;
            meta.exp = meta.absolute_deadline(&sessions.lifetimes);
            if meta.id.is_empty() {
                meta.id = "x".repeat(super::envelope::SESSION_ID_CHARS);
            }
            if sessions.revalidation.is_some() && meta.checked.is_none() {
                meta.checked = Some(now);
            }
            let plaintext_len = state.payload.envelope_len(&meta).map_err(|e| Error::json(&e))?;
            Ok((plaintext_len, meta.max_age_at(now, &sessions.lifetimes)))
        })
    }

    /// How many cookies the session would take if it were saved now: 1, or
    /// up to the configured `max_chunks` for a session cut into pieces.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] when it fits no allowed layout;
    /// [`Error::Payload`] when the payload does not serialize.
    pub fn cookies_needed(&self) -> Result<usize, Error> {
        self.sealed_size()?.cookies
    }

    /// The hex id of the key that opened this session's cookie, if any.
    pub fn key_id(&self) -> Option<String> {
        self.with(|state| match state.origin {
            Origin::Opened { key_id, .. } => Some(hex(&key_id)),
            Origin::Fresh => None,
        })
    }
}

#[rocket::async_trait]
impl<'r, T: SessionData> FromRequest<'r> for Session<'r, T> {
    type Error = Error;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(sessions) = req.rocket().state::<SessionState>() else {
            log::error!("Session used but the Sessions fairing is not attached");
            return Outcome::Error((
                Status::InternalServerError,
                Error::Config("the Sessions fairing is not attached".into()),
            ));
        };
        if !sessions.cookie.covers(req.uri().path().as_str()) {
            log::debug!(
                "{} is outside the session cookie's path: no session here; forwarding",
                req.uri().path()
            );
            return Outcome::Forward(Status::NotFound);
        }
        let slot = req.local_cache(Slot::default);
        let opened = {
            let mut guard = slot.lock();
            match guard.as_mut() {
                Some(state) => match state.ensure_type::<T>() {
                    Ok(()) => true,
                    Err(err) => {
                        log::error!("{} {}: {err}", req.method(), req.uri().path());
                        return Outcome::Error((Status::InternalServerError, err));
                    }
                },
                None => false,
            }
        };
        if !opened {
            let mut state = sessions.open::<T>(req);
            if let Some(revalidation) = &sessions.revalidation {
                state = revalidation.apply(sessions, req, state).await;
            }
            *slot.lock() = Some(state);
        }
        Outcome::Success(Session { slot, sessions, _payload: PhantomData })
    }
}

impl<T: SessionData> Sentinel for Session<'_, T> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        if rocket.state::<SessionState>().is_some() {
            return false;
        }
        log::error!(
            "a route uses Session but the Sessions fairing is not attached: \
             add `.attach(Sessions::fairing())`"
        );
        true
    }
}
