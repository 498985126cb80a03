//! # Key rotation
//!
//! The session configuration has two kinds of secret:
//!
//! - `secret` seals every cookie this server sends (and opens cookies);
//! - `old_secrets` only open. A cookie opened with an old key is re-sealed
//!   with `secret` in the same response, even on a route that only reads
//!   the session, so active users move to the new key without noticing.
//!
//! Every cookie starts with the 4-byte id of the key that sealed it (a hash
//! of the key, not the key). This example shows it: `GET /` prints
//! [`Session::key_id`], the id of the key that opened the request's cookie,
//! next to the ids this server seals and opens with.
//!
//! The secrets come from the environment, read by the example itself (the
//! library reads no environment variable): `SESSION_SECRET` and
//! `SESSION_OLD_SECRETS` (comma-separated), through a figment provider
//! merged over Rocket's configuration, exactly as an app would do it:
//!
//! ```ignore
//! let env = Env::prefixed("SESSION_")
//!     .only(CONFIG_KEYS)
//!     .map(|key| format!("session.{}", key.as_str()).into())
//!     .global();
//! let rocket = rocket::custom(rocket::Config::figment().merge(env));
//! ```
//!
//! (`.only(CONFIG_KEYS)` keeps unrelated variables such as
//! `SESSION_MANAGER` out; every key of the `session` table works:
//! `SESSION_MAX_AGE`, `SESSION_COOKIE_NAME`, ...) The same two keys can be
//! set in code, e.g. `figment.merge(("session.secret", secret))` and
//! `figment.merge(("session.old_secrets", vec![old]))`.
//!
//! ## The fleet procedure, in three phases
//!
//! Replicas that share a secret serve any request, so a new secret has to
//! reach all of them before any of them seals with it. With `A` the current
//! secret and `B` the new one (`openssl rand -base64 32`):
//!
//! 1. **Add `B` as an old secret everywhere**: `secret = A`,
//!    `old_secrets = [B]`. Nothing visible changes: every cookie is still
//!    sealed with `A`, but every replica can now open a cookie sealed with
//!    `B`. Roll it out to every replica and wait until it is done.
//! 2. **Swap**: `secret = B`, `old_secrets = [A]`. Replicas seal with `B`; a
//!    cookie sealed with `A` still opens and is re-sealed with `B` in that
//!    response. A replica still at phase 1 during the rollout opens the `B`
//!    cookies of its peers, thanks to step 1. (Skipping step 1 would make
//!    those replicas drop the sessions their peers re-sealed.)
//! 3. **Retire `A`**: `secret = B`, `old_secrets = []`, once no cookie
//!    sealed with `A` can still be alive: `max_age` (24 h by default) after
//!    phase 2 finished everywhere. A session not seen since phase 2 had its
//!    deadline before that; the active ones carry `B` by now.
//!
//! Rotating in one step, a new `secret` and no `old_secrets`,
//! ends every session at once: the emergency response to a leaked secret.
//!
//! ## Try it
//!
//! ```sh
//! cargo run -p rocket_sealed_session --example rotation
//! ```
//!
//! With no setup, in the debug profile, the fairing seals with a random key
//! made for the process; the example then prints two fresh secrets and the
//! commands to watch a rotation with them. With `A` and `B` two secrets:
//!
//! ```sh
//! # Today: one key. Get a session sealed with A.
//! SESSION_SECRET=A cargo run -p rocket_sealed_session --example rotation
//! curl -c jar -b jar http://127.0.0.1:8000/     # new session, sealed with A's key id
//! curl -c jar -b jar http://127.0.0.1:8000/     # opened with A's key id
//!
//! # Phase 2 (phase 1, A sealing and B only opening, matters for fleets):
//! SESSION_SECRET=B SESSION_OLD_SECRETS=A cargo run -p rocket_sealed_session --example rotation
//! curl -i -c jar -b jar http://127.0.0.1:8000/  # opened with A's id; Set-Cookie re-seals it with B
//! curl -i -c jar -b jar http://127.0.0.1:8000/  # opened with B's id; no Set-Cookie
//!
//! # Phase 3: A retired; the re-sealed cookie still opens.
//! SESSION_SECRET=B cargo run -p rocket_sealed_session --example rotation
//! curl -c jar -b jar http://127.0.0.1:8000/     # opened with B's id
//! ```
//!
//! The release profile (`ROCKET_PROFILE=release`) requires `SESSION_SECRET`
//! and names the cookie `__Host-sid`, which browsers accept over HTTPS only.

use rocket::figment::providers::Env;
use rocket::figment::Figment;
use rocket::{get, routes, Build, Rocket, State};
use rocket_sealed_session::sealing::SessionKey;
use rocket_sealed_session::{Secret, Session, SessionConfig, Sessions, CONFIG_KEYS};
use serde::{Deserialize, Serialize};

/// The payload: only a mark that the session was started, so that `GET /`
/// can show which key opened it without changing it (a changed session is
/// re-sealed anyway, which would hide the rotation).
#[derive(Default, Serialize, Deserialize)]
pub struct Demo {
    started: bool,
}

/// The key ids this server seals and opens with, computed from the same
/// configuration the fairing reads (ids only; no secret is kept here).
pub struct KeyIds {
    /// The id of `secret`'s key; `None` when none is configured (debug
    /// profile: the fairing makes a random key whose id we do not know).
    pub sealing: Option<String>,
    /// The ids of `old_secrets`' keys.
    pub old: Vec<String>,
}

impl KeyIds {
    fn of(config: &SessionConfig) -> KeyIds {
        KeyIds {
            sealing: config.secret.as_ref().map(key_id),
            old: config.old_secrets.iter().map(key_id).collect(),
        }
    }

    /// How the sealing key is called on the page.
    fn sealing_name(&self) -> String {
        match &self.sealing {
            Some(id) => format!("key {id}"),
            None => "this process's random key".to_owned(),
        }
    }
}

/// A key's public id in hex, as `Session::key_id` writes it.
pub fn key_id(secret: &Secret) -> String {
    SessionKey::derive(secret).id().iter().map(|b| format!("{b:02x}")).collect()
}

/// Shows which key opened the request's cookie, and starts a session for a
/// visitor without one. Only reads an existing session: any `Set-Cookie`
/// on a second visit is the fairing re-sealing an old key's cookie.
#[get("/")]
fn index(session: Session<'_, Demo>, keys: &State<KeyIds>) -> String {
    let olds = match keys.old.is_empty() {
        true => "none".to_owned(),
        false => keys.old.join(", "),
    };
    let server =
        format!("This server seals with {}; old keys it also opens: {olds}.", keys.sealing_name());

    // `key_id` is `None` for a request without a usable cookie.
    let what = match session.key_id() {
        None => {
            session.set(Demo { started: true });
            format!(
                "No session came with this request: a new one is sealed with {} \
                 in this response. Send its cookie back.",
                keys.sealing_name()
            )
        }
        Some(id) if keys.old.contains(&id) && keys.sealing.as_ref() != Some(&id) => format!(
            "Your cookie was opened with OLD key {id}: this response re-seals it with {} \
             (see its Set-Cookie).",
            keys.sealing_name()
        ),
        Some(id) => format!(
            "Your cookie was opened with key {id}, the current one: \
             nothing changed, no Set-Cookie."
        ),
    };
    format!("{server}\n{what}\nSession id: {}\n", session.id())
}

/// Rocket's configuration with `SESSION_<KEY>` environment variables merged
/// over it as the `session` table (`SESSION_SECRET`, `SESSION_OLD_SECRETS`,
/// `SESSION_MAX_AGE`, ...).
pub fn figment() -> Figment {
    let env = Env::prefixed("SESSION_")
        .only(CONFIG_KEYS)
        .map(|key| format!("session.{}", key.as_str()).into())
        .global();
    rocket::Config::figment().merge(env)
}

/// The app on a given configuration (the tests give secrets directly).
pub fn rocket_with(figment: Figment) -> Rocket<Build> {
    let sessions = Sessions::fairing();
    // The fairing checks the configuration again at ignite and stops the
    // launch, with an error that says what to fix, if it is refused.
    let keys = match sessions.config_from(&figment) {
        Ok(config) => KeyIds::of(&config),
        Err(_) => KeyIds { sealing: None, old: Vec::new() },
    };
    rocket::custom(figment).manage(keys).attach(sessions).mount("/", routes![index])
}

/// The app, configured from Rocket.toml, `ROCKET_*` and `SESSION_*`.
pub fn rocket() -> Rocket<Build> {
    rocket_with(figment())
}

/// Says what the configuration is and what to set next. Prints key ids,
/// never a configured secret.
fn print_guide(figment: &Figment) {
    const RUN: &str = "cargo run -p rocket_sealed_session --example rotation";
    let config = match Sessions::fairing().config_from(figment) {
        Ok(config) => config,
        Err(err) => {
            println!("The session configuration is refused: {err}");
            println!("(This example reads them from SESSION_SECRET and SESSION_OLD_SECRETS.)");
            return;
        }
    };
    let keys = KeyIds::of(&config);
    match &keys.sealing {
        Some(id) => {
            println!("SESSION_SECRET is set: sealing with key {id}.");
            match keys.old.is_empty() {
                true => println!("SESSION_OLD_SECRETS is empty: no old key opens cookies."),
                false => println!("SESSION_OLD_SECRETS opens keys {}.", keys.old.join(", ")),
            }
            println!(
                "A fresh secret for the next rotation, if you need one: {}",
                Secret::generate().to_base64()
            );
        }
        None => {
            // Two new secrets, made now and kept nowhere: safe to print.
            let (a, b) = (Secret::generate(), Secret::generate());
            let (a_id, b_id) = (key_id(&a), key_id(&b));
            let (a, b) = (a.to_base64(), b.to_base64());
            println!("SESSION_SECRET is not set: sealing with a random key made for this");
            println!("process (debug profile only); sessions end when it stops.");
            println!();
            println!("To watch a rotation, with two secrets made just now:");
            println!("  # one key, A (id {a_id}); visit http://127.0.0.1:8000/ twice");
            println!("  SESSION_SECRET={a} {RUN}");
            println!("  # phase 1 (fleets): A seals, B (id {b_id}) only opens");
            println!("  SESSION_SECRET={a} SESSION_OLD_SECRETS={b} {RUN}");
            println!("  # phase 2: B seals; a cookie sealed with A is re-sealed with B");
            println!("  SESSION_SECRET={b} SESSION_OLD_SECRETS={a} {RUN}");
            println!("  # phase 3: A retired");
            println!("  SESSION_SECRET={b} {RUN}");
        }
    }
    println!();
}

#[rocket::main]
async fn main() {
    let figment = figment();
    print_guide(&figment);
    if let Err(err) = rocket_with(figment).launch().await {
        // Rocket logs the details (a refused session configuration, a port
        // in use, ...); this is its one-line summary.
        eprintln!("{}", err.pretty_print());
        std::process::exit(1);
    }
}
