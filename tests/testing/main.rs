//! The test servers of `kratos_client::testing`: MockKratos's admin API,
//! the mock held to a real Kratos's recorded answers, KratosServer's
//! configuration and faults, the test OpenID Connect provider, the account
//! example run on the mock, and the admin example's import through an
//! outage on both servers.
//!
//! One test binary by subject: each file below was a binary of its own,
//! and each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod account_example;
// The admin example's code, for its own test: written against our
// document (upstream's leaves `create_identity`'s body optional).
// Like the account example, it includes the examples' shared `Failure`:
// each example is a binary of its own, and here the two share one.
#[cfg(kratos_bundled_spec)]
#[path = "../../examples/admin.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod admin;
#[cfg(kratos_bundled_spec)]
mod admin_example;
// Needs our document: `kratos_client::bulk` is built from it only.
#[cfg(kratos_bundled_spec)]
mod bulk;
mod kratos_server;
mod mock_admin;
mod mock_matches_kratos;
mod oidc_provider;
mod web_hooks;
