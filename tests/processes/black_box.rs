//! A black-box run against the demo binary in the release profile: every
//! kind of bad cookie (tampered, truncated, foreign, expired, retired key,
//! oversized, garbage) yields a fresh session with 200, never a 5xx.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket_sealed_session::sealing::{KeyRing, Sealer};
use rocket_sealed_session::Secret;

const NAME: &str = "__Host-sid";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Seals an envelope exactly as a server holding `secret` would, for a
/// cookie named `name`.
fn forge(secret: &str, name: &str, iat: u64, exp: u64, views: u64) -> String {
    let ring = KeyRing::new(&Secret::from_base64(secret).expect("a good secret"), &[])
        .expect("a key ring");
    let envelope = format!(
        r#"{{"id":"AAAAAAAAAAAAAAAAAAAAAA","iat":{iat},"exp":{exp},"seen":{iat},"data":{{"views":{views}}}}}"#
    );
    Sealer::new(ring, name).seal(envelope.as_bytes())
}

/// [`forge`] for this server's cookie name.
fn forge_with_key(secret: &str, iat: u64, exp: u64, views: u64) -> String {
    forge(secret, NAME, iat, exp, views)
}

/// The cookie value with one bit of the sealed byte at `index` flipped
/// (key id intact), still well-formed base64url.
fn flip_bit(value: &str, index: usize) -> String {
    let mut raw = URL_SAFE_NO_PAD.decode(value).expect("a sealed value is base64url");
    raw[index] ^= 0x01;
    URL_SAFE_NO_PAD.encode(raw)
}

#[test]
fn the_release_binary_turns_every_bad_cookie_into_a_fresh_session() {
    let (secret, retired) = (secret(), secret());
    let release = [("ROCKET_PROFILE", "release"), ("SESSION_SECRET", secret.as_str())];
    let server = Server::start(&release);

    let first = server.get("/", None);
    assert_eq!(first.status, 200);
    let genuine = first.cookie_value_for(NAME).expect("a session cookie");
    let cookie = |value: &str| format!("{NAME}={value}");

    let on_time = forge_with_key(&secret, now() - 10, now() + 3600, 41);
    let second = server.get("/", Some(&cookie(&on_time)));
    assert_eq!(views_in(&second.body), Some(42), "a cookie sealed with the key opens");

    // A retired key: a cookie sealed with `retired` opens while `retired`
    // is listed in old_secrets (the same deployment, before the secret was
    // dropped), and no longer on `server`, which no longer lists it.
    let by_retired = forge_with_key(&retired, now() - 10, now() + 3600, 7);
    let before_removal = Server::start(&[
        ("ROCKET_PROFILE", "release"),
        ("SESSION_SECRET", secret.as_str()),
        ("SESSION_OLD_SECRETS", retired.as_str()),
    ]);
    let opened = before_removal.get("/", Some(&cookie(&by_retired)));
    assert_eq!(views_in(&opened.body), Some(8), "opens while the key is an old secret");
    drop(before_removal);

    // Sealed with the right key, for another cookie name, sent under ours.
    let for_other_name = forge(&secret, "sid", now() - 10, now() + 3600, 7);
    let last = genuine.len() * 3 / 4 - 1; // the last sealed byte: the tag's
    let bad_cookies = [
        ("tampered ciphertext", cookie(&flip_bit(&genuine, 29))),
        ("tampered tag", cookie(&flip_bit(&genuine, last))),
        ("truncated", cookie(&genuine[..genuine.len() - 5])),
        ("foreign name", cookie(&for_other_name)),
        ("foreign secret", cookie(&forge_with_key(&crate::common::secret(), now(), now() + 60, 7))),
        ("expired", cookie(&forge_with_key(&secret, now() - 7200, now() - 3600, 7))),
        ("issued in the future", cookie(&forge_with_key(&secret, now() + 600, now() + 3600, 7))),
        ("retired key", cookie(&by_retired)),
        ("oversized", cookie(&"A".repeat(9000))),
        ("garbage", cookie("%%%not-base64%%%")),
        ("empty", cookie("")),
    ];
    for (what, header) in bad_cookies {
        let response = server.get("/", Some(&header));
        assert_eq!(response.status, 200, "{what}: {response:?}");
        assert_eq!(views_in(&response.body), Some(1), "{what} gives a fresh session");
        assert!(response.set_cookie_for(NAME).is_some(), "{what}: the new session is sealed");
    }
}
