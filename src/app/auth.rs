//! Signing in with a display name (no passwords in a demo), the `User`
//! guard, and the profile page behind it.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Responder, Route};
use rocket_dyn_templates::{context, Template};

use super::data::{DemoSession, Flash};
use super::page::{flash_next_page, Chrome};
use rocket_sealed_session::{CsrfForm, CsrfToken, Session};

/// The longest display name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![login_form, login, profile, profile_needs_login]
}

/// The signed-in user of this request's session.
///
/// # Outcomes
///
/// Success when the session holds a user; otherwise it forwards with `401`,
/// so that the next route of the same path (a redirect to `/login`) answers.
#[derive(Debug, Clone)]
pub struct User {
    /// The display name given at login.
    pub name: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.guard::<Session<'r, DemoSession>>().await {
            Outcome::Success(session) => match session.read(|data| data.user.clone()) {
                Some(name) => Outcome::Success(User { name }),
                None => Outcome::Forward(Status::Unauthorized),
            },
            Outcome::Error((status, _)) => Outcome::Error((status, ())),
            Outcome::Forward(status) => Outcome::Forward(status),
        }
    }
}

/// The login form's fields (the CSRF token is checked by `CsrfForm`).
#[derive(Debug, FromForm)]
pub struct LoginForm {
    /// The display name.
    name: String,
}

/// A trimmed display name of 1 to [`MAX_NAME_CHARS`] characters without
/// control characters, or why not.
fn display_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Please enter a display name.");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("That name is too long (40 characters at most).");
    }
    if name.chars().any(char::is_control) {
        return Err("Please use printable characters only.");
    }
    Ok(name.to_owned())
}

fn login_page(session: &Session<'_, DemoSession>, error: Option<&str>, name: &str) -> Template {
    let chrome = Chrome::live(session);
    Template::render("login", context! { chrome, error, name, max_name: MAX_NAME_CHARS })
}

/// The login form.
#[get("/login")]
fn login_form(session: Session<'_, DemoSession>) -> Template {
    login_page(&session, None, "")
}

/// What a login POST answers.
#[derive(Responder)]
enum LoginOutcome {
    /// Signed in: to the profile, which shows the flash.
    SignedIn(Redirect),
    /// The name was refused: the form again, with the reason.
    #[response(status = 422)]
    Retry(Template),
}

/// Signs in: a new session id (fixation defence), the user stored, a new
/// CSRF token, and a flash (in the session) on the way to the profile.
#[post("/login", data = "<form>")]
fn login(
    session: Session<'_, DemoSession>,
    form: CsrfForm<DemoSession, LoginForm>,
) -> LoginOutcome {
    let name = match display_name(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let page = login_page(&session, Some(error), &form.name);
            return LoginOutcome::Retry(page);
        }
    };
    session.regenerate();
    session.update(|data| data.user = Some(name.clone()));
    CsrfToken::rotate(&session);
    flash_next_page(&session, Flash::SignedIn);
    LoginOutcome::SignedIn(Redirect::to(uri!(profile)))
}

/// The signed-in user's page.
#[get("/profile")]
fn profile(user: User, session: Session<'_, DemoSession>) -> Template {
    let chrome = Chrome::live(&session);
    Template::render("profile", context! { chrome, name: user.name })
}

/// `/profile` without a user: to the login form, which says why.
#[get("/profile", rank = 2)]
fn profile_needs_login(session: Session<'_, DemoSession>) -> Redirect {
    flash_next_page(&session, Flash::SignInFirst);
    Redirect::to(uri!(login_form))
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(display_name("  Ada  "), Ok("Ada".to_owned()));
        assert!(display_name("   ").is_err());
        assert!(display_name(&"x".repeat(41)).is_err());
        assert_eq!(display_name(&"é".repeat(40)), Ok("é".repeat(40)));
        assert!(display_name("a\u{7}b").is_err());
    }
}
