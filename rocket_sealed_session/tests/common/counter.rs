//! A two-route counter app for tests that send hostile input: `/` counts,
//! `/read` only reads; both answer `"<n> <is_new>"`.

use rocket::{get, routes, Route};
use rocket_sealed_session::Session;
use serde::{Deserialize, Serialize};

/// The payload.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Counter {
    pub n: u64,
}

/// Increments the counter; answers `n new`.
#[get("/")]
fn increment(session: Session<'_, Counter>) -> String {
    let n = session.update(|c| {
        c.n += 1;
        c.n
    });
    format!("{n} {}", session.is_new())
}

/// Reads the counter without changing it; answers `n new`.
#[get("/read")]
fn read(session: Session<'_, Counter>) -> String {
    format!("{} {}", session.read(|c| c.n), session.is_new())
}

/// The two routes.
pub fn routes() -> Vec<Route> {
    routes![increment, read]
}
