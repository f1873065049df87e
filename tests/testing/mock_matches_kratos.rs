//! `MockKratos` answers in the shapes real Kratos uses: its form nodes and
//! messages are compared with the node lists from Kratos's own test
//! snapshots in `../shared/kratos/fixtures` (skipped when that is absent).
//! Whole forms, step by step, are compared with a running Kratos v26.2.0
//! in `tests/journeys/` (and with its recorded answers where none runs).
//!
//! Compared: each node's keys, `type` and `group`; its attributes' keys and
//! values (except per-run `value`s such as the provider id); its label's id,
//! type, text and context keys. The mock's trait fields come from its own
//! identity schema, so for those only the kinds of keys are compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::shared_kratos;
use kratos_client::models::RegistrationFlow;
use kratos_client::testing::MockKratos;
use serde_json::{json, Value};

/// Every node of every upstream registration node list.
fn upstream_nodes(kratos: &Path) -> Vec<Value> {
    let dir = kratos.join("fixtures/registration-nodes");
    let mut nodes = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        nodes.extend(list);
    }
    assert!(!nodes.is_empty(), "no upstream nodes in {}", dir.display());
    nodes
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// What identifies a node: group, input name and input type.
fn node_key(node: &Value) -> (String, String, String) {
    let a = &node["attributes"];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (s(&node["group"]), s(&a["name"]), s(&a["type"]))
}

/// A bare reqwest client, to see the mock's bytes as they are. Building
/// ours first installs the TLS crypto provider reqwest's rustls needs under
/// the default rustls-ring feature.
fn raw_client(kratos: &MockKratos) -> reqwest::Client {
    let _ = kratos.client();
    reqwest::Client::new()
}

/// The JSON the mock answers `GET path` with, as sent.
async fn raw_get(kratos: &MockKratos, path: &str) -> Value {
    let body = raw_client(kratos)
        .get(format!("{}{path}", kratos.uri()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// The raw JSON of a fresh flow from the mock, and of the same flow after a
/// submission with a too-short password.
async fn mock_flows() -> (Value, Value) {
    let kratos = MockKratos::builder()
        .oidc_providers(["google"])
        .start()
        .await;
    let fresh = raw_get(&kratos, "/self-service/registration/api").await;
    let id = fresh["id"].as_str().unwrap();
    let rejected = raw_client(&kratos)
        .post(format!("{}/self-service/registration?flow={id}", kratos.uri()))
        .header("content-type", "application/json")
        .body(json!({"method": "password", "password": "short", "traits": {"email": "ada@example.com"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status().as_u16(), 400);
    let rejected: Value = serde_json::from_slice(&rejected.bytes().await.unwrap()).unwrap();
    // Both decode with our own models.
    for flow in [&fresh, &rejected] {
        serde_json::from_value::<RegistrationFlow>(flow.clone()).expect("decodes as a flow");
    }
    (fresh, rejected)
}

#[tokio::test]
async fn mock_form_nodes_have_the_shape_of_kratos_nodes() {
    let Some(kratos) = shared_kratos("mock_form_nodes_have_the_shape_of_kratos_nodes") else {
        return;
    };
    let upstream = upstream_nodes(&kratos);
    let mut by_key: BTreeMap<_, Vec<&Value>> = BTreeMap::new();
    for node in &upstream {
        by_key.entry(node_key(node)).or_default().push(node);
    }
    let input_attribute_keys: BTreeSet<String> = upstream
        .iter()
        .filter(|n| n["type"] == "input")
        .flat_map(|n| keys(&n["attributes"]))
        .collect();

    let (fresh, _) = mock_flows().await;
    let nodes = fresh["ui"]["nodes"].as_array().unwrap();
    let mut compared = BTreeSet::new();
    for node in nodes {
        let (group, name, kind) = node_key(node);
        if name.starts_with("traits.") {
            // Fields of the mock's own schema: same kinds of keys as Kratos's.
            assert_eq!(node["type"], "input");
            assert_eq!(group, "default");
            let extra: Vec<_> = keys(&node["attributes"])
                .difference(&input_attribute_keys)
                .cloned()
                .collect();
            assert!(
                extra.is_empty(),
                "{name}: attributes Kratos never sends: {extra:?}"
            );
            continue;
        }
        let twins = by_key
            .get(&(group.clone(), name.clone(), kind.clone()))
            .unwrap_or_else(|| panic!("no upstream node like {group}/{name}/{kind}"));
        let per_run_value = name == "csrf_token" || name == "provider";
        let matches = |real: &&&Value| -> Result<(), String> {
            if keys(node) != keys(real) {
                return Err(format!("node keys {:?} vs {:?}", keys(node), keys(real)));
            }
            let (mine, theirs) = (&node["attributes"], &real["attributes"]);
            let strip = |v: &Value| {
                let mut v = v.as_object().unwrap().clone();
                if per_run_value {
                    v.remove("value");
                }
                v
            };
            if strip(mine) != strip(theirs) {
                return Err(format!("attributes {mine} vs {theirs}"));
            }
            let (ml, tl) = (&node["meta"]["label"], &real["meta"]["label"]);
            if ml["id"] != tl["id"] || ml["type"] != tl["type"] || keys(ml) != keys(tl) {
                return Err(format!("label {ml} vs {tl}"));
            }
            if keys(&ml["context"]) != keys(&tl["context"]) {
                return Err(format!("label context {ml} vs {tl}"));
            }
            if name == "provider" {
                let expected = format!("Sign up with {}", mine["value"].as_str().unwrap());
                if ml["text"] != json!(expected) {
                    return Err(format!("provider label {ml}"));
                }
            } else if ml["text"] != tl["text"] {
                return Err(format!("label text {ml} vs {tl}"));
            }
            Ok(())
        };
        let results: Vec<_> = twins.iter().map(|t| matches(&t)).collect();
        assert!(
            results.iter().any(Result::is_ok),
            "{group}/{name}: no upstream node of the same shape: {results:?}"
        );
        compared.insert(name);
    }
    let expected: BTreeSet<String> = ["csrf_token", "password", "method", "provider"]
        .map(String::from)
        .into();
    assert_eq!(compared, expected, "every non-trait node was compared");
}

#[tokio::test]
async fn mock_messages_and_flows_have_the_shape_of_kratos_ones() {
    let Some(kratos) = shared_kratos("mock_messages_and_flows_have_the_shape_of_kratos_ones")
    else {
        return;
    };
    // Kratos's messages, as in the flows of its snapshots.
    let dir = kratos.join("fixtures/login-flows");
    let mut message_keys = BTreeSet::new();
    let mut flow_keys: Option<BTreeSet<String>> = None;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let flow: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for m in flow["ui"]["messages"].as_array().into_iter().flatten() {
            message_keys.insert(keys(m));
        }
        let k = keys(&flow);
        flow_keys = Some(match flow_keys {
            None => k,
            Some(seen) => seen.intersection(&k).cloned().collect(),
        });
    }
    assert!(!message_keys.is_empty(), "the snapshots have messages");

    let (fresh, rejected) = mock_flows().await;
    let messages = rejected["ui"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["messages"].as_array().unwrap().iter());
    let mut seen = 0;
    for m in messages {
        assert!(
            message_keys.contains(&keys(m)),
            "message keys {:?} vs Kratos's {message_keys:?}",
            keys(m)
        );
        assert!(
            m["id"].is_u64() && m["text"].is_string() && m["type"] == "error",
            "{m}"
        );
        seen += 1;
    }
    assert_eq!(seen, 1, "one message: the password is too short");

    // Flow-level keys that login and registration flows share in the snapshots
    // (the snapshots strip ids, timestamps and URLs, so those are not among them).
    let shared = flow_keys.unwrap();
    for key in ["organization_id", "type", "ui", "state"] {
        assert!(shared.contains(key), "the snapshots' flows have {key}");
        assert!(fresh.get(key).is_some(), "the mock's flow lacks {key}");
    }
    assert_eq!(fresh["type"], "api");
    assert_eq!(
        keys(&fresh["ui"])
            .difference(&keys(
                &json!({"action":0,"method":0,"nodes":0,"messages":0})
            ))
            .count(),
        0
    );
}
