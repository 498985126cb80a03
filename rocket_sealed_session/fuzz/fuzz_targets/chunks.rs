//! Fuzz target: arbitrary bytes as the pieces of a session cut into several
//! cookies (`max_chunks` > 1), through `Sealer::open_chunked` and through
//! the whole request path (`sid`, `sid.1`, ... in a `Cookie` header).
//!
//! The input is read three ways:
//!
//! 1. split on `\n` into piece values (any number of them, so counts past
//!    16 are tried too), for `open_chunked` and, as `sid=..; sid.1=..; ..`,
//!    for a small rocket with `max_chunks` 16: a read route, then a write
//!    route (a new seal, in pieces, and removals of the piece names sent)
//!    when the read opened a session or the input starts with a multiple
//!    of 4 (a request costs more than all the rest: one in four inputs
//!    pays for a second one);
//! 2. the first byte as a piece count (0 to 17), the rest as the cookie
//!    text, cut into that many pieces as the fairing cuts;
//! 3. the first byte as a piece count, the rest as the decoded bytes behind
//!    the chunked version byte and our key id (so the AEAD itself has to
//!    refuse them), base64url, cut the same way;
//! 4. the first byte as the choice of a genuine seed, the rest as edits of
//!    its pieces, three bytes each (an empty piece inserted, a piece split,
//!    two joined, one dropped, duplicated, swapped, a character changed, a
//!    piece truncated, a piece of another seed inserted, a cut point
//!    moved), for `open_chunked`: the near misses a random mutation of the
//!    seed text rarely makes.
//!
//! The key is the fixed fuzz key of `chunks_fixture.rs`, so the committed
//! seeds `seeds/chunks/genuine_*` (one piece per line, written by `cargo
//! run --example chunk_seeds`) are genuine sessions. The oracle: nothing
//! panics; every response is a 200; `open_chunked` opens only those seeds'
//! piece sets (the same text cut into the same number of pieces: the cut
//! points are not sealed) and then gives their plaintext; a request opens
//! only one of their payloads. Each seed is checked to open at start-up.
#![no_main]

mod chunks_fixture;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chunks_fixture as fixture;
use libfuzzer_sys::fuzz_target;
use rocket::http::{Header, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::sealing::Sealer;
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Session, Sessions};
use serde_json::Value;

/// The genuine piece sets, one piece per line.
const SEEDS: [&str; 4] = [
    include_str!("../seeds/chunks/genuine_2"),
    include_str!("../seeds/chunks/genuine_3"),
    include_str!("../seeds/chunks/genuine_3_uneven"),
    include_str!("../seeds/chunks/genuine_16"),
];

/// Answers `new`, or the payload as JSON.
#[get("/read")]
fn read(session: Session<'_, Value>) -> String {
    match session.is_new() {
        true => "new".to_owned(),
        false => session.read(Value::to_string),
    }
}

/// Changes the payload (so it is sealed again, in one or more cookies).
#[get("/write")]
fn write(session: Session<'_, Value>) -> &'static str {
    session.update(|v| match v.as_object_mut() {
        Some(object) => drop(object.insert("written".into(), true.into())),
        None => *v = serde_json::json!({ "written": true }),
    });
    "ok"
}

/// A genuine piece set: its pieces, text, number of pieces and plaintext.
struct Genuine {
    pieces: Vec<String>,
    whole: String,
    count: usize,
    plaintext: Vec<u8>,
    data: Value,
}

struct Harness {
    sealer: Sealer,
    key_id: [u8; 4],
    genuine: Vec<Genuine>,
    client: Client,
}

fn harness() -> Harness {
    let sealer = fixture::sealer();
    let key_id = sealer.ring().current().id();
    let figment = rocket::Config::figment()
        .merge(("session.secret", fixture::SECRET))
        .merge(("session.cookie_name", fixture::NAME))
        .merge(("session.max_chunks", 16))
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(ManualClock::new(fixture::ISSUED + 60)))
        .mount("/", routes![read, write]);
    let client = Client::untracked(rocket).expect("the fuzz rocket ignites");
    let genuine = SEEDS
        .iter()
        .map(|seed| {
            let pieces: Vec<&str> = seed.trim_end().split('\n').collect();
            let opened = sealer.open_chunked(&pieces).expect("a genuine seed opens");
            let plaintext = opened.plaintext().to_vec();
            let envelope: Value = serde_json::from_slice(&plaintext).unwrap();
            let genuine = Genuine {
                pieces: pieces.iter().map(|p| p.to_string()).collect(),
                whole: pieces.concat(),
                count: pieces.len(),
                plaintext,
                data: envelope["data"].clone(),
            };
            let body = request(&client, &pieces, "/read");
            let opened: Value = serde_json::from_str(&body).expect("a genuine seed opens");
            assert_eq!(opened, genuine.data, "a genuine seed opens to its payload");
            genuine
        })
        .collect();
    Harness { sealer, key_id, genuine, client }
}

thread_local! {
    static HARNESS: Harness = harness();
}

/// Sends `pieces` as `sid`, `sid.1`, ... in one `Cookie` header; a 200.
fn request(client: &Client, pieces: &[&str], path: &str) -> String {
    let header: Vec<String> = pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| format!("{}={piece}", fixture::piece_name(i)))
        .collect();
    let res = client.get(path).header(Header::new("Cookie", header.join("; "))).dispatch();
    assert_eq!(res.status(), Status::Ok, "{path}");
    res.into_string().unwrap_or_default()
}

impl Harness {
    /// `open_chunked` opens `pieces` only if they are a genuine set.
    fn check(&self, pieces: &[&str]) {
        if let Ok(opened) = self.sealer.open_chunked(pieces) {
            let whole = pieces.concat();
            let genuine = self
                .genuine
                .iter()
                .find(|g| g.whole == whole && g.count == pieces.len())
                .expect("a forged piece set opened");
            assert_eq!(opened.plaintext(), &genuine.plaintext[..]);
        }
    }

    /// A genuine seed's pieces after the edits in `script`, three bytes
    /// each: what to do, where, and how far or with what.
    fn edited(&self, seed: u8, script: &[u8]) -> Vec<String> {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut pieces = self.genuine[usize::from(seed) % self.genuine.len()].pieces.clone();
        for edit in script.chunks_exact(3) {
            let (op, a, b) = (edit[0], usize::from(edit[1]), usize::from(edit[2]));
            let n = pieces.len();
            // A position within a piece of `len` characters, from a byte.
            let at = |len: usize| len * b / 255;
            match op % 10 {
                0 => pieces.insert(a % (n + 1), String::new()),
                1 if n > 0 => {
                    let i = a % n;
                    let point = at(pieces[i].len());
                    let tail = pieces[i].split_off(point);
                    pieces.insert(i + 1, tail);
                }
                2 if n > 1 => {
                    let next = pieces.remove(a % (n - 1) + 1);
                    pieces[a % (n - 1)].push_str(&next);
                }
                3 if n > 0 => drop(pieces.remove(a % n)),
                4 if n > 0 => pieces.insert(b % (n + 1), pieces[a % n].clone()),
                5 if n > 0 => pieces.swap(a % n, b % n),
                6 if n > 0 && !pieces[a % n].is_empty() => {
                    let piece = &mut pieces[a % n];
                    let i = at(piece.len() - 1);
                    let c = B64[(usize::from(piece.as_bytes()[i]) + 1 + b) % B64.len()];
                    piece.replace_range(i..=i, std::str::from_utf8(&[c]).unwrap());
                }
                7 if n > 0 => {
                    let i = a % n;
                    let keep = at(pieces[i].len());
                    pieces[i].truncate(keep);
                }
                8 => {
                    let other = &self.genuine[b % self.genuine.len()].pieces;
                    pieces.insert(a % (n + 1), other[a % other.len()].clone());
                }
                9 if n > 1 => {
                    // Moves the cut between pieces i and i + 1 (same text, same count).
                    let i = a % (n - 1);
                    let mut both = pieces[i].clone() + &pieces[i + 1];
                    let tail = both.split_off(at(both.len()));
                    (pieces[i], pieces[i + 1]) = (both, tail);
                }
                _ => {}
            }
        }
        pieces
    }

    /// The request path opens `pieces` only to a genuine payload; a write
    /// (when asked, or after a session opened) is a 200 too.
    fn check_request(&self, pieces: &[&str], write: bool) {
        let body = request(&self.client, pieces, "/read");
        let opened = body != "new";
        if opened {
            let opened: Value = serde_json::from_str(&body).expect("the payload is JSON");
            assert!(self.genuine.iter().any(|g| g.data == opened), "a forged session opened");
        }
        if write || opened {
            request(&self.client, pieces, "/write");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| {
        // 1. Piece values, one per line.
        let texts: Vec<String> =
            data.split(|b| *b == b'\n').map(|p| String::from_utf8_lossy(p).into_owned()).collect();
        let pieces: Vec<&str> = texts.iter().map(String::as_str).collect();
        h.check(&pieces);
        h.check_request(&pieces, data.first().is_some_and(|b| b % 4 == 0));

        let Some((&count, rest)) = data.split_first() else { return };
        let count = usize::from(count % 18);
        // 2. A piece count, then the text to cut.
        let cut = fixture::cut(rest, count);
        h.check(&cut.iter().map(String::as_str).collect::<Vec<_>>());
        // 3. A piece count, then decoded bytes behind version 2 and our key id.
        let mut raw = vec![0x02];
        raw.extend_from_slice(&h.key_id);
        raw.extend_from_slice(rest);
        let cut = fixture::cut(URL_SAFE_NO_PAD.encode(&raw).as_bytes(), count);
        h.check(&cut.iter().map(String::as_str).collect::<Vec<_>>());
        // 4. A genuine seed, edited.
        let edited = h.edited(data[0], rest);
        h.check(&edited.iter().map(String::as_str).collect::<Vec<_>>());
    });
});
