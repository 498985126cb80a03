//! The seed's two pages, the visit counter and logout, plus the logout
//! button's CSRF-checked POST.

use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Route, State};
use rocket_dyn_templates::{context, Template};

use super::data::{rfc3339, DemoSession};
use super::page::Chrome;
use super::settings::SessionLimits;
use rocket_sealed_session::{CsrfForm, Session};

/// What the logout page says.
pub const LOGGED_OUT: &str = "Logged out successfully!";

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![index, logout, logout_post]
}

/// Counts the visit and shows it with the session id and deadline.
#[get("/")]
fn index(session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Template {
    let views = session.update(|data| {
        data.views += 1;
        data.views
    });
    let chrome = Chrome::live(&session, limits);
    Template::render(
        "index",
        context! {
            chrome,
            views,
            session_id: session.id(),
            expires_at: rfc3339(session.expires_at()),
        },
    )
}

/// Destroys the session (the fairing sends the removal cookie) and says
/// so, whether visited as in the seed or reached by the logout button's
/// redirect. (No flash: there is no session left to carry one.)
#[get("/logout")]
fn logout(session: Session<'_, DemoSession>) -> Template {
    session.destroy();
    let chrome = Chrome::ended();
    Template::render("logout", context! { chrome, message: LOGGED_OUT })
}

/// The logout button: destroys the session, then redirects to the logout
/// page, which says so (post/redirect/get).
#[post("/logout", data = "<_form>")]
fn logout_post(session: Session<'_, DemoSession>, _form: CsrfForm<DemoSession>) -> Redirect {
    session.destroy();
    Redirect::to(uri!(logout))
}
