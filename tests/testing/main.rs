//! The test servers of `kratos_client::testing`: MockKratos's admin API,
//! the mock held to a real Kratos's recorded answers, KratosServer's
//! configuration and faults, the test OpenID Connect provider, and the
//! account example run on the mock.
//!
//! One test binary by subject: each file below was a binary of its own,
//! and each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod account_example;
// Needs our document: `kratos_client::bulk` is built from it only.
#[cfg(kratos_bundled_spec)]
mod bulk;
mod kratos_server;
mod mock_admin;
mod mock_matches_kratos;
mod oidc_provider;
mod web_hooks;
