//! Reading what Kratos sends a web hook: `HookContext::from_slice` (the
//! flow decoded into our model by its kind, the identity, the session)
//! against a `serde_json::Value` of the same bytes, on the contexts a real
//! Kratos v26.2.0 sent (`tests/fixtures/hook_*.json`). Run:
//! `cd benches && cargo bench --bench hooks`.

use std::path::PathBuf;

use kratos_client::hooks::HookContext;
use kratos_client_benches::{compare, keep, Candidate};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

fn main() {
    for (what, file) in [
        (
            "registration, before the identity is saved",
            "hook_registration_after.json",
        ),
        ("login, with the session", "hook_login_after.json"),
    ] {
        let body = fixture(file);
        let mut candidates = vec![
            Candidate::new("kratos-client: HookContext::from_slice", || {
                keep(HookContext::from_slice(&body).unwrap())
            }),
            Candidate::new("serde_json::Value", || {
                keep(serde_json::from_slice::<Value>(&body).unwrap())
            }),
        ];
        compare(
            &format!("Hook context: {what} ({} bytes)", body.len()),
            60,
            300,
            &mut candidates,
        );
        println!();
    }
}
