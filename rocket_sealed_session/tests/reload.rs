//! Rotation without restarts through the local client: secrets from files,
//! `reload_keys` after each rewrite, the three phases of a fleet rotation,
//! and a bad file that keeps the ring in force.

use std::path::{Path, PathBuf};

use rocket::http::Header;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::{reload_keys, Secret, Session, Sessions};
use serde::{Deserialize, Serialize};

#[derive(Default, Serialize, Deserialize)]
struct Count {
    n: u64,
}

#[get("/")]
fn count(session: Session<'_, Count>) -> String {
    session.update(|c| c.n += 1);
    format!("{} {}", session.read(|c| c.n), session.key_id().unwrap_or_default())
}

struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(test: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("sealed-reload-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Files { dir }
    }

    fn secret(&self) -> PathBuf {
        self.dir.join("secret")
    }

    fn old(&self) -> PathBuf {
        self.dir.join("old_secrets")
    }

    fn write(&self, current: &Secret, old: &[&Secret]) {
        write(&self.secret(), &current.to_base64());
        let lines: Vec<String> = old.iter().map(|s| s.to_base64()).collect();
        write(&self.old(), &lines.join("\n"));
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a secret file");
}

fn client(files: &Files) -> Client {
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("session.secret_file", files.secret()))
        .merge(("session.old_secrets_file", files.old()));
    Client::untracked(
        rocket::custom(figment).attach(Sessions::fairing()).mount("/", routes![count]),
    )
    .expect("the test app ignites")
}

/// `(body, new cookie pair)` of `GET /` with `cookie`.
fn visit(client: &Client, cookie: &str) -> (String, String) {
    let mut request = client.get("/");
    if !cookie.is_empty() {
        request = request.header(Header::new("Cookie", cookie.to_owned()));
    }
    let response = request.dispatch();
    let pair = response
        .headers()
        .get("Set-Cookie")
        .find_map(|c| c.split(';').next().filter(|p| p.starts_with("sid=")).map(str::to_owned))
        .unwrap_or_default();
    (response.into_string().unwrap_or_default(), pair)
}

#[test]
fn a_fleet_rotates_through_three_phases_by_rewriting_files_and_reloading() {
    let files = Files::new("phases");
    let (a, b) = (Secret::generate(), Secret::generate());
    files.write(&a, &[]);
    let client = client(&files);
    let (_, first) = visit(&client, "");
    let (body, cookie_a) = visit(&client, &first);
    let key_a = body.split(' ').nth(1).unwrap_or_default().to_owned();
    assert!(body.starts_with("2 ") && key_a.len() == 8, "{body}");

    // Phase 1: B added as an old secret everywhere; A still seals.
    files.write(&a, &[&b]);
    let reloaded = reload_keys(client.rocket()).expect("phase 1 reloads");
    assert_eq!(reloaded.sealing_key_id, key_a);
    assert_eq!(reloaded.old_key_ids.len(), 1);
    let (body, cookie) = visit(&client, &cookie_a);
    assert_eq!(body, format!("3 {key_a}"));

    // Phase 2: B seals, A only opens: A's cookies are re-sealed under B.
    files.write(&b, &[&a]);
    let reloaded = reload_keys(client.rocket()).expect("phase 2 reloads");
    assert_ne!(reloaded.sealing_key_id, key_a);
    assert_eq!(reloaded.old_key_ids, std::slice::from_ref(&key_a));
    let (body, cookie_b) = visit(&client, &cookie);
    assert_eq!(body, format!("4 {key_a}"), "opened with A");
    let (body, _) = visit(&client, &cookie_b);
    assert_eq!(body, format!("5 {}", reloaded.sealing_key_id), "re-sealed under B");

    // Phase 3: A retired: its cookies open nowhere, B's keep going.
    files.write(&b, &[]);
    reload_keys(client.rocket()).expect("phase 3 reloads");
    assert!(visit(&client, &cookie).0.starts_with("1 "), "a cookie sealed by A is a new session");
    assert!(visit(&client, &cookie_b).0.starts_with("5 "));
}

#[test]
fn a_bad_or_missing_file_keeps_the_ring_in_force() {
    let files = Files::new("bad");
    let a = Secret::generate();
    files.write(&a, &[]);
    let client = client(&files);
    let (_, cookie) = visit(&client, "");
    write(&files.secret(), "not a secret");
    let err = reload_keys(client.rocket()).expect_err("a bad secret file is refused");
    assert!(err.to_string().contains("secret_file"), "{err}");
    std::fs::remove_file(files.old()).expect("remove the old secrets file");
    write(&files.secret(), &Secret::generate().to_base64());
    let err = reload_keys(client.rocket()).expect_err("a missing old secrets file is refused");
    assert!(err.to_string().contains("cannot be read"), "{err}");
    assert!(
        visit(&client, &cookie).0.starts_with("2 "),
        "the ring in force still opens A's cookie"
    );
}

#[test]
fn a_value_and_a_file_for_the_same_secret_stop_the_launch() {
    let files = Files::new("both");
    files.write(&Secret::generate(), &[]);
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("session.secret", Secret::generate().to_base64()))
        .merge(("session.secret_file", files.secret()));
    let rocket = rocket::custom(figment).attach(Sessions::fairing()).mount("/", routes![count]);
    match Client::untracked(rocket) {
        Ok(_) => panic!("ignite must fail"),
        Err(err) => assert!(matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_))),
    }
}
