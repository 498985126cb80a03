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
//!
//! A key id's metrics are registered with the recorder the first time a
//! cookie under it opens, and the handles are kept: install the recorder
//! before the app serves its first request (before launch), as recorders
//! are meant to be.

#[cfg(feature = "metrics")]
mod enabled {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{Counter, Gauge};

    use crate::error::Error;
    use crate::keys::{hex, KEY_ID_LEN};
    use crate::memo::{per_thread, ThreadList};

    /// The handles of one key id's metrics, registered with the recorder
    /// once: every later cookie under the key only updates them.
    struct KeyMetrics {
        opened: Counter,
        last_seen: Gauge,
        latest_deadline: Gauge,
        /// The latest deadline seen, to keep the gauge a maximum.
        latest: AtomicU64,
    }

    /// Every key id's handles, shared by all threads (so the maximum is one).
    static ALL: Mutex<Vec<([u8; KEY_ID_LEN], Arc<KeyMetrics>)>> = Mutex::new(Vec::new());

    thread_local! {
        /// This thread's copy of the handles it has used: no lock per request.
        static MINE: ThreadList<[u8; KEY_ID_LEN], Arc<KeyMetrics>> =
            const { RefCell::new(Vec::new()) };
    }

    /// The handles of `key_id`, registered on first use.
    fn of_key(key_id: [u8; KEY_ID_LEN]) -> Arc<KeyMetrics> {
        per_thread(&MINE, key_id, || {
            let mut all = ALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((_, known)) = all.iter().find(|(id, _)| *id == key_id) {
                return known.clone();
            }
            let id = hex(&key_id);
            let registered = Arc::new(KeyMetrics {
                opened: metrics::counter!("sealed_session_opened_total", "key_id" => id.clone()),
                last_seen: metrics::gauge!(
                    "sealed_session_key_last_seen_seconds", "key_id" => id.clone()
                ),
                latest_deadline: metrics::gauge!(
                    "sealed_session_key_latest_deadline_seconds", "key_id" => id
                ),
                latest: AtomicU64::new(0),
            });
            all.push((key_id, registered.clone()));
            registered
        })
    }

    pub(crate) fn opened(key_id: [u8; KEY_ID_LEN], now: u64, deadline: u64) {
        let key = of_key(key_id);
        key.opened.increment(1);
        key.last_seen.set(now as f64);
        let latest = key.latest.fetch_max(deadline, Ordering::Relaxed).max(deadline);
        key.latest_deadline.set(latest as f64);
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
