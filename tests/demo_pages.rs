//! The demo's pages through Rocket's local client: login regenerates the
//! session id, `/profile` needs a user, forms without the right CSRF token
//! get the 403 page, logout destroys the session and flashes.

use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::{Client, LocalResponse};

fn client() -> Client {
    match Client::tracked(sealed_session_demo::app::rocket()) {
        Ok(client) => client,
        Err(err) => panic!("the demo app does not launch: {err}"),
    }
}

/// A client of the demo app with a given secret, so that two clients (two
/// browsers, or two replicas) open each other's cookies.
fn client_with_secret(secret: &str) -> Client {
    let figment = rocket::Config::figment().merge(("session.secret", secret));
    match Client::tracked(sealed_session_demo::app::rocket().configure(figment)) {
        Ok(client) => client,
        Err(err) => panic!("the demo app does not launch: {err}"),
    }
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

/// Signs in as `name` from a fresh page; returns the profile page.
fn login(client: &Client, name: &str) -> String {
    let token = csrf_token(&body(client.get("/login").dispatch()));
    let response = post_form(client, "/login", &format!("csrf_token={token}&name={name}"));
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
    assert!(login_page.contains("Please sign in to see your profile."), "{login_page}");
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
        for field in ["panel-id", "panel-created", "panel-absolute", "panel-idle", "panel-key-id"] {
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
    let response = post_form(&client, "/login", &format!("csrf_token={token}&name=%20%20%20"));
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

    let signed_in = post_form(&client, "/login", &format!("csrf_token={token}&name=Ada+Lovelace"));
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
    assert_eq!(first.matches("Please sign in to see your profile.").count(), 1, "{first}");
    let second = body(client.get("/login").dispatch());
    assert!(!second.contains("Please sign in"), "shown once: {second}");
    assert!(client.cookies().iter().all(|c| c.name() == "sid"));
}
