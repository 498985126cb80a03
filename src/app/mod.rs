//! The demo application: the express-session seed, in Rocket, grown into
//! a small starter app.
//!
//! - `/`: a visit counter with the session id and deadline;
//! - `/signup` and `/login`: accounts with a name and a password (Argon2id,
//!   in a SQLite file that appears at the first launch), CSRF-checked, and
//!   "remember me"; signing in moves the data into a new session (new id,
//!   fresh deadlines; 30 days with "remember me") and rotates the CSRF token;
//! - `/profile`: behind the [`User`] guard (no user: a redirect to `/login`),
//!   with "log out everywhere": every session of the account, in every
//!   browser and on every replica, ends within `demo.revalidate_every`;
//! - `/notes`: the signed-in user's notes, kept in the session, which grows
//!   past one cookie (`sid`, `sid.1`); add and clear are CSRF-checked, and a
//!   note that would not fit is refused with a message;
//! - `/logout`: GET as in the seed, and a CSRF-checked POST button on every
//!   page; both destroy the session and say "Logged out successfully!";
//! - a "your session" panel on every page (id, deadlines, lifetime, key id,
//!   cookie size, how many cookies);
//! - `/api/session` (read-only JSON) and `/health`.
//!
//! Each feature module exports `routes()`; [`rocket()`] assembles them so
//! that the binary and the tests run the very same app.

mod accounts;
mod api;
mod assets;
mod auth;
mod data;
mod errors;
mod metrics;
mod notes;
mod page;
pub mod settings;
mod view;
mod visits;

use rocket::{Build, Rocket};

pub use auth::User;
pub use data::DemoSession;

/// The demo app, configured from Rocket.toml and the environment
/// ([`settings::figment`]).
pub fn rocket() -> Rocket<Build> {
    rocket::custom(settings::figment())
        .attach(settings::sessions_and_settings())
        .attach(accounts::stage())
        .attach(settings::limits())
        .attach(metrics::recorder())
        .mount("/", visits::routes())
        .mount("/", auth::routes())
        .mount("/", notes::routes())
        .mount("/", api::routes())
        .mount("/", metrics::routes())
        .mount("/", assets::routes())
        .register("/", errors::catchers())
}
