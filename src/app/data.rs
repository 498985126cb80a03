//! What the demo keeps in its session, and how it shows times.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::session::{CsrfSlot, CsrfStore};

/// The demo's session payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSession {
    /// Visits to `/` in this session.
    #[serde(default)]
    pub views: u64,
    /// The signed-in user's display name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The CSRF token of this session's forms.
    #[serde(default, skip_serializing_if = "CsrfSlot::is_empty")]
    pub csrf: CsrfSlot,
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
    }
}
