//! The session routes both benchmarks measure, so that the criterion
//! benchmark (`benches/request.rs`) and the load benchmark's server
//! (`bench/server/src/main.rs`) time the very same handlers. Included by both
//! with `#[path]`; not a Cargo target of its own.

use rocket::{get, routes, Route};
use rocket_sealed_session::Session;
use serde::{Deserialize, Serialize};

/// The session payload: one visit counter, like the seed's `views`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Counter {
    /// Visits so far.
    pub views: u64,
}

/// No session: what Rocket costs by itself.
#[get("/plain")]
fn plain() -> &'static str {
    "ok"
}

/// Opens, increments and re-seals the session on every request.
#[get("/counter")]
fn counter(session: Session<'_, Counter>) -> String {
    let views = session.update(|c| {
        c.views += 1;
        c.views
    });
    format!("{views}")
}

/// Opens and reads the session; nothing is sealed.
#[get("/peek")]
fn peek(session: Session<'_, Counter>) -> String {
    let views = session.read(|c| c.views);
    format!("{views}")
}

/// `/plain`, `/counter` and `/peek`.
pub fn routes() -> Vec<Route> {
    routes![plain, counter, peek]
}
