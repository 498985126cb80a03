//! Fuzz target: arbitrary bytes as a cookie value through `Sealer::open`.
//!
//! The sealer uses the fixed secret of the v1 test vector (bytes 0x00..0x1f),
//! so the committed seed `seeds/open/v1_cookie` is a genuine cookie for it and
//! the fuzzer mutates a real cookie. The oracle: nothing panics, and the only
//! input that opens is that genuine cookie itself; anything else opening is an
//! accepted forgery and aborts the run.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use rocket_sealed_session::Secret;
use rocket_sealed_session::sealing::{KeyRing, Sealer};

/// The genuine v1 cookie (tests/vectors/v1_cookie.txt) for the fixed secret.
const GENUINE: &str = include_str!("../../tests/vectors/v1_cookie.txt");

fn sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| {
        let secret: Vec<u8> = (0u8..32).collect();
        let ring = KeyRing::new(&Secret::from_bytes_unchecked(&secret), &[]).unwrap();
        Sealer::new(ring, "sid")
    })
}

fuzz_target!(|data: &[u8]| {
    let sealer = sealer();
    let genuine = GENUINE.trim();

    // 1. The bytes as the cookie text, as Rocket would hand it over (only
    //    UTF-8 reaches the library; lossy conversion covers the rest too).
    let text = String::from_utf8_lossy(data);
    if sealer.open(&text).is_ok() {
        assert_eq!(text, genuine, "a forged cookie text opened");
    }

    // 2. The bytes as the decoded cookie: behind the version byte and our key
    //    id, so that the AEAD itself has to refuse them.
    let mut raw = vec![0x01];
    raw.extend_from_slice(&sealer.ring().current().id());
    raw.extend_from_slice(data);
    let value = URL_SAFE_NO_PAD.encode(&raw);
    if sealer.open(&value).is_ok() {
        assert_eq!(value, genuine, "forged cookie bytes opened");
    }

    // 3. The bytes as the decoded cookie, verbatim.
    let value = URL_SAFE_NO_PAD.encode(data);
    if sealer.open(&value).is_ok() {
        assert_eq!(value, genuine, "forged cookie bytes opened");
    }
});
