//! The throttled, async revalidation hook with a manual clock: it runs
//! when due (and only then), a refused session becomes a fresh one, and a
//! check that cannot run follows the configured policy.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocket::local::blocking::Client;
use rocket::{get, routes, Request};
use rocket_sealed_session::testing::{session_cookie, ManualClock};
use rocket_sealed_session::{Meta, Revalidate, Session, Sessions, WhenCheckFails};
use serde::{Deserialize, Serialize};

const T0: u64 = 1_700_000_000;
const EVERY: u64 = 60;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Login {
    user: Option<String>,
    epoch: u64,
}

/// The "database": the user's current epoch, whether it is reachable, and
/// how many times it was asked.
#[derive(Default)]
struct Database {
    epoch: AtomicU64,
    down: AtomicBool,
    queries: AtomicUsize,
}

struct UserEpoch(Arc<Database>);

#[rocket::async_trait]
impl Revalidate for UserEpoch {
    type Payload = Login;

    async fn revalidate(&self, _: &Request<'_>, _: &Meta, login: &Login) -> Result<bool, String> {
        rocket::tokio::task::yield_now().await; // a real await point
        self.0.queries.fetch_add(1, Ordering::SeqCst);
        if self.0.down.load(Ordering::SeqCst) {
            return Err("database unreachable".into());
        }
        Ok(login.user.is_none() || login.epoch == self.0.epoch.load(Ordering::SeqCst))
    }
}

#[get("/")]
fn whoami(session: Session<'_, Login>) -> String {
    session.read(|l| l.user.clone().unwrap_or_else(|| "nobody".into()))
}

struct Fixture {
    client: Client,
    clock: ManualClock,
    db: Arc<Database>,
}

fn fixture(on_error: WhenCheckFails) -> Fixture {
    let clock = ManualClock::new(T0);
    let db = Arc::new(Database::default());
    let sessions = Sessions::fairing().with_clock(clock.clone()).revalidate(
        Duration::from_secs(EVERY),
        on_error,
        UserEpoch(db.clone()),
    );
    let figment = rocket::Config::figment().merge(("log_level", "off"));
    let rocket = rocket::custom(figment).attach(sessions).mount("/", routes![whoami]);
    Fixture { client: Client::tracked(rocket).expect("ignites"), clock, db }
}

impl Fixture {
    fn sign_in(&self, epoch: u64) {
        let login = Login { user: Some("ada".into()), epoch };
        let cookie = session_cookie(self.client.rocket(), &login);
        // The tracked client keeps the cookie the response re-seals.
        let body = self.client.get("/").cookie(cookie).dispatch().into_string();
        assert_eq!(body.as_deref(), Some("ada"));
    }

    fn whoami(&self) -> String {
        self.client.get("/").dispatch().into_string().unwrap_or_default()
    }

    fn queries(&self) -> usize {
        self.db.queries.load(Ordering::SeqCst)
    }
}

#[test]
fn the_check_runs_when_due_and_not_between() {
    let fx = fixture(WhenCheckFails::Refuse);
    fx.sign_in(0);
    let after_sign_in = fx.queries();
    assert_eq!(after_sign_in, 1, "a minted cookie has never been checked: due at once");
    for _ in 0..5 {
        assert_eq!(fx.whoami(), "ada");
    }
    fx.clock.advance(EVERY - 1);
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.queries(), after_sign_in, "not due: no query");
    fx.clock.advance(1);
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.queries(), after_sign_in + 1, "due: one query");
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.queries(), after_sign_in + 1, "the check time was sealed");
}

#[test]
fn a_refused_session_becomes_a_fresh_one_at_the_next_due_check() {
    let fx = fixture(WhenCheckFails::Refuse);
    fx.sign_in(0);
    fx.db.epoch.store(1, Ordering::SeqCst); // "log out everywhere"
    assert_eq!(fx.whoami(), "ada", "not due yet: still signed in");
    fx.clock.advance(EVERY);
    assert_eq!(fx.whoami(), "nobody", "refused at the due check");
    let queries = fx.queries();
    assert_eq!(fx.whoami(), "nobody");
    assert_eq!(fx.queries(), queries, "the refused cookie was removed: nothing to check");
}

#[test]
fn a_failing_check_refuses_by_default() {
    let fx = fixture(WhenCheckFails::Refuse);
    fx.sign_in(0);
    fx.db.down.store(true, Ordering::SeqCst);
    fx.clock.advance(EVERY);
    assert_eq!(fx.whoami(), "nobody", "fail closed");
}

#[test]
fn a_failing_check_keeps_the_session_when_told_to_and_retries() {
    let fx = fixture(WhenCheckFails::Keep);
    fx.sign_in(0);
    fx.db.down.store(true, Ordering::SeqCst);
    fx.clock.advance(EVERY);
    let before = fx.queries();
    assert_eq!(fx.whoami(), "ada", "fail open");
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.queries(), before + 2, "still due: every request retries");
    fx.db.down.store(false, Ordering::SeqCst);
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.whoami(), "ada");
    assert_eq!(fx.queries(), before + 3, "passed: not due again");
}
