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
    "make one with `openssl rand -base64 32` and set it as the session `secret`";

/// The library's own documents: any secret printed in them is public. An
/// app adds its own with [`Secret::from_base64_refusing`] (or the fairing's
/// `refuse_secrets_published_in`).
const PUBLISHED_DOCUMENTS: &[&str] = &[include_str!("../README.md")];

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
/// use rocket_sealed_session::Secret;
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
    /// [`Error::Config`] naming the rule it breaks: empty, an example value
    /// (known, or printed in the project's documents), not base64, fewer
    /// than 32 bytes, or visibly not random: one byte repeated, a repeating
    /// pattern, an arithmetic sequence (a byte counter such as `00 01 02 ...`,
    /// any step, ascending or descending, mod 256) or a sequence that is
    /// arithmetic over most of its length (see `check_arithmetic`),
    /// printable text, too few distinct bytes.
    pub fn from_base64(text: &str) -> Result<Secret, Error> {
        parse(text, PUBLISHED_DOCUMENTS)
    }

    /// [`Secret::from_base64`], also refusing a value that appears in one of
    /// `published` (an app's README, example configuration, ...).
    ///
    /// # Example
    ///
    /// ```
    /// use rocket_sealed_session::Secret;
    ///
    /// let secret = Secret::generate().to_base64();
    /// let readme = format!("Start with: SECRET={secret}");
    /// assert!(Secret::from_base64_refusing(&secret, &[readme.as_str()]).is_err());
    /// assert!(Secret::from_base64_refusing(&secret, &["nothing printed"]).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Secret::from_base64`], and [`Error::Config`] for a published value.
    pub fn from_base64_refusing(text: &str, published: &[&str]) -> Result<Secret, Error> {
        let documents: Vec<&str> = PUBLISHED_DOCUMENTS.iter().chain(published).copied().collect();
        parse(text, &documents)
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

/// [`Secret::from_base64`] with the list of published documents as a
/// parameter, so that a test can print a value in a document.
fn parse(text: &str, published: &[&str]) -> Result<Secret, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(refuse("is empty"));
    }
    if KNOWN_EXAMPLES.contains(&text) || is_published_in(text, published) {
        return Err(refuse("is a published example value, known to everyone"));
    }
    let bytes = decode_any_base64(text).ok_or_else(|| refuse("is not valid base64"))?;
    check_randomness(&bytes)?;
    Ok(Secret(bytes))
}

/// Whether `text` appears in one of the project's documents.
#[cfg(test)]
fn is_published(text: &str) -> bool {
    is_published_in(text, PUBLISHED_DOCUMENTS)
}

/// Whether `text` appears in one of `documents`.
fn is_published_in(text: &str, documents: &[&str]) -> bool {
    text.len() >= 16 && documents.iter().any(|doc| doc.contains(text))
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
    check_arithmetic(bytes)?;
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

/// Refuses arithmetic sequences mod 256 (`b[i] = a + i·d`), such as the
/// byte counter `00 01 02 ... 1f`, of any step `d` (a descending counter
/// has step `-1`), and sequences that are arithmetic over most of their
/// length. Two measures, each refused when it exceeds half:
///
/// - **steps**: of the `n - 1` steps `b[i+1] - b[i]` between neighbouring
///   bytes, how many equal the commonest one. Catches a counter with a
///   few bytes changed, inserted or deleted, or two counters spliced.
/// - **line**: of the `n` bytes, how many lie on the one sequence
///   `a + i·d` that holds the most of them. Catches a counter with many
///   scattered bytes changed (up to just under half of them), where few
///   neighbouring steps survive.
///
/// False alarms, for `n` truly random bytes: the steps of independent
/// uniform bytes are themselves independent and uniform (the map from
/// `(b[0], b[1], ...)` to `(b[0], b[1]-b[0], ...)` is a bijection), so for
/// one step value `d`, P(at least `k` of `m = n-1` steps equal `d`) ≤
/// C(m, k)·256^-k; over the 256 values of `d`, ≤ C(m, k)·2^(8 - 8k). With
/// `k = ⌊m/2⌋ + 1`, that is 2^-91.8 for 32 bytes. Likewise, for one
/// sequence `(a, d)` each byte lies on it with probability 1/256
/// independently; over the 65536 sequences, P(at least `k` of `n`) ≤
/// C(n, k)·2^(16 - 8k), with `k = ⌊n/2⌋ + 1` that is 2^-90.9 for 32 bytes.
/// Together below 2^-90 for 32 bytes, and smaller for longer secrets
/// (C(n, k) < 2^n gives at most 2^(13 - 3n) for both): far below 2^-40, so a
/// generated secret is never refused in practice. The test
/// `the_arithmetic_false_alarm_bound_is_far_below_2_to_the_minus_40`
/// recomputes these bounds from the thresholds below.
fn check_arithmetic(bytes: &[u8]) -> Result<(), Error> {
    let (line_step, on_line) = best_line(bytes);
    if on_line == bytes.len() {
        return Err(refuse(&format!(
            "is an arithmetic sequence (a counter: each byte is the one before {}, \
             mod 256), not random",
            signed(line_step)
        )));
    }
    let steps = bytes.len().saturating_sub(1);
    let (step, same_steps) = commonest_step(bytes);
    if exceeds_half(same_steps, steps) {
        return Err(refuse(&format!(
            "is mostly an arithmetic sequence ({same_steps} of its {steps} steps between \
             neighbouring bytes are {}, mod 256), not random",
            signed(step)
        )));
    }
    if exceeds_half(on_line, bytes.len()) {
        return Err(refuse(&format!(
            "is mostly an arithmetic sequence ({on_line} of its {} bytes lie on one \
             sequence of step {}, mod 256), not random",
            bytes.len(),
            signed(line_step)
        )));
    }
    Ok(())
}

/// The refusal threshold of both arithmetic measures: more than half.
fn exceeds_half(count: usize, of: usize) -> bool {
    count * 2 > of
}

/// The commonest step `b[i+1] - b[i]` (mod 256) and how many steps equal it.
fn commonest_step(bytes: &[u8]) -> (u8, usize) {
    let mut counts = [0usize; 256];
    for pair in bytes.windows(2) {
        counts[usize::from(pair[1].wrapping_sub(pair[0]))] += 1;
    }
    most_common(&counts)
}

/// The step `d` of the sequence `a + i·d` (mod 256) on which the most
/// bytes lie, and how many do.
fn best_line(bytes: &[u8]) -> (u8, usize) {
    let mut best = (0u8, 0usize);
    for step in 0..=u8::MAX {
        let mut counts = [0usize; 256];
        // i·d mod 256 only depends on i mod 256, so `i as u8` may wrap.
        for (i, byte) in bytes.iter().enumerate() {
            let offset = (i as u8).wrapping_mul(step);
            counts[usize::from(byte.wrapping_sub(offset))] += 1;
        }
        let (_, on_line) = most_common(&counts);
        if on_line > best.1 {
            best = (step, on_line);
        }
    }
    best
}

/// The index (as a byte) of the largest count, and the count.
fn most_common(counts: &[usize; 256]) -> (u8, usize) {
    let mut best = (0u8, 0usize);
    for (value, count) in (0..=u8::MAX).zip(counts) {
        if *count > best.1 {
            best = (value, *count);
        }
    }
    best
}

/// A step mod 256 as a signed number: `+1`, `-1`, `+7`, `-128`.
fn signed(step: u8) -> String {
    format!("{:+}", step as i8)
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

    /// The words of `doc` that decode as base64 of at least 32 bytes: the
    /// values a reader could copy as a secret.
    fn base64_words(doc: &str) -> Vec<&str> {
        doc.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
            .filter(|word| word.len() >= 43 && decode_any_base64(word).is_some())
            .collect()
    }

    #[test]
    fn base64_values_printed_in_the_documents_are_refused() {
        // The project's documents print no example secret today, so a scan
        // of them alone could check nothing. Print a value that passes
        // every other rule in a copy of Rocket.toml, as an editor adding
        // an example would, and scan that too: the scan must find it and
        // the rule must refuse it (and every value of the real documents).
        let planted = Secret::generate().to_base64();
        assert!(parse(&planted, PUBLISHED_DOCUMENTS).is_ok(), "random, and not yet published");
        let rocket_toml = format!(
            "[default]\nport = 8000\n[debug.session]\nsecret = \"{planted}\"  # an example\n"
        );
        let mut documents = PUBLISHED_DOCUMENTS.to_vec();
        documents.push(&rocket_toml);

        let mut checked = Vec::new();
        for doc in &documents {
            for word in base64_words(doc) {
                match parse(word, &documents) {
                    Err(Error::Config(msg)) => assert!(msg.contains("published example"), "{msg}"),
                    Ok(_) => panic!("{word} is printed in a document but was accepted"),
                    Err(other) => panic!("{word}: unexpected {other:?}"),
                }
                checked.push(word);
            }
        }
        eprintln!("{} base64 values found in the documents, all refused", checked.len());
        assert!(!checked.is_empty(), "the scan found no value to check");
        assert!(checked.contains(&planted.as_str()), "the planted value was not found");

        for doc in PUBLISHED_DOCUMENTS {
            let longest = doc.lines().max_by_key(|line| line.len()).unwrap_or_default();
            assert!(longest.len() >= 16 && is_published(longest), "{longest:?} is not searched");
        }
        assert!(!is_published(&Secret::generate().to_base64()));
    }

    /// The bytes `start, start + step, start + 2·step, ...` mod 256.
    fn counter(start: u8, step: u8, len: usize) -> Vec<u8> {
        (0..len).map(|i| start.wrapping_add((i as u8).wrapping_mul(step))).collect()
    }

    #[test]
    fn byte_counters_are_refused() {
        // The vector secret's bytes, checked without its place in KNOWN_EXAMPLES.
        let refusal = check_randomness(&counter(0, 1, 32)).err().map(|e| e.to_string());
        assert!(refusal.is_some_and(|m| m.contains("arithmetic sequence")));
        for (start, step, len, says) in [
            (0x10, 1, 32, "the one before +1,"),
            (0x1f, 0xff, 32, "the one before -1,"),
            (0xc3, 7, 32, "the one before +7,"),
            (0x05, 0xfd, 48, "the one before -3,"),
            (0x00, 0x25, 64, "the one before +37,"),
            (0x80, 0x81, 32, "the one before -127,"),
        ] {
            let bytes = counter(start, step, len);
            let msg = message(&STANDARD.encode(&bytes));
            assert!(msg.contains("is an arithmetic sequence") && msg.contains(says), "{msg}");
            assert!(message(&URL_SAFE_NO_PAD.encode(&bytes)).contains("arithmetic"));
        }
    }

    #[test]
    fn a_counter_with_one_byte_changed_is_refused() {
        for at in [0, 1, 15, 31] {
            let mut bytes = counter(0x40, 1, 32);
            bytes[at] ^= 0xa5;
            let msg = message(&STANDARD.encode(&bytes));
            assert!(msg.contains("is mostly an arithmetic sequence"), "changed at {at}: {msg}");
        }
    }

    #[test]
    fn a_counter_with_a_byte_inserted_is_refused_by_its_steps() {
        let mut bytes = counter(0x40, 3, 31);
        bytes.insert(16, 0x99);
        assert_eq!(best_line(&bytes).1, 16, "no more than half of the bytes on one line");
        let msg = message(&STANDARD.encode(&bytes));
        assert!(msg.contains("29 of its 31 steps between neighbouring bytes are +3"), "{msg}");
    }

    #[test]
    fn a_counter_with_every_third_byte_changed_is_refused_by_its_line() {
        let mut bytes = counter(0x40, 0xfe, 32);
        for (i, byte) in bytes.iter_mut().enumerate().filter(|(i, _)| i % 3 == 1) {
            *byte = (i as u8).wrapping_mul(0x9d) ^ 0x3c;
        }
        assert!(commonest_step(&bytes).1 <= 15, "no more than half of the steps agree");
        let msg = message(&STANDARD.encode(&bytes));
        assert!(msg.contains("21 of its 32 bytes lie on one sequence of step -2"), "{msg}");
    }

    #[test]
    fn half_a_counter_is_not_enough_to_refuse() {
        // 16 counter bytes then 16 random ones: exactly half on the line,
        // 15 of 31 steps: a random tail is allowed to look like this.
        let mut bytes = counter(0, 1, 16);
        bytes.extend_from_slice(&[
            0x8e, 0x1f, 0xd4, 0x62, 0xb9, 0x07, 0xf3, 0x5a, 0xc8, 0x2d, 0x91, 0xe6, 0x3b, 0x7c,
            0xa0, 0x45,
        ]);
        assert!(check_arithmetic(&bytes).is_ok());
    }

    /// log2 of C(n, k).
    fn log2_binomial(n: usize, k: usize) -> f64 {
        (0..k).map(|i| ((n - i) as f64).log2() - ((i + 1) as f64).log2()).sum()
    }

    #[test]
    fn the_arithmetic_false_alarm_bound_is_far_below_2_to_the_minus_40() {
        for n in MIN_SECRET_BYTES..=512 {
            let steps = n - 1;
            let k_steps = (0..=steps).find(|k| exceeds_half(*k, steps)).unwrap_or(steps);
            let k_line = (0..=n).find(|k| exceeds_half(*k, n)).unwrap_or(n);
            let p_steps = 8.0 + log2_binomial(steps, k_steps) - 8.0 * k_steps as f64;
            let p_line = 16.0 + log2_binomial(n, k_line) - 8.0 * k_line as f64;
            let total = (p_steps.exp2() + p_line.exp2()).log2();
            assert!(total < -89.0, "{n} bytes: false alarms up to 2^{total:.1}");
        }
    }

    #[test]
    fn random_secrets_pass_the_arithmetic_rules() {
        for _ in 0..1000 {
            let secret = Secret::generate();
            assert!(check_arithmetic(secret.expose()).is_ok());
        }
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
