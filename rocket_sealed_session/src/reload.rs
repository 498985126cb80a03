//! Rotation without restarts: [`reload_keys`] re-reads the secret files
//! (`secret_file`, `old_secrets_file`) of a running app and swaps its key
//! ring atomically. Requests in flight finish with the ring they started
//! with; a missing or bad file keeps the ring in force. The app decides
//! when to call it, typically on `SIGHUP`:
//!
//! ```no_run
//! use rocket::fairing::AdHoc;
//! use rocket_sealed_session::{KeyReloader, Sessions};
//!
//! let rocket = rocket::build()
//!     .attach(Sessions::fairing())
//!     .attach(AdHoc::on_liftoff("reload keys on SIGHUP", |rocket| {
//!         let reloader = KeyReloader::of(rocket);
//!         Box::pin(async move {
//!             use rocket::tokio::signal::unix::{signal, SignalKind};
//!             let (Some(reloader), Ok(mut hangups)) = (reloader, signal(SignalKind::hangup()))
//!             else {
//!                 return;
//!             };
//!             rocket::tokio::spawn(async move {
//!                 while hangups.recv().await.is_some() {
//!                     let _ = reloader.reload(); // logs what happened
//!                 }
//!             });
//!         })
//!     }));
//! ```

use std::sync::Arc;

use rocket::{Orbit, Rocket};

use super::error::Error;
use super::keys::hex;
use super::state::{KeyCell, SessionState};

/// The key ring a reload installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The hex id of the key that now seals.
    pub sealing_key_id: String,
    /// The hex ids of the keys that now only open.
    pub old_key_ids: Vec<String>,
}

/// A handle that reloads the key ring of a running app; cheap to clone and
/// `'static`, so a signal task can keep it.
#[derive(Clone)]
pub struct KeyReloader(Arc<KeyCell>);

impl KeyReloader {
    /// The reloader of `rocket`'s sessions; `None` without the fairing.
    pub fn of(rocket: &Rocket<Orbit>) -> Option<KeyReloader> {
        rocket.state::<SessionState>().map(|sessions| KeyReloader(sessions.keys.clone()))
    }

    /// Re-reads the secret files and swaps the key ring for new requests.
    /// Logs the outcome: the new key ids at warn, or, at error, why the
    /// ring in force was kept.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no secret file is configured, or a file is
    /// missing or bad; the ring in force then stays.
    pub fn reload(&self) -> Result<Reloaded, Error> {
        match self.0.reload() {
            Ok(sealer) => {
                let ring = sealer.ring();
                let reloaded = Reloaded {
                    sealing_key_id: hex(&ring.current().id()),
                    old_key_ids: ring.all().skip(1).map(|key| hex(&key.id())).collect(),
                };
                // At warn, so that an operator sees it at every production log level.
                log::warn!(
                    "session key ring reloaded: sealing key id {}, old key ids [{}]",
                    reloaded.sealing_key_id,
                    reloaded.old_key_ids.join(", ")
                );
                Ok(reloaded)
            }
            Err(err) => {
                log::error!("session key ring not reloaded, the ring in force stays: {err}");
                Err(err)
            }
        }
    }
}

/// Re-reads the secret files of `rocket`'s sessions and swaps the key ring
/// for new requests: [`KeyReloader::reload`] on [`KeyReloader::of`].
///
/// # Errors
///
/// [`Error::Config`] when the fairing is not attached, no secret file is
/// configured, or a file is missing or bad; the ring in force then stays.
pub fn reload_keys(rocket: &Rocket<Orbit>) -> Result<Reloaded, Error> {
    match KeyReloader::of(rocket) {
        Some(reloader) => reloader.reload(),
        None => Err(Error::Config("the Sessions fairing is not attached".into())),
    }
}
