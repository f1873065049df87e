//! Decoding a large registration flow into our models, against an untyped
//! `serde_json::Value` and against the official `ory-kratos-client` models,
//! on the same bytes. Run: `cd benches && cargo bench --bench decode`.

use std::path::{Path, PathBuf};

use kratos_client::operations::CreateNativeRegistrationFlow;
use kratos_client::{HeaderMap, StatusCode};
use kratos_client_benches::{compare, keep, Candidate};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Real Kratos nodes from the upstream snapshots, every strategy, in the
/// envelope of our own flow fixture; our fixture alone without `../shared`.
fn registration_flow() -> (String, Vec<u8>) {
    let ours =
        std::fs::read_to_string(root().join("tests/fixtures/registration_flow.json")).unwrap();
    let mut flow: Value = serde_json::from_str(&ours).unwrap();
    let dir = root().join("../shared/kratos/fixtures/registration-nodes");
    if !dir.is_dir() {
        let n = flow["ui"]["nodes"].as_array().unwrap().len();
        return (
            format!("our fixture, {n} nodes (../shared absent)"),
            ours.into_bytes(),
        );
    }
    let pick = [
        "profile-TestTwoStepRegistration-initial_form_is_populated_with_identity_traits-type=browse-e3da40.json",
        "password-TestPopulateRegistrationMethod-method=PopulateRegistrationMethodCredentials-86185d.json",
        "oidc-TestPopulateRegistrationMethod-method=PopulateRegistrationMethodCredentials-e10a45.json",
        "code-TestPopulateRegistrationMethod-method=PopulateRegistrationMethodCredentials-8fed2a.json",
        "passkey-TestRegistration-case=passkey_button_exists-spa-6ecd1e.json",
        "webauthn-TestPopulateRegistrationMethod-method=PopulateRegistrationMethodCredentials-9e7955.json",
        "profile-TestPopulateRegistrationMethod-method=PopulateRegistrationMethodProfile-f5d533.json",
    ];
    let mut nodes: Vec<Value> = Vec::new();
    for name in pick {
        let path: &Path = &dir.join(name);
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for node in serde_json::from_str::<Vec<Value>>(&text).unwrap() {
            let key = |n: &Value| {
                (
                    n["group"].clone(),
                    n["attributes"]["name"].clone(),
                    n["attributes"]["id"].clone(),
                    n["attributes"]["value"].clone(),
                )
            };
            if !nodes.iter().any(|n| key(n) == key(&node)) {
                nodes.push(node);
            }
        }
    }
    let count = nodes.len();
    let groups: std::collections::BTreeSet<String> = nodes
        .iter()
        .map(|n| n["group"].as_str().unwrap_or("").to_string())
        .collect();
    flow["ui"]["nodes"] = Value::Array(nodes);
    let bytes = serde_json::to_vec(&flow).unwrap();
    (
        format!(
            "{count} real Kratos nodes ({}), {} bytes",
            groups.into_iter().collect::<Vec<_>>().join(", "),
            bytes.len()
        ),
        bytes,
    )
}

fn main() {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());

    let (what, flow) = registration_flow();
    let ory = serde_json::from_slice::<ory_kratos_client::models::RegistrationFlow>(&flow);
    let mut candidates = vec![
        Candidate::new("kratos-client: decode_response (the send() path)", || {
            keep(
                CreateNativeRegistrationFlow::decode_response(StatusCode::OK, &headers, &flow)
                    .unwrap(),
            )
        }),
        Candidate::new("kratos-client: serde_json::from_slice", || {
            keep(serde_json::from_slice::<kratos_client::models::RegistrationFlow>(&flow).unwrap())
        }),
        Candidate::new("serde_json::Value", || {
            keep(serde_json::from_slice::<Value>(&flow).unwrap())
        }),
    ];
    match &ory {
        Ok(_) => candidates.push(Candidate::new("ory-kratos-client 26.2.0", || {
            keep(
                serde_json::from_slice::<ory_kratos_client::models::RegistrationFlow>(&flow)
                    .unwrap(),
            )
        })),
        Err(e) => println!("ory-kratos-client 26.2.0 cannot decode this flow: {e}"),
    }
    compare(
        &format!("Registration flow: {what}"),
        60,
        300,
        &mut candidates,
    );

    // An answer ory-kratos-client can decode: a registration's session and
    // identity. Its continue_with items trip it like the ui nodes do (the
    // tag `action` is consumed, then required again), so they are left out.
    let mut done: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/successful_native_registration.json"))
            .unwrap(),
    )
    .unwrap();
    let with_newer = serde_json::to_vec(&done).unwrap();
    if let Err(e) = serde_json::from_slice::<ory_kratos_client::models::SuccessfulNativeRegistration>(
        &with_newer,
    ) {
        println!("\nory-kratos-client 26.2.0 cannot decode the registration answer with its continue_with items: {e}");
    }
    done.as_object_mut().unwrap().remove("continue_with");
    let done = serde_json::to_vec(&done).unwrap();
    let mut candidates = vec![
        Candidate::new("kratos-client", || {
            keep(
                serde_json::from_slice::<kratos_client::models::SuccessfulNativeRegistration>(
                    &done,
                )
                .unwrap(),
            )
        }),
        Candidate::new("serde_json::Value", || {
            keep(serde_json::from_slice::<Value>(&done).unwrap())
        }),
        Candidate::new("ory-kratos-client 26.2.0", || {
            keep(
                serde_json::from_slice::<ory_kratos_client::models::SuccessfulNativeRegistration>(
                    &done,
                )
                .unwrap(),
            )
        }),
    ];
    compare(
        &format!(
            "Registration success (session and identity), {} bytes",
            done.len()
        ),
        60,
        300,
        &mut candidates,
    );
}
