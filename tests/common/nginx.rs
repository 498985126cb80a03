//! A foreground nginx (no daemon, no master process, one worker) in a
//! scratch prefix under `target/`, stopped and removed on drop.

use std::path::Path;
use std::process::{Command, Stdio};

use super::process::{log_file, Killed, Scratch};

pub struct Nginx {
    // Dropped in this order: the process, then its prefix.
    child: Killed,
    prefix: Scratch,
}

impl Nginx {
    /// Starts `binary` in `prefix` with `http` inside the `http { }` block
    /// of its configuration (upstreams, servers; the block already turns
    /// the access log off and keeps temporary files in the prefix), and
    /// waits until it listens on each of `ports`.
    ///
    /// # Panics
    ///
    /// When it exits or does not listen (with its error log).
    pub fn start(binary: &Path, prefix: Scratch, http: &str, ports: &[u16]) -> Nginx {
        let dir = prefix.path().display().to_string();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log;\nevents {{ worker_connections 64; }}\n\
             http {{\n    access_log off;\n    client_body_temp_path {dir}/body;\n\
             proxy_temp_path {dir}/proxy;\n    fastcgi_temp_path {dir}/fastcgi;\n\
             uwsgi_temp_path {dir}/uwsgi;\n    scgi_temp_path {dir}/scgi;\n{http}}}\n"
        );
        let config_path = prefix.path().join("nginx.conf");
        std::fs::write(&config_path, config).expect("write the nginx configuration");
        let (_, stderr) = log_file(&prefix.path().join("logs/stderr.log"));
        let mut command = Command::new(binary);
        command.arg("-p").arg(prefix.path()).arg("-c").arg(&config_path);
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr);
        let mut nginx = Nginx { child: Killed::spawn(&mut command, "nginx"), prefix };
        for &port in ports {
            if let Err(why) = nginx.child.wait_for_port(port, "nginx") {
                panic!("{why}\n{}", nginx.logs());
            }
        }
        nginx
    }

    /// Its error log and stderr so far, for messages.
    pub fn logs(&self) -> String {
        ["logs/error.log", "logs/stderr.log"]
            .iter()
            .map(|log| std::fs::read_to_string(self.prefix.path().join(log)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
