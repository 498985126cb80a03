//! Signing in with a display name (no passwords in a demo) and "remember
//! me", the `User` guard, and the profile page behind it.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Responder, Route, State};
use rocket_dyn_templates::{context, Template};

use super::data::{DemoSession, Flash};
use super::page::{flash_next_page, human_duration, Chrome};
use super::settings::SessionLimits;
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
    /// The "remember me" box: `on` when ticked, absent (false) otherwise.
    remember: bool,
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

/// The login page: the form (with `name` and `remember` as sent, after a
/// refusal) and the reason it was refused, if it was.
fn login_page(
    session: &Session<'_, DemoSession>,
    limits: &SessionLimits,
    error: Option<&str>,
    name: &str,
    remember: bool,
) -> Template {
    let chrome = Chrome::live(session, limits);
    let remember_for = human_duration(limits.remembered_lifetime.as_secs());
    let default_for = human_duration(limits.default_lifetime.as_secs());
    Template::render(
        "login",
        context! {
            chrome, error, name, remember, remember_for, default_for, max_name: MAX_NAME_CHARS,
        },
    )
}

/// The login form.
#[get("/login")]
fn login_form(session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Template {
    login_page(&session, limits, None, "", false)
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

/// Signs in. The data moves into a new session: a new id (fixation
/// defence), created now, with the default lifetime, or with
/// [`SessionLimits::remembered_lifetime`] when "remember me" is ticked (so
/// signing in again without the box also ends an earlier "remember me").
/// The visit count goes along; the notes only when the same name signs in
/// again (one user's notes are not shown to another). Then a new CSRF token
/// and a flash (in the session) on the way to the profile.
#[post("/login", data = "<form>")]
fn login(
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    form: CsrfForm<DemoSession, LoginForm>,
) -> LoginOutcome {
    let name = match display_name(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let page = login_page(&session, limits, Some(error), &form.name, form.remember);
            return LoginOutcome::Retry(page);
        }
    };
    let mut data = session.get();
    if data.user.as_deref() != Some(name.as_str()) {
        data.notes.clear();
    }
    data.user = Some(name);
    data.flash = Some(Flash::SignedIn);
    // The old session ends (its cookies are replaced in this response);
    // what is set afterwards is a new session with fresh deadlines.
    session.destroy();
    if form.remember {
        session.set_lifetime(limits.remembered_lifetime);
    }
    if let Err((mut data, err)) = session.try_set(data) {
        // Only when the configuration shrank since the notes were written
        // (a lower max_chunks): sign in without them rather than fail.
        log::warn!("signing in without the session's notes: {err}");
        data.notes.clear();
        session.set(data);
    }
    CsrfToken::rotate(&session);
    LoginOutcome::SignedIn(Redirect::to(uri!(profile)))
}

/// The signed-in user's page.
#[get("/profile")]
fn profile(
    user: User,
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
) -> Template {
    let chrome = Chrome::live(&session, limits);
    Template::render("profile", context! { chrome, name: user.name })
}

/// `/profile` without a user: to the login form, which says why.
#[get("/profile", rank = 2)]
fn profile_needs_login(session: Session<'_, DemoSession>) -> Redirect {
    sign_in_first(&session)
}

/// To the login form, which says "Please sign in ..." (a flash in the
/// session): for every page that needs a user and has none.
pub fn sign_in_first(session: &Session<'_, DemoSession>) -> Redirect {
    flash_next_page(session, Flash::SignInFirst);
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
