//! Property tests of the open path: `Sealer::open` never panics and accepts
//! nothing but genuine cookies, and no `Cookie` header turns a request into
//! a 5xx; for sessions cut into several cookies (`max_chunks` > 1),
//! `Sealer::open_chunked` opens only the genuine pieces in order, any piece
//! set round-trips in any header order, any edit of a piece set is a fresh
//! session and a 200, and resizing removes exactly the pieces no longer used.
//!
//! Case counts are explicit (about 14,100 in total per run; the RNG seed is
//! random each run, so CI covers new inputs every time). Failures are not
//! persisted to files: the shrunk input is in the failure message.

mod common;

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rocket::http::{Cookie, Header, Status};
use rocket::local::blocking::Client;
use rocket_sealed_session::sealing::{KeyAge, KeyRing, Sealer};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Secret, Sessions};

const NAME: &str = "sid";
/// Bytes of the v1 header: version, key id, nonce.
const HEADER_LEN: usize = 29;
/// Bytes of the GCM tag.
const TAG_LEN: usize = 16;

/// A compiled regex strategy (a `&str` strategy recompiles its regex for
/// every case, which dominates the run time in debug builds).
fn re(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).unwrap()
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// The secret and sealer every property uses (built once: key derivation
/// is not what is under test).
fn secret() -> &'static Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET.get_or_init(Secret::generate)
}

fn sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| Sealer::new(KeyRing::new(secret(), &[]).unwrap(), NAME))
}

/// Our key id, so that arbitrary bytes get past the key lookup and reach
/// the AEAD.
fn our_key_id() -> [u8; 4] {
    sealer().ring().current().id()
}

/// A genuine cookie of `plaintext`, decoded.
fn genuine_raw(plaintext: &[u8]) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(sealer().seal(plaintext)).unwrap()
}

/// One edit of a decoded cookie.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip { at: prop::sample::Index, mask: u8 },
    /// Insert bytes.
    Insert { at: prop::sample::Index, bytes: Vec<u8> },
    /// Delete a run of bytes.
    Delete { at: prop::sample::Index, len: usize },
    /// Keep only a prefix.
    Truncate { at: prop::sample::Index },
    /// Overwrite a run of bytes with arbitrary ones.
    Overwrite { at: prop::sample::Index, bytes: Vec<u8> },
    /// Replace a run with the same run of another genuine cookie (same key,
    /// another nonce and plaintext): header, nonce, body or tag swapping.
    Splice { at: prop::sample::Index, len: usize },
    /// Append bytes.
    Append { bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<prop::sample::Index>;
    let bytes = || prop::collection::vec(any::<u8>(), 1..24);
    prop_oneof![
        3 => (idx(), 1u8..).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => (idx(), bytes()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (idx(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => idx().prop_map(|at| Mutation::Truncate { at }),
        1 => (idx(), bytes()).prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        2 => (idx(), 1usize..64).prop_map(|(at, len)| Mutation::Splice { at, len }),
        1 => bytes().prop_map(|bytes| Mutation::Append { bytes }),
    ]
}

fn apply(raw: &mut Vec<u8>, mutation: &Mutation, donor: &[u8]) {
    match mutation {
        Mutation::Flip { at, mask } if !raw.is_empty() => {
            let i = at.index(raw.len());
            raw[i] ^= mask;
        }
        Mutation::Insert { at, bytes } => {
            let i = at.index(raw.len() + 1);
            raw.splice(i..i, bytes.iter().copied());
        }
        Mutation::Delete { at, len } if !raw.is_empty() => {
            let i = at.index(raw.len());
            let end = (i + len).min(raw.len());
            raw.drain(i..end);
        }
        Mutation::Truncate { at } => {
            let keep = at.index(raw.len().max(1));
            raw.truncate(keep);
        }
        Mutation::Overwrite { at, bytes } if !raw.is_empty() => {
            let i = at.index(raw.len());
            for (dst, src) in raw[i..].iter_mut().zip(bytes) {
                *dst = *src;
            }
        }
        Mutation::Splice { at, len } if !raw.is_empty() => {
            let i = at.index(raw.len());
            let end = (i + len).min(raw.len()).min(donor.len());
            if i < end {
                raw[i..end].copy_from_slice(&donor[i..end]);
            }
        }
        Mutation::Append { bytes } => raw.extend_from_slice(bytes),
        _ => {}
    }
}

/// Plaintexts: arbitrary bytes, and envelope-shaped JSON.
fn plaintext() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (any::<u64>(), any::<u64>(), re("[a-zA-Z0-9 _-]{0,40}")).prop_map(|(iat, n, s)| {
            format!(
                r#"{{"id":"x","iat":{iat},"exp":{iat},"seen":{iat},"data":{{"n":{n},"s":"{s}"}}}}"#
            )
            .into_bytes()
        }),
    ]
}

// (a) Arbitrary input never opens, and never panics.

#[test]
fn arbitrary_strings_never_open() {
    let mut runner = TestRunner::new(config(2_000));
    let strategy = prop_oneof![
        any::<String>(),
        re("[A-Za-z0-9_-]{0,200}"),
        re("[A-Za-z0-9_=+/-]{55,70}"),
        // Long values around the 8192-character cap, cheaply generated.
        (re("\\PC{1,8}"), 1usize..2000).prop_map(|(s, n)| s.repeat(n)),
        (re("[A-Za-z0-9_-]{1,4}"), 1000usize..2100).prop_map(|(s, n)| s.repeat(n)),
    ];
    runner
        .run(&strategy, |value| {
            prop_assert!(sealer().open(&value).is_err(), "opened {value:?}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_bytes_base64url_encoded_never_open() {
    let mut runner = TestRunner::new(config(2_000));
    let strategy = prop::collection::vec(any::<u8>(), 0..400);
    runner
        .run(&strategy, |bytes| {
            let value = URL_SAFE_NO_PAD.encode(&bytes);
            prop_assert!(sealer().open(&value).is_err(), "opened {value}");
            Ok(())
        })
        .unwrap();
}

/// Arbitrary bytes behind a correct version byte and our key id: these all
/// reach the AEAD, which must refuse them.
#[test]
fn arbitrary_bytes_behind_our_key_id_never_open() {
    let mut runner = TestRunner::new(config(2_000));
    let strategy = prop::collection::vec(any::<u8>(), 0..400);
    runner
        .run(&strategy, |bytes| {
            let mut raw = vec![0x01];
            raw.extend_from_slice(&our_key_id());
            raw.extend_from_slice(&bytes);
            let value = URL_SAFE_NO_PAD.encode(&raw);
            prop_assert!(sealer().open(&value).is_err(), "opened {value}");
            Ok(())
        })
        .unwrap();
}

// (b) Mutations of genuine cookies are rejected unless they change nothing.

#[test]
fn mutated_genuine_cookies_never_open() {
    let mut runner = TestRunner::new(config(3_000));
    let strategy = (plaintext(), plaintext(), prop::collection::vec(mutation(), 1..4));
    let changed = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(plaintext, other, mutations)| {
            let original = genuine_raw(&plaintext);
            let donor = genuine_raw(&other);
            let mut raw = original.clone();
            for m in &mutations {
                apply(&mut raw, m, &donor);
            }
            let result = sealer().open(&URL_SAFE_NO_PAD.encode(&raw));
            if raw == original {
                let opened = result.unwrap();
                prop_assert_eq!(opened.plaintext(), &plaintext[..]);
            } else {
                changed.set(changed.get() + 1);
                prop_assert!(result.is_err(), "a mutated cookie opened: {:?}", mutations);
            }
            Ok(())
        })
        .unwrap();
    // The generator must really mutate: almost every case differs from its original.
    assert!(changed.get() > 2_700, "only {} of 3,000 cases were mutated", changed.get());
}

/// Edits of the cookie text itself (not of the decoded bytes): any other
/// text must fail, including texts that decode to the same bytes through
/// non-canonical trailing bits, padding or other alphabets.
#[test]
fn edited_cookie_texts_never_open() {
    let mut runner = TestRunner::new(config(1_000));
    // (where: None for the end, chars to remove, text to insert)
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), re("[A-Za-z0-9_=+/. %-]")).prop_map(|(at, c)| (
            Some(at),
            1usize,
            c
        )),
        (any::<prop::sample::Index>(), 0usize..4, re("[A-Za-z0-9_=+/-]{0,4}"))
            .prop_map(|(at, remove, text)| (Some(at), remove, text)),
        re("={1,2}|[A-Za-z0-9_-]{1,3}").prop_map(|text| (None, 0usize, text)),
    ];
    let strategy = (prop::collection::vec(any::<u8>(), 0..100), edit);
    runner
        .run(&strategy, |(plaintext, (at, remove, insert))| {
            let original = sealer().seal(&plaintext);
            let mut chars: Vec<char> = original.chars().collect();
            let i = at.map_or(chars.len(), |at| at.index(chars.len() + 1));
            let end = (i + remove).min(chars.len());
            chars.splice(i..end, insert.chars());
            let edited: String = chars.into_iter().collect();
            let result = sealer().open(&edited);
            if edited == original {
                prop_assert!(result.is_ok());
            } else {
                prop_assert!(result.is_err(), "edited text opened: {edited:?} from {original:?}");
            }
            Ok(())
        })
        .unwrap();
}

/// Standard-alphabet and padded spellings of a genuine cookie are other
/// texts: refused too (one canonical text per cookie).
#[test]
fn other_base64_spellings_of_a_genuine_cookie_never_open() {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..100), |plaintext| {
            let original = sealer().seal(&plaintext);
            let raw = URL_SAFE_NO_PAD.decode(&original).unwrap();
            for other in
                [STANDARD.encode(&raw), STANDARD_NO_PAD.encode(&raw), URL_SAFE.encode(&raw)]
            {
                if other != original {
                    prop_assert!(sealer().open(&other).is_err(), "{other} opened");
                }
            }
            Ok(())
        })
        .unwrap();
}

// (c) Round trip.

#[test]
fn arbitrary_plaintexts_round_trip_and_only_for_their_name_and_key() {
    let mut runner = TestRunner::new(config(1_000));
    let strategy = prop_oneof![prop::collection::vec(any::<u8>(), 0..3000), plaintext()];
    let other_name = Sealer::new(KeyRing::new(secret(), &[]).unwrap(), "other");
    let other_key = Sealer::new(KeyRing::new(&Secret::generate(), &[]).unwrap(), NAME);
    let rotated =
        Sealer::new(KeyRing::new(&Secret::generate(), &[secret().clone()]).unwrap(), NAME);
    runner
        .run(&strategy, |plaintext| {
            let value = sealer().seal(&plaintext);
            prop_assert_eq!(value.len(), Sealer::sealed_len(plaintext.len()));
            let opened = sealer().open(&value).unwrap();
            prop_assert_eq!(opened.plaintext(), &plaintext[..]);
            prop_assert_eq!(opened.key_age(), KeyAge::Current);
            prop_assert_eq!(opened.key_id(), our_key_id());
            let old = rotated.open(&value).unwrap();
            prop_assert_eq!((old.plaintext(), old.key_age()), (&plaintext[..], KeyAge::Old));
            prop_assert!(other_name.open(&value).is_err());
            prop_assert!(other_key.open(&value).is_err());
            Ok(())
        })
        .unwrap();
}

// The whole request path.

fn client() -> Client {
    let figment = rocket::Config::figment()
        .merge(("session.secret", secret().to_base64()))
        .merge(("session.cookie_name", NAME))
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(ManualClock::new(1_700_000_000)))
        .mount("/", common::counter::routes());
    Client::untracked(rocket).unwrap()
}

/// GET `path` with a raw `Cookie` header, parsed into the jar the way
/// Rocket's HTTP server does (the local client does not parse it).
fn get(client: &Client, path: &str, header: &str) -> (Status, String) {
    let mut req = client.get(path.to_owned()).header(Header::new("Cookie", header.to_owned()));
    for part in header.split(';').map(str::trim) {
        if let Ok(cookie) = Cookie::parse_encoded(part.to_owned()) {
            req = req.cookie(cookie.into_owned());
        }
    }
    let res = req.dispatch();
    (res.status(), res.into_string().unwrap_or_default())
}

/// Arbitrary `Cookie` headers (free text, garbage `sid` values, mutated
/// genuine cookies among other cookies): always a 200, and the session is
/// either fresh or the genuine one.
#[test]
fn arbitrary_cookie_headers_never_give_a_5xx() {
    let client = client();
    let genuine = {
        let res = client.get("/").dispatch();
        let set = res.headers().get_one("Set-Cookie").unwrap().to_owned();
        set.split(';').next().unwrap().strip_prefix("sid=").unwrap().to_owned()
    };
    let raw = URL_SAFE_NO_PAD.decode(&genuine).unwrap();
    prop_assert_genuine_works(&client, &genuine);
    let sid_value = prop_oneof![
        any::<String>(),
        re("[A-Za-z0-9_%;=-]{0,120}"),
        prop::collection::vec(mutation(), 1..3).prop_map(move |ms| {
            let mut edited = raw.clone();
            for m in &ms {
                apply(&mut edited, m, &[0; HEADER_LEN + TAG_LEN]);
            }
            URL_SAFE_NO_PAD.encode(edited)
        }),
    ];
    let header = prop_oneof![
        any::<String>(),
        sid_value.clone().prop_map(|v| format!("{NAME}={v}")),
        (sid_value, re("[a-z]{1,5}=[a-z0-9]{0,5}"), any::<bool>()).prop_map(|(v, other, first)| {
            match first {
                true => format!("{NAME}={v}; {other}"),
                false => format!("{other}; {NAME}={v}"),
            }
        }),
    ];
    let mut runner = TestRunner::new(config(1_000));
    runner
        .run(&(header, prop::bool::ANY), |(header, write)| {
            let path = if write { "/" } else { "/read" };
            let (status, body) = get(&client, path, &header);
            prop_assert_eq!(status, Status::Ok, "{:?} on {}", header, path);
            let expected = if write { ["1 true", "2 false"] } else { ["0 true", "1 false"] };
            prop_assert!(
                expected.contains(&body.as_str()),
                "{:?} on {} gave {}",
                header,
                path,
                body
            );
            if header != format!("{NAME}={genuine}") && !header.contains(&genuine) {
                prop_assert!(body.ends_with("true"), "{:?} opened as a session: {}", header, body);
            }
            Ok(())
        })
        .unwrap();
}

/// The genuine cookie among foreign cookies and up to three garbage session
/// cookies, in any order, with any spacing: the genuine session is found.
#[test]
fn a_genuine_cookie_among_duplicates_and_foreign_cookies_is_always_found() {
    let client = client();
    let res = client.get("/").dispatch();
    let set = res.headers().get_one("Set-Cookie").unwrap().to_owned();
    let genuine = set.split(';').next().unwrap().strip_prefix("sid=").unwrap().to_owned();
    let pair = |name: proptest::string::RegexGeneratorStrategy<String>| {
        (name, re("[A-Za-z0-9_%=!-]{0,80}"), re(" {0,2}"))
            .prop_map(|(n, v, pad)| format!("{pad}{n}={v}{pad}"))
    };
    // Foreign names never spell ours (a fifth `sid` would pass the cap).
    let foreign_pair = |n: String, v: String, pad: String| match n.as_str() {
        NAME => format!("{pad}sie={v}{pad}"),
        _ => format!("{pad}{n}={v}{pad}"),
    };
    let strategy = (
        prop::collection::vec(
            (re("[a-z]{1,3}|sid[a-z0-9]|x?sid_"), re("[A-Za-z0-9_%=!-]{0,80}"), re(" {0,2}"))
                .prop_map(move |(n, v, pad)| foreign_pair(n, v, pad)),
            0..20,
        ),
        prop::collection::vec(pair(re("sid")), 0..4),
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..20),
    );
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&strategy, |(foreign, mut ours, at, slots)| {
            ours.insert(at.index(ours.len() + 1), format!("{NAME}={genuine}"));
            for (cookie, slot) in foreign.into_iter().zip(slots) {
                ours.insert(slot.index(ours.len() + 1), cookie);
            }
            let header = ours.join(";");
            let (status, body) = get(&client, "/read", &header);
            prop_assert_eq!((status, body.as_str()), (Status::Ok, "1 false"), "{}", header);
            Ok(())
        })
        .unwrap();
}

fn prop_assert_genuine_works(client: &Client, genuine: &str) {
    let (status, body) = get(client, "/read", &format!("{NAME}={genuine}"));
    assert_eq!((status, body.as_str()), (Status::Ok, "1 false"));
}

// (d) Sessions cut into several cookies (`max_chunks` > 1).

/// The most pieces one session may be cut into (`seal::MAX_CHUNKS`).
const MAX_CHUNKS: usize = 16;
/// The time of the properties' clock.
const NOW: u64 = 1_700_000_000;
/// The base64url alphabet, for edits that keep a piece decodable.
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Seals `plaintext` once as a chunked value meant for `count` pieces.
fn seal_chunked(plaintext: &[u8], count: usize) -> String {
    let write = |buf: &mut Vec<u8>| {
        buf.extend_from_slice(plaintext);
        Ok::<(), ()>(())
    };
    let count = u8::try_from(count).unwrap();
    let (value, sealed) = sealer().seal_chunked(write, |_| Ok(count)).unwrap();
    assert_eq!(sealed, count);
    value
}

/// `value` cut at arbitrary points (indexes into it, in any order; equal
/// points give empty pieces): `cuts.len() + 1` pieces.
fn cut_at(value: &str, cuts: &[prop::sample::Index]) -> Vec<String> {
    let mut points: Vec<usize> = cuts.iter().map(|at| at.index(value.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for point in points {
        pieces.push(value[start..point].to_owned());
        start = point;
    }
    pieces.push(value[start..].to_owned());
    pieces
}

/// Two different positions among `n` (at least 2).
fn two(n: usize, a: prop::sample::Index, b: prop::sample::Index) -> (usize, usize) {
    let i = a.index(n);
    (i, (i + 1 + b.index(n - 1)) % n)
}

/// `text` with the character at `at` replaced by another of the base64url
/// alphabet (`text` must be non-empty base64url).
fn flip_char(text: &str, at: prop::sample::Index, to: prop::sample::Index) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let i = at.index(bytes.len());
    let was = B64.iter().position(|&c| c == bytes[i]).unwrap_or(0);
    bytes[i] = B64[(was + 1 + to.index(B64.len() - 1)) % B64.len()];
    String::from_utf8(bytes).unwrap()
}

/// One edit of a list of piece values, for `Sealer::open_chunked`.
#[derive(Debug, Clone)]
enum PieceEdit {
    /// The same text cut again at other points into as many pieces.
    Recut(Vec<prop::sample::Index>),
    /// Two neighbours joined: one piece fewer, the same text.
    Join(prop::sample::Index),
    /// One piece split in two: one piece more, the same text.
    Split(prop::sample::Index, prop::sample::Index),
    /// A piece left out.
    Drop(prop::sample::Index),
    /// A copy of a piece inserted anywhere.
    Duplicate(prop::sample::Index, prop::sample::Index),
    /// Two pieces exchanged.
    Swap(prop::sample::Index, prop::sample::Index),
    /// One character of a piece replaced by another base64url character.
    Flip(prop::sample::Index, prop::sample::Index, prop::sample::Index),
    /// A piece cut short (possibly to nothing).
    Truncate(prop::sample::Index, prop::sample::Index),
    /// An arbitrary piece inserted anywhere.
    Insert(prop::sample::Index, String),
    /// A piece replaced by the one at the same place of another seal of the
    /// same plaintext (same key, count and cut points; another nonce).
    Foreign(prop::sample::Index),
}

fn piece_edit() -> impl Strategy<Value = PieceEdit> {
    let idx = any::<prop::sample::Index>;
    prop_oneof![
        prop::collection::vec(idx(), MAX_CHUNKS + 3).prop_map(PieceEdit::Recut),
        idx().prop_map(PieceEdit::Join),
        (idx(), idx()).prop_map(|(a, b)| PieceEdit::Split(a, b)),
        idx().prop_map(PieceEdit::Drop),
        (idx(), idx()).prop_map(|(a, b)| PieceEdit::Duplicate(a, b)),
        (idx(), idx()).prop_map(|(a, b)| PieceEdit::Swap(a, b)),
        (idx(), idx(), idx()).prop_map(|(a, b, c)| PieceEdit::Flip(a, b, c)),
        (idx(), idx()).prop_map(|(a, b)| PieceEdit::Truncate(a, b)),
        (idx(), re("[A-Za-z0-9_-]{0,12}")).prop_map(|(a, s)| PieceEdit::Insert(a, s)),
        idx().prop_map(PieceEdit::Foreign),
    ]
}

fn apply_piece_edit(pieces: &mut Vec<String>, edit: &PieceEdit, foreign: &[String]) {
    let n = pieces.len();
    match edit {
        PieceEdit::Recut(cuts) if (1..=cuts.len() + 1).contains(&n) => {
            *pieces = cut_at(&pieces.concat(), &cuts[..n - 1]);
        }
        PieceEdit::Join(at) if n > 1 => {
            let i = at.index(n - 1);
            let next = pieces.remove(i + 1);
            pieces[i].push_str(&next);
        }
        PieceEdit::Split(at, point) if n > 0 => {
            let i = at.index(n);
            let point = point.index(pieces[i].len() + 1);
            let tail = pieces[i].split_off(point);
            pieces.insert(i + 1, tail);
        }
        PieceEdit::Drop(at) if n > 0 => drop(pieces.remove(at.index(n))),
        PieceEdit::Duplicate(from, to) if n > 0 => {
            let copy = pieces[from.index(n)].clone();
            pieces.insert(to.index(n + 1), copy);
        }
        PieceEdit::Swap(a, b) if n > 1 => {
            let (i, j) = two(n, *a, *b);
            pieces.swap(i, j);
        }
        PieceEdit::Flip(at, char_at, to) if n > 0 => {
            let i = at.index(n);
            if !pieces[i].is_empty() {
                pieces[i] = flip_char(&pieces[i], *char_at, *to);
            }
        }
        PieceEdit::Truncate(at, keep) if n > 0 => {
            let i = at.index(n);
            let keep = keep.index(pieces[i].len().max(1));
            pieces[i].truncate(keep);
        }
        PieceEdit::Insert(at, text) => pieces.insert(at.index(n + 1), text.clone()),
        PieceEdit::Foreign(at) if n > 0 => {
            let i = at.index(n);
            if let Some(other) = foreign.get(i) {
                pieces[i] = other.clone();
            }
        }
        _ => {}
    }
}

/// For random plaintexts, piece counts 2..=16 and cut points anywhere (not
/// only the fairing's equal cuts), then up to three edits of the piece
/// list: `open_chunked` opens exactly when the pieces still spell the
/// sealed text in order and are as many as sealed (the count is in the
/// AAD; the cut points are not sealed), and then gives the plaintext back.
/// (Pieces of another seal can spell that seal whole, when the genuine
/// pieces they join are empty: that is another genuine set.)
/// A chunked seal is no v1 cookie, a v1 seal cut into pieces no chunked
/// one, and the pieces open only for their name, and with their key also as
/// an old key.
#[test]
fn chunked_seals_open_only_as_their_pieces_in_order_and_count() {
    let mut runner = TestRunner::new(config(600));
    let strategy = (
        prop_oneof![prop::collection::vec(any::<u8>(), 0..3000), plaintext()],
        2usize..=MAX_CHUNKS,
        prop::collection::vec(any::<prop::sample::Index>(), MAX_CHUNKS),
        prop::collection::vec(piece_edit(), 0..4),
    );
    let other_name = Sealer::new(KeyRing::new(secret(), &[]).unwrap(), "other");
    let rotated =
        Sealer::new(KeyRing::new(&Secret::generate(), &[secret().clone()]).unwrap(), NAME);
    let (opened, refused) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(&strategy, |(plaintext, count, cuts, edits)| {
            let value = seal_chunked(&plaintext, count);
            let genuine = cut_at(&value, &cuts[..count - 1]);
            // Another seal of the same plaintext, cut at the same points.
            let other = seal_chunked(&plaintext, count);
            let foreign = cut_at(&other, &cuts[..count - 1]);
            let mut pieces = genuine.clone();
            for edit in &edits {
                apply_piece_edit(&mut pieces, edit, &foreign);
            }
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let result = sealer().open_chunked(&refs);
            // Foreign pieces may make up the whole other seal (all others empty).
            let spelt = pieces.concat();
            let whole = (spelt == value || spelt == other) && pieces.len() == count;
            prop_assert_eq!(result.is_ok(), whole, "{} pieces of {}: {:?}", count, value, edits);
            match result {
                Ok(open) => {
                    opened.set(opened.get() + 1);
                    prop_assert_eq!(open.plaintext(), &plaintext[..]);
                    prop_assert_eq!(open.key_id(), our_key_id());
                }
                Err(_) => refused.set(refused.get() + 1),
            }
            let refs: Vec<&str> = genuine.iter().map(String::as_str).collect();
            let old = rotated.open_chunked(&refs).unwrap();
            prop_assert_eq!((old.plaintext(), old.key_age()), (&plaintext[..], KeyAge::Old));
            prop_assert!(other_name.open_chunked(&refs).is_err(), "opened for another name");
            prop_assert!(sealer().open(&value).is_err(), "a chunked seal opened as v1");
            let single = cut_at(&sealer().seal(&plaintext), &cuts[..count - 1]);
            let refs: Vec<&str> = single.iter().map(String::as_str).collect();
            prop_assert!(sealer().open_chunked(&refs).is_err(), "a v1 seal opened in pieces");
            Ok(())
        })
        .unwrap();
    // Both outcomes are exercised.
    assert!(opened.get() > 100 && refused.get() > 250, "{opened:?} opened, {refused:?} refused");
}

/// A session whose payload is one text, set from the request body, so
/// that its size (one cookie or several) is the test's choice.
mod blob {
    use rocket::Route;
    use rocket_sealed_session::Session;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, Serialize, Deserialize)]
    pub struct Blob {
        pub text: String,
    }

    /// Sets the text if it fits; answers `"<was new> <cookies needed>"`.
    #[rocket::post("/blob", data = "<text>")]
    fn put(session: Session<'_, Blob>, text: String) -> String {
        let new = session.is_new();
        match session.try_set(Blob { text }) {
            Ok(()) => format!("{new} {}", session.cookies_needed().unwrap_or(0)),
            Err((_, err)) => format!("refused: {err}"),
        }
    }

    /// Answers `"<is new> <text>"`.
    #[rocket::get("/blob")]
    fn read(session: Session<'_, Blob>) -> String {
        format!("{} {}", session.is_new(), session.read(|b| b.text.clone()))
    }

    #[rocket::post("/blob/destroy")]
    fn destroy(session: Session<'_, Blob>) {
        session.destroy();
    }

    pub fn routes() -> Vec<Route> {
        rocket::routes![put, read, destroy]
    }
}

/// The clients of the chunk properties: `max_chunks` 2 and 16, the key of
/// `sealer()`, the clock at `NOW`.
fn chunk_clients() -> [Client; 2] {
    [2usize, MAX_CHUNKS].map(|max_chunks| {
        let figment = rocket::Config::figment()
            .merge(("session.secret", secret().to_base64()))
            .merge(("session.cookie_name", NAME))
            .merge(("session.max_chunks", max_chunks))
            .merge(("log_level", "off"));
        let rocket = rocket::custom(figment)
            .attach(Sessions::fairing().with_clock(ManualClock::new(NOW)))
            .mount("/", blob::routes());
        Client::untracked(rocket).unwrap()
    })
}

/// The name of piece `index` (`sid`, `sid.1`, ...).
fn piece_name(index: usize) -> String {
    match index {
        0 => NAME.to_owned(),
        index => format!("{NAME}.{index}"),
    }
}

/// A live envelope (issued at `NOW`) with a new id and `text` as payload.
fn blob_envelope(text: &str) -> Vec<u8> {
    static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let text = serde_json::to_string(text).unwrap();
    let exp = NOW + 3600;
    format!(r#"{{"id":"{id:022}","iat":{NOW},"exp":{exp},"seen":{NOW},"data":{{"text":{text}}}}}"#)
        .into_bytes()
}

/// A session of `text` sealed with our key as `count` cookies cut as the
/// fairing cuts them (`count` 1 is a v1 cookie), as `(name, value)` pairs.
fn sealed_set(text: &str, count: usize) -> Vec<(String, String)> {
    let envelope = blob_envelope(text);
    let value = match count {
        1 => sealer().seal(&envelope),
        count => seal_chunked(&envelope, count),
    };
    let size = value.len().div_ceil(count);
    (0..count)
        .map(|i| {
            let piece = &value[(i * size).min(value.len())..((i + 1) * size).min(value.len())];
            (piece_name(i), piece.to_owned())
        })
        .collect()
}

/// What a response sent: its status, body, and the `(name, value, whole
/// Set-Cookie)` of each cookie in order.
type Reply = (Status, String, Vec<(String, String, String)>);

/// Sends `cookies` as one `Cookie` header (also parsed into the jar, as
/// Rocket's HTTP server does), with `body` as a POST, else as a GET.
fn send(client: &Client, path: &str, cookies: &[(String, String)], body: Option<&str>) -> Reply {
    let header = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ");
    let mut req = match body {
        Some(body) => client.post(path.to_owned()).body(body),
        None => client.get(path.to_owned()),
    };
    if !cookies.is_empty() {
        req = req.header(Header::new("Cookie", header.clone()));
    }
    for part in header.split(';').map(str::trim) {
        if let Ok(cookie) = Cookie::parse_encoded(part.to_owned()) {
            req = req.cookie(cookie.into_owned());
        }
    }
    let res = req.dispatch();
    let set_cookies = res
        .headers()
        .get("Set-Cookie")
        .map(|whole| {
            let pair = whole.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned(), whole.to_owned())
        })
        .collect();
    (res.status(), res.into_string().unwrap_or_default(), set_cookies)
}

/// The live cookies among a response's `Set-Cookie`s, as `(name, value)`.
fn live_cookies(set_cookies: &[(String, String, String)]) -> Vec<(String, String)> {
    set_cookies
        .iter()
        .filter(|(_, v, _)| !v.is_empty())
        .map(|(n, v, _)| (n.clone(), v.clone()))
        .collect()
}

/// The pairs in the order given by `order` (a Fisher-Yates shuffle).
fn shuffled<T: Clone>(items: &[T], order: &[prop::sample::Index]) -> Vec<T> {
    let mut items = items.to_vec();
    for (i, at) in (1..items.len()).rev().zip(order) {
        items.swap(i, at.index(i + 1));
    }
    items
}

/// Texts of `len` ASCII letters and digits, cheaply generated (a long
/// regex-generated text costs more than the request that carries it).
fn ascii_text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    (re("[a-z0-9]{1,16}"), len)
        .prop_map(|(unit, len)| unit.repeat(len / unit.len() + 1)[..len].to_owned())
}

/// Session texts: plain ASCII, any printable ASCII (quotes and backslashes
/// grow in JSON), and non-ASCII characters; at most 5,000 bytes of JSON, so
/// that every one fits two cookies within the request-header budget.
fn blob_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ascii_text(0..4901),
        ascii_text(3000..4901),
        re("[ -~]{0,2400}"),
        re("\\PC{0,1000}"),
        (re("[a-zA-Z0-9 \"\\\\é😀]{1,50}"), 1usize..100).prop_map(|(s, n)| s.repeat(n)),
    ]
    .prop_filter("fits the request-header budget", |text| {
        serde_json::to_string(text).unwrap().len() <= 5_000
    })
}

/// Any session that fits, sealed by the fairing (one cookie or two) or cut
/// into 2..=16 cookies as the fairing would, opens to exactly what was
/// sealed, with its cookies in any order in the `Cookie` header.
#[test]
fn chunked_sessions_round_trip_with_their_pieces_in_any_order() {
    let clients = chunk_clients();
    let strategy = (
        blob_text(),
        prop_oneof![Just(None), (2usize..=MAX_CHUNKS).prop_map(Some)],
        prop::collection::vec(any::<prop::sample::Index>(), MAX_CHUNKS),
        any::<prop::sample::Index>(),
    );
    // How many sessions the fairing sealed in one cookie, and in two.
    let by_fairing = std::cell::RefCell::new([0u32; 3]);
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&strategy, |(text, hand_cut, order, client)| {
            let client = &clients[client.index(clients.len())];
            let cookies = match hand_cut {
                Some(count) => sealed_set(&text, count),
                None if text.is_empty() => {
                    // The default payload: no session, no cookie.
                    let (status, _, set_cookies) = send(client, "/blob", &[], Some(""));
                    prop_assert_eq!((status, set_cookies.len()), (Status::Ok, 0));
                    return Ok(());
                }
                None => {
                    let (status, body, set_cookies) = send(client, "/blob", &[], Some(&text));
                    prop_assert_eq!(status, Status::Ok);
                    let cookies = live_cookies(&set_cookies);
                    prop_assert_eq!(body, format!("true {}", cookies.len()), "text {:?}", text);
                    let names: Vec<String> = (0..cookies.len()).map(piece_name).collect();
                    prop_assert_eq!(
                        cookies.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
                        names
                    );
                    for (_, _, whole) in &set_cookies {
                        prop_assert!(whole.len() <= 4096, "{} bytes", whole.len());
                    }
                    prop_assert!((1..=2).contains(&cookies.len()), "{} cookies", cookies.len());
                    by_fairing.borrow_mut()[cookies.len()] += 1;
                    cookies
                }
            };
            let (status, body, set_cookies) =
                send(client, "/blob", &shuffled(&cookies, &order), None);
            prop_assert_eq!(status, Status::Ok);
            prop_assert!(
                body == format!("false {text}"),
                "{} cookies gave {:.80}",
                cookies.len(),
                body
            );
            prop_assert!(set_cookies.is_empty(), "a read sent {:?}", set_cookies);
            Ok(())
        })
        .unwrap();
    // The fairing both kept sessions in one cookie and cut them in two.
    let [_, one, two] = by_fairing.into_inner();
    assert!(one > 20 && two > 20, "the fairing sealed {one} in one cookie, {two} in two");
}

/// One edit of the cookies a client sends for a session cut into pieces.
#[derive(Debug, Clone)]
enum SetEdit {
    /// A piece left out.
    Drop(prop::sample::Index),
    /// A piece's value sent under another piece's name instead of its own.
    CopyOver(prop::sample::Index, prop::sample::Index),
    /// A piece's value sent again under the next piece name (`sid.<count>`).
    CopyAfter(prop::sample::Index),
    /// A piece's value sent as a second value of another piece's name
    /// (`sid.1` and up: two values of one piece name are ambiguous).
    Second(prop::sample::Index, prop::sample::Index),
    /// A later piece's value sent as a second value of `sid`: another
    /// candidate, which does not open, so the session does.
    SecondFirst(prop::sample::Index),
    /// The values of two pieces exchanged.
    Swap(prop::sample::Index, prop::sample::Index),
    /// One character of a piece replaced by another base64url character.
    Flip(prop::sample::Index, prop::sample::Index, prop::sample::Index),
    /// A piece cut short (possibly to nothing).
    Truncate(prop::sample::Index, prop::sample::Index),
    /// One piece split in two, the later pieces renumbered: the same text
    /// in one piece more.
    Split(prop::sample::Index, prop::sample::Index),
    /// Two neighbours joined, the later pieces renumbered: the same text in
    /// one piece fewer.
    Join(prop::sample::Index),
    /// An arbitrary value under the next piece name (`sid.<count>`).
    Extra(String),
    /// A piece replaced by the same piece of another session sealed with
    /// the same key into as many pieces.
    Foreign(prop::sample::Index),
    /// An arbitrary value under a piece name past a gap (`sid.<count + gap>`,
    /// `gap` > 0): not part of the session, which opens as sealed (pieces
    /// are read up to the first name the request does not carry).
    Stray(usize, String),
}

fn set_edit() -> impl Strategy<Value = SetEdit> {
    let idx = any::<prop::sample::Index>;
    let junk = || prop_oneof![re("[A-Za-z0-9_-]{0,40}"), re("[A-Za-z0-9_-]{2000,2100}")];
    prop_oneof![
        idx().prop_map(SetEdit::Drop),
        (idx(), idx()).prop_map(|(a, b)| SetEdit::CopyOver(a, b)),
        idx().prop_map(SetEdit::CopyAfter),
        (idx(), idx()).prop_map(|(a, b)| SetEdit::Second(a, b)),
        idx().prop_map(SetEdit::SecondFirst),
        (idx(), idx()).prop_map(|(a, b)| SetEdit::Swap(a, b)),
        (idx(), idx(), idx()).prop_map(|(a, b, c)| SetEdit::Flip(a, b, c)),
        (idx(), idx()).prop_map(|(a, b)| SetEdit::Truncate(a, b)),
        (idx(), idx()).prop_map(|(a, b)| SetEdit::Split(a, b)),
        idx().prop_map(SetEdit::Join),
        junk().prop_map(SetEdit::Extra),
        idx().prop_map(SetEdit::Foreign),
        (1usize..4, junk()).prop_map(|(gap, v)| SetEdit::Stray(gap, v)),
    ]
}

/// Applies `edit` to a genuine set of at least two pieces; returns whether
/// the set still carries the genuine session: with a stray past a gap, a
/// second `sid` value, or a piece name past the last one read (`sid.16`).
fn apply_set_edit(
    cookies: &mut Vec<(String, String)>,
    edit: &SetEdit,
    foreign: &[(String, String)],
) -> bool {
    let n = cookies.len();
    match edit {
        SetEdit::Drop(at) => drop(cookies.remove(at.index(n))),
        SetEdit::CopyOver(a, b) => {
            let (i, j) = two(n, *a, *b);
            cookies[j].1 = cookies[i].1.clone();
        }
        SetEdit::CopyAfter(at) => {
            cookies.push((piece_name(n), cookies[at.index(n)].1.clone()));
            return n >= MAX_CHUNKS;
        }
        SetEdit::Second(a, b) => {
            let j = 1 + b.index(n - 1);
            let i = (j + 1 + a.index(n - 1)) % n;
            cookies.push((cookies[j].0.clone(), cookies[i].1.clone()));
        }
        SetEdit::SecondFirst(at) => {
            cookies.push((piece_name(0), cookies[1 + at.index(n - 1)].1.clone()));
            return true;
        }
        SetEdit::Swap(a, b) => {
            let (i, j) = two(n, *a, *b);
            let value = std::mem::take(&mut cookies[i].1);
            cookies[i].1 = std::mem::replace(&mut cookies[j].1, value);
        }
        SetEdit::Flip(at, char_at, to) => {
            let i = at.index(n);
            cookies[i].1 = flip_char(&cookies[i].1, *char_at, *to);
        }
        SetEdit::Truncate(at, keep) => {
            let i = at.index(n);
            let keep = keep.index(cookies[i].1.len());
            cookies[i].1.truncate(keep);
        }
        SetEdit::Split(at, point) if n < MAX_CHUNKS => {
            let i = at.index(n);
            let point = point.index(cookies[i].1.len() + 1);
            let tail = cookies[i].1.split_off(point);
            cookies.insert(i + 1, (String::new(), tail));
            cookies.iter_mut().enumerate().for_each(|(k, c)| c.0 = piece_name(k));
        }
        // Sixteen pieces are joined instead of split: a 17th is not read.
        SetEdit::Join(at) | SetEdit::Split(at, _) => {
            let i = at.index(n - 1);
            let (_, next) = cookies.remove(i + 1);
            cookies[i].1.push_str(&next);
            cookies.iter_mut().enumerate().for_each(|(k, c)| c.0 = piece_name(k));
        }
        SetEdit::Extra(value) => {
            cookies.push((piece_name(n), value.clone()));
            return n >= MAX_CHUNKS;
        }
        SetEdit::Foreign(at) => {
            let i = at.index(n);
            cookies[i].1 = foreign[i].1.clone();
        }
        SetEdit::Stray(gap, value) => {
            cookies.push((piece_name(n + gap), value.clone()));
            return true;
        }
    }
    false
}

/// A session cut into pieces (two by the fairing, or 2..=16 cut as the
/// fairing would), with one piece dropped, copied over another, sent again
/// under the next name or as a second value of a name, two pieces swapped,
/// a character flipped, a piece truncated, the same text re-cut into one
/// piece more or fewer, an extra next piece, or a piece of another session
/// of the same key: a read is a 200 with a fresh, empty
/// session (never the sealed text, whole or cut short), and so is a write.
/// A value under a piece name past a gap is not part of the session: it
/// opens as sealed.
#[test]
fn any_edit_of_a_piece_set_gives_a_fresh_session_and_a_200() {
    let clients = chunk_clients();
    let strategy = (
        ascii_text(64..3001),
        prop_oneof![Just(None), (2usize..=MAX_CHUNKS).prop_map(Some)],
        set_edit(),
        prop::collection::vec(any::<prop::sample::Index>(), MAX_CHUNKS + 2),
        any::<prop::sample::Index>(),
    );
    // The fairing cuts only a session past one cookie: pad the text.
    let big = |text: &str| format!("{text:x<4200}");
    let fresh = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&strategy, |(text, hand_cut, edit, order, client)| {
            let client = &clients[client.index(clients.len())];
            let (text, genuine, foreign) = match hand_cut {
                Some(count) => (text.clone(), sealed_set(&text, count), sealed_set(&text, count)),
                None => {
                    let text = big(&text);
                    let sealed =
                        |text: &str| live_cookies(&send(client, "/blob", &[], Some(text)).2);
                    let (genuine, foreign) = (sealed(&text), sealed(&text));
                    prop_assert_eq!((genuine.len(), foreign.len()), (2, 2));
                    (text, genuine, foreign)
                }
            };
            // At least 64 characters of text: no empty piece, even in 16.
            prop_assert!(genuine.iter().all(|(_, v)| !v.is_empty()), "{:?}", genuine);
            let mut cookies = genuine.clone();
            let still_genuine = apply_set_edit(&mut cookies, &edit, &foreign);
            prop_assert_ne!(&cookies, &genuine);
            let cookies = shuffled(&cookies, &order);
            let (status, body, _) = send(client, "/blob", &cookies, None);
            prop_assert_eq!(status, Status::Ok, "{:?}", edit);
            if still_genuine {
                prop_assert!(body == format!("false {text}"), "{:?} gave {:.80}", edit, body);
            } else {
                fresh.set(fresh.get() + 1);
                prop_assert_eq!(body, "true ", "{:?} of {} pieces", edit, genuine.len());
            }
            let (status, body, set_cookies) = send(client, "/blob", &cookies, Some("w"));
            prop_assert_eq!(status, Status::Ok, "{:?}", edit);
            prop_assert_eq!(body, format!("{} 1", !still_genuine), "{:?}", edit);
            prop_assert_eq!(live_cookies(&set_cookies).len(), 1);
            Ok(())
        })
        .unwrap();
    // About six in seven edits are of the session itself.
    assert!(fresh.get() > 200, "only {} of 300 edits broke the session", fresh.get());
}

/// What a request does to a session it sent in `count` cookies.
#[derive(Debug, Clone)]
enum Resize {
    /// Sets a text that takes one or two cookies.
    Set(String),
    /// Sets the empty payload: the session is removed.
    Empty,
    /// `Session::destroy`.
    Destroy,
}

/// A session sent as 1..=16 cookies (cut as the fairing would, or by the
/// fairing itself), plus stray piece names past a gap (`sid.<k>`, up to
/// `sid.19`), is set to a text of one or two cookies, emptied or
/// destroyed: the response sets exactly the cookies the new session takes
/// (`sid`, `sid.1`, ...), removes exactly the piece names the request sent
/// that these no longer use (`sid.1` to `sid.15`: the names read as pieces;
/// `sid` too when the session goes), and the client's cookies after the
/// response open to the new session (or to none).
#[test]
fn resizing_a_chunked_session_removes_exactly_the_pieces_no_longer_used() {
    let clients = chunk_clients();
    let strategy = (
        prop_oneof![
            (ascii_text(0..3001), 1usize..=MAX_CHUNKS).prop_map(|(t, n)| (t, Some(n))),
            ascii_text(1..4901).prop_map(|t| (t, None)),
        ],
        prop::collection::vec(1usize..5, 0..3),
        prop_oneof![
            4 => ascii_text(1..4901).prop_map(Resize::Set),
            1 => Just(Resize::Empty),
            1 => Just(Resize::Destroy),
        ],
        prop::collection::vec(any::<prop::sample::Index>(), MAX_CHUNKS + 4),
        any::<prop::sample::Index>(),
    );
    let moves = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&strategy, |((text, hand_cut), gaps, resize, order, client)| {
            let client = &clients[client.index(clients.len())];
            let mut sent = match hand_cut {
                Some(count) => sealed_set(&text, count),
                None => live_cookies(&send(client, "/blob", &[], Some(&text)).2),
            };
            let count = sent.len();
            // Strays past a gap: not read as pieces, so the session still opens.
            let mut next = count;
            for gap in gaps {
                next += gap;
                sent.push((piece_name(next), "c3RyYXk".to_owned()));
            }
            let (status, body, set_cookies) = match &resize {
                Resize::Set(text) => send(client, "/blob", &shuffled(&sent, &order), Some(text)),
                Resize::Empty => send(client, "/blob", &shuffled(&sent, &order), Some("")),
                Resize::Destroy => {
                    send(client, "/blob/destroy", &shuffled(&sent, &order), Some(""))
                }
            };
            prop_assert_eq!(status, Status::Ok, "{:?}", resize);
            let live = live_cookies(&set_cookies);
            let removed: Vec<String> = set_cookies
                .iter()
                .filter(|(_, v, _)| v.is_empty())
                .map(|(n, _, _)| n.clone())
                .collect();
            for (_, value, whole) in &set_cookies {
                prop_assert_eq!(value.is_empty(), whole.contains("Max-Age=0"), "{}", whole);
            }
            let used = match &resize {
                Resize::Set(_) => {
                    let used: usize =
                        body.strip_prefix("false ").and_then(|n| n.parse().ok()).unwrap_or(0);
                    prop_assert!((1..=2).contains(&used), "set gave {}", body);
                    used
                }
                _ => 0,
            };
            moves.borrow_mut().insert((count, used));
            let names: Vec<String> = (0..used).map(piece_name).collect();
            prop_assert_eq!(live.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), names);
            let sent_pieces =
                (1..MAX_CHUNKS).filter(|&k| sent.iter().any(|(n, _)| *n == piece_name(k)));
            let expected: Vec<String> = (used == 0)
                .then(|| piece_name(0))
                .into_iter()
                .chain(sent_pieces.filter(|&k| k >= used).map(piece_name))
                .collect();
            prop_assert_eq!(&removed, &expected, "{} cookies to {:?}", count, resize);
            // The client's cookies afterwards: the new session, or none.
            let mut jar = sent.clone();
            for (name, value, _) in &set_cookies {
                jar.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    jar.push((name.clone(), value.clone()));
                }
            }
            let (status, body, _) = send(client, "/blob", &shuffled(&jar, &order), None);
            prop_assert_eq!(status, Status::Ok);
            match &resize {
                Resize::Set(text) => prop_assert!(body == format!("false {text}"), "{:.80}", body),
                _ => prop_assert_eq!(body, "true "),
            }
            Ok(())
        })
        .unwrap();
    // Shrinking from several cookies to one, and growing from one to two, happened.
    let moves = moves.into_inner();
    assert!(moves.contains(&(2, 1)) && moves.contains(&(1, 2)), "{moves:?}");
}
