//! The journeys after registration, against `MockKratos`, through the
//! crate's helpers: a second factor by code, identifier-first login,
//! settings with and without a fresh sign-in, recovery and verification by
//! a code read from the outbox, and 410 for an expired flow of every kind.

use std::time::Duration;

use kratos_client::models::{
    ContinueWith, UpdateLoginFlowWithCodeMethod, UpdateLoginFlowWithIdentifierFirstMethod,
    UpdateLoginFlowWithPasswordMethod, UpdateRecoveryFlowWithCodeMethod,
    UpdateSettingsFlowWithPasswordMethod, UpdateSettingsFlowWithProfileMethod,
    UpdateVerificationFlowWithCodeMethod,
};
use kratos_client::testing::MockKratos;
use kratos_client::{
    Error, ErrorId, FrontendApi, SignInAgain, ToSessionError, UpdateLoginFlowError,
    UpdateSettingsFlowError,
};
use serde_json::json;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

/// Signs in by password and returns the session token.
async fn sign_in(api: &FrontendApi) -> String {
    sign_in_with(api, PASSWORD).await
}

/// Signs in with `password` (which must be right) and returns the token.
async fn sign_in_with(api: &FrontendApi, password: &str) -> String {
    let flow = api.create_native_login_flow().send().await.unwrap();
    let done = api
        .update_login_flow(
            &flow.id,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, password),
        )
        .send()
        .await
        .unwrap();
    done.session_token.expect("a native login answers a token")
}

/// The code method's body: the code, or (without one) a request to send it.
fn code_body(code: Option<&str>) -> UpdateLoginFlowWithCodeMethod {
    let mut body = UpdateLoginFlowWithCodeMethod::new("");
    body.code = code.map(str::to_string);
    body.address = code.is_none().then(|| EMAIL.to_string());
    body
}

#[tokio::test]
async fn a_first_factor_login_tells_the_app_a_second_factor_is_needed_and_the_code_completes_it() {
    let kratos = MockKratos::builder().second_factor(true).start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();

    // The password is right: 200 with a token, but a session without its identity.
    let flow = api.create_native_login_flow().send().await.unwrap();
    let first = api
        .update_login_flow(
            &flow.id,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
        )
        .send()
        .await
        .unwrap();
    assert!(first.needs_second_factor());
    assert_eq!(first.sign_in_again(), Some(SignInAgain::SecondFactor));
    assert!(first.session.identity.is_none());
    let token = first.session_token.clone().unwrap();

    // Until the second factor, whoami refuses with session_aal2_required.
    let err = api
        .to_session()
        .session_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(ToSessionError::Forbidden(_))),
        "{err:?}"
    );
    assert_eq!(err.sign_in_again(), Some(SignInAgain::SecondFactor));

    // The aal2 flow offers to send a code to the address.
    let flow = SignInAgain::SecondFactor
        .login_flow(&api, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        flow.requested_aal.as_ref().map(|a| a.as_str()),
        Some("aal2")
    );
    assert!(flow.node("address").is_some(), "{:?}", flow.ui.nodes);
    assert_eq!(flow.messages()[0].id(), 1010004);

    // Asking for the code: 400 with the next form, not a failure.
    let err = api
        .update_login_flow(&flow.id, code_body(None))
        .session_token(&token)
        .send()
        .await
        .unwrap_err();
    let next = err.into_next_step().expect("the code form");
    assert_eq!(next.state_name(), Some("sent_email"));
    assert_eq!(next.messages()[0].id(), 1010025);
    assert!(next.node("code").is_some());
    let code = kratos.last_code(EMAIL).expect("a code in the outbox");
    assert_eq!(code.len(), 6);
    assert_eq!(kratos.messages()[0].template_type, "login_code_valid");

    // A wrong code: a real refusal (4010008), not a next step.
    let err = api
        .update_login_flow(&flow.id, code_body(Some("000000x")))
        .session_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(err.next_step().is_none());
    let Error::Api(UpdateLoginFlowError::BadRequest(refused)) = err else {
        panic!("expected the flow back, got {err:?}");
    };
    assert_eq!(refused.errors()[0].id(), 4010008);

    // The right code lifts the same session to aal2, identity included.
    let done = api
        .update_login_flow(&flow.id, code_body(Some(&code)))
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert!(!done.needs_second_factor());
    assert_eq!(done.session_token.as_deref(), Some(token.as_str()));
    let session = api.to_session().session_token(&token).send().await.unwrap();
    assert_eq!(
        session
            .authenticator_assurance_level
            .as_ref()
            .map(|a| a.as_str()),
        Some("aal2")
    );
}

#[tokio::test]
async fn identifier_first_login_answers_the_identifier_with_the_password_form() {
    let kratos = MockKratos::builder().identifier_first(true).start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();

    let flow = api.create_native_login_flow().send().await.unwrap();
    assert_eq!(flow.ui.methods(), ["identifier_first"]);
    assert!(flow.node("password").is_none());

    let err = api
        .update_login_flow(
            &flow.id,
            UpdateLoginFlowWithIdentifierFirstMethod::new(EMAIL),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let next = err.into_next_step().expect("the password step");
    let fields: Vec<&str> = next.inputs_for("password").iter().map(|i| i.name).collect();
    assert_eq!(fields, ["password"]);

    let done = api
        .update_login_flow(
            &next.id,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
        )
        .send()
        .await
        .unwrap();
    assert!(done.session_token.is_some());
    assert!(!done.needs_second_factor());
}

#[tokio::test]
async fn settings_change_the_password_then_ask_for_a_fresh_sign_in_after_the_window() {
    let kratos = MockKratos::builder()
        .privileged_session_max_age(Duration::from_millis(300))
        .start()
        .await;
    kratos.add_identity(EMAIL, PASSWORD, Some("Ada"));
    let api = kratos.frontend();
    let token = sign_in(&api).await;

    // Within the window: saved.
    let flow = api
        .create_native_settings_flow()
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(flow.ui.methods(), ["profile", "password"]);
    let saved = api
        .update_settings_flow(
            &flow.id,
            UpdateSettingsFlowWithPasswordMethod::new("a new horse battery"),
        )
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.state_name(), Some("success"));
    assert_eq!(saved.messages()[0].id(), 1050001);

    // A profile change that keeps the address needs no fresh sign-in.
    std::thread::sleep(Duration::from_millis(400));
    let profile = UpdateSettingsFlowWithProfileMethod::new(
        json!({"email": EMAIL, "name": "Ada L."})
            .as_object()
            .unwrap()
            .clone(),
    );
    let saved = api
        .update_settings_flow(&flow.id, profile)
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.identity.traits["name"], "Ada L.");

    // After the window, a password change is refused: sign in again.
    let again = UpdateSettingsFlowWithPasswordMethod::new("a third horse battery");
    let err = api
        .update_settings_flow(&flow.id, again.clone())
        .session_token(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(UpdateSettingsFlowError::Forbidden(_))),
        "{err:?}"
    );
    assert_eq!(err.error_id(), Some(ErrorId::SessionRefreshRequired));
    let how = err.sign_in_again().expect("a refresh");
    assert_eq!(how, SignInAgain::Refresh);

    // The native path: a refresh login with the same token, then resubmit.
    let login = how.login_flow(&api, &token).send().await.unwrap();
    assert!(login.refresh == Some(true));
    let refreshed = api
        .update_login_flow(
            &login.id,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, "a new horse battery"),
        )
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.session_token.as_deref(),
        Some(token.as_str()),
        "the same session"
    );
    let saved = api
        .update_settings_flow(&flow.id, again)
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.state_name(), Some("success"));

    // The new password is the one that signs in now.
    sign_in_with(&api, "a third horse battery").await;
}

#[tokio::test]
async fn settings_refuse_a_short_password_and_a_missing_session() {
    let kratos = MockKratos::start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();
    let err = api.create_native_settings_flow().send().await.unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SessionInactive));

    let token = sign_in(&api).await;
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
    assert!(err.next_step().is_none(), "an error message: a refusal");
    let Error::Api(UpdateSettingsFlowError::BadRequest(refused)) = err else {
        panic!("expected the flow back, got {err:?}");
    };
    assert_eq!(refused.errors()[0].field, Some("password"));
    assert_eq!(refused.errors()[0].id(), 4000032);
}

#[tokio::test]
async fn recovery_by_code_ends_signed_in_with_a_settings_flow_for_the_new_password() {
    let kratos = MockKratos::start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();

    let flow = api.create_native_recovery_flow().send().await.unwrap();
    let mut body = UpdateRecoveryFlowWithCodeMethod::default();
    body.email = Some(EMAIL.into());
    let sent = api
        .update_recovery_flow(&flow.id, body)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.state_name(), Some("sent_email"));
    assert_eq!(sent.messages()[0].id(), 1060003);

    // A wrong code: Kratos answers 200, the flow still waiting for the
    // code, with 4060006 on it.
    let mut wrong = UpdateRecoveryFlowWithCodeMethod::default();
    wrong.code = Some("12345x".into());
    let again = api
        .update_recovery_flow(&flow.id, wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(again.state_name(), Some("sent_email"));
    assert_eq!(again.errors()[0].id(), 4060006);

    let mut right = UpdateRecoveryFlowWithCodeMethod::default();
    right.code = kratos.last_code(EMAIL);
    assert!(right.code.is_some(), "the code is in the outbox");
    let done = api
        .update_recovery_flow(&flow.id, right)
        .send()
        .await
        .unwrap();
    assert_eq!(done.state_name(), Some("passed_challenge"));
    let items = done.continue_with.clone().unwrap_or_default();
    let ordered = ContinueWith::in_order(&items);
    assert_eq!(ordered[0].action(), "set_ory_session_token");
    let token = ContinueWith::session_token(&items)
        .expect("a session token")
        .to_string();
    let settings_id = ordered[1].flow_id().expect("a settings flow").to_string();

    // Set the new password in that settings flow, then sign in with it.
    let settings = api
        .get_settings_flow(&settings_id)
        .session_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(settings.messages()[0].id(), 1060001);
    api.update_settings_flow(
        &settings_id,
        UpdateSettingsFlowWithPasswordMethod::new("a recovered battery"),
    )
    .session_token(&token)
    .send()
    .await
    .unwrap();
    sign_in_with(&api, "a recovered battery").await;
}

#[tokio::test]
async fn verification_by_code_verifies_the_address() {
    let kratos = MockKratos::start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();
    let token = sign_in(&api).await;
    let before = api.to_session().session_token(&token).send().await.unwrap();
    let verified = |s: &kratos_client::models::Session| {
        s.identity
            .as_ref()
            .unwrap()
            .verifiable_addresses
            .as_ref()
            .unwrap()[0]
            .verified
    };
    assert!(!verified(&before));

    let flow = api.create_native_verification_flow().send().await.unwrap();
    let mut body = UpdateVerificationFlowWithCodeMethod::default();
    body.email = Some(EMAIL.into());
    let sent = api
        .update_verification_flow(&flow.id, body)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.state_name(), Some("sent_email"));
    assert_eq!(sent.messages()[0].id(), 1080003);
    assert_eq!(
        kratos.messages().last().unwrap().template_type,
        "verification_code_valid"
    );

    let mut wrong = UpdateVerificationFlowWithCodeMethod::default();
    wrong.code = Some("x".into());
    let again = api
        .update_verification_flow(&flow.id, wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(again.errors()[0].id(), 4070006);

    let mut right = UpdateVerificationFlowWithCodeMethod::default();
    right.code = kratos.last_code(EMAIL);
    let done = api
        .update_verification_flow(&flow.id, right)
        .send()
        .await
        .unwrap();
    assert_eq!(done.state_name(), Some("passed_challenge"));
    assert_eq!(done.messages()[0].id(), 1080002);
    assert!(done.node("continue").is_some(), "a link onwards");
    let after = api.to_session().session_token(&token).send().await.unwrap();
    assert!(verified(&after));
}

#[tokio::test]
async fn an_expired_flow_of_every_kind_answers_410_with_a_replacement() {
    let kratos = MockKratos::start().await;
    kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();
    let token = sign_in(&api).await;

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
    for id in [&login, &settings, &recovery, &verification] {
        assert!(kratos.expire_flow(id));
    }

    let err = api
        .update_login_flow(
            &login,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
        )
        .send()
        .await
        .unwrap_err();
    assert_gone(
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
    assert_gone(
        err.status(),
        err.error_id(),
        err.replacement_flow_id(),
        &settings,
    );
    let err = api
        .update_recovery_flow(&recovery, UpdateRecoveryFlowWithCodeMethod::default())
        .send()
        .await
        .unwrap_err();
    assert_gone(
        err.status(),
        err.error_id(),
        err.replacement_flow_id(),
        &recovery,
    );
    let err = api
        .get_verification_flow(&verification)
        .send()
        .await
        .unwrap_err();
    // getVerificationFlow documents no 410: the answer is Default, still 410.
    assert_gone(
        err.status(),
        err.error_id(),
        err.replacement_flow_id(),
        &verification,
    );
}

fn assert_gone(
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
