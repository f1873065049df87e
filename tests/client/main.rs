//! The client against wiremock and hostile servers: every operation's
//! request and answers, decoding of real and realistic answers, unions,
//! pagination, API keys, errors off the happy path, secrets, tracing.
//!
//! One test binary by subject: each file below was a binary of its own,
//! and each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod admin_operations;
mod api_key;
mod create_native_registration_flow;
mod decoding;
mod frontend_operations;
mod hostile;
mod operations;
mod pagination;
mod secrets;
mod tracing;
mod unions;
