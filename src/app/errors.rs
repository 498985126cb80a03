//! Error pages: a clear `403` for refused forms (CSRF), and `422`.

use rocket::http::Status;
use rocket::{catch, catchers, Catcher, Request};
use rocket_dyn_templates::{context, Template};

use rocket_sealed_session::CsrfError;

/// Catchers of this module.
pub fn catchers() -> Vec<Catcher> {
    catchers![forbidden, unprocessable]
}

/// `403`: says why when a CSRF check refused the form.
#[catch(403)]
fn forbidden(req: &Request<'_>) -> Template {
    let reason = match CsrfError::of(req) {
        Some(CsrfError::Missing) => "The form was sent without its security token.",
        Some(CsrfError::Invalid) => {
            "The form's security token does not belong to your session. \
             Your session may have ended since the form was shown, or another \
             site tried to send this form on your behalf."
        }
        _ => "You are not allowed to do that.",
    };
    Template::render(
        "forbidden",
        context! { reason, csrf: CsrfError::of(req).is_some(), status: Status::Forbidden.code },
    )
}

/// `422`: a form whose fields did not parse.
#[catch(422)]
fn unprocessable() -> Template {
    Template::render(
        "forbidden",
        context! { reason: "The form could not be read.", csrf: false, status: 422 },
    )
}
