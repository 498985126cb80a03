//! Stateless replicas behind a real nginx: round robin without sticky
//! sessions keeps one continuous session, also when a replica dies.
//!
//! Needs `nginx` (Debian package `nginx`; `.ci/run` installs it). Without
//! it, plain `cargo test` says the test was SKIPPED; with `CI=true` its
//! absence is a failure.

use crate::common::nginx::Nginx;
use crate::common::process::Scratch;
use crate::common::real_components::{require, NGINX};
use crate::common::*;

/// The `http` block's upstream of `replicas` and a round-robin server on
/// `port` in front of them.
fn round_robin(port: u16, replicas: &[u16]) -> String {
    let servers: String = replicas
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
        .collect();
    format!(
        "    upstream replicas {{\n{servers}    }}\n\
         server {{\n        listen 127.0.0.1:{port};\n        location / {{\n\
         proxy_pass http://replicas;\n            proxy_set_header Host $host;\n\
         proxy_next_upstream error timeout http_502 http_503;\n        }}\n    }}\n"
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
