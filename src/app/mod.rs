//! The demo application: the express-session seed, in Rocket.
//!
//! A visit counter on `/`, `/logout` destroying the session, a read-only
//! JSON view of the session on `/api/session`, and `/health`. Each feature
//! module exports `routes()`; [`rocket`] assembles them so that the binary
//! and the tests run the very same app.

mod api;
mod data;
mod visits;

use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;

use crate::session::Sessions;

pub use data::DemoSession;

/// The demo app, configured from Rocket.toml and the environment.
pub fn rocket() -> Rocket<Build> {
    rocket::build()
        .attach(Sessions::fairing())
        .attach(Template::fairing())
        .mount("/", visits::routes())
        .mount("/", api::routes())
}
