//! # The visit counter
//!
//! The smallest useful session: a number in an encrypted cookie that goes up
//! on every visit. It shows
//!
//! - a payload type (`Visits`): any serde type with a `Default`;
//! - [`Session::update`], which changes the payload and so makes the fairing
//!   seal a new cookie into the response;
//! - [`Session::is_new`]: whether the request came without a usable session;
//! - [`Session::expires_at`]: when the session ends (Unix seconds);
//! - [`Session::destroy`] on `POST /reset`: the payload is dropped and the
//!   browser is told to delete the cookie.
//!
//! The server stores nothing: restart it with the same secret and the count
//! goes on; start a second copy with the same secret and it counts the same
//! visitor.
//!
//! ## Try it
//!
//! ```sh
//! cargo run -p rocket_sealed_session --example counter
//! ```
//!
//! In the debug profile no setup is needed: without a `secret` the fairing
//! makes a random key for the process (and warns), so sessions end when it
//! stops. Then, with a cookie jar:
//!
//! ```sh
//! curl -c jar -b jar http://127.0.0.1:8000/            # 1 visit, a new session
//! curl -c jar -b jar http://127.0.0.1:8000/            # 2 visits
//! curl -i -c jar -b jar http://127.0.0.1:8000/         # see the Set-Cookie
//! curl -i -c jar -b jar -X POST http://127.0.0.1:8000/reset   # cookie removed
//! curl -c jar -b jar http://127.0.0.1:8000/            # 1 visit again
//! ```
//!
//! `/reset` is a `POST`: the session cookie is `SameSite=Lax`, so browsers
//! send it on a link from another site (`GET`) but not on another site's
//! form (`POST`). A `GET /reset` could be triggered by any page; a real
//! form that changes a session should also carry a CSRF token (see the
//! `login` example).

use std::time::{SystemTime, UNIX_EPOCH};

use rocket::{get, launch, post, routes, Build, Rocket};
use rocket_sealed_session::{Session, Sessions};
use serde::{Deserialize, Serialize};

/// What this app keeps in the session: the number of visits.
///
/// `Default` is the empty session (0 visits); an empty session is never
/// sent as a cookie.
#[derive(Default, Serialize, Deserialize)]
pub struct Visits {
    pub count: u64,
}

/// Counts the visit and says how many there were.
#[get("/")]
fn index(session: Session<'_, Visits>) -> String {
    // Read before changing anything: `is_new` says whether the request came
    // with a session cookie that opened (right key, not expired, not
    // tampered with). A bad cookie is not an error, just a new session.
    let greeting = match session.is_new() {
        true => "Welcome! This is a new session.",
        false => "Welcome back.",
    };

    // `update` marks the session changed: the fairing seals the new payload
    // into a `Set-Cookie` after this handler returns.
    let count = session.update(|visits| {
        visits.count += 1;
        visits.count
    });

    // Unix seconds; with the default configuration (max_age 24 h, no idle
    // timeout) that is a day after the session started.
    let expires_at = session.expires_at();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let left = expires_at.saturating_sub(now);

    format!(
        "{greeting}\nVisits: {count}\nThe session expires at Unix time {expires_at} \
         (in {left} s).\n"
    )
}

/// Forgets the visitor: no payload, and the cookie is removed.
#[post("/reset")]
fn reset(session: Session<'_, Visits>) -> &'static str {
    // After `destroy`, the response carries a removal `Set-Cookie` (when the
    // request had a cookie). Changes made after it would start a new
    // session with a new id.
    session.destroy();
    "The session is gone; the next visit starts from 1.\n"
}

/// The app: the `Sessions` fairing plus two routes. The fairing reads its
/// settings from the `session` table of Rocket's configuration
/// (`[debug.session]` in Rocket.toml, for instance).
#[launch]
pub fn rocket() -> Rocket<Build> {
    rocket::build().attach(Sessions::fairing()).mount("/", routes![index, reset])
}
