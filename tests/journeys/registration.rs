//! Registration by password: the form, Kratos's validation messages, the
//! session it starts, what a signed-in user is refused, social sign-in, a
//! disabled registration, a custom schema, and the session token exchange.

use kratos_client::models::{
    ContinueWith, UpdateRegistrationFlowBody, UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::testing::{TestKratos, TraitKind};
use kratos_client::{
    Error, ErrorId, ExchangeSessionTokenError, GetRegistrationFlowError,
    UpdateRegistrationFlowError,
};
use serde_json::{json, Map, Value};

use crate::seen::{on_each, Seen};

pub fn traits(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("traits are an object")
}

pub fn password_body(email: &str, password: &str) -> UpdateRegistrationFlowBody {
    UpdateRegistrationFlowWithPasswordMethod::new(
        password,
        traits(json!({"email": email, "name": "Ada"})),
    )
    .into()
}

#[tokio::test]
async fn registration_by_password_with_a_short_password_then_a_good_one() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            seen.flow("new flow", &flow);
            let needed: Vec<(&str, &str, bool)> = flow
                .inputs_for("password")
                .iter()
                .map(|i| (i.name, i.input_type, i.required))
                .collect();
            assert!(
                needed.contains(&("traits.email", "email", true)),
                "{needed:?}"
            );
            assert!(
                needed.contains(&("password", "password", true)),
                "{needed:?}"
            );

            let err = api
                .update_registration_flow(&flow.id, password_body("ada@example.com", "short"))
                .send()
                .await
                .unwrap_err();
            seen.error("short password", &err);
            let Error::Api(UpdateRegistrationFlowError::BadRequest(again)) = err else {
                panic!("expected the flow back, got {err:?}")
            };
            assert_eq!(again.id, flow.id);
            let errors = again.errors();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, Some("password"));
            assert_eq!(errors[0].id(), 4000032);

            let done = api
                .update_registration_flow(
                    &flow.id,
                    password_body("ada@example.com", "correct horse battery"),
                )
                .send()
                .await
                .unwrap();
            seen.session("registered", done.session.as_ref().expect("a session"));
            let items = done.continue_with.clone().unwrap_or_default();
            let actions: Vec<&str> = ContinueWith::in_order(&items)
                .iter()
                .map(|c| c.action())
                .collect();
            seen.note("registered, continue with", format!("{actions:?}"));
            let token = done.session_token.clone().expect("a session token");
            assert!(token.starts_with("ory_st_"));
            assert_eq!(ContinueWith::session_token(&items), Some(token.as_str()));

            let session = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("whoami", &session);
            assert_eq!(
                session.identity.as_ref().map(|i| i.id.as_str()),
                Some(done.identity.id.as_str())
            );

            // Kratos sends a verification code to the new address.
            let messages = kratos.messages().await.unwrap();
            let kinds: Vec<(&str, &str)> = messages
                .iter()
                .map(|m| (m.recipient.as_str(), m.template_type.as_str()))
                .collect();
            seen.note("messages", format!("{kinds:?}"));
            assert_eq!(kinds, [("ada@example.com", "verification_code_valid")]);
            assert_eq!(messages[0].code().len(), 6);

            let err = api
                .create_native_registration_flow()
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            seen.error("signed in, new flow", &err);
            assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));

            let other = api.create_native_registration_flow().send().await.unwrap();
            let err = api
                .update_registration_flow(
                    &other.id,
                    password_body("bo@example.com", "long enough password"),
                )
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            seen.error("signed in, submit", &err);
            assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));
        },
    )
    .await;
}

#[tokio::test]
async fn missing_and_malformed_traits_and_taken_identifiers_get_kratos_messages() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            let submit = async |body: UpdateRegistrationFlowBody| {
                api.update_registration_flow(&flow.id, body).send().await
            };

            // An empty address is not an address (4000001); none at all is a
            // missing property (4000002).
            let empty = submit(password_body("", "long enough password")).await;
            seen.outcome("empty email", &empty);
            let Err(Error::Api(UpdateRegistrationFlowError::BadRequest(empty))) = empty else {
                panic!("expected the flow back, got {empty:?}")
            };
            let errors = empty.errors();
            assert_eq!(
                (errors[0].field, errors[0].id()),
                (Some("traits.email"), 4000001)
            );
            let none = UpdateRegistrationFlowWithPasswordMethod::new(
                "long enough password",
                traits(json!({"name": "Ada"})),
            );
            let missing = submit(none.into()).await;
            seen.outcome("no email", &missing);
            let Err(Error::Api(UpdateRegistrationFlowError::BadRequest(missing))) = missing else {
                panic!("expected the flow back, got {missing:?}")
            };
            let errors = missing.errors();
            assert_eq!(
                (errors[0].field, errors[0].id()),
                (Some("traits.email"), 4000002)
            );

            let malformed = submit(password_body("not-an-email", "long enough password")).await;
            seen.outcome("not an email", &malformed);
            let Err(Error::Api(UpdateRegistrationFlowError::BadRequest(malformed))) = malformed
            else {
                panic!("expected the flow back, got {malformed:?}")
            };
            assert_eq!(malformed.errors()[0].field, Some("traits.email"));

            let done = submit(password_body("grace@example.com", "long enough password")).await;
            seen.outcome("registered", &done);
            assert!(done.is_ok());

            let again = api.create_native_registration_flow().send().await.unwrap();
            let taken = api
                .update_registration_flow(
                    &again.id,
                    password_body("Grace@Example.com", "another long password"),
                )
                .send()
                .await;
            seen.outcome("taken", &taken);
            let Err(Error::Api(UpdateRegistrationFlowError::BadRequest(taken))) = taken else {
                panic!("expected the flow back, got {taken:?}")
            };
            let errors = taken.errors();
            assert_eq!((errors[0].field, errors[0].id()), (None, 4000007));
        },
    )
    .await;
}

#[tokio::test]
async fn a_custom_identity_schema_is_what_the_form_asks_for() {
    let builder = TestKratos::builder()
        .identity_trait("username", "Username", TraitKind::Text, true)
        .identity_trait("contact", "Contact e-mail", TraitKind::Email, false);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let flow = kratos
            .frontend()
            .create_native_registration_flow()
            .send()
            .await
            .unwrap();
        seen.flow("new flow", &flow);
        let names: Vec<&str> = flow.inputs_for("password").iter().map(|i| i.name).collect();
        for name in ["traits.username", "traits.contact", "password"] {
            assert!(names.contains(&name), "{names:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_unknown_flow_is_404() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let err = kratos
                .frontend()
                .get_registration_flow("00000000-0000-4000-8000-000000000000")
                .send()
                .await
                .unwrap_err();
            seen.error("unknown flow", &err);
            assert!(
                matches!(err, Error::Api(GetRegistrationFlowError::NotFound(_))),
                "{err:?}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_disabled_registration_refuses_to_start() {
    let closed = TestKratos::builder().registration_enabled(false);
    on_each(closed, async |kratos: &TestKratos, seen: &mut Seen| {
        let err = kratos
            .frontend()
            .create_native_registration_flow()
            .send()
            .await
            .unwrap_err();
        seen.error("disabled", &err);
        assert_eq!(err.error_id(), Some(ErrorId::SelfServiceFlowDisabled));
    })
    .await;
}

#[tokio::test]
async fn social_sign_in_asks_for_a_browser_with_422() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            assert!(flow.ui.methods().contains(&"oidc"));
            let body: UpdateRegistrationFlowBody =
                serde_json::from_value(json!({"method": "oidc", "provider": "github"})).unwrap();
            let err = api
                .update_registration_flow(&flow.id, body)
                .send()
                .await
                .unwrap_err();
            seen.error("oidc", &err);
            assert_eq!(err.error_id(), Some(ErrorId::BrowserLocationChangeRequired));
            let Error::Api(UpdateRegistrationFlowError::UnprocessableEntity(body)) = &err else {
                panic!("expected 422, got {err:?}")
            };
            let to = body.redirect_browser_to.as_deref().unwrap_or_default();
            seen.note(
                "oidc, redirect to",
                to.split('?').next().unwrap_or_default(),
            );
            assert!(
                to.starts_with("https://github.com/login/oauth/authorize"),
                "{to}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn session_token_exchange_codes_trade_for_the_token() {
    let builder = TestKratos::builder().allowed_return_urls(["myapp://done"]);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let api = kratos.frontend();
        let flow = api
            .create_native_registration_flow()
            .return_session_token_exchange_code(true)
            .return_to("myapp://done")
            .send()
            .await
            .unwrap();
        seen.flow("new flow", &flow);
        let init_code = flow
            .session_token_exchange_code
            .clone()
            .expect("an exchange code");

        let err = api
            .exchange_session_token(&init_code, "not-yet")
            .send()
            .await
            .unwrap_err();
        seen.error("too early", &err);
        assert!(
            matches!(err, Error::Api(ExchangeSessionTokenError::NotFound(_))),
            "{err:?}"
        );

        let done = api
            .update_registration_flow(
                &flow.id,
                password_body("lin@example.com", "long enough password"),
            )
            .send()
            .await
            .unwrap();
        seen.session("registered", done.session.as_ref().unwrap());
        // Kratos hands the second code to the browser that finished social
        // sign-in; a password registration gives the token directly and
        // leaves nothing to exchange.
        let items = done.continue_with.clone().unwrap_or_default();
        let actions: Vec<&str> = items.iter().map(|c| c.action()).collect();
        seen.note("registered, continue with", format!("{actions:?}"));
        assert!(done.session_token.is_some());
        let err = api
            .exchange_session_token(&init_code, "not-the-code")
            .send()
            .await
            .unwrap_err();
        seen.error("after a password registration", &err);
        assert!(
            matches!(err, Error::Api(ExchangeSessionTokenError::NotFound(_))),
            "{err:?}"
        );

        // A return address the server does not allow is refused.
        let err = api
            .create_native_registration_flow()
            .return_to("https://elsewhere.example/")
            .send()
            .await
            .unwrap_err();
        seen.error("foreign return_to", &err);
        assert_eq!(
            err.error_id(),
            Some(ErrorId::SelfServiceFlowReturnToForbidden)
        );
    })
    .await;
}

#[tokio::test]
async fn an_expired_registration_flow_answers_410_with_a_new_flow_to_continue_with() {
    let builder = TestKratos::builder().flow_lifetime(crate::EXPIRING);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let api = kratos.frontend();
        let flow = api.create_native_registration_flow().send().await.unwrap();
        crate::wait_for_expiry().await;

        let err = api
            .get_registration_flow(&flow.id)
            .send()
            .await
            .unwrap_err();
        seen.error("fetch expired", &err);
        let Error::Api(GetRegistrationFlowError::Gone(body)) = &err else {
            panic!("expected 410, got {err:?}")
        };
        // Fetching it names no replacement: the app starts a new flow.
        assert_eq!(body.error_id(), Some(ErrorId::SelfServiceFlowExpired));
        assert!(body.replacement_flow_id().is_none());

        let err = api
            .update_registration_flow(
                &flow.id,
                password_body("max@example.com", "long enough password"),
            )
            .send()
            .await
            .unwrap_err();
        seen.error("submit expired", &err);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(410));
        // Submitting it names the flow Kratos started in its place.
        let replacement = err.replacement_flow_id().expect("a replacement flow");
        assert_ne!(replacement, flow.id);
        let fresh = api.get_registration_flow(replacement).send().await.unwrap();
        seen.flow("replacement", &fresh);
    })
    .await;
}
