//! Accounts on a fleet: two replicas of the demo binary share one secret
//! and one SQLite file. An account made on one signs in on the other, and
//! "log out everywhere" on one ends a copy of the session on the other:
//! not at once (a session is checked against its account at most once per
//! `demo.revalidate_every`, 2 s here), but once that interval has passed.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::*;

/// The revalidation interval of the test's replicas, in seconds.
const EVERY: u64 = 2;

/// The password of the test's account, URL-encoded.
const PASSWORD: &str = "correct+horse+battery";

/// Two replicas sharing `secret` and the accounts database `accounts`,
/// checking sessions every [`EVERY`] seconds.
fn two_replicas(secret: &str, accounts: &AccountsFile) -> [Server; 2] {
    let databases = accounts_env(accounts.path());
    let every = format!("{{revalidate_every={EVERY}}}");
    let env = [
        ("SESSION_SECRET", secret),
        ("ROCKET_DATABASES", databases.as_str()),
        ("ROCKET_DEMO", every.as_str()),
    ];
    [Server::start(&env), Server::start(&env)]
}

/// Posts the form at `path` (its page fetched first, with `cookie`) with
/// these fields; returns the response and the session cookie it was sent
/// with.
fn post_account_form(
    server: &Server,
    path: &str,
    cookie: Option<&str>,
    fields: &str,
) -> (HttpResponse, String) {
    let page = server.get(path, cookie);
    assert_eq!(page.status, 200, "GET {path}: {page:?}");
    let cookie = page.cookie_for("sid").or(cookie.map(str::to_owned)).expect("a session");
    let token = csrf_token(&page.body).expect("the form's token");
    let response = server.post_form(path, Some(&cookie), &format!("csrf_token={token}&{fields}"));
    (response, cookie)
}

/// The signed-in session cookie of a sign-up or sign-in response.
fn signed_in(response: &HttpResponse, what: &str) -> String {
    assert_eq!(response.status, 303, "{what}: {response:?}");
    assert_eq!(response.header("Location"), Some("/profile"), "{what}");
    response.cookie_for("sid").unwrap_or_else(|| panic!("{what}: no session cookie"))
}

/// Whether `cookie` is signed in on `server`: `/profile` answers 200, or
/// redirects to the login form.
fn is_signed_in(server: &Server, cookie: &str) -> bool {
    let profile = server.get("/profile", Some(cookie));
    match profile.status {
        200 => true,
        303 if profile.header("Location") == Some("/login") => false,
        _ => panic!("/profile on port {}: {profile:?}", server.port),
    }
}

/// Seconds since the Unix epoch, with their fraction.
fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

/// Sleeps until the start of the next second: the session's check time is
/// kept in whole seconds, so that a test step that starts there has almost
/// a whole second more before the interval runs out.
fn at_the_next_second() {
    let fraction = unix_now().fract();
    std::thread::sleep(Duration::from_secs_f64(1.0 - fraction + 0.01));
}

#[test]
fn log_out_everywhere_reaches_a_copy_on_the_other_replica_once_the_interval_has_passed() {
    let secret = secret();
    let accounts = AccountsFile::new();
    let [first, second] = two_replicas(&secret, &accounts);

    // An account made on the first replica signs in on the second.
    let (made, _) =
        post_account_form(&first, "/signup", None, &format!("name=Ada&password={PASSWORD}"));
    signed_in(&made, "sign-up on the first replica");
    let (on_second, _) =
        post_account_form(&second, "/login", None, &format!("name=ada&password={PASSWORD}"));
    let later = signed_in(&on_second, "sign-in on the second replica");
    assert!(is_signed_in(&second, &later));

    // A new sign-in on the first replica; its cookie is copied (another
    // browser, another device) before "log out everywhere".
    at_the_next_second();
    let checked_at = unix_now().floor();
    let (response, _) =
        post_account_form(&first, "/login", None, &format!("name=Ada&password={PASSWORD}"));
    let cookie = signed_in(&response, "sign-in on the first replica");
    // The session's check time: this second, or the next if the sign-in
    // took past it.
    let checked_by = unix_now().floor();
    let copy = cookie.clone();
    assert!(is_signed_in(&second, &copy), "the copy works on the second replica");

    let profile = first.get("/profile", Some(&cookie));
    assert!(profile.body.contains(&format!("{EVERY} seconds")), "{}", profile.body);
    let token = csrf_token(&profile.body).expect("the profile's token");
    let done = first.post_form("/logout/everywhere", Some(&cookie), &format!("csrf_token={token}"));
    assert_eq!(done.status, 303, "log out everywhere: {done:?}");
    assert_eq!(done.header("Location"), Some("/logout/everywhere"));
    let removal = done.set_cookie_for("sid").unwrap_or_default();
    assert!(removal.starts_with("sid=;") && removal.contains("Max-Age=0"), "{done:?}");

    // Within the interval the copy still works on the other replica: it was
    // checked at sign-in, and is not checked again before the interval.
    let still = unix_now() - checked_at;
    assert!(still < EVERY as f64 - 0.3, "the test was too slow ({still:.2} s) to see the interval");
    assert!(is_signed_in(&second, &copy), "the copy ended before the interval ({still:.2} s)");

    // Once the interval has passed, its next request is checked and refused,
    // on either replica.
    let due = checked_by + EVERY as f64;
    let started = Instant::now();
    while unix_now() < due {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!is_signed_in(&second, &copy), "the copy works after the interval, on the second");
    assert!(!is_signed_in(&first, &copy), "the copy works after the interval, on the first");
    // The session made on the second replica before, too.
    assert!(!is_signed_in(&second, &later), "the second replica's own sign-in still works");
    say(&format!(
        "log out everywhere: a copy on the other replica ended {:.1} s after its last check \
         (interval {EVERY} s; waited {:.1} s)",
        unix_now() - checked_at,
        started.elapsed().as_secs_f64()
    ));

    // The password still signs in, on either replica: a new session with
    // the account's new epoch, which stands.
    let (again, _) =
        post_account_form(&second, "/login", None, &format!("name=Ada&password={PASSWORD}"));
    let fresh = signed_in(&again, "sign-in after log out everywhere");
    std::thread::sleep(Duration::from_secs(EVERY + 1));
    assert!(is_signed_in(&first, &fresh), "a sign-in after log out everywhere ends too");
}

#[test]
fn a_replica_with_another_accounts_database_refuses_the_session_at_its_check() {
    // The reason a fleet shares one database: a replica that does not know
    // the account refuses the session as soon as it checks it.
    let secret = secret();
    let (shared, elsewhere) = (AccountsFile::new(), AccountsFile::new());
    let [first, _] = two_replicas(&secret, &shared);
    let [stranger, _] = two_replicas(&secret, &elsewhere);
    at_the_next_second();
    let (made, _) =
        post_account_form(&first, "/signup", None, &format!("name=Ada&password={PASSWORD}"));
    let cookie = signed_in(&made, "sign-up");
    assert!(is_signed_in(&stranger, &cookie), "not checked before the interval");
    std::thread::sleep(Duration::from_secs(EVERY + 1));
    assert!(!is_signed_in(&stranger, &cookie), "an unknown account was not refused");
    assert!(is_signed_in(&first, &cookie), "the replica that knows the account keeps it");
}
