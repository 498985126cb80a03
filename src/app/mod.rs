//! The demo application: the express-session seed, in Rocket, grown into
//! a small starter app.
//!
//! - `/`: a visit counter with the session id and deadline;
//! - `/login`: a display name, CSRF-checked; signing in regenerates the
//!   session id and rotates the CSRF token;
//! - `/profile`: behind the [`User`] guard (no user: a redirect to `/login`);
//! - `/logout`: GET as in the seed, and a CSRF-checked POST button on every
//!   page; both destroy the session and say "Logged out successfully!";
//! - a "your session" panel on every page (id, deadlines, key id, cookie size);
//! - `/api/session` (read-only JSON) and `/health`.
//!
//! Each feature module exports `routes()`; [`rocket()`] assembles them so
//! that the binary and the tests run the very same app.

mod api;
mod assets;
mod auth;
mod data;
mod errors;
mod page;
pub mod settings;
mod visits;

use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;

pub use auth::User;
pub use data::DemoSession;

/// The demo app, configured from Rocket.toml and the environment
/// ([`settings::figment`]).
pub fn rocket() -> Rocket<Build> {
    rocket::custom(settings::figment())
        .attach(settings::sessions())
        .attach(Template::fairing())
        .mount("/", visits::routes())
        .mount("/", auth::routes())
        .mount("/", api::routes())
        .mount("/", assets::routes())
        .register("/", errors::catchers())
}
