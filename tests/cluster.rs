//! Stateless replicas: real copies of the demo binary that share a secret
//! serve one session between them; a replica with another secret cannot
//! read it and starts a fresh one.

mod common;

use common::*;

#[test]
fn three_replicas_sharing_a_secret_keep_one_continuous_count() {
    let secret = secret();
    let replicas: Vec<Server> =
        (0..3).map(|_| Server::start(&[("SESSION_SECRET", secret.as_str())])).collect();
    let mut cookie: Option<String> = None;
    for request in 1..=30u64 {
        let replica = &replicas[(request as usize) % replicas.len()];
        let response = replica.get("/", cookie.as_deref());
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(views_in(&response.body), Some(request), "replica on port {}", replica.port);
        let set_cookie = response.set_cookie_for("sid").expect("every visit re-seals");
        cookie = Some(set_cookie.split(';').next().unwrap_or_default().to_owned());
    }

    let stranger = Server::start(&[("SESSION_SECRET", secret_other(&secret).as_str())]);
    let response = stranger.get("/", cookie.as_deref());
    assert_eq!(response.status, 200);
    assert_eq!(views_in(&response.body), Some(1), "another secret starts a fresh session");
}

fn secret_other(not: &str) -> String {
    let other = secret();
    assert_ne!(other, not);
    other
}
