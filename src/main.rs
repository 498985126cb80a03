//! The demo binary: launches [`sealed_session_demo::app::rocket`].
//!
//! - A session configuration that would stop the launch is reported on
//!   stderr first, whatever Rocket's log level, and the process exits
//!   non-zero.
//! - `PORT` is honoured when `ROCKET_PORT` is not set, as the seed
//!   (`process.env.PORT || 3000`) and container platforms do.
//! - On `SIGHUP` the process re-reads its secret files (`SESSION_SECRET_FILE`,
//!   `SESSION_OLD_SECRETS_FILE`) and swaps its key ring; nothing restarts.

use std::process::ExitCode;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_sealed_session::KeyReloader;
use sealed_session_demo::app;

/// `PORT` as Rocket's port, unless `ROCKET_PORT` is set.
fn with_platform_port(figment: Figment) -> Result<Figment, String> {
    if std::env::var_os("ROCKET_PORT").is_some() {
        return Ok(figment);
    }
    match std::env::var("PORT") {
        Ok(port) => match port.trim().parse::<u16>() {
            Ok(port) => Ok(figment.merge(("port", port))),
            Err(_) => Err(format!("PORT={port:?} is not a port number (1-65535); fix or unset it")),
        },
        Err(_) => Ok(figment),
    }
}

/// Re-reads the secret files on every `SIGHUP`, for the life of the server.
fn reload_keys_on_hangup() -> AdHoc {
    AdHoc::on_liftoff("Reload session keys on SIGHUP", |rocket| {
        let reloader = KeyReloader::of(rocket);
        Box::pin(async move {
            use rocket::tokio::signal::unix::{signal, SignalKind};
            let Some(reloader) = reloader else { return };
            let mut hangups = match signal(SignalKind::hangup()) {
                Ok(hangups) => hangups,
                Err(err) => {
                    log::error!("cannot listen for SIGHUP ({err}); key reloads are off");
                    return;
                }
            };
            rocket::tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    // Logs the new key ids, or why the ring in force stays.
                    let _ = reloader.reload();
                }
            });
        })
    })
}

fn demo() -> Result<Rocket<Build>, String> {
    let rocket = app::rocket();
    let figment = with_platform_port(rocket.figment().clone())?;
    app::settings::check(&figment).map_err(|err| err.to_string())?;
    Ok(rocket.configure(figment).attach(reload_keys_on_hangup()))
}

#[rocket::main]
async fn main() -> ExitCode {
    let rocket = match demo() {
        Ok(rocket) => rocket,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match rocket.launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the server did not start: {err}");
            ExitCode::FAILURE
        }
    }
}
