//! Accounts in the pages: signing up and signing in with a name and a
//! password (and "remember me"), the `User` guard, the profile page behind
//! it, and "log out everywhere". The accounts themselves (the database, the
//! password hashes, the epoch check) are in [`super::accounts`].

use askama::Template;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Responder, Route, State};
use rocket_db_pools::Connection;

use super::accounts::{self, Account, Accounts, CreateError};
use super::data::{DemoSession, Flash, SignedIn};
use super::errors::ForbiddenPage;
use super::page::{flash_next_page, human_duration, Chrome};
use super::settings::{DemoSettings, SessionLimits};
use super::view::Page;
use super::visits::LogoutPage;
use rocket_sealed_session::{CsrfForm, CsrfToken, Session};

/// The longest display name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// What a failed sign-in says: the same for a name without an account and
/// for a wrong password.
pub const WRONG_NAME_OR_PASSWORD: &str = "Wrong name or password.";

/// What the page after "log out everywhere" says.
pub const LOGGED_OUT_EVERYWHERE: &str = "Logged out everywhere.";

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![
        login_form,
        login,
        signup_form,
        signup,
        profile,
        profile_needs_login,
        logout_everywhere,
        logged_out_everywhere,
    ]
}

/// The signed-in user of this request's session.
///
/// # Outcomes
///
/// Success when the session is signed in to an account (a session whose
/// account logged out everywhere since was already refused when it was
/// opened: see [`accounts::EpochCheck`]); otherwise it forwards with
/// `401`, so that the next route of the same path (a redirect to `/login`)
/// answers.
#[derive(Debug, Clone)]
pub struct User {
    /// The account's name.
    pub name: String,
    /// The account's id.
    pub id: i64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.guard::<Session<'r, DemoSession>>().await {
            Outcome::Success(session) => match session.read(|d| (d.user.clone(), d.account)) {
                (Some(name), Some(account)) => Outcome::Success(User { name, id: account.id }),
                _ => Outcome::Forward(Status::Unauthorized),
            },
            Outcome::Error((status, _)) => Outcome::Error((status, ())),
            Outcome::Forward(status) => Outcome::Forward(status),
        }
    }
}

/// The sign-in and sign-up forms' fields (the CSRF token is checked by
/// `CsrfForm`).
#[derive(FromForm)]
pub struct AccountForm {
    /// The account's name.
    name: String,
    /// The password, as typed (never trimmed, never logged, never shown).
    password: String,
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

/// Which of the two account forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `/login`: an existing account.
    SignIn,
    /// `/signup`: a new account.
    SignUp,
}

/// The values of the sign-in and sign-up pages.
struct FormValues<'a> {
    chrome: Chrome,
    error: Option<&'a str>,
    name: &'a str,
    remember: bool,
    remember_for: String,
    default_for: String,
    max_name: usize,
    min_password: usize,
    max_password: usize,
}

/// `templates/login.html`.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a>(FormValues<'a>);

/// `templates/signup.html`.
#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a>(FormValues<'a>);

// The templates read the form's values as fields of the page.
impl<'a> std::ops::Deref for LoginPage<'a> {
    type Target = FormValues<'a>;

    fn deref(&self) -> &FormValues<'a> {
        &self.0
    }
}

impl<'a> std::ops::Deref for SignupPage<'a> {
    type Target = FormValues<'a>;

    fn deref(&self) -> &FormValues<'a> {
        &self.0
    }
}

/// The sign-in or sign-up page: the form (with `name` and `remember` as
/// sent after a refusal, never the password) and the reason it was refused.
fn account_page(
    form: Form,
    session: &Session<'_, DemoSession>,
    limits: &SessionLimits,
    error: Option<&str>,
    name: &str,
    remember: bool,
) -> Page {
    let values = FormValues {
        chrome: Chrome::live(session, limits),
        error,
        name,
        remember,
        remember_for: human_duration(limits.remembered_lifetime.as_secs()),
        default_for: human_duration(limits.default_lifetime.as_secs()),
        max_name: MAX_NAME_CHARS,
        min_password: accounts::MIN_PASSWORD_CHARS,
        max_password: accounts::MAX_PASSWORD_CHARS,
    };
    match form {
        Form::SignIn => Page::of(&LoginPage(values)),
        Form::SignUp => Page::of(&SignupPage(values)),
    }
}

/// The sign-in form.
#[get("/login")]
fn login_form(session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Page {
    account_page(Form::SignIn, &session, limits, None, "", false)
}

/// The sign-up form.
#[get("/signup")]
fn signup_form(session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Page {
    account_page(Form::SignUp, &session, limits, None, "", false)
}

/// What a sign-in or sign-up POST answers.
#[derive(Responder)]
enum AccountOutcome {
    /// Signed in: to the profile, which shows the flash. (Boxed: a
    /// `Redirect` is 272 bytes, a rendered page 32.)
    SignedIn(Box<Redirect>),
    /// Refused: the form again, with the reason.
    #[response(status = 422)]
    Retry(Page),
    /// The accounts database failed: the form again, with an apology.
    #[response(status = 503)]
    Unavailable(Page),
}

/// What the pages say when the accounts database fails.
const DATABASE_DOWN: &str =
    "Accounts are not available right now. Nothing was changed; please try again in a moment.";

/// Signs in to an existing account. An unknown name and a wrong password
/// get the same answer, in about the same time (the password is hashed
/// either way).
#[post("/login", data = "<form>")]
async fn login(
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    mut db: Connection<Accounts>,
    form: CsrfForm<DemoSession, AccountForm>,
) -> AccountOutcome {
    let page = |error: &str| {
        account_page(Form::SignIn, &session, limits, Some(error), &form.name, form.remember)
    };
    let name = match display_name(&form.name) {
        Ok(name) => name,
        Err(error) => return AccountOutcome::Retry(page(error)),
    };
    let (account, stored) = match accounts::find(&mut db, &name).await {
        Ok(Some((account, hash))) => (Some(account), Some(hash)),
        Ok(None) => (None, None),
        Err(err) => {
            log::error!("sign-in: the accounts database failed: {err}");
            return AccountOutcome::Unavailable(page(DATABASE_DOWN));
        }
    };
    let verified = accounts::verify_password(form.password.clone(), stored).await;
    match account {
        Some(account) if verified => {
            start_session(&session, limits, &account, form.remember, Flash::SignedIn);
            AccountOutcome::SignedIn(Box::new(Redirect::to(uri!(profile))))
        }
        _ => AccountOutcome::Retry(page(WRONG_NAME_OR_PASSWORD)),
    }
}

/// Creates an account and signs in to it: a name nobody has, and a password
/// that is neither too short nor too common, kept as an Argon2id hash.
#[post("/signup", data = "<form>")]
async fn signup(
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    mut db: Connection<Accounts>,
    form: CsrfForm<DemoSession, AccountForm>,
) -> AccountOutcome {
    let page = |error: &str| {
        account_page(Form::SignUp, &session, limits, Some(error), &form.name, form.remember)
    };
    const TAKEN: &str = "That name is taken. Please choose another one, or sign in.";
    let name = match display_name(&form.name) {
        Ok(name) => name,
        Err(error) => return AccountOutcome::Retry(page(error)),
    };
    match accounts::name_taken(&mut db, &name).await {
        Ok(false) => {}
        Ok(true) => return AccountOutcome::Retry(page(TAKEN)),
        Err(err) => {
            log::error!("sign-up: the accounts database failed: {err}");
            return AccountOutcome::Unavailable(page(DATABASE_DOWN));
        }
    }
    if let Some(problem) = accounts::password_problem(&name, &form.password) {
        return AccountOutcome::Retry(page(problem));
    }
    let hash = match accounts::hash_password(form.password.clone()).await {
        Ok(hash) => hash,
        Err(err) => {
            log::error!("sign-up: the password could not be hashed: {err}");
            return AccountOutcome::Unavailable(page(DATABASE_DOWN));
        }
    };
    match accounts::create(&mut db, &name, &hash).await {
        Ok(account) => {
            start_session(&session, limits, &account, form.remember, Flash::SignedUp);
            AccountOutcome::SignedIn(Box::new(Redirect::to(uri!(profile))))
        }
        Err(CreateError::Taken) => AccountOutcome::Retry(page(TAKEN)),
        Err(CreateError::Database(err)) => {
            log::error!("sign-up: the accounts database failed: {err}");
            AccountOutcome::Unavailable(page(DATABASE_DOWN))
        }
    }
}

/// Signs the session in to `account`. The data moves into a new session: a
/// new id (fixation defence), created now, with the default lifetime, or
/// with [`SessionLimits::remembered_lifetime`] when "remember me" is ticked
/// (so signing in again without the box also ends an earlier "remember
/// me"). The session keeps the account's id and epoch, for the epoch check.
/// The visit count goes along; the notes only when the same account signs
/// in again (one user's notes are not shown to another). Then a new CSRF
/// token and a flash (in the session) on the way to the profile.
fn start_session(
    session: &Session<'_, DemoSession>,
    limits: &SessionLimits,
    account: &Account,
    remember: bool,
    flash: Flash,
) {
    let mut data = session.get();
    if data.account.map(|signed_in| signed_in.id) != Some(account.id) {
        data.notes.clear();
    }
    data.user = Some(account.name.clone());
    data.account = Some(SignedIn { id: account.id, epoch: account.epoch });
    data.flash = Some(flash);
    // The old session ends (its cookies are replaced in this response);
    // what is set afterwards is a new session with fresh deadlines.
    session.destroy();
    if remember {
        session.set_lifetime(limits.remembered_lifetime);
    }
    if let Err((mut data, err)) = session.try_set(data) {
        // Only when the configuration shrank since the notes were written
        // (a lower max_chunks): sign in without them rather than fail.
        log::warn!("signing in without the session's notes: {err}");
        data.notes.clear();
        session.set(data);
    }
    CsrfToken::rotate(session);
}

/// How the pages say the revalidation interval: "30 seconds", or "at
/// once" when every request checks.
fn check_interval(demo: &DemoSettings) -> String {
    match demo.revalidate_every {
        0 => "at once (every request is checked)".to_owned(),
        secs => human_duration(secs),
    }
}

/// `templates/profile.html`.
#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    revalidate_for: String,
}

/// The signed-in user's page, with "log out everywhere".
#[get("/profile")]
fn profile(
    user: User,
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    demo: &State<DemoSettings>,
) -> Page {
    let chrome = Chrome::live(&session, limits);
    let revalidate_for = check_interval(demo);
    Page::of(&ProfilePage { chrome, name: user.name, revalidate_for })
}

/// What "log out everywhere" answers.
#[derive(Responder)]
enum EverywhereOutcome {
    /// Done (to the page that says so), or no user (to the login form).
    /// (Boxed: a `Redirect` is 272 bytes, a rendered page 32.)
    Done(Box<Redirect>),
    /// The accounts database failed: nothing changed, the session stays.
    #[response(status = 503)]
    Unavailable(Page),
}

/// "Log out everywhere": bumps the account's epoch, so that every other
/// session of the account fails its next check, on every replica (at most
/// `demo.revalidate_every` later), and ends this one now.
#[post("/logout/everywhere", data = "<_form>")]
async fn logout_everywhere(
    user: Option<User>,
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    mut db: Connection<Accounts>,
    _form: CsrfForm<DemoSession>,
) -> EverywhereOutcome {
    let Some(user) = user else {
        return EverywhereOutcome::Done(Box::new(sign_in_first(&session)));
    };
    if let Err(err) = accounts::bump_epoch(&mut db, user.id).await {
        log::error!("log out everywhere: the accounts database failed: {err}");
        let chrome = Chrome::live(&session, limits);
        let page = ForbiddenPage { chrome, reason: DATABASE_DOWN, csrf: false, status: 503 };
        return EverywhereOutcome::Unavailable(Page::of(&page));
    }
    session.destroy();
    EverywhereOutcome::Done(Box::new(Redirect::to(uri!(logged_out_everywhere))))
}

/// The page after "log out everywhere" (it ends the session it is shown
/// to, as `/logout` does), with how long the other copies may last.
#[get("/logout/everywhere")]
fn logged_out_everywhere(session: Session<'_, DemoSession>, demo: &State<DemoSettings>) -> Page {
    session.destroy();
    Page::of(&LogoutPage {
        chrome: Chrome::ended(),
        message: LOGGED_OUT_EVERYWHERE,
        everywhere: true,
        revalidate_for: check_interval(demo),
    })
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
