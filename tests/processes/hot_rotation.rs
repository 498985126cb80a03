//! Rotation without restarts on a running fleet: three release replicas
//! read their secrets from files; the files are rewritten through the three
//! phases and every replica gets `SIGHUP`, while clients keep their
//! sessions going. No request fails, no session is lost, and at the end a
//! cookie sealed by the retired key opens nowhere. Also: `PORT` is honoured
//! when `ROCKET_PORT` is not set.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::process::Scratch;
use crate::common::*;

const NAME: &str = "__Host-sid";
const CLIENTS: usize = 4;

/// A replica whose log says how many reloads it has done.
fn replica(files: &Scratch, index: usize) -> Server {
    let secret = files.path().join("secret");
    let old = files.path().join("old_secrets");
    Demo::new(&[
        ("ROCKET_PROFILE", "release"),
        ("ROCKET_LOG_LEVEL", "normal"),
        ("SESSION_SECRET_FILE", &secret.to_string_lossy()),
        ("SESSION_OLD_SECRETS_FILE", &old.to_string_lossy()),
    ])
    .log_to(files.path().join(format!("replica-{index}.log")))
    .start()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a secret file");
}

/// Rewrites the files, sends `SIGHUP` to every replica and waits until each
/// logged its `reloads`-th reload.
fn rotate(files: &Scratch, fleet: &[Server], secret: &str, old: &[&str], reloads: usize) {
    write(&files.path().join("secret"), secret);
    write(&files.path().join("old_secrets"), &old.join("\n"));
    for server in fleet {
        let status = Command::new("kill").args(["-HUP", &server.pid().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -HUP {}", server.pid());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for server in fleet {
        while server.output().matches("session key ring reloaded").count() < reloads {
            assert!(Instant::now() < deadline, "no reload logged:\n{}", server.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every client visits `/` once, on the next replica in turn: each gets a
/// 200 and the count it expects.
fn round(fleet: &[Server], clients: &mut [(String, u64)], turn: &mut usize) {
    for (cookie, views) in clients.iter_mut() {
        let server = &fleet[*turn % fleet.len()];
        *turn += 1;
        let response = server.get("/", Some(cookie));
        assert_eq!(response.status, 200, "{}", response.body);
        *views += 1;
        assert_eq!(views_in(&response.body), Some(*views), "a session was lost");
        if let Some(next) = response.cookie_for(NAME) {
            *cookie = next;
        }
    }
}

#[test]
fn a_running_fleet_rotates_through_three_phases_on_sighup_without_losing_a_session() {
    let files = Scratch::new("hot-rotation", "fleet");
    let (a, b) = (secret(), secret());
    write(&files.path().join("secret"), &a);
    write(&files.path().join("old_secrets"), "");
    let fleet: Vec<Server> = (0..3).map(|i| replica(&files, i)).collect();

    let mut clients: Vec<(String, u64)> = (0..CLIENTS)
        .map(|i| {
            let response = fleet[i % 3].get("/", None);
            assert_eq!(views_in(&response.body), Some(1));
            (response.cookie_for(NAME).expect("a first visit sets a cookie"), 1)
        })
        .collect();
    let mut turn = 0;
    round(&fleet, &mut clients, &mut turn);
    let sealed_by_a = clients[0].0.clone();

    rotate(&files, &fleet, &a, &[&b], 1); // phase 1: B known everywhere, A seals
    round(&fleet, &mut clients, &mut turn);
    rotate(&files, &fleet, &b, &[&a], 2); // phase 2: B seals, A only opens
    round(&fleet, &mut clients, &mut turn); // every cookie re-sealed under B
    round(&fleet, &mut clients, &mut turn);
    rotate(&files, &fleet, &b, &[], 3); // phase 3: A retired
    round(&fleet, &mut clients, &mut turn);

    for server in &fleet {
        let response = server.get("/", Some(&sealed_by_a));
        assert_eq!(response.status, 200);
        assert_eq!(views_in(&response.body), Some(1), "a cookie sealed by the retired key");
    }
}

#[test]
fn a_bad_secret_file_on_sighup_keeps_the_ring_and_says_why() {
    let files = Scratch::new("hot-rotation", "bad");
    let a = secret();
    write(&files.path().join("secret"), &a);
    write(&files.path().join("old_secrets"), "");
    let server = replica(&files, 0);
    let first = server.get("/", None).cookie_for(NAME).expect("a cookie");
    write(&files.path().join("secret"), "not a secret");
    let status = Command::new("kill").args(["-HUP", &server.pid().to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.output().contains("not reloaded") {
        assert!(Instant::now() < deadline, "no error logged:\n{}", server.output());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.output().contains("secret_file"), "{}", server.output());
    assert_eq!(views_in(&server.get("/", Some(&first)).body), Some(2), "the old ring still works");
}

#[test]
fn port_is_honoured_without_rocket_port_and_a_bad_one_is_refused() {
    let port = free_port();
    let mut demo = Demo::new(&[("PORT", &port.to_string())]);
    demo.without("ROCKET_PORT");
    let server = demo.start_on(port);
    assert_eq!(server.get("/health", None).status, 200);
    let mut bad = Demo::new(&[("PORT", "eighty")]);
    bad.without("ROCKET_PORT");
    let exit = bad.run_to_exit();
    assert!(exit.refused() && exit.stderr.contains("PORT"), "{exit:?}");
}
