//! The clock that every deadline reads.
//!
//! Production code uses [`SystemClock`]; tests move a [`ManualClock`] instead
//! of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole Unix seconds.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// # Example
///
/// ```
/// use rocket_sealed_session::Clock;
/// use rocket_sealed_session::testing::ManualClock;
///
/// let clock = ManualClock::new(1_000);
/// let seen_by_app = clock.clone();
/// clock.advance(60);
/// assert_eq!(seen_by_app.now(), 1_060);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
pub struct ManualClock(Arc<AtomicU64>);

#[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
impl ManualClock {
    /// A clock that reads `unix_seconds` until moved.
    pub fn new(unix_seconds: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(unix_seconds)))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the clock to `unix_seconds`.
    pub fn set(&self, unix_seconds: u64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}
