//! The production fleet in a real browser: the shipped `deploy/nginx.conf`
//! terminating TLS (HTTP/2, HSTS) in front of three replicas of the release
//! binary that share one secret and one accounts database, and Chromium going through it over
//! `https://app.example.test` (mapped to 127.0.0.1 with
//! `--host-resolver-rules`; the certificate is self-signed, made with
//! `openssl` at test time).
//!
//! The configuration is the shipped file itself, rendered with test values
//! for what is specific to a site (host, ports, certificate, replica
//! addresses, log paths; `tests/common/tls.rs`), so these tests cover the
//! round robin, `proxy_next_upstream`, the buffer sizes and the headers
//! that production runs. nginx's access log (`upstream=$upstream_addr`)
//! tells which replica answered each request, and which were tried first.
//!
//! - one continuous session across replicas: the `__Host-sid` cookie is
//!   stored `Secure`, `HttpOnly`, `SameSite=Lax`; the visit counter keeps
//!   counting while nginx deals the requests round robin; one replica is
//!   killed mid-session and the counter goes on (nginx retries on another);
//!   logout removes the cookie;
//! - a session in two cookies (notes) crossing the front both ways:
//!   sign-up (a CSRF-checked POST to another replica than the form's), the
//!   notes, the two `Set-Cookie` headers of a 6-7 KB session through
//!   `proxy_buffer_size` (without it: 502), and its `Cookie` header back,
//!   opened by every replica;
//! - the front itself: plain HTTP redirected to HTTPS, HTTP/2, HSTS,
//!   `/metrics` not published, a TLS client naming another host refused.
//!
//! Needs `chromium`, `chromedriver`, `nginx` and `openssl`; without one,
//! plain `cargo test` says SKIPPED and passes, `CI=true` fails.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rocket::http::SameSite;
use serde_json::Value;

use crate::common::real_components::{require, CHROMEDRIVER, CHROMIUM, NGINX, OPENSSL};
use crate::common::tls::{Access, DeployFront};
use crate::common::{accounts_env, say, secret, views_in, AccountsFile, Server};
use crate::session::{self, ensure, Browser, TestResult};

/// The host name the browser uses; mapped to 127.0.0.1.
const HOST: &str = "app.example.test";
/// The release profile's session cookie.
const SID: &str = "__Host-sid";
/// How many replicas stand behind nginx.
const REPLICAS: usize = 3;

/// nginx in front of the replicas; a replica is `None` once killed.
struct Fleet {
    front: DeployFront,
    replicas: Mutex<Vec<Option<Server>>>,
    /// `127.0.0.1:<port>` of each replica, in the upstream's order: the
    /// order in which round robin deals requests.
    order: Vec<String>,
    /// The replicas' one accounts database.
    _accounts: AccountsFile,
}

impl Fleet {
    /// The replica listening on `address` (`127.0.0.1:<port>`), by index.
    fn index_of(&self, address: &str) -> Option<usize> {
        let port: u16 = address.rsplit(':').next()?.parse().ok()?;
        self.replicas.lock().ok()?.iter().position(|r| r.as_ref().is_some_and(|r| r.port == port))
    }

    /// Kills replica `index`; its address.
    fn kill(&self, index: usize) -> Option<String> {
        let mut replicas = self.replicas.lock().ok()?;
        let replica = replicas.get_mut(index)?.take()?;
        let address = format!("127.0.0.1:{}", replica.port);
        drop(replica); // killed and reaped
        Some(address)
    }
}

type Harness = session::Harness<Fleet>;

impl Harness {
    /// Starts three release replicas with one secret, the shipped nginx in
    /// front of them, chromedriver and Chromium.
    async fn start(test: &str) -> Option<Harness> {
        let components = [&CHROMIUM, &CHROMEDRIVER, &NGINX, &OPENSSL];
        let [chromium, chromedriver, nginx, openssl] =
            require(&format!("browser test fleet {test}"), components)?;
        let secret = secret();
        let accounts = AccountsFile::new();
        let databases = accounts_env(accounts.path());
        let env = [
            ("ROCKET_PROFILE", "release"),
            ("SESSION_SECRET", secret.as_str()),
            ("ROCKET_DATABASES", databases.as_str()),
        ];
        let replicas: Vec<Server> = (0..REPLICAS).map(|_| Server::start(&env)).collect();
        let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
        let front = DeployFront::start([&nginx, &openssl], test, HOST, &ports);
        let args = [
            "--no-proxy-server",
            "--ignore-certificate-errors",
            "--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP example.test 127.0.0.1",
        ];
        let browser =
            Browser::start(&format!("fleet-{test}"), &chromium, &chromedriver, &args, true).await;
        let order = ports.iter().map(|port| format!("127.0.0.1:{port}")).collect();
        let replicas = Mutex::new(replicas.into_iter().map(Some).collect());
        Some(Harness { browser, setup: Fleet { front, replicas, order, _accounts: accounts } })
    }

    /// Runs the body with everything started, then stops it all.
    async fn run(test: &str, body: impl AsyncFnOnce(&Harness) -> TestResult) {
        session::run(test, async || Harness::start(test).await, body).await;
    }

    fn url(&self, path: &str) -> String {
        format!("https://{HOST}:{}{path}", self.setup.front.site.tls)
    }

    /// Goes to `path` over HTTPS and returns the page's HTML; fails if
    /// the browser ended up elsewhere.
    async fn visit(&self, path: &str) -> Result<String, String> {
        let url = self.url(path);
        self.browser.goto(&url).await.map_err(|e| format!("goto {url}: {e}"))?;
        self.page_at(&self.url("")).await
    }

    /// The current page's HTML, after checking that its URL starts with `origin`.
    async fn page_at(&self, origin: &str) -> Result<String, String> {
        let now = self.browser.current_url().await.map_err(|e| e.to_string())?;
        ensure!(now.as_str().starts_with(origin), "expected a page of {origin}, got {now}");
        self.browser.source().await.map_err(|e| format!("page source: {e}"))
    }

    /// Visits `/` and checks that the counter says `expected`.
    async fn count(&self, expected: u64) -> TestResult {
        let page = self.visit("/").await?;
        let views = views_in(&page);
        ensure!(
            views == Some(expected),
            "visit {expected}: the counter says {views:?}\n{}",
            self.setup.front.access_log_text()
        );
        Ok(())
    }

    /// The browser's session cookies (`__Host-sid`, `__Host-sid.1`, ...).
    async fn session_cookies(&self) -> Result<Vec<fantoccini::cookies::Cookie<'static>>, String> {
        let cookies = self.browser.get_all_cookies().await.map_err(|e| e.to_string())?;
        let piece = format!("{SID}.");
        Ok(cookies
            .into_iter()
            .filter(|c| c.name() == SID || c.name().starts_with(&piece))
            .collect())
    }

    /// Runs `script` as an async WebDriver script (it calls `done(value)`).
    async fn script_async(&self, script: &str) -> Result<Value, String> {
        let script = format!("const done = arguments[arguments.length - 1];\n{script}");
        self.browser.execute_async(&script, vec![]).await.map_err(|e| format!("script: {e}"))
    }

    /// The access log so far.
    fn log(&self) -> Vec<Access> {
        self.setup.front.access_log()
    }

    /// Fails on any 5xx in the access log.
    fn no_server_errors(&self) -> TestResult {
        let log = self.log();
        let errors: Vec<&Access> = log.iter().filter(|a| a.status >= 500).collect();
        ensure!(errors.is_empty(), "nginx answered {errors:?}\n{}", self.setup.front.logs());
        Ok(())
    }

    /// Signs up as `name` (which signs in) through the sign-up form (a
    /// CSRF-checked POST), steering the POST to another replica than the
    /// form's.
    async fn sign_up(&self, name: &str) -> TestResult {
        self.visit("/signup").await?;
        self.steer_away_from("GET /signup").await?;
        self.type_into("#name", name).await?;
        self.type_into("#password", "correct horse battery").await?;
        self.click("#signup-form button[type=submit]").await?;
        self.wait_for_path("/profile").await
    }

    /// Makes round robin send the next request to another replica than the
    /// one that answered the last `request` (`GET /signup`): once the page's
    /// own requests (stylesheet, icon) are logged, spends one request on
    /// `/health` if the next in turn is that replica. (nginx deals requests
    /// to equal servers in the upstream's order.)
    async fn steer_away_from(&self, request: &str) -> TestResult {
        let mut seen = self.log().len();
        loop {
            rocket::tokio::time::sleep(Duration::from_millis(300)).await;
            let now = self.log().len();
            if now == seen {
                break;
            }
            seen = now;
        }
        let log = self.log();
        let avoid = log.iter().rev().find(|a| a.method_and_path() == request);
        let avoid = avoid.and_then(Access::served_by).ok_or(format!("no {request} logged"))?;
        let last = log.iter().rev().find_map(Access::served_by).unwrap_or_default();
        let order = &self.setup.order;
        let next = order.iter().position(|a| a == last).map(|i| &order[(i + 1) % order.len()]);
        if next.map(String::as_str) == Some(avoid) {
            self.script_async("fetch('/health').then(() => done(null), e => done(String(e)));")
                .await?;
        }
        Ok(())
    }

    async fn wait_for_path(&self, path: &str) -> TestResult {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await?;
            if now == path {
                return Ok(());
            }
            ensure!(Instant::now() < deadline, "waited for {path}, still at {now}");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Note `i`: 450 characters that do not repeat (they would compress, if
/// anything compressed them; nothing does).
fn note(i: usize) -> String {
    let mut text = format!("Fleet note {i}:");
    let mut k = i * 7919 + 13;
    while text.len() < 450 {
        text.push_str(&format!(" w{k:x}"));
        k = (k * 48_271 + 11) % 2_147_483_647;
    }
    text.truncate(450);
    text
}

/// The distinct replicas that answered `GET <path>` in `log`.
fn served(log: &[Access], path: &str) -> BTreeSet<String> {
    log.iter()
        .filter(|a| a.method_and_path() == format!("GET {path}"))
        .filter_map(|a| a.served_by().map(str::to_owned))
        .collect()
}

#[rocket::async_test]
async fn one_session_lives_across_the_replicas_and_outlives_one_of_them() {
    Harness::run("session", async |h: &Harness| {
        // Round robin: six visits, one session, every replica serving.
        for visit in 1..=6 {
            h.count(visit).await?;
        }
        let cookies = h.session_cookies().await?;
        ensure!(cookies.len() == 1, "session cookies: {cookies:?}");
        let sid = &cookies[0];
        ensure!(sid.name() == SID, "the session cookie is {:?}", sid.name());
        ensure!(sid.secure() == Some(true), "{SID} is not Secure: {sid:?}");
        ensure!(sid.http_only() == Some(true), "{SID} is not HttpOnly: {sid:?}");
        ensure!(sid.same_site() == Some(SameSite::Lax), "{SID} is not SameSite=Lax: {sid:?}");
        ensure!(sid.path() == Some("/"), "{SID} path: {sid:?}");
        ensure!(sid.domain() == Some(HOST), "{SID} domain: {sid:?}");
        let visible = h.script("return document.cookie;").await?;
        let visible = visible.as_str().unwrap_or_default().to_owned();
        ensure!(!visible.contains(SID), "document.cookie shows the session: {visible:?}");

        let before = h.log();
        let replicas = served(&before, "/");
        ensure!(
            replicas.len() >= 2,
            "six visits, but only {replicas:?} served them (no round robin?)\n{}",
            h.setup.front.access_log_text()
        );

        // Kill the replica that served the last visit; the session goes on.
        let last = before.iter().rev().find(|a| a.method_and_path() == "GET /");
        let last = last.and_then(Access::served_by).ok_or("no GET / in the access log")?;
        let index = h.setup.index_of(last).ok_or(format!("no replica at {last}"))?;
        let dead = h.setup.kill(index).ok_or("the replica was already gone")?;
        for visit in 7..=12 {
            h.count(visit).await?;
        }
        let log = h.log();
        let after = &log[before.len()..];
        ensure!(
            after.iter().all(|a| a.served_by() != Some(dead.as_str())),
            "the killed replica {dead} answered after its death: {after:?}"
        );
        let retried: Vec<&Access> =
            after.iter().filter(|a| a.upstreams.len() > 1 && a.upstreams[0] == dead).collect();
        ensure!(
            !retried.is_empty(),
            "nginx never tried the killed replica {dead} after its death, so \
             proxy_next_upstream was not exercised: {after:?}"
        );
        h.no_server_errors()?;
        let survivors = served(after, "/");
        say(&format!(
            "fleet: visits 1-6 served by {} replicas {replicas:?}; replica {dead} killed; \
             visits 7-12 served by {survivors:?}; {} request(s) nginx retried away from it: {:?}",
            replicas.len(),
            retried.len(),
            retried.iter().map(|a| a.request.as_str()).collect::<Vec<_>>()
        ));

        // Logout removes the cookie; the next visit is a new session.
        let page = h.visit("/logout").await?;
        ensure!(page.contains("Logged out successfully!"), "the logout page: {page}");
        let cookies = h.session_cookies().await?;
        ensure!(cookies.is_empty(), "session cookies after logout: {cookies:?}");
        h.count(1).await?;
        h.no_server_errors()
    })
    .await;
}

#[rocket::async_test]
async fn a_session_in_two_cookies_crosses_the_front_both_ways() {
    Harness::run("two-cookies", async |h: &Harness| {
        // The form from one replica, the POST to another: the CSRF token
        // rides in the sealed session, so any replica checks it.
        h.sign_up("Grace Hopper").await?;
        let log = h.log();
        let form = log.iter().rev().find(|a| a.method_and_path() == "GET /signup");
        let post = log.iter().rev().find(|a| a.method_and_path() == "POST /signup");
        let (form, post) = (form.and_then(Access::served_by), post.and_then(Access::served_by));
        ensure!(form.is_some() && post.is_some(), "the sign-up is not in the access log: {log:?}");
        ensure!(form != post, "the sign-up form and its POST both went to {form:?}: {log:?}");

        // Notes until the session takes two cookies (about 6 KB or more):
        // two Set-Cookie headers of up to 4 KB each through proxy_buffer_size,
        // and a Cookie header of that size back through the header buffers.
        h.visit("/notes").await?;
        let mut notes = 0;
        loop {
            ensure!(notes < 20, "20 notes and the session is still in one cookie");
            h.type_into("#note", &note(notes)).await?;
            h.click("#note-form button[type=submit]").await?;
            notes += 1;
            let want = if notes == 1 { "1 note".to_owned() } else { format!("{notes} notes") };
            let deadline = Instant::now() + Duration::from_secs(10);
            while h.text("#notes-count").await.unwrap_or_default() != want {
                if Instant::now() > deadline {
                    h.no_server_errors()?; // with nginx's error log, if that is why
                    return Err(format!("the page never said {want:?}"));
                }
                rocket::tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let cookies = h.session_cookies().await?;
            let total: usize = cookies.iter().map(|c| c.value().len()).sum();
            if cookies.len() >= 2 && total >= 6000 {
                break;
            }
        }
        let cookies = h.session_cookies().await?;
        let sizes: Vec<(String, usize)> =
            cookies.iter().map(|c| (c.name().to_owned(), c.value().len())).collect();
        ensure!(
            cookies.iter().all(|c| c.secure() == Some(true) && c.http_only() == Some(true)),
            "a piece is not Secure and HttpOnly: {cookies:?}"
        );

        // Every replica opens the whole session: reloads go round robin.
        let mark = h.log().len();
        for _ in 0..REPLICAS * 2 {
            let page = h.visit("/notes").await?;
            ensure!(page.contains(&format!("{notes} notes")), "a reload lost notes: {page}");
            ensure!(page.contains("Grace Hopper"), "a reload signed out");
        }
        let log = h.log();
        let replicas = served(&log[mark..], "/notes");
        ensure!(replicas.len() >= 2, "the reloads were served by {replicas:?} only");
        h.no_server_errors()?;
        say(&format!(
            "fleet: sign-up form from {}, POST from {}; {notes} notes: cookies {sizes:?}; \
             reloads served by {replicas:?}",
            form.unwrap_or("?"),
            post.unwrap_or("?")
        ));
        Ok(())
    })
    .await;
}

#[rocket::async_test]
async fn the_front_redirects_to_https_and_speaks_http2_with_hsts() {
    Harness::run("front", async |h: &Harness| {
        // Plain HTTP: a redirect to the same path over TLS.
        let plain = format!("http://{HOST}:{}/?from=plain", h.setup.front.site.http);
        h.browser.goto(&plain).await.map_err(|e| format!("goto {plain}: {e}"))?;
        let page = h.page_at(&h.url("/?from=plain")).await?;
        ensure!(views_in(&page) == Some(1), "after the redirect: {page}");
        let redirect = h.log().into_iter().find(|a| a.method_and_path() == "GET /?from=plain");
        ensure!(
            redirect.as_ref().is_some_and(|a| a.status == 308 && a.upstreams.is_empty()),
            "the plain-HTTP request was not a 308 from nginx itself: {redirect:?}"
        );

        // HTTP/2 (ALPN), and HSTS on every answer, errors included.
        let protocol = h
            .script("return performance.getEntriesByType('navigation')[0].nextHopProtocol;")
            .await?;
        ensure!(protocol.as_str() == Some("h2"), "the page came over {protocol}, not h2");
        let headers = h
            .script_async(
                "Promise.all(['/health', '/no-such-page', '/metrics'].map(path => fetch(path)\
                 .then(r => [path, r.status, r.headers.get('strict-transport-security')])))\
                 .then(done, e => done(String(e)));",
            )
            .await?;
        let expected = serde_json::json!([
            ["/health", 200, "max-age=63072000; includeSubDomains"],
            ["/no-such-page", 404, "max-age=63072000; includeSubDomains"],
            // /metrics is for scraping each replica directly, not published.
            ["/metrics", 404, "max-age=63072000; includeSubDomains"],
        ]);
        ensure!(headers == expected, "status and HSTS of fetches: {headers}");
        let metrics = h.log().into_iter().find(|a| a.method_and_path() == "GET /metrics");
        ensure!(
            metrics.as_ref().is_some_and(|a| a.upstreams.is_empty()),
            "/metrics reached a replica: {metrics:?}"
        );

        // A TLS client that names another host gets no handshake, no app.
        let other = format!("https://other.example.test:{}/", h.setup.front.site.tls);
        let outcome = h.browser.goto(&other).await;
        let page = h.browser.source().await.unwrap_or_default();
        ensure!(views_in(&page).is_none(), "another host name got the app ({outcome:?}): {page}");
        h.no_server_errors()
    })
    .await;
}
