//! What a sealed cookie carries: the session id, its deadlines and the
//! payload, plus the rules that decide whether a session is still alive.
//!
//! The JSON shape is part of wire format v1 and must not change:
//!
//! ```json
//! {"id":"<128 random bits, base64url>","iat":1700000000,"exp":1700086400,"seen":1700000000,"data":{}}
//! ```
//!
//! `iat` is when the session was created, `exp` the absolute deadline,
//! `seen` when it was last sealed (the idle deadline is `seen + idle_timeout`).
//! A session given its own lifetime ("remember me") also carries
//! `"life":<seconds>` before `data`; the field is absent otherwise, so the
//! envelope of every other session is byte for byte the v1 shape, and
//! replicas that predate it ignore it. Likewise `"chk":<unix s>`, when the
//! app's revalidation hook last passed (only with `Sessions::revalidate`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::error::Error;

/// Bytes of randomness in a session id (128 bits).
pub const SESSION_ID_BYTES: usize = 16;
/// Characters in a session id (base64url of 16 bytes, unpadded).
pub const SESSION_ID_CHARS: usize = 22;

/// The deadlines and identity of one session, everything but the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Random session id, base64url without padding.
    pub id: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Absolute deadline (Unix seconds): dead when `now >= exp`.
    pub exp: u64,
    /// Last sealed (Unix seconds): dead when `now >= seen + idle_timeout`.
    pub seen: u64,
    /// The session's own absolute lifetime in seconds, if a handler gave it
    /// one ([`Session::set_lifetime`](crate::Session::set_lifetime));
    /// bounded by `max_lifetime` as configured now.
    pub life: Option<u64>,
    /// When the app's revalidation hook last passed (Unix seconds), if one
    /// is registered ([`Sessions::revalidate`](crate::Sessions::revalidate)).
    pub checked: Option<u64>,
}

/// The lifetime rules of the configuration, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Absolute lifetime from creation.
    pub max_age: u64,
    /// Idle lifetime since the last seal; 0 turns it off.
    pub idle_timeout: u64,
    /// How far in the future an `iat` may lie (clock skew between replicas).
    pub clock_skew: u64,
    /// The longest lifetime a handler may give one session.
    pub max_lifetime: u64,
}

impl Meta {
    /// A brand-new session created at `now`. Its id is empty until the
    /// session is first saved or asked for it (most are never saved).
    pub fn fresh(now: u64, lifetimes: &Lifetimes) -> Meta {
        let exp = now.saturating_add(lifetimes.max_age);
        Meta { id: String::new(), iat: now, exp, seen: now, life: None, checked: None }
    }

    /// The absolute deadline in force now (Unix seconds): the sealed `exp`,
    /// or creation plus the lifetime allowed now if that is earlier. The
    /// lifetime allowed is `max_age` as configured now, or the session's
    /// own `life` bounded by `max_lifetime` as configured now; so a lowered
    /// `max_age` or `max_lifetime` also bounds cookies issued before it.
    pub fn absolute_deadline(&self, lifetimes: &Lifetimes) -> u64 {
        let allowed = match self.life {
            Some(life) => life.min(lifetimes.max_lifetime),
            None => lifetimes.max_age,
        };
        self.exp.min(self.iat.saturating_add(allowed))
    }

    /// Gives the session its own absolute lifetime from its creation,
    /// bounded by `max_lifetime`; returns the lifetime applied (seconds).
    pub fn set_lifetime(&mut self, seconds: u64, lifetimes: &Lifetimes) -> u64 {
        let life = seconds.clamp(1, lifetimes.max_lifetime);
        self.life = Some(life);
        self.exp = self.iat.saturating_add(life);
        life
    }

    /// The nearest deadline in force now (Unix seconds): the absolute one,
    /// or `seen + idle_timeout` as configured now if idle timeouts are on.
    pub fn deadline(&self, lifetimes: &Lifetimes) -> u64 {
        let absolute = self.absolute_deadline(lifetimes);
        match lifetimes.idle_timeout {
            0 => absolute,
            idle => absolute.min(self.seen.saturating_add(idle)),
        }
    }

    /// Checks the deadlines of an opened session at `now`.
    ///
    /// # Errors
    ///
    /// [`Error::Expired`] past the absolute deadline, [`Error::Idle`] past
    /// the idle one; [`Error::FromTheFuture`] when
    /// `iat` or `seen` lie further ahead than the allowed clock skew.
    pub fn check_alive(&self, now: u64, lifetimes: &Lifetimes) -> Result<(), Error> {
        let horizon = now.saturating_add(lifetimes.clock_skew);
        if self.iat > horizon || self.seen > horizon {
            return Err(Error::FromTheFuture);
        }
        if now >= self.absolute_deadline(lifetimes) {
            return Err(Error::Expired);
        }
        if now >= self.deadline(lifetimes) {
            return Err(Error::Idle);
        }
        Ok(())
    }

    /// Whether a clean session should be re-sealed to push its idle deadline
    /// out: true once half of the idle window has passed (rolling, throttled).
    pub fn wants_rolling(&self, now: u64, lifetimes: &Lifetimes) -> bool {
        lifetimes.idle_timeout > 0 && now.saturating_sub(self.seen) >= lifetimes.idle_timeout / 2
    }

    /// Seconds until the nearer deadline, as a cookie `Max-Age`: at least 1.
    pub fn max_age_at(&self, now: u64, lifetimes: &Lifetimes) -> u64 {
        self.deadline(lifetimes).saturating_sub(now).max(1)
    }
}

/// A new random session id: 128 bits from the OS RNG, base64url.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; SESSION_ID_BYTES];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Fills `buf` from the operating system's RNG.
///
/// # Panics
///
/// When the OS has no randomness to give, which leaves nothing safe to do.
pub(crate) fn fill_random(buf: &mut [u8]) {
    if let Err(err) = OsRng.try_fill_bytes(buf) {
        panic!("the operating system's random number generator failed: {err}");
    }
}

/// An envelope as read from a cookie, with the payload typed.
#[derive(Deserialize)]
pub(crate) struct EnvelopeOwned<T> {
    pub id: String,
    pub iat: u64,
    pub exp: u64,
    pub seen: u64,
    #[serde(default)]
    pub life: Option<u64>,
    #[serde(default)]
    pub chk: Option<u64>,
    pub data: T,
}

impl<T> EnvelopeOwned<T> {
    /// Splits into meta and payload.
    pub fn split(self) -> (Meta, T) {
        let meta = Meta {
            id: self.id,
            iat: self.iat,
            exp: self.exp,
            seen: self.seen,
            life: self.life,
            checked: self.chk,
        };
        (meta, self.data)
    }
}

/// The payload's JSON inside an envelope written by [`write_envelope`]:
/// everything after the first `,"data":` (the fields before it are an id in
/// base64url and numbers, which cannot contain it), without the closing `}`.
pub(crate) fn data_json(envelope: &[u8]) -> Option<&[u8]> {
    const LABEL: &[u8] = b",\"data\":";
    let start = envelope.windows(LABEL.len()).position(|w| w == LABEL)? + LABEL.len();
    envelope.get(start..envelope.len().checked_sub(1)?)
}

/// Reads the meta of an envelope in exactly the shape [`write_envelope`]
/// writes (fields in v1 order, no whitespace, an id of base64url
/// characters, integers without leading zeros) and returns it with where
/// the payload's JSON lies. `None` for anything else, which the caller then
/// reads with serde as a whole: this is a fast path, never a second
/// definition of what a valid envelope is (it accepts a subset of what
/// serde accepts, and reads it the same way).
pub(crate) fn read_meta(envelope: &[u8]) -> Option<(Meta, Range<usize>)> {
    let mut reader = Reader { bytes: envelope, at: 0 };
    reader.literal(b"{\"id\":\"")?;
    let id = reader.id()?;
    reader.literal(b"\",\"iat\":")?;
    let iat = reader.integer()?;
    reader.literal(b",\"exp\":")?;
    let exp = reader.integer()?;
    reader.literal(b",\"seen\":")?;
    let seen = reader.integer()?;
    let life = reader.optional_field(b",\"life\":")?;
    let checked = reader.optional_field(b",\"chk\":")?;
    reader.literal(b",\"data\":")?;
    let end = envelope.len().checked_sub(1)?;
    if envelope[end] != b'}' || reader.at >= end {
        return None;
    }
    Some((Meta { id, iat, exp, seen, life, checked }, reader.at..end))
}

/// Whether `byte` is a base64url character (what session ids are made of).
fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// A cursor over envelope bytes for [`read_meta`].
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// Consumes `expected` if the bytes continue with it.
    fn literal(&mut self, expected: &[u8]) -> Option<()> {
        let rest = self.bytes.get(self.at..)?;
        rest.starts_with(expected).then(|| self.at += expected.len())
    }

    /// Base64url characters up to the next byte that is not one.
    fn id(&mut self) -> Option<String> {
        let rest = self.bytes.get(self.at..)?;
        let len = rest.iter().position(|b| !is_base64url(*b)).unwrap_or(rest.len());
        self.at += len;
        std::str::from_utf8(&rest[..len]).ok().map(str::to_owned)
    }

    /// A JSON integer that fits a `u64`: digits, no leading zero.
    fn integer(&mut self) -> Option<u64> {
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(digit) = self.bytes.get(self.at).filter(|b| b.is_ascii_digit()) {
            value = value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
            self.at += 1;
        }
        let len = self.at - start;
        let leading_zero = len > 1 && self.bytes[start] == b'0';
        (len > 0 && !leading_zero).then_some(value)
    }

    /// `Some(None)` when the field is absent, `Some(Some(n))` when present.
    fn optional_field(&mut self, label: &[u8]) -> Option<Option<u64>> {
        match self.literal(label) {
            Some(()) => self.integer().map(Some),
            None => Some(None),
        }
    }
}

/// Where an envelope is written: the seal buffer, or a [`ByteCounter`]
/// that measures it without keeping any plaintext.
pub(crate) trait EnvelopeSink: std::io::Write {
    /// Bytes written so far.
    fn position(&self) -> usize;
}

impl EnvelopeSink for Vec<u8> {
    fn position(&self) -> usize {
        self.len()
    }
}

/// Counts the bytes written to it and keeps none of them.
#[derive(Debug, Default)]
pub(crate) struct ByteCounter(pub usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl EnvelopeSink for ByteCounter {
    fn position(&self) -> usize {
        self.0
    }
}

/// Serializes `meta` and `data` as a v1 envelope into `out`, in the v1
/// field order, and returns where the `data` JSON lies in `out` (so the
/// fairing can tell an empty payload without serializing it again).
pub(crate) fn write_envelope<T: Serialize + ?Sized, W: EnvelopeSink>(
    meta: &Meta,
    data: &T,
    out: &mut W,
) -> serde_json::Result<Range<usize>> {
    let io = serde_json::Error::io;
    if meta.id.bytes().all(is_base64url) {
        // Our own ids: nothing to escape.
        for part in [&b"{\"id\":\""[..], meta.id.as_bytes(), b"\""] {
            out.write_all(part).map_err(io)?;
        }
    } else {
        out.write_all(b"{\"id\":").map_err(io)?;
        serde_json::to_writer(&mut *out, &meta.id)?;
    }
    let fields = [
        (&b",\"iat\":"[..], Some(meta.iat)),
        (b",\"exp\":", Some(meta.exp)),
        (b",\"seen\":", Some(meta.seen)),
        (b",\"life\":", meta.life),
        (b",\"chk\":", meta.checked),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            out.write_all(label).map_err(io)?;
            out.write_all(itoa::Buffer::new().format(value).as_bytes()).map_err(io)?;
        }
    }
    out.write_all(b",\"data\":").map_err(serde_json::Error::io)?;
    let start = out.position();
    serde_json::to_writer(&mut *out, data)?;
    let end = out.position();
    out.write_all(b"}").map_err(serde_json::Error::io)?;
    Ok(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes =
        Lifetimes { max_age: 100, idle_timeout: 0, clock_skew: 5, max_lifetime: 1000 };
    const IDLE: Lifetimes =
        Lifetimes { max_age: 100, idle_timeout: 30, clock_skew: 5, max_lifetime: 1000 };

    fn meta(iat: u64, seen: u64, exp: u64) -> Meta {
        Meta { id: "x".into(), iat, exp, seen, life: None, checked: None }
    }

    #[test]
    fn alive_until_the_absolute_deadline() {
        let m = meta(1000, 1000, 1100);
        assert_eq!(m.check_alive(1099, &LIFE), Ok(()));
        assert_eq!(m.check_alive(1100, &LIFE), Err(Error::Expired));
        assert_eq!(m.check_alive(5000, &LIFE), Err(Error::Expired));
    }

    #[test]
    fn idle_deadline_ends_a_quiet_session_first() {
        let m = meta(1000, 1010, 1100);
        assert_eq!(m.check_alive(1039, &IDLE), Ok(()));
        assert_eq!(m.check_alive(1040, &IDLE), Err(Error::Idle));
        assert_eq!(m.check_alive(1040, &LIFE), Ok(()), "idle off: only exp counts");
    }

    #[test]
    fn a_lowered_max_age_bounds_a_cookie_sealed_with_a_longer_one() {
        let long_lived = meta(1000, 1000, 1000 + 34_560_000);
        let now_configured =
            Lifetimes { max_age: 1, idle_timeout: 0, clock_skew: 5, max_lifetime: 1000 };
        assert_eq!(long_lived.check_alive(1000, &now_configured), Ok(()));
        assert_eq!(long_lived.check_alive(1001, &now_configured), Err(Error::Expired));
        assert_eq!(long_lived.max_age_at(1000, &now_configured), 1);
        let short_sealed = meta(1000, 1000, 1050);
        assert_eq!(short_sealed.check_alive(1050, &LIFE), Err(Error::Expired), "exp still counts");
    }

    #[test]
    fn a_raised_max_age_does_not_extend_a_sealed_deadline() {
        let sealed = meta(1000, 1000, 1100);
        let raised =
            Lifetimes { max_age: 10_000, idle_timeout: 0, clock_skew: 5, max_lifetime: 1000 };
        assert_eq!(sealed.check_alive(1100, &raised), Err(Error::Expired));
    }

    #[test]
    fn a_lowered_idle_timeout_bounds_a_quiet_cookie() {
        let m = meta(1000, 1000, 1100);
        let idle = Lifetimes { max_age: 100, idle_timeout: 10, clock_skew: 5, max_lifetime: 1000 };
        assert_eq!(m.check_alive(1009, &idle), Ok(()));
        assert_eq!(m.check_alive(1010, &idle), Err(Error::Idle));
    }

    #[test]
    fn a_session_lifetime_is_bounded_by_max_lifetime_now_and_sealed_with_it() {
        let mut m = meta(1000, 1000, 1100);
        assert_eq!(m.set_lifetime(500, &LIFE), 500, "longer than max_age, within max_lifetime");
        assert_eq!((m.exp, m.absolute_deadline(&LIFE)), (1500, 1500));
        assert_eq!(m.set_lifetime(5000, &LIFE), 1000, "bounded by max_lifetime");
        let lowered = Lifetimes { max_lifetime: 200, ..LIFE };
        assert_eq!(m.absolute_deadline(&lowered), 1200, "a lowered max_lifetime bounds it");
        assert_eq!(m.set_lifetime(10, &LIFE), 10, "shorter than max_age");
        assert_eq!(m.check_alive(1010, &LIFE), Err(Error::Expired));
        let mut out = Vec::new();
        write_envelope(&m, &0, &mut out).unwrap();
        let back: EnvelopeOwned<u8> = serde_json::from_slice(&out).unwrap();
        assert_eq!(back.split().0, m, "life survives the seal");
        let mut plain = Vec::new();
        write_envelope(&meta(1, 2, 3), &0, &mut plain).unwrap();
        assert!(!String::from_utf8_lossy(&plain).contains("life"), "absent unless set");
    }

    #[test]
    fn issued_in_the_future_beyond_skew_is_refused() {
        let m = meta(1010, 1010, 1110);
        assert_eq!(m.check_alive(1005, &LIFE), Ok(()), "5 s of skew allowed");
        assert_eq!(m.check_alive(1004, &LIFE), Err(Error::FromTheFuture));
    }

    #[test]
    fn rolling_starts_at_half_the_idle_window() {
        let m = meta(1000, 1000, 1100);
        assert!(!m.wants_rolling(1014, &IDLE));
        assert!(m.wants_rolling(1015, &IDLE));
        assert!(!m.wants_rolling(1099, &LIFE), "no rolling without idle timeout");
    }

    #[test]
    fn max_age_counts_to_the_nearer_deadline_and_never_below_one() {
        let m = meta(1000, 1000, 1100);
        assert_eq!(m.max_age_at(1000, &LIFE), 100);
        assert_eq!(m.max_age_at(1000, &IDLE), 30);
        assert_eq!(m.max_age_at(1100, &LIFE), 1);
    }

    #[test]
    fn fresh_ids_are_128_bits_and_distinct() {
        let a = new_session_id();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|b| b.len()), Ok(SESSION_ID_BYTES));
        assert_eq!(a.len(), SESSION_ID_CHARS);
        assert_ne!(a, new_session_id());
    }

    #[test]
    fn envelope_fields_keep_the_v1_order() {
        let mut out = b"prefix".to_vec();
        let data = write_envelope(&meta(1, 2, 3), &serde_json::json!({"views": 1}), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"prefix{"id":"x","iat":1,"exp":3,"seen":2,"data":{"views":1}}"#);
        assert_eq!(&text[data.unwrap()], r#"{"views":1}"#);
    }

    #[test]
    fn the_payload_json_is_found_in_a_written_envelope() {
        let mut out = Vec::new();
        let payload = serde_json::json!({"note": ",\"data\":{}", "n": 1});
        let range = write_envelope(&meta(1, 2, 3), &payload, &mut out).unwrap();
        assert_eq!(data_json(&out), Some(&out[range]));
        assert_eq!(data_json(b"{}"), None);
    }

    #[test]
    fn the_byte_counter_measures_exactly_what_the_buffer_holds() {
        let m = Meta {
            id: "q\"uote".into(),
            iat: 1,
            exp: u64::MAX,
            seen: 2,
            life: None,
            checked: None,
        };
        let data = serde_json::json!({"name": "ünïcode", "n": [1, 2, 3]});
        let (mut buf, mut counter) = (Vec::new(), ByteCounter::default());
        let in_buf = write_envelope(&m, &data, &mut buf).unwrap();
        let counted = write_envelope(&m, &data, &mut counter).unwrap();
        assert_eq!((counter.0, counted), (buf.len(), in_buf));
    }

    #[test]
    fn the_written_envelope_parses_back() {
        let mut out = Vec::new();
        let m = Meta {
            id: "q\"uote".into(),
            iat: 1,
            exp: u64::MAX,
            seen: 2,
            life: None,
            checked: None,
        };
        write_envelope(&m, &vec![1, 2], &mut out).unwrap();
        let back: EnvelopeOwned<Vec<u8>> = serde_json::from_slice(&out).unwrap();
        assert_eq!(back.split(), (m, vec![1, 2]));
    }

    /// The fast reader agrees with serde on everything `write_envelope`
    /// writes, optional fields present or not.
    #[test]
    fn read_meta_reads_what_write_envelope_writes_as_serde_does() {
        let metas = [
            meta(0, 0, 0),
            meta(1_700_000_000, 1_700_000_100, 1_700_086_400),
            Meta { life: Some(30), checked: Some(u64::MAX), ..meta(9, 10, 11) },
            Meta { id: "a-Z_09".into(), life: None, checked: Some(7), ..meta(1, 2, 3) },
            Meta { id: String::new(), life: Some(0), ..meta(u64::MAX, 5, 6) },
        ];
        for meta in metas {
            let mut buf = Vec::new();
            let data = write_envelope(&meta, &serde_json::json!({"views": 3}), &mut buf).unwrap();
            let (read, payload) = read_meta(&buf).expect("our own shape");
            let by_serde: EnvelopeOwned<serde_json::Value> = serde_json::from_slice(&buf).unwrap();
            assert_eq!(read, by_serde.split().0);
            assert_eq!(payload, data);
        }
    }

    /// Anything but the exact shape goes to serde (`None`): other field
    /// orders, whitespace, escapes, leading zeros, overflow, truncation
    /// (a payload cut short is left to serde by the caller: it does not parse).
    #[test]
    fn read_meta_leaves_every_other_shape_to_serde() {
        let ok = br#"{"id":"x","iat":1,"exp":2,"seen":3,"data":{}}"#;
        assert!(read_meta(ok).is_some());
        for other in [
            &br#"{"iat":1,"id":"x","exp":2,"seen":3,"data":{}}"#[..],
            br#"{ "id":"x","iat":1,"exp":2,"seen":3,"data":{}}"#,
            br#"{"id":"\u0078","iat":1,"exp":2,"seen":3,"data":{}}"#,
            br#"{"id":"x","iat":01,"exp":2,"seen":3,"data":{}}"#,
            br#"{"id":"x","iat":18446744073709551616,"exp":2,"seen":3,"data":{}}"#,
            br#"{"id":"x","iat":1.5,"exp":2,"seen":3,"data":{}}"#,
            br#"{"id":"x","iat":1,"exp":2,"seen":3,"chk":4,"life":5,"data":{}}"#,
            br#"{"id":"x","iat":1,"exp":2,"seen":3,"data":}"#,
            br#"{"id":"x","iat":1,"exp":2,"seen":3"#,
            b"",
        ] {
            assert_eq!(read_meta(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    /// An id we did not make (from serde's path) is escaped as JSON.
    #[test]
    fn an_id_that_needs_escaping_is_escaped() {
        let mut buf = Vec::new();
        let odd = Meta { id: "a\"b\\c".into(), ..meta(1, 2, 3) };
        write_envelope(&odd, &0u8, &mut buf).unwrap();
        let read: EnvelopeOwned<u8> = serde_json::from_slice(&buf).unwrap();
        assert_eq!(read.split().0, odd);
        assert_eq!(read_meta(&buf), None, "left to serde");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2048))]

        /// On anything `write_envelope` writes, the fast reader gives what
        /// serde gives, and leaves to serde exactly the ids it would have to
        /// unescape.
        #[test]
        fn read_meta_agrees_with_serde_on_every_written_meta(
            id in "[A-Za-z0-9_-]{0,30}|\\PC{0,12}",
            iat: u64, exp: u64, seen: u64,
            life: Option<u64>, checked: Option<u64>,
            views: u32,
        ) {
            let meta = Meta { id, iat, exp, seen, life, checked };
            let mut buf = Vec::new();
            let data = write_envelope(&meta, &serde_json::json!({"views": views}), &mut buf).unwrap();
            let by_serde: EnvelopeOwned<serde_json::Value> = serde_json::from_slice(&buf).unwrap();
            match read_meta(&buf) {
                Some((read, payload)) => {
                    proptest::prop_assert_eq!(&read, &by_serde.split().0);
                    proptest::prop_assert_eq!(payload, data);
                }
                None => proptest::prop_assert!(!meta.id.bytes().all(is_base64url)),
            }
        }

        /// On an envelope with bytes replaced, inserted or removed, the fast
        /// reader accepts nothing that serde would read otherwise: whenever
        /// it gives a meta and the payload parses, serde reads the same meta.
        #[test]
        fn read_meta_accepts_nothing_serde_reads_otherwise(
            edits in proptest::collection::vec(
                (0usize..120, 0u8..3, proptest::sample::select(&b"0123456789\",:{}[] -.eEx_\\"[..])),
                1..4,
            ),
        ) {
            let meta = Meta { life: Some(30), ..meta(1_700_000_000, 1_700_000_100, 1_700_086_400) };
            let mut buf = Vec::new();
            write_envelope(&meta, &serde_json::json!({"views": 3}), &mut buf).unwrap();
            for (at, kind, byte) in edits {
                let at = at % (buf.len() + 1);
                match kind {
                    0 if at < buf.len() => buf[at] = byte,
                    1 => buf.insert(at, byte),
                    _ if at < buf.len() => drop(buf.remove(at)),
                    _ => {}
                }
            }
            if let Some((read, payload)) = read_meta(&buf) {
                if serde_json::from_slice::<serde_json::Value>(&buf[payload]).is_ok() {
                    let by_serde: Result<EnvelopeOwned<serde_json::Value>, _> =
                        serde_json::from_slice(&buf);
                    proptest::prop_assert!(by_serde.is_ok(), "{}", String::from_utf8_lossy(&buf));
                    if let Ok(by_serde) = by_serde {
                        proptest::prop_assert_eq!(read, by_serde.split().0);
                    }
                }
            }
        }
    }
}
