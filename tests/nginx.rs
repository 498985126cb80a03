//! Stateless replicas behind a real nginx: round robin without sticky
//! sessions keeps one continuous session, also when a replica dies.
//!
//! Needs `nginx` (Debian package `nginx`; `.ci/run` installs it). Without
//! it, plain `cargo test` says the test was skipped; with `CI=true` its
//! absence is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The nginx binary: `$NGINX`, else the first of the usual places.
fn nginx_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NGINX") {
        return Some(PathBuf::from(path));
    }
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// A foreground nginx in its own temporary prefix, stopped on drop.
struct Nginx {
    port: u16,
    child: Child,
    prefix: PathBuf,
}

impl Nginx {
    fn start(binary: &Path, upstreams: &[u16]) -> Nginx {
        let port = free_port();
        let prefix = std::env::temp_dir().join(format!("sealed-session-nginx-{port}"));
        std::fs::create_dir_all(prefix.join("logs")).expect("a temporary nginx prefix");
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
            .collect();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log;\nevents {{ worker_connections 64; }}\n\
             http {{\n    access_log off;\n    client_body_temp_path {dir}/body;\n\
             proxy_temp_path {dir}/proxy;\n    fastcgi_temp_path {dir}/fastcgi;\n\
             uwsgi_temp_path {dir}/uwsgi;\n    scgi_temp_path {dir}/scgi;\n\
             upstream replicas {{\n{servers}    }}\n\
             server {{\n        listen 127.0.0.1:{port};\n        location / {{\n\
             proxy_pass http://replicas;\n            proxy_set_header Host $host;\n\
             proxy_next_upstream error timeout http_502 http_503;\n        }}\n    }}\n}}\n",
            dir = prefix.display()
        );
        let config_path = prefix.join("nginx.conf");
        std::fs::write(&config_path, config).expect("write the nginx configuration");
        let child = Command::new(binary)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx { port, child, prefix };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not listen on {port}");
            std::thread::sleep(Duration::from_millis(25));
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

#[test]
fn round_robin_through_nginx_keeps_one_session_even_when_a_replica_dies() {
    let Some(binary) = nginx_binary() else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but nginx is missing");
        eprintln!("nginx test SKIPPED: no nginx binary (apt-get install nginx, or set NGINX=)");
        return;
    };
    let secret = secret();
    let mut replicas: Vec<Server> =
        (0..3).map(|_| Server::start(&[("SESSION_SECRET", secret.as_str())])).collect();
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let nginx = Nginx::start(&binary, &ports);

    let mut cookie: Option<String> = None;
    for visit in 1..=30u64 {
        if visit == 16 {
            drop(replicas.remove(0)); // one replica dies mid-session
        }
        let response = http_get(nginx.port, "/", cookie.as_deref());
        assert_eq!(response.status, 200, "visit {visit}: {response:?}");
        assert_eq!(views_in(&response.body), Some(visit), "visit {visit}");
        let set_cookie = response.set_cookie_for("sid").expect("every visit re-seals");
        cookie = set_cookie.split(';').next().map(str::to_owned);
    }
}
