//! Machine-readable endpoints: the session as JSON (read-only) and health.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use serde::Serialize;

use super::data::DemoSession;
use rocket_sealed_session::Session;

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![session_json, health]
}

/// What `/api/session` answers. A typed struct rather than `json!`: no
/// map of `Value`s built per request, serialized straight into the body.
/// The fields are in the order `json!`'s sorted map wrote them.
#[derive(Debug, Default, Serialize)]
struct SessionView {
    /// When the session ends (Unix seconds).
    expires_at: Option<u64>,
    /// The session id.
    id: Option<String>,
    /// Visits to `/` in this session.
    views: Option<u64>,
}

/// `{"expires_at", "id", "views"}` (Unix seconds), or nulls without a
/// session. Never changes the session, so never sends a cookie.
#[get("/api/session")]
fn session_json(session: Session<'_, DemoSession>) -> Json<SessionView> {
    if session.is_new() {
        return Json(SessionView::default());
    }
    Json(SessionView {
        expires_at: Some(session.expires_at()),
        id: Some(session.id()),
        views: Some(session.read(|data| data.views)),
    })
}

/// Liveness probe; does not touch sessions.
#[get("/health")]
fn health() -> &'static str {
    "ok"
}
