//! Checks on the project against its references: our OpenAPI document
//! against upstream's, and the floors of the hand-written modules.
//!
//! One test binary by subject: each file below was a binary of its own,
//! and each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod module_floors;
mod openapi_matches_upstream;
