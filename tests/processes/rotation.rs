//! Key rotation: `secret` seals, `old_secrets` only open, a cookie opened
//! by an old key is re-sealed with the current key in the same response,
//! and a retired key opens nothing. Ends with DESIGN.md's three-phase fleet
//! procedure on real processes.

use crate::common::*;
use rocket::http::Cookie;
use rocket::local::blocking::Client;

fn demo(secret: &str, old: &[&str]) -> Client {
    let figment = figment("debug", secret).merge(("session.old_secrets", old));
    Client::untracked(sealed_session_demo::app::rocket().configure(figment)).expect("launches")
}

fn visit(client: &Client, cookie: Option<&str>) -> (Option<u64>, Option<String>) {
    let mut request = client.get("/");
    if let Some(value) = cookie {
        request = request.cookie(Cookie::new("sid", value.to_owned()));
    }
    let response = request.dispatch();
    let set = set_cookie_for(&response, "sid").map(|c| cookie_value(&c).to_owned());
    (views_in(&response.into_string().unwrap_or_default()), set)
}

#[test]
fn an_old_key_opens_and_the_response_reseals_with_the_current_key() {
    let (a, b) = (secret(), secret());
    let (_, sealed_by_a) = visit(&demo(&a, &[]), None);
    let rotated = demo(&b, &[&a]);
    let read_only = rotated
        .get("/api/session")
        .cookie(Cookie::new("sid", sealed_by_a.clone().unwrap_or_default()))
        .dispatch();
    let resealed = set_cookie_for(&read_only, "sid").expect("re-sealed even on a read-only route");
    let resealed = cookie_value(&resealed).to_owned();
    let json: serde_json::Value = read_only.into_json().expect("json");
    assert_eq!(json["views"], 1);

    let (views, _) = visit(&demo(&b, &[]), Some(&resealed));
    assert_eq!(views, Some(2), "the re-sealed cookie opens with the new key alone");
}

#[test]
fn a_retired_key_opens_nothing() {
    let (a, b) = (secret(), secret());
    let (_, sealed_by_a) = visit(&demo(&a, &[]), None);
    let (views, _) = visit(&demo(&b, &[]), sealed_by_a.as_deref());
    assert_eq!(views, Some(1));
}

#[test]
fn a_current_key_cookie_is_not_resealed_on_a_read_only_route() {
    let (a, b) = (secret(), secret());
    let (_, sealed_by_b) = visit(&demo(&b, &[&a]), None);
    let client = demo(&b, &[&a]);
    let response = client
        .get("/api/session")
        .cookie(Cookie::new("sid", sealed_by_b.unwrap_or_default()))
        .dispatch();
    assert!(set_cookies(&response).is_empty());
}

/// DESIGN.md's procedure: (1) add the new secret to `old_secrets`
/// everywhere, (2) make it `secret` and the old one an `old_secrets` entry,
/// (3) drop the old one. Phase 1 and phase 2 replicas run side by side.
#[test]
fn three_phase_fleet_rotation_keeps_every_session_on_every_replica() {
    let (old, new) = (secret(), secret());
    let phase0 = Server::start(&[("SESSION_SECRET", &old)]);
    let phase1 = Server::start(&[("SESSION_SECRET", &old), ("SESSION_OLD_SECRETS", &new)]);
    let phase2 = Server::start(&[("SESSION_SECRET", &new), ("SESSION_OLD_SECRETS", &old)]);
    let phase3 = Server::start(&[("SESSION_SECRET", &new)]);

    let mut cookie = None;
    let mut expected = 0;
    let mut step = |server: &Server, cookie: &mut Option<String>| {
        expected += 1;
        let response = server.get("/", cookie.as_deref());
        assert_eq!(response.status, 200);
        assert_eq!(views_in(&response.body), Some(expected), "port {}", server.port);
        *cookie = Some(response.cookie_for("sid").expect("the counter re-seals"));
    };
    // Before the rotation, then while phase 0 and 1 replicas mix.
    for server in [&phase0, &phase1, &phase0, &phase1] {
        step(server, &mut cookie);
    }
    // Phase 1 and phase 2 side by side: every session works everywhere.
    for server in [&phase1, &phase2, &phase1, &phase2, &phase2, &phase1] {
        step(server, &mut cookie);
    }
    // Phase 2 everywhere, then phase 3 (old key dropped).
    step(&phase2, &mut cookie);
    for server in [&phase3, &phase2, &phase3] {
        step(server, &mut cookie);
    }
    // A session last sealed by the old key no longer opens on phase 3.
    let stale = phase0.get("/", None);
    let stale_cookie = stale.cookie_for("sid");
    assert_eq!(views_in(&phase3.get("/", stale_cookie.as_deref()).body), Some(1));
}
