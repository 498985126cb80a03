//! Revocation without a store: the validation hook and the per-user epoch
//! pattern ("log out everywhere" makes every older cookie a fresh session).

mod common;

use std::collections::HashMap;
use std::sync::Mutex;

use common::*;
use rocket::http::{Cookie, Status};
use rocket::local::blocking::Client;
use rocket::{get, routes, State};
use rocket_sealed_session::{Session, Sessions};

#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct Login {
    user: Option<String>,
    epoch: u64,
}

/// The app's user records: only the epoch counter matters here.
#[derive(Default)]
struct Epochs(Mutex<HashMap<String, u64>>);

impl Epochs {
    fn current(&self, user: &str) -> u64 {
        self.0.lock().map(|m| m.get(user).copied().unwrap_or(0)).unwrap_or(u64::MAX)
    }
}

#[get("/login/<name>")]
fn login(session: Session<'_, Login>, epochs: &State<Epochs>, name: &str) {
    session.regenerate();
    session.set(Login { user: Some(name.to_owned()), epoch: epochs.current(name) });
}

#[get("/whoami")]
fn whoami(session: Session<'_, Login>) -> String {
    session.read(|l| l.user.clone().unwrap_or_else(|| "nobody".into()))
}

#[get("/logout-everywhere")]
fn logout_everywhere(session: Session<'_, Login>, epochs: &State<Epochs>) -> Status {
    let Some(user) = session.read(|l| l.user.clone()) else { return Status::Forbidden };
    if let Ok(mut map) = epochs.0.lock() {
        *map.entry(user).or_default() += 1;
    }
    session.destroy();
    Status::Ok
}

fn client() -> Client {
    let fairing = Sessions::fairing().validate(|req, _meta, login: &Login| match &login.user {
        None => true,
        Some(user) => req.rocket().state::<Epochs>().map(|e| e.current(user)) == Some(login.epoch),
    });
    let rocket = rocket::custom(figment("debug", &secret()))
        .manage(Epochs::default())
        .attach(fairing)
        .mount("/", routes![login, whoami, logout_everywhere]);
    Client::untracked(rocket).expect("launches")
}

fn session_cookie(response: rocket::local::blocking::LocalResponse<'_>) -> Cookie<'static> {
    let set_cookie = set_cookie_for(&response, "sid").expect("a session cookie");
    Cookie::new("sid", cookie_value(&set_cookie).to_owned())
}

#[test]
fn log_out_everywhere_ends_every_copy_of_the_cookie() {
    let client = client();
    let laptop = session_cookie(client.get("/login/ada").dispatch());
    let phone = session_cookie(client.get("/login/ada").dispatch());
    let stolen = laptop.clone();
    let whoami = |c: &Cookie<'static>| client.get("/whoami").cookie(c.clone()).dispatch();
    assert_eq!(whoami(&phone).into_string().as_deref(), Some("ada"));
    assert_eq!(whoami(&stolen).into_string().as_deref(), Some("ada"));

    let response = client.get("/logout-everywhere").cookie(laptop).dispatch();
    assert_eq!(response.status(), Status::Ok);

    assert_eq!(whoami(&phone).into_string().as_deref(), Some("nobody"));
    assert_eq!(whoami(&stolen).into_string().as_deref(), Some("nobody"));
}

#[test]
fn a_new_login_after_the_bump_works_and_other_users_are_untouched() {
    let client = client();
    let ada = session_cookie(client.get("/login/ada").dispatch());
    let bob = session_cookie(client.get("/login/bob").dispatch());
    client.get("/logout-everywhere").cookie(ada).dispatch();
    let again = session_cookie(client.get("/login/ada").dispatch());
    let whoami = |c: Cookie<'static>| client.get("/whoami").cookie(c).dispatch().into_string();
    assert_eq!(whoami(again).as_deref(), Some("ada"));
    assert_eq!(whoami(bob).as_deref(), Some("bob"));
}
