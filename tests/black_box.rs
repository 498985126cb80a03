//! A black-box run against the demo binary in the release profile: every
//! kind of bad cookie (tampered, truncated, foreign, expired, retired key,
//! oversized, garbage) yields a fresh session with 200, never a 5xx.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use sealed_session::session::{KeyRing, Sealer, Secret};

const NAME: &str = "__Host-sid";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Seals an envelope exactly as a server holding `secret` would.
fn forge_with_key(secret: &str, iat: u64, exp: u64, views: u64) -> String {
    let ring = KeyRing::new(&Secret::from_base64(secret).expect("a good secret"), &[])
        .expect("a key ring");
    let envelope = format!(
        r#"{{"id":"AAAAAAAAAAAAAAAAAAAAAA","iat":{iat},"exp":{exp},"seen":{iat},"data":{{"views":{views}}}}}"#
    );
    Sealer::new(ring, NAME).seal(envelope.as_bytes())
}

#[test]
fn the_release_binary_turns_every_bad_cookie_into_a_fresh_session() {
    let (secret, retired) = (secret(), secret());
    let server = Server::start(&[("ROCKET_PROFILE", "release"), ("SESSION_SECRET", &secret)]);

    let first = server.get("/", None);
    assert_eq!(first.status, 200);
    let genuine = first.set_cookie_for(NAME).expect("a session cookie");
    let genuine = cookie_value(genuine).to_owned();
    let cookie = |value: &str| format!("{NAME}={value}");

    let on_time = forge_with_key(&secret, now() - 10, now() + 3600, 41);
    let second = server.get("/", Some(&cookie(&on_time)));
    assert_eq!(views_in(&second.body), Some(42), "a cookie sealed with the key opens");

    let mut tampered = genuine.clone().into_bytes();
    tampered[genuine.len() / 2] ^= 0x01;
    let tampered = String::from_utf8(tampered).unwrap_or_default();
    let bad_cookies = [
        ("tampered", cookie(&tampered)),
        ("truncated", cookie(&genuine[..genuine.len() - 5])),
        ("foreign name", format!("sid={genuine}")),
        ("foreign secret", cookie(&forge_with_key(&common::secret(), now(), now() + 60, 7))),
        ("expired", cookie(&forge_with_key(&secret, now() - 7200, now() - 3600, 7))),
        ("issued in the future", cookie(&forge_with_key(&secret, now() + 600, now() + 3600, 7))),
        ("retired key", cookie(&forge_with_key(&retired, now(), now() + 60, 7))),
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
