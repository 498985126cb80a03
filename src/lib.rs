//! # sealed-session
//!
//! Stateless, sealed cookie sessions for Rocket 0.5, and a demo app.
//!
//! - [`session`]: the reusable library (request guard, fairing, sealing).
//! - [`app`]: the demo application that mirrors the express-session seed.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod session;

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
