//! Error pages: a clear `403` for refused forms (CSRF), and `422`.

use askama::Template;
use rocket::http::Status;
use rocket::{catch, catchers, Catcher, Request};

use super::page::Chrome;
use super::view::Page;
use rocket_sealed_session::CsrfError;

/// `templates/forbidden.html`: why a request was refused.
#[derive(Template)]
#[template(path = "forbidden.html")]
pub struct ForbiddenPage {
    /// The page's chrome (a catcher's is [`Chrome::ended`]: it reads no session).
    pub chrome: Chrome,
    /// Why, in a sentence.
    pub reason: &'static str,
    /// Whether a CSRF check refused the form.
    pub csrf: bool,
    /// The status code shown when it was not the CSRF check.
    pub status: u16,
}

/// Catchers of this module.
pub fn catchers() -> Vec<Catcher> {
    catchers![forbidden, unprocessable]
}

/// `403`: says why when a CSRF check refused the form.
#[catch(403)]
fn forbidden(req: &Request<'_>) -> Page {
    let reason = match CsrfError::of(req) {
        Some(CsrfError::Missing) => "The form was sent without its security token.",
        Some(CsrfError::Invalid) => {
            "The form's security token does not belong to your session. \
             Your session may have ended since the form was shown, or another \
             site tried to send this form on your behalf."
        }
        _ => "You are not allowed to do that.",
    };
    Page::of(&ForbiddenPage {
        chrome: Chrome::ended(),
        reason,
        csrf: CsrfError::of(req).is_some(),
        status: Status::Forbidden.code,
    })
}

/// `422`: a form whose fields did not parse.
#[catch(422)]
fn unprocessable() -> Page {
    Page::of(&ForbiddenPage {
        chrome: Chrome::ended(),
        reason: "The form could not be read.",
        csrf: false,
        status: 422,
    })
}
