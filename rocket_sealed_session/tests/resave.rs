//! `resave: false`, as express-session compares before saving: an `update`
//! that leaves the payload byte for byte as it was opened sends no
//! `Set-Cookie`; any real change, a new id, `mark_dirty` or an old key does.

use rocket::local::blocking::{Client, LocalResponse};
use rocket::{get, routes};
use rocket_sealed_session::testing::session_cookie;
use rocket_sealed_session::{Secret, Session, Sessions};
use serde::{Deserialize, Serialize};

#[derive(Default, Serialize, Deserialize)]
struct Prefs {
    theme: String,
}

#[get("/theme/<theme>")]
fn theme(session: Session<'_, Prefs>, theme: &str) {
    session.update(|p| p.theme = theme.to_owned());
}

#[get("/regenerate")]
fn regenerate(session: Session<'_, Prefs>) {
    session.update(|_| ());
    session.regenerate();
}

#[get("/touch")]
fn touch(session: Session<'_, Prefs>) {
    session.mark_dirty();
}

fn client(secret: &Secret, old: Option<&Secret>) -> Client {
    let mut figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("session.secret", secret.to_base64()));
    if let Some(old) = old {
        figment = figment.merge(("session.old_secrets", vec![old.to_base64()]));
    }
    let rocket = rocket::custom(figment)
        .attach(Sessions::fairing())
        .mount("/", routes![theme, regenerate, touch]);
    Client::untracked(rocket).expect("ignites")
}

fn sets_cookie(response: &LocalResponse<'_>) -> bool {
    response.headers().get("Set-Cookie").any(|c| c.starts_with("sid=") && !c.starts_with("sid=;"))
}

#[test]
fn an_update_that_changes_nothing_seals_nothing() {
    let client = client(&Secret::generate(), None);
    let dark = session_cookie(client.rocket(), &Prefs { theme: "dark".into() });
    let same = client.get("/theme/dark").cookie(dark.clone()).dispatch();
    assert!(!sets_cookie(&same), "the same theme: no Set-Cookie");
    let changed = client.get("/theme/light").cookie(dark.clone()).dispatch();
    assert!(sets_cookie(&changed), "another theme: sealed");
    assert!(sets_cookie(&client.get("/regenerate").cookie(dark.clone()).dispatch()), "a new id");
    assert!(sets_cookie(&client.get("/touch").cookie(dark).dispatch()), "mark_dirty");
}

#[test]
fn an_unchanged_session_opened_with_an_old_key_is_still_resealed() {
    let (old, new) = (Secret::generate(), Secret::generate());
    let before = client(&old, None);
    let dark = session_cookie(before.rocket(), &Prefs { theme: "dark".into() });
    let rotated = client(&new, Some(&old));
    let response = rotated.get("/theme/dark").cookie(dark).dispatch();
    assert!(sets_cookie(&response), "re-keyed even though the payload did not change");
}
