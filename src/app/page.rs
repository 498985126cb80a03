//! What every page shows around its content: the navigation with the
//! logout button (and its CSRF token), the one-time flash message (kept in
//! the sealed session), and the "your session" panel.

use super::data::{rfc3339, DemoSession, Flash};
use super::settings::SessionLimits;
use rocket_sealed_session::{CsrfToken, Session};

/// A flash message as the page shows it.
#[derive(Debug)]
pub struct FlashView {
    /// The CSS class suffix: `success`, `warning`.
    pub kind: &'static str,
    /// The text.
    pub message: String,
}

impl FlashView {
    /// The text of `flash` for a session whose user is `user`.
    fn new(flash: Flash, user: Option<&str>) -> FlashView {
        match (flash, user) {
            (Flash::SignedIn, Some(name)) => {
                FlashView { kind: "success", message: format!("Signed in as {name}.") }
            }
            (Flash::SignedIn, None) => FlashView { kind: "success", message: "Signed in.".into() },
            (Flash::SignedUp, Some(name)) => FlashView {
                kind: "success",
                message: format!("Account created. Signed in as {name}."),
            },
            (Flash::SignedUp, None) => {
                FlashView { kind: "success", message: "Account created.".into() }
            }
            (Flash::SignInFirst, _) => {
                FlashView { kind: "warning", message: "Please sign in to see that page.".into() }
            }
            (Flash::NoteAdded, _) => FlashView { kind: "success", message: "Note added.".into() },
            (Flash::NotesCleared, _) => {
                FlashView { kind: "success", message: "Notes cleared.".into() }
            }
        }
    }
}

/// The "your session" panel. Never the secret, never the sealed bytes.
#[derive(Debug)]
pub struct Panel {
    /// The session id.
    pub id: String,
    /// When the session was created (RFC 3339).
    pub created: String,
    /// The absolute deadline (RFC 3339).
    pub absolute: String,
    /// The absolute lifetime counted from creation, e.g. "30 days (remember me)".
    pub lifetime: String,
    /// The idle deadline, or why there is none.
    pub idle: String,
    /// The hex id of the key that opened the cookie, or a note for a new session.
    pub key_id: String,
    /// Bytes of the `Set-Cookie` value if the session were saved now.
    pub cookie_bytes: String,
    /// How many cookies the session takes if saved now; `None` if it
    /// would not fit.
    pub cookies: Option<usize>,
    /// Their names: `sid`, `sid.1`, ...
    pub cookie_names: Vec<String>,
    /// The most cookies one session may take (`max_chunks`).
    pub max_cookies: usize,
}

/// Everything the base layout (`templates/base.html`) needs.
#[derive(Debug)]
pub struct Chrome {
    /// The token for the logout form (and any other form on the page).
    pub csrf_token: Option<CsrfToken>,
    /// The signed-in user, for the navigation.
    pub user: Option<String>,
    /// The one-time message this page shows (taken out of the session).
    pub flash: Option<FlashView>,
    /// The session panel; `None` once the session is gone.
    pub panel: Option<Panel>,
}

impl Chrome {
    /// The chrome of a page with a live session: takes the pending flash
    /// message out of the session (it is shown once) and issues the CSRF
    /// token if needed. Call it after the handler's own changes to the
    /// session, so that the panel shows what this response will seal.
    pub fn live(session: &Session<'_, DemoSession>, limits: &SessionLimits) -> Chrome {
        let flash = take_flash(session);
        let csrf_token = Some(CsrfToken::get(session));
        let user = session.read(|data| data.user.clone());
        Chrome {
            csrf_token,
            flash: flash.map(|flash| FlashView::new(flash, user.as_deref())),
            user,
            panel: Some(panel(session, limits)),
        }
    }

    /// The CSRF token for a form, as the page writes it ("" without one).
    pub fn csrf(&self) -> &str {
        self.csrf_token.as_ref().map_or("", CsrfToken::as_str)
    }

    /// The chrome of a page after the session was destroyed: no panel, no
    /// token (issuing one would start a new session right away), no flash
    /// (it went with the session).
    pub fn ended() -> Chrome {
        Chrome { csrf_token: None, user: None, flash: None, panel: None }
    }
}

/// Keeps `flash` in the session for the next page (post/redirect/get).
pub fn flash_next_page(session: &Session<'_, DemoSession>, flash: Flash) {
    session.update(|data| data.flash = Some(flash));
}

/// The pending flash, removed from the session. A page without one leaves
/// the session untouched (no re-seal).
fn take_flash(session: &Session<'_, DemoSession>) -> Option<Flash> {
    if session.read(|data| data.flash.is_none()) {
        return None;
    }
    session.update(|data| data.flash.take())
}

/// A duration in the largest whole unit: "30 days", "1 day", "36 hours",
/// "90 minutes", "45 seconds".
pub fn human_duration(seconds: u64) -> String {
    let (count, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    match count {
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

fn panel(session: &Session<'_, DemoSession>, limits: &SessionLimits) -> Panel {
    let created = session.issued_at();
    let absolute = session.absolute_deadline();
    let lifetime_secs = absolute.saturating_sub(created);
    let default = limits.default_lifetime.as_secs();
    let lifetime = match lifetime_secs {
        secs if secs > default => format!("{} (remember me)", human_duration(secs)),
        secs if secs == default => format!("{} (the default)", human_duration(secs)),
        secs => human_duration(secs),
    };
    let idle = match (session.idle_timeout(), session.idle_deadline()) {
        (Some(secs), Some(ends)) if ends < absolute => {
            format!("{} ({secs} s without a request)", rfc3339(ends))
        }
        (Some(secs), _) => format!("not before the absolute deadline ({secs} s without a request)"),
        (None, _) => "off (no idle timeout configured)".to_owned(),
    };
    let key_id = match session.key_id() {
        Some(key_id) => key_id,
        None => "none yet (new session; sealed with the current key)".to_owned(),
    };
    let (cookie_bytes, cookies) = match session.sealed_size() {
        Ok(size) => (size.set_cookie_len.to_string(), size.cookies),
        Err(err) => {
            log::warn!("cannot size the session cookie: {err}");
            ("unknown".to_owned(), Err(err))
        }
    };
    let cookies = match cookies {
        Ok(count) => Some(count),
        Err(err) => {
            log::warn!("the session does not fit its cookies: {err}");
            None
        }
    };
    Panel {
        id: session.id(),
        created: rfc3339(created),
        absolute: rfc3339(absolute),
        lifetime,
        idle,
        key_id,
        cookie_bytes,
        cookies,
        cookie_names: limits.cookie_names(cookies.unwrap_or(0)),
        max_cookies: limits.max_chunks,
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_are_shown_in_their_largest_whole_unit() {
        assert_eq!(human_duration(30 * 86_400), "30 days");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(36 * 3_600), "36 hours");
        assert_eq!(human_duration(90 * 60), "90 minutes");
        assert_eq!(human_duration(45), "45 seconds");
        assert_eq!(human_duration(1), "1 second");
    }
}
