//! Stateless replicas: real copies of the demo binary that share a secret
//! serve one session between them; a replica with another secret cannot
//! read it and starts a fresh one.

use crate::common::*;

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
        cookie = Some(response.cookie_for("sid").expect("every visit re-seals"));
    }

    // A fourth replica with another secret cannot open the cookie: it
    // starts a new session (no key opened it) and seals that one instead.
    let stranger = Server::start(&[("SESSION_SECRET", crate::common::secret().as_str())]);
    let response = stranger.get("/", cookie.as_deref());
    assert_eq!(response.status, 200);
    assert_eq!(views_in(&response.body), Some(1), "another secret starts a fresh session");
    assert_eq!(key_id_on(&response.body).as_deref(), Some(NEW_SESSION), "{}", response.body);
    let strangers_cookie = response.cookie_for("sid").expect("the fresh session is sealed");

    // The cookie itself was still good: a replica holding the shared secret
    // opens it and goes on counting, naming the key that opened it.
    let response = replicas[0].get("/", cookie.as_deref());
    assert_eq!(views_in(&response.body), Some(31), "the shared secret still opens the cookie");
    let key_id = key_id_on(&response.body).unwrap_or_default();
    assert!(key_id.len() == 8 && key_id.chars().all(|c| c.is_ascii_hexdigit()), "{key_id:?}");

    // And the other way round: the stranger's cookie opens nowhere else.
    let response = replicas[1].get("/", Some(&strangers_cookie));
    assert_eq!(views_in(&response.body), Some(1), "the replicas cannot open the stranger's cookie");
}

/// What the session panel shows as the key id of a new session.
const NEW_SESSION: &str = "none yet (new session; sealed with the current key)";

/// The session panel's "Key id" on a demo page.
fn key_id_on(page: &str) -> Option<String> {
    let rest = page.split(r#"<code id="panel-key-id">"#).nth(1)?;
    rest.split('<').next().map(str::to_owned)
}
