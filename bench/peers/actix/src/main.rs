//! bench/layers.sh's actix-web peer (issue 13): the session layer of
//! actix-web 4, measured against ours the way `bench/callgrind.sh` measures
//! `bench/server` (instructions per request under callgrind).
//!
//! Mirrors `bench/server` (`rocket_sealed_session/benches/common/routes.rs`):
//!
//! - `/plain`: `"ok"`, no session (the floor every Δ is taken from);
//! - `/counter`: opens the session, increments the `u64` counter `views` and
//!   re-seals it on every request;
//! - `/peek`: opens the session and reads `views`; nothing is sealed.
//!
//! The session is actix-session's `SessionMiddleware` with its
//! `CookieSessionStore` (the whole state in the cookie): the builder's
//! defaults (cookie `id`, `HttpOnly`, `SameSite=Lax`, `Path=/`, a browser
//! session cookie, state TTL one day) with `CookieContentSecurity::Private`
//! spelled out (it is the default too: AES-256-GCM from the `cookie` crate,
//! the encryption half of the 64-byte key) and one change: `Secure` off, so
//! the cookie works over the benchmark's plain http on loopback.
//! actix-session keeps each value as its own JSON string in a JSON map, so
//! the sealed plaintext is `{"views":"3"}`. The middleware wraps only the
//! two session routes: `/plain` is served without it, as it would be in an
//! app with no sessions at all (wrapped, it would decrypt the cookie on
//! every request as well, since the middleware opens the session before the
//! handler runs whether or not the handler asks for it).
//!
//! One worker (`.workers(1)`), as `bench/callgrind.sh` runs Rocket with
//! `ROCKET_WORKERS=1`, so the counts compare. actix-web is built without
//! its compression and HTTP/2 features, which these routes do not use.
//!
//! ```text
//! cargo build --release --manifest-path bench/peers/Cargo.toml --target-dir target/peers
//! PEER_SECRET_KEY=$(openssl rand -base64 64) PORT=8002 target/peers/release/actix_peer
//! ```
//!
//! `PEER_SECRET_KEY`: 64 random bytes in standard base64 (required);
//! `PORT`: the port on 127.0.0.1 (default 8002). Stops on SIGINT/SIGTERM.

use std::process::ExitCode;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{get, web, App, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// No session: what actix-web costs by itself.
#[get("/plain")]
async fn plain() -> &'static str {
    "ok"
}

/// Opens, increments and re-seals the session on every request.
#[get("/counter")]
async fn counter(session: Session) -> actix_web::Result<String> {
    let views = session.get::<u64>("views")?.unwrap_or(0) + 1;
    session.insert("views", views)?;
    Ok(format!("{views}"))
}

/// Opens and reads the session; nothing is sealed.
#[get("/peek")]
async fn peek(session: Session) -> actix_web::Result<String> {
    let views = session.get::<u64>("views")?.unwrap_or(0);
    Ok(format!("{views}"))
}

/// The 64-byte key from `PEER_SECRET_KEY` (base64), or why not.
fn key_from_env() -> Result<Key, String> {
    let b64 = std::env::var("PEER_SECRET_KEY")
        .map_err(|_| "PEER_SECRET_KEY is not set (64 random bytes, base64)".to_string())?;
    let bytes =
        STANDARD.decode(b64.trim()).map_err(|e| format!("PEER_SECRET_KEY is not base64: {e}"))?;
    Key::try_from(bytes.as_slice())
        .map_err(|_| format!("PEER_SECRET_KEY has {} bytes, needs at least 64", bytes.len()))
}

/// The port from `PORT` (default 8002), or why not.
fn port_from_env() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| format!("PORT is not a port number: {p}")),
        Err(_) => Ok(8002),
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let (key, port) = match (key_from_env(), port_from_env()) {
        (Ok(key), Ok(port)) => (key, port),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_content_security(CookieContentSecurity::Private)
            .cookie_secure(false)
            .build();
        App::new()
            .service(plain)
            .service(web::scope("").wrap(sessions).service(counter).service(peek))
    })
    .workers(1)
    .bind(("127.0.0.1", port));
    let result = match server {
        Ok(server) => server.run().await,
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the actix peer did not start: {err}");
            ExitCode::FAILURE
        }
    }
}
