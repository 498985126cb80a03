//! The whole request path through Rocket's local blocking client: the
//! [`Session`] guard and the [`Sessions`] fairing next to a route that uses
//! no session at all.
//!
//! - `request/plain`: no session (the reference);
//! - `request/counter_fresh`: no cookie, a new session, incremented and sealed;
//! - `request/counter_cookie`: a valid cookie opened, incremented, re-sealed;
//! - `request/peek_cookie`: a valid cookie opened and read, nothing sealed.
//!
//! `cargo bench --bench request`; after criterion's output a markdown table
//! gives ns/op, the ratio to `request/plain` and the difference in ns, which
//! is what a session costs per request (without the network, which the load
//! benchmark `bench/load.sh` adds).

#[path = "common/routes.rs"]
mod bench_routes;
mod common;

use std::hint::black_box;

use criterion::Criterion;
use rocket::http::Header;
use rocket::local::blocking::Client;
use rocket_sealed_session::{Secret, Sessions};

fn client() -> Client {
    let figment = rocket::Config::figment()
        .merge(("session.secret", Secret::generate().to_base64()))
        .merge(("secret_key", Secret::generate().to_base64()))
        .merge(("log_level", "off"));
    let rocket =
        rocket::custom(figment).attach(Sessions::fairing()).mount("/", bench_routes::routes());
    Client::untracked(rocket).expect("the bench rocket ignites")
}

/// `name=value` of the session cookie a first visit to /counter sets.
fn session_cookie(client: &Client) -> Header<'static> {
    let response = client.get("/counter").dispatch();
    let set_cookie = response.headers().get_one("Set-Cookie").expect("/counter sets a cookie");
    let pair = set_cookie.split(';').next().expect("split yields at least one part");
    Header::new("Cookie", pair.to_owned())
}

fn bench_requests(c: &mut Criterion) {
    let client = client();
    let cookie = session_cookie(&client);
    let mut group = c.benchmark_group("request");
    group.bench_function("plain", |b| {
        b.iter(|| black_box(client.get("/plain").dispatch().into_string()))
    });
    group.bench_function("counter_fresh", |b| {
        b.iter(|| black_box(client.get("/counter").dispatch().into_string()))
    });
    group.bench_function("counter_cookie", |b| {
        b.iter(|| black_box(client.get("/counter").header(cookie.clone()).dispatch().into_string()))
    });
    group.bench_function("peek_cookie", |b| {
        b.iter(|| black_box(client.get("/peek").header(cookie.clone()).dispatch().into_string()))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_requests(&mut c);
    c.final_summary();
    let rows: Vec<(String, String)> = ["plain", "counter_fresh", "counter_cookie", "peek_cookie"]
        .iter()
        .map(|case| (format!("request/{case}"), "request/plain".to_owned()))
        .collect();
    common::print_table("request: ns/op and the cost of a session over /plain", &rows);
}
