//! Launching the real binary: configuration from Rocket.toml profiles and
//! `SESSION_*` variables, and launches that must be refused with a message
//! that says how to fix them.

use base64::Engine;

use crate::common::*;

fn refused(env: &[(&str, &str)]) -> String {
    let exit = Demo::new(env).run_to_exit();
    assert!(exit.refused(), "launch should have been refused: {env:?}: {exit:?}");
    exit.stderr
}

#[test]
fn release_without_a_secret_refuses_to_start_and_says_how_to_make_one() {
    let stderr = refused(&[("ROCKET_PROFILE", "release")]);
    assert!(stderr.contains("no session secret"), "{stderr}");
    assert!(stderr.contains("openssl rand -base64 32"), "{stderr}");
}

#[test]
fn the_seed_secret_is_refused_in_every_profile() {
    for profile in ["debug", "release"] {
        let stderr = refused(&[
            ("ROCKET_PROFILE", profile),
            ("SESSION_SECRET", "your_super_secret_key_here"),
        ]);
        assert!(stderr.contains("example"), "{profile}: {stderr}");
    }
}

#[test]
fn a_short_secret_is_refused() {
    let short = base64::engine::general_purpose::STANDARD.encode([9u8, 200, 3, 77, 5, 1, 250, 8]);
    let stderr = refused(&[("SESSION_SECRET", short.as_str())]);
    assert!(stderr.contains("8 bytes"), "{stderr}");
}

#[test]
fn a_bad_old_secret_is_refused() {
    let good = secret();
    let stderr = refused(&[("SESSION_SECRET", good.as_str()), ("SESSION_OLD_SECRETS", "nope")]);
    assert!(stderr.contains("old_secrets[0]"), "{stderr}");
}

#[test]
fn a_bad_value_in_the_environment_names_the_key() {
    let good = secret();
    let stderr = refused(&[("SESSION_SECRET", good.as_str()), ("SESSION_MAX_AGE", "soon")]);
    assert!(stderr.to_ascii_lowercase().contains("max_age"), "{stderr}");
}

#[test]
fn release_with_a_secret_serves_a_host_prefixed_secure_cookie() {
    let good = secret();
    let server = Server::start(&[("ROCKET_PROFILE", "release"), ("SESSION_SECRET", &good)]);
    let response = server.get("/", None);
    assert_eq!(response.status, 200);
    let set_cookie = response.set_cookie_for("__Host-sid").expect("a __Host- cookie");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert_eq!(views_in(&response.body), Some(1));
}

#[test]
fn environment_variables_win_over_the_profile_and_unknown_ones_are_ignored() {
    let good = secret();
    let server = Server::start(&[
        ("SESSION_SECRET", good.as_str()),
        ("SESSION_MAX_AGE", "60"),
        ("SESSION_COOKIE_NAME", "my.session.id"),
        ("SESSION_MANAGER", "local/desktop:@/tmp/.ICE-unix/1234"),
    ]);
    let response = server.get("/", None);
    let set_cookie = response.set_cookie_for("my.session.id").expect("the renamed cookie");
    assert!(set_cookie.contains("Max-Age=60"), "{set_cookie}");
}

#[test]
fn debug_without_a_secret_starts_with_a_process_key() {
    let server = Server::start(&[]);
    let first = server.get("/", None);
    let cookie = first.cookie_for("sid").expect("cookie");
    let second = server.get("/", Some(&cookie));
    assert_eq!(views_in(&second.body), Some(2));
}
