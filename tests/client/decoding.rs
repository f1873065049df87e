//! Decoding real and realistic Kratos answers into the generated models, and
//! re-encoding them without losing anything the document knows.

use std::collections::BTreeSet;

use crate::common::{compare_round_trip, fixture, shared_kratos};
use kratos_client::models::{
    ErrorGeneric, Identity, LoginFlow, RecoveryFlow, RegistrationFlow, UiNode, UiNodeAttributes,
};
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

/// The values Kratos's snapshot tooling strips from its test snapshots
/// because they change per run (see `fixtures/INDEX.md`). Kratos always
/// sends them: none of these Go struct fields is `omitempty`. Each one filled
/// in is counted by what it is, so that the tests can check nothing else was
/// missing.
fn fill_stripped(value: &mut Value, filled: &mut BTreeSet<&'static str>) {
    let mut fill = |object: &mut serde_json::Map<String, Value>,
                    key: &str,
                    what: &'static str,
                    with: Value| {
        if !object.contains_key(key) {
            object.insert(key.to_string(), with);
            filled.insert(what);
        }
    };
    match value {
        Value::Object(object) => {
            match object.get("node_type").and_then(Value::as_str) {
                Some("script") => {
                    fill(
                        object,
                        "src",
                        "script src",
                        Value::from("https://kratos.example/s.js"),
                    );
                    fill(object, "nonce", "script nonce", Value::from("n"));
                    fill(object, "id", "script id", Value::from("webauthn_script"));
                }
                Some("img") => fill(
                    object,
                    "src",
                    "image src",
                    Value::from("data:image/png;base64,"),
                ),
                _ => {}
            }
            // A text (uiText): a message, a label, a title.
            let is_text = matches!(
                object.get("type").and_then(Value::as_str),
                Some("info" | "error" | "success" | "warning")
            );
            if is_text {
                fill(object, "id", "text id", Value::from(0));
                fill(object, "text", "text text", Value::from(""));
            }
            if object.contains_key("nodes") {
                fill(
                    object,
                    "action",
                    "ui action",
                    Value::from("https://kratos.example/x"),
                );
            }
            object.values_mut().for_each(|v| fill_stripped(v, filled));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_stripped(v, filled)),
        _ => {}
    }
}

/// The JSON of every fixture in `dir` (a folder of `../shared/kratos/fixtures`).
fn upstream_fixtures(shared: &std::path::Path, dir: &str) -> Vec<(std::path::PathBuf, Value)> {
    let dir = shared.join("fixtures").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, value)
        })
        .collect()
}

/// Every node list in Kratos's own test snapshots (registration, login,
/// settings, recovery, verification) decodes with every field our document
/// requires, and re-encodes without losing or changing a value.
#[test]
fn upstream_node_lists_decode_and_round_trip() {
    let Some(shared) = shared_kratos("upstream_node_lists_decode_and_round_trip") else {
        return;
    };
    let mut filled = BTreeSet::new();
    let mut files = 0;
    let mut nodes_seen = 0;
    let mut kinds = BTreeSet::new();
    for dir in [
        "registration-nodes",
        "login-nodes",
        "settings-nodes",
        "recovery-nodes",
        "verification-nodes",
    ] {
        for (path, mut input) in upstream_fixtures(&shared, dir) {
            fill_stripped(&mut input, &mut filled);
            let nodes: Vec<UiNode> = serde_json::from_value(input.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
    }
    assert!(
        files >= 140,
        "expected the upstream fixtures, found {files} files"
    );
    assert!(
        kinds.contains("input") && kinds.contains("script") && kinds.contains("img"),
        "{kinds:?}"
    );
    assert!(nodes_seen > 500, "only {nodes_seen} nodes");
    // Only what INDEX.md says the snapshots strip was missing.
    let stripped = BTreeSet::from([
        "script src",
        "script nonce",
        "script id",
        "image src",
        "text id",
        "text text",
    ]);
    assert!(
        filled.is_subset(&stripped),
        "filled in more than was stripped: {filled:?}"
    );
}

/// The forms of the login and recovery flows in Kratos's snapshots, the
/// identities of its admin API tests and its error bodies decode strictly.
#[test]
fn upstream_flows_identities_and_errors_decode() {
    let Some(shared) = shared_kratos("upstream_flows_identities_and_errors_decode") else {
        return;
    };
    let mut filled = BTreeSet::new();
    // The flow-level values the snapshots strip per run (INDEX.md).
    let fill_flow = |flow: &mut Value| {
        for (key, value) in [
            ("id", "4c1b0a3e-8f5d-4b7e-9a61-2d3c4e5f6a7b"),
            ("expires_at", "2026-11-24T19:00:00Z"),
            ("issued_at", "2026-11-24T18:00:00Z"),
            (
                "request_url",
                "https://kratos.example/self-service/login/api",
            ),
        ] {
            if flow.get(key).is_none() {
                flow[key] = Value::from(value);
            }
        }
    };
    for (path, mut flow) in upstream_fixtures(&shared, "login-flows") {
        fill_stripped(&mut flow, &mut filled);
        fill_flow(&mut flow);
        let body = flow.to_string();
        let login: LoginFlow =
            serde_json::from_value(flow).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!login.ui.method.is_empty(), "{}", path.display());
        assert!(login.state_name().is_some(), "{}", path.display());
        // Sent back with a 400 (the code method after sending its code, a
        // social sign-in that needs a login instead), these flows carry
        // information only: the next step, not a refusal.
        let answer = kratos_client::operations::UpdateLoginFlow::decode_response(
            kratos_client::StatusCode::BAD_REQUEST,
            &kratos_client::HeaderMap::new(),
            body.as_bytes(),
        );
        let next = answer.expect_err("a 400 is an error value");
        assert!(!login.has_errors(), "{}", path.display());
        assert_eq!(next.next_step(), Some(&login), "{}", path.display());
    }
    for (path, mut flow) in upstream_fixtures(&shared, "recovery-flows") {
        fill_stripped(&mut flow, &mut filled);
        fill_flow(&mut flow);
        let body = flow.to_string();
        let recovery: RecoveryFlow =
            serde_json::from_value(flow).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!recovery.ui.nodes.is_empty(), "{}", path.display());
        // These carry Kratos's error 4000001: a refusal, not a next step.
        let refused = kratos_client::operations::UpdateRecoveryFlow::decode_response(
            kratos_client::StatusCode::BAD_REQUEST,
            &kratos_client::HeaderMap::new(),
            body.as_bytes(),
        )
        .expect_err("a 400 is an error value");
        assert!(recovery.has_errors(), "{}", path.display());
        assert!(refused.next_step().is_none(), "{}", path.display());
        assert!(refused.into_next_step().is_err());
    }
    let stripped = BTreeSet::from([
        "ui action",
        "script src",
        "script nonce",
        "script id",
        "text id",
        "text text",
    ]);
    assert!(
        filled.is_subset(&stripped),
        "filled in more than was stripped: {filled:?}"
    );

    let mut null_traits = 0;
    for (path, mut identity) in upstream_fixtures(&shared, "identities") {
        // Ids and the schema URL (it holds the test server's port) are stripped per run.
        identity["id"] = Value::from("9f425a8d-7efc-4768-8f23-7647a74fdf13");
        identity["schema_url"] = Value::from("https://kratos.example/schemas/ZGVmYXVsdA");
        let decoded: Identity = serde_json::from_value(identity.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(decoded.schema_id, identity["schema_id"].as_str().unwrap());
        null_traits += usize::from(identity["traits"].is_null());
    }
    assert!(
        null_traits > 0,
        "some identities have `traits: null`, which reads as null"
    );
    for (path, body) in upstream_fixtures(&shared, "errors") {
        let decoded: ErrorGeneric =
            serde_json::from_value(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(decoded.error.code, Some(400), "{}", path.display());
    }
}

/// A 200 whose body lacks a field our document requires is `Error::Decode`
/// with the status, never a value with empty strings: an app that takes
/// `Ok` from whoami as "signed in" must not be fooled by a captive portal's
/// `{}` or an error object sent with 200.
#[tokio::test]
async fn bodies_without_a_required_field_are_decode_errors() {
    use kratos_client::{Error, FrontendApi, OperationError};

    /// The decoder's message of a decode error with status 200.
    fn decode_message<T: std::fmt::Debug, E: OperationError>(
        what: &str,
        result: Result<T, Error<E>>,
    ) -> String {
        match result {
            Err(Error::Decode { status, source, .. }) => {
                assert_eq!(status, 200, "{what}");
                source.to_string()
            }
            other => panic!("{what}: expected a decode error, got {other:?}"),
        }
    }

    let error_object = r#"{"error": {"code": 401, "status": "Unauthorized", "message": "No valid session credentials found in the request."}}"#;
    let flow: Value = serde_json::from_str(&fixture("registration_flow.json")).unwrap();
    let flow_without = |key: &str| {
        let mut flow = flow.clone();
        flow.as_object_mut().unwrap().remove(key);
        flow.to_string()
    };
    let cases = [
        (
            "whoami, empty object",
            "/sessions/whoami",
            "{}".to_string(),
            "id",
        ),
        (
            "whoami, error object",
            "/sessions/whoami",
            error_object.to_string(),
            "id",
        ),
        (
            "whoami, session without id",
            "/sessions/whoami",
            r#"{"active": true, "identity": null}"#.to_string(),
            "id",
        ),
        (
            "exchange, empty session",
            "/sessions/token-exchange",
            r#"{"session": {}}"#.to_string(),
            "id",
        ),
        (
            "flow without id",
            "/self-service/registration/flows",
            flow_without("id"),
            "id",
        ),
        (
            "flow without ui",
            "/self-service/registration/flows",
            flow_without("ui"),
            "ui",
        ),
    ];
    for (what, route, body, missing) in cases {
        let server = crate::common::server_answering(route, 200, "application/json", &body).await;
        let api = FrontendApi::new(server.uri()).unwrap();
        let message = match route {
            "/sessions/whoami" => decode_message(what, api.to_session().send().await),
            "/sessions/token-exchange" => {
                decode_message(what, api.exchange_session_token("i", "r").send().await)
            }
            _ => decode_message(what, api.get_registration_flow("f").send().await),
        };
        assert!(
            message.starts_with(&format!("missing field `{missing}`")),
            "{what}: {message}"
        );
    }

    // `null` where a required string or list belongs still reads as empty.
    let nulls = flow_without("__").replace(
        r#""request_url":"#,
        r#""request_url":null,"was_request_url":"#,
    );
    let server = crate::common::server_answering(
        "/self-service/registration/flows",
        200,
        "application/json",
        &nulls,
    )
    .await;
    let decoded = FrontendApi::new(server.uri())
        .unwrap()
        .get_registration_flow("f")
        .send()
        .await
        .unwrap();
    assert_eq!(decoded.request_url, "");
}

/// One function, three operations, one error type: each operation's
/// `Error<E>` turns into `AnyError` with `?`, keeping what a caller acts on
/// and the way back to the operation's own enum.
#[test]
fn any_error_keeps_what_each_operations_error_says() {
    use kratos_client::operations::{
        CreateNativeRegistrationFlow, ToSession, UpdateRegistrationFlow,
    };
    use kratos_client::{
        AnyError, CreateNativeRegistrationFlowError, Error, ErrorId, HeaderMap, StatusCode,
        UpdateRegistrationFlowError,
    };

    /// Reads three answers in a row, as an app's function would call three
    /// operations; the first failure ends it.
    fn journey(
        start: (u16, &str),
        whoami: (u16, &str),
        submit: (u16, &str),
    ) -> Result<(), AnyError> {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        let status = |code: u16| StatusCode::from_u16(code).unwrap();
        CreateNativeRegistrationFlow::decode_response(
            status(start.0),
            &headers,
            start.1.as_bytes(),
        )?;
        ToSession::decode_response(status(whoami.0), &headers, whoami.1.as_bytes())?;
        UpdateRegistrationFlow::decode_response(status(submit.0), &headers, submit.1.as_bytes())?;
        Ok(())
    }
    let flow = fixture("registration_flow.json");
    let session = fixture("session.json");
    let signed_in = fixture("error_session_already_available.json");
    let slow_down = fixture("error_rate_limited.json");

    let refused = journey((400, &signed_in), (200, &session), (200, "{}")).unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(refused.error_id(), Some(ErrorId::SessionAlreadyAvailable));
    let api = refused.api().expect("a documented answer");
    assert!(matches!(
        api.downcast_ref::<CreateNativeRegistrationFlowError>(),
        Some(CreateNativeRegistrationFlowError::BadRequest(_))
    ));
    assert!(api.downcast_ref::<UpdateRegistrationFlowError>().is_none());
    assert!(
        refused.to_string().starts_with("Kratos answered HTTP 400"),
        "{refused}"
    );

    let waiting = journey((200, &flow), (429, &slow_down), (200, "{}")).unwrap_err();
    assert!(matches!(waiting, Error::RetryLater { .. }), "{waiting:?}");
    assert_eq!(
        waiting.retry_after(),
        Some(std::time::Duration::from_secs(7))
    );

    let form = journey((200, &flow), (200, &session), (400, &flow)).unwrap_err();
    let sent: kratos_client::models::RegistrationFlow = serde_json::from_str(&flow).unwrap();
    assert_eq!(form.form(), Some(&sent.ui));
    assert_eq!(form.flow_id(), Some(sent.id.as_str()));
    let Error::Api(api) = form else {
        panic!("a documented answer");
    };
    let back = api
        .downcast::<UpdateRegistrationFlowError>()
        .expect("this operation's enum");
    assert_eq!(back, UpdateRegistrationFlowError::BadRequest(sent));
}
