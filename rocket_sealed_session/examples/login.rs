//! # Sign in and sign out with CSRF-checked forms
//!
//! A login page in plain HTML strings (no template engine). It shows
//!
//! - a payload that holds a [`CsrfSlot`] next to the app's data, and the
//!   [`CsrfStore`] impl that says where the slot is;
//! - [`CsrfToken::get`] to render the token into each form's hidden
//!   `csrf_token` field (the first call issues a token, which starts the
//!   session: a login form needs protection too, against login CSRF);
//! - [`CsrfForm<T, F>`] instead of `Form<F>` on every `POST`: a form
//!   without this session's token is refused with `403` before the handler
//!   runs, and a catcher can tell why with [`CsrfError::of`];
//! - [`Session::regenerate`] and [`CsrfToken::rotate`] at sign-in: a new
//!   session id and a new token, so that nothing seen before the login
//!   (session fixation, a leaked token) is worth anything after it;
//! - [`Session::destroy`] at sign-out: the payload is dropped and the
//!   cookie removed.
//!
//! The page prints the session id so that you can watch it change at login.
//! (A real app has no reason to show it.)
//!
//! ## Try it
//!
//! ```sh
//! cargo run -p rocket_sealed_session --example login
//! ```
//!
//! Open <http://127.0.0.1:8000/> in a browser and sign in as `ada` with the
//! password `analytical-engine`. Or with curl and a cookie jar:
//!
//! ```sh
//! # The sign-in form; its token goes with the session cookie in `jar`.
//! TOKEN=$(curl -s -c jar -b jar http://127.0.0.1:8000/ \
//!   | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
//!
//! # Without the token: 403 Forbidden, the handler never runs.
//! curl -i -c jar -b jar -d username=ada -d password=analytical-engine \
//!   http://127.0.0.1:8000/login
//!
//! # With it: 303 to /, and a new session cookie (new id, new token).
//! curl -i -c jar -b jar -d csrf_token=$TOKEN -d username=ada \
//!   -d password=analytical-engine http://127.0.0.1:8000/login
//! curl -c jar -b jar http://127.0.0.1:8000/        # "Signed in as ada"
//!
//! # The token from before the login is worthless now: 403.
//! curl -i -c jar -b jar -d csrf_token=$TOKEN http://127.0.0.1:8000/logout
//!
//! # Sign out with the current token: the cookie is removed.
//! TOKEN=$(curl -s -c jar -b jar http://127.0.0.1:8000/ \
//!   | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
//! curl -i -c jar -b jar -d csrf_token=$TOKEN http://127.0.0.1:8000/logout
//! ```

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{catch, catchers, get, launch, post, routes, uri, Build, FromForm, Request, Rocket};
use rocket_sealed_session::{
    CsrfError, CsrfForm, CsrfSlot, CsrfStore, CsrfToken, Session, Sessions,
};
use serde::{Deserialize, Serialize};

/// The session payload: who is signed in, and the CSRF token.
///
/// `#[serde(default)]` lets a cookie written by an older version of this
/// struct still open; `skip_serializing_if` keeps empty fields out of the
/// cookie.
#[derive(Default, Serialize, Deserialize)]
pub struct Login {
    #[serde(default, skip_serializing_if = "CsrfSlot::is_empty")]
    csrf: CsrfSlot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
}

/// Where `Login` keeps its CSRF token: what `CsrfToken` and `CsrfForm` use.
impl CsrfStore for Login {
    fn csrf_slot(&self) -> &CsrfSlot {
        &self.csrf
    }
    fn csrf_slot_mut(&mut self) -> &mut CsrfSlot {
        &mut self.csrf
    }
}

/// The sign-in form's fields. `CsrfForm` checks the `csrf_token` field and
/// then parses the rest into this (leniently: the token is not a field here).
#[derive(FromForm)]
pub struct Credentials {
    username: String,
    password: String,
}

/// The users of this example. A real app looks the name up in its database
/// and verifies a password hash (argon2, bcrypt, scrypt), never a plain
/// password.
const USERS: &[(&str, &str)] = &[("ada", "analytical-engine"), ("grace", "cobol")];

fn check_password(username: &str, password: &str) -> bool {
    USERS.iter().any(|(name, pass)| *name == username && *pass == password)
}

/// The home page: the sign-in form, or who is signed in and a sign-out
/// button. Both forms carry the session's token.
#[get("/")]
fn index(session: Session<'_, Login>) -> RawHtml<String> {
    // Issues a token the first time (the session changes, so the response
    // carries the session cookie); afterwards it only reads it.
    let token = CsrfToken::get(&session);
    let token_field =
        format!(r#"<input type="hidden" name="csrf_token" value="{}">"#, escape(token.as_str()));
    let id = escape(&session.id());

    let body = match session.read(|login| login.user.clone()) {
        Some(user) => format!(
            "<p>Signed in as <b>{user}</b>.</p>\n\
             <form method=\"post\" action=\"/logout\">\n{token_field}\n\
             <button>Sign out</button>\n</form>\n",
            user = escape(&user),
        ),
        None => format!(
            "<p>Not signed in. Try <code>ada</code> / <code>analytical-engine</code>.</p>\n\
             <form method=\"post\" action=\"/login\">\n{token_field}\n\
             <label>Name <input name=\"username\" autocomplete=\"username\"></label>\n\
             <label>Password <input name=\"password\" type=\"password\" \
             autocomplete=\"current-password\"></label>\n\
             <button>Sign in</button>\n</form>\n"
        ),
    };
    page("Login example", &format!("{body}<p>Session id: <code>{id}</code></p>\n"))
}

/// Signs in. Reached only with this session's token (else `403`, see
/// [`forbidden`]); then it checks the password.
#[post("/login", data = "<form>")]
fn login(
    session: Session<'_, Login>,
    form: CsrfForm<Login, Credentials>,
) -> Result<Redirect, (Status, RawHtml<String>)> {
    let Credentials { username, password } = form.into_inner();
    if !check_password(&username, &password) {
        let body = "<p>Wrong name or password. <a href=\"/\">Try again</a>.</p>\n";
        return Err((Status::Unauthorized, page("Sign-in failed", body)));
    }
    // A privilege change: a new session id (an attacker who planted or saw
    // the old id gains nothing) and a new token (the old one stops working).
    session.regenerate();
    CsrfToken::rotate(&session);
    session.update(|login| login.user = Some(username));
    // 303: the browser follows with a GET, so a reload does not resubmit.
    Ok(Redirect::to(uri!(index)))
}

/// Signs out: a button-only form, so `CsrfForm<Login>` (no fields but the
/// token). `destroy` drops the payload and removes the cookie.
#[post("/logout", data = "<_form>")]
fn logout(session: Session<'_, Login>, _form: CsrfForm<Login>) -> Redirect {
    session.destroy();
    Redirect::to(uri!(index))
}

/// Explains a `403`: `CsrfForm` records why it refused a form.
#[catch(403)]
fn forbidden(req: &Request<'_>) -> RawHtml<String> {
    let why = match CsrfError::of(req) {
        Some(CsrfError::Missing) => "The form carried no CSRF token.",
        Some(CsrfError::Invalid) => {
            "The form's CSRF token is not this session's (an old page, or a forged request)."
        }
        _ => "Forbidden.",
    };
    page("Forbidden", &format!("<p>{why} <a href=\"/\">Reload the form</a>.</p>\n"))
}

/// A whole HTML page around `body` (already escaped).
fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n"
    ))
}

/// HTML-escapes text for element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The app: the `Sessions` fairing, three routes and the `403` catcher.
#[launch]
pub fn rocket() -> Rocket<Build> {
    rocket::build()
        .attach(Sessions::fairing())
        .mount("/", routes![index, login, logout])
        .register("/", catchers![forbidden])
}
