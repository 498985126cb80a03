//! The examples keep their promises. `cargo test` builds examples but never
//! runs them, so each example file is included here as a module and its
//! `rocket()` is driven with Rocket's local client: the counter counts and
//! resets, a login form without the session's token is refused and one with
//! it signs in under a new session id, and a cookie sealed with an old key
//! is re-sealed under the new key id.

// Each example's `main` (and the rotation example's printed guide) is not
// used here.
#[allow(dead_code)]
#[path = "../examples/counter.rs"]
mod counter;
#[allow(dead_code)]
#[path = "../examples/login.rs"]
mod login;
#[allow(dead_code)]
#[path = "../examples/rotation.rs"]
mod rotation;

use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie, Status};
use rocket::local::blocking::{Client, LocalResponse};
use rocket_sealed_session::{Secret, CONFIG_KEYS};

/// Rocket's figment (Rocket.toml, `ROCKET_*`) in the debug profile, as
/// `cargo run --example` uses it, without the launch log.
fn quiet() -> Figment {
    rocket::Config::figment().select("debug").merge(("log_level", "off"))
}

/// The `sid` values of a response's `Set-Cookie` headers.
fn session_set_cookies(response: &LocalResponse<'_>) -> Vec<String> {
    response
        .headers()
        .get("Set-Cookie")
        .filter(|c| c.starts_with("sid="))
        .map(str::to_owned)
        .collect()
}

/// The value of the one live (non-removal) `sid` cookie a response set.
fn sealed_cookie(response: &LocalResponse<'_>) -> Option<String> {
    let live: Vec<String> = session_set_cookies(response)
        .iter()
        .filter_map(|c| c.split(';').next()?.strip_prefix("sid=").map(str::to_owned))
        .filter(|value| !value.is_empty())
        .collect();
    assert!(live.len() <= 1, "one session cookie at most: {live:?}");
    live.into_iter().next()
}

/// The key id written in a sealed cookie (wire format v1:
/// `base64url(0x01 | key_id[4] | nonce | ciphertext | tag)`), in hex.
fn wire_key_id(value: &str) -> String {
    let bytes = URL_SAFE_NO_PAD.decode(value).expect("a sealed cookie is base64url");
    assert_eq!(bytes[0], 0x01, "wire format v1");
    bytes[1..5].iter().map(|b| format!("{b:02x}")).collect()
}

/// The text after `marker` up to the next `end`.
fn between<'a>(text: &'a str, marker: &str, end: &str) -> &'a str {
    let start =
        text.find(marker).unwrap_or_else(|| panic!("no {marker:?} in {text}")) + marker.len();
    let rest = &text[start..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

// ----- counter -----

#[test]
fn counter_counts_and_reset_starts_over() {
    let client = Client::tracked(counter::rocket().configure(quiet())).expect("launches");

    let first = client.get("/").dispatch();
    assert_eq!(first.status(), Status::Ok);
    assert!(sealed_cookie(&first).is_some(), "the first visit sets the session cookie");
    let first = first.into_string().unwrap_or_default();
    assert!(first.contains("new session") && first.contains("Visits: 1\n"), "{first}");
    let left: u64 = between(&first, "(in ", " s)").parse().expect("seconds left");
    assert!((86_000..=86_400).contains(&left), "max_age 24 h by default, {left} s left");

    let second = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(second.contains("Welcome back") && second.contains("Visits: 2\n"), "{second}");
    let third = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(third.contains("Visits: 3\n"), "{third}");

    let reset = client.post("/reset").dispatch();
    assert_eq!(reset.status(), Status::Ok);
    let removal = session_set_cookies(&reset);
    assert!(
        removal.len() == 1 && removal[0].starts_with("sid=;") && removal[0].contains("Max-Age=0"),
        "destroy removes the cookie: {removal:?}"
    );
    let again = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(again.contains("new session") && again.contains("Visits: 1\n"), "{again}");
}

// ----- login -----

/// The hidden token field and the session id shown on the login page.
fn token_and_id(page: &str) -> (String, String) {
    let token = between(page, r#"name="csrf_token" value=""#, "\"").to_owned();
    let id = between(page, "Session id: <code>", "</code>").to_owned();
    assert!(!token.is_empty() && !id.is_empty(), "{page}");
    (token, id)
}

fn post_form<'c>(client: &'c Client, path: &'static str, body: &str) -> LocalResponse<'c> {
    client.post(path).header(ContentType::Form).body(body).dispatch()
}

#[test]
fn login_without_the_token_is_forbidden() {
    let client = Client::tracked(login::rocket().configure(quiet())).expect("launches");
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    let (token, _) = token_and_id(&page);

    let missing = post_form(&client, "/login", "username=ada&password=analytical-engine");
    assert_eq!(missing.status(), Status::Forbidden);
    assert!(session_set_cookies(&missing).is_empty(), "a refused form changes no session");
    let body = missing.into_string().unwrap_or_default();
    assert!(body.contains("carried no CSRF token"), "{body}");

    let wrong = format!("csrf_token={}&username=ada&password=analytical-engine", "A".repeat(43));
    let wrong = post_form(&client, "/login", &wrong);
    assert_eq!(wrong.status(), Status::Forbidden);
    assert!(wrong.into_string().unwrap_or_default().contains("not this session's"));

    // Still signed out, same token.
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Not signed in"), "{page}");
    assert_eq!(token_and_id(&page).0, token);
}

#[test]
fn login_with_the_token_shows_the_user_under_a_new_session_id_and_logout_ends_it() {
    let client = Client::tracked(login::rocket().configure(quiet())).expect("launches");
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Not signed in"), "{page}");
    let (token, anonymous_id) = token_and_id(&page);

    let body = format!("csrf_token={token}&username=ada&password=analytical-engine");
    let signed_in = post_form(&client, "/login", &body);
    assert_eq!(signed_in.status(), Status::SeeOther);
    assert_eq!(signed_in.headers().get_one("Location"), Some("/"));
    assert!(sealed_cookie(&signed_in).is_some(), "login seals the new session");

    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Signed in as <b>ada</b>"), "{page}");
    let (new_token, new_id) = token_and_id(&page);
    assert_ne!(new_id, anonymous_id, "regenerate() gives a new session id at login");
    assert_ne!(new_token, token, "the token is rotated at login");

    // The token from before the login no longer works.
    let stale = post_form(&client, "/logout", &format!("csrf_token={token}"));
    assert_eq!(stale.status(), Status::Forbidden);
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Signed in as <b>ada</b>"), "{page}");

    let out = post_form(&client, "/logout", &format!("csrf_token={new_token}"));
    assert_eq!(out.status(), Status::SeeOther);
    let removal = session_set_cookies(&out);
    assert!(
        removal.len() == 1 && removal[0].starts_with("sid=;") && removal[0].contains("Max-Age=0"),
        "destroy() removes the cookie: {removal:?}"
    );
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Not signed in"), "{page}");
    assert_ne!(token_and_id(&page).1, new_id);
}

#[test]
fn login_with_a_wrong_password_is_refused() {
    let client = Client::tracked(login::rocket().configure(quiet())).expect("launches");
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    let (token, _) = token_and_id(&page);
    let body = format!("csrf_token={token}&username=ada&password=babbage");
    let refused = post_form(&client, "/login", &body);
    assert_eq!(refused.status(), Status::Unauthorized);
    let page = client.get("/").dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Not signed in"), "{page}");
}

#[test]
fn login_escapes_what_it_prints() {
    // Only known users sign in, but the page escapes anyway.
    let client = Client::tracked(login::rocket().configure(quiet())).expect("launches");
    let user = rocket_sealed_session::testing::session_cookie(
        client.rocket(),
        &serde_json::json!({ "user": "<script>x</script>" }),
    );
    let page = client.get("/").cookie(user).dispatch().into_string().unwrap_or_default();
    assert!(page.contains("Signed in as <b>&lt;script&gt;x&lt;/script&gt;</b>"), "{page}");
}

// ----- rotation -----

fn secret() -> String {
    Secret::generate().to_base64()
}

fn key_id_of(secret: &str) -> String {
    rotation::key_id(&Secret::from_base64(secret).expect("a generated secret passes"))
}

/// The rotation example with `secret` and `old_secrets` set in code.
fn rotation_client(secret: &str, old: &[&str]) -> Client {
    let figment = quiet().merge(("session.secret", secret)).merge(("session.old_secrets", old));
    Client::untracked(rotation::rocket_with(figment)).expect("launches")
}

/// `GET /` with an optional cookie: the page and the sealed cookie set.
fn visit(client: &Client, cookie: Option<&str>) -> (String, Option<String>) {
    let mut request = client.get("/");
    if let Some(value) = cookie {
        request = request.cookie(Cookie::new("sid", value.to_owned()));
    }
    let response = request.dispatch();
    assert_eq!(response.status(), Status::Ok);
    let sealed = sealed_cookie(&response);
    (response.into_string().unwrap_or_default(), sealed)
}

#[test]
fn rotation_reseals_an_old_key_cookie_under_the_new_key_id() {
    let (a, b) = (secret(), secret());
    let (id_a, id_b) = (key_id_of(&a), key_id_of(&b));
    assert_ne!(id_a, id_b);

    // One key, A: a new session sealed with A's id.
    let (page, sealed_by_a) = visit(&rotation_client(&a, &[]), None);
    assert!(page.contains(&format!("sealed with key {id_a}")), "{page}");
    let sealed_by_a = sealed_by_a.expect("a new session is sealed");
    assert_eq!(wire_key_id(&sealed_by_a), id_a, "the page's id is the cookie's");
    let session_id = between(&page, "Session id: ", "\n").to_owned();

    // Phase 2: B seals, A only opens. The read-only page still re-seals.
    let phase2 = rotation_client(&b, &[&a]);
    let (page, resealed) = visit(&phase2, Some(&sealed_by_a));
    assert!(page.contains(&format!("opened with OLD key {id_a}")), "{page}");
    assert!(page.contains(&format!("re-seals it with key {id_b}")), "{page}");
    let resealed = resealed.expect("an old key's cookie is re-sealed");
    assert_eq!(wire_key_id(&resealed), id_b);
    assert_eq!(between(&page, "Session id: ", "\n"), session_id, "the same session");

    // The re-sealed cookie opens with B and is not sealed again.
    let (page, again) = visit(&phase2, Some(&resealed));
    assert!(page.contains(&format!("opened with key {id_b}, the current one")), "{page}");
    assert_eq!(again, None, "a current-key cookie on a read-only page: no Set-Cookie");

    // Phase 3: A retired. B's cookie opens; A's is a new session.
    let phase3 = rotation_client(&b, &[]);
    let (page, _) = visit(&phase3, Some(&resealed));
    assert!(page.contains(&format!("opened with key {id_b}")), "{page}");
    assert_eq!(between(&page, "Session id: ", "\n"), session_id);
    let (page, _) = visit(&phase3, Some(&sealed_by_a));
    assert!(page.contains("No session came with this request"), "{page}");
}

#[test]
fn rotation_without_a_secret_runs_on_a_random_key() {
    let client = Client::untracked(rotation::rocket_with(quiet())).expect("launches");
    let (page, sealed) = visit(&client, None);
    assert!(page.contains("this process's random key"), "{page}");
    let sealed = sealed.expect("sealed");
    let (page, _) = visit(&client, Some(&sealed));
    let id = wire_key_id(&sealed);
    assert!(page.contains(&format!("opened with key {id}, the current one")), "{page}");
}

/// Set in the child process of the next test.
const CHILD: &str = "ROCKET_SEALED_SESSION_EXAMPLES_CHILD";

/// `rotation::rocket()` reads `SESSION_SECRET` and `SESSION_OLD_SECRETS`
/// (and ignores `SESSION_MANAGER`). Environment variables are process-wide,
/// so this runs the check below in a child process of this test binary with
/// its own environment, instead of changing this process's.
#[test]
fn rotation_reads_session_secret_and_old_secrets_from_the_environment() {
    let (a, b) = (secret(), secret());
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe);
    child.args(["rotation_environment_child", "--exact", "--nocapture", "--test-threads=1"]);
    for key in CONFIG_KEYS {
        child.env_remove(format!("SESSION_{}", key.to_uppercase()));
    }
    let output = child
        .env(CHILD, &a)
        .env("SESSION_SECRET", &b)
        .env("SESSION_OLD_SECRETS", &a)
        .env("SESSION_MANAGER", "local/host:@/tmp/.ICE-unix/1")
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_PROFILE", "debug")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child test ran:\n{stdout}");
}

/// The child's half: does nothing unless started by the test above.
#[test]
fn rotation_environment_child() {
    let Ok(a) = std::env::var(CHILD) else { return };
    let b = std::env::var("SESSION_SECRET").expect("set by the parent");
    let (page, sealed_by_a) = visit(&rotation_client(&a, &[]), None);
    assert!(page.contains("No session came"), "{page}");

    let client = Client::untracked(rotation::rocket()).expect("SESSION_MANAGER is ignored");
    let (page, resealed) = visit(&client, sealed_by_a.as_deref());
    assert!(page.contains(&format!("opened with OLD key {}", key_id_of(&a))), "{page}");
    assert!(page.contains(&format!("re-seals it with key {}", key_id_of(&b))), "{page}");
    assert_eq!(resealed.as_deref().map(wire_key_id), Some(key_id_of(&b)));
}
