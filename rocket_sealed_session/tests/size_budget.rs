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

/// What `sealed_size` says of a payload of `len` bytes; one too big for
/// the allowed layout is then not kept (the response stays a 200).
#[get("/size/<len>")]
fn size(session: Session<'_, Notes>, len: usize) -> String {
    session.set(Notes { text: "n".repeat(len) });
    match session.sealed_size() {
        Ok(size) => match size.cookies {
            Ok(cookies) => format!("{} {cookies}", size.set_cookie_len),
            Err(Error::TooLarge { .. }) => {
                session.set(Notes::default());
                format!("{} too large", size.set_cookie_len)
            }
            Err(other) => other.to_string(),
        },
        Err(err) => err.to_string(),
    }
}

#[get("/len")]
fn len(session: Session<'_, Notes>) -> String {
    session.read(|n| n.text.len()).to_string()
}

fn client() -> Client {
    let rocket = rocket::custom(figment("debug", &secret()))
        .attach(Sessions::fairing())
        .mount("/", routes![store, try_store, len, size]);
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

/// One measurement gives both figures: the length of the `Set-Cookie`
/// that is then sent and how many cookies it takes, or that it fits none.
#[test]
fn sealed_size_measures_the_set_cookie_that_is_sent_and_its_cookie_count() {
    let client = client();
    let response = client.get("/size/2000").dispatch();
    let set_cookie = set_cookie_for(&response, "sid").expect("sealed");
    let expected = format!("{} 1", set_cookie.len());
    assert_eq!(response.into_string(), Some(expected));
    let response = client.get("/size/5000").dispatch();
    let body = response.into_string().unwrap_or_default();
    let reported: usize = body.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(body.ends_with(" too large") && reported > COOKIE_BUDGET, "{body}");
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

/// The length of the `Set-Cookie` that storing a payload of `len` bytes
/// gives, or `None` when the response is not a 200 with one.
fn sealed_cookie_len(client: &Client, len: usize) -> Option<usize> {
    let response = client.get(format!("/store/{len}")).dispatch();
    if response.status() != Status::Ok {
        return None;
    }
    set_cookie_for(&response, "sid").map(|set_cookie| set_cookie.len())
}

#[test]
fn the_largest_payload_that_fits_is_accepted_and_one_more_byte_is_refused() {
    let client = client();
    // The cookie grows with the payload, so the payloads that fit are the
    // ones below some limit: bisect for it (about 12 requests, not one per
    // size). Invariant: `fits` fits, `too_big` does not.
    let fits_budget = |len| sealed_cookie_len(&client, len).is_some_and(|n| n <= COOKIE_BUDGET);
    let (mut fits, mut too_big) = (1, COOKIE_BUDGET);
    assert!(fits_budget(fits), "a one-byte payload fits");
    assert!(!fits_budget(too_big), "a payload as large as the budget does not fit");
    while too_big - fits > 1 {
        let middle = fits + (too_big - fits) / 2;
        match fits_budget(middle) {
            true => fits = middle,
            false => too_big = middle,
        }
    }
    assert_eq!(too_big, fits + 1);

    // The largest payload that fits: 200, and a cookie within the budget
    // whose reported size is exact. One more byte adds one or two bytes of
    // base64, so the budget is what stopped it: the cookie is within two
    // bytes of it.
    // (First another size: storing the payload the session already holds
    // seals nothing.)
    client.get("/store/1").dispatch();
    let at_limit = client.get(format!("/store/{fits}")).dispatch();
    assert_eq!(at_limit.status(), Status::Ok);
    let set_cookie = set_cookie_for(&at_limit, "sid").expect("the largest payload is sealed");
    let reported: usize = at_limit.into_string().and_then(|s| s.parse().ok()).unwrap_or(0);
    assert_eq!(reported, set_cookie.len(), "sealed_len() is the Set-Cookie's length");
    assert!(set_cookie.len() <= COOKIE_BUDGET, "{} bytes", set_cookie.len());
    assert!(set_cookie.len() + 2 >= COOKIE_BUDGET, "stopped at {} bytes", set_cookie.len());

    // One byte more: the documented refusal, a 500 with no `Set-Cookie`;
    // the client keeps its cookie, which still holds the largest payload.
    let over = client.get(format!("/store/{}", fits + 1)).dispatch();
    assert_eq!(over.status(), Status::InternalServerError);
    assert!(set_cookies(&over).is_empty(), "{:?}", set_cookies(&over));
    assert_eq!(client.get("/len").dispatch().into_string(), Some(fits.to_string()));

    // `try_set` draws the same line: it stores the largest payload and
    // refuses one byte more, keeping what was stored.
    assert_eq!(client.get(format!("/try-store/{fits}")).dispatch().status(), Status::Ok);
    let refused = client.get(format!("/try-store/{}", fits + 1)).dispatch();
    assert_eq!(refused.status(), Status::PayloadTooLarge);
    let body = refused.into_string().unwrap_or_default();
    assert!(body.starts_with(&format!("{} bytes:", fits + 1)), "{body}");
    assert!(body.ends_with(&format!("> {COOKIE_BUDGET}")), "{body}");
    assert_eq!(client.get("/len").dispatch().into_string(), Some(fits.to_string()));
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
