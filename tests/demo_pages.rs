//! The demo's pages through Rocket's local client: login regenerates the
//! session id, `/profile` needs a user, forms without the right CSRF token
//! get the 403 page, logout destroys the session and flashes; "remember me"
//! gives the session 30 days; notes grow the session past one cookie, a
//! note that would not fit is refused, and clearing removes the piece;
//! accounts: sign-up, a taken name, weak and wrong passwords (an unknown
//! name answered as a wrong password, in about the same time), no password
//! in clear in the database file, and "log out everywhere".
//!
//! Each client has an accounts database of its own (in memory), unless a
//! test gives it a file.

mod common;

use common::{form_encode, sample_note as note};
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::{Client, LocalResponse};

fn client() -> Client {
    client_configured(base())
}

/// Rocket's default figment with an accounts database of its own (in
/// memory) for each client built from it.
fn base() -> Figment {
    rocket::Config::figment().merge(("databases.accounts.url", common::MEMORY_ACCOUNTS))
}

/// A client of the demo app with `figment` ([`base`] with changes).
fn client_configured(figment: Figment) -> Client {
    match Client::tracked(sealed_session_demo::app::rocket().configure(figment)) {
        Ok(client) => client,
        Err(err) => panic!("the demo app does not launch: {err}"),
    }
}

/// A client of the demo app with a given secret, so that two clients (two
/// browsers, or two replicas) open each other's cookies.
fn client_with_secret(secret: &str) -> Client {
    client_configured(base().merge(("session.secret", secret)))
}

fn body(response: LocalResponse<'_>) -> String {
    response.into_string().unwrap_or_default()
}

/// The text after `marker` up to the next `"` or `<`.
fn after(html: &str, marker: &str) -> String {
    let Some(start) = html.find(marker).map(|i| i + marker.len()) else {
        panic!("{marker:?} not found in:\n{html}");
    };
    html[start..].chars().take_while(|c| *c != '"' && *c != '<').collect()
}

fn csrf_token(html: &str) -> String {
    after(html, r#"name="csrf_token" value=""#)
}

fn panel_id(html: &str) -> String {
    after(html, r#"id="panel-id">"#)
}

fn location(response: &LocalResponse<'_>) -> Option<String> {
    response.headers().get_one("Location").map(str::to_owned)
}

fn set_cookies(response: &LocalResponse<'_>) -> Vec<String> {
    response.headers().get("Set-Cookie").map(str::to_owned).collect()
}

fn post_form<'c>(client: &'c Client, path: &'static str, form: &str) -> LocalResponse<'c> {
    client.post(path).header(ContentType::Form).body(form).dispatch()
}

/// The password of the tests' accounts, URL-encoded.
const PASSWORD: &str = "correct+horse+battery";

/// Signs up as `name` (URL-encoded) from a fresh page, which signs in;
/// returns the profile page.
fn login(client: &Client, name: &str) -> String {
    let token = csrf_token(&body(client.get("/signup").dispatch()));
    let form = format!("csrf_token={token}&name={name}&password={PASSWORD}");
    let response = post_form(client, "/signup", &form);
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/profile"));
    let profile = client.get("/profile").dispatch();
    assert_eq!(profile.status(), Status::Ok);
    body(profile)
}

#[test]
fn login_regenerates_the_session_id_and_rotates_the_csrf_token() {
    let client = client();
    let home = body(client.get("/").dispatch());
    let (id_before, token_before) = (panel_id(&home), csrf_token(&home));

    let profile = login(&client, "Ada");
    assert!(profile.contains("Signed in as Ada."), "{profile}");
    assert!(profile.contains("Hello, <strong>Ada</strong>"), "{profile}");
    assert_ne!(panel_id(&profile), id_before, "the session id must change at login");
    assert_ne!(csrf_token(&profile), token_before, "the CSRF token must change at login");

    // The data survived the new id: the counter goes on.
    assert!(body(client.get("/").dispatch()).contains("visited this page 2 times"));
    // The token from before the login is worthless now.
    let stale = post_form(&client, "/logout", &format!("csrf_token={token_before}"));
    assert_eq!(stale.status(), Status::Forbidden);
}

#[test]
fn the_flash_is_shown_once() {
    let client = client();
    login(&client, "Ada");
    let again = body(client.get("/profile").dispatch());
    assert!(!again.contains("Signed in as"), "{again}");
}

#[test]
fn profile_without_a_user_redirects_to_login() {
    let client = client();
    let response = client.get("/profile").dispatch();
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/login"));
    let login_page = body(client.get("/login").dispatch());
    assert!(login_page.contains("Please sign in to see that page."), "{login_page}");
}

#[test]
fn login_without_a_csrf_token_gets_the_403_page_and_signs_nobody_in() {
    let client = client();
    client.get("/login").dispatch();
    let response = post_form(&client, "/login", "name=Mallory");
    assert_eq!(response.status(), Status::Forbidden);
    assert!(set_cookies(&response).iter().all(|c| !c.starts_with("sid=")));
    let page = body(response);
    assert!(page.contains("403 Forbidden: form refused"), "{page}");
    assert!(page.contains("sent without its security token"), "{page}");
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
}

#[test]
fn login_with_a_wrong_csrf_token_gets_the_403_page() {
    let client = client();
    let real = csrf_token(&body(client.get("/login").dispatch()));
    let mut wrong = real.into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8_lossy(&wrong).into_owned();
    let response = post_form(&client, "/login", &format!("csrf_token={wrong}&name=Mallory"));
    assert_eq!(response.status(), Status::Forbidden);
    assert!(body(response).contains("does not belong to your session"));
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
}

#[test]
fn a_token_from_another_session_is_refused() {
    let attacker = client();
    let token = csrf_token(&body(attacker.get("/login").dispatch()));
    let victim = client();
    victim.get("/").dispatch();
    let response = post_form(&victim, "/login", &format!("csrf_token={token}&name=Mallory"));
    assert_eq!(response.status(), Status::Forbidden);
}

#[test]
fn a_post_without_any_session_is_refused() {
    let client = client();
    let response = post_form(&client, "/logout", "csrf_token=AAAA");
    assert_eq!(response.status(), Status::Forbidden);
}

#[test]
fn a_non_form_body_counts_as_a_missing_token() {
    let client = client();
    let token = csrf_token(&body(client.get("/login").dispatch()));
    let response = client
        .post("/login")
        .header(ContentType::Plain)
        .body(format!("csrf_token={token}&name=Mallory"))
        .dispatch();
    assert_eq!(response.status(), Status::Forbidden);
    assert!(body(response).contains("without its security token"));
}

#[test]
fn logout_button_destroys_the_session_and_flashes() {
    let client = client();
    let profile = login(&client, "Ada");
    let response = post_form(&client, "/logout", &format!("csrf_token={}", csrf_token(&profile)));
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/logout"));
    let cookies = set_cookies(&response);
    assert!(
        cookies.iter().any(|c| c.starts_with("sid=;") && c.contains("Max-Age=0")),
        "no removal cookie in {cookies:?}"
    );

    let page = body(client.get("/logout").dispatch());
    assert_eq!(page.matches("Logged out successfully!").count(), 1, "{page}");
    assert!(!page.contains("session-panel"), "no panel once the session is gone");
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
}

#[test]
fn logout_by_get_works_as_in_the_seed() {
    let client = client();
    login(&client, "Ada");
    let response = client.get("/logout").dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookies(&response).iter().any(|c| c.starts_with("sid=;")));
    assert!(body(response).contains("Logged out successfully!"));
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
}

#[test]
fn logout_without_a_token_is_refused_and_keeps_the_user() {
    let client = client();
    login(&client, "Ada");
    assert_eq!(post_form(&client, "/logout", "").status(), Status::Forbidden);
    assert_eq!(client.get("/profile").dispatch().status(), Status::Ok);
}

#[test]
fn every_page_has_a_csrf_protected_logout_button_and_the_session_panel() {
    let client = client();
    for path in ["/", "/login"] {
        let page = body(client.get(path).dispatch());
        assert!(page.contains(r#"<form method="post" action="/logout""#), "{path}");
        assert_eq!(csrf_token(&page).len(), 43, "{path}");
        for field in [
            "panel-id",
            "panel-created",
            "panel-absolute",
            "panel-lifetime",
            "panel-idle",
            "panel-key-id",
            "panel-cookie-bytes",
            "panel-cookies",
        ] {
            assert!(page.contains(&format!(r#"id="{field}""#)), "{path} lacks {field}");
        }
    }
    let profile = login(&client, "Ada");
    assert!(profile.contains(r#"action="/logout""#));
    assert!(profile.contains("session-panel"));
}

#[test]
fn the_panel_shows_key_id_and_cookie_size_but_never_the_cookie() {
    let client = client();
    let first = client.get("/").dispatch();
    let cookie = set_cookies(&first)
        .into_iter()
        .find_map(|c| c.strip_prefix("sid=").map(|v| v.split(';').next().unwrap_or("").to_owned()))
        .unwrap_or_default();
    assert!(!cookie.is_empty());
    let page = body(client.get("/").dispatch());
    let key_id = after(&page, r#"id="panel-key-id">"#);
    assert_eq!(key_id.len(), 8, "a 4-byte key id in hex: {key_id:?}");
    let bytes: usize = after(&page, r#"id="panel-cookie-bytes">"#)
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(bytes > cookie.len() && bytes < 4096, "{bytes}");
    assert!(!page.contains(&cookie));
}

#[test]
fn display_names_are_escaped() {
    let client = client();
    let profile = login(&client, "%3Cb%3EAda%3C%2Fb%3E");
    assert!(profile.contains("&lt;b&gt;Ada&lt;&#x2F;b&gt;"), "{profile}");
    assert!(!profile.contains("<b>Ada</b>"));
}

#[test]
fn an_empty_name_shows_the_form_again() {
    let client = client();
    let token = csrf_token(&body(client.get("/login").dispatch()));
    let form = format!("csrf_token={token}&name=%20%20%20&password={PASSWORD}");
    let response = post_form(&client, "/login", &form);
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(body(response).contains("Please enter a display name."));
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
}

#[test]
fn pages_use_the_local_stylesheet_and_no_scripts() {
    let client = client();
    for path in ["/", "/login", "/logout"] {
        let page = body(client.get(path).dispatch());
        assert!(page.contains(r#"<link rel="stylesheet" href="/static/style.css">"#), "{path}");
        assert!(!page.contains("<script"), "{path}");
        assert!(!page.contains("https://"), "{path} names a remote resource");
    }
    let css = client.get("/static/style.css").dispatch();
    assert_eq!(css.status(), Status::Ok);
    assert_eq!(css.content_type(), Some(ContentType::CSS));
    assert!(set_cookies(&css).is_empty());
}

#[test]
fn api_session_stays_read_only_after_login() {
    let client = client();
    login(&client, "Ada");
    let response =
        client.get("/api/session").header(Header::new("Accept", "application/json")).dispatch();
    assert_eq!(response.status(), Status::Ok);
    assert!(set_cookies(&response).is_empty());
    let json: serde_json::Value = response.into_json().unwrap_or_default();
    assert!(json["id"].is_string(), "{json}");
    assert_eq!(json["views"], 0);
}

#[test]
fn the_flash_carries_names_with_cookie_delimiters_and_unicode() {
    let client = client();
    let profile = login(&client, "Ada%3B%20L%C3%B6velace%2C%20%22x%22=1");
    assert!(profile.contains("Signed in as Ada; Lövelace, &quot;x&quot;=1."), "{profile}");
}

/// Asserts that every `Set-Cookie` of `response` is the session cookie's,
/// and that none carries `clear` (text that must only travel sealed).
fn only_the_session_cookie(response: &LocalResponse<'_>, what: &str, clear: &str) {
    for cookie in set_cookies(response) {
        assert!(cookie.starts_with("sid="), "{what}: a cookie other than the session's: {cookie}");
        assert!(!cookie.contains(clear), "{what}: {clear:?} in clear in {cookie}");
    }
}

#[test]
fn flash_messages_travel_in_the_sealed_session_and_show_once() {
    let secret = rocket_sealed_session::Secret::generate().to_base64();
    let client = client_with_secret(&secret);
    let page = client.get("/login").dispatch();
    only_the_session_cookie(&page, "login form", "Lovelace");
    let token = csrf_token(&body(page));

    let form = format!("csrf_token={token}&name=Ada+Lovelace&password={PASSWORD}");
    let signed_in = post_form(&client, "/signup", &form);
    assert_eq!(signed_in.status(), Status::SeeOther);
    only_the_session_cookie(&signed_in, "login", "Lovelace");
    let sealed = set_cookies(&signed_in)
        .iter()
        .find_map(|c| c.strip_prefix("sid=").map(|v| v.split(';').next().unwrap_or("").to_owned()))
        .expect("the login seals the session");

    let profile = client.get("/profile").dispatch();
    only_the_session_cookie(&profile, "profile", "Lovelace");
    assert_eq!(body(profile).matches("Signed in as Ada Lovelace.").count(), 1, "shown once");
    let again = client.get("/profile").dispatch();
    assert!(set_cookies(&again).is_empty(), "no flash left: nothing to re-seal");
    let again = body(again);
    assert!(!again.contains("Signed in as"), "the flash is gone: {again}");
    assert!(again.contains("Hello, <strong>Ada Lovelace</strong>"), "still signed in");
    let names: Vec<String> = client.cookies().iter().map(|c| c.name().to_owned()).collect();
    assert_eq!(names, ["sid"], "the browser holds the session cookie only");

    // The message was inside the sealed cookie of the login response:
    // another browser given that cookie (and nothing else) sees it.
    let replay = client_with_secret(&secret);
    let page = replay.get("/profile").cookie(rocket::http::Cookie::new("sid", sealed)).dispatch();
    assert!(body(page).contains("Signed in as Ada Lovelace."), "the flash is in the session");
}

#[test]
fn the_sign_in_warning_travels_in_the_session_and_shows_once() {
    let client = client();
    let redirect = client.get("/profile").dispatch();
    assert_eq!(redirect.status(), Status::SeeOther);
    only_the_session_cookie(&redirect, "redirect to login", "Please sign in");
    let first = body(client.get("/login").dispatch());
    assert_eq!(first.matches("Please sign in to see that page.").count(), 1, "{first}");
    let second = body(client.get("/login").dispatch());
    assert!(!second.contains("Please sign in"), "shown once: {second}");
    assert!(client.cookies().iter().all(|c| c.name() == "sid"));
}

// ---------------------------------------------------------------------------
// Remember me
// ---------------------------------------------------------------------------

const DAY: u64 = 86_400;
const THIRTY_DAYS: u64 = 30 * DAY;

fn now() -> u64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since_epoch.map(|d| d.as_secs()).unwrap_or_default()
}

/// A Unix time as the panel writes it (RFC 3339, UTC).
fn rfc3339(unix_seconds: u64) -> String {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::from_unix_timestamp(unix_seconds as i64);
    at.ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Signs in as `name` (URL-encoded) through the form, with "remember me"
/// ticked or not, signing up first if the account does not exist yet;
/// returns the session's `Set-Cookie` of the login response.
fn sign_in(client: &Client, name: &str, remember: bool) -> String {
    let page = body(client.get("/login").dispatch());
    assert!(page.contains(r#"<input type="checkbox" id="remember" name="remember">"#), "{page}");
    let remember = if remember { "&remember=on" } else { "" };
    let form =
        format!("csrf_token={}&name={name}&password={PASSWORD}{remember}", csrf_token(&page));
    let mut response = post_form(client, "/login", &form);
    if response.status() == Status::UnprocessableEntity {
        // No such account yet: the same form, to /signup.
        response = post_form(client, "/signup", &form);
    }
    assert_eq!(response.status(), Status::SeeOther, "signing in as {name}");
    let cookie = set_cookies(&response).into_iter().find(|c| c.starts_with("sid="));
    cookie.expect("the login seals the session")
}

/// The `Max-Age` of a `Set-Cookie`.
fn max_age(set_cookie: &str) -> u64 {
    let value = set_cookie.split(';').find_map(|a| a.trim().strip_prefix("Max-Age="));
    value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no Max-Age: {set_cookie}"))
}

/// Checks the profile's panel after a sign-in made between `before` and
/// `after_login` (Unix seconds) with a lifetime of `lifetime` seconds.
fn panel_shows_the_lifetime(
    client: &Client,
    before: u64,
    after_login: u64,
    lifetime: u64,
    says: &str,
) {
    let profile = body(client.get("/profile").dispatch());
    assert_eq!(after(&profile, r#"id="panel-lifetime">"#), says, "{profile}");
    let deadline = after(&profile, r#"<time id="panel-absolute">"#);
    let expected: Vec<String> = (before..=after_login).map(|t| rfc3339(t + lifetime)).collect();
    assert!(
        expected.contains(&deadline),
        "panel deadline {deadline}, expected one of {expected:?}"
    );
    // The counter page's "expires at" is the same deadline (no idle timeout).
    let home = body(client.get("/").dispatch());
    assert_eq!(after(&home, r#"<time id="expires-at" datetime=""#), deadline);
}

#[test]
fn remember_me_gives_the_session_thirty_days_and_the_panel_shows_the_deadline() {
    let client = client();
    let before = now();
    let set_cookie = sign_in(&client, "Ada", true);
    let after_login = now();
    let age = max_age(&set_cookie);
    assert!((THIRTY_DAYS - 10..=THIRTY_DAYS).contains(&age), "Max-Age {age}: {set_cookie}");
    panel_shows_the_lifetime(&client, before, after_login, THIRTY_DAYS, "30 days (remember me)");

    // Signing in again without the box starts a session of the default
    // lifetime: "remember me" does not stick to the browser.
    let before = now();
    let set_cookie = sign_in(&client, "Ada", false);
    let after_login = now();
    assert!((DAY - 10..=DAY).contains(&max_age(&set_cookie)), "{set_cookie}");
    panel_shows_the_lifetime(&client, before, after_login, DAY, "1 day (the default)");
}

#[test]
fn without_remember_me_the_session_gets_the_default_lifetime() {
    let client = client();
    let before = now();
    let set_cookie = sign_in(&client, "Grace", false);
    let after_login = now();
    let age = max_age(&set_cookie);
    assert!((DAY - 10..=DAY).contains(&age), "Max-Age {age}: {set_cookie}");
    panel_shows_the_lifetime(&client, before, after_login, DAY, "1 day (the default)");
}

// ---------------------------------------------------------------------------
// Notes: a session past one cookie
// ---------------------------------------------------------------------------

fn add_note<'c>(client: &'c Client, token: &str, text: &str) -> LocalResponse<'c> {
    post_form(client, "/notes", &format!("csrf_token={token}&text={}", form_encode(text)))
}

/// The notes page's CSRF token.
fn notes_token(client: &Client) -> String {
    let page = client.get("/notes").dispatch();
    assert_eq!(page.status(), Status::Ok, "/notes for a signed-in user");
    csrf_token(&body(page))
}

/// How many notes the notes page lists.
fn notes_listed(page: &str) -> usize {
    if page.contains(r#"id="no-notes""#) {
        return 0;
    }
    let count = after(page, r#"<h2 id="notes-count">"#);
    count.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{count:?}"))
}

/// How many cookies the panel says the session takes.
fn panel_cookie_count(page: &str) -> usize {
    let count = after(page, r#"<span id="panel-cookie-count">"#);
    count.parse().unwrap_or_else(|_| panic!("panel cookie count {count:?}"))
}

/// The names of the cookies the client holds with a value, sorted. (Rocket's
/// tracked client keeps a removed cookie with an empty value: it forgets a
/// cookie on a past `Expires`, not on `Max-Age=0`. Browsers forget it on
/// both; `tests/browser/pages.rs` checks that in Chromium.)
fn cookie_names(client: &Client) -> Vec<String> {
    let cookies = client.cookies();
    let live = cookies.iter().filter(|c| !c.value().is_empty());
    let mut names: Vec<String> = live.map(|c| c.name().to_owned()).collect();
    names.sort();
    names
}

/// `(name, value)` of each `Set-Cookie` of a response.
fn set_cookie_pairs(response: &LocalResponse<'_>) -> Vec<(String, String)> {
    let pairs = set_cookies(response).into_iter().filter_map(|c| {
        let pair = c.split(';').next()?.to_owned();
        let (name, value) = pair.split_once('=')?;
        Some((name.to_owned(), value.to_owned()))
    });
    pairs.collect()
}

#[test]
fn notes_need_a_signed_in_user() {
    let client = client();
    let response = client.get("/notes").dispatch();
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/login"));
    let page = body(client.get("/login").dispatch());
    assert!(page.contains("Please sign in to see that page."), "{page}");
    // A form sent without a user (but with the session's token) goes there too.
    let token = csrf_token(&page);
    let response = add_note(&client, &token, "hello");
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/login"));
    assert!(body(client.get("/").dispatch()).contains(r#"href="/notes">Notes</a>"#));
}

#[test]
fn adding_and_clearing_notes_needs_the_csrf_token_and_a_refused_form_changes_nothing() {
    let client = client();
    login(&client, "Ada");
    let token = notes_token(&client);
    assert_eq!(add_note(&client, &token, "first note").status(), Status::SeeOther);

    let refused = [
        post_form(&client, "/notes", "text=planted"),
        post_form(&client, "/notes", &format!("csrf_token={}&text=planted", "A".repeat(43))),
        post_form(&client, "/notes/clear", ""),
        post_form(&client, "/notes/clear", &format!("csrf_token={}", "A".repeat(43))),
    ];
    for response in refused {
        assert_eq!(response.status(), Status::Forbidden);
        assert!(set_cookies(&response).is_empty(), "a refused form changes no cookie");
        assert!(body(response).contains("403 Forbidden: form refused"));
    }
    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), 1, "{page}");
    assert!(page.contains("<li>first note</li>") && !page.contains("planted"), "{page}");

    let cleared = post_form(&client, "/notes/clear", &format!("csrf_token={token}"));
    assert_eq!(cleared.status(), Status::SeeOther);
    assert_eq!(location(&cleared).as_deref(), Some("/notes"));
    let page = body(client.get("/notes").dispatch());
    assert!(page.contains("Notes cleared.") && page.contains(r#"id="no-notes""#), "{page}");
}

#[test]
fn notes_grow_the_session_past_one_cookie_and_clearing_removes_the_piece() {
    let client = client();
    login(&client, "Ada");
    let token = notes_token(&client);
    let mut notes = Vec::new();
    let grown = loop {
        assert!(notes.len() < 20, "20 notes and the session still takes one cookie");
        let text = note(notes.len(), 450);
        let response = add_note(&client, &token, &text);
        assert_eq!(response.status(), Status::SeeOther, "note {}", notes.len());
        notes.push(text);
        let cookies = set_cookies(&response);
        if cookies.iter().any(|c| c.starts_with("sid.1=")) {
            break cookies;
        }
    };
    assert_eq!(grown.len(), 2, "sid and sid.1: {grown:?}");
    for piece in &grown {
        assert!(piece.len() <= 4096, "{} bytes: {piece}", piece.len());
        assert!(piece.contains("HttpOnly") && piece.contains("Max-Age="), "{piece}");
    }
    assert_eq!(cookie_names(&client), ["sid", "sid.1"]);

    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), notes.len());
    for text in &notes {
        assert!(page.contains(&format!("<li>{text}</li>")), "missing {text:?}");
    }
    assert!(page.contains("Note added."), "{page}");
    assert_eq!(panel_cookie_count(&page), 2, "{page}");
    assert!(page.contains("</span> cookies: <code>sid</code>, <code>sid.1</code> (at most 2)"));
    let bytes: usize = after(&page, r#"id="panel-cookie-bytes">"#)
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(bytes > 4096, "the panel's size: {bytes}");
    // Every page shows the count.
    assert_eq!(panel_cookie_count(&body(client.get("/").dispatch())), 2);

    let cleared = post_form(&client, "/notes/clear", &format!("csrf_token={token}"));
    assert_eq!(cleared.status(), Status::SeeOther);
    let pairs = set_cookie_pairs(&cleared);
    let sid = pairs.iter().find(|(name, _)| name == "sid").expect("the session is re-sealed");
    assert!(!sid.1.is_empty(), "the session lives on in one cookie: {pairs:?}");
    let removal = set_cookies(&cleared).into_iter().find(|c| c.starts_with("sid.1="));
    let removal = removal.unwrap_or_else(|| panic!("sid.1 is not removed: {pairs:?}"));
    assert!(removal.starts_with("sid.1=;") && removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(cookie_names(&client), ["sid"], "the client holds no stale piece");

    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), 0, "{page}");
    assert_eq!(panel_cookie_count(&page), 1, "{page}");
    assert!(page.contains("</span> cookie: <code>sid</code> (at most 2)"), "{page}");
    assert!(page.contains("Notes cleared."), "{page}");
}

#[test]
fn a_note_that_does_not_fit_is_refused_with_a_message_and_every_page_still_works() {
    let client = client();
    // The longest display name, 40 characters of 4 bytes each.
    let name = "%F0%9D%92%9C".repeat(40);
    sign_in(&client, &name, false);
    let token = notes_token(&client);
    let mut added = 0;
    let refused = loop {
        assert!(added < 30, "30 notes of 480 characters and none refused");
        let response = add_note(&client, &token, &note(added, 480));
        match response.status() {
            Status::SeeOther => added += 1,
            Status::UnprocessableEntity => break body(response),
            other => panic!("note {added}: {other}: {}", body(response)),
        }
    };
    assert!(added >= 5, "only {added} notes fit");
    assert!(refused.contains("That note does not fit"), "{refused}");
    assert!(refused.contains("Nothing was saved."), "{refused}");
    assert!(refused.contains(&note(added, 480)), "the refused text is kept in the form");
    assert_eq!(notes_listed(&refused), added, "the refused note is not listed");

    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), added, "nothing was saved");
    assert_eq!(panel_cookie_count(&page), 2, "{page}");

    // Fill it to the brim with ever shorter notes, down to one character.
    for len in [240, 120, 60, 30, 15, 8, 4, 2, 1] {
        while add_note(&client, &token, &"z".repeat(len)).status() == Status::SeeOther {
            added += 1;
        }
    }
    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), added);

    // Every other page still saves the full session: more visits, signing
    // in again with "remember me" (a lifetime and a flash more), the profile.
    for _ in 0..12 {
        assert_eq!(client.get("/").dispatch().status(), Status::Ok);
    }
    let set_cookie = sign_in(&client, &name, true);
    assert!(max_age(&set_cookie) > DAY, "{set_cookie}");
    let profile = client.get("/profile").dispatch();
    assert_eq!(profile.status(), Status::Ok);
    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), added, "the same name keeps its notes");

    // Another name starts without the notes (they were the other user's).
    sign_in(&client, "Grace", false);
    assert_eq!(notes_listed(&body(client.get("/notes").dispatch())), 0);
}

#[test]
fn a_refused_note_says_why_and_keeps_the_text() {
    let client = client();
    login(&client, "Ada");
    let token = notes_token(&client);
    let long = "x".repeat(501);
    let cases = [("+%0D%0A+", "Please write something first."), (long.as_str(), "too long")];
    for (text, reason) in cases {
        let response = post_form(&client, "/notes", &format!("csrf_token={token}&text={text}"));
        assert_eq!(response.status(), Status::UnprocessableEntity);
        let page = body(response);
        assert!(after(&page, r#"id="form-error" role="alert">"#).contains(reason), "{page}");
    }
    let page = body(client.get("/notes").dispatch());
    assert_eq!(notes_listed(&page), 0);
}

#[test]
fn notes_are_escaped_and_keep_their_line_breaks() {
    let client = client();
    login(&client, "Ada");
    let token = notes_token(&client);
    let added = add_note(&client, &token, "  line one\r\nline <b>two</b>  ");
    assert_eq!(added.status(), Status::SeeOther);
    let page = body(client.get("/notes").dispatch());
    assert!(page.contains("<li>line one\nline &lt;b&gt;two&lt;&#x2F;b&gt;</li>"), "{page}");
    assert!(!page.contains("<b>two</b>"));
}

// ---------------------------------------------------------------------------
// Accounts: sign-up, sign-in, passwords, "log out everywhere"
// ---------------------------------------------------------------------------

/// POSTs the sign-up or sign-in form (`path`) with the page's token;
/// `name` and `password` URL-encoded.
fn account_form<'c>(
    client: &'c Client,
    path: &'static str,
    name: &str,
    password: &str,
) -> LocalResponse<'c> {
    let token = csrf_token(&body(client.get(path).dispatch()));
    post_form(client, path, &format!("csrf_token={token}&name={name}&password={password}"))
}

/// The refusal message of a form page.
fn form_error(page: &str) -> String {
    after(page, r#"id="form-error" role="alert">"#)
}

/// Logs out with the button of the page at `path`.
fn log_out(client: &Client) {
    let token = csrf_token(&body(client.get("/").dispatch()));
    let response = post_form(client, "/logout", &format!("csrf_token={token}"));
    assert_eq!(response.status(), Status::SeeOther);
}

#[test]
fn signing_up_creates_an_account_signs_in_and_the_password_signs_in_again() {
    let client = client();
    let home = body(client.get("/").dispatch());
    assert!(home.contains(r#"<a href="/signup">Sign up</a>"#), "{home}");
    let (id_before, token_before) = (panel_id(&home), csrf_token(&home));

    let response = account_form(&client, "/signup", "Ada+Lovelace", PASSWORD);
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/profile"));
    let profile = body(client.get("/profile").dispatch());
    assert!(profile.contains("Account created. Signed in as Ada Lovelace."), "{profile}");
    assert_ne!(panel_id(&profile), id_before, "the session id must change at sign-up");
    assert_ne!(csrf_token(&profile), token_before, "the CSRF token must change at sign-up");

    log_out(&client);
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);
    // The name is found without regard to case; the account keeps its own.
    let response = account_form(&client, "/login", "ada+LOVELACE", PASSWORD);
    assert_eq!(response.status(), Status::SeeOther);
    let profile = body(client.get("/profile").dispatch());
    assert!(profile.contains("Signed in as Ada Lovelace."), "{profile}");
    assert!(profile.contains("Hello, <strong>Ada Lovelace</strong>"), "{profile}");
}

#[test]
fn a_taken_name_is_refused_with_a_message_whatever_its_case() {
    let client = client();
    login(&client, "Ada");
    log_out(&client);
    for name in ["Ada", "ada", "+ADA+"] {
        let response = account_form(&client, "/signup", name, "another+good+password");
        assert_eq!(response.status(), Status::UnprocessableEntity, "{name}");
        let page = body(response);
        let error = form_error(&page);
        assert_eq!(error, "That name is taken. Please choose another one, or sign in.");
        assert!(!page.contains("another+good+password") && !page.contains("another good password"));
        assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther, "{name}");
    }
    // The first account's password still signs in: nothing was overwritten.
    assert_eq!(account_form(&client, "/login", "Ada", PASSWORD).status(), Status::SeeOther);
}

#[test]
fn weak_passwords_are_refused_and_create_no_account() {
    let client = client();
    let cases = [
        ("short", "too short"),
        ("123456789", "too short"),
        ("Password123", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("zzzzzzzzzzzz", "too easy to guess"),
        ("Grace+Hopper", "too easy to guess"),
    ];
    for (password, reason) in cases {
        let response = account_form(&client, "/signup", "Grace+Hopper", password);
        assert_eq!(response.status(), Status::UnprocessableEntity, "{password}");
        let page = body(response);
        assert!(form_error(&page).contains(reason), "{password}: {}", form_error(&page));
        assert!(page.contains(r#"value="Grace Hopper""#), "the name is kept: {page}");
        assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther, "{password}");
    }
    // None of them created the account: the name is still free.
    assert_eq!(
        account_form(&client, "/signup", "Grace+Hopper", PASSWORD).status(),
        Status::SeeOther
    );
}

#[test]
fn a_wrong_password_and_an_unknown_name_get_the_same_answer_in_about_the_same_time() {
    let client = client();
    login(&client, "Ada");
    log_out(&client);
    // The refusal page, with what differs from one request to the next (the
    // token, the session panel, the name as typed) cut away.
    let refusal = |name: &str| {
        let started = std::time::Instant::now();
        let response = account_form(&client, "/login", name, "not+the+password");
        let status = response.status();
        let page = body(response);
        let elapsed = started.elapsed();
        assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther, "{name}");
        let main = page.split("<main>").nth(1).and_then(|p| p.split("</main>").next());
        let main = main.unwrap_or_default().replace(&csrf_token(&page), "TOKEN");
        (status, form_error(&page), main.replace(r#"value="Nobody""#, r#"value="Ada""#), elapsed)
    };
    let (wrong_status, wrong_error, wrong_page, _) = refusal("Ada");
    let (unknown_status, unknown_error, unknown_page, _) = refusal("Nobody");
    assert_eq!(wrong_status, Status::UnprocessableEntity);
    assert_eq!(unknown_status, wrong_status);
    assert_eq!(wrong_error, "Wrong name or password.");
    assert_eq!(unknown_error, wrong_error);
    assert_eq!(unknown_page, wrong_page, "the two refusals differ");

    // An unknown name costs a password hash too (against a dummy hash):
    // the fastest of a few tries of each: not 3 times faster than a wrong
    // password (without the hash it is about 20 times faster).
    let fastest = |name: &str| (0..5).map(|_| refusal(name).3).min().unwrap_or_default();
    let (wrong, unknown) = (fastest("Ada"), fastest("Nobody"));
    common::say(&format!("sign-in refused in {wrong:?} (wrong password), {unknown:?} (unknown)"));
    assert!(unknown * 3 >= wrong, "an unknown name answered faster: {unknown:?} against {wrong:?}");
}

#[test]
fn passwords_are_not_stored_in_clear() {
    let scratch = common::process::Scratch::new("accounts", "in-clear");
    let file = scratch.path().join("accounts.sqlite");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let client = client_configured(base().merge(("databases.accounts.url", url)));
    let password = "Tr0ub4dor%26amp%3B3+horse+staple";
    let clear = "Tr0ub4dor&amp;3 horse staple";
    assert_eq!(account_form(&client, "/signup", "Ada", password).status(), Status::SeeOther);

    // Every byte SQLite wrote: the database file and its write-ahead log.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        let path = format!("{}{suffix}", file.display());
        bytes.extend(std::fs::read(&path).unwrap_or_default());
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Ada"), "the account is not in {}", file.display());
    let phc = text.find("$argon2id$v=19$m=19456,t=2,p=1$").map(|at| &text[at..at + 98]);
    assert!(phc.is_some(), "no Argon2id PHC string in the database");
    for piece in [clear, "Tr0ub4dor", "horse staple"] {
        assert!(!text.contains(piece), "{piece:?} is in the database file in clear");
    }
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, clear);
    assert!(!text.contains(encoded.trim_end_matches('=')), "the password in base64");
    // And the table, as SQLite reads it: one PHC string with its own salt.
    let rows = sql(&file, "SELECT name || ' ' || password_hash FROM users");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("Ada $argon2id$v=19$m=19456,t=2,p=1$"), "{rows:?}");
    assert!(!rows[0].contains("Tr0ub4dor"), "{rows:?}");

    // What is stored signs in.
    log_out(&client);
    assert_eq!(account_form(&client, "/login", "Ada", password).status(), Status::SeeOther);
}

/// Runs `statement` on the SQLite file `file` (as another program could);
/// the first column of each row, as text.
fn sql(file: &std::path::Path, statement: &str) -> Vec<String> {
    use rocket_db_pools::sqlx::{self, sqlite::SqliteConnectOptions, Connection, Row};
    let runtime = rocket::tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let options = SqliteConnectOptions::new().filename(file);
        let mut db = sqlx::SqliteConnection::connect_with(&options).await.expect("the file opens");
        let rows = sqlx::query(statement).fetch_all(&mut db).await.expect(statement);
        rows.iter().map(|row| row.try_get::<String, _>(0).unwrap_or_default()).collect()
    })
}

/// Two copies of the app ("replicas") with one secret and one accounts
/// database (a SQLite file in `scratch`), checking sessions against their
/// account every `every` seconds.
fn two_replicas(scratch: &common::process::Scratch, every: u64) -> (Client, Client) {
    let secret = common::secret();
    let url = format!("sqlite://{}?mode=rwc", scratch.path().join("accounts.sqlite").display());
    let figment = || {
        base()
            .merge(("session.secret", secret.as_str()))
            .merge(("databases.accounts.url", url.as_str()))
            .merge(("demo.revalidate_every", every))
    };
    (client_configured(figment()), client_configured(figment()))
}

#[test]
fn log_out_everywhere_ends_this_session_and_the_page_says_within_what_time() {
    let client = client();
    let profile = login(&client, "Ada");
    assert!(profile.contains(r#"<form method="post" action="/logout/everywhere""#), "{profile}");
    assert_eq!(after(&profile, r#"<strong id="revalidate-every">"#), "30 seconds");

    // Without the token: refused, and nothing ends.
    let refused = post_form(&client, "/logout/everywhere", "");
    assert_eq!(refused.status(), Status::Forbidden);
    assert_eq!(client.get("/profile").dispatch().status(), Status::Ok);

    let token = csrf_token(&profile);
    let response = post_form(&client, "/logout/everywhere", &format!("csrf_token={token}"));
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response).as_deref(), Some("/logout/everywhere"));
    let cookies = set_cookies(&response);
    assert!(
        cookies.iter().any(|c| c.starts_with("sid=;") && c.contains("Max-Age=0")),
        "no removal cookie in {cookies:?}"
    );
    let page = body(client.get("/logout/everywhere").dispatch());
    assert!(page.contains("Logged out everywhere."), "{page}");
    assert!(page.contains("stops working within 30 seconds"), "{page}");
    assert_eq!(client.get("/profile").dispatch().status(), Status::SeeOther);

    // The password still signs in, and that new session stands.
    assert_eq!(account_form(&client, "/login", "Ada", PASSWORD).status(), Status::SeeOther);
    assert_eq!(client.get("/profile").dispatch().status(), Status::Ok);
}

/// The session cookie of a `Set-Cookie` list, as a browser would send it.
fn session_cookie(set_cookies: &[String]) -> rocket::http::Cookie<'static> {
    let sid = set_cookies.iter().find_map(|c| c.strip_prefix("sid=")).expect("a session cookie");
    rocket::http::Cookie::new("sid", sid.split(';').next().unwrap_or_default().to_owned())
}

/// Signs up as Ada on `first`; a second browser on `second` is given a copy
/// of the new session's cookie (and keeps what it is sent from then on);
/// returns the first's profile page.
fn signed_in_twice(first: &Client, second: &Client) -> String {
    let token = csrf_token(&body(first.get("/signup").dispatch()));
    let form = format!("csrf_token={token}&name=Ada&password={PASSWORD}");
    let copy = session_cookie(&set_cookies(&post_form(first, "/signup", &form)));
    assert_eq!(second.get("/").cookie(copy).dispatch().status(), Status::Ok);
    assert_eq!(second.get("/profile").dispatch().status(), Status::Ok, "the copy works before");
    body(first.get("/profile").dispatch())
}

#[test]
fn a_copy_of_the_cookie_on_another_replica_is_refused_after_log_out_everywhere() {
    // Checked on every request: the copy is refused at once.
    let scratch = common::process::Scratch::new("accounts", "everywhere-at-once");
    let (first, second) = two_replicas(&scratch, 0);
    let profile = signed_in_twice(&first, &second);
    assert!(profile.contains(r#"<strong id="revalidate-every">at once"#), "{profile}");
    let everywhere = format!("csrf_token={}", csrf_token(&profile));
    assert_eq!(post_form(&first, "/logout/everywhere", &everywhere).status(), Status::SeeOther);
    let refused = second.get("/profile").dispatch();
    assert_eq!(refused.status(), Status::SeeOther, "the copy still works");
    assert_eq!(location(&refused).as_deref(), Some("/login"));
    assert!(body(second.get("/login").dispatch()).contains("Please sign in to see that page."));
    // Its data went with it, not only the user: a fresh session.
    assert!(body(second.get("/").dispatch()).contains("visited this page 1 times"));

    // Checked every 30 s: the copy was checked at sign-up, and keeps
    // working until its next check (the price of not asking the database
    // on every request).
    let scratch = common::process::Scratch::new("accounts", "everywhere-in-30s");
    let (first, second) = two_replicas(&scratch, 30);
    let profile = signed_in_twice(&first, &second);
    let everywhere = format!("csrf_token={}", csrf_token(&profile));
    assert_eq!(post_form(&first, "/logout/everywhere", &everywhere).status(), Status::SeeOther);
    assert_eq!(second.get("/profile").dispatch().status(), Status::Ok, "not due for 30 s");
}

#[test]
fn a_session_that_cannot_be_checked_is_refused() {
    // Fail closed: with the accounts table gone (the database failing), a
    // signed-in session due for its check is signed out, not kept.
    let scratch = common::process::Scratch::new("accounts", "fail-closed");
    let (first, _) = two_replicas(&scratch, 0);
    login(&first, "Ada");
    assert_eq!(first.get("/profile").dispatch().status(), Status::Ok);
    let file = scratch.path().join("accounts.sqlite");
    sql(&file, "ALTER TABLE users RENAME TO users_away");
    let refused = first.get("/profile").dispatch();
    assert_eq!(refused.status(), Status::SeeOther, "a session that could not be checked stands");
    assert_eq!(location(&refused).as_deref(), Some("/login"));
    // Anonymous sessions need no check: the pages still work.
    assert_eq!(first.get("/").dispatch().status(), Status::Ok);

    // The database back: the account signs in again.
    sql(&file, "ALTER TABLE users_away RENAME TO users");
    assert_eq!(account_form(&first, "/login", "Ada", PASSWORD).status(), Status::SeeOther);
    assert_eq!(first.get("/profile").dispatch().status(), Status::Ok);
}
