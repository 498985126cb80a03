//! The shipped TLS front, for tests: `deploy/nginx.conf` itself, rendered
//! with test values for what is specific to a site (host name, ports,
//! certificate, replica addresses, log and temporary paths), run as a
//! foreground nginx in a scratch prefix in front of test replicas; and a
//! self-signed certificate made with `openssl`.
//!
//! Every substitution must find its text in the shipped file: a change to
//! `deploy/nginx.conf` that moves one of them fails the test with the name
//! of the missing piece, instead of leaving the test on a stale copy.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::process::{log_file, Killed, Scratch};

/// The shipped configuration.
pub fn deploy_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf")
}

/// The host name `deploy/nginx.conf` serves (its `SITE:` server name).
pub const DEPLOY_HOST: &str = "app.example.com";

/// A certificate and its key, PEM files.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A self-signed certificate (P-256, two days) for the host `names` (the
/// first is also the subject), as `cert.pem` and `key.pem` in `dir`.
///
/// # Panics
///
/// When `openssl` cannot run or fails (with its stderr).
pub fn self_signed(openssl: &Path, dir: &Path, names: &[&str]) -> Certificate {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let san: Vec<String> = names.iter().map(|name| format!("DNS:{name}")).collect();
    let output = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-days", "2", "-subj"])
        .arg(format!("/CN={}", names.first().copied().unwrap_or("localhost")))
        .arg("-addext")
        .arg(format!("subjectAltName={}", san.join(",")))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => Certificate { cert, key },
        Ok(output) => panic!("openssl req failed: {}", String::from_utf8_lossy(&output.stderr)),
        Err(err) => panic!("cannot run {}: {err}", openssl.display()),
    }
}

/// The test values that replace the site's in `deploy/nginx.conf`.
#[derive(Clone, Debug)]
pub struct Site {
    /// The host name the browser uses (instead of [`DEPLOY_HOST`]).
    pub host: String,
    /// Loopback port of the plain-HTTP server (instead of 80).
    pub http: u16,
    /// Loopback port of the TLS servers (instead of 443).
    pub tls: u16,
    /// Loopback ports of the replicas (instead of the upstream's servers).
    pub replicas: Vec<u16>,
    pub certificate: Certificate,
    /// The scratch prefix: logs and temporary files.
    pub prefix: PathBuf,
}

/// `config` (the text of `deploy/nginx.conf`) with the values of `site`;
/// or which expected piece of the shipped file was not found.
///
/// # Errors
///
/// A message naming the piece of `deploy/nginx.conf` this function looks
/// for and did not find.
pub fn render(config: &str, site: &Site) -> Result<String, String> {
    let prefix = site.prefix.display();
    let mut found = Found::default();
    let mut out = String::with_capacity(config.len() + 1024);
    let mut in_upstream = false;
    for line in config.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if trimmed.starts_with("upstream sealed_session {") {
            in_upstream = true;
            found.upstream = true;
        } else if in_upstream && trimmed.starts_with('}') {
            in_upstream = false;
        } else if in_upstream && trimmed.starts_with("server ") {
            // `server <address> <parameters>;`: the test replicas, each with
            // the shipped parameters (max_fails, fail_timeout).
            if !found.upstream_servers {
                found.upstream_servers = true;
                let parameters = trimmed
                    .trim_start_matches("server ")
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .map_or(";", |(_, rest)| rest);
                for port in &site.replicas {
                    out.push_str(&format!("{indent}server 127.0.0.1:{port} {parameters}\n"));
                }
            }
            continue;
        }
        let mut line = line.to_owned();
        if let Some(rest) = trimmed.strip_prefix("listen 80") {
            found.listen_http = true;
            line = format!("{indent}listen 127.0.0.1:{}{rest}", site.http);
        } else if let Some(rest) = trimmed.strip_prefix("listen 443") {
            found.listen_tls = true;
            line = format!("{indent}listen 127.0.0.1:{}{rest}", site.tls);
        }
        // The redirect keeps the test's TLS port (443 needs no port).
        let redirect = "https://$host$request_uri";
        if line.contains(redirect) {
            found.redirect = true;
            line = line.replace(redirect, &format!("https://$host:{}$request_uri", site.tls));
        }
        for (from, to, flag) in [
            (DEPLOY_HOST, site.host.clone(), &mut found.host),
            (
                "/etc/nginx/tls/fullchain.pem",
                site.certificate.cert.display().to_string(),
                &mut found.cert,
            ),
            (
                "/etc/nginx/tls/privkey.pem",
                site.certificate.key.display().to_string(),
                &mut found.key,
            ),
            ("/var/log/nginx/access.log", format!("{prefix}/logs/access.log"), &mut found.log),
        ] {
            if line.contains(from) {
                *flag = true;
                line = line.replace(from, &to);
            }
        }
        out.push_str(&line);
        out.push('\n');
        if trimmed.starts_with("http {") {
            found.http = true;
            for (directive, dir) in [
                ("client_body_temp_path", "body"),
                ("proxy_temp_path", "proxy"),
                ("fastcgi_temp_path", "fastcgi"),
                ("uwsgi_temp_path", "uwsgi"),
                ("scgi_temp_path", "scgi"),
            ] {
                out.push_str(&format!("    {directive} {prefix}/{dir};\n"));
            }
        }
    }
    found.check()?;
    Ok(out)
}

/// Which pieces of the shipped file [`render`] found.
#[derive(Default)]
struct Found {
    http: bool,
    upstream: bool,
    upstream_servers: bool,
    listen_http: bool,
    listen_tls: bool,
    redirect: bool,
    host: bool,
    cert: bool,
    key: bool,
    log: bool,
}

impl Found {
    fn check(&self) -> Result<(), String> {
        let pieces = [
            (self.http, "an `http {` block"),
            (self.upstream, "`upstream sealed_session {`"),
            (self.upstream_servers, "`server ...;` lines in the upstream"),
            (self.listen_http, "`listen 80`"),
            (self.listen_tls, "`listen 443`"),
            (self.redirect, "the redirect to `https://$host$request_uri`"),
            (self.host, "the server name `app.example.com`"),
            (self.cert, "`/etc/nginx/tls/fullchain.pem`"),
            (self.key, "`/etc/nginx/tls/privkey.pem`"),
            (self.log, "`/var/log/nginx/access.log`"),
        ];
        let missing: Vec<&str> =
            pieces.iter().filter(|(found, _)| !found).map(|(_, piece)| *piece).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "deploy/nginx.conf no longer has {}; update tests/common/tls.rs (render) with it",
                missing.join(", ")
            ))
        }
    }
}

/// One line of the access log (`log_format fleet`).
#[derive(Clone, Debug)]
pub struct Access {
    /// `GET /path HTTP/2.0`.
    pub request: String,
    pub status: u16,
    /// Every replica nginx tried for this request, in order (`127.0.0.1:<port>`).
    pub upstreams: Vec<String>,
}

impl Access {
    /// `GET /path` without the protocol.
    pub fn method_and_path(&self) -> &str {
        self.request.rsplit_once(' ').map_or(self.request.as_str(), |(head, _)| head)
    }

    /// The replica that answered (the last one tried), if any.
    pub fn served_by(&self) -> Option<&str> {
        self.upstreams.last().map(String::as_str)
    }

    fn parse(line: &str) -> Option<Access> {
        let request = line.split('"').nth(1)?.to_owned();
        let after = line.split('"').nth(2)?;
        let status = after.split_whitespace().next()?.parse().ok()?;
        let upstream = line.split(" upstream=").nth(1)?.split(" upstream_status=").next()?;
        // `127.0.0.1:1, 127.0.0.1:2` (a retry), or `-` (answered by nginx).
        let upstreams = upstream
            .split(',')
            .map(str::trim)
            .filter(|address| !address.is_empty() && *address != "-")
            .map(str::to_owned)
            .collect();
        Some(Access { request, status, upstreams })
    }
}

/// `deploy/nginx.conf` running in a scratch prefix in front of test
/// replicas; stopped and removed on drop.
pub struct DeployFront {
    pub site: Site,
    // Dropped in this order: the process, then its prefix.
    child: Killed,
    prefix: Scratch,
}

impl DeployFront {
    /// Renders `deploy/nginx.conf` for `host` (with a fresh self-signed
    /// certificate for it) in front of `replicas`, starts it as one
    /// foreground process and waits until both of its ports listen.
    ///
    /// # Panics
    ///
    /// When the shipped file cannot be rendered (see [`render`]), or nginx
    /// does not start (with its error log).
    pub fn start(
        [nginx, openssl]: [&Path; 2],
        name: &str,
        host: &str,
        replicas: &[u16],
    ) -> DeployFront {
        let prefix = Scratch::new("deploy-nginx", name);
        let dir = prefix.path().to_path_buf();
        std::fs::create_dir_all(dir.join("logs")).expect("create the logs directory");
        let certificate = self_signed(openssl, &dir, &[host]);
        let site = Site {
            host: host.to_owned(),
            http: super::free_port(),
            tls: super::free_port(),
            replicas: replicas.to_vec(),
            certificate,
            prefix: dir.clone(),
        };
        let shipped =
            std::fs::read_to_string(deploy_config_path()).expect("read deploy/nginx.conf");
        let config = render(&shipped, &site).unwrap_or_else(|why| panic!("{why}"));
        let config_path = dir.join("nginx.conf");
        std::fs::write(&config_path, config).expect("write the rendered configuration");

        // What a test adds on top of the shipped file: one foreground
        // process, its pid file and error log in the prefix.
        let globals = format!(
            "daemon off; master_process off; pid {0}/nginx.pid; error_log {0}/logs/error.log info;",
            dir.display()
        );
        let (_, stderr) = log_file(&dir.join("logs/stderr.log"));
        let mut command = Command::new(nginx);
        command.arg("-p").arg(&dir).arg("-c").arg(&config_path).arg("-g").arg(&globals);
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr);
        let mut front = DeployFront { child: Killed::spawn(&mut command, "nginx"), prefix, site };
        for port in [front.site.http, front.site.tls] {
            if let Err(why) = front.child.wait_for_port(port, "nginx") {
                panic!("{why}\n{}", front.logs());
            }
        }
        front
    }

    /// Its error log and stderr so far, for messages.
    pub fn logs(&self) -> String {
        ["logs/error.log", "logs/stderr.log"]
            .iter()
            .map(|log| {
                let text = std::fs::read_to_string(self.prefix.path().join(log));
                format!("--- {log}\n{}", text.unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every request logged so far, in order.
    pub fn access_log(&self) -> Vec<Access> {
        let text = std::fs::read_to_string(self.prefix.path().join("logs/access.log"));
        text.unwrap_or_default().lines().filter_map(Access::parse).collect()
    }

    /// The raw access log, for messages.
    pub fn access_log_text(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("logs/access.log")).unwrap_or_default()
    }
}
