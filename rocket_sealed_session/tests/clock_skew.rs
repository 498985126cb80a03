//! Clocks of replicas disagree a little: a session issued by a replica
//! whose clock runs ahead is accepted within `clock_skew` seconds
//! (default 5), and refused beyond it.

mod common;

use common::*;
use rocket::http::Cookie;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Session, Sessions};

#[get("/count")]
fn count(session: Session<'_, u64>) -> String {
    session.update(|n| {
        *n += 1;
        n.to_string()
    })
}

fn replica(secret: &str, clock: &ManualClock, skew: Option<u64>) -> Client {
    let mut figment = figment("debug", secret);
    if let Some(skew) = skew {
        figment = figment.merge(("session.clock_skew", skew));
    }
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", routes![count]);
    Client::untracked(rocket).expect("launches")
}

/// The count on `behind` after `ahead` (clock `lead` seconds ahead) issued the session.
fn count_after_lead(lead: u64, skew: Option<u64>) -> Option<String> {
    let secret = secret();
    let ahead = replica(&secret, &ManualClock::new(1_000_000 + lead), skew);
    let behind = replica(&secret, &ManualClock::new(1_000_000), skew);
    let first = ahead.get("/count").dispatch();
    let value = cookie_value(&set_cookie_for(&first, "sid")?).to_owned();
    behind.get("/count").cookie(Cookie::new("sid", value)).dispatch().into_string()
}

#[test]
fn a_replica_a_few_seconds_ahead_is_accepted() {
    assert_eq!(count_after_lead(5, None).as_deref(), Some("2"));
}

#[test]
fn a_replica_far_ahead_is_refused() {
    assert_eq!(count_after_lead(6, None).as_deref(), Some("1"));
    assert_eq!(count_after_lead(600, None).as_deref(), Some("1"));
}

#[test]
fn the_allowance_is_configurable() {
    assert_eq!(count_after_lead(60, Some(60)).as_deref(), Some("2"));
    assert_eq!(count_after_lead(3, Some(0)).as_deref(), Some("1"));
}
