//! Real processes that clean up after themselves: a free port, a child
//! killed on drop that is waited for until it listens, the demo binary as
//! a server or as a launch that must be refused, each with an accounts
//! database of its own unless it is given one (a fleet shares one:
//! [`accounts_env`]), scratch directories under `target/`, and one test run
//! again in a process of its own.

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::http::{answers_200, request, HttpResponse};

/// How long a process may take to listen, or a refused launch to exit.
pub const STARTUP: Duration = Duration::from_secs(30);

/// A free loopback port (bound and released; a small race is accepted).
pub fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(err) => panic!("no free loopback port: {err}"),
    }
}

/// Whether something accepts connections on the loopback port.
pub fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// The crate's `target/` directory (screenshots, browser logs, scratch).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// `stdout` and `stderr` both into one new file at `path` (its directory
/// is created).
pub fn log_file(path: &Path) -> (Stdio, Stdio) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file =
        File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    let second = file.try_clone().expect("a second handle on the log file");
    (Stdio::from(file), Stdio::from(second))
}

/// A child process that is killed (and reaped) when dropped.
pub struct Killed(pub Child);

impl Killed {
    /// Starts `command`; `what` names it in the panic if it cannot start.
    pub fn spawn(command: &mut Command, what: &str) -> Killed {
        match command.spawn() {
            Ok(child) => Killed(child),
            Err(err) => panic!("cannot start {what}: {err}"),
        }
    }

    /// Polls `ready` until it holds, while the process still runs, for at
    /// most [`STARTUP`]; otherwise says why not.
    pub fn wait_until(
        &mut self,
        what: &str,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Err(format!("{what} exited during startup: {status}"));
            }
            if ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{what} was not ready within {STARTUP:?}"));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the process accepts connections on `port`.
    pub fn wait_for_port(&mut self, port: u16, what: &str) -> Result<(), String> {
        self.wait_until(&format!("{what} (port {port})"), || port_open(port))
    }

    /// Waits until `GET path` on `port` answers 200.
    pub fn wait_for_http(&mut self, port: u16, path: &str, what: &str) -> Result<(), String> {
        self.wait_until(&format!("{what} (GET {path} on port {port})"), || answers_200(port, path))
    }

    /// Kills the process and reaps it.
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A directory `target/<kind>/<name>-<process id>`, made empty at the
/// start and removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(kind: &str, name: &str) -> Scratch {
        let dir = target_dir().join(kind).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(err) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {err}", dir.display());
        }
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `ROCKET_DATABASES` for an accounts database in the SQLite file `path`
/// (created if missing): give every replica of a fleet the same one.
pub fn accounts_env(path: &Path) -> String {
    format!(r#"{{accounts={{url="sqlite://{}?mode=rwc"}}}}"#, path.display())
}

/// A SQLite file of a test, removed (with its `-wal` and `-shm`) on drop.
pub struct AccountsFile(PathBuf);

impl AccountsFile {
    /// A new path under `target/test-accounts/`, not yet created.
    pub fn new() -> AccountsFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = target_dir().join("test-accounts");
        let _ = std::fs::create_dir_all(&dir);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        AccountsFile(dir.join(format!("{}-{n}.sqlite", std::process::id())))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for AccountsFile {
    fn default() -> AccountsFile {
        AccountsFile::new()
    }
}

impl Drop for AccountsFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// The demo binary about to run: on a free loopback port, from the crate
/// directory (its `Rocket.toml`), with no `ROCKET_*` or `SESSION_*`
/// variable inherited from the caller's environment, an accounts database
/// of its own (a file removed when it stops) unless `ROCKET_DATABASES` is
/// given, output discarded unless [`Demo::log_to`] says where.
pub struct Demo {
    command: Command,
    port: u16,
    log: Option<PathBuf>,
    accounts: AccountsFile,
}

impl Demo {
    /// The binary with these environment variables (over the clean base).
    pub fn new(env: &[(&str, &str)]) -> Demo {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealed-session"));
        command.current_dir(env!("CARGO_MANIFEST_DIR"));
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("ROCKET_") || key.starts_with("SESSION_") {
                command.env_remove(key.as_ref());
            }
        }
        command
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_CLI_COLORS", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let accounts = AccountsFile::new();
        command.env("ROCKET_DATABASES", accounts_env(accounts.path()));
        command.envs(env.iter().copied());
        Demo { command, port, log: None, accounts }
    }

    /// Removes an environment variable the base set (e.g. `ROCKET_PORT`,
    /// to test `PORT`).
    pub fn without(&mut self, key: &str) {
        self.command.env_remove(key);
    }

    /// Starts it, waiting on `port` instead of the one it was given.
    pub fn start_on(mut self, port: u16) -> Server {
        self.port = port;
        self.start()
    }

    /// Sends its stdout and stderr, in order, to one file at `path`.
    pub fn log_to(mut self, path: PathBuf) -> Demo {
        let (stdout, stderr) = log_file(&path);
        self.command.stdout(stdout).stderr(stderr);
        self.log = Some(path);
        self
    }

    /// Starts it and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When it exits or does not listen within [`STARTUP`] (with its
    /// output, if logged).
    pub fn start(mut self) -> Server {
        let child = Killed::spawn(&mut self.command, "the demo binary");
        let mut server = Server { port: self.port, child, log: self.log, _accounts: self.accounts };
        if let Err(why) = server.child.wait_for_port(server.port, "the demo binary") {
            panic!("{why}\n{}", server.output());
        }
        server
    }

    /// Runs it until it exits by itself (a launch that must be refused),
    /// for at most [`STARTUP`]; its stdout and stderr are captured.
    pub fn run_to_exit(mut self) -> Exit {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = Killed::spawn(&mut self.command, "the demo binary");
        let reader = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_string(&mut text);
                }
                text
            })
        };
        let stdout = reader(child.0.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = reader(child.0.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let deadline = Instant::now() + STARTUP;
        let status = loop {
            match child.0.try_wait() {
                Ok(Some(status)) => break Some(status),
                _ if Instant::now() > deadline => break None,
                _ => std::thread::sleep(Duration::from_millis(25)),
            }
        };
        child.stop();
        Exit {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}

/// How a [`Demo::run_to_exit`] ended.
#[derive(Debug)]
pub struct Exit {
    /// `None`: still running after [`STARTUP`] (then killed).
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Exit {
    /// It exited by itself, unsuccessfully: the launch was refused.
    pub fn refused(&self) -> bool {
        self.status.is_some_and(|status| !status.success())
    }
}

/// A running copy of the demo binary, killed on drop (and then its own
/// accounts database removed).
pub struct Server {
    pub port: u16,
    child: Killed,
    log: Option<PathBuf>,
    _accounts: AccountsFile,
}

impl Server {
    /// Starts the demo binary at log level `critical` with these extra
    /// environment variables and waits until it accepts connections.
    pub fn start(env: &[(&str, &str)]) -> Server {
        let mut all = vec![("ROCKET_LOG_LEVEL", "critical")];
        all.extend_from_slice(env);
        Demo::new(&all).start()
    }

    /// `GET path` with an optional `Cookie` header.
    pub fn get(&self, path: &str, cookie: Option<&str>) -> HttpResponse {
        request(self.port, "GET", path, cookie, None)
    }

    /// `POST path` of a URL-encoded form, with an optional `Cookie` header.
    pub fn post_form(&self, path: &str, cookie: Option<&str>, form: &str) -> HttpResponse {
        request(self.port, "POST", path, cookie, Some(form))
    }

    /// Its process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// What it wrote so far, if [`Demo::log_to`] kept it.
    pub fn output(&self) -> String {
        self.log.as_ref().and_then(|log| std::fs::read_to_string(log).ok()).unwrap_or_default()
    }

    /// Stops it; everything it wrote.
    pub fn stop(mut self) -> String {
        self.child.stop();
        self.output()
    }
}

/// The variable that marks the process [`in_a_process_of_its_own`] starts.
const ALONE: &str = "SEALED_SESSION_TEST_ALONE";

/// For a test that must be alone in its process (it installs the
/// process-wide logger): in the test binary's own run, runs `test` (its
/// full name, `module::function`) again in a fresh process of this binary
/// with `--exact`, passes or fails with it, and returns `false` (the
/// caller returns); in that fresh process, returns `true` (the caller does
/// the work).
///
/// # Panics
///
/// When the fresh process fails, or did not run exactly that one test.
pub fn in_a_process_of_its_own(test: &str) -> bool {
    if std::env::var(ALONE).is_ok_and(|alone| alone == test) {
        return true;
    }
    let binary = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(binary)
        .args([test, "--exact", "--nocapture", "--test-threads=1", "--color=never"])
        .env(ALONE, test)
        .stdin(Stdio::null())
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test}, run alone in a fresh process ({}):\n{stdout}\n{stderr}",
        output.status
    );
    false
}
