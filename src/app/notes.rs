//! Notes kept in the session (`/notes`): the page that makes a session grow
//! past one cookie. A signed-in user adds notes with a CSRF-checked form
//! and clears them with a CSRF-checked button. The sealed session grows
//! with every note; past one cookie (4096 bytes) the library cuts it into
//! `sid`, `sid.1`, ... (`max_chunks` in Rocket.toml), and clearing the notes
//! removes the pieces no longer used. A note that would not fit is refused
//! with a message ([`Session::try_set`]), never a 500.

use askama::Template;
use rocket::form::FromForm;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Responder, Route, State};

use super::auth::{sign_in_first, User};
use super::data::{DemoSession, Flash};
use super::page::Chrome;
use super::settings::SessionLimits;
use super::view::Page;
use rocket_sealed_session::{CsrfForm, Error, Session};

/// The longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Bytes of the session's JSON that adding a note must leave free, for what
/// other pages may still add: a longer display name at the next login (40
/// characters of up to 4 bytes), the "remember me" lifetime, a flash
/// message, more visits. So only this page ever meets a full session, and
/// it refuses the note instead of failing.
pub const HEADROOM: usize = 256;

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![notes, notes_need_login, add_note, clear_notes]
}

/// The add form's field (the CSRF token is checked by `CsrfForm`).
#[derive(Debug, FromForm)]
pub struct NoteForm {
    /// The note as typed.
    text: String,
}

/// A note as stored: trimmed, line breaks as `\n`, 1 to [`MAX_NOTE_CHARS`]
/// characters, no control characters but line breaks and tabs; or why not.
fn note_text(raw: &str) -> Result<String, &'static str> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err("Please write something first.");
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err("That note is too long (500 characters at most).");
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("Please use printable characters only.");
    }
    Ok(text.to_owned())
}

/// Why a note that does not fit was refused.
fn does_not_fit(limits: &SessionLimits) -> String {
    let room = match limits.max_chunks {
        1 => "one cookie (4096 bytes)".to_owned(),
        n => format!("{n} cookies (4096 bytes each, 7 KiB in all)"),
    };
    format!(
        "That note does not fit: your session would need more than the {room} this app \
         allows. Nothing was saved. Clear your notes, or write a shorter one."
    )
}

/// `templates/notes.html`.
#[derive(Template)]
#[template(path = "notes.html")]
struct NotesPage<'a> {
    chrome: Chrome,
    notes: Vec<String>,
    error: Option<&'a str>,
    text: &'a str,
    max_note: usize,
}

/// The notes page: the add form (with `text` as sent, after a refusal and
/// its reason), the notes, and the clear button.
fn notes_page(
    session: &Session<'_, DemoSession>,
    limits: &SessionLimits,
    error: Option<&str>,
    text: &str,
) -> Page {
    let chrome = Chrome::live(session, limits);
    let notes = session.read(|data| data.notes.clone());
    Page::of(&NotesPage { chrome, notes, error, text, max_note: MAX_NOTE_CHARS })
}

/// The signed-in user's notes.
#[get("/notes")]
fn notes(_user: User, session: Session<'_, DemoSession>, limits: &State<SessionLimits>) -> Page {
    notes_page(&session, limits, None, "")
}

/// `/notes` without a user: to the login form, which says why.
#[get("/notes", rank = 2)]
fn notes_need_login(session: Session<'_, DemoSession>) -> Redirect {
    sign_in_first(&session)
}

/// What adding a note answers.
#[derive(Responder)]
enum NoteOutcome {
    /// Added (to the notes page, which says so), or no user (to the login form).
    /// (Boxed: a `Redirect` is 272 bytes, a rendered page 32.)
    Done(Box<Redirect>),
    /// Refused: the page again, with the reason and the text as sent.
    #[response(status = 422)]
    Retry(Page),
}

/// Adds a note, if it fits with [`HEADROOM`] to spare: checked with
/// `try_set`, which keeps the session as it was when it does not fit.
#[post("/notes", data = "<form>")]
fn add_note(
    user: Option<User>,
    session: Session<'_, DemoSession>,
    limits: &State<SessionLimits>,
    form: CsrfForm<DemoSession, NoteForm>,
) -> NoteOutcome {
    if user.is_none() {
        return NoteOutcome::Done(Box::new(sign_in_first(&session)));
    }
    let retry =
        |error: &str| NoteOutcome::Retry(notes_page(&session, limits, Some(error), &form.text));
    let text = match note_text(&form.text) {
        Ok(text) => text,
        Err(error) => return retry(error),
    };
    let mut next = session.get();
    next.notes.push(text);
    next.flash = Some(Flash::NoteAdded);
    // The check: the new notes plus a stand-in note of HEADROOM bytes.
    let mut with_headroom = next.clone();
    with_headroom.notes.push("x".repeat(HEADROOM));
    match session.try_set(with_headroom) {
        Ok(()) => {
            session.set(next);
            NoteOutcome::Done(Box::new(Redirect::to(uri!(notes))))
        }
        Err((_, Error::TooLarge { .. })) => retry(&does_not_fit(limits)),
        Err((_, err)) => {
            log::error!("a note could not be added: {err}");
            retry("That note could not be saved. Nothing was changed.")
        }
    }
}

/// Clears the notes: the session shrinks, and the response removes the
/// cookies it no longer uses.
#[post("/notes/clear", data = "<_form>")]
fn clear_notes(
    user: Option<User>,
    session: Session<'_, DemoSession>,
    _form: CsrfForm<DemoSession>,
) -> Redirect {
    if user.is_none() {
        return sign_in_first(&session);
    }
    session.update(|data| {
        data.notes.clear();
        data.flash = Some(Flash::NotesCleared);
    });
    Redirect::to(uri!(notes))
}

#[cfg(test)]
mod tests {
    use super::{note_text, MAX_NOTE_CHARS};

    #[test]
    fn notes_are_trimmed_bounded_and_keep_their_line_breaks() {
        assert_eq!(note_text("  milk\r\neggs \r\n"), Ok("milk\neggs".to_owned()));
        assert!(note_text(" \r\n ").is_err());
        assert_eq!(note_text(&"é".repeat(MAX_NOTE_CHARS)), Ok("é".repeat(MAX_NOTE_CHARS)));
        assert!(note_text(&"x".repeat(MAX_NOTE_CHARS + 1)).unwrap_err().contains("500"));
        assert!(note_text("a\u{7}b").is_err());
        assert_eq!(note_text("a\tb"), Ok("a\tb".to_owned()));
    }
}
