//! Bytes to cookie value and back: wire format v1, and its chunked form.
//!
//! ```text
//! cookie value = base64url_nopad( 0x01 | key_id[4] | nonce[24] | ciphertext | tag[16] )
//! AAD          = 0x01 | key_id[4] | cookie name
//! ```
//!
//! A session too big for one cookie (when `max_chunks` allows) is sealed
//! once, with version byte `0x02` and the number of chunks `n` in the AAD,
//! and its base64 is cut into `n` consecutive pieces:
//!
//! ```text
//! sealed = base64url_nopad( 0x02 | key_id[4] | nonce[24] | ciphertext | tag[16] )
//! AAD    = 0x02 | key_id[4] | n | cookie name
//! ```
//!
//! It opens only whole: a missing, extra, reordered or foreign piece changes
//! the concatenation or `n`, and the tag check fails.
//!
//! The AEAD is XAES-256-GCM (C2SP), whose 192-bit nonces are drawn from the
//! OS RNG for every seal: no nonce-reuse budget to track. The cookie name is
//! authenticated, so a value cut from another cookie does not open; so is the
//! key id, so a value re-labelled with another key id does not open either.
//! An unknown key id is rejected before any AEAD work.

use xaes_256_gcm::aead::AeadInOut;
use xaes_256_gcm::{Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use super::envelope::fill_random;
use super::error::Error;
use super::keys::{KeyAge, KeyRing, SessionKey, KEY_ID_LEN};

/// The format version byte, first in every single-cookie value.
pub const VERSION: u8 = 0x01;
/// The version byte of a session sealed across several cookies.
pub const VERSION_CHUNKED: u8 = 0x02;
/// The most cookies one session may be cut into.
pub const MAX_CHUNKS: usize = 16;
/// Bytes of XAES-256-GCM nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of GCM tag.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version, key id, nonce.
pub const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
/// Bytes a sealed value adds to its plaintext, before base64.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Cookie values longer than this are refused before decoding: no browser
/// stores them, so they can only be hostile.
pub const MAX_VALUE_LEN: usize = 8192;
/// Initial capacity of the seal buffer: room for a typical envelope, so
/// that a small session's plaintext is never copied by a reallocation.
const SEAL_BUFFER_CAPACITY: usize = 1024;

const _: () = assert!(HEADER_LEN == 29, "v1 header is 29 bytes");
const _: () = assert!(OVERHEAD == 45, "v1 overhead is 45 bytes");
const _: () = assert!(NONCE_LEN == 24 && TAG_LEN == 16, "XAES-256-GCM sizes");

/// Seals and opens session plaintext for one cookie name with one key ring.
///
/// # Example
///
/// ```
/// use rocket_sealed_session::Secret;
/// use rocket_sealed_session::sealing::{KeyRing, Sealer};
///
/// let sealer = Sealer::new(KeyRing::new(&Secret::generate(), &[])?, "sid");
/// let value = sealer.seal(br#"{"hello":"world"}"#);
/// assert_eq!(value.len(), Sealer::sealed_len(17));
/// assert_eq!(sealer.open(&value)?.plaintext(), br#"{"hello":"world"}"#);
///
/// let elsewhere = Sealer::new(KeyRing::new(&Secret::generate(), &[])?, "sid");
/// assert!(elsewhere.open(&value).is_err());
/// # Ok::<(), rocket_sealed_session::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sealer {
    ring: KeyRing,
    cookie_name: String,
    /// The AAD of each key of the ring, current first (computed once).
    aads: Vec<Vec<u8>>,
}

/// A cookie that opened: its plaintext (wiped on drop) and which key opened it.
#[derive(Debug)]
pub struct Opened {
    buf: Zeroizing<Vec<u8>>,
    key_age: KeyAge,
    key_id: [u8; KEY_ID_LEN],
}

impl Opened {
    /// The decrypted envelope bytes.
    pub fn plaintext(&self) -> &[u8] {
        &self.buf[HEADER_LEN..self.buf.len() - TAG_LEN]
    }

    /// Whether the current key or an old key opened it.
    pub fn key_age(&self) -> KeyAge {
        self.key_age
    }

    /// The id of the key that opened it.
    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        self.key_id
    }
}

impl Sealer {
    /// A sealer for cookies named `cookie_name`.
    pub fn new(ring: KeyRing, cookie_name: &str) -> Sealer {
        let aads = ring.all().map(|key| aad(key, cookie_name)).collect();
        Sealer { ring, aads, cookie_name: cookie_name.to_owned() }
    }

    /// The key ring.
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Length in characters of the cookie value that sealing
    /// `plaintext_len` bytes produces (known before sealing).
    pub const fn sealed_len(plaintext_len: usize) -> usize {
        let raw = plaintext_len + OVERHEAD;
        raw / 3 * 4 + [0, 2, 3][raw % 3]
    }

    /// Seals `plaintext` with the current key and a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        self.seal_with(|buf| {
            buf.extend_from_slice(plaintext);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {})
    }

    /// Seals whatever `write` appends to the buffer, without an
    /// intermediate copy of the plaintext.
    ///
    /// # Errors
    ///
    /// Whatever `write` returns.
    pub fn seal_with<E>(
        &self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<String, E> {
        let mut value = String::new();
        self.seal_into(&mut value, write)?;
        Ok(value)
    }

    /// Like [`Sealer::seal_with`], but appends the cookie value to `out`
    /// (e.g. right after `name=` in a `Set-Cookie` being built), so the
    /// base64 is written once, where it ends up.
    ///
    /// # Errors
    ///
    /// Whatever `write` returns; `out` is then unchanged.
    pub fn seal_into<E>(
        &self,
        out: &mut String,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        self.seal_into_with_nonce(&nonce, out, write)
    }

    /// [`Sealer::seal_with`] with a given nonce; only for fixed test vectors.
    #[cfg(test)]
    pub(crate) fn seal_with_nonce<E>(
        &self,
        nonce: &[u8; NONCE_LEN],
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<String, E> {
        let mut value = String::new();
        self.seal_into_with_nonce(nonce, &mut value, write)?;
        Ok(value)
    }

    fn seal_into_with_nonce<E>(
        &self,
        nonce: &[u8; NONCE_LEN],
        out: &mut String,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.seal_format(nonce, out, write, |_| Ok((VERSION, None)))
    }

    /// Seals what `write` appends as one value to cut into pieces: `pieces`
    /// gets the length in characters of the sealed value and says into how
    /// many cookies it goes (at least 2, at most [`MAX_CHUNKS`]), or stops.
    /// Returns the whole value and the number of pieces.
    ///
    /// # Errors
    ///
    /// Whatever `write` or `pieces` returns.
    pub fn seal_chunked<E>(
        &self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
        pieces: impl FnOnce(usize) -> Result<u8, E>,
    ) -> Result<(String, u8), E> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut value = String::new();
        let mut count = 0;
        self.seal_format(&nonce, &mut value, write, |value_len| {
            count = pieces(value_len)?;
            Ok((VERSION_CHUNKED, Some(count)))
        })?;
        Ok((value, count))
    }

    /// The one seal: header, plaintext, then the version and chunk count
    /// `format` picks from the sealed length, encryption in place, base64.
    fn seal_format<E>(
        &self,
        nonce: &[u8; NONCE_LEN],
        out: &mut String,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
        format: impl FnOnce(usize) -> Result<(u8, Option<u8>), E>,
    ) -> Result<(), E> {
        let key = self.ring.current();
        let mut buf = Vec::with_capacity(SEAL_BUFFER_CAPACITY);
        buf.extend_from_slice(&[VERSION]);
        buf.extend_from_slice(&key.id());
        buf.extend_from_slice(nonce);
        let chosen =
            write(&mut buf).and_then(|()| format(Self::sealed_len(buf.len() - HEADER_LEN)));
        let (version, chunks) = match chosen {
            Ok(chosen) => chosen,
            Err(err) => {
                buf.zeroize(); // it holds plaintext that will never be sealed
                return Err(err);
            }
        };
        buf[0] = version;
        let chunked_aad;
        let aad = match chunks {
            None => &self.aads[0],
            Some(count) => {
                chunked_aad = aad_chunked(key, count, &self.cookie_name);
                &chunked_aad
            }
        };
        // From here on the buffer holds only ciphertext: nothing to wipe.
        let tag = key
            .cipher()
            .encrypt_inout_detached(&Nonce::from(*nonce), aad, (&mut buf[HEADER_LEN..]).into())
            .unwrap_or_else(|_| panic!("a session cookie is far below the XAES-256-GCM limit"));
        buf.extend_from_slice(&tag);
        base64_simd::URL_SAFE_NO_PAD.encode_append(buf.as_slice(), out);
        Ok(())
    }

    /// Opens a session sealed across `pieces.len()` cookies, given their
    /// values in order (the first is the plain cookie name's).
    ///
    /// # Errors
    ///
    /// As [`Sealer::open`]; any missing, extra, reordered or foreign piece
    /// gives [`Error::Invalid`].
    pub fn open_chunked(&self, pieces: &[&str]) -> Result<Opened, Error> {
        let count = u8::try_from(pieces.len()).map_err(|_| Error::Invalid)?;
        if !(2..=MAX_CHUNKS).contains(&pieces.len()) {
            return Err(Error::Invalid);
        }
        let whole: String = pieces.concat();
        if whole.len() > MAX_VALUE_LEN * MAX_CHUNKS {
            return Err(Error::Invalid);
        }
        self.open_format(&whole, VERSION_CHUNKED, Some(count))
    }

    /// Opens a cookie value.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`] for a key id not in the ring (no AEAD work is
    /// done); [`Error::Invalid`] for anything else that is not a genuine
    /// cookie of this name sealed by one of our keys.
    pub fn open(&self, value: &str) -> Result<Opened, Error> {
        self.precheck(value)?;
        self.open_prechecked(value)
    }

    /// [`Sealer::open`] for a value whose [`Sealer::precheck`] gave [`VERSION`].
    pub(crate) fn open_prechecked(&self, value: &str) -> Result<Opened, Error> {
        self.open_format(value, VERSION, None)
    }

    fn open_format(&self, value: &str, version: u8, chunks: Option<u8>) -> Result<Opened, Error> {
        if value.len() < Self::sealed_len(0) {
            return Err(Error::Invalid);
        }
        let buf = Zeroizing::new(
            base64_simd::URL_SAFE_NO_PAD.decode_to_vec(value).map_err(|_| Error::Invalid)?,
        );
        if buf[0] != version {
            return Err(Error::Invalid);
        }
        let key_id: [u8; KEY_ID_LEN] =
            buf[1..1 + KEY_ID_LEN].try_into().map_err(|_| Error::Invalid)?;
        let (index, key, key_age) = self.lookup(key_id).ok_or(Error::UnknownKey)?;
        let chunked_aad;
        let aad = match chunks {
            None => &self.aads[index],
            Some(count) => {
                chunked_aad = aad_chunked(key, count, &self.cookie_name);
                &chunked_aad
            }
        };
        let mut buf = buf;
        let (header, rest) = buf.split_at_mut(HEADER_LEN);
        let (ciphertext, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        let nonce = Nonce::try_from(&header[1 + KEY_ID_LEN..]).map_err(|_| Error::Invalid)?;
        let tag = Tag::try_from(&*tag).map_err(|_| Error::Invalid)?;
        key.cipher()
            .decrypt_inout_detached(&nonce, aad, ciphertext.into(), &tag)
            .map_err(|_| Error::Invalid)?;
        Ok(Opened { buf, key_age, key_id })
    }

    /// The checks [`Sealer::open`] makes before any decryption: the length,
    /// the version byte and a key id of this ring, read from the first eight
    /// characters only. Returns the version: [`VERSION`] for a single value,
    /// [`VERSION_CHUNKED`] for the first piece of a chunked one. A value that
    /// passes costs one AEAD attempt to open.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`] for a key id not in the ring; [`Error::Invalid`]
    /// for a value of the wrong size or version.
    pub fn precheck(&self, value: &str) -> Result<u8, Error> {
        if value.len() > MAX_VALUE_LEN || value.len() < 8 {
            return Err(Error::Invalid);
        }
        // 8 base64 characters are 6 bytes: version, key id, one nonce byte.
        let mut head = [0u8; 6];
        let decoded = value.get(..8).and_then(|chars| {
            let out = base64_simd::Out::from_slice(&mut head);
            base64_simd::URL_SAFE_NO_PAD.decode(chars.as_bytes(), out).ok().map(|bytes| bytes.len())
        });
        if decoded != Some(head.len()) {
            return Err(Error::Invalid);
        }
        let version = head[0];
        if version != VERSION && version != VERSION_CHUNKED {
            return Err(Error::Invalid);
        }
        // A single value must be a whole sealed value; the first piece of a
        // chunked one may be shorter than that.
        if version == VERSION && value.len() < Self::sealed_len(0) {
            return Err(Error::Invalid);
        }
        let key_id: [u8; KEY_ID_LEN] =
            head[1..1 + KEY_ID_LEN].try_into().map_err(|_| Error::Invalid)?;
        self.ring.find(key_id).map(|_| version).ok_or(Error::UnknownKey)
    }

    fn lookup(&self, id: [u8; KEY_ID_LEN]) -> Option<(usize, &SessionKey, KeyAge)> {
        let (key, age) = self.ring.find(id)?;
        let index = self.ring.all().position(|k| k.id() == id)?;
        Some((index, key, age))
    }
}

/// The AAD of a chunked seal: version 2, key id, number of pieces, name.
fn aad_chunked(key: &SessionKey, count: u8, cookie_name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(2 + KEY_ID_LEN + cookie_name.len());
    aad.push(VERSION_CHUNKED);
    aad.extend_from_slice(&key.id());
    aad.push(count);
    aad.extend_from_slice(cookie_name.as_bytes());
    aad
}

fn aad(key: &SessionKey, cookie_name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + KEY_ID_LEN + cookie_name.len());
    aad.push(VERSION);
    aad.extend_from_slice(&key.id());
    aad.extend_from_slice(cookie_name.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use xaes_256_gcm::aead::Key;
    use xaes_256_gcm::aead::{Aead, KeyInit};
    use xaes_256_gcm::Xaes256Gcm;

    fn sealer(secret: &Secret, name: &str) -> Sealer {
        Sealer::new(KeyRing::new(secret, &[]).unwrap(), name)
    }

    fn flip(value: &str, byte: usize) -> String {
        let mut raw = URL_SAFE_NO_PAD.decode(value).unwrap();
        raw[byte] ^= 0x01;
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The cipher (key schedule, subkey K1) is wiped on drop: the
    /// `zeroize` feature of xaes-256-gcm is on. Fails to compile otherwise.
    #[test]
    fn the_cipher_is_zeroized_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<Xaes256Gcm>();
    }

    /// C2SP XAES-256-GCM test vector.
    #[test]
    fn c2sp_xaes_256_gcm_vector() {
        let cipher = Xaes256Gcm::new(&Key::<Xaes256Gcm>::from([0x01; 32]));
        let nonce = Nonce::try_from(&b"ABCDEFGHIJKLMNOPQRSTUVWX"[..]).unwrap();
        let sealed = cipher.encrypt(&nonce, &b"XAES-256-GCM"[..]).unwrap();
        assert_eq!(
            crate::keys::hex(&sealed),
            "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"
        );
    }

    /// Wire format v1 pinned: secret bytes 0x00..0x1f, nonce 0x00..0x17,
    /// this envelope, cookie name `sid`. If this fails, existing cookies
    /// in the wild would stop opening.
    #[test]
    fn wire_format_v1_fixed_vector() {
        const ENVELOPE: &[u8] = br#"{"id":"AAAAAAAAAAAAAAAAAAAAAA","iat":1700000000,"exp":1700086400,"seen":1700000000,"data":{"views":1}}"#;
        const EXPECTED: &str = include_str!("../tests/vectors/v1_cookie.txt");
        let secret: Vec<u8> = (0u8..32).collect();
        let nonce: [u8; NONCE_LEN] = core::array::from_fn(|i| i as u8);
        let sealer = sealer(&Secret::from_bytes_unchecked(&secret), "sid");
        let value = sealer
            .seal_with_nonce(&nonce, |buf| {
                buf.extend_from_slice(ENVELOPE);
                Ok::<_, ()>(())
            })
            .unwrap();
        assert_eq!(value, EXPECTED.trim());
        assert_eq!(sealer.open(EXPECTED.trim()).unwrap().plaintext(), ENVELOPE);
    }

    #[test]
    fn round_trip() {
        let sealer = sealer(&Secret::generate(), "sid");
        for len in [0usize, 1, 2, 3, 100, 3000] {
            let plaintext = vec![b'x'; len];
            let value = sealer.seal(&plaintext);
            assert_eq!(value.len(), Sealer::sealed_len(len));
            assert_eq!(sealer.open(&value).unwrap().plaintext(), &plaintext[..]);
        }
    }

    #[test]
    fn two_seals_of_the_same_bytes_differ() {
        let sealer = sealer(&Secret::generate(), "sid");
        assert_ne!(sealer.seal(b"same"), sealer.seal(b"same"));
    }

    #[test]
    fn a_flipped_byte_at_every_position_is_rejected() {
        let sealer = sealer(&Secret::generate(), "sid");
        let value = sealer.seal(br#"{"views":3}"#);
        let len = URL_SAFE_NO_PAD.decode(&value).unwrap().len();
        for byte in 0..len {
            let err = sealer.open(&flip(&value, byte)).unwrap_err();
            assert!(matches!(err, Error::Invalid | Error::UnknownKey), "byte {byte}: {err:?}");
        }
    }

    #[test]
    fn truncation_is_rejected() {
        let sealer = sealer(&Secret::generate(), "sid");
        let value = sealer.seal(br#"{"views":3}"#);
        for cut in 0..value.len() {
            assert!(sealer.open(&value[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_wrong_key_is_rejected() {
        let value = sealer(&Secret::generate(), "sid").seal(b"{}");
        assert!(sealer(&Secret::generate(), "sid").open(&value).is_err());
    }

    #[test]
    fn an_unknown_key_id_is_rejected_as_unknown() {
        let value = sealer(&Secret::generate(), "sid").seal(b"{}");
        assert_eq!(sealer(&Secret::generate(), "sid").open(&value).unwrap_err(), Error::UnknownKey);
    }

    #[test]
    fn a_value_moved_to_another_cookie_name_is_rejected() {
        let secret = Secret::generate();
        let value = sealer(&secret, "sid").seal(b"{}");
        assert_eq!(sealer(&secret, "other").open(&value).unwrap_err(), Error::Invalid);
    }

    #[test]
    fn relabelling_with_another_known_key_id_is_rejected() {
        let (a, b) = (Secret::generate(), Secret::generate());
        let ring = KeyRing::new(&a, std::slice::from_ref(&b)).unwrap();
        let both = Sealer::new(ring, "sid");
        let value = both.seal(b"{}");
        let mut raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
        raw[1..5].copy_from_slice(&crate::keys::SessionKey::derive(&b).id());
        assert_eq!(both.open(&URL_SAFE_NO_PAD.encode(raw)).unwrap_err(), Error::Invalid);
    }

    #[test]
    fn old_keys_open_and_say_so() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let value = sealer(&old, "sid").seal(b"{}");
        let rotated = Sealer::new(KeyRing::new(&new, std::slice::from_ref(&old)).unwrap(), "sid");
        assert_eq!(rotated.open(&value).unwrap().key_age(), KeyAge::Old);
        assert_eq!(rotated.open(&rotated.seal(b"{}")).unwrap().key_age(), KeyAge::Current);
    }

    fn split(value: &str, pieces: usize) -> Vec<&str> {
        let size = value.len().div_ceil(pieces);
        (0..pieces)
            .map(|i| &value[(i * size).min(value.len())..((i + 1) * size).min(value.len())])
            .collect()
    }

    fn sealed_in(sealer: &Sealer, plaintext: &[u8], pieces: u8) -> String {
        let write = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(plaintext);
            Ok::<(), ()>(())
        };
        let (value, count) = sealer.seal_chunked(write, |_| Ok(pieces)).unwrap();
        assert_eq!(count, pieces);
        value
    }

    #[test]
    fn a_chunked_seal_opens_only_whole_in_order_with_its_count() {
        let secret = Secret::generate();
        let sealer = sealer(&secret, "sid");
        let plaintext = vec![b'x'; 5000];
        let value = sealed_in(&sealer, &plaintext, 3);
        let pieces = split(&value, 3);
        assert_eq!(sealer.open_chunked(&pieces).unwrap().plaintext(), &plaintext[..]);
        // Missing, extra, reordered pieces; the whole value as one cookie.
        assert!(sealer.open_chunked(&pieces[..2]).is_err(), "missing");
        let extra = [pieces[0], pieces[1], pieces[2], "AAAA"];
        assert!(sealer.open_chunked(&extra).is_err(), "extra");
        assert!(sealer.open_chunked(&[pieces[0], pieces[2], pieces[1]]).is_err(), "reordered");
        assert!(sealer.open(&value).is_err(), "a chunked seal is not a v1 cookie");
        // Cut differently: same concatenation, other count.
        let two = split(&value, 2);
        assert_eq!(sealer.open_chunked(&two).unwrap_err(), Error::Invalid, "count in the AAD");
        // A piece of another chunked session of the same key.
        let other = sealed_in(&sealer, &plaintext, 3);
        let foreign = [pieces[0], split(&other, 3)[1], pieces[2]];
        assert!(sealer.open_chunked(&foreign).is_err(), "foreign");
        // Another cookie name.
        assert!(self::sealer(&secret, "other").open_chunked(&pieces).is_err(), "name");
        assert_eq!(sealer.precheck(pieces[0]), Ok(VERSION_CHUNKED));
    }

    #[test]
    fn garbage_and_oversized_values_are_rejected() {
        let sealer = sealer(&Secret::generate(), "sid");
        for value in ["", "!!!!", "AQ", &"A".repeat(MAX_VALUE_LEN + 1), "sid=abc; x"] {
            assert!(sealer.open(value).is_err(), "{value:.20}");
        }
    }
}
