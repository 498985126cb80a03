//! Helpers for your app's tests (feature `testing`): put a user's session in
//! a request without driving the login form, read the session a response
//! set, and move time by hand.
//!
//! iron-session's `sealData` is the idea; no Rust session crate offers it.
//!
//! ```
//! use rocket::local::blocking::Client;
//! use rocket::{get, routes};
//! use rocket_sealed_session::testing::{read_session, session_cookie};
//! use rocket_sealed_session::{Session, Sessions};
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Login { user: Option<String>, visits: u32 }
//!
//! #[get("/")]
//! fn hello(session: Session<'_, Login>) -> String {
//!     session.update(|l| l.visits += 1);
//!     session.read(|l| format!("hello {}", l.user.as_deref().unwrap_or("stranger")))
//! }
//!
//! let rocket = rocket::build().attach(Sessions::fairing()).mount("/", routes![hello]);
//! let client = Client::untracked(rocket)?;
//!
//! // Logged in as ada, without a login form.
//! let ada = Login { user: Some("ada".into()), visits: 0 };
//! let response = client.get("/").cookie(session_cookie(client.rocket(), &ada)).dispatch();
//! let after: Option<Login> = read_session(client.rocket(), response.headers());
//! assert_eq!(after.map(|l| l.visits), Some(1));
//! assert_eq!(response.into_string().as_deref(), Some("hello ada"));
//! # Ok::<(), rocket::Error>(())
//! ```

use rocket::http::{Cookie, HeaderMap};
use rocket::{Orbit, Rocket};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::clock::ManualClock;
use crate::envelope::{write_envelope, EnvelopeOwned, Meta};
use crate::state::{split_pair, SessionState};

fn state(rocket: &Rocket<Orbit>) -> &SessionState {
    match rocket.state::<SessionState>() {
        Some(state) => state,
        None => panic!("the Sessions fairing is not attached to this rocket"),
    }
}

/// A session cookie for `payload`, sealed with the rocket's current key as
/// a brand-new session (new id, deadlines from now on the fairing's clock),
/// to add to a local-client request with `.cookie(..)`.
///
/// # Panics
///
/// When the rocket has no [`Sessions`](crate::Sessions) fairing, or the
/// payload does not serialize.
pub fn session_cookie<T: Serialize>(rocket: &Rocket<Orbit>, payload: &T) -> Cookie<'static> {
    let sessions = state(rocket);
    let now = sessions.clock.now();
    let mut meta = Meta::fresh(now, &sessions.lifetimes);
    meta.id = crate::envelope::new_session_id();
    let value = sessions
        .sealer()
        .seal_with(|buf| write_envelope(&meta, payload, buf).map(drop))
        .unwrap_or_else(|err| panic!("the test payload does not serialize: {err}"));
    Cookie::new(sessions.cookie.name().to_owned(), value)
}

/// The payload of the live session cookie among a response's `Set-Cookie`
/// headers, if it set one that opens (deadlines are not checked).
pub fn read_session<T: DeserializeOwned>(
    rocket: &Rocket<Orbit>,
    headers: &HeaderMap<'_>,
) -> Option<T> {
    let sessions = state(rocket);
    let name = sessions.cookie.name();
    headers.get("Set-Cookie").find_map(|set_cookie| {
        let pair = set_cookie.split(';').next()?;
        let value = split_pair(pair).filter(|(key, _)| *key == name)?.1;
        let opened = sessions.sealer().open(value).ok()?;
        let envelope: EnvelopeOwned<T> = serde_json::from_slice(opened.plaintext()).ok()?;
        Some(envelope.split().1)
    })
}
