//! Recovery and verification by a code read from the courier.

use kratos_client::models::{
    ContinueWith, UpdateRecoveryFlowWithCodeMethod, UpdateSettingsFlowWithPasswordMethod,
    UpdateVerificationFlowWithCodeMethod,
};
use kratos_client::testing::TestKratos;

use crate::login::sign_in;
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

#[tokio::test]
async fn recovery_by_code_ends_signed_in_with_a_settings_flow_for_the_new_password() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();

            let flow = api.create_native_recovery_flow().send().await.unwrap();
            seen.flow("new flow", &flow);
            let body = UpdateRecoveryFlowWithCodeMethod::new().email(EMAIL);
            let sent = api.update_recovery_flow(&flow.id, body).send().await;
            seen.outcome("address", &sent);
            let sent = sent.unwrap();
            seen.flow("code sent", &sent);
            assert_eq!(sent.state_name(), Some("sent_email"));

            let wrong = UpdateRecoveryFlowWithCodeMethod::new().code("123456");
            let again = api.update_recovery_flow(&flow.id, wrong).send().await;
            seen.outcome("wrong code", &again);
            if let Ok(again) = &again {
                seen.flow("wrong code", again);
            }

            let mut right = UpdateRecoveryFlowWithCodeMethod::default();
            right.code = kratos.last_code(EMAIL).await.unwrap();
            assert!(right.code.is_some(), "the code is in the outbox");
            let messages = kratos.messages().await.unwrap();
            let kinds: Vec<&str> = messages.iter().map(|m| m.template_type.as_str()).collect();
            seen.note("messages", format!("{kinds:?}"));
            let done = api.update_recovery_flow(&flow.id, right).send().await;
            seen.outcome("right code", &done);
            let done = done.unwrap();
            seen.flow("right code", &done);
            assert_eq!(done.state_name(), Some("passed_challenge"));
            let items = done.continue_with.clone().unwrap_or_default();
            let ordered = ContinueWith::in_order(&items);
            let token = ContinueWith::session_token(&items)
                .expect("a session token")
                .to_string();
            let settings_id = ordered
                .iter()
                .find_map(|c| c.flow_id())
                .expect("a settings flow")
                .to_string();

            let session = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("recovered", &session);
            let settings = api
                .get_settings_flow(&settings_id)
                .session_token(&token)
                .send()
                .await
                .unwrap();
            seen.flow("settings", &settings);
            let saved = api
                .update_settings_flow(
                    &settings_id,
                    UpdateSettingsFlowWithPasswordMethod::new("a recovered battery"),
                )
                .session_token(&token)
                .send()
                .await;
            seen.outcome("new password", &saved);
            assert!(sign_in(&api, EMAIL, "a recovered battery").await.is_some());
        },
    )
    .await;
}

#[tokio::test]
async fn verification_by_code_verifies_the_address() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
            let before = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("before", &before);

            let flow = api.create_native_verification_flow().send().await.unwrap();
            seen.flow("new flow", &flow);
            let body = UpdateVerificationFlowWithCodeMethod::new().email(EMAIL);
            let sent = api.update_verification_flow(&flow.id, body).send().await;
            seen.outcome("address", &sent);
            let sent = sent.unwrap();
            seen.flow("code sent", &sent);
            assert_eq!(sent.state_name(), Some("sent_email"));

            let wrong = UpdateVerificationFlowWithCodeMethod::new().code("123456");
            let again = api.update_verification_flow(&flow.id, wrong).send().await;
            seen.outcome("wrong code", &again);
            if let Ok(again) = &again {
                seen.flow("wrong code", again);
            }

            let mut right = UpdateVerificationFlowWithCodeMethod::default();
            right.code = kratos.last_code(EMAIL).await.unwrap();
            let done = api.update_verification_flow(&flow.id, right).send().await;
            seen.outcome("right code", &done);
            let done = done.unwrap();
            seen.flow("right code", &done);
            assert_eq!(done.state_name(), Some("passed_challenge"));
            let after = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("after", &after);
            let verified = after
                .identity
                .as_ref()
                .and_then(|i| i.verifiable_addresses.as_ref());
            assert!(verified.is_some_and(|a| a[0].verified));
        },
    )
    .await;
}
