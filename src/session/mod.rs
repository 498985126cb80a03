//! Stateless sessions sealed into one cookie, for Rocket 0.5.
//!
//! The whole session (a typed payload, its id and its deadlines) travels in
//! one cookie sealed with XAES-256-GCM. The [`Session`] request guard opens
//! it once per request; handlers read and change it; the [`Sessions`]
//! fairing seals it again on the way out only when something changed.
//! Nothing is stored on the server, so any replica that shares the secret
//! serves any request.
//!
//! # Quick start
//!
//! ```no_run
//! use rocket::{get, launch, routes};
//! use sealed_session::session::{Session, Sessions};
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Visits { views: u64 }
//!
//! #[get("/")]
//! fn index(session: Session<'_, Visits>) -> String {
//!     let views = session.update(|v| { v.views += 1; v.views });
//!     format!("You have visited this page {views} times.")
//! }
//!
//! #[launch]
//! fn rocket() -> _ {
//!     rocket::build().attach(Sessions::fairing()).mount("/", routes![index])
//! }
//! ```
//!
//! # Configuration
//!
//! `[<profile>.session]` in `Rocket.toml`, each key overridden by a
//! `SESSION_<KEY>` environment variable; see [`SessionConfig`] for every key
//! and its default.
//!
//! # Limitations
//!
//! - A copied cookie stays valid until its deadline: logging out clears the
//!   browser's cookie but cannot revoke a copy. Use a short `idle_timeout`,
//!   rotate the secret, or keep a per-user epoch in your user record.
//! - Two concurrent requests that both change the session: the last
//!   response wins.
//! - The sealed cookie must fit in 4096 bytes; a bigger one is refused with
//!   a 500 and the client keeps its old cookie.

mod clock;
mod config;
mod cookie;
mod csrf;
mod envelope;
mod error;
mod fairing;
mod guard;
mod keys;
mod seal;
mod secret;
mod slot;
mod state;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{SameSite, SessionConfig};
pub use cookie::COOKIE_BUDGET;
pub use csrf::{CsrfError, CsrfForm, CsrfSlot, CsrfStore, CsrfToken, NoFields, CSRF_FIELD};
pub use envelope::Meta;
pub use error::Error;
pub use fairing::Sessions;
pub use guard::{Session, SessionData};
pub use keys::{KeyAge, KeyRing, SessionKey};
pub use seal::{Opened, Sealer};
pub use secret::Secret;
pub use state::SessionState;
