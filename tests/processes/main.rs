//! The demo as real processes: copies of the built binary on free loopback
//! ports, spoken to over TCP. One test binary (`cargo test --test
//! processes`), a module per subject:
//!
//! - [`accounts`]: replicas sharing a SQLite file: an account made on one
//!   signs in on the other, and "log out everywhere" reaches a copy of the
//!   session on the other once the revalidation interval has passed;
//! - [`cluster`]: replicas sharing a secret keep one session;
//! - [`nginx`]: the same behind a real nginx in round robin (needs `nginx`:
//!   SKIPPED without it, a failure under `CI=true`);
//! - [`rotation`]: key rotation, ending with the three-phase fleet rotation;
//! - [`hot_rotation`]: the same on a running fleet, by files and `SIGHUP`;
//! - [`launch`]: configuration, and launches that must be refused;
//! - [`black_box`]: the release binary against every kind of bad cookie;
//! - [`no_secrets_in_logs`]: nothing secret reaches the logs.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod black_box;
mod cluster;
mod hot_rotation;
mod launch;
mod nginx;
mod no_secrets_in_logs;
mod rotation;
