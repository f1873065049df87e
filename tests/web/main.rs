//! Web backends and sites: the session validator, the axum layer and
//! extractors, the browser flows, and the web example walked in Chromium.
//!
//! One test binary by subject: each file below was a binary of its own,
//! and each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod axum;
mod browser;
mod hooks;
mod hooks_example;
mod session;
mod web_example;
