#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chunks;
mod clock;
mod config;
mod cookie;
mod csrf;
mod envelope;
mod error;
mod fairing;
mod guard;
mod keys;
mod memo;
mod options;
mod reload;
mod revalidate;
mod seal;
mod secret;
mod secret_files;
mod slot;
mod state;
pub mod telemetry;

#[cfg(feature = "testing")]
pub mod testing;

pub use clock::{Clock, SystemClock};
pub use config::{SessionConfig, KEYS as CONFIG_KEYS};
pub use cookie::COOKIE_BUDGET;
pub use csrf::{CsrfError, CsrfForm, CsrfSlot, CsrfStore, CsrfToken, NoFields, CSRF_FIELD};
pub use envelope::Meta;
pub use error::Error;
pub use fairing::Sessions;
pub use guard::{SealedSize, Session, SessionData};
pub use reload::{reload_keys, KeyReloader, Reloaded};
pub use revalidate::{Revalidate, WhenCheckFails};
pub use secret::Secret;

/// The sealing layer under the session: secrets become keys
/// ([`KeyRing`](sealing::KeyRing)), bytes become cookie values and back
/// ([`Sealer`](sealing::Sealer), wire format v1). Apps never need it to use
/// sessions; it is public for tools that mint or inspect cookies outside a
/// request (benchmarks, fuzzing, migrations).
///
/// ```
/// use rocket_sealed_session::Secret;
/// use rocket_sealed_session::sealing::{KeyRing, Sealer};
///
/// let sealer = Sealer::new(KeyRing::new(&Secret::generate(), &[])?, "sid");
/// let value = sealer.seal(b"{}");
/// assert_eq!(sealer.open(&value)?.plaintext(), b"{}");
/// # Ok::<(), rocket_sealed_session::Error>(())
/// ```
pub mod sealing {
    pub use crate::keys::{KeyAge, KeyRing, SessionKey};
    pub use crate::seal::{Opened, Sealer};
}
