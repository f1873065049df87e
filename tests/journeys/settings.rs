//! Settings: a new password and profile within the privileged window, a
//! refusal after it (403 `session_refresh_required`), the refresh login and
//! the resubmission; a short password and a missing session.

use std::time::Duration;

use kratos_client::models::{
    UpdateLoginFlowWithPasswordMethod, UpdateSettingsFlowWithPasswordMethod,
    UpdateSettingsFlowWithProfileMethod,
};
use kratos_client::testing::TestKratos;
use kratos_client::{Error, ErrorId, SignInAgain, UpdateSettingsFlowError};
use serde_json::json;

use crate::login::sign_in;
use crate::registration::traits;
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

const WINDOW: Duration = Duration::from_secs(2);

#[tokio::test]
async fn settings_change_the_password_then_ask_for_a_fresh_sign_in_after_the_window() {
    let builder = TestKratos::builder().privileged_session_max_age(WINDOW);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos
            .add_identity(EMAIL, PASSWORD, Some("Ada"))
            .await
            .unwrap();
        let api = kratos.frontend();
        let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");

        let flow = api
            .create_native_settings_flow()
            .session_token(&token)
            .send()
            .await
            .unwrap();
        seen.flow("new flow", &flow);
        let saved = api
            .update_settings_flow(
                &flow.id,
                UpdateSettingsFlowWithPasswordMethod::new("a new horse battery"),
            )
            .session_token(&token)
            .send()
            .await
            .unwrap();
        seen.flow("new password", &saved);
        assert_eq!(saved.state_name(), Some("success"));

        tokio::time::sleep(WINDOW + Duration::from_millis(500)).await;
        let profile = UpdateSettingsFlowWithProfileMethod::new(traits(
            json!({"email": EMAIL, "name": "Ada L."}),
        ));
        let saved = api
            .update_settings_flow(&flow.id, profile)
            .session_token(&token)
            .send()
            .await;
        seen.outcome("new name after the window", &saved);

        let again = UpdateSettingsFlowWithPasswordMethod::new("a third horse battery");
        let err = api
            .update_settings_flow(&flow.id, again.clone())
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("new password after the window", &err);
        assert!(
            matches!(err, Error::Api(UpdateSettingsFlowError::Forbidden(_))),
            "{err:?}"
        );
        assert_eq!(err.error_id(), Some(ErrorId::SessionRefreshRequired));
        let how = err.sign_in_again().expect("a refresh");
        assert_eq!(how, SignInAgain::Refresh);

        let login = how.login_flow(&api, &token).send().await.unwrap();
        seen.flow("refresh flow", &login);
        let refreshed = api
            .update_login_flow(
                &login.id,
                UpdateLoginFlowWithPasswordMethod::new(EMAIL, "a new horse battery"),
            )
            .session_token(&token)
            .send()
            .await
            .unwrap();
        seen.session("refreshed", &refreshed.session);
        assert_eq!(refreshed.session_token.as_deref(), Some(token.as_str()));
        let saved = api
            .update_settings_flow(&flow.id, again)
            .session_token(&token)
            .send()
            .await;
        seen.outcome("resubmitted", &saved);
        assert_eq!(saved.unwrap().state_name(), Some("success"));

        assert!(sign_in(&api, EMAIL, "a third horse battery")
            .await
            .is_some());
    })
    .await;
}

#[tokio::test]
async fn settings_refuse_a_short_password_and_a_missing_session() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();
            let err = api.create_native_settings_flow().send().await.unwrap_err();
            seen.error("no session", &err);
            assert_eq!(err.error_id(), Some(ErrorId::SessionInactive));

            let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
            let flow = api
                .create_native_settings_flow()
                .session_token(&token)
                .send()
                .await
                .unwrap();
            let err = api
                .update_settings_flow(&flow.id, UpdateSettingsFlowWithPasswordMethod::new("short"))
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            seen.error("short password", &err);
            assert!(err.next_step().is_none());
            let Error::Api(UpdateSettingsFlowError::BadRequest(refused)) = err else {
                panic!("expected the flow back, got {err:?}");
            };
            assert_eq!(refused.errors()[0].field, Some("password"));
            assert_eq!(refused.errors()[0].id(), 4000032);
        },
    )
    .await;
}
