//! What happened to each request's session cookie, counted through the
//! `metrics` facade (feature `metrics`): a no-op without the feature, and
//! without a recorder installed by the app.
//!
//! | metric | kind | labels | meaning |
//! |---|---|---|---|
//! | `sealed_session_opened_total` | counter | `key_id` | cookies that opened, per key |
//! | `sealed_session_rejected_total` | counter | `reason` | cookies that did not: `tampered`, `unknown_key`, `expired`, `idle`, `from_the_future`, `validation_hook`, `payload`, `ambiguous` |
//! | `sealed_session_sealed_total` | counter | | responses that set a session cookie |
//! | `sealed_session_removed_total` | counter | | responses that removed one |
//! | `sealed_session_oversize_total` | counter | | sessions refused as too big (a 500) |
//! | `sealed_session_key_last_seen_seconds` | gauge | `key_id` | when a cookie under the key last arrived (Unix seconds) |
//! | `sealed_session_key_latest_deadline_seconds` | gauge | `key_id` | the latest deadline among the cookies under the key that arrived |
//!
//! The two gauges answer "when may this old key go": once its cookies stop
//! arriving and the latest deadline has passed on every replica (take the
//! `max` over replicas), no live session depends on it.

#[cfg(feature = "metrics")]
mod enabled {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use crate::error::Error;
    use crate::keys::{hex, KEY_ID_LEN};

    /// The latest deadline seen per key id, to keep the gauge a maximum.
    static LATEST: Mutex<Option<HashMap<[u8; KEY_ID_LEN], u64>>> = Mutex::new(None);

    pub(crate) fn opened(key_id: [u8; KEY_ID_LEN], now: u64, deadline: u64) {
        let id = hex(&key_id);
        metrics::counter!("sealed_session_opened_total", "key_id" => id.clone()).increment(1);
        metrics::gauge!("sealed_session_key_last_seen_seconds", "key_id" => id.clone())
            .set(now as f64);
        let latest = match LATEST.lock() {
            Ok(mut map) => {
                let entry = map.get_or_insert_with(HashMap::new).entry(key_id).or_insert(0);
                *entry = (*entry).max(deadline);
                *entry
            }
            Err(_) => deadline,
        };
        metrics::gauge!("sealed_session_key_latest_deadline_seconds", "key_id" => id)
            .set(latest as f64);
    }

    pub(crate) fn rejected(reason: &Error) {
        let reason = match reason {
            Error::Invalid => "tampered",
            Error::UnknownKey => "unknown_key",
            Error::Expired => "expired",
            Error::Idle => "idle",
            Error::FromTheFuture => "from_the_future",
            Error::Rejected => "validation_hook",
            Error::Payload(_) | Error::PayloadType { .. } => "payload",
            Error::Ambiguous => "ambiguous",
            Error::TooLarge { .. } => "oversize",
            _ => "other",
        };
        metrics::counter!("sealed_session_rejected_total", "reason" => reason).increment(1);
    }

    pub(crate) fn sealed() {
        metrics::counter!("sealed_session_sealed_total").increment(1);
    }

    pub(crate) fn removed() {
        metrics::counter!("sealed_session_removed_total").increment(1);
    }

    pub(crate) fn oversize() {
        metrics::counter!("sealed_session_oversize_total").increment(1);
    }
}

#[cfg(not(feature = "metrics"))]
mod enabled {
    use crate::error::Error;
    use crate::keys::KEY_ID_LEN;

    pub(crate) fn opened(_: [u8; KEY_ID_LEN], _: u64, _: u64) {}
    pub(crate) fn rejected(_: &Error) {}
    pub(crate) fn sealed() {}
    pub(crate) fn removed() {}
    pub(crate) fn oversize() {}
}

pub(crate) use enabled::{opened, oversize, rejected, removed, sealed};
