//! The seed's two pages: the visit counter and logout.

use rocket::{get, routes, Route};
use rocket_dyn_templates::{context, Template};

use super::data::{rfc3339, DemoSession};
use crate::session::Session;

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![index, logout]
}

/// Counts the visit and shows it with the session id and deadline.
#[get("/")]
fn index(session: Session<'_, DemoSession>) -> Template {
    let views = session.update(|data| {
        data.views += 1;
        data.views
    });
    Template::render(
        "index",
        context! {
            views,
            session_id: session.id(),
            expires_at: rfc3339(session.expires_at()),
        },
    )
}

/// Destroys the session; the fairing sends the removal cookie.
#[get("/logout")]
fn logout(session: Session<'_, DemoSession>) -> Template {
    session.destroy();
    Template::render("logout", context! {})
}
