//! Decoding real and realistic Kratos answers into the generated models, and
//! re-encoding them without losing anything the document knows.

mod common;

use std::collections::BTreeSet;

use common::{compare_round_trip, fixture, shared_kratos};
use kratos_client::models::{RegistrationFlow, UiNode, UiNodeAttributes};
use serde_json::Value;

fn decode_flow(name: &str) -> (Value, RegistrationFlow) {
    let text = fixture(name);
    let flow: RegistrationFlow =
        serde_json::from_str(&text).expect("decodes as a registration flow");
    (serde_json::from_str(&text).unwrap(), flow)
}

#[test]
fn a_realistic_flow_decodes_into_typed_values() {
    let (_, flow) = decode_flow("registration_flow.json");
    assert_eq!(flow.id.to_string(), "4c1b0a3e-8f5d-4b7e-9a61-2d3c4e5f6a7b");
    assert_eq!(flow.r#type, "api");
    assert_eq!(flow.return_to.as_deref(), Some("myapp://done"));
    assert_eq!(flow.organization_id, None);
    assert_eq!(flow.state, Value::from("choose_method"));
    assert_eq!(
        flow.session_token_exchange_code.as_deref(),
        Some("xq8N2vLk0pR4tY6wZ1aB3cD5eF7gH9iJ")
    );
    assert_eq!(flow.ui.method, "POST");
    assert_eq!(flow.ui.nodes.len(), 26);
    assert_eq!(flow.ui.messages.as_ref().map(|m| m[0].id), Some(1040009));

    let password = flow
        .ui
        .nodes
        .iter()
        .find_map(|n| match &n.attributes {
            UiNodeAttributes::Input(a) if a.name == "password" => Some((n, a)),
            _ => None,
        })
        .expect("a password input");
    let (node, attrs) = password;
    assert_eq!(node.group.as_str(), "password");
    assert_eq!(attrs.r#type.as_str(), "password");
    assert_eq!(attrs.required, Some(true));
    assert!(!attrs.disabled);
    assert_eq!(
        attrs.autocomplete.as_ref().map(|a| a.as_str()),
        Some("new-password")
    );
    assert_eq!(
        node.meta.label.as_ref().map(|l| l.text.as_str()),
        Some("Password")
    );

    let newsletter = flow.ui.nodes.iter().find_map(|n| match &n.attributes {
        UiNodeAttributes::Input(a) if a.name == "traits.newsletter" => Some(a),
        _ => None,
    });
    assert_eq!(
        newsletter.and_then(|a| a.value.clone()),
        Some(Value::Bool(false))
    );
}

/// Every kind of node decodes into its own variant, with its own attributes.
/// Needs our document: the v1.3.1 one has no division attributes.
#[cfg(kratos_bundled_spec)]
#[test]
fn all_six_node_kinds_decode_into_their_variants() {
    let (_, flow) = decode_flow("registration_flow.json");
    let mut kinds = BTreeSet::new();
    for node in &flow.ui.nodes {
        assert_eq!(
            node.r#type.as_str(),
            node.attributes.node_type(),
            "type mirrors node_type"
        );
        match &node.attributes {
            UiNodeAttributes::Input(a) => {
                assert!(!a.name.is_empty());
                kinds.insert("input");
            }
            UiNodeAttributes::Text(a) => {
                assert_eq!(a.id, "terms");
                assert_eq!(
                    a.text.text,
                    "By signing up you accept the terms of service."
                );
                kinds.insert("text");
            }
            UiNodeAttributes::Image(a) => {
                assert_eq!((a.width, a.height), (256, 256));
                assert!(a.src.starts_with("data:image/png;base64,"));
                kinds.insert("img");
            }
            UiNodeAttributes::Anchor(a) => {
                assert_eq!(a.href, "https://example.com/terms");
                assert_eq!(a.title.text, "Read the terms");
                kinds.insert("a");
            }
            UiNodeAttributes::Script(a) => {
                assert!(a.r#async);
                assert_eq!(a.id, "webauthn_script");
                assert_eq!(
                    a.src,
                    "https://auth.example.com/.well-known/ory/webauthn.js"
                );
                kinds.insert("script");
            }
            UiNodeAttributes::Division(a) => {
                assert_eq!(a.class.as_deref(), Some("captcha-box"));
                let data = a.data.as_ref().expect("data");
                assert_eq!(
                    data.get("sitekey").map(String::as_str),
                    Some("0x4AAAAexample")
                );
                kinds.insert("div");
            }
            other => panic!("unexpected node attributes {other:?}"),
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["input", "text", "img", "a", "script", "div"])
    );
}

#[test]
fn re_encoding_a_flow_keeps_every_value() {
    let (input, flow) = decode_flow("registration_flow.json");
    let output = serde_json::to_value(&flow).unwrap();
    let dropped = compare_round_trip(&input, &output);
    assert!(
        dropped.is_empty(),
        "fields lost in a round trip: {dropped:?}"
    );
    // And it decodes again to the same value.
    let again: RegistrationFlow = serde_json::from_value(output).unwrap();
    assert_eq!(again, flow);
}

#[test]
fn a_newer_servers_flow_still_decodes_and_keeps_unknown_values() {
    let (input, flow) = decode_flow("registration_flow_newer_server.json");
    assert_eq!(
        flow.active.as_ref().map(|a| a.as_str()),
        Some("deviceauthn")
    );
    assert_eq!(flow.return_to, None);
    assert_eq!(flow.ui.messages, None);
    let [email, device, scanner, _password] = flow.ui.nodes.as_slice() else {
        panic!("expected four nodes, got {}", flow.ui.nodes.len())
    };
    // `messages: null` on a node reads as no messages; `label: null` as no label.
    assert!(email.messages.is_empty());
    assert_eq!(email.meta.label, None);
    let UiNodeAttributes::Input(email_attrs) = &email.attributes else {
        panic!()
    };
    assert_eq!(
        email_attrs.autocomplete.as_ref().map(|a| a.as_str()),
        Some("username")
    );
    assert_eq!(email_attrs.maxlength, None);

    assert_eq!(device.group.as_str(), "deviceauthn");
    assert_eq!(device.messages[0].r#type.as_str(), "warning");
    let UiNodeAttributes::Input(device_attrs) = &device.attributes else {
        panic!()
    };
    assert_eq!(device_attrs.r#type.as_str(), "hidden-json");
    assert_eq!(
        device_attrs.onclick_trigger.as_ref().map(|t| t.as_str()),
        Some("oryDeviceAuthnRegistration")
    );

    assert_eq!(scanner.r#type.as_str(), "qr_scanner");
    let UiNodeAttributes::Unknown(raw) = &scanner.attributes else {
        panic!(
            "an unknown node_type should be kept whole: {:?}",
            scanner.attributes
        )
    };
    assert_eq!(raw.get("fps"), Some(&Value::from(30)));
    assert_eq!(scanner.attributes.node_type(), "qr_scanner");

    // Unknown values come back as the same strings; only unknown fields are dropped.
    let output = serde_json::to_value(&flow).unwrap();
    let dropped = compare_round_trip(&input, &output);
    let expected: BTreeSet<String> = [
        "/brand_new_top_level_field",
        "/refresh",
        "/ui/layout",
        "/ui/nodes/0/attributes/options",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(dropped, expected);
}

#[test]
fn the_exchange_code_stays_out_of_debug_output() {
    let (_, flow) = decode_flow("registration_flow.json");
    let debug = format!("{flow:?}");
    assert!(
        !debug.contains("xq8N2vLk0pR4tY6wZ1aB3cD5eF7gH9iJ"),
        "{debug}"
    );
    assert!(debug.contains("session_token_exchange_code: Some(<redacted>)"));
}

/// Every node list Kratos's own test snapshots hold for registration decodes,
/// and re-encodes without losing or changing a value.
#[test]
fn upstream_registration_node_lists_decode_and_round_trip() {
    let Some(shared) = shared_kratos("upstream_registration_node_lists_decode_and_round_trip")
    else {
        return;
    };
    let dir = shared.join("fixtures/registration-nodes");
    let mut files = 0;
    let mut nodes_seen = 0;
    let mut kinds = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let nodes: Vec<UiNode> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let input: Value = serde_json::from_str(&text).unwrap();
        let output = serde_json::to_value(&nodes).unwrap();
        let dropped = compare_round_trip(&input, &output);
        assert!(
            dropped.is_empty(),
            "{}: fields lost: {dropped:?}",
            path.display()
        );
        for node in &nodes {
            assert!(
                !matches!(node.attributes, UiNodeAttributes::Unknown(_)),
                "{}: a known node kind fell back to Unknown: {node:?}",
                path.display()
            );
            kinds.insert(node.attributes.node_type().to_string());
        }
        files += 1;
        nodes_seen += nodes.len();
    }
    assert!(
        files >= 50,
        "expected the upstream fixtures, found {files} files"
    );
    assert!(
        kinds.contains("input") && kinds.contains("script"),
        "{kinds:?}"
    );
    assert!(nodes_seen > 200, "only {nodes_seen} nodes");
}
