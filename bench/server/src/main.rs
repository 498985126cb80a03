//! The load benchmark's server (`bench/load.sh` runs it; see
//! `docs/PERFORMANCE.md`): four `GET` routes that isolate what a session
//! costs next to Rocket itself.
//!
//! - `/plain`: no session at all (the floor);
//! - `/counter`: opens the session, increments a counter and re-seals it on
//!   every request (the worst case of the library);
//! - `/peek`: opens the session and reads the counter, no re-seal;
//! - `/private`: the same counter in one of Rocket's own private cookies
//!   (cookie-rs, AES-256-GCM), the stock alternative.
//!
//! Configuration comes from Rocket's own providers (Rocket.toml,
//! `ROCKET_*` variables such as `ROCKET_PORT` and `ROCKET_SECRET_KEY`, which
//! `/private` needs in the release profile) plus `SESSION_<KEY>` variables
//! for the library's `session` table (`SESSION_SECRET`, required in the
//! release profile). The library reads no environment variable by itself:
//! `session_env` maps them, as the demo does in `src/app/settings.rs`.
//! Rocket's `secrets` feature is on in this package only: it is not a
//! default workspace member, so the feature never reaches the demo binary.
//! Make each secret with `openssl rand -base64 32`.
//!
//! ```text
//! cargo build --release -p sealed-session-bench-server
//! SESSION_SECRET=$(openssl rand -base64 32) ROCKET_SECRET_KEY=$(openssl rand -base64 32) \
//!   ROCKET_PORT=8001 target/release/bench_app
//! ```

use std::process::ExitCode;

use rocket::figment::providers::Env;
use rocket::figment::Figment;
use rocket::http::{Cookie, CookieJar, Header, SameSite};
use rocket::time::Duration;
use rocket::{get, routes, Build, Responder, Rocket};
use rocket_sealed_session::{Sessions, CONFIG_KEYS};

#[path = "../../../rocket_sealed_session/benches/common/routes.rs"]
mod bench_routes;

/// Name of the private cookie of `/private`.
const PRIVATE_COOKIE: &str = "pc";

/// The same counter in a Rocket private cookie, re-sealed on every request.
#[get("/private")]
fn private(jar: &CookieJar<'_>) -> String {
    let views =
        jar.get_private(PRIVATE_COOKIE).and_then(|c| c.value().parse::<u64>().ok()).unwrap_or(0)
            + 1;
    let cookie = Cookie::build((PRIVATE_COOKIE, views.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::hours(24));
    jar.add_private(cookie);
    format!("{views}")
}

/// `/plain` with the two headers our fairing adds to every response built
/// from a session (`Vary: Cookie`, `Cache-Control: private`) and no session:
/// what those headers alone cost in Rocket and hyper, so a layer's figure
/// can be read with and without them (bench/layers.sh). A path as short as
/// `/peek`'s, so that routing costs the same.
#[get("/vary")]
fn vary() -> PrivatePlain {
    PrivatePlain {
        body: "ok",
        vary: Header::new("Vary", "Cookie"),
        cache_control: Header::new("Cache-Control", "private"),
    }
}

/// The body of `/plain` with the two headers.
#[derive(Responder)]
struct PrivatePlain {
    body: &'static str,
    vary: Header<'static>,
    cache_control: Header<'static>,
}

/// `SESSION_<KEY>` for each key of the session table (`SESSION_SECRET`,
/// `SESSION_MAX_AGE`, ...), winning over every profile of Rocket.toml.
/// Other `SESSION_*` variables (desktops set `SESSION_MANAGER`) are ignored.
fn session_env() -> Env {
    Env::prefixed("SESSION_")
        .only(CONFIG_KEYS)
        .map(|key| format!("session.{}", key.as_str()).into())
        .global()
}

/// Rocket's default figment with the `SESSION_*` variables merged on top.
fn figment() -> Figment {
    rocket::Config::figment().merge(session_env())
}

/// The benchmark app, configured from Rocket.toml and the environment.
pub fn rocket() -> Rocket<Build> {
    rocket::custom(figment())
        .attach(Sessions::fairing())
        .mount("/", bench_routes::routes())
        .mount("/", routes![private, vary])
}

#[rocket::main]
async fn main() -> ExitCode {
    match rocket().launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the benchmark server did not start: {err}");
            ExitCode::FAILURE
        }
    }
}
