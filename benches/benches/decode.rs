//! Decoding a large registration flow and a real login flow into our
//! models, against an untyped `serde_json::Value` and against the official
//! `ory-kratos-client` models, on the same bytes. Run:
//! `cd benches && cargo bench --bench decode`.

use std::path::{Path, PathBuf};

use kratos_client::operations::{
    CreateNativeLoginFlow, CreateNativeRegistrationFlow, UpdateRegistrationFlow,
};
use kratos_client::{HeaderMap, StatusCode};
use kratos_client_benches::{compare, keep, Candidate};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Fills in what Kratos's snapshot tooling strips per run and every real
/// answer carries (a script's `src`, `nonce` and `id`, an image's `src`),
/// as `tests/client/decoding.rs` does: our models refuse a node without them.
fn fill_stripped(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let kind = object
                .get("node_type")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut fill = |key: &str, with: &str| {
                object.entry(key).or_insert_with(|| Value::from(with));
            };
            match kind.as_deref() {
                Some("script") => {
                    fill("src", "https://kratos.example/.well-known/ory/webauthn.js");
                    fill("nonce", "0a1b2c3d");
                    fill("id", "webauthn_script");
                }
                Some("img") => fill("src", "data:image/png;base64,"),
                _ => {}
            }
            object.values_mut().for_each(fill_stripped);
        }
        Value::Array(items) => items.iter_mut().for_each(fill_stripped),
        _ => {}
    }
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
    fill_stripped(&mut flow);
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

/// A real login flow as Kratos sent it (the fresh flow it answers when a
/// social registration meets an existing account: password and social
/// sign-in nodes, with messages), with the per-run fields its snapshot
/// tooling strips filled in; `None` without `../shared`.
fn login_flow() -> Option<(String, Vec<u8>)> {
    let path = root().join("../shared/kratos/fixtures/login-flows/oidc-TestStrategy-login-hints-enabled=false-case=should_fail_to_register_and_return_fresh_-045981.json");
    let mut flow: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let fill = [
        ("id", "1f6d5a2e-0c1b-4d3e-8f9a-2b3c4d5e6f70"),
        ("expires_at", "2026-11-24T12:00:00.000000Z"),
        ("issued_at", "2026-11-24T11:00:00.000000Z"),
        (
            "request_url",
            "https://kratos.example/self-service/login/api",
        ),
    ];
    for (key, value) in fill {
        flow[key] = Value::from(value);
    }
    flow["ui"]["action"] = Value::from(
        "https://kratos.example/self-service/login?flow=1f6d5a2e-0c1b-4d3e-8f9a-2b3c4d5e6f70",
    );
    fill_stripped(&mut flow);
    let nodes = flow["ui"]["nodes"].as_array()?.len();
    let bytes = serde_json::to_vec(&flow).ok()?;
    Some((
        format!(
            "a real Kratos login flow, {nodes} nodes, {} bytes",
            bytes.len()
        ),
        bytes,
    ))
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

    match login_flow() {
        None => println!("\nno real login flow: ../shared is absent"),
        Some((what, flow)) => {
            let ory = serde_json::from_slice::<ory_kratos_client::models::LoginFlow>(&flow);
            let mut candidates = vec![
                Candidate::new("kratos-client: decode_response (the send() path)", || {
                    keep(
                        CreateNativeLoginFlow::decode_response(StatusCode::OK, &headers, &flow)
                            .unwrap(),
                    )
                }),
                Candidate::new("serde_json::Value", || {
                    keep(serde_json::from_slice::<Value>(&flow).unwrap())
                }),
            ];
            match &ory {
                Ok(_) => candidates.push(Candidate::new("ory-kratos-client 26.2.0", || {
                    keep(
                        serde_json::from_slice::<ory_kratos_client::models::LoginFlow>(&flow)
                            .unwrap(),
                    )
                })),
                Err(e) => println!("\nory-kratos-client 26.2.0 cannot decode this login flow: {e}"),
            }
            compare(&format!("Login flow: {what}"), 60, 300, &mut candidates);
        }
    }

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
        Candidate::new("kratos-client: decode_response (the send() path)", || {
            keep(UpdateRegistrationFlow::decode_response(StatusCode::OK, &headers, &done).unwrap())
        }),
        Candidate::new("kratos-client: serde_json::from_slice", || {
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
