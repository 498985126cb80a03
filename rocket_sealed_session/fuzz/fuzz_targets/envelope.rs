//! Fuzz target: arbitrary bytes as the *plaintext* of a genuinely sealed
//! cookie, sent through the whole request path of a small rocket (the
//! `Session` guard's envelope JSON parse, deadline checks, payload decode,
//! and the fairing's re-seal). This is what a cookie sealed by an older
//! version of the app, or by anyone holding the key, can make the server
//! parse. The oracle: no panic, and every response is a 200.
//!
//! The bytes are also parsed straight into the public `Meta` (the envelope
//! without its payload) with `serde_json`, as the guard does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocket::http::{Cookie, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::{Meta, Secret, Session, Sessions};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::sealing::{KeyRing, Sealer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    n: u64,
    #[serde(default)]
    tags: Vec<String>,
}

#[get("/")]
fn increment(session: Session<'_, Counter>) -> String {
    session.update(|c| {
        c.n = c.n.wrapping_add(1);
        c.n.to_string()
    })
}

#[get("/read")]
fn read(session: Session<'_, Counter>) -> String {
    session.read(|c| c.n.to_string())
}

struct Harness {
    client: Client,
    sealer: Sealer,
}

fn harness() -> Harness {
    let secret = Secret::generate();
    let figment = rocket::Config::figment()
        .merge(("session.secret", secret.to_base64()))
        .merge(("session.cookie_name", "sid"))
        .merge(("session.idle_timeout", 600))
        .merge(("log_level", "off"));
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(ManualClock::new(1_700_000_000)))
        .mount("/", routes![increment, read]);
    let client = Client::untracked(rocket).expect("the fuzz rocket ignites");
    let sealer = Sealer::new(KeyRing::new(&secret, &[]).unwrap(), "sid");
    Harness { client, sealer }
}

thread_local! {
    static HARNESS: Harness = harness();
}

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Meta>(data);
    HARNESS.with(|h| {
        let value = h.sealer.seal(data);
        for path in ["/", "/read"] {
            let res = h.client.get(path).cookie(Cookie::new("sid", value.clone())).dispatch();
            assert_eq!(res.status(), Status::Ok, "{path}");
        }
    });
});
