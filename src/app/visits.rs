//! The seed's two pages, the visit counter and logout, plus the logout
//! button's CSRF-checked POST.

use askama::Template;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Route, State};

use super::data::{rfc3339, DemoSession};
use super::page::Chrome;
use super::settings::SessionLimits;
use super::view::Page;
use rocket_sealed_session::{CsrfForm, Session};

/// What the logout page says.
pub const LOGGED_OUT: &str = "Logged out successfully!";

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![index, logout, logout_post]
}

/// `templates/index.html`.
#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    chrome: Chrome,
    views: u64,
    session_id: String,
    expires_at: String,
}

/// `templates/logout.html`: the session has ended.
#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage {
    /// [`Chrome::ended`].
    pub chrome: Chrome,
    /// "Logged out successfully!", or what "log out everywhere" says.
    pub message: &'static str,
    /// After "log out everywhere": the note on the other sessions.
    pub everywhere: bool,
    /// How long the other sessions may last (with `everywhere`).
    pub revalidate_for: String,
}

/// Counts the visit and shows it with the session id and deadline.
#[get("/")]
fn index(session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Page {
    let views = session.update(|data| {
        data.views += 1;
        data.views
    });
    let chrome = Chrome::live(&session, limits);
    Page::of(&IndexPage {
        chrome,
        views,
        session_id: session.id(),
        expires_at: rfc3339(session.expires_at()),
    })
}

/// Destroys the session (the fairing sends the removal cookie) and says
/// so, whether visited as in the seed or reached by the logout button's
/// redirect. (No flash: there is no session left to carry one.)
#[get("/logout")]
fn logout(session: Session<'_, DemoSession>) -> Page {
    session.destroy();
    Page::of(&LogoutPage {
        chrome: Chrome::ended(),
        message: LOGGED_OUT,
        everywhere: false,
        revalidate_for: String::new(),
    })
}

/// The logout button: destroys the session, then redirects to the logout
/// page, which says so (post/redirect/get).
#[post("/logout", data = "<_form>")]
fn logout_post(session: Session<'_, DemoSession>, _form: CsrfForm<DemoSession>) -> Redirect {
    session.destroy();
    Redirect::to(uri!(logout))
}
