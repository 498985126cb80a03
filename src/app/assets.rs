//! The stylesheet, compiled into the binary so that it is found whatever
//! the working directory (no CDN, no JavaScript anywhere).

use rocket::http::ContentType;
use rocket::{get, routes, Route};

/// The demo's only stylesheet.
const STYLE: &str = include_str!("../../static/style.css");

/// Routes of this module.
pub fn routes() -> Vec<Route> {
    routes![style]
}

/// `/static/style.css`; does not touch sessions.
#[get("/static/style.css")]
fn style() -> (ContentType, &'static str) {
    (ContentType::CSS, STYLE)
}
