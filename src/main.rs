//! The demo binary: launches [`sealed_session_demo::app::rocket`]. A
//! session configuration that would stop the launch is reported on stderr
//! first, whatever Rocket's log level, and the process exits non-zero.

use std::process::ExitCode;

use sealed_session_demo::app;

#[rocket::main]
async fn main() -> ExitCode {
    let rocket = app::rocket();
    if let Err(err) = app::settings::check(rocket.figment()) {
        eprintln!("error: {err}");
        return ExitCode::FAILURE;
    }
    match rocket.launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the server did not start: {err}");
            ExitCode::FAILURE
        }
    }
}
