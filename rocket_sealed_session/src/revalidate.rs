//! Throttled, async revalidation: an app's check that may `.await` (a
//! database query through the app's own pool) and runs at most once per
//! interval per session. When it last passed is sealed in the session
//! (`chk`), so any replica knows whether it is due; between checks a
//! request costs nothing extra.
//!
//! The synchronous hook of [`Sessions::validate`](crate::Sessions::validate)
//! stays: it runs on every request that opens a session, for checks that
//! cost nothing (a field in the payload). This one is for checks that cost
//! a round trip, such as "log out everywhere" with a per-user epoch kept in
//! a database.

use std::sync::Arc;
use std::time::Duration;

use rocket::Request;

use super::envelope::Meta;
use super::error::Error;
use super::guard::SessionData;
use super::slot::{convert, ErasedPayload, Origin, SlotState};
use super::state::SessionState;
use super::telemetry;

/// An app's revalidation check for sessions whose payload is `Payload`.
///
/// ```
/// use rocket::Request;
/// use rocket_sealed_session::{Meta, Revalidate};
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Login { user: Option<String>, epoch: u64 }
///
/// /// Compares the session's epoch with the user's record.
/// struct UserEpoch;
///
/// #[rocket::async_trait]
/// impl Revalidate for UserEpoch {
///     type Payload = Login;
///
///     async fn revalidate(
///         &self,
///         _req: &Request<'_>,
///         _meta: &Meta,
///         login: &Login,
///     ) -> Result<bool, String> {
///         let Some(_user) = &login.user else { return Ok(true) };
///         // let current = sqlx::query_scalar(..).fetch_one(&mut *db).await
///         //     .map_err(|e| e.to_string())?;
///         let current = 0;
///         Ok(login.epoch == current)
///     }
/// }
/// ```
#[rocket::async_trait]
pub trait Revalidate: Send + Sync + 'static {
    /// The session payload type the check reads.
    type Payload: SessionData;

    /// `Ok(true)`: the session stands; `Ok(false)`: it is refused and the
    /// request gets a fresh session; `Err(why)`: the check could not be
    /// made (the database is down), and [`WhenCheckFails`] decides.
    async fn revalidate(
        &self,
        req: &Request<'_>,
        meta: &Meta,
        payload: &Self::Payload,
    ) -> Result<bool, String>;
}

/// What a session becomes when the revalidation check fails to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenCheckFails {
    /// Fail closed (the default): the request gets a fresh session.
    #[default]
    Refuse,
    /// Fail open: the session stands until the next due check.
    Keep,
}

/// A registered check with its payload type erased.
#[rocket::async_trait]
trait ErasedCheck: Send + Sync {
    async fn check(
        &self,
        req: &Request<'_>,
        meta: &Meta,
        payload: &dyn ErasedPayload,
    ) -> Result<bool, String>;
}

struct Typed<R>(R);

#[rocket::async_trait]
impl<R: Revalidate> ErasedCheck for Typed<R> {
    async fn check(
        &self,
        req: &Request<'_>,
        meta: &Meta,
        payload: &dyn ErasedPayload,
    ) -> Result<bool, String> {
        match payload.as_any().downcast_ref::<R::Payload>() {
            Some(typed) => self.0.revalidate(req, meta, typed).await,
            None => {
                let typed = convert::<R::Payload>(payload).map_err(|err| err.to_string())?;
                self.0.revalidate(req, meta, &typed).await
            }
        }
    }
}

/// The check, its interval and its failure policy, as the fairing keeps them.
#[derive(Clone)]
pub(crate) struct Revalidation {
    check: Arc<dyn ErasedCheck>,
    every: u64,
    on_error: WhenCheckFails,
}

impl Revalidation {
    /// A registration of `check`, due every `every`.
    pub(crate) fn new<R: Revalidate>(check: R, every: Duration, on_error: WhenCheckFails) -> Self {
        Revalidation { check: Arc::new(Typed(check)), every: every.as_secs(), on_error }
    }

    /// Whether an opened session is due for a check at `now`.
    pub(crate) fn due(&self, meta: &Meta, now: u64) -> bool {
        meta.checked.is_none_or(|checked| now >= checked.saturating_add(self.every))
    }

    /// Runs the check on a session opened from a cookie, if it is due:
    /// passed, the time is recorded (and sealed in this response); refused,
    /// or failed under [`WhenCheckFails::Refuse`], the request gets a
    /// fresh session instead.
    pub(crate) async fn apply(
        &self,
        sessions: &SessionState,
        req: &Request<'_>,
        state: SlotState,
    ) -> SlotState {
        let now = sessions.clock.now();
        if state.origin == Origin::Fresh || !self.due(&state.meta, now) {
            return state;
        }
        let outcome = self.check.check(req, &state.meta, state.payload.as_ref()).await;
        let refused = match outcome {
            Ok(true) => false,
            Ok(false) => true,
            Err(why) => {
                let refuse = self.on_error == WhenCheckFails::Refuse;
                log::error!(
                    "session revalidation could not run ({why}); {}",
                    if refuse { "refusing the session (fail closed)" } else { "keeping it" }
                );
                if !refuse {
                    return state;
                }
                true
            }
        };
        if refused {
            telemetry::rejected(&Error::Rejected);
            log::debug!("session refused by the revalidation check; starting a fresh session");
            return sessions.fresh_like(now, state);
        }
        let mut state = state;
        state.meta.checked = Some(now);
        state.dirty = true;
        state.must_save = true;
        state
    }
}
