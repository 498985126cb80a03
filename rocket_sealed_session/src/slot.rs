//! The request-local slot that the [`Session`](super::Session) guard and
//! the fairing share (`req.local_cache`).
//!
//! The fairing is not generic over the payload type, so the slot holds the
//! payload type-erased behind [`ErasedPayload`]: typed for the guard (no
//! re-parsing between guard calls), serializable for the fairing.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, TryLockError};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::envelope::{write_envelope, ByteCounter, Meta};
use super::error::Error;
use super::keys::{KeyAge, KEY_ID_LEN};
use super::memo::{per_thread, ThreadList};
use super::seal::Sealer;

/// A session payload with its type erased.
pub(crate) trait ErasedPayload: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// The payload's Rust type, for error messages.
    fn type_name(&self) -> &'static str;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Writes the whole v1 envelope (meta + this payload) as JSON and
    /// returns where the payload's JSON lies in `out`.
    fn write_envelope(&self, meta: &Meta, out: &mut Vec<u8>) -> serde_json::Result<Range<usize>>;
    /// Bytes of the whole v1 envelope, measured without writing any of it.
    fn envelope_len(&self, meta: &Meta) -> serde_json::Result<usize>;
    /// The JSON of this type's `T::default()`: a payload that serializes
    /// to it holds nothing, and its cookie is removed rather than sealed.
    fn default_json(&self) -> &'static [u8];
    /// A `T::default()` of this payload's type.
    fn fresh_default(&self) -> Box<dyn ErasedPayload>;
    /// The payload as a JSON value, to convert to another type.
    fn to_value(&self) -> serde_json::Result<serde_json::Value>;
}

impl<T: Serialize + Default + Send + Sync + 'static> ErasedPayload for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn write_envelope(&self, meta: &Meta, out: &mut Vec<u8>) -> serde_json::Result<Range<usize>> {
        write_envelope(meta, self, out)
    }

    fn envelope_len(&self, meta: &Meta) -> serde_json::Result<usize> {
        let mut counter = ByteCounter::default();
        write_envelope(meta, self, &mut counter)?;
        Ok(counter.0)
    }

    fn default_json(&self) -> &'static [u8] {
        default_json_of::<T>()
    }

    fn fresh_default(&self) -> Box<dyn ErasedPayload> {
        Box::new(T::default())
    }

    fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(self)
    }
}

/// `serde_json` of `T::default()`, computed once per type and kept for the
/// life of the process (a few bytes per payload type); read through a
/// per-thread list ([`per_thread`]).
fn default_json_of<T: Serialize + Default + 'static>() -> &'static [u8] {
    thread_local! {
        static SEEN: ThreadList<TypeId, &'static [u8]> = const { RefCell::new(Vec::new()) };
    }
    per_thread(&SEEN, TypeId::of::<T>(), shared_default_json_of::<T>)
}

/// The process-wide map behind [`default_json_of`].
fn shared_default_json_of<T: Serialize + Default + 'static>() -> &'static [u8] {
    type Cache = RwLock<HashMap<TypeId, &'static [u8]>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let key = TypeId::of::<T>();
    if let Some(json) = cache.read().ok().and_then(|map| map.get(&key).copied()) {
        return json;
    }
    // A default that does not serialize never matches a payload: never "empty".
    let json = serde_json::to_vec(&T::default()).unwrap_or_else(|_| b"\0".to_vec());
    let json: &'static [u8] = Box::leak(json.into_boxed_slice());
    match cache.write() {
        Ok(mut map) => map.entry(key).or_insert(json),
        Err(_) => json,
    }
}

/// Where the session of this request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// No valid cookie: a new, empty session.
    Fresh,
    /// Opened from the request's cookie by this key.
    Opened { key_age: KeyAge, key_id: [u8; KEY_ID_LEN] },
}

/// One request's session.
pub(crate) struct SlotState {
    /// Id and deadlines. A fresh session's id is empty until first needed.
    pub meta: Meta,
    pub payload: Box<dyn ErasedPayload>,
    pub origin: Origin,
    /// The request carried a cookie of our name (valid or not).
    pub had_cookie: bool,
    /// Changed since opened: must be sealed (or removed when empty).
    pub dirty: bool,
    /// `destroy()` was called: the client's cookie must go.
    pub destroyed: bool,
    /// The key ring this request started with: it also seals the response,
    /// so a reload in flight changes nothing for this request.
    pub sealer: Arc<Sealer>,
    /// A keyed digest of the payload's JSON as it was opened, so that an
    /// `update` that leaves it byte for byte as it was seals nothing
    /// (express-session's `resave: false`).
    pub opened_digest: Option<u64>,
    /// Something other than the payload changed (a new id, a lifetime, a
    /// check time, `mark_dirty`): save even if the payload did not change.
    pub must_save: bool,
    /// The piece cookies (`name.N`) the request sent, as a bit set of `N`:
    /// the fairing removes those its response no longer uses.
    pub pieces_sent: u32,
}

/// A digest of payload JSON, keyed per process (collisions cannot be
/// aimed, and one would only skip saving an unchanged-looking payload).
pub(crate) fn payload_digest(json: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let mut hasher = KEYS.get_or_init(Default::default).build_hasher();
    hasher.write(json);
    hasher.finish()
}

impl SlotState {
    /// The session id, assigning a random one to a fresh session.
    pub fn id(&mut self) -> &str {
        if self.meta.id.is_empty() {
            self.meta.id = super::envelope::new_session_id();
        }
        &self.meta.id
    }

    /// Makes the payload a `T`, converting it through JSON if another
    /// payload type put it here.
    ///
    /// # Errors
    ///
    /// [`Error::PayloadType`] when it does not convert; the payload is then
    /// left as it was (the session is not lost).
    pub fn ensure_type<T>(&mut self) -> Result<(), Error>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        if self.payload.as_any().is::<T>() {
            return Ok(());
        }
        let held = self.payload.type_name();
        let converted = convert::<T>(self.payload.as_ref()).map_err(|err| Error::PayloadType {
            held,
            requested: std::any::type_name::<T>(),
            why: err.to_string(),
        })?;
        self.payload = Box::new(converted);
        Ok(())
    }

    /// The payload as `T`, converting it first if another type put it here
    /// (the guard checked that it converts).
    ///
    /// # Panics
    ///
    /// When two `Session` guards of one request hold payload types that
    /// convert one way but not back: a programming error. The panic makes
    /// the request a 500, so the client keeps its cookie and its session.
    pub fn typed_mut<T>(&mut self) -> &mut T
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        if let Err(err) = self.ensure_type::<T>() {
            panic!("{err}");
        }
        match self.payload.as_any_mut().downcast_mut::<T>() {
            Some(typed) => typed,
            None => unreachable!("the payload was just made a T"),
        }
    }
}

/// A payload put here as another type, re-read as `T` through JSON.
pub(crate) fn convert<T: DeserializeOwned>(payload: &dyn ErasedPayload) -> Result<T, Error> {
    payload.to_value().and_then(serde_json::from_value::<T>).map_err(|err| Error::json(&err))
}

/// The slot in request-local state: empty until a guard opens the session.
#[derive(Default)]
pub(crate) struct Slot(Mutex<Option<SlotState>>);

impl Slot {
    /// Locks the slot.
    ///
    /// # Panics
    ///
    /// When a session method is called inside an `update`/`read` closure of
    /// the same request (the lock is held; waiting would deadlock).
    pub fn lock(&self) -> MutexGuard<'_, Option<SlotState>> {
        match self.0.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => panic!(
                "a Session method was called inside a Session::update or Session::read closure; \
                 finish the closure first"
            ),
        }
    }
}
