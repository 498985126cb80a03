//! # sealed-session demo
//!
//! The express-session seed, in Rocket, on top of the
//! [`rocket_sealed_session`] library: [`app::rocket`] builds the whole app,
//! so that the binary and the tests run the very same thing.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
