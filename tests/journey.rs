//! The whole native registration journey against `MockKratos`: create a
//! flow, submit, read validation messages, resubmit, use the session.

use kratos_client::models::{
    ContinueWith, UpdateRegistrationFlowBody, UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::testing::{MockKratos, TraitKind};
use kratos_client::{
    CreateNativeRegistrationFlowError, Error, ErrorId, ExchangeSessionTokenError,
    GetRegistrationFlowError, ToSessionError, UpdateRegistrationFlowError,
};
use serde_json::{json, Map, Value};

fn traits(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("traits are an object")
}

fn password_body(email: &str, password: &str) -> UpdateRegistrationFlowBody {
    UpdateRegistrationFlowWithPasswordMethod::new(
        password,
        traits(json!({"email": email, "name": "Ada"})),
    )
    .into()
}

#[tokio::test]
async fn register_with_a_too_short_password_then_a_good_one_then_use_the_session() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();

    let flow = api.create_native_registration_flow().send().await.unwrap();
    let needed: Vec<(&str, &str, bool)> = flow
        .inputs_for("password")
        .iter()
        .map(|i| (i.name, i.input_type, i.required))
        .collect();
    assert_eq!(
        needed,
        [
            ("traits.email", "email", true),
            ("traits.name", "text", false),
            ("password", "password", true),
        ]
    );

    // Too short: the flow comes back with a message on the password field.
    let err = api
        .update_registration_flow(&flow.id, password_body("ada@example.com", "short"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let Error::Api(UpdateRegistrationFlowError::BadRequest(again)) = err else {
        panic!("expected the flow back, got {err:?}")
    };
    assert_eq!(again.id, flow.id);
    let errors = again.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, Some("password"));
    assert_eq!(errors[0].id(), 4000032);
    assert_eq!(
        errors[0].text.text,
        "The password must be at least 8 characters long, but got 5."
    );
    // What the user typed is kept in the form, but not the password.
    let email = again
        .inputs_for("password")
        .into_iter()
        .find(|i| i.name == "traits.email")
        .unwrap();
    assert_eq!(email.value, Some(&json!("ada@example.com")));

    // Long enough: registered and signed in.
    let done = api
        .update_registration_flow(
            &flow.id,
            password_body("ada@example.com", "correct horse battery"),
        )
        .send()
        .await
        .unwrap();
    let token = done.session_token.clone().expect("a session token");
    assert!(token.starts_with("ory_st_"));
    assert_eq!(done.identity.traits["email"], "ada@example.com");
    assert!(matches!(
        done.continue_with.as_deref(),
        Some([ContinueWith::SetOrySessionToken(set)]) if set.ory_session_token == token
    ));
    assert_eq!(kratos.identity_count(), 1);

    // The token works with whoami...
    let session = api.to_session().session_token(&token).send().await.unwrap();
    assert_eq!(
        session.identity.as_ref().map(|i| i.id.as_str()),
        Some(done.identity.id.as_str())
    );
    assert_eq!(session.active, Some(true));

    // ...and Kratos refuses to start another registration with it.
    let err = api
        .create_native_registration_flow()
        .session_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));
    assert!(matches!(
        err,
        Error::Api(CreateNativeRegistrationFlowError::BadRequest(_))
    ));
    assert!(
        !format!("{err} {err:?}").contains(&token),
        "the token leaked into the error"
    );

    // Submitting a form with the token is refused the same way; Kratos sends
    // its error object where the document names the flow.
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
    assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));
    assert!(matches!(
        err,
        Error::Api(UpdateRegistrationFlowError::Default { status, .. }) if status.as_u16() == 400
    ));
    assert_eq!(kratos.identity_count(), 1);
}

#[tokio::test]
async fn missing_and_malformed_traits_and_taken_identifiers_get_kratos_messages() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();

    let submit =
        |body: UpdateRegistrationFlowBody| api.update_registration_flow(&flow.id, body).send();
    let flow_back = |result: Result<_, Error<UpdateRegistrationFlowError>>| match result {
        Err(Error::Api(UpdateRegistrationFlowError::BadRequest(flow))) => flow,
        other => panic!("expected the flow back, got {other:?}"),
    };

    let missing = flow_back(submit(password_body("", "long enough password")).await);
    let errors = missing.errors();
    assert_eq!(
        (errors[0].field, errors[0].id()),
        (Some("traits.email"), 4000002)
    );
    assert_eq!(errors[0].text.text, "Property email is missing.");
    assert_eq!(
        errors[0]
            .text
            .context
            .as_ref()
            .and_then(|c| c.get("property")),
        Some(&json!("email"))
    );

    let malformed = flow_back(submit(password_body("not-an-email", "long enough password")).await);
    let errors = malformed.errors();
    assert_eq!(
        (errors[0].field, errors[0].id()),
        (Some("traits.email"), 4000040)
    );

    submit(password_body("grace@example.com", "long enough password"))
        .await
        .unwrap();
    let taken = flow_back(
        api.update_registration_flow(
            &api.create_native_registration_flow()
                .send()
                .await
                .unwrap()
                .id,
            password_body("Grace@Example.com", "another long password"),
        )
        .send()
        .await,
    );
    let errors = taken.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].field, errors[0].id()),
        (None, 4000007),
        "a form-level message"
    );
}

#[tokio::test]
async fn a_custom_identity_schema_is_what_the_form_asks_for() {
    let kratos = MockKratos::builder()
        .identity_trait("username", "Username", TraitKind::Text, true)
        .identity_trait("contact", "Contact e-mail", TraitKind::Email, false)
        .start()
        .await;
    let flow = kratos
        .frontend()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = flow.inputs_for("password").iter().map(|i| i.name).collect();
    assert_eq!(names, ["traits.username", "traits.contact", "password"]);
}

#[tokio::test]
async fn session_token_exchange_codes_trade_for_the_token() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api
        .create_native_registration_flow()
        .return_session_token_exchange_code(true)
        .return_to("myapp://done")
        .send()
        .await
        .unwrap();
    let init_code = flow
        .session_token_exchange_code
        .clone()
        .expect("an exchange code");
    assert!(
        kratos.return_to_code(&flow.id).is_none(),
        "nothing to exchange before registering"
    );

    // Too early: Kratos has no session for these codes yet.
    let err = api
        .exchange_session_token(&init_code, "not-yet")
        .send()
        .await
        .unwrap_err();
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
    let return_to_code = kratos.return_to_code(&flow.id).expect("a return_to code");
    let exchanged = api
        .exchange_session_token(&init_code, &return_to_code)
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.session_token, done.session_token);
    assert_eq!(
        exchanged.session.identity.as_ref().map(|i| &i.id),
        Some(&done.identity.id)
    );

    // Codes work once.
    let err = api
        .exchange_session_token(&init_code, &return_to_code)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[cfg(kratos_bundled_spec)]
#[tokio::test]
async fn an_expired_flow_answers_410_with_a_new_flow_to_continue_with() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    assert!(kratos.expire_flow(&flow.id));

    let err = api
        .get_registration_flow(&flow.id)
        .send()
        .await
        .unwrap_err();
    let Error::Api(GetRegistrationFlowError::Gone(body)) = &err else {
        panic!("expected 410, got {err:?}")
    };
    assert_eq!(body.error_id(), Some(ErrorId::SelfServiceFlowExpired));
    assert!(body.expired_at.is_some());
    let replacement = body
        .replacement_flow_id()
        .expect("a replacement flow")
        .to_string();
    assert_ne!(replacement, flow.id);

    let fresh = api
        .get_registration_flow(&replacement)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.id, replacement);

    // Submitting to the expired flow is refused the same way.
    let err = api
        .update_registration_flow(
            &flow.id,
            password_body("max@example.com", "long enough password"),
        )
        .send()
        .await
        .unwrap_err();
    let Error::Api(UpdateRegistrationFlowError::Gone(body)) = &err else {
        panic!("expected 410, got {err:?}")
    };
    let next = body.replacement_flow_id().unwrap();
    api.update_registration_flow(
        next,
        password_body("max@example.com", "long enough password"),
    )
    .send()
    .await
    .expect("the replacement flow accepts the registration");
}

#[tokio::test]
async fn social_sign_in_asks_for_a_browser_with_422() {
    let kratos = MockKratos::start().await;
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
    assert_eq!(err.error_id(), Some(ErrorId::BrowserLocationChangeRequired));
    let Error::Api(UpdateRegistrationFlowError::UnprocessableEntity(body)) = &err else {
        panic!("expected 422, got {err:?}")
    };
    let to = body.redirect_browser_to.as_deref().unwrap();
    assert!(
        to.starts_with("https://github.example/oauth/authorize"),
        "{to}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
}

#[tokio::test]
async fn whoami_without_a_session_is_401_session_inactive() {
    let kratos = MockKratos::start().await;
    let err = kratos
        .frontend()
        .to_session()
        .session_token("ory_st_unknown")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(ToSessionError::Unauthorized(_))),
        "{err:?}"
    );
    assert_eq!(err.error_id(), Some(ErrorId::SessionInactive));
}

#[tokio::test]
async fn unknown_flows_and_disabled_registration_are_refused() {
    let kratos = MockKratos::start().await;
    let err = kratos
        .frontend()
        .get_registration_flow("00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(GetRegistrationFlowError::NotFound(_))),
        "{err:?}"
    );

    let closed = MockKratos::builder()
        .registration_enabled(false)
        .start()
        .await;
    let err = closed
        .frontend()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SelfServiceFlowDisabled));
}

/// The signed-in user's other sessions: none right after registering (the
/// current one is left out), a page Kratos would send with its `Link`
/// header, and 401 `session_inactive` without a session.
#[tokio::test]
async fn listing_my_other_sessions_after_registering() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let done = api
        .update_registration_flow(
            &flow.id,
            password_body("ada@example.com", "correct horse battery staple"),
        )
        .send()
        .await
        .unwrap();
    let token = done.session_token.unwrap();

    let response = api
        .list_my_sessions()
        .page_size(10)
        .session_token(token.as_str())
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(
        response.header("link"),
        Some("</sessions?page_size=10&page_token=00000000-0000-0000-0000-000000000000>; rel=\"first\""),
        "the first-page link only, as Kratos writes it on a last page"
    );
    let page = response.into_inner();
    assert!(page.items.is_empty() && page.is_last());
    assert!(api
        .list_my_sessions()
        .session_token(token.as_str())
        .all()
        .await
        .unwrap()
        .is_empty());

    let err = api.list_my_sessions().send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api(kratos_client::ListMySessionsError::Unauthorized(_))
        ),
        "{err:?}"
    );
    assert_eq!(err.error_id(), Some(ErrorId::SessionInactive));
    let err = api
        .list_my_sessions()
        .page_size(0)
        .session_token(token.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));

    // What the app sent, as the mock's own type; the token stays out of Debug.
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

/// Signing in again with the password registered: a new session each time;
/// a wrong password is the flow again with Kratos's 4000006 on the form and
/// the identifier kept; the other sessions page one at a time; a refresh
/// login keeps the session and renews its authentication time.
#[tokio::test]
async fn log_in_with_the_registered_password_and_page_through_the_sessions() {
    use kratos_client::models::UpdateLoginFlowWithPasswordMethod as Password;
    use kratos_client::UpdateLoginFlowError;

    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let first = api
        .update_registration_flow(
            &flow.id,
            password_body("Ada@Example.com", "correct horse battery staple"),
        )
        .send()
        .await
        .unwrap()
        .session_token
        .unwrap();

    // A wrong password.
    let login = api.create_native_login_flow().send().await.unwrap();
    assert_eq!(
        login
            .inputs_for("password")
            .iter()
            .map(|i| i.name)
            .collect::<Vec<_>>(),
        ["identifier", "password"]
    );
    let wrong = api
        .update_login_flow(
            &login.id,
            Password::new("ada@example.com", "not my password"),
        )
        .send()
        .await
        .unwrap_err();
    let Error::Api(UpdateLoginFlowError::BadRequest(again)) = wrong else {
        panic!("expected the flow back, got {wrong:?}")
    };
    assert!(again.has_errors());
    assert_eq!(again.errors()[0].id(), 4000006);
    assert_eq!(
        again.node("identifier").and_then(|n| match &n.attributes {
            kratos_client::models::UiNodeAttributes::Input(i) => i.value.clone(),
            _ => None,
        }),
        Some(json!("ada@example.com"))
    );

    // The right one, three times: three more sessions.
    let mut tokens = vec![first.clone()];
    for _ in 0..3 {
        let login = api.create_native_login_flow().send().await.unwrap();
        let done = api
            .update_login_flow(
                &login.id,
                Password::new("ada@example.com", "correct horse battery staple"),
            )
            .send()
            .await
            .unwrap();
        assert!(done.session.identity.is_some());
        tokens.push(done.session_token.unwrap());
    }
    let whoami = api
        .to_session()
        .session_token(tokens[3].as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        whoami
            .authenticator_assurance_level
            .as_ref()
            .map(|a| a.as_str()),
        Some("aal1")
    );

    // From the first session, the three others, one page at a time.
    let others = api
        .list_my_sessions()
        .page_size(1)
        .session_token(first.as_str())
        .all()
        .await
        .unwrap();
    assert_eq!(others.len(), 3);
    let current = api
        .to_session()
        .session_token(first.as_str())
        .send()
        .await
        .unwrap();
    assert!(
        others.iter().all(|s| s.id != current.id),
        "the current session is left out"
    );
    assert!(
        others.iter().any(|s| s.id == whoami.id),
        "the others are listed"
    );
    let requests = kratos.received_requests().await;
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.url.path() == "/sessions")
            .count(),
        3,
        "one request a page"
    );

    // Signed in, a login flow needs `refresh`; a refresh keeps the session.
    let err = api
        .create_native_login_flow()
        .session_token(first.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SessionAlreadyAvailable));
    let before = api
        .to_session()
        .session_token(first.as_str())
        .send()
        .await
        .unwrap();
    let refresh = api
        .create_native_login_flow()
        .refresh(true)
        .session_token(first.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.refresh, Some(true));
    let done = api
        .update_login_flow(
            &refresh.id,
            Password::new("ada@example.com", "correct horse battery staple"),
        )
        .session_token(first.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(done.session_token.as_deref(), Some(first.as_str()));
    assert_eq!(done.session.id, before.id);
    assert!(done.session.authenticated_at >= before.authenticated_at);
}

/// Ending sessions: one by id (not the current one), all the others (with
/// their count), and signing out, after which the token is refused; signing
/// out with a token Kratos does not know is its 403.
#[tokio::test]
async fn revoke_sessions_and_sign_out() {
    use kratos_client::models::{
        PerformNativeLogoutBody, UpdateLoginFlowWithPasswordMethod as Password,
    };

    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let password = "correct horse battery staple";
    let main = api
        .update_registration_flow(&flow.id, password_body("ada@example.com", password))
        .send()
        .await
        .unwrap()
        .session_token
        .unwrap();
    let mut others = Vec::new();
    for _ in 0..3 {
        let login = api.create_native_login_flow().send().await.unwrap();
        let done = api
            .update_login_flow(&login.id, Password::new("ada@example.com", password))
            .send()
            .await
            .unwrap();
        others.push(done.session.id);
    }
    let current = api
        .to_session()
        .session_token(main.as_str())
        .send()
        .await
        .unwrap();

    // One by id; not the current one; not twice.
    api.disable_my_session(&others[0])
        .session_token(main.as_str())
        .send()
        .await
        .unwrap();
    let err = api
        .disable_my_session(&current.id)
        .session_token(main.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let err = api
        .disable_my_session(&others[0])
        .session_token(main.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));

    // All the others, counted.
    let ended = api
        .disable_my_other_sessions()
        .session_token(main.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(ended.count, Some(2));
    let left = api
        .list_my_sessions()
        .session_token(main.as_str())
        .all()
        .await
        .unwrap();
    assert!(left.is_empty());

    // Signing out ends the session itself.
    api.perform_native_logout(PerformNativeLogoutBody::new(main.as_str()))
        .send()
        .await
        .unwrap();
    let err = api
        .to_session()
        .session_token(main.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SessionInactive));
    let err = api
        .perform_native_logout(PerformNativeLogoutBody::new(main.as_str()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
    assert!(
        !format!("{err:?}{err}").contains(&main),
        "the token stays out of the error"
    );
}
