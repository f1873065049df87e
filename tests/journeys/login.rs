//! Login: by password and with a wrong one, a refresh of a signed-in
//! session, a second factor by code up to `aal2`, and identifier-first.

use kratos_client::models::{
    UpdateLoginFlowWithCodeMethod, UpdateLoginFlowWithIdentifierFirstMethod,
    UpdateLoginFlowWithPasswordMethod as Password,
};
use kratos_client::testing::TestKratos;
use kratos_client::{Error, ErrorId, SignInAgain, ToSessionError, UpdateLoginFlowError};

pub use crate::common::accounts::sign_in;
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

#[tokio::test]
async fn login_by_password_a_wrong_one_then_a_refresh() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
            let api = kratos.frontend();

            let login = api.create_native_login_flow().send().await.unwrap();
            seen.flow("new flow", &login);
            let wrong = api
                .update_login_flow(&login.id, Password::new(EMAIL, "not my password"))
                .send()
                .await
                .unwrap_err();
            seen.error("wrong password", &wrong);
            let Error::Api(UpdateLoginFlowError::BadRequest(again)) = &wrong else {
                panic!("expected the flow back, got {wrong:?}")
            };
            assert_eq!(again.errors()[0].id(), 4000006);
            assert!(wrong.next_step().is_none(), "a refusal, not a next step");
            // The same flow either way, through one accessor.
            let refused = wrong.flow().expect("the flow of the 400");
            assert!(refused.has_errors() && refused.id == login.id);

            let done = api
                .update_login_flow(&login.id, Password::new(EMAIL, PASSWORD))
                .send()
                .await
                .unwrap();
            seen.session("signed in", &done.session);
            let token = done.session_token.clone().expect("a token");
            assert!(!done.needs_second_factor());

            // Signed in, a login flow needs `refresh`; a refresh keeps the session.
            let err = api
                .create_native_login_flow()
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            seen.error("signed in, new flow", &err);
            assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));
            let refresh = api
                .create_native_login_flow()
                .refresh(true)
                .session_token(&token)
                .send()
                .await
                .unwrap();
            seen.flow("refresh flow", &refresh);
            assert_eq!(refresh.refresh, Some(true));
            let again = api
                .update_login_flow(&refresh.id, Password::new(EMAIL, PASSWORD))
                .session_token(&token)
                .send()
                .await
                .unwrap();
            seen.session("refreshed", &again.session);
            assert_eq!(again.session.id, done.session.id, "the same session");
            assert!(again.session.authenticated_at >= done.session.authenticated_at);
        },
    )
    .await;
}

/// The code method's body with `code`.
/// A code body as a native app sends it: no `csrf_token` (API flows need
/// none; upstream's document says otherwise, ours does not).
fn code_body(code: Option<&str>) -> UpdateLoginFlowWithCodeMethod {
    UpdateLoginFlowWithCodeMethod::new().set_code(code)
}

#[tokio::test]
async fn a_second_factor_by_code_lifts_the_session_to_aal2() {
    let builder = TestKratos::builder().second_factor(true);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();

        let flow = api.create_native_login_flow().send().await.unwrap();
        seen.flow("new flow", &flow);
        let first = api
            .update_login_flow(&flow.id, Password::new(EMAIL, PASSWORD))
            .send()
            .await
            .unwrap();
        seen.session("first factor", &first.session);
        assert!(first.needs_second_factor());
        assert_eq!(first.sign_in_again(), Some(SignInAgain::SecondFactor));
        let token = first.session_token.clone().unwrap();

        let err = api
            .to_session()
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("whoami at aal1", &err);
        assert!(
            matches!(err, Error::Api(ToSessionError::Forbidden(_))),
            "{err:?}"
        );
        assert_eq!(err.sign_in_again(), Some(SignInAgain::SecondFactor));

        // With one address to send a code to, Kratos sends it as the flow
        // starts: the flow waits for the code.
        let flow = SignInAgain::SecondFactor
            .login_flow(&api, &token)
            .send()
            .await
            .unwrap();
        seen.flow("aal2 flow", &flow);
        assert_eq!(
            flow.requested_aal.as_ref().map(|a| a.as_str()),
            Some("aal2")
        );
        assert_eq!(flow.state_name(), Some("sent_email"));
        assert!(flow.node("code").is_some());
        let code = kratos.last_code(EMAIL).await.unwrap().expect("a code");
        let messages = kratos.messages().await.unwrap();
        let kinds: Vec<&str> = messages.iter().map(|m| m.template_type.as_str()).collect();
        seen.note("messages", format!("{kinds:?}"));

        // Submitting without the code is a refusal.
        let err = api
            .update_login_flow(&flow.id, code_body(None))
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("no code", &err);
        assert!(err.next_step().is_none());

        let err = api
            .update_login_flow(&flow.id, code_body(Some("000000x")))
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("wrong code", &err);
        assert!(err.next_step().is_none());

        let done = api
            .update_login_flow(&flow.id, code_body(Some(&code)))
            .session_token(&token)
            .send()
            .await
            .unwrap();
        seen.session("second factor", &done.session);
        assert!(!done.needs_second_factor());
        assert_eq!(done.session_token.as_deref(), Some(token.as_str()));
        let session = api.to_session().session_token(&token).send().await.unwrap();
        seen.session("whoami at aal2", &session);
        assert_eq!(
            session
                .authenticator_assurance_level
                .as_ref()
                .map(|a| a.as_str()),
            Some("aal2")
        );
    })
    .await;
}

#[tokio::test]
async fn identifier_first_login_answers_the_identifier_with_the_password_form() {
    let builder = TestKratos::builder().identifier_first(true);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();

        let flow = api.create_native_login_flow().send().await.unwrap();
        seen.flow("new flow", &flow);
        assert!(flow.node("password").is_none());

        let err = api
            .update_login_flow(
                &flow.id,
                UpdateLoginFlowWithIdentifierFirstMethod::new(EMAIL),
            )
            .send()
            .await
            .unwrap_err();
        seen.error("identifier", &err);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
        assert!(err.flow().is_some_and(|f| !f.has_errors()), "a next step");
        let next = err.into_next_step().expect("the password step");
        assert!(next.node("password").is_some());

        let done = api
            .update_login_flow(&next.id, Password::new(EMAIL, PASSWORD))
            .send()
            .await
            .unwrap();
        seen.session("signed in", &done.session);
        assert!(done.session_token.is_some());

        // An identifier nobody has.
        let flow = api.create_native_login_flow().send().await.unwrap();
        let unknown = api
            .update_login_flow(
                &flow.id,
                UpdateLoginFlowWithIdentifierFirstMethod::new("nobody@example.com"),
            )
            .send()
            .await;
        seen.outcome("unknown identifier", &unknown);
    })
    .await;
}

#[tokio::test]
async fn passwordless_sign_in_by_code() {
    let builder = TestKratos::builder().passwordless_code(true);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let api = kratos.frontend();
        let flow = api.create_native_login_flow().send().await.unwrap();
        seen.flow("new flow", &flow);
        // The identifier: the next step, a 400 with the form for the code.
        let ask = UpdateLoginFlowWithCodeMethod::new().identifier(EMAIL);
        let sent = api
            .update_login_flow(&flow.id, ask)
            .send()
            .await
            .unwrap_err();
        seen.error("identifier", &sent);
        let next = sent
            .next_step()
            .expect("the form for the code, not a refusal");
        assert_eq!(next.state_name(), Some("sent_email"));
        let wrong = UpdateLoginFlowWithCodeMethod::new()
            .identifier(EMAIL)
            .code("000000");
        let refused = api.update_login_flow(&flow.id, wrong).send().await;
        seen.outcome("wrong code", &refused);
        let code = kratos
            .last_code(EMAIL)
            .await
            .unwrap()
            .expect("a code was sent");
        let right = UpdateLoginFlowWithCodeMethod::new()
            .identifier(EMAIL)
            .code(code);
        let done = api.update_login_flow(&flow.id, right).send().await;
        seen.outcome("right code", &done);
        let done = done.unwrap();
        seen.session("signed in", &done.session);
        let unknown = api.create_native_login_flow().send().await.unwrap();
        let nobody = UpdateLoginFlowWithCodeMethod::new().identifier("nobody@example.com");
        let answer = api.update_login_flow(&unknown.id, nobody).send().await;
        seen.outcome("an unknown address", &answer);
    })
    .await;
}
