//! The telemetry an operator acts on (feature `metrics`): what happened to
//! each request's cookie, and per key id whether cookies under it still
//! arrive and their latest deadline, read back through a recorder.

use std::sync::OnceLock;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use rocket::http::Header;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_sealed_session::testing::{session_cookie, ManualClock};
use rocket_sealed_session::{Secret, Session, Sessions};
use serde::{Deserialize, Serialize};

const T0: u64 = 1_700_000_000;

#[derive(Default, Serialize, Deserialize)]
struct Count {
    n: u64,
}

#[get("/")]
fn count(session: Session<'_, Count>) -> String {
    session.update(|c| c.n += 1);
    session.read(|c| c.n).to_string()
}

#[get("/out")]
fn out(session: Session<'_, Count>) {
    session.destroy();
}

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("the only recorder of this test binary");
        snapshotter
    })
}

/// The value of a metric with one label, 0 if never recorded.
fn value(snapshotter: &Snapshotter, name: &str, label: Option<(&str, &str)>) -> f64 {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| key.key().name() == name)
        .filter(|(key, ..)| match label {
            Some((k, v)) => key.key().labels().any(|l| l.key() == k && l.value() == v),
            None => true,
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => n as f64,
            DebugValue::Gauge(g) => g.into_inner(),
            DebugValue::Histogram(_) => 0.0,
        })
        .sum()
}

#[test]
fn cookies_are_counted_by_outcome_and_old_keys_show_their_latest_deadline() {
    let snapshotter = snapshotter();
    let (old, current) = (Secret::generate(), Secret::generate());
    let clock = ManualClock::new(T0);
    let figment = |secret: &Secret, old: Option<&Secret>| {
        let figment = rocket::Config::figment()
            .merge(("log_level", "off"))
            .merge(("session.secret", secret.to_base64()))
            .merge(("session.idle_timeout", 600));
        match old {
            Some(old) => figment.merge(("session.old_secrets", vec![old.to_base64()])),
            None => figment,
        }
    };
    let client = |figment| {
        let rocket = rocket::custom(figment)
            .attach(Sessions::fairing().with_clock(clock.clone()))
            .mount("/", routes![count, out]);
        Client::untracked(rocket).expect("ignites")
    };
    let before_old = client(figment(&old, None));
    let after = client(figment(&current, Some(&old)));
    let old_cookie = session_cookie(before_old.rocket(), &Count { n: 1 });
    let old_id = after.get("/").cookie(old_cookie.clone()).dispatch();
    assert_eq!(old_id.into_string().as_deref(), Some("2"));

    let key_of = |secret: &Secret| {
        let ring = rocket_sealed_session::sealing::KeyRing::new(secret, &[]).expect("a key");
        ring.current().id().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let old_key = key_of(&old);
    assert_eq!(value(snapshotter, "sealed_session_opened_total", Some(("key_id", &old_key))), 1.0);
    assert_eq!(
        value(
            snapshotter,
            "sealed_session_key_latest_deadline_seconds",
            Some(("key_id", &old_key))
        ),
        (T0 + 600) as f64,
        "the idle deadline of the cookie that arrived"
    );
    assert_eq!(
        value(snapshotter, "sealed_session_key_last_seen_seconds", Some(("key_id", &old_key))),
        T0 as f64
    );

    let sealed_before = value(snapshotter, "sealed_session_sealed_total", None);
    let tampered_before =
        value(snapshotter, "sealed_session_rejected_total", Some(("reason", "tampered")));
    let unknown_before =
        value(snapshotter, "sealed_session_rejected_total", Some(("reason", "unknown_key")));
    let idle_before = value(snapshotter, "sealed_session_rejected_total", Some(("reason", "idle")));
    let removed_before = value(snapshotter, "sealed_session_removed_total", None);

    // Tampered: our key id, garbage after it.
    let genuine = session_cookie(after.rocket(), &Count { n: 5 });
    let mut tampered = genuine.value().to_owned();
    let last = tampered.pop().map(|c| if c == 'A' { 'B' } else { 'A' }).unwrap_or('A');
    tampered.push(last);
    after.get("/").header(Header::new("Cookie", format!("sid={tampered}"))).dispatch();
    // Unknown key: sealed by a key this replica never had.
    let stranger = client(figment(&Secret::generate(), None));
    let foreign = session_cookie(stranger.rocket(), &Count { n: 5 });
    after.get("/").cookie(foreign).dispatch();
    // Idle: past the idle timeout.
    clock.advance(601);
    after.get("/").cookie(genuine.clone()).dispatch();
    // Removed.
    let fresh = session_cookie(after.rocket(), &Count { n: 5 });
    after.get("/out").cookie(fresh).dispatch();

    let delta = |name: &str, label, before: f64| value(snapshotter, name, label) - before;
    assert_eq!(
        delta("sealed_session_rejected_total", Some(("reason", "tampered")), tampered_before),
        1.0
    );
    assert_eq!(
        delta("sealed_session_rejected_total", Some(("reason", "unknown_key")), unknown_before),
        1.0
    );
    assert_eq!(delta("sealed_session_rejected_total", Some(("reason", "idle")), idle_before), 1.0);
    assert_eq!(delta("sealed_session_removed_total", None, removed_before), 1.0);
    assert!(
        delta("sealed_session_sealed_total", None, sealed_before) >= 3.0,
        "each fresh count sealed"
    );
}
