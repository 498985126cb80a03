//! The 4096-byte budget of a `Set-Cookie`: an over-size session answers 500
//! with no `Set-Cookie` at all (the client keeps its cookie), and handlers
//! can check the size first.

mod common;

use common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::{Error, Session, Sessions, COOKIE_BUDGET};

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Notes {
    text: String,
}

#[get("/store/<len>")]
fn store(session: Session<'_, Notes>, len: usize) -> String {
    session.set(Notes { text: "n".repeat(len) });
    session.sealed_len().map(|n| n.to_string()).unwrap_or_default()
}

#[get("/try-store/<len>")]
fn try_store(session: Session<'_, Notes>, len: usize) -> (Status, String) {
    match session.try_set(Notes { text: "n".repeat(len) }) {
        Ok(()) => (Status::Ok, "stored".into()),
        Err((rejected, Error::TooLarge { needed, budget })) => {
            (Status::PayloadTooLarge, format!("{} bytes: {needed} > {budget}", rejected.text.len()))
        }
        Err((_, other)) => (Status::BadRequest, other.to_string()),
    }
}

#[get("/len")]
fn len(session: Session<'_, Notes>) -> String {
    session.read(|n| n.text.len()).to_string()
}

fn client() -> Client {
    let rocket = rocket::custom(figment("debug", &secret()))
        .attach(Sessions::fairing())
        .mount("/", routes![store, try_store, len]);
    Client::tracked(rocket).expect("launches")
}

#[test]
fn a_session_that_fits_is_sealed_and_its_reported_size_is_exact() {
    let client = client();
    let response = client.get("/store/2000").dispatch();
    let set_cookie = set_cookie_for(&response, "sid").expect("sealed");
    let reported: usize = response.into_string().and_then(|s| s.parse().ok()).unwrap_or(0);
    assert_eq!(reported, set_cookie.len());
    assert!(set_cookie.len() <= COOKIE_BUDGET);
}

#[test]
fn an_oversized_session_answers_500_without_set_cookie_and_the_old_cookie_survives() {
    let client = client();
    client.get("/store/100").dispatch();
    let response = client.get("/store/4000").dispatch();
    assert_eq!(response.status(), Status::InternalServerError);
    assert!(set_cookies(&response).is_empty(), "{:?}", set_cookies(&response));
    assert_eq!(client.get("/len").dispatch().into_string().as_deref(), Some("100"));
}

#[test]
fn the_largest_payload_that_fits_is_accepted_and_one_more_byte_is_refused() {
    let client = client();
    let fits = (1..4096)
        .rev()
        .find(|n| {
            let probe = client.get(format!("/store/{n}")).dispatch();
            probe.into_string().and_then(|s| s.parse::<usize>().ok()).unwrap_or(usize::MAX)
                <= COOKIE_BUDGET
        })
        .expect("some size fits");
    let at_limit = client.get(format!("/store/{fits}")).dispatch();
    assert_eq!(at_limit.status(), Status::Ok);
    let over = client.get(format!("/store/{}", fits + 3)).dispatch();
    assert_eq!(over.status(), Status::InternalServerError);
}

#[test]
fn try_set_refuses_gracefully_and_keeps_the_old_payload() {
    let client = client();
    assert_eq!(client.get("/try-store/10").dispatch().status(), Status::Ok);
    let response = client.get("/try-store/5000").dispatch();
    assert_eq!(response.status(), Status::PayloadTooLarge);
    let body = response.into_string().unwrap_or_default();
    assert!(body.starts_with("5000 bytes:") && body.ends_with("> 4096"), "{body}");
    assert_eq!(client.get("/len").dispatch().into_string().as_deref(), Some("10"));
}
