//! `FrontendApi::create_native_registration_flow` against a mock server:
//! the exact request it sends, and what each kind of answer turns into.

use std::time::Duration;

use crate::common::{fixture, only_request, query_pairs, server_answering, REGISTRATION_API};
use kratos_client::{CreateNativeRegistrationFlowError, Error, ErrorId, FrontendApi, StatusCode};
use serde_json::error::Category;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ory_st_4Qm9Yx7Rb2Lk8Vd1Nc5Tz3Wh6Jp0Sf";

async fn flow_server() -> MockServer {
    server_answering(
        REGISTRATION_API,
        200,
        "application/json",
        &fixture("registration_flow.json"),
    )
    .await
}

/// Needs our document: the v1.3.1 one lacks `organization` and `identity_schema`.
#[cfg(kratos_bundled_spec)]
#[tokio::test]
async fn every_setter_is_sent_as_its_query_parameter() {
    let server = flow_server().await;
    let api = FrontendApi::new(server.uri()).unwrap();
    api.create_native_registration_flow()
        .return_session_token_exchange_code(true)
        .return_to("myapp://done")
        .organization("b8f1c2d3-0000-4000-8000-000000000001")
        .identity_schema("customer")
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), "/self-service/registration/api");
    assert_eq!(
        query_pairs(&request),
        [
            ("return_session_token_exchange_code".into(), "true".into()),
            ("return_to".into(), "myapp://done".into()),
            (
                "organization".into(),
                "b8f1c2d3-0000-4000-8000-000000000001".into()
            ),
            ("identity_schema".into(), "customer".into()),
        ]
    );
}

#[tokio::test]
async fn hard_return_to_values_arrive_intact() {
    let hard = [
        "myapp://done?a=1&b=2",
        "https://example.com/after#fragment",
        "https://example.com/?x=y=z",
        "myapp://done with spaces/and+plus",
        "https://exämple.com/straße?ñ=✓&emoji=🦀",
        "%41 stays %41",
    ];
    for value in hard {
        let server = flow_server().await;
        FrontendApi::new(server.uri())
            .unwrap()
            .create_native_registration_flow()
            .return_to(value)
            .return_session_token_exchange_code(false)
            .send()
            .await
            .unwrap();
        let request = only_request(&server).await;
        assert_eq!(
            query_pairs(&request),
            [
                (
                    "return_session_token_exchange_code".to_string(),
                    "false".to_string()
                ),
                ("return_to".to_string(), value.to_string()),
            ],
            "sent as {:?}",
            request.url.query()
        );
        let raw = request.url.query().unwrap_or("");
        assert!(!raw.contains('#') && !raw.contains(' '), "unencoded: {raw}");
    }
}

#[tokio::test]
async fn unset_parameters_and_headers_are_not_sent() {
    let server = flow_server().await;
    FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.url.query(), None);
    assert!(request.headers.get("x-session-token").is_none());
    assert_eq!(request.headers.get("accept").unwrap(), "application/json");
    let agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(agent.starts_with("kratos-client-rust/"), "{agent}");
}

#[tokio::test]
async fn the_session_token_goes_in_its_header() {
    let server = flow_server().await;
    FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .session_token(TOKEN)
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_eq!(request.headers.get("x-session-token").unwrap(), TOKEN);
}

#[tokio::test]
async fn a_base_url_with_a_path_keeps_it_with_or_without_a_trailing_slash() {
    for suffix in ["/.ory/kratos/public", "/.ory/kratos/public/"] {
        let server = server_answering(
            "/.ory/kratos/public/self-service/registration/api",
            200,
            "application/json",
            &fixture("registration_flow.json"),
        )
        .await;
        let flow = FrontendApi::new(format!("{}{suffix}", server.uri()))
            .unwrap()
            .create_native_registration_flow()
            .return_to("a&b")
            .send()
            .await
            .unwrap_or_else(|e| panic!("base ending in {suffix:?}: {e}"));
        assert_eq!(flow.id, "4c1b0a3e-8f5d-4b7e-9a61-2d3c4e5f6a7b");
        let request = only_request(&server).await;
        assert_eq!(
            request.url.path(),
            "/.ory/kratos/public/self-service/registration/api"
        );
        assert_eq!(
            query_pairs(&request),
            [("return_to".to_string(), "a&b".to_string())]
        );
    }
}

#[tokio::test]
async fn a_base_url_without_a_scheme_is_refused_with_a_reason() {
    let err = FrontendApi::new("auth.example.com").unwrap_err();
    assert!(err.to_string().contains("no scheme"), "{err}");
}

#[tokio::test]
async fn a_200_decodes_into_the_flow() {
    let server = flow_server().await;
    let flow = FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap();
    assert_eq!(flow.ui.nodes.len(), 26);
    assert_eq!(flow.r#type, "api");
}

async fn error_for(
    status: u16,
    content_type: &str,
    body: &str,
) -> Error<CreateNativeRegistrationFlowError> {
    let server = server_answering(REGISTRATION_API, status, content_type, body).await;
    FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .session_token(TOKEN)
        .send()
        .await
        .expect_err("the answer is an error")
}

#[tokio::test]
async fn a_400_session_already_available_is_a_typed_bad_request() {
    let err = error_for(
        400,
        "application/json",
        &fixture("error_session_already_available.json"),
    )
    .await;
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    let Error::Api(CreateNativeRegistrationFlowError::BadRequest(body)) = &err else {
        panic!("expected BadRequest, got {err:?}")
    };
    assert_eq!(body.error.id.as_deref(), Some("session_already_available"));
    assert_eq!(body.error_id(), Some(ErrorId::SessionAlreadyAvailable));
    assert_eq!(body.error.code, Some(400));
    assert_eq!(
        body.error.message,
        "The request was malformed or contained invalid parameters"
    );
    assert!(
        err.to_string().contains("session_already_available"),
        "{err}"
    );
}

#[tokio::test]
async fn a_400_csrf_violation_is_a_typed_bad_request_with_details() {
    let err = error_for(
        400,
        "application/json",
        &fixture("error_security_csrf_violation.json"),
    )
    .await;
    let Some(CreateNativeRegistrationFlowError::BadRequest(body)) = err.api() else {
        panic!("expected BadRequest, got {err:?}")
    };
    assert_eq!(body.error_id(), Some(ErrorId::SecurityCsrfViolation));
    let details = body.error.details.as_ref().expect("details are kept");
    assert_eq!(
        details.get("hint").and_then(|v| v.as_str()),
        Some("The anti-CSRF cookie was not sent with the request.")
    );
}

#[tokio::test]
async fn other_error_statuses_are_default_with_their_status() {
    for (status, name) in [(500, "error_internal.json"), (502, "error_internal.json")] {
        let err = error_for(status, "application/json", &fixture(name)).await;
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        let Error::Api(CreateNativeRegistrationFlowError::Default { status: got, body }) = &err
        else {
            panic!("{status}: expected Default, got {err:?}")
        };
        assert_eq!(got.as_u16(), status);
        assert_eq!(body.error.code, Some(500));
        assert!(!body.error.message.is_empty());
    }
}

#[tokio::test]
async fn a_429_is_retry_later_with_kratos_error_object() {
    let err = error_for(429, "application/json", &fixture("error_rate_limited.json")).await;
    let Error::RetryLater {
        status,
        retry_after,
        error,
        ..
    } = &err
    else {
        panic!("expected RetryLater, got {err:?}")
    };
    assert_eq!(status.as_u16(), 429);
    assert_eq!(*retry_after, None, "the fixture sends no Retry-After");
    assert_eq!(error.as_ref().map(|e| e.code), Some(Some(429)));
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(err.to_string().contains("Too many requests"), "{err}");
}

#[tokio::test]
async fn an_html_page_from_a_proxy_is_an_unexpected_content_type() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
    for status in [502, 200, 400] {
        let err = error_for(status, "text/html; charset=utf-8", html).await;
        let Error::UnexpectedContentType {
            status: got,
            content_type,
            excerpt,
            ..
        } = &err
        else {
            panic!("{status}: expected UnexpectedContentType, got {err:?}")
        };
        assert_eq!(got.as_u16(), status);
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }
}

fn decode_category(err: &Error<CreateNativeRegistrationFlowError>) -> (u16, Category) {
    match err {
        Error::Decode { status, source, .. } => (status.as_u16(), source.classify()),
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_and_truncated_bodies_are_decode_errors_with_the_status() {
    let err = error_for(200, "application/json", "").await;
    assert_eq!(decode_category(&err), (200, Category::Eof));

    let flow = fixture("registration_flow.json");
    let truncated = &flow[..flow.len() / 2];
    let err = error_for(200, "application/json", truncated).await;
    assert_eq!(decode_category(&err), (200, Category::Eof));
    let Error::Decode { excerpt, .. } = &err else {
        unreachable!()
    };
    assert!(
        excerpt.len() < 400,
        "the excerpt is short: {} bytes",
        excerpt.len()
    );

    let err = error_for(400, "application/json", "{\"error\": {\"id\": ").await;
    assert_eq!(decode_category(&err), (400, Category::Eof));
}

#[tokio::test]
async fn a_200_that_is_not_a_flow_is_a_decode_error() {
    let err = error_for(
        200,
        "application/json",
        &fixture("error_session_already_available.json"),
    )
    .await;
    assert_eq!(decode_category(&err), (200, Category::Data));
    let err = error_for(200, "application/json", "[1, 2, 3]").await;
    assert_eq!(decode_category(&err), (200, Category::Data));
    let err = error_for(200, "application/json", "not json at all").await;
    assert_eq!(decode_category(&err), (200, Category::Syntax));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REGISTRATION_API))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "https://elsewhere.example/steal"),
        )
        .mount(&server)
        .await;
    let err = FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .session_token(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 302),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn no_server_is_a_transport_error_without_a_status() {
    // Bind a port, then free it, so that nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = FrontendApi::new(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), None);
}

#[tokio::test]
async fn a_slow_server_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = kratos_client::Client::builder(server.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .frontend()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn the_session_token_never_shows_in_errors_or_debug_output() {
    let mut texts = Vec::new();
    for (status, content_type, body) in [
        (
            400,
            "application/json",
            fixture("error_session_already_available.json"),
        ),
        (500, "application/json", fixture("error_internal.json")),
        (502, "text/html", "<h1>bad gateway</h1>".to_string()),
        (200, "application/json", "{".to_string()),
        (302, "text/plain", String::new()),
    ] {
        let err = error_for(status, content_type, &body).await;
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            texts.push(format!("{s} / {s:?}"));
            source = s.source();
        }
    }
    let builder = FrontendApi::new("https://auth.example.com")
        .unwrap()
        .create_native_registration_flow()
        .session_token(TOKEN);
    texts.push(format!("{builder:?}"));
    for text in &texts {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_refused_before_sending() {
    let server = flow_server().await;
    let bad = format!("{TOKEN}\r\nX-Injected: 1");
    let err = FrontendApi::new(server.uri())
        .unwrap()
        .create_native_registration_flow()
        .session_token(bad.as_str())
        .send()
        .await
        .unwrap_err();
    let Error::InvalidInput(reason) = &err else {
        panic!("expected InvalidInput, got {err:?}")
    };
    assert!(reason.contains("X-Session-Token"), "{reason}");
    assert!(!reason.contains(TOKEN));
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing is sent"
    );
}
