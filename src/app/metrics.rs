//! `/metrics`: the library's session telemetry (opened per key id,
//! rejected by reason, sealed, removed; per key id the last time a cookie
//! under it arrived and the latest deadline among them) in the Prometheus
//! text format. One recorder per process, installed at the first ignite.
//!
//! Not for the public internet: `deploy/nginx.conf` does not pass it on;
//! scrape the replicas directly.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rocket::fairing::AdHoc;
use rocket::http::ContentType;
use rocket::{get, routes, Route, State};

/// The process's Prometheus recorder, as Rocket manages it.
pub struct Metrics(PrometheusHandle);

/// Installs the recorder (once per process: tests build many rockets) and
/// manages its handle.
pub fn recorder() -> AdHoc {
    AdHoc::on_ignite("Prometheus recorder", |rocket| async {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => handle,
            Err(err) => {
                // Another recorder took the place: /metrics renders nothing.
                log::warn!("/metrics stays empty: another metrics recorder is installed ({err})");
                PrometheusBuilder::new().build_recorder().handle()
            }
        });
        rocket.manage(Metrics(handle.clone()))
    })
}

/// The metrics, as Prometheus scrapes them.
#[get("/metrics")]
fn scrape(metrics: &State<Metrics>) -> (ContentType, String) {
    let text = ContentType::new("text", "plain").with_params(("version", "0.0.4"));
    (text, metrics.0.render())
}

/// The route.
pub fn routes() -> Vec<Route> {
    routes![scrape]
}
