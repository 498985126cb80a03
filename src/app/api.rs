//! Machine-readable endpoints: the session as JSON (read-only) and health.

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::serde_json;
use rocket::{get, routes, Request, Route};
use serde::Serialize;

use super::data::DemoSession;
use super::view::with_content_type;
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

/// A JSON body, as Rocket's `Json<T>` answers it (`application/json`, 500
/// if it does not serialize), but built with its one Content-Type
/// ([`with_content_type`]).
struct JsonBody<T>(T);

impl<'r, T: Serialize> Responder<'r, 'static> for JsonBody<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::to_string(&self.0).map_err(|err| {
            log::error!("{} {}: the JSON did not serialize: {err}", req.method(), req.uri());
            Status::InternalServerError
        })?;
        with_content_type(ContentType::JSON, body)
    }
}

/// `{"expires_at", "id", "views"}` (Unix seconds), or nulls without a
/// session. Never changes the session, so never sends a cookie.
#[get("/api/session")]
fn session_json(session: Session<'_, DemoSession>) -> JsonBody<SessionView> {
    if session.is_new() {
        return JsonBody(SessionView::default());
    }
    JsonBody(SessionView {
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
