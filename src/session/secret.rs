//! Configured secrets: parsing, the rules a secret must pass, and the
//! container that keeps one in memory (zeroized on drop, never printed).

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use zeroize::Zeroizing;

use super::error::Error;

/// The fewest random bytes a secret may hold.
pub const MIN_SECRET_BYTES: usize = 32;

/// How to make a good secret; every refusal ends with it.
pub const HOW_TO_MAKE_A_SECRET: &str =
    "make one with `openssl rand -base64 32` and set it as SESSION_SECRET";

/// The project's own documents: any secret printed in them is public.
const PUBLISHED_DOCUMENTS: &[&str] = &[
    include_str!("../../README.md"),
    include_str!("../../SECURITY.md"),
    include_str!("../../Rocket.toml"),
];

/// Values printed in examples, tests or the seed app. Each is refused in
/// every profile, however random it looks.
const KNOWN_EXAMPLES: &[&str] = &[
    // The seed snippet's fallback secret.
    "your_super_secret_key_here",
    // The fixed test vector of wire format v1 (see `seal.rs`).
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
];

/// A validated secret: at least 32 random-looking bytes.
///
/// Its `Debug` shows no key material and its bytes are wiped on drop.
///
/// # Example
///
/// ```
/// use sealed_session::session::Secret;
///
/// assert!(Secret::from_base64("your_super_secret_key_here").is_err());
/// let secret = Secret::generate();
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Parses and checks a base64 secret (standard or URL-safe alphabet,
    /// padded or not).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the rule it breaks: an example value, not
    /// base64, fewer than 32 bytes, or visibly not random (one byte
    /// repeated, a repeating pattern, printable text, too few distinct bytes).
    pub fn from_base64(text: &str) -> Result<Secret, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(refuse("is empty"));
        }
        if KNOWN_EXAMPLES.contains(&text) || is_published(text) {
            return Err(refuse("is a published example value, known to everyone"));
        }
        let bytes = decode_any_base64(text).ok_or_else(|| refuse("is not valid base64"))?;
        check_randomness(&bytes)?;
        Ok(Secret(bytes))
    }

    /// A fresh random secret of 32 bytes from the OS RNG.
    pub fn generate() -> Secret {
        let mut bytes = Zeroizing::new(vec![0u8; MIN_SECRET_BYTES]);
        super::envelope::fill_random(&mut bytes);
        Secret(bytes)
    }

    /// Wraps raw bytes without any of the checks; for tests and fixed vectors.
    pub fn from_bytes_unchecked(bytes: &[u8]) -> Secret {
        Secret(Zeroizing::new(bytes.to_vec()))
    }

    /// The secret as standard base64, e.g. to hand to a child process in a test.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// The raw bytes, for key derivation.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Whether `text` appears in one of the project's documents.
fn is_published(text: &str) -> bool {
    text.len() >= 16 && PUBLISHED_DOCUMENTS.iter().any(|doc| doc.contains(text))
}

fn refuse(why: &str) -> Error {
    Error::Config(format!("the session secret {why}; {HOW_TO_MAKE_A_SECRET}"))
}

fn decode_any_base64(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .map(Zeroizing::new)
}

/// Refuses byte strings that are visibly not random. Each test has a
/// false-alarm rate far below 2^-40 for 32 truly random bytes.
fn check_randomness(bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(refuse(&format!(
            "decodes to {} bytes; at least {MIN_SECRET_BYTES} random bytes are needed",
            bytes.len()
        )));
    }
    if bytes.iter().all(|b| *b == bytes[0]) {
        return Err(refuse("is one byte repeated, not random"));
    }
    if let Some(period) = (1..=bytes.len() / 2).find(|p| repeats_with_period(bytes, *p)) {
        return Err(refuse(&format!("repeats a {period}-byte pattern, not random")));
    }
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(refuse(
            "decodes to printable text (a passphrase), not random bytes; \
             base64 the output of a random generator instead",
        ));
    }
    let mut seen = [false; 256];
    bytes.iter().for_each(|b| seen[*b as usize] = true);
    let distinct = seen.iter().filter(|s| **s).count();
    if distinct < bytes.len().min(256) / 2 {
        return Err(refuse(&format!(
            "has only {distinct} distinct bytes in {}, too few to be random",
            bytes.len()
        )));
    }
    Ok(())
}

fn repeats_with_period(bytes: &[u8], period: usize) -> bool {
    bytes.iter().skip(period).zip(bytes).all(|(later, earlier)| later == earlier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        match Secret::from_base64(text) {
            Err(Error::Config(msg)) => msg,
            other => panic!("expected a refusal for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_generated_secret_passes_the_rules() {
        let secret = Secret::generate();
        assert!(Secret::from_base64(&secret.to_base64()).is_ok());
    }

    #[test]
    fn the_seed_secret_is_refused() {
        assert!(message("your_super_secret_key_here").contains("example"));
    }

    #[test]
    fn the_test_vector_secret_is_refused() {
        assert!(message("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").contains("example"));
    }

    #[test]
    fn base64_values_printed_in_the_documents_are_refused() {
        let mut checked = 0;
        for doc in PUBLISHED_DOCUMENTS {
            for word in doc.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c))) {
                if word.len() >= 43 && decode_any_base64(word).is_some() {
                    assert!(message(word).contains("example"), "{word}");
                    checked += 1;
                }
            }
        }
        eprintln!("{checked} base64 values found in the documents, all refused");
        assert!(is_published("make one with `openssl rand -base64 32`"), "README is included");
        assert!(!is_published(&Secret::generate().to_base64()));
    }

    #[test]
    fn not_base64_is_refused() {
        assert!(message("this is not base64 at all!!").contains("not valid base64"));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(message(&STANDARD.encode([7u8, 1, 2, 3, 4, 5, 6, 8])).contains("8 bytes"));
    }

    #[test]
    fn one_byte_repeated_is_refused() {
        assert!(message(&STANDARD.encode([0u8; 32])).contains("one byte repeated"));
    }

    #[test]
    fn repeating_patterns_are_refused() {
        let pattern: Vec<u8> = [0x13u8, 0xf0, 0x77].iter().copied().cycle().take(48).collect();
        assert!(message(&STANDARD.encode(pattern)).contains("3-byte pattern"));
    }

    #[test]
    fn passphrases_are_refused() {
        let text = STANDARD.encode("correct horse battery staple, it is long enough!");
        assert!(message(&text).contains("printable text"));
    }

    #[test]
    fn few_distinct_bytes_are_refused() {
        const PI: &[u8] = b"31415926535897932384626433832795";
        let bytes: Vec<u8> =
            PI.iter().map(|d| [0x00u8, 0x81, 0xfe, 0x42][(*d % 4) as usize]).collect();
        assert!(message(&STANDARD.encode(bytes)).contains("distinct bytes"));
    }

    #[test]
    fn every_refusal_says_how_to_make_a_key() {
        assert!(message("short").contains("openssl rand -base64 32"));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let secret = Secret::from_bytes_unchecked(&[0xAB; 32]);
        let printed = format!("{secret:?}");
        assert!(!printed.contains("AB") && !printed.contains("171"), "{printed}");
        assert!(!printed.contains(&secret.to_base64()));
    }
}
