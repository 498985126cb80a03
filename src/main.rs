//! The demo binary: launches [`sealed_session::app::rocket`].

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    match sealed_session::app::rocket().launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the server did not start: {err}");
            ExitCode::FAILURE
        }
    }
}
