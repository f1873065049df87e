//! What only MockKratos offers around a journey: the requests the app sent,
//! as the mock recorded them; and a route of the fake overridden by a test
//! (`MockKratos::mount`), the rest of the fake kept: a failure once, a slow
//! route, an answer a newer Kratos might send. The overrides run on a real
//! Kratos too, which has no stubs: there they check what it does instead.

use std::time::Duration;

use kratos_client::models::AuthenticatorAssuranceLevel;
use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod;
use kratos_client::testing::wiremock::{matchers, Mock, ResponseTemplate};
use kratos_client::testing::{MockKratos, TestKratos};
use kratos_client::{Client, Error, ToSessionError};
use serde_json::{json, Value};

use crate::common::accounts::sign_in;
use crate::{EMAIL, PASSWORD};

#[tokio::test]
async fn whoami_fails_once_then_the_fake_answers_again() {
    for kratos in TestKratos::builder().start_each().await.unwrap() {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();
        let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
        if let Some(mock) = kratos.as_mock() {
            let error = serde_json::json!({"error": {"code": 500, "status": "Internal Server Error", "message": "database down"}});
            let once = Mock::given(matchers::path("/sessions/whoami"))
                .respond_with(ResponseTemplate::new(500).set_body_json(error))
                .up_to_n_times(1)
                .expect(1);
            mock.mount(once).await;
            let failed = api
                .to_session()
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            assert!(
                matches!(&failed, Error::Api(ToSessionError::Default { status, body })
                    if *status == 500 && body.error.message == "database down"),
                "{failed:?}"
            );
        }
        // Then (and on a real Kratos, at once) the session as before.
        let session = api.to_session().session_token(&token).send().await.unwrap();
        assert_eq!(session.active, Some(true), "{}", kratos.name());
        if let Some(mock) = kratos.as_mock() {
            mock.verify().await;
        }
    }
}

#[tokio::test]
async fn a_slow_registration_submit_is_a_timeout_and_the_flow_goes_on() {
    for kratos in TestKratos::builder().start_each().await.unwrap() {
        let api = Client::builder(kratos.uri())
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap()
            .frontend();
        let flow = api.create_native_registration_flow().send().await.unwrap();
        let traits = serde_json::json!({"email": EMAIL})
            .as_object()
            .cloned()
            .unwrap();
        let body = UpdateRegistrationFlowWithPasswordMethod::new(PASSWORD, traits);
        if let Some(mock) = kratos.as_mock() {
            let slow = Mock::given(matchers::method("POST"))
                .and(matchers::path("/self-service/registration"))
                .respond_with(ResponseTemplate::new(500).set_delay(Duration::from_secs(2)))
                .up_to_n_times(1);
            mock.mount(slow).await;
            let timed_out = api
                .update_registration_flow(&flow.id, body.clone())
                .send()
                .await
                .unwrap_err();
            assert!(matches!(timed_out, Error::Timeout { .. }), "{timed_out:?}");
        }
        let done = api
            .update_registration_flow(&flow.id, body)
            .send()
            .await
            .unwrap();
        assert!(done.session_token.is_some(), "{}", kratos.name());
    }
}

#[tokio::test]
async fn a_session_with_fields_and_values_of_a_newer_kratos_still_decodes() {
    for kratos in TestKratos::builder().start_each().await.unwrap() {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();
        let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
        let session = api.to_session().session_token(&token).send().await.unwrap();
        let Some(mock) = kratos.as_mock() else {
            // A real Kratos sends what it sends: v26.2.0's levels are known.
            assert!(!matches!(
                session.authenticator_assurance_level,
                Some(AuthenticatorAssuranceLevel::Unknown(_))
            ));
            continue;
        };
        // The fake's own answer, with a field and a level no Kratos sends yet.
        let mut newer: Value = serde_json::to_value(&session).unwrap();
        newer["authenticator_assurance_level"] = "aal9".into();
        newer["risk_score"] = 0.1.into();
        mock.mount(
            Mock::given(matchers::path("/sessions/whoami"))
                .respond_with(ResponseTemplate::new(200).set_body_json(&newer)),
        )
        .await;
        let read = api.to_session().session_token(&token).send().await.unwrap();
        assert_eq!(read.id, session.id);
        assert_eq!(
            read.authenticator_assurance_level
                .as_ref()
                .map(|a| a.as_str()),
            Some("aal9")
        );
    }
}

#[tokio::test]
async fn the_mock_records_what_the_app_sent_and_keeps_tokens_out_of_debug() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let traits = json!({"email": "ada@example.com"})
        .as_object()
        .cloned()
        .unwrap();
    let done = api
        .update_registration_flow(
            &flow.id,
            UpdateRegistrationFlowWithPasswordMethod::new("correct horse battery staple", traits),
        )
        .send()
        .await
        .unwrap();
    let token = done.session_token.unwrap();
    let page = api
        .list_my_sessions()
        .page_size(10)
        .session_token(token.as_str())
        .send()
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.is_last());

    let sent = kratos.received_requests().await;
    let list = sent.iter().find(|r| r.url.path() == "/sessions").unwrap();
    assert_eq!(
        (list.method.as_str(), list.query("page_size").as_deref()),
        ("GET", Some("10"))
    );
    assert_eq!(list.header("x-session-token"), Some(token.as_str()));
    let submitted = sent.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(submitted.json().unwrap()["method"], "password");
    let debug = format!("{sent:?}");
    assert!(!debug.contains(&token), "{debug}");
}
