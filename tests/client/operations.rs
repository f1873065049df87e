//! Each journey operation against a plain mock server: the request it sends,
//! its success answer, and every error status it documents, decoded into the
//! variant for that status.

use crate::common::{fixture, only_request, query_pairs};
use kratos_client::models::{
    ContinueWith, UpdateRegistrationFlowBody, UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::{
    Error, ErrorId, ExchangeSessionTokenError, FrontendApi, GetRegistrationFlowError,
    OperationError, ToSessionError, UpdateRegistrationFlowError,
};
use serde_json::{json, Map, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ory_st_b3KfQ9wLx2mVt7RcZp4NhY8dJe6sUa1G";
const FLOW_ID: &str = "5a7c9e1b-3d5f-4a8c-9e2b-6d8f0a2c4e61";

/// A server answering `verb route` with `status` and the JSON `body`.
async fn answering(verb: &str, route: &str, status: u16, body: &str) -> (MockServer, FrontendApi) {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_raw(body.as_bytes().to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).expect("a valid base URL");
    (server, api)
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Kratos's standard error answer.
fn error_body(code: u16, status: &str, id: Option<&str>, reason: &str) -> String {
    let mut error =
        json!({"code": code, "status": status, "message": "request failed", "reason": reason});
    if let Some(id) = id {
        error["id"] = json!(id);
    }
    json!({ "error": error }).to_string()
}

fn password_body() -> UpdateRegistrationFlowBody {
    let mut traits = Map::new();
    traits.insert("email".into(), json!("ada@example.com"));
    UpdateRegistrationFlowWithPasswordMethod::new("correct horse battery staple", traits).into()
}

/// The error's status, its variant's status and its Kratos id, which every
/// documented error answer must agree on.
fn check_error<E: OperationError>(err: &Error<E>, status: u16, id: Option<ErrorId>) {
    assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err:?}");
    let api = err
        .api()
        .unwrap_or_else(|| panic!("{status}: expected a documented answer, got {err:?}"));
    assert_eq!(api.status().as_u16(), status);
    assert_eq!(err.error_id(), id, "{status}");
}

// --- getRegistrationFlow -------------------------------------------------

#[tokio::test]
async fn get_registration_flow_sends_the_id_and_decodes_the_flow() {
    let (server, api) = answering(
        "GET",
        "/self-service/registration/flows",
        200,
        &fixture("registration_flow.json"),
    )
    .await;
    let flow = api
        .get_registration_flow(FLOW_ID)
        .session_token(TOKEN)
        .send()
        .await
        .expect("a flow");
    assert_eq!(flow.r#type, "api");
    assert!(flow.node("password").is_some());

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(
        query_pairs(&request),
        [("id".to_string(), FLOW_ID.to_string())]
    );
    assert_eq!(header(&request, "x-session-token"), Some(TOKEN));
    assert_eq!(header(&request, "cookie"), None);
}

#[tokio::test]
async fn get_registration_flow_errors_are_typed_by_status() {
    let route = "/self-service/registration/flows";
    let cases = [
        (403, "Forbidden", Some("security_identity_mismatch")),
        (404, "Not Found", None),
        (410, "Gone", Some("self_service_flow_expired")),
        (500, "Internal Server Error", None),
        (504, "Gateway Timeout", None),
    ];
    for (status, text, id) in cases {
        let (_server, api) =
            answering("GET", route, status, &error_body(status, text, id, "r")).await;
        let err = api.get_registration_flow(FLOW_ID).send().await.unwrap_err();
        check_error(&err, status, id.map(ErrorId::from));
        let matched = match (status, err.api()) {
            (403, Some(GetRegistrationFlowError::Forbidden(_)))
            | (404, Some(GetRegistrationFlowError::NotFound(_)))
            | (410, Some(GetRegistrationFlowError::Gone(_))) => true,
            (_, Some(GetRegistrationFlowError::Default { status: s, .. })) => s.as_u16() == status,
            _ => false,
        };
        assert!(matched, "{status}: wrong variant {err:?}");
    }
}

/// Needs our document: `use_flow_id` is not in the upstream ones.
#[cfg(kratos_bundled_spec)]
#[tokio::test]
async fn a_410_names_the_replacement_flow() {
    let body = json!({
        "error": {"id": "self_service_flow_expired", "code": 410, "status": "Gone",
                  "message": "self-service flow expired", "reason": "The self-service flow expired 0.52 minutes ago, initialize a new one."},
        "expired_at": "2026-11-24T09:00:00Z",
        "since": 31_200_000_000_i64,
        "use_flow_id": "0d2f4a6c-8e1b-4c3d-9f5a-7b9d1f3a5c72"
    });
    let (_server, api) = answering(
        "GET",
        "/self-service/registration/flows",
        410,
        &body.to_string(),
    )
    .await;
    let err = api.get_registration_flow(FLOW_ID).send().await.unwrap_err();
    assert_eq!(err.error_id(), Some(ErrorId::SelfServiceFlowExpired));
    assert_eq!(
        err.replacement_flow_id(),
        Some("0d2f4a6c-8e1b-4c3d-9f5a-7b9d1f3a5c72")
    );
    let Some(GetRegistrationFlowError::Gone(gone)) = err.api() else {
        panic!("expected Gone, got {err:?}")
    };
    assert_eq!(gone.since, Some(31_200_000_000));
    assert_eq!(gone.expired_at.as_deref(), Some("2026-11-24T09:00:00Z"));
}

// --- updateRegistrationFlow ----------------------------------------------

#[tokio::test]
async fn update_registration_flow_posts_the_body_once_and_decodes_the_success() {
    let (server, api) = answering(
        "POST",
        "/self-service/registration",
        200,
        &fixture("successful_native_registration.json"),
    )
    .await;
    let done = api
        .update_registration_flow(FLOW_ID, password_body())
        .send()
        .await
        .expect("registered");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        query_pairs(&request),
        [("flow".to_string(), FLOW_ID.to_string())]
    );
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(header(&request, "x-session-token"), None);
    let sent: Value = serde_json::from_slice(&request.body).expect("a JSON body");
    assert_eq!(
        sent,
        json!({"method": "password", "password": "correct horse battery staple", "traits": {"email": "ada@example.com"}})
    );
    let text = String::from_utf8_lossy(&request.body);
    assert_eq!(
        text.matches("\"method\"").count(),
        1,
        "the tag once: {text}"
    );

    assert_eq!(done.session_token.as_deref(), Some(TOKEN));
    assert_eq!(done.identity.traits["email"], "ada@example.com");
    let session = done.session.as_ref().expect("a session");
    assert_eq!(session.active, Some(true));
    assert_eq!(
        session.identity.as_ref().map(|i| i.id.as_str()),
        Some(done.identity.id.as_str())
    );

    let items = done.continue_with.as_deref().expect("continue_with");
    let actions: Vec<&str> = items.iter().map(ContinueWith::action).collect();
    assert_eq!(
        actions,
        [
            "set_ory_session_token",
            "show_verification_ui",
            "show_passkey_enrollment_ui"
        ]
    );
    let ContinueWith::SetOrySessionToken(set) = &items[0] else {
        panic!("{:?}", items[0])
    };
    assert_eq!(set.ory_session_token, TOKEN);
    let ContinueWith::VerificationUi(verify) = &items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(verify.flow.verifiable_address, "ada@example.com");
    // An action newer than our document is kept as sent.
    let ContinueWith::Unknown(newer) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert_eq!(newer["flow"]["id"], "3a5c7e9b-1d2f-4a6c-8e0b-4d6f8a0c2e55");
}

#[tokio::test]
async fn update_registration_flow_sends_the_session_token_when_given() {
    let (server, api) = answering(
        "POST",
        "/self-service/registration",
        400,
        &fixture("error_session_already_available.json"),
    )
    .await;
    let err = api
        .update_registration_flow(FLOW_ID, password_body())
        .session_token(TOKEN)
        .send()
        .await
        .unwrap_err();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "x-session-token"), Some(TOKEN));
    // The document names the flow as this operation's 400 body, but Kratos
    // sends its error object when a session already exists: that is
    // `Refused`, typed, not a decode error.
    check_error(&err, 400, Some(ErrorId::SessionAlreadyAvailable));
    assert!(
        matches!(err.api(), Some(UpdateRegistrationFlowError::Refused(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_400_from_update_is_the_flow_with_its_messages() {
    let mut flow: Value = serde_json::from_str(&fixture("registration_flow.json")).unwrap();
    // What Kratos sends back for a password below the minimum length.
    let nodes = flow["ui"]["nodes"].as_array_mut().unwrap();
    let password = nodes
        .iter_mut()
        .find(|n| n["attributes"]["name"] == "password")
        .unwrap();
    password["messages"] = json!([{
        "id": 4000032, "type": "error",
        "text": "The password must be at least 8 characters long, but got 5.",
        "context": {"actual_length": 5, "min_length": 8}
    }]);
    flow["ui"]["messages"] = json!([{
        "id": 4000007, "type": "error", "text": "An account with the same identifier (email, phone, username, ...) exists already.", "context": {}
    }]);
    let (_server, api) =
        answering("POST", "/self-service/registration", 400, &flow.to_string()).await;
    let err = api
        .update_registration_flow(FLOW_ID, password_body())
        .send()
        .await
        .unwrap_err();
    check_error(&err, 400, None);
    let Some(UpdateRegistrationFlowError::BadRequest(flow)) = err.api() else {
        panic!("expected the flow back, got {err:?}")
    };
    let errors: Vec<(Option<&str>, i64)> =
        flow.errors().iter().map(|m| (m.field, m.id())).collect();
    assert_eq!(errors, [(None, 4000007), (Some("password"), 4000032)]);
}

#[tokio::test]
async fn update_registration_flow_errors_are_typed_by_status() {
    let route = "/self-service/registration";
    for (status, text, id) in [
        (410, "Gone", Some("self_service_flow_expired")),
        (403, "Forbidden", Some("security_csrf_violation")),
        (500, "Internal Server Error", None),
    ] {
        let (_server, api) =
            answering("POST", route, status, &error_body(status, text, id, "r")).await;
        let err = api
            .update_registration_flow(FLOW_ID, password_body())
            .send()
            .await
            .unwrap_err();
        check_error(&err, status, id.map(ErrorId::from));
        let matched = match err.api() {
            Some(UpdateRegistrationFlowError::Gone(_)) => status == 410,
            Some(UpdateRegistrationFlowError::Default { status: s, .. }) => {
                s.as_u16() == status && status != 410
            }
            _ => false,
        };
        assert!(matched, "{status}: wrong variant {err:?}");
    }
}

#[tokio::test]
async fn a_422_carries_the_browser_address() {
    let body = json!({
        "error": {"id": "browser_location_change_required", "code": 422, "status": "Unprocessable Entity",
                  "reason": "In order to complete this flow please redirect the browser to: https://accounts.example.com/authorize?state=x",
                  "message": "browser location change required"},
        "redirect_browser_to": "https://accounts.example.com/authorize?state=x"
    });
    let (_server, api) =
        answering("POST", "/self-service/registration", 422, &body.to_string()).await;
    let err = api
        .update_registration_flow(FLOW_ID, password_body())
        .send()
        .await
        .unwrap_err();
    check_error(&err, 422, Some(ErrorId::BrowserLocationChangeRequired));
    let Some(UpdateRegistrationFlowError::UnprocessableEntity(redirect)) = err.api() else {
        panic!("expected 422, got {err:?}")
    };
    assert_eq!(
        redirect.redirect_browser_to.as_deref(),
        Some("https://accounts.example.com/authorize?state=x")
    );
}

#[tokio::test]
async fn a_303_for_browsers_is_its_own_variant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(303).insert_header("location", "https://app.example.com/welcome"),
        )
        .mount(&server)
        .await;
    let err = FrontendApi::new(server.uri())
        .unwrap()
        .update_registration_flow(FLOW_ID, password_body())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err.api(), Some(UpdateRegistrationFlowError::SeeOther)),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(303));
}

// --- exchangeSessionToken ------------------------------------------------

#[tokio::test]
async fn exchange_session_token_sends_both_codes_and_decodes_the_session() {
    let (server, api) = answering(
        "GET",
        "/sessions/token-exchange",
        200,
        &fixture("successful_native_login.json"),
    )
    .await;
    let done = api
        .exchange_session_token("init-code-7Hq2", "return-code-9Zx4")
        .send()
        .await
        .expect("exchanged");
    let request = only_request(&server).await;
    let mut pairs = query_pairs(&request);
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("init_code".to_string(), "init-code-7Hq2".to_string()),
            ("return_to_code".to_string(), "return-code-9Zx4".to_string()),
        ]
    );
    assert_eq!(done.session_token.as_deref(), Some(TOKEN));
    assert_eq!(done.session.active, Some(true));
    assert_eq!(
        done.session.identity.as_ref().map(|i| i.schema_id.as_str()),
        Some("default")
    );
}

#[tokio::test]
async fn exchange_session_token_errors_are_typed_by_status() {
    let route = "/sessions/token-exchange";
    for (status, text) in [
        (403, "Forbidden"),
        (404, "Not Found"),
        (410, "Gone"),
        (502, "Bad Gateway"),
    ] {
        let (_server, api) =
            answering("GET", route, status, &error_body(status, text, None, "r")).await;
        let err = api
            .exchange_session_token("a", "b")
            .send()
            .await
            .unwrap_err();
        check_error(&err, status, None);
        let matched = match (status, err.api()) {
            (403, Some(ExchangeSessionTokenError::Forbidden(_)))
            | (404, Some(ExchangeSessionTokenError::NotFound(_)))
            | (410, Some(ExchangeSessionTokenError::Gone(_))) => true,
            (_, Some(ExchangeSessionTokenError::Default { status: s, .. })) => s.as_u16() == status,
            _ => false,
        };
        assert!(matched, "{status}: wrong variant {err:?}");
    }
}

// --- toSession -----------------------------------------------------------

#[tokio::test]
async fn to_session_sends_the_token_and_decodes_the_session() {
    let (server, api) = answering("GET", "/sessions/whoami", 200, &fixture("session.json")).await;
    let session = api
        .to_session()
        .session_token(TOKEN)
        .send()
        .await
        .expect("a session");
    let request = only_request(&server).await;
    assert_eq!(header(&request, "x-session-token"), Some(TOKEN));
    assert_eq!(request.url.query(), None);
    assert_eq!(session.id, "7f3c1a52-9d4e-4b8a-a1f6-0c2e5d8b9a13");
    let identity = session.identity.expect("the identity");
    assert_eq!(identity.traits["email"], "ada@example.com");
    let addresses = identity.verifiable_addresses.expect("addresses");
    assert!(!addresses[0].verified);
}

#[tokio::test]
async fn to_session_errors_are_typed_by_status() {
    let route = "/sessions/whoami";
    for (status, text, id) in [
        (401, "Unauthorized", Some("session_inactive")),
        (403, "Forbidden", Some("session_aal2_required")),
        (500, "Internal Server Error", None),
    ] {
        let (_server, api) =
            answering("GET", route, status, &error_body(status, text, id, "r")).await;
        let err = api
            .to_session()
            .session_token(TOKEN)
            .send()
            .await
            .unwrap_err();
        check_error(&err, status, id.map(ErrorId::from));
        let matched = match (status, err.api()) {
            (401, Some(ToSessionError::Unauthorized(_)))
            | (403, Some(ToSessionError::Forbidden(_))) => true,
            (_, Some(ToSessionError::Default { status: s, .. })) => s.as_u16() == status,
            _ => false,
        };
        assert!(matched, "{status}: wrong variant {err:?}");
    }
}

#[tokio::test]
async fn send_with_response_keeps_the_status_and_headers_beside_the_value() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sessions/whoami"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ory-session-cache-for", "120")
                .insert_header("set-cookie", "ory_kratos_session=C00kie; Path=/; HttpOnly")
                .set_body_raw(fixture("session.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let response = api
        .to_session()
        .session_token("ory_st_x")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("Ory-Session-Cache-For"), Some("120"));
    assert_eq!(response.headers().get_all("set-cookie").iter().count(), 1);
    let debug = format!("{response:?}");
    assert!(
        !debug.contains("C00kie"),
        "Set-Cookie stays out of Debug: {debug}"
    );
    // Through Deref, then whole: the same session `send()` gives.
    let id = response.id.clone();
    let session = response.into_inner();
    assert_eq!(session.id, id);
    assert_eq!(session, api.to_session().send().await.unwrap());
}

/// An optional parameter the caller may or may not have takes one call:
/// `set_x(Some(..))` sends what `x(..)` sends, `set_x(None)` leaves it out.
#[tokio::test]
async fn option_twins_set_or_leave_out_a_parameter() {
    let flow = fixture("registration_flow.json");
    for (cookie, return_to) in [
        (Some("ory_kratos_session=c"), Some("myapp://done")),
        (None, None),
    ] {
        let (server, api) = answering("GET", "/self-service/registration/flows", 200, &flow).await;
        api.get_registration_flow(FLOW_ID)
            .set_cookie(cookie)
            .send()
            .await
            .unwrap();
        let request = only_request(&server).await;
        assert_eq!(header(&request, "cookie"), cookie);
        let (server, api) = answering("GET", "/self-service/registration/api", 200, &flow).await;
        api.create_native_registration_flow()
            .set_return_to(return_to)
            .send()
            .await
            .unwrap();
        let request = only_request(&server).await;
        let sent: Vec<String> = query_pairs(&request)
            .into_iter()
            .filter(|(k, _)| k == "return_to")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            sent,
            return_to
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        );
    }
}
