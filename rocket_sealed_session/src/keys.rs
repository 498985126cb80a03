//! Secrets become keys: HKDF-SHA256 derives the XAES-256-GCM key and the
//! 4-byte key id of each secret once, at ignite. The [`KeyRing`] holds the
//! current (sealing) key and any old (open-only) keys for rotation.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use xaes_256_gcm::aead::Key;
use xaes_256_gcm::aead::KeyInit;
use xaes_256_gcm::Xaes256Gcm;
use zeroize::Zeroizing;

use super::error::Error;
use super::secret::Secret;

/// Bytes in a key id.
pub const KEY_ID_LEN: usize = 4;

/// HKDF `info` label of the sealing key.
const SEAL_KEY_LABEL: &[u8] = b"sealed-session v1 xaes-256-gcm key";
/// HKDF `info` label of the key id.
const KEY_ID_LABEL: &[u8] = b"sealed-session v1 key id";

/// One derived key: its public id and the ready cipher (key schedule
/// computed once). Key material is zeroized on drop by the cipher itself.
#[derive(Clone)]
pub struct SessionKey {
    id: [u8; KEY_ID_LEN],
    cipher: Xaes256Gcm,
}

impl SessionKey {
    /// Derives the key and its id from a secret.
    pub fn derive(secret: &Secret) -> SessionKey {
        let hkdf = Hkdf::<Sha256>::new(None, secret.expose());
        let mut key = Zeroizing::new([0u8; 32]);
        let mut id = [0u8; KEY_ID_LEN];
        // Both lengths are far below HKDF-SHA256's 8160-byte limit.
        hkdf.expand(SEAL_KEY_LABEL, key.as_mut()).expect("32 bytes is a valid HKDF length");
        hkdf.expand(KEY_ID_LABEL, &mut id).expect("4 bytes is a valid HKDF length");
        let cipher = Xaes256Gcm::new(&Key::<Xaes256Gcm>::from(*key));
        SessionKey { id, cipher }
    }

    /// The public 4-byte key id written in front of every cookie.
    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        self.id
    }

    /// The cipher, ready to seal or open.
    pub(crate) fn cipher(&self) -> &Xaes256Gcm {
        &self.cipher
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey {{ id: {} }}", hex(&self.id))
    }
}

/// The current key (seals and opens) and the old keys (open only).
///
/// # Example
///
/// ```
/// use rocket_sealed_session::Secret;
/// use rocket_sealed_session::sealing::KeyRing;
///
/// let ring = KeyRing::new(&Secret::generate(), &[Secret::generate()])?;
/// assert!(ring.find(ring.current().id()).is_some());
/// # Ok::<(), rocket_sealed_session::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    current: SessionKey,
    old: Vec<SessionKey>,
}

/// Which key of the ring opened a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAge {
    /// The current sealing key.
    Current,
    /// An old key: the session must be re-sealed with the current one.
    Old,
}

impl KeyRing {
    /// Derives all keys.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when two secrets are the same or their key ids collide.
    pub fn new(current: &Secret, old: &[Secret]) -> Result<KeyRing, Error> {
        let ring = KeyRing {
            current: SessionKey::derive(current),
            old: old.iter().map(SessionKey::derive).collect(),
        };
        let mut ids: Vec<_> = ring.all().map(|k| k.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::Config(
                "two session secrets give the same key (is `secret` also listed in \
                 `old_secrets`?); list each secret once"
                    .into(),
            ));
        }
        Ok(ring)
    }

    /// The key that seals.
    pub fn current(&self) -> &SessionKey {
        &self.current
    }

    /// Finds the key with this id, and whether it is the current one.
    pub fn find(&self, id: [u8; KEY_ID_LEN]) -> Option<(&SessionKey, KeyAge)> {
        if self.current.id == id {
            return Some((&self.current, KeyAge::Current));
        }
        self.old.iter().find(|k| k.id == id).map(|k| (k, KeyAge::Old))
    }

    /// All keys, current first.
    pub fn all(&self) -> impl Iterator<Item = &SessionKey> {
        std::iter::once(&self.current).chain(self.old.iter())
    }
}

/// Lower-case hex, for key ids in logs and on pages.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_ids_differ_per_secret() {
        let a = Secret::from_bytes_unchecked(&[1; 32]);
        let b = Secret::from_bytes_unchecked(&[2; 32]);
        assert_eq!(SessionKey::derive(&a).id(), SessionKey::derive(&a).id());
        assert_ne!(SessionKey::derive(&a).id(), SessionKey::derive(&b).id());
    }

    #[test]
    fn the_ring_tells_current_from_old() {
        let (a, b) = (Secret::generate(), Secret::generate());
        let ring = KeyRing::new(&a, std::slice::from_ref(&b)).expect("two different secrets");
        let (current_id, old_id) = (SessionKey::derive(&a).id(), SessionKey::derive(&b).id());
        let found = |id| ring.find(id).map(|(key, age)| (key.id(), age));
        assert_eq!(found(current_id), Some((current_id, KeyAge::Current)));
        assert_eq!(found(old_id), Some((old_id, KeyAge::Old)));
        // An id of neither key: the first of 0, 1, 2 (as big-endian u32)
        // that is neither; three candidates cannot all be taken by two keys.
        let unknown = (0u32..3)
            .map(u32::to_be_bytes)
            .find(|id| *id != current_id && *id != old_id)
            .expect("two keys take at most two of three ids");
        assert_eq!(found(unknown), None);
    }

    #[test]
    fn the_same_secret_twice_is_refused() {
        let a = Secret::generate();
        assert!(matches!(KeyRing::new(&a, std::slice::from_ref(&a)), Err(Error::Config(_))));
    }

    #[test]
    fn debug_of_a_key_shows_only_its_id() {
        let secret = Secret::from_bytes_unchecked(&[0x5A; 32]);
        let key = SessionKey::derive(&secret);
        let printed = format!("{key:?} {:?}", KeyRing::new(&secret, &[]).unwrap());
        assert!(printed.contains(&hex(&key.id())));
        assert!(!printed.contains("5a5a") && !printed.contains("90, 90"), "{printed}");
        assert!(!printed.contains(&secret.to_base64()));
    }
}
