//! An expired flow of every kind answers 410 with a flow to continue with.

use kratos_client::models::{
    UpdateLoginFlowWithPasswordMethod, UpdateRecoveryFlowWithCodeMethod,
    UpdateSettingsFlowWithPasswordMethod,
};
use kratos_client::testing::TestKratos;
use kratos_client::ErrorId;

use crate::login::sign_in;
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

#[tokio::test]
async fn an_expired_flow_of_every_kind_answers_410_with_a_replacement() {
    let builder = TestKratos::builder().flow_lifetime(crate::EXPIRING);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();
        let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");

        let login = api.create_native_login_flow().send().await.unwrap().id;
        let settings = api
            .create_native_settings_flow()
            .session_token(&token)
            .send()
            .await
            .unwrap()
            .id;
        let recovery = api.create_native_recovery_flow().send().await.unwrap().id;
        let verification = api
            .create_native_verification_flow()
            .send()
            .await
            .unwrap()
            .id;
        crate::wait_for_expiry().await;

        let err = api
            .update_login_flow(
                &login,
                UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
            )
            .send()
            .await
            .unwrap_err();
        seen.error("login", &err);
        check(
            err.status(),
            err.error_id(),
            err.replacement_flow_id(),
            &login,
        );
        let err = api
            .update_settings_flow(
                &settings,
                UpdateSettingsFlowWithPasswordMethod::new("a new horse battery"),
            )
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("settings", &err);
        check(
            err.status(),
            err.error_id(),
            err.replacement_flow_id(),
            &settings,
        );
        let body = UpdateRecoveryFlowWithCodeMethod::new().email(EMAIL);
        let err = api
            .update_recovery_flow(&recovery, body)
            .send()
            .await
            .unwrap_err();
        seen.error("recovery", &err);
        check(
            err.status(),
            err.error_id(),
            err.replacement_flow_id(),
            &recovery,
        );
        // Fetching an expired flow names no replacement.
        let err = api
            .get_verification_flow(&verification)
            .send()
            .await
            .unwrap_err();
        seen.error("verification, fetched", &err);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(410));
        assert!(err.replacement_flow_id().is_none());
        let err = api.get_login_flow(&login).send().await.unwrap_err();
        seen.error("login, fetched", &err);
        assert_eq!(err.error_id(), Some(ErrorId::SelfServiceFlowExpired));
        assert!(err.replacement_flow_id().is_none());
    })
    .await;
}

fn check(
    status: Option<kratos_client::StatusCode>,
    id: Option<ErrorId>,
    replacement: Option<&str>,
    old: &str,
) {
    assert_eq!(status.map(|s| s.as_u16()), Some(410));
    assert_eq!(id, Some(ErrorId::SelfServiceFlowExpired));
    let replacement = replacement.expect("a flow to continue with");
    assert_ne!(replacement, old);
}
