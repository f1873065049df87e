//! One journey suite, two servers: every journey MockKratos plays runs on
//! MockKratos, and on a real Kratos when `KRATOS_BIN` names a binary (it
//! says `SKIPPED: KRATOS_BIN is not set` otherwise). Each journey checks
//! what an app depends on as it goes, and writes down what the app saw
//! ([`seen::Seen`]); where both servers ran, the two records must be the
//! same line for line.

// Needs our document: upstream's spells some calls differently.
#![cfg(kratos_bundled_spec)]

use std::time::Duration;

#[path = "../common/mod.rs"]
mod common;
mod seen;

mod admin;
mod backend;
mod browser;
mod expiry;
mod hooks;
mod login;
mod off_path;
mod recovery;
mod registration;
mod servers;
mod sessions;
mod settings;
mod social;
mod stubs;
mod sweep;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

/// The lifetime of flows in the journeys that let them expire.
const EXPIRING: Duration = Duration::from_millis(1500);

/// Waits until flows made with [`EXPIRING`] have expired.
async fn wait_for_expiry() {
    tokio::time::sleep(EXPIRING + Duration::from_millis(500)).await;
}
