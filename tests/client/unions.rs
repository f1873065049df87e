//! The discriminated unions (`method` on registration bodies, `action` on
//! `continue_with` items, `node_type` on ui node attributes) write their
//! discriminator exactly once and decode what they wrote.
//!
//! The counts are taken on the serialized text, not on a parsed
//! `serde_json::Value`: parsing would silently merge a duplicated key, which
//! is the bug these tests are here to catch.
//!
//! Built only from our document: the upstream v1.3.1 one has no `saml` method.
#![cfg(kratos_bundled_spec)]

use crate::common::fixture;
use kratos_client::models::{
    ContinueWith, ContinueWithRecoveryUi, ContinueWithRecoveryUiFlow,
    ContinueWithRedirectBrowserTo, ContinueWithSetOrySessionToken, ContinueWithSettingsUi,
    ContinueWithSettingsUiFlow, ContinueWithVerificationUi, ContinueWithVerificationUiFlow,
    RegistrationFlow, UpdateRegistrationFlowBody, UpdateRegistrationFlowWithCodeMethod,
    UpdateRegistrationFlowWithOidcMethod, UpdateRegistrationFlowWithPasskeyMethod,
    UpdateRegistrationFlowWithPasswordMethod, UpdateRegistrationFlowWithProfileMethod,
    UpdateRegistrationFlowWithSamlMethod, UpdateRegistrationFlowWithWebAuthnMethod,
};
use serde_json::{json, Map, Value};

/// How many times `"key":` occurs as an object key in compact JSON text.
fn key_count(json: &str, key: &str) -> usize {
    json.matches(&format!("\"{key}\":")).count()
}

fn traits() -> Map<String, Value> {
    let mut traits = Map::new();
    traits.insert("email".into(), json!("ada@example.com"));
    traits.insert("name".into(), json!({"first": "Ada", "last": "Lovelace"}));
    traits
}

/// One body of every registration method, with its optional fields set too.
fn every_registration_body() -> Vec<(&'static str, UpdateRegistrationFlowBody)> {
    let mut password =
        UpdateRegistrationFlowWithPasswordMethod::new("correct horse battery", traits());
    password.transient_payload = Some(Map::from_iter([("campaign".to_string(), json!("autumn"))]));

    let mut profile = UpdateRegistrationFlowWithProfileMethod::new(traits());
    profile.screen = Some("credential-selection".into());

    let mut code = UpdateRegistrationFlowWithCodeMethod::new(traits());
    code.code = Some("482913".into());

    let mut oidc = UpdateRegistrationFlowWithOidcMethod::new("google");
    oidc.traits = Some(traits());
    oidc.upstream_parameters = Some(Map::from_iter([(
        "login_hint".to_string(),
        json!("ada@example.com"),
    )]));

    let mut passkey = UpdateRegistrationFlowWithPasskeyMethod::new(traits());
    passkey.passkey_register = Some("{\"id\":\"credential\"}".into());

    let mut webauthn = UpdateRegistrationFlowWithWebAuthnMethod::new(traits());
    webauthn.webauthn_register_displayname = Some("Ada's key".into());

    let mut saml = UpdateRegistrationFlowWithSamlMethod::new("okta");
    saml.traits = Some(traits());

    vec![
        ("password", password.into()),
        ("profile", profile.into()),
        ("code", code.into()),
        ("oidc", oidc.into()),
        ("passkey", passkey.into()),
        ("webauthn", webauthn.into()),
        ("saml", saml.into()),
    ]
}

#[test]
fn every_registration_body_writes_method_once_and_decodes_back() {
    let bodies = every_registration_body();
    assert_eq!(
        bodies.len(),
        7,
        "password, profile, code, oidc, passkey, webauthn, saml"
    );
    for (method, body) in bodies {
        assert_eq!(body.method(), method);
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(key_count(&text, "method"), 1, "{method}: {text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["method"], method, "{text}");

        let back: UpdateRegistrationFlowBody = serde_json::from_str(&text).unwrap();
        assert_eq!(back, body, "{method} did not decode to what was written");
        assert!(
            !matches!(back, UpdateRegistrationFlowBody::Unknown(_)),
            "{method} decoded as Unknown"
        );
    }
}

#[test]
fn traits_are_free_form_json() {
    let (_, body) = every_registration_body().remove(0);
    let value = serde_json::to_value(&body).unwrap();
    assert_eq!(value["traits"]["name"]["last"], "Lovelace");
}

#[test]
fn a_registration_body_with_a_newer_method_is_kept_as_sent() {
    let text = r#"{"method":"magic_link","traits":{"email":"ada@example.com"},"token":"x"}"#;
    let body: UpdateRegistrationFlowBody = serde_json::from_str(text).unwrap();
    assert_eq!(body.method(), "magic_link");
    assert!(matches!(body, UpdateRegistrationFlowBody::Unknown(_)));
    let again = serde_json::to_string(&body).unwrap();
    assert_eq!(key_count(&again, "method"), 1);
    assert_eq!(
        serde_json::from_str::<Value>(&again).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn objects_without_a_method_are_kept_and_non_objects_are_errors() {
    // Lenient on purpose, like every union here: a server's object that lacks
    // its tag is kept whole rather than failing the answer around it.
    let body: UpdateRegistrationFlowBody = serde_json::from_str(r#"{"traits":{}}"#).unwrap();
    assert!(matches!(&body, UpdateRegistrationFlowBody::Unknown(o) if o.contains_key("traits")));
    assert_eq!(body.method(), "");
    for text in ["[]", "7", "\"password\"", "null"] {
        assert!(
            serde_json::from_str::<UpdateRegistrationFlowBody>(text).is_err(),
            "{text} is not a body"
        );
    }
}

#[test]
fn every_continue_with_item_writes_action_once_and_decodes_back() {
    let mut verification = ContinueWithVerificationUiFlow::new("e1d3b5a7", "ada@example.com");
    verification.url = Some("https://auth.example.com/verification?flow=e1d3b5a7".into());
    let mut settings = ContinueWithSettingsUiFlow::new("7c9e1b3d");
    settings.url = Some("https://auth.example.com/settings?flow=7c9e1b3d".into());
    let items: Vec<(&str, ContinueWith)> = vec![
        (
            "show_verification_ui",
            ContinueWithVerificationUi::new(verification).into(),
        ),
        (
            "set_ory_session_token",
            ContinueWithSetOrySessionToken::new("ory_st_x").into(),
        ),
        (
            "show_settings_ui",
            ContinueWithSettingsUi::new(settings).into(),
        ),
        (
            "show_recovery_ui",
            ContinueWithRecoveryUi::new(ContinueWithRecoveryUiFlow::new("2b4d6f8a")).into(),
        ),
        (
            "redirect_browser_to",
            ContinueWithRedirectBrowserTo::new("https://app.example.com/welcome").into(),
        ),
    ];
    for (action, item) in items {
        assert_eq!(item.action(), action);
        let text = serde_json::to_string(&item).unwrap();
        assert_eq!(key_count(&text, "action"), 1, "{action}: {text}");
        let back: ContinueWith = serde_json::from_str(&text).unwrap();
        assert_eq!(back, item, "{action}");
        assert!(!matches!(back, ContinueWith::Unknown(_)), "{action}");
    }
}

#[test]
fn continue_with_items_from_a_newer_server_are_kept() {
    let text = r#"{"action":"show_passkey_enrollment_ui","flow":{"id":"3a5c"}}"#;
    let item: ContinueWith = serde_json::from_str(text).unwrap();
    assert_eq!(item.action(), "show_passkey_enrollment_ui");
    let ContinueWith::Unknown(object) = &item else {
        panic!("{item:?}")
    };
    assert_eq!(object["flow"]["id"], "3a5c");
    assert_eq!(
        key_count(&serde_json::to_string(&item).unwrap(), "action"),
        1
    );
}

#[test]
fn ui_node_attributes_write_node_type_once_and_decode_back() {
    let flow: RegistrationFlow = serde_json::from_str(&fixture("registration_flow.json")).unwrap();
    let mut kinds = Vec::new();
    for node in &flow.ui.nodes {
        let text = serde_json::to_string(&node.attributes).unwrap();
        assert_eq!(key_count(&text, "node_type"), 1, "{text}");
        let back = serde_json::from_str(&text).unwrap();
        assert_eq!(node.attributes, back, "{text}");
        kinds.push(node.attributes.node_type().to_string());
    }
    kinds.sort();
    kinds.dedup();
    assert!(
        kinds.len() >= 6,
        "the fixture covers every kind of node: {kinds:?}"
    );
}
