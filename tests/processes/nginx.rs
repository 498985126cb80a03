//! Stateless replicas behind a real nginx: round robin without sticky
//! sessions keeps one continuous session, also when a replica dies.
//!
//! Needs `nginx` (Debian package `nginx`; `.ci/run` installs it). Without
//! it, plain `cargo test` says the test was SKIPPED; with `CI=true` its
//! absence is a failure.

use crate::common::http::request;
use crate::common::nginx::Nginx;
use crate::common::process::{accounts_env, AccountsFile, Scratch};
use crate::common::real_components::{require, NGINX};
use crate::common::*;

/// The `http` block's upstream of `replicas` and a round-robin server on
/// `port` in front of them, as in `deploy/nginx.conf`: the requests' header
/// buffers are nginx's defaults (`large_client_header_buffers 4 8k`: a
/// `Cookie` header of up to 8 KiB); the buffer for a response's head is
/// raised from one memory page (4 KiB on x86-64) to 16 KiB, since a session
/// in two cookies sets two `Set-Cookie` headers of up to 4 KiB each (nginx
/// answers 502, "upstream sent too big header", otherwise).
fn round_robin(port: u16, replicas: &[u16]) -> String {
    let servers: String = replicas
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
        .collect();
    format!(
        "    upstream replicas {{\n{servers}    }}\n\
         server {{\n        listen 127.0.0.1:{port};\n        location / {{\n\
         proxy_pass http://replicas;\n            proxy_set_header Host $host;\n\
         proxy_next_upstream error timeout http_502 http_503;\n\
         proxy_buffer_size 16k;\n            proxy_buffers 8 16k;\n\
         add_header X-Upstream $upstream_addr always;\n        }}\n    }}\n"
    )
}

#[test]
fn round_robin_through_nginx_keeps_one_session_even_when_a_replica_dies() {
    let Some([binary]) = require("nginx test round_robin", [&NGINX]) else {
        return;
    };
    let secret = secret();
    let mut replicas: Vec<Server> =
        (0..3).map(|_| Server::start(&[("SESSION_SECRET", secret.as_str())])).collect();
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let port = free_port();
    let prefix = Scratch::new("nginx", "round-robin");
    let nginx = Nginx::start(&binary, prefix, &round_robin(port, &ports), &[port]);

    let mut cookie: Option<String> = None;
    for visit in 1..=30u64 {
        if visit == 16 {
            drop(replicas.remove(0)); // one replica dies mid-session
        }
        let response = http_get(port, "/", cookie.as_deref());
        assert_eq!(response.status, 200, "visit {visit}: {response:?}\n{}", nginx.logs());
        assert_eq!(views_in(&response.body), Some(visit), "visit {visit}");
        cookie = Some(response.cookie_for("sid").expect("every visit re-seals"));
    }
}

/// The panel's cookie count and sealed size on a demo page.
fn panel_cookies(page: &str) -> Option<(usize, usize)> {
    let number = |marker: &str| {
        let rest = page.split(marker).nth(1)?;
        rest.split([' ', '<']).next()?.parse().ok()
    };
    Some((number(r#"<span id="panel-cookie-count">"#)?, number(r#"id="panel-cookie-bytes">"#)?))
}

/// The notes the notes page lists.
fn listed_notes(page: &str) -> Vec<String> {
    let list = page.split(r#"<ol class="notes" id="notes">"#).nth(1).unwrap_or_default();
    let list = list.split("</ol>").next().unwrap_or_default();
    list.split("<li>")
        .skip(1)
        .filter_map(|item| item.split("</li>").next())
        .map(String::from)
        .collect()
}

/// One client through nginx, with its cookies.
struct Visitor<'n> {
    port: u16,
    jar: Jar,
    nginx: &'n Nginx,
}

impl Visitor<'_> {
    /// A request through nginx with the jar's cookies; a status other than
    /// 200 or 303 (a 5xx, nginx's "400 Request Header Or Cookie Too Large",
    /// "502 Bad Gateway") fails the test, with nginx's error log.
    fn send(&mut self, method: &str, path: &str, form: Option<&str>) -> HttpResponse {
        let cookie = self.jar.header();
        let response = request(self.port, method, path, cookie.as_deref(), form);
        assert!(
            matches!(response.status, 200 | 303),
            "{method} {path} through nginx: {} (Cookie header of {} bytes)\n{}\n{}",
            response.status,
            cookie.map_or(0, |c| c.len()),
            response.body,
            self.nginx.logs()
        );
        self.jar.update(&response);
        response
    }
}

#[test]
fn a_six_kilobyte_session_in_two_cookies_goes_round_robin_through_nginx() {
    let Some([binary]) = require("nginx test two-cookie session", [&NGINX]) else {
        return;
    };
    let secret = secret();
    // One accounts database for the fleet: the account made on one replica
    // is checked on the others.
    let accounts = AccountsFile::new();
    let databases = accounts_env(accounts.path());
    let env = [("SESSION_SECRET", secret.as_str()), ("ROCKET_DATABASES", databases.as_str())];
    let replicas: Vec<Server> = (0..3).map(|_| Server::start(&env)).collect();
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let port = free_port();
    let prefix = Scratch::new("nginx", "two-cookies");
    let nginx = Nginx::start(&binary, prefix, &round_robin(port, &ports), &[port]);

    let mut visitor = Visitor { port, jar: Jar::default(), nginx: &nginx };
    let form = visitor.send("GET", "/signup", None);
    let token = csrf_token(&form.body).expect("the sign-up form's token");
    let signup = format!("csrf_token={token}&name=Ada&password=correct+horse+battery&remember=on");
    visitor.send("POST", "/signup", Some(&signup));
    let page = visitor.send("GET", "/notes", None);
    let token = csrf_token(&page.body).expect("the notes form's token");

    let mut notes = Vec::new();
    let (count, bytes) = loop {
        assert!(notes.len() < 20, "20 notes and the session is still small");
        let text = sample_note(notes.len(), 450);
        let body = format!("csrf_token={token}&text={}", form_encode(&text));
        let added = visitor.send("POST", "/notes", Some(&body));
        assert_eq!(added.status, 303, "note {}: {}", notes.len(), added.body);
        notes.push(text);
        let page = visitor.send("GET", "/notes", None);
        let (count, bytes) = panel_cookies(&page.body).expect("the session panel");
        if bytes >= 6000 {
            break (count, bytes);
        }
    };
    assert_eq!(
        (count, visitor.jar.names()),
        (2, vec!["sid".into(), "sid.1".into()]),
        "{bytes} bytes"
    );
    let header = visitor.jar.header().unwrap_or_default();
    assert!(header.len() > 6000, "the Cookie header is {} bytes", header.len());

    say(&format!(
        "two-cookie session through nginx: {} notes, {bytes} bytes sealed, a Cookie header of {} bytes",
        notes.len(),
        header.len()
    ));

    // Round robin: every replica opens both pieces and shows every note.
    let mut upstreams = std::collections::BTreeSet::new();
    for visit in 0..9 {
        let page = visitor.send("GET", "/notes", None);
        upstreams.insert(page.header("X-Upstream").unwrap_or_default().to_owned());
        assert_eq!(listed_notes(&page.body), notes, "visit {visit}");
        assert_eq!(panel_cookies(&page.body).map(|p| p.0), Some(2), "visit {visit}");
        assert!(page.body.contains("30 days (remember me)"), "visit {visit}");
    }
    let expected: std::collections::BTreeSet<String> =
        ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    assert_eq!(upstreams, expected, "not every replica served the session");
    let profile = visitor.send("GET", "/profile", None);
    assert_eq!(profile.status, 200, "still signed in");

    // Clearing through nginx removes the piece.
    let cleared = visitor.send("POST", "/notes/clear", Some(&format!("csrf_token={token}")));
    let removal = cleared.set_cookie_for("sid.1").unwrap_or_default();
    assert!(removal.starts_with("sid.1=;") && removal.contains("Max-Age=0"), "{cleared:?}");
    assert_eq!(visitor.jar.names(), ["sid"]);
    let page = visitor.send("GET", "/notes", None);
    assert!(listed_notes(&page.body).is_empty() && page.body.contains("Notes cleared."));
    assert_eq!(panel_cookies(&page.body).map(|p| p.0), Some(1));
    drop(replicas);
}
