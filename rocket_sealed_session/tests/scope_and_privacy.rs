//! The limits the configuration in force puts on every request, through the
//! whole guard + fairing path with Rocket's local client:
//!
//! - the deadlines configured now bound cookies sealed under longer ones;
//! - a response built from a session is private to its user (`Vary: Cookie`,
//!   `Cache-Control: private` or stricter), cookie or not;
//! - outside the cookie's `path` no session is opened or saved.

use rocket::figment::Figment;
use rocket::http::{Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use rocket::response::content::RawHtml;
use rocket::{catch, catchers, get, routes, Build, Request, Responder, Rocket};
use rocket_sealed_session::testing::ManualClock;
use rocket_sealed_session::{Secret, Session, Sessions};
use serde::{Deserialize, Serialize};

const T0: u64 = 1_700_000_000;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Count {
    n: u64,
}

#[get("/count")]
fn count(session: Session<'_, Count>) -> String {
    session.update(|c| c.n += 1);
    session.read(|c| c.n).to_string()
}

#[get("/peek")]
fn peek(session: Session<'_, Count>) -> String {
    session.read(|c| c.n).to_string()
}

/// "Remember me": this session lives `days` days (within `max_lifetime`).
#[get("/remember/<days>")]
fn remember(session: Session<'_, Count>, days: u64) -> String {
    session.update(|c| c.n += 1);
    let applied = session.set_lifetime(std::time::Duration::from_secs(days * 86_400));
    applied.as_secs().to_string()
}

#[get("/plain")]
fn plain() -> &'static str {
    "no session here"
}

/// A body with the `Cache-Control` its handler chose.
#[derive(Responder)]
struct WithCaching {
    body: String,
    cache_control: Header<'static>,
}

/// Reads the session and asks shared caches to keep the page for a minute.
#[get("/cached")]
fn cached(session: Session<'_, Count>) -> WithCaching {
    WithCaching {
        body: session.read(|c| c.n).to_string(),
        cache_control: Header::new("Cache-Control", "public, max-age=60, s-maxage=600"),
    }
}

/// Reads the session and forbids storing the page at all.
#[get("/no-store")]
fn no_store(session: Session<'_, Count>) -> WithCaching {
    WithCaching {
        body: session.read(|c| c.n).to_string(),
        cache_control: Header::new("Cache-Control", "no-store"),
    }
}

/// A body that varies by language, as its handler says.
#[derive(Responder)]
struct ByLanguage {
    body: String,
    vary: Header<'static>,
}

/// Sets a cookie of the app's own through Rocket's jar, says the page
/// varies by language, and changes the session.
#[get("/theme")]
fn theme(session: Session<'_, Count>, jar: &rocket::http::CookieJar<'_>) -> ByLanguage {
    jar.add(("theme", "dark"));
    session.update(|c| c.n += 1);
    ByLanguage { body: "dark".into(), vary: Header::new("Vary", "Accept-Language") }
}

/// Serves inside and outside the cookie's path.
#[get("/maybe")]
fn maybe(session: Option<Session<'_, Count>>) -> String {
    match session {
        Some(session) => format!("session {}", session.read(|c| c.n)),
        None => "no session".into(),
    }
}

/// A 404 page that greets the session's user, as error pages often do.
#[catch(404)]
async fn not_found(req: &Request<'_>) -> RawHtml<String> {
    let n = match req.guard::<Session<'_, Count>>().await {
        rocket::outcome::Outcome::Success(session) => session.read(|c| c.n),
        _ => u64::MAX,
    };
    RawHtml(format!("not found; your count is {n}"))
}

fn app(figment: Figment, clock: &ManualClock) -> Rocket<Build> {
    rocket::custom(figment.merge(("log_level", "off")))
        .attach(Sessions::fairing().with_clock(clock.clone()))
        .mount("/", routes![count, peek, remember, plain, cached, no_store, maybe, theme])
        .mount("/foo/bar", routes![count, maybe])
        .register("/", catchers![not_found])
}

fn figment(secret: &Secret) -> Figment {
    rocket::Config::figment()
        .merge(("session.secret", secret.to_base64()))
        .merge(("session.cookie_name", "sid"))
}

fn client(figment: Figment, clock: &ManualClock) -> Client {
    Client::untracked(app(figment, clock)).expect("the test app ignites")
}

/// `name=value` of the session's `Set-Cookie`, and the whole header.
fn session_cookie(response: &LocalResponse<'_>) -> Option<(String, String)> {
    let header = response.headers().get("Set-Cookie").find(|c| c.starts_with("sid="))?;
    let pair = header.split(';').next()?.to_owned();
    Some((pair, header.to_owned()))
}

fn get(client: &Client, path: &str, cookie: Option<&str>) -> (Status, String, Vec<String>) {
    let mut request = client.get(path.to_owned());
    if let Some(cookie) = cookie {
        request = request.header(Header::new("Cookie", cookie.to_owned()));
    }
    let response = request.dispatch();
    let set_cookies = response.headers().get("Set-Cookie").map(str::to_owned).collect();
    (response.status(), response.into_string().unwrap_or_default(), set_cookies)
}

fn max_age_of(set_cookie: &str) -> Option<u64> {
    set_cookie.split(';').find_map(|attr| attr.trim().strip_prefix("Max-Age=")?.parse().ok())
}

#[test]
fn a_lowered_max_age_ends_cookies_sealed_under_the_longer_one() {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let generous = client(figment(&secret).merge(("session.max_age", 34_560_000)), &clock);
    let response = generous.get("/count").dispatch();
    let (pair, header) = session_cookie(&response).expect("the first count is saved");
    assert_eq!(max_age_of(&header), Some(34_560_000));

    let strict = client(figment(&secret).merge(("session.max_age", 1)), &clock);
    // Still within the new second: it opens, and is re-sealed with the new bound.
    let (status, body, set_cookies) = get(&strict, "/count", Some(&pair));
    assert_eq!((status, body.as_str()), (Status::Ok, "2"));
    let resealed = set_cookies.iter().find(|c| c.starts_with("sid=")).expect("re-sealed");
    assert_eq!(max_age_of(resealed), Some(1), "{resealed}");
    // One second later the session has ended, on this replica...
    clock.advance(1);
    assert_eq!(get(&strict, "/peek", Some(&pair)).1, "0");
    // ...and the re-sealed cookie carries the bound to the generous replica too.
    let resealed_pair = resealed.split(';').next().expect("a pair").to_owned();
    assert_eq!(get(&generous, "/peek", Some(&resealed_pair)).1, "0");
    assert_eq!(get(&generous, "/peek", Some(&pair)).1, "1", "the generous replica keeps its rule");
}

#[test]
fn a_lowered_idle_timeout_ends_quiet_cookies_sealed_without_one() {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let no_idle = client(figment(&secret), &clock);
    let response = no_idle.get("/count").dispatch();
    let (pair, _) = session_cookie(&response).expect("saved");
    let idle = client(figment(&secret).merge(("session.idle_timeout", 60)), &clock);
    clock.advance(59);
    assert_eq!(get(&idle, "/peek", Some(&pair)).1, "1");
    clock.advance(1);
    assert_eq!(get(&idle, "/peek", Some(&pair)).1, "0", "idle for 60 s under idle_timeout = 60");
    assert_eq!(get(&no_idle, "/peek", Some(&pair)).1, "1");
}

fn header_values(response: &LocalResponse<'_>, name: &str) -> Vec<String> {
    response.headers().get(name).map(str::to_owned).collect()
}

#[test]
fn a_page_that_reads_the_session_is_private_without_setting_a_cookie() {
    let clock = ManualClock::new(T0);
    let client = client(figment(&Secret::generate()), &clock);
    let (pair, _) = session_cookie(&client.get("/count").dispatch()).expect("saved");
    for cookie in [None, Some(pair.as_str())] {
        let mut request = client.get("/peek");
        if let Some(cookie) = cookie {
            request = request.header(Header::new("Cookie", cookie.to_owned()));
        }
        let response = request.dispatch();
        assert!(session_cookie(&response).is_none(), "reading sets no cookie");
        assert_eq!(header_values(&response, "Vary"), ["Cookie"], "cookie {cookie:?}");
        assert_eq!(header_values(&response, "Cache-Control"), ["private"], "cookie {cookie:?}");
    }
}

/// The fairing adds to what the handler set and replaces none of it: the
/// app's own cookie and `Vary` stay next to the session's.
#[test]
fn a_handlers_own_cookie_and_vary_are_kept_next_to_the_sessions() {
    let clock = ManualClock::new(T0);
    let client = client(figment(&Secret::generate()), &clock);
    let response = client.get("/theme").dispatch();
    let set_cookies: Vec<&str> = response.headers().get("Set-Cookie").collect();
    assert_eq!(set_cookies.len(), 2, "{set_cookies:?}");
    assert!(set_cookies.iter().any(|c| c.starts_with("theme=dark")), "{set_cookies:?}");
    assert!(session_cookie(&response).is_some(), "{set_cookies:?}");
    assert_eq!(header_values(&response, "Vary"), ["Accept-Language", "Cookie"]);
    assert_eq!(header_values(&response, "Cache-Control"), ["private, no-store"]);
}

#[test]
fn a_page_that_never_touches_the_session_stays_cacheable() {
    let clock = ManualClock::new(T0);
    let client = client(figment(&Secret::generate()), &clock);
    let response = client.get("/plain").dispatch();
    assert!(header_values(&response, "Vary").is_empty());
    assert!(header_values(&response, "Cache-Control").is_empty());
}

#[test]
fn a_handlers_public_caching_is_made_private_and_a_stricter_value_is_kept() {
    let clock = ManualClock::new(T0);
    let client = client(figment(&Secret::generate()), &clock);
    let response = client.get("/cached").dispatch();
    assert_eq!(header_values(&response, "Cache-Control"), ["private, max-age=60"]);
    assert_eq!(header_values(&response, "Vary"), ["Cookie"]);
    let response = client.get("/no-store").dispatch();
    assert_eq!(header_values(&response, "Cache-Control"), ["no-store"]);
    assert_eq!(header_values(&response, "Vary"), ["Cookie"]);
}

#[test]
fn an_error_page_that_reads_the_session_is_private() {
    let clock = ManualClock::new(T0);
    let client = client(figment(&Secret::generate()), &clock);
    let (pair, _) = session_cookie(&client.get("/count").dispatch()).expect("saved");
    let response = client.get("/nowhere").header(Header::new("Cookie", pair)).dispatch();
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(header_values(&response, "Vary"), ["Cookie"]);
    assert_eq!(header_values(&response, "Cache-Control"), ["private"]);
    assert_eq!(response.into_string().as_deref(), Some("not found; your count is 1"));
}

#[test]
fn outside_the_cookie_path_no_session_is_opened_or_saved() {
    let clock = ManualClock::new(T0);
    let secret = Secret::generate();
    let scoped = client(figment(&secret).merge(("session.path", "/foo/bar")), &clock);
    // Inside the scope: a session, saved with the configured path.
    let response = scoped.get("/foo/bar/count").dispatch();
    let (pair, header) = session_cookie(&response).expect("saved inside the scope");
    assert!(header.contains("; Path=/foo/bar;"), "{header}");
    assert_eq!(get(&scoped, "/foo/bar/maybe", Some(&pair)).1, "session 1");
    // Outside: the guard forwards (404), nothing is opened or sent.
    for path in ["/count", "/foo/barbaz/count", "/foo/count"] {
        let (status, _, set_cookies) = get(&scoped, path, Some(&pair));
        assert_eq!(status, Status::NotFound, "{path}");
        assert!(set_cookies.is_empty(), "{path}: {set_cookies:?}");
    }
    let (status, body, set_cookies) = get(&scoped, "/maybe", Some(&pair));
    assert_eq!((status, body.as_str()), (Status::Ok, "no session"));
    assert!(set_cookies.is_empty());
}

#[test]
fn remember_me_gives_one_session_its_own_lifetime_within_max_lifetime() {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let thirty_days = 30 * 86_400;
    let long_lived = || figment(&secret).merge(("session.max_lifetime", 40 * 86_400));
    let app = client(long_lived(), &clock);
    let (status, body, set_cookies) = get(&app, "/remember/30", None);
    assert_eq!((status, body.as_str()), (Status::Ok, "2592000"));
    let remembered = set_cookies.iter().find(|c| c.starts_with("sid=")).expect("saved");
    assert_eq!(max_age_of(remembered), Some(thirty_days), "{remembered}");
    let pair = remembered.split(';').next().expect("a pair").to_owned();
    // Past the default max_age (a day), still alive on every replica.
    clock.advance(2 * 86_400);
    assert_eq!(get(&app, "/peek", Some(&pair)).1, "1");
    let other_replica = client(long_lived(), &clock);
    assert_eq!(get(&other_replica, "/peek", Some(&pair)).1, "1");
    // Ends at its own deadline.
    clock.set(T0 + thirty_days);
    assert_eq!(get(&app, "/peek", Some(&pair)).1, "0");
    // Asking for more than max_lifetime gets max_lifetime.
    assert_eq!(get(&app, "/remember/90", None).1, (40 * 86_400).to_string());
    // Without max_lifetime configured, the ceiling is max_age.
    let plain = client(figment(&secret), &clock);
    assert_eq!(get(&plain, "/remember/30", None).1, "86400");
}

#[test]
fn a_lowered_max_lifetime_bounds_remembered_sessions_issued_before() {
    let secret = Secret::generate();
    let clock = ManualClock::new(T0);
    let generous = client(figment(&secret).merge(("session.max_lifetime", 40 * 86_400)), &clock);
    let (_, _, set_cookies) = get(&generous, "/remember/30", None);
    let pair = set_cookies[0].split(';').next().expect("a pair").to_owned();
    let strict = client(figment(&secret).merge(("session.max_lifetime", 2 * 86_400)), &clock);
    clock.advance(2 * 86_400 - 1);
    assert_eq!(get(&strict, "/peek", Some(&pair)).1, "1");
    clock.advance(1);
    assert_eq!(get(&strict, "/peek", Some(&pair)).1, "0");
    assert_eq!(get(&generous, "/peek", Some(&pair)).1, "1");
}
