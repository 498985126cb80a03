//! What the demo keeps in its session, and how it shows times.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use rocket_sealed_session::{CsrfSlot, CsrfStore};

/// The demo's session payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSession {
    /// Visits to `/` in this session.
    #[serde(default)]
    pub views: u64,
    /// The signed-in user's display name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The signed-in user's account and its epoch at sign-in, checked
    /// against the accounts database by the revalidation check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SignedIn>,
    /// The CSRF token of this session's forms.
    #[serde(default, skip_serializing_if = "CsrfSlot::is_empty")]
    pub csrf: CsrfSlot,
    /// A message for the next page, shown once ("Signed in as ...").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<Flash>,
    /// The signed-in user's notes (`/notes`), oldest first. They make the
    /// session grow past one cookie.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Which account a session is signed in to, and the account's epoch when
/// it signed in: "log out everywhere" bumps the epoch, and the sessions
/// that carry an older one are refused at their next check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The account's id.
    pub id: i64,
    /// The account's epoch at sign-in.
    pub epoch: i64,
}

/// A one-time message: set before a redirect, shown and dropped by the next
/// page. It travels inside the sealed session, never in a cookie of its own
/// (Rocket's `_flash` cookie is neither sealed, nor `HttpOnly`, nor `Secure`,
/// and would carry the display name in clear). The session stores which
/// message, not its text, so a pending flash costs the cookie a few bytes;
/// the page writes the text (with the name from [`DemoSession::user`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flash {
    /// After login: "Signed in as <name>."
    SignedIn,
    /// After sign-up: "Account created. Signed in as <name>."
    SignedUp,
    /// On the way from a page that needs a user to the login form:
    /// "Please sign in ...".
    SignInFirst,
    /// After adding a note: "Note added."
    NoteAdded,
    /// After clearing the notes: "Notes cleared."
    NotesCleared,
}

impl CsrfStore for DemoSession {
    fn csrf_slot(&self) -> &CsrfSlot {
        &self.csrf
    }

    fn csrf_slot_mut(&mut self) -> &mut CsrfSlot {
        &mut self.csrf
    }
}

/// A Unix time as RFC 3339 in UTC, e.g. `2026-11-27T15:00:00Z`.
pub fn rfc3339(unix_seconds: u64) -> String {
    i64::try_from(unix_seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::DemoSession;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn old_cookies_without_user_or_token_still_decode() {
        let data: DemoSession = serde_json::from_str(r#"{"views": 3}"#).unwrap_or_default();
        assert_eq!(data.views, 3);
        assert_eq!(data.user, None);
        assert_eq!(data.flash, None);
        assert!(data.notes.is_empty());
    }

    #[test]
    fn a_flash_is_stored_compactly_and_only_when_there_is_one() {
        let mut data = DemoSession { views: 1, ..DemoSession::default() };
        assert_eq!(serde_json::to_string(&data).ok().as_deref(), Some(r#"{"views":1}"#));
        data.flash = Some(super::Flash::SignInFirst);
        let json = serde_json::to_string(&data).unwrap_or_default();
        assert_eq!(json, r#"{"views":1,"flash":"sign_in_first"}"#);
        assert_eq!(serde_json::from_str::<DemoSession>(&json).ok(), Some(data));
    }
}
