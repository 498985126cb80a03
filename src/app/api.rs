//! Machine-readable endpoints: the session as JSON (read-only) and health.

use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route};

use super::data::DemoSession;
use rocket_sealed_session::Session;

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![session_json, health]
}

/// `{"id", "views", "expires_at"}` (Unix seconds), or nulls without a
/// session. Never changes the session, so never sends a cookie.
#[get("/api/session")]
fn session_json(session: Session<'_, DemoSession>) -> Value {
    if session.is_new() {
        return json!({ "id": null, "views": null, "expires_at": null });
    }
    json!({
        "id": session.id(),
        "views": session.read(|data| data.views),
        "expires_at": session.expires_at(),
    })
}

/// Liveness probe; does not touch sessions.
#[get("/health")]
fn health() -> &'static str {
    "ok"
}
