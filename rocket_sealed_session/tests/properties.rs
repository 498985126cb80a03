//! Property tests of the open path: `Sealer::open` never panics and accepts
//! nothing but genuine cookies, and no `Cookie` header turns a request into
//! a 5xx.
//!
//! Case counts are explicit (about 12,600 in total per run; the RNG seed is
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
