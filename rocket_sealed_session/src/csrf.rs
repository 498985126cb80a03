//! CSRF protection for HTML forms: a random token kept in the session,
//! echoed by every form, and checked in constant time on every
//! state-changing request.
//!
//! # How it fits together
//!
//! 1. The session payload keeps a [`CsrfSlot`] and says where by
//!    implementing [`CsrfStore`].
//! 2. A page that shows a form asks for the token with
//!    [`CsrfToken::get`] (which creates one the first time) and renders it
//!    into a hidden field named [`CSRF_FIELD`].
//! 3. The handler that receives the form takes a [`CsrfForm<T, F>`] data
//!    guard instead of `Form<F>`: it reads the URL-encoded body, compares the
//!    submitted token with the session's in constant time, and only then
//!    parses `F`. A missing or wrong token fails with `403 Forbidden`;
//!    a catcher can tell which with [`CsrfError::of`].
//! 4. On every privilege change (login), call [`Session::regenerate`] and
//!    [`CsrfToken::rotate`], so that a token seen before the change is
//!    worthless after it.
//!
//! Because the session is sealed (encrypted and authenticated) into an
//! HttpOnly cookie, another site can neither read the token from the cookie
//! nor forge a session that holds a token of its choosing: it can only make
//! the browser send the cookie, and without the token the form is refused.
//!
//! # Example
//!
//! ```
//! use rocket::{get, post, routes, FromForm};
//! use rocket_sealed_session::{CsrfForm, CsrfSlot, CsrfStore, CsrfToken, Session};
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Data {
//!     #[serde(default)]
//!     csrf: CsrfSlot,
//!     note: String,
//! }
//!
//! impl CsrfStore for Data {
//!     fn csrf_slot(&self) -> &CsrfSlot { &self.csrf }
//!     fn csrf_slot_mut(&mut self) -> &mut CsrfSlot { &mut self.csrf }
//! }
//!
//! #[derive(FromForm)]
//! struct Note { note: String }
//!
//! #[get("/")]
//! fn form(session: Session<'_, Data>) -> String {
//!     let token = CsrfToken::get(&session);
//!     format!(
//!         r#"<form method="post"><input type="hidden" name="csrf_token" value="{}">
//!            <input name="note"><button>Save</button></form>"#,
//!         token.as_str()
//!     )
//! }
//!
//! #[post("/", data = "<form>")]
//! fn save(session: Session<'_, Data>, form: CsrfForm<Data, Note>) -> &'static str {
//!     let note = form.into_inner().note;
//!     session.update(|data| data.note = note);
//!     "saved"
//! }
//!
//! let rocket = rocket::build()
//!     .attach(rocket_sealed_session::Sessions::fairing())
//!     .mount("/", routes![form, save]);
//! ```
//!
//! # Limitations
//!
//! - Only `application/x-www-form-urlencoded` bodies are read; any other
//!   body (multipart, JSON, text) counts as a missing token.
//! - The token is the same for every form of a session until it is rotated.
//!   If your pages are compressed and also reflect attacker-chosen text,
//!   consider BREACH-style attacks on the token.
//! - Showing a form starts a session: the visitor gets a cookie holding the
//!   token (a login form needs protection too, against login CSRF).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use rocket::data::{self, Data, FromData, Limits, ToByteUnit};
use rocket::form::{self, Form, FromForm};
use rocket::http::{ContentType, RawStr, Status};
use rocket::outcome::Outcome;
use rocket::request::Request;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::guard::{Session, SessionData};

/// The name of the form field that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// Random bytes in a token (256 bits).
const CSRF_TOKEN_BYTES: usize = 32;

/// Characters of a token: unpadded base64url of `CSRF_TOKEN_BYTES`.
const CSRF_TOKEN_CHARS: usize = 43;

const _: () = assert!(CSRF_TOKEN_CHARS == (CSRF_TOKEN_BYTES * 4).div_ceil(3));

/// Where a session payload keeps its CSRF token; a field of your payload.
///
/// Serializes as the token string, or `null` while empty. Its `Debug`
/// never shows the token.
///
/// # Example
///
/// ```
/// use rocket_sealed_session::CsrfSlot;
///
/// let slot = CsrfSlot::default();
/// assert!(slot.is_empty());
/// assert_eq!(format!("{slot:?}"), "CsrfSlot(empty)");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CsrfSlot(Option<String>);

impl CsrfSlot {
    /// Whether no token has been issued yet (use it for
    /// `#[serde(skip_serializing_if = "CsrfSlot::is_empty")]`).
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Forgets the token; the next [`CsrfToken::get`] issues a new one.
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl fmt::Debug for CsrfSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("CsrfSlot(<redacted>)"),
            None => f.write_str("CsrfSlot(empty)"),
        }
    }
}

/// A session payload that holds a CSRF token in a [`CsrfSlot`].
///
/// # Example
///
/// ```
/// use rocket_sealed_session::{CsrfSlot, CsrfStore};
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Data {
///     #[serde(default, skip_serializing_if = "CsrfSlot::is_empty")]
///     csrf: CsrfSlot,
/// }
///
/// impl CsrfStore for Data {
///     fn csrf_slot(&self) -> &CsrfSlot { &self.csrf }
///     fn csrf_slot_mut(&mut self) -> &mut CsrfSlot { &mut self.csrf }
/// }
/// ```
pub trait CsrfStore {
    /// The slot, to read.
    fn csrf_slot(&self) -> &CsrfSlot;
    /// The slot, to issue or rotate the token.
    fn csrf_slot_mut(&mut self) -> &mut CsrfSlot;
}

/// The session's current CSRF token, to render into a form's hidden
/// [`CSRF_FIELD`] field.
///
/// Serializes as the bare token string (for template contexts); its
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The session's token, issuing one (and so changing the session) if
    /// it has none yet. Reading an existing token changes nothing.
    ///
    /// # Panics
    ///
    /// When the operating system has no randomness to give, and when called
    /// inside a [`Session::read`] or [`Session::update`] closure.
    pub fn get<T: SessionData + CsrfStore>(session: &Session<'_, T>) -> CsrfToken {
        if let Some(token) = session.read(|data| data.csrf_slot().0.clone()) {
            return CsrfToken(token);
        }
        Self::rotate(session)
    }

    /// Replaces the session's token with a new one and returns it. Call it
    /// on every privilege change (login), after [`Session::regenerate`].
    ///
    /// # Panics
    ///
    /// As [`CsrfToken::get`].
    pub fn rotate<T: SessionData + CsrfStore>(session: &Session<'_, T>) -> CsrfToken {
        let token = new_token();
        session.update(|data| data.csrf_slot_mut().0 = Some(token.clone()));
        CsrfToken(token)
    }

    /// The token, as it goes into the form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(<redacted>)")
    }
}

/// A new random token: `CSRF_TOKEN_BYTES` from the OS RNG, base64url.
fn new_token() -> String {
    let mut bytes = [0u8; CSRF_TOKEN_BYTES];
    if let Err(err) = OsRng.try_fill_bytes(&mut bytes) {
        panic!("the operating system's random number generator failed: {err}");
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `submitted` is the session's token, in time that does not
/// depend on how much of it matches.
fn tokens_match(expected: &str, submitted: &str) -> bool {
    // Both are fixed-length base64url; `ct_eq` on slices of different
    // lengths is false without looking at the bytes.
    bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// Why a [`CsrfForm`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfError {
    /// The request carried no token: no [`CSRF_FIELD`] field, or not an
    /// URL-encoded form at all. Status `403`.
    Missing,
    /// A token was sent but it is not this session's (a forged request, or
    /// the session ended since the form was shown). Status `403`.
    Invalid,
    /// The token was right but the body could not be read (`400`), was too
    /// large (`413`), or its fields did not parse (`422`).
    Form(Status),
}

impl CsrfError {
    /// The HTTP status this refusal answers with.
    pub fn status(self) -> Status {
        match self {
            CsrfError::Missing | CsrfError::Invalid => Status::Forbidden,
            CsrfError::Form(status) => status,
        }
    }

    /// The refusal of this request, if a [`CsrfForm`] refused it: for
    /// catchers that explain a `403`.
    pub fn of(req: &Request<'_>) -> Option<CsrfError> {
        req.local_cache(|| Rejection(None)).0
    }
}

impl fmt::Display for CsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsrfError::Missing => f.write_str("the form carried no CSRF token"),
            CsrfError::Invalid => f.write_str("the form's CSRF token is not this session's"),
            CsrfError::Form(status) => write!(f, "the form was refused ({status})"),
        }
    }
}

impl std::error::Error for CsrfError {}

/// The refusal recorded in request-local state for [`CsrfError::of`].
struct Rejection(Option<CsrfError>);

/// Only the token, parsed leniently out of the whole form.
#[derive(rocket::FromForm)]
struct TokenField {
    #[field(name = "csrf_token")]
    csrf_token: Option<String>,
}

/// A URL-encoded form of type `F` whose CSRF token matched the token in
/// the session (payload `T`): use it instead of `Form<F>` on every
/// state-changing route.
///
/// `F` is parsed leniently (the token field and unknown fields are
/// ignored) and must own its data (`String`, not `&str`). `F` defaults
/// to [`NoFields`], for a form that is only a button (`CsrfForm<T>`).
///
/// # Outcomes
///
/// - Success: the token matched; `F` parsed.
/// - Error `403` ([`CsrfError::Missing`], [`CsrfError::Invalid`]): no
///   token, or a wrong one. `F` is not parsed.
/// - Error `400`/`413`/`422` ([`CsrfError::Form`]): unreadable, too large
///   (the `form` limit), or fields that do not parse as `F`.
///
/// Each refusal is also kept for catchers: see [`CsrfError::of`].
///
/// # Example
///
/// ```
/// use rocket::post;
/// use rocket_sealed_session::{CsrfForm, CsrfSlot, CsrfStore, Session};
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Data { csrf: CsrfSlot, signed_in: bool }
///
/// impl CsrfStore for Data {
///     fn csrf_slot(&self) -> &CsrfSlot { &self.csrf }
///     fn csrf_slot_mut(&mut self) -> &mut CsrfSlot { &mut self.csrf }
/// }
///
/// /// A button-only form: `CsrfForm<Data>` checks the token and nothing else.
/// #[post("/sign-out", data = "<_form>")]
/// fn sign_out(session: Session<'_, Data>, _form: CsrfForm<Data>) {
///     session.destroy();
/// }
/// ```
pub struct CsrfForm<T, F = NoFields> {
    form: F,
    _payload: PhantomData<fn() -> T>,
}

impl<T, F> CsrfForm<T, F> {
    /// The parsed form.
    pub fn into_inner(self) -> F {
        self.form
    }
}

impl<T, F> Deref for CsrfForm<T, F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.form
    }
}

impl<T, F: fmt::Debug> fmt::Debug for CsrfForm<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfForm").field("form", &self.form).finish()
    }
}

/// A form with nothing but its token (a logout button): `CsrfForm<T>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoFields;

#[rocket::async_trait]
impl<'v> FromForm<'v> for NoFields {
    type Context = ();

    fn init(_opts: form::Options) -> Self::Context {}

    fn push_value(_ctxt: &mut Self::Context, _field: form::ValueField<'v>) {}

    async fn push_data(_ctxt: &mut Self::Context, _field: form::DataField<'v, '_>) {}

    fn finalize(_ctxt: Self::Context) -> form::Result<'v, Self> {
        Ok(NoFields)
    }
}

fn refuse<'r, S>(req: &'r Request<'_>, err: CsrfError) -> data::Outcome<'r, S, CsrfError> {
    log::debug!("form refused: {err}");
    req.local_cache(|| Rejection(Some(err)));
    Outcome::Error((err.status(), err))
}

#[rocket::async_trait]
impl<'r, T, F> FromData<'r> for CsrfForm<T, F>
where
    T: SessionData + CsrfStore,
    F: for<'a> FromForm<'a> + Send + 'static,
{
    type Error = CsrfError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if req.content_type() != Some(&ContentType::Form) {
            return refuse(req, CsrfError::Missing);
        }
        let limit = req.limits().get("form").unwrap_or(Limits::FORM);
        let body = match data.open(limit).into_string().await {
            Ok(body) if body.is_complete() => body.into_inner(),
            Ok(_) => {
                log::debug!("form body over the {} limit", limit.as_u64().bytes());
                return refuse(req, CsrfError::Form(Status::PayloadTooLarge));
            }
            Err(_) => return refuse(req, CsrfError::Form(Status::BadRequest)),
        };

        let submitted = match Form::<TokenField>::parse_encoded(RawStr::new(&body)) {
            Ok(TokenField { csrf_token: Some(token) }) => token,
            _ => return refuse(req, CsrfError::Missing),
        };
        let session = match req.guard::<Session<'r, T>>().await {
            Outcome::Success(session) => session,
            Outcome::Error((status, _)) | Outcome::Forward(status) => {
                return refuse(req, CsrfError::Form(status));
            }
        };
        let valid = session.read(|data| match &data.csrf_slot().0 {
            Some(expected) => tokens_match(expected, &submitted),
            None => false,
        });
        if !valid {
            return refuse(req, CsrfError::Invalid);
        }

        match Form::<F>::parse_encoded(RawStr::new(&body)) {
            Ok(form) => Outcome::Success(CsrfForm { form, _payload: PhantomData }),
            Err(errors) => {
                log::debug!("form fields did not parse: {errors}");
                refuse(req, CsrfError::Form(errors.status()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sessions;
    use rocket::local::blocking::Client;
    use rocket::{catch, catchers, get, post, routes};

    #[derive(Default, Serialize, Deserialize)]
    struct Payload {
        #[serde(default)]
        csrf: CsrfSlot,
        #[serde(default)]
        note: String,
    }

    impl CsrfStore for Payload {
        fn csrf_slot(&self) -> &CsrfSlot {
            &self.csrf
        }
        fn csrf_slot_mut(&mut self) -> &mut CsrfSlot {
            &mut self.csrf
        }
    }

    #[derive(rocket::FromForm)]
    struct Note {
        note: String,
        count: u8,
    }

    #[get("/token")]
    fn token(session: Session<'_, Payload>) -> String {
        CsrfToken::get(&session).as_str().to_owned()
    }

    #[post("/note", data = "<form>")]
    fn note(session: Session<'_, Payload>, form: CsrfForm<Payload, Note>) -> String {
        let Note { note, count } = form.into_inner();
        session.update(|data| data.note = note.clone());
        format!("{note} x{count}")
    }

    #[post("/button", data = "<_form>")]
    fn button(_form: CsrfForm<Payload>) -> &'static str {
        "pressed"
    }

    #[catch(403)]
    fn forbidden(req: &Request<'_>) -> String {
        format!("{:?}", CsrfError::of(req))
    }

    fn client() -> Client {
        let rocket = rocket::build()
            .attach(Sessions::fairing())
            .mount("/", routes![token, note, button])
            .register("/", catchers![forbidden]);
        match Client::tracked(rocket) {
            Ok(client) => client,
            Err(err) => panic!("test app does not launch: {err}"),
        }
    }

    fn post(client: &Client, path: &'static str, body: String) -> (Status, String) {
        let response = client.post(path).header(ContentType::Form).body(body).dispatch();
        (response.status(), response.into_string().unwrap_or_default())
    }

    #[test]
    fn a_form_with_the_sessions_token_is_parsed_and_decoded() {
        let client = client();
        let token = client.get("/token").dispatch().into_string().unwrap_or_default();
        let (status, body) =
            post(&client, "/note", format!("csrf_token={token}&note=a%26b+c&count=2"));
        assert_eq!((status, body.as_str()), (Status::Ok, "a&b c x2"));
        // The token stays the same until rotated: a second form works too.
        let again = client.get("/token").dispatch().into_string().unwrap_or_default();
        assert_eq!(again, token);
        assert_eq!(post(&client, "/button", format!("csrf_token={token}")).0, Status::Ok);
    }

    #[test]
    fn a_percent_encoded_token_is_accepted() {
        let client = client();
        let token = client.get("/token").dispatch().into_string().unwrap_or_default();
        let encoded: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
        assert_eq!(post(&client, "/button", format!("csrf_token={encoded}")).0, Status::Ok);
    }

    #[test]
    fn refusals_are_403_and_tell_the_catcher_why() {
        let client = client();
        let token = client.get("/token").dispatch().into_string().unwrap_or_default();
        let (status, body) = post(&client, "/note", "note=x&count=1".into());
        assert_eq!((status, body.as_str()), (Status::Forbidden, "Some(Missing)"));
        let wrong = new_token();
        let (status, body) = post(&client, "/note", format!("csrf_token={wrong}&note=x&count=1"));
        assert_eq!((status, body.as_str()), (Status::Forbidden, "Some(Invalid)"));
        let (status, _) = post(&client, "/note", format!("csrf_token={token}&note=x&count=999"));
        assert_eq!(status, Status::UnprocessableEntity, "fields are parsed after the check");
    }

    #[test]
    fn a_session_without_a_token_refuses_every_token() {
        let client = client();
        assert_eq!(post(&client, "/button", "csrf_token=".into()).0, Status::Forbidden);
        assert_eq!(
            post(&client, "/button", format!("csrf_token={}", new_token())).0,
            Status::Forbidden
        );
    }

    #[test]
    fn a_body_over_the_form_limit_is_413() {
        let client = client();
        let token = client.get("/token").dispatch().into_string().unwrap_or_default();
        let big = "x".repeat(40 * 1024);
        let (status, _) = post(&client, "/note", format!("csrf_token={token}&note={big}&count=1"));
        assert_eq!(status, Status::PayloadTooLarge);
    }

    #[test]
    fn new_tokens_are_43_char_base64url_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), CSRF_TOKEN_CHARS);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn tokens_match_only_when_equal() {
        let token = new_token();
        assert!(tokens_match(&token, &token.clone()));
        let mut flipped = token.clone().into_bytes();
        flipped[CSRF_TOKEN_CHARS - 1] ^= 1;
        assert!(!tokens_match(&token, &String::from_utf8_lossy(&flipped)));
        assert!(!tokens_match(&token, &token[..CSRF_TOKEN_CHARS - 1]));
        assert!(!tokens_match(&token, ""));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = new_token();
        let slot = CsrfSlot(Some(token.clone()));
        assert!(!format!("{slot:?}").contains(&token));
        assert!(!format!("{:?}", CsrfToken(token.clone())).contains(&token));
    }

    #[test]
    fn slot_serializes_as_the_bare_token_or_null() {
        let slot = CsrfSlot(Some("abc".into()));
        assert_eq!(serde_json::to_string(&slot).ok().as_deref(), Some("\"abc\""));
        assert_eq!(serde_json::to_string(&CsrfSlot::default()).ok().as_deref(), Some("null"));
    }

    #[test]
    fn refusal_statuses() {
        assert_eq!(CsrfError::Missing.status(), Status::Forbidden);
        assert_eq!(CsrfError::Invalid.status(), Status::Forbidden);
        assert_eq!(CsrfError::Form(Status::PayloadTooLarge).status(), Status::PayloadTooLarge);
    }
}
