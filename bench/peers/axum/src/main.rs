//! bench/layers.sh's axum peer (issue 13): the session layer of axum,
//! measured against ours the way `bench/callgrind.sh` measures
//! `bench/server` (instructions per request under callgrind).
//!
//! Mirrors `bench/server` (`rocket_sealed_session/benches/common/routes.rs`):
//!
//! - `/plain`: `"ok"`, no session (the floor every Δ is taken from);
//! - `/counter`: opens the session, increments the `u64` counter `views` and
//!   re-seals it on every request;
//! - `/peek`: opens the session and reads `views`; nothing is sealed.
//!
//! The session is tower-sessions' `Session` (its axum extractor) stored whole in a cookie by tower-sessions-cookie-store's
//! `CookieSessionManagerLayer::private` (its `private` feature:
//! tower-cookies' private jar, AES-256-GCM from the `cookie` crate, the
//! encryption half of the 64-byte key). `CookieSessionConfig::default()`
//! (cookie `session`, `HttpOnly`, `SameSite=Strict`, `Path=/`, no expiry:
//! a browser session cookie whose record still carries an expiry date two
//! weeks ahead, saved only when modified) with one change: `Secure` off, so
//! the cookie works over the benchmark's plain http on loopback, as the
//! crate's own example does. The sealed plaintext is base64 of the JSON
//! record `{"v":1,"record":{"id":..,"data":{"views":3},"expiry_date":..}}`.
//! The layer wraps only the two session routes: `/plain` is served without
//! it, as it would be in an app with no sessions at all (wrapped, it would
//! decrypt and decode the cookie on every request as well, since the layer
//! opens the session before the handler runs). No tracing subscriber is
//! installed (the layer's `tracing` events go nowhere), as Rocket runs with
//! its log off.
//!
//! A current-thread tokio runtime (one thread serves everything), as
//! `bench/callgrind.sh` runs Rocket with `ROCKET_WORKERS=1`, so the counts
//! compare.
//!
//! ```text
//! cargo build --release --manifest-path bench/peers/Cargo.toml --target-dir target/peers
//! PEER_SECRET_KEY=$(openssl rand -base64 64) PORT=8003 target/peers/release/axum_peer
//! ```
//!
//! `PEER_SECRET_KEY`: 64 random bytes in standard base64 (required);
//! `PORT`: the port on 127.0.0.1 (default 8003). Stops on SIGINT/SIGTERM.

use std::process::ExitCode;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use tower_sessions::Session;
use tower_sessions_cookie_store::{CookieSessionConfig, CookieSessionManagerLayer, Key};

/// No session: what axum costs by itself.
async fn plain() -> &'static str {
    "ok"
}

/// Opens, increments and re-seals the session on every request.
async fn counter(session: Session) -> Result<String, StatusCode> {
    let views = session
        .get::<u64>("views")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0)
        + 1;
    session.insert("views", views).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("{views}"))
}

/// Opens and reads the session; nothing is sealed.
async fn peek(session: Session) -> Result<String, StatusCode> {
    let views = session
        .get::<u64>("views")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0);
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

/// The port from `PORT` (default 8003), or why not.
fn port_from_env() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| format!("PORT is not a port number: {p}")),
        Err(_) => Ok(8003),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (key, port) = match (key_from_env(), port_from_env()) {
        (Ok(key), Ok(port)) => (key, port),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let config = CookieSessionConfig::default().with_secure(false);
    let sessions = CookieSessionManagerLayer::private(key).with_config(config);
    let app = Router::new()
        .route("/counter", get(counter))
        .route("/peek", get(peek))
        .layer(sessions)
        .route("/plain", get(plain));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("error: the axum peer did not start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the axum peer stopped: {err}");
            ExitCode::FAILURE
        }
    }
}
