//! Receiving Kratos's web hooks: the contexts a real Kratos v26.2.0 sent
//! (captured from its registration hooks, before and after the identity
//! exists) decoded into the crate's models; the caller checked as Kratos
//! is configured to authenticate; and an axum router answering with the
//! shapes Kratos parses.

use axum::routing::post;
use axum::Router;
use kratos_client::hooks::axum::{KratosHook, KratosPasswordMigration};
use kratos_client::hooks::{
    FlowKind, HookAnswer, HookCaller, HookContext, HookFlow, HookRejection, IdentityChange,
    Interrupt, PasswordMigration,
};
use kratos_client::HeaderMap;
use serde_json::{json, Value};

use crate::common::fixture;

#[test]
fn a_real_kratos_s_registration_contexts_decode() {
    let before = HookContext::from_slice(fixture("hook_registration_before.json").as_bytes())
        .expect("the context before registration");
    let HookFlow::Registration(flow) = &before.flow else {
        panic!("a registration flow: {:?}", before.flow)
    };
    assert_eq!(flow.state_name(), Some("choose_method"));
    assert!(before.identity.is_none(), "no identity before registration");
    // A `before` hook runs as the flow starts.
    assert_eq!(before.request_method, "GET");
    assert!(before
        .request_url
        .ends_with("/self-service/registration/api"));

    let after = HookContext::from_slice(fixture("hook_registration_after.json").as_bytes())
        .expect("the context after registration");
    assert_eq!(after.trait_str("email"), Some("hook@example.com"));
    assert_eq!(after.flow.kind().map(|k| k.as_str()), Some("registration"));
    assert!(after.request_headers.contains_key("Content-Type"));
    assert_eq!(after.expect(FlowKind::Registration), Ok(()));
    let refused = after.expect(FlowKind::Login).unwrap_err();
    assert_eq!(
        refused,
        HookRejection::UnexpectedFlow {
            expected: FlowKind::Login,
            found: Some(FlowKind::Registration)
        }
    );
    assert_eq!(refused.status(), 400);
}

#[test]
fn a_real_kratos_s_login_and_settings_contexts_decode_with_their_session() {
    for (file, kind) in [
        ("hook_login_after.json", "login"),
        ("hook_settings_after.json", "settings"),
    ] {
        let context = HookContext::from_slice(fixture(file).as_bytes()).expect(file);
        assert_eq!(context.flow.kind().map(|k| k.as_str()), Some(kind));
        let identity = context.identity.as_ref().expect("the identity");
        let session = context.session.as_ref().expect("the session");
        // The session is the identity's, which has an id by then.
        assert_eq!(
            session.identity.as_ref().map(|i| i.id.as_str()),
            Some(identity.id.as_str())
        );
        assert_eq!(context.request_method, "POST");
        assert!(context.other.is_empty(), "{:?}", context.other);
    }
}

#[test]
fn what_is_not_a_context_is_refused_and_secrets_stay_out_of_debug() {
    for body in [
        &b"not json"[..],
        b"[1]",
        b"{}",
        br#"{"flow": {"ui": 1}, "x": 1}"#,
    ] {
        let refused = HookContext::from_slice(body);
        assert!(
            matches!(refused, Err(HookRejection::NotAContext { .. }) | Ok(_)),
            "{body:?}"
        );
    }
    assert!(matches!(
        HookContext::from_slice(b"{}"),
        Err(HookRejection::NotAContext { .. })
    ));
    let mut context: Value =
        serde_json::from_str(&fixture("hook_registration_after.json")).unwrap();
    context["request_cookies"] = json!({"ory_kratos_session": "s3cret-cookie"});
    context["request_headers"]["Authorization"] = json!(["Bearer s3cret-token"]);
    let context = HookContext::from_slice(context.to_string().as_bytes()).unwrap();
    let shown = format!("{context:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("ory_kratos_session") && shown.contains("Authorization"));
}

#[test]
fn the_caller_is_checked_as_kratos_is_configured_to_authenticate() {
    let headers = |pairs: &[(&str, &str)]| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                kratos_client::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    };
    let key = HookCaller::api_key_header("X-Hook-Key", "s3cret");
    assert!(key.check(&headers(&[("x-hook-key", "s3cret")])).is_ok());
    for wrong in [
        &[("x-hook-key", "s3cre")][..],
        &[("x-hook-key", "s3cret2")],
        &[],
    ] {
        assert_eq!(key.check(&headers(wrong)), Err(HookRejection::NotKratos));
    }
    let cookie = HookCaller::api_key_cookie("hook", "s3cret");
    assert!(cookie
        .check(&headers(&[("cookie", "a=1; hook=s3cret")]))
        .is_ok());
    assert!(cookie.check(&headers(&[("cookie", "hook=nope")])).is_err());
    let basic = HookCaller::basic_auth("kratos", "pass word");
    // "kratos:pass word", as Go's http client writes it.
    assert!(basic
        .check(&headers(&[(
            "authorization",
            "Basic a3JhdG9zOnBhc3Mgd29yZA=="
        )]))
        .is_ok());
    assert!(basic
        .check(&headers(&[("authorization", "Basic eDp5")]))
        .is_err());
    let shown = format!("{key:?} {cookie:?} {basic:?}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("pass word"),
        "{shown}"
    );
}

async fn registration(hook: KratosHook) -> HookAnswer {
    match hook.context.trait_str("email") {
        Some(email) if email.ends_with("@example.com") => HookAnswer::ChangeIdentity(
            IdentityChange::new().metadata_admin(json!({"invited": true})),
        ),
        _ => HookAnswer::Interrupt(Interrupt::new().field_error(
            "traits.email",
            4000001,
            "Only example.com addresses are invited.",
        )),
    }
}

#[tokio::test]
async fn an_axum_hook_checks_the_caller_reads_the_context_and_answers_in_kratos_s_shapes() {
    kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
    let app = Router::new()
        .route("/hook", post(registration))
        .with_state(HookCaller::api_key_header("X-Hook-Key", "s3cret").body_limit(64 * 1024));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let send = |key: &str, body: String| {
        client
            .post(&url)
            .header("x-hook-key", key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let context = fixture("hook_registration_after.json");

    let answer = send("s3cret", context.clone()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"identity": {"metadata_admin": {"invited": true}}})
    );

    let other = context.replace("hook@example.com", "eve@elsewhere.test");
    let answer = send("s3cret", other).await.unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["messages"][0]["instance_ptr"], "#/traits/email");
    assert_eq!(body["messages"][0]["messages"][0]["id"], 4000001);

    let wrong = send("nope", context.clone()).await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let huge = send("s3cret", "x".repeat(100 * 1024)).await.unwrap();
    assert_eq!(huge.status().as_u16(), 413);
    let junk = send("s3cret", "{\"not\": \"kratos\"}".into())
        .await
        .unwrap();
    assert_eq!(junk.status().as_u16(), 400);
}

#[test]
fn a_password_migration_request_is_read_and_its_password_kept_out_of_debug() {
    let body = br#"{"identifier":"ada@example.com","password":"old s3cret"}"#;
    let request = PasswordMigration::from_slice(body).unwrap();
    assert_eq!(request.identifier, "ada@example.com");
    assert_eq!(request.password.expose(), "old s3cret");
    let shown = format!("{request:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    for junk in [&b"{}"[..], b"not json", br#"{"identifier": 1}"#] {
        assert!(matches!(
            PasswordMigration::from_slice(junk),
            Err(HookRejection::NotAContext { .. })
        ));
    }
    // The rejection names the problem, never the body it read.
    let refused = PasswordMigration::from_slice(br#"{"identifier":"a","password":7}"#).unwrap_err();
    assert!(!refused.to_string().contains("old s3cret"));
}

async fn migrate(hook: KratosPasswordMigration) -> HookAnswer {
    match hook.request.password.expose() {
        "old s3cret" => HookAnswer::PasswordMatch,
        _ => HookAnswer::PasswordMismatch,
    }
}

#[tokio::test]
async fn an_axum_password_migration_hook_answers_match_or_403_and_rejects_as_json() {
    let app = Router::new()
        .route("/migrate", post(migrate))
        .with_state(HookCaller::basic_auth("kratos", "pass word"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/migrate", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let send = |password: &str, body: &str| {
        client
            .post(&url)
            .basic_auth("kratos", Some(password))
            .body(body.to_string())
            .send()
    };
    let right = r#"{"identifier":"ada@example.com","password":"old s3cret"}"#;
    let answer = send("pass word", right).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body, json!({"status": "password_match"}));

    let wrong = r#"{"identifier":"ada@example.com","password":"guess"}"#;
    assert_eq!(
        send("pass word", wrong).await.unwrap().status().as_u16(),
        403
    );

    // A rejection is JSON: with `response.parse`, Kratos then reports that
    // the answer had no messages instead of failing to decode it.
    let refused = send("not it", right).await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let body: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 401);
    assert!(body.get("messages").is_none());
    let junk = send("pass word", "{}").await.unwrap();
    assert_eq!(junk.status().as_u16(), 400);
}
