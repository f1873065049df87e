//! The frontend operations, against wiremock: the request
//! it sends (method and path), its success decoded into its type, and each
//! error status it documents answered as its own variant with that status.
//! The registration, session and exchange operations have their own tests
//! in `operations.rs` and `pagination.rs` beside this file.
//!
//! Needs our document: older upstream ones lack some of these operations.
#![cfg(kratos_bundled_spec)]

use std::future::Future;
use std::pin::Pin;

use crate::common::{fixture, outcome, Outcome};
use kratos_client::models::{
    UpdateLoginFlowWithPasswordMethod, UpdateRecoveryFlowWithCodeMethod,
    UpdateSettingsFlowWithPasswordMethod, UpdateVerificationFlowWithCodeMethod,
};
use kratos_client::{Error, FrontendApi};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Call = fn(FrontendApi) -> Pin<Box<dyn Future<Output = Outcome> + Send>>;

struct Case {
    name: &'static str,
    verb: &'static str,
    route: &'static str,
    success: (u16, Option<Value>),
    /// Documented error statuses and the variant each becomes.
    errors: &'static [(u16, &'static str)],
    call: Call,
}

fn flow(kind: &str) -> Value {
    let mut flow: Value = serde_json::from_str(&fixture("registration_flow.json")).unwrap();
    flow["request_url"] = json!(format!("https://auth.example.com/self-service/{kind}/api"));
    if kind == "settings" {
        let login: Value = serde_json::from_str(&fixture("successful_native_login.json")).unwrap();
        flow["identity"] = login["session"]["identity"].clone();
    }
    flow
}

fn error(code: u16) -> Value {
    json!({"error": {"code": code, "status": "x", "message": format!("refused with {code}")}})
}

fn cases() -> Vec<Case> {
    let login = || Some(flow("login"));
    let settings = || Some(flow("settings"));
    let recovery = || Some(flow("recovery"));
    let verification = || Some(flow("verification"));
    let signed_in =
        || Some(serde_json::from_str(&fixture("successful_native_login.json")).unwrap());
    vec![
        Case {
            name: "create_native_login_flow",
            verb: "GET",
            route: "/self-service/login/api",
            success: (200, login()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    outcome(
                        api.create_native_login_flow()
                            .refresh(true)
                            .aal("aal2")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "create_browser_login_flow",
            verb: "GET",
            route: "/self-service/login/browser",
            success: (200, login()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.create_browser_login_flow().send().await) })
            },
        },
        Case {
            name: "get_login_flow",
            verb: "GET",
            route: "/self-service/login/flows",
            success: (200, login()),
            errors: &[
                (403, "Forbidden"),
                (404, "NotFound"),
                (410, "Gone"),
                (500, "Default"),
            ],
            call: |api| Box::pin(async move { outcome(api.get_login_flow("f").send().await) }),
        },
        Case {
            name: "update_login_flow",
            verb: "POST",
            route: "/self-service/login",
            success: (200, signed_in()),
            errors: &[
                (403, "Forbidden"),
                (410, "Gone"),
                (422, "UnprocessableEntity"),
                (500, "Default"),
            ],
            call: |api| {
                Box::pin(async move {
                    let body =
                        UpdateLoginFlowWithPasswordMethod::new("ada@example.com", "correct horse");
                    outcome(api.update_login_flow("f", body).send().await)
                })
            },
        },
        Case {
            name: "create_native_settings_flow",
            verb: "GET",
            route: "/self-service/settings/api",
            success: (200, settings()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    outcome(
                        api.create_native_settings_flow()
                            .session_token("ory_st_x")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "create_browser_settings_flow",
            verb: "GET",
            route: "/self-service/settings/browser",
            success: (200, settings()),
            errors: &[
                (400, "BadRequest"),
                (401, "Unauthorized"),
                (403, "Forbidden"),
                (500, "Default"),
            ],
            call: |api| {
                Box::pin(async move { outcome(api.create_browser_settings_flow().send().await) })
            },
        },
        Case {
            name: "get_settings_flow",
            verb: "GET",
            route: "/self-service/settings/flows",
            success: (200, settings()),
            errors: &[
                (401, "Unauthorized"),
                (403, "Forbidden"),
                (404, "NotFound"),
                (410, "Gone"),
                (500, "Default"),
            ],
            call: |api| Box::pin(async move { outcome(api.get_settings_flow("f").send().await) }),
        },
        Case {
            name: "update_settings_flow",
            verb: "POST",
            route: "/self-service/settings",
            success: (200, settings()),
            errors: &[
                (401, "Unauthorized"),
                (403, "Forbidden"),
                (410, "Gone"),
                (422, "UnprocessableEntity"),
                (500, "Default"),
            ],
            call: |api| {
                Box::pin(async move {
                    let body = UpdateSettingsFlowWithPasswordMethod::new("a new long password");
                    outcome(
                        api.update_settings_flow("f", body)
                            .session_token("ory_st_x")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "create_native_recovery_flow",
            verb: "GET",
            route: "/self-service/recovery/api",
            success: (200, recovery()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.create_native_recovery_flow().send().await) })
            },
        },
        Case {
            name: "create_browser_recovery_flow",
            verb: "GET",
            route: "/self-service/recovery/browser",
            success: (200, recovery()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.create_browser_recovery_flow().send().await) })
            },
        },
        Case {
            name: "get_recovery_flow",
            verb: "GET",
            route: "/self-service/recovery/flows",
            success: (200, recovery()),
            errors: &[(404, "NotFound"), (410, "Gone"), (500, "Default")],
            call: |api| Box::pin(async move { outcome(api.get_recovery_flow("f").send().await) }),
        },
        Case {
            name: "update_recovery_flow",
            verb: "POST",
            route: "/self-service/recovery",
            success: (200, recovery()),
            errors: &[
                (410, "Gone"),
                (422, "UnprocessableEntity"),
                (500, "Default"),
            ],
            call: |api| {
                Box::pin(async move {
                    let body = UpdateRecoveryFlowWithCodeMethod::new().email("ada@example.com");
                    outcome(api.update_recovery_flow("f", body).send().await)
                })
            },
        },
        Case {
            name: "create_native_verification_flow",
            verb: "GET",
            route: "/self-service/verification/api",
            success: (200, verification()),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    outcome(
                        api.create_native_verification_flow()
                            .return_to("myapp://verified")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "create_browser_verification_flow",
            verb: "GET",
            route: "/self-service/verification/browser",
            success: (200, verification()),
            errors: &[(500, "Default")],
            call: |api| {
                Box::pin(
                    async move { outcome(api.create_browser_verification_flow().send().await) },
                )
            },
        },
        Case {
            name: "get_verification_flow",
            verb: "GET",
            route: "/self-service/verification/flows",
            success: (200, verification()),
            errors: &[(403, "Forbidden"), (404, "NotFound"), (500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.get_verification_flow("f").send().await) })
            },
        },
        Case {
            name: "update_verification_flow",
            verb: "POST",
            route: "/self-service/verification",
            success: (200, verification()),
            errors: &[(410, "Gone"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    let body = UpdateVerificationFlowWithCodeMethod::new().code("482913");
                    outcome(api.update_verification_flow("f", body).send().await)
                })
            },
        },
        Case {
            name: "create_browser_registration_flow",
            verb: "GET",
            route: "/self-service/registration/browser",
            success: (200, Some(flow("registration"))),
            errors: &[(500, "Default")],
            call: |api| {
                Box::pin(
                    async move { outcome(api.create_browser_registration_flow().send().await) },
                )
            },
        },
        Case {
            name: "perform_native_logout",
            verb: "DELETE",
            route: "/self-service/logout/api",
            success: (204, None),
            errors: &[(400, "BadRequest"), (403, "Forbidden"), (500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.perform_native_logout("ory_st_x").send().await) })
            },
        },
        Case {
            name: "create_browser_logout_flow",
            verb: "GET",
            route: "/self-service/logout/browser",
            success: (
                200,
                Some(
                    json!({"logout_url": "https://auth.example.com/self-service/logout?token=t", "logout_token": "t"}),
                ),
            ),
            errors: &[
                (400, "BadRequest"),
                (401, "Unauthorized"),
                (500, "InternalServerError"),
            ],
            call: |api| {
                Box::pin(async move { outcome(api.create_browser_logout_flow().send().await) })
            },
        },
        Case {
            name: "update_logout_flow",
            verb: "GET",
            route: "/self-service/logout",
            success: (204, None),
            errors: &[(500, "Default")],
            call: |api| {
                Box::pin(async move { outcome(api.update_logout_flow().token("t").send().await) })
            },
        },
        Case {
            name: "disable_my_session",
            verb: "DELETE",
            route: "/sessions/5d3c9a4e-1b2f-4c6d-8e7f-9a0b1c2d3e4f",
            success: (204, None),
            errors: &[(400, "BadRequest"), (401, "Unauthorized"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    outcome(
                        api.disable_my_session("5d3c9a4e-1b2f-4c6d-8e7f-9a0b1c2d3e4f")
                            .session_token("ory_st_x")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "disable_my_other_sessions",
            verb: "DELETE",
            route: "/sessions",
            success: (200, Some(json!({"count": 3}))),
            errors: &[(400, "BadRequest"), (401, "Unauthorized"), (500, "Default")],
            call: |api| {
                Box::pin(async move {
                    outcome(
                        api.disable_my_other_sessions()
                            .session_token("ory_st_x")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "get_flow_error",
            verb: "GET",
            route: "/self-service/errors",
            success: (
                200,
                Some(json!({"id": "e1", "error": {"code": 500, "message": "boom"}})),
            ),
            errors: &[
                (403, "Forbidden"),
                (404, "NotFound"),
                (500, "InternalServerError"),
            ],
            call: |api| Box::pin(async move { outcome(api.get_flow_error("e1").send().await) }),
        },
        Case {
            name: "create_fedcm_flow",
            verb: "GET",
            route: "/self-service/fed-cm/parameters",
            success: (200, Some(json!({"csrf_token": "c", "providers": []}))),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |api| Box::pin(async move { outcome(api.create_fedcm_flow().send().await) }),
        },
    ]
}

async fn server(case: &Case, status: u16, body: Option<Value>) -> MockServer {
    let server = MockServer::start().await;
    let template = match body {
        Some(body) => {
            ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
        }
        None => ResponseTemplate::new(status),
    };
    Mock::given(method(case.verb))
        .and(path(case.route))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn every_new_operation_sends_its_request_and_decodes_its_success() {
    for case in cases() {
        let server = server(&case, case.success.0, case.success.1.clone()).await;
        let result = (case.call)(FrontendApi::new(server.uri()).unwrap()).await;
        assert!(
            matches!(result, Outcome::Ok(_)),
            "{}: {result:?}",
            case.name
        );
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            requests.len(),
            1,
            "{}: one request to {} {}",
            case.name,
            case.verb,
            case.route
        );
    }
}

#[tokio::test]
async fn every_documented_error_status_is_its_own_variant() {
    for case in cases() {
        for (status, variant) in case.errors {
            let server = server(&case, *status, Some(error(*status))).await;
            let result = (case.call)(FrontendApi::new(server.uri()).unwrap()).await;
            assert_eq!(
                result,
                Outcome::Api(*status, variant.to_string()),
                "{} answered {status}",
                case.name
            );
        }
    }
}

/// The answers whose value tells more than "it worked".
#[tokio::test]
async fn values_that_matter_are_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/sessions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"count": 3}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let ended = api
        .disable_my_other_sessions()
        .session_token("ory_st_x")
        .send()
        .await
        .unwrap();
    assert_eq!(ended.count, Some(3));
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers.get("x-session-token").unwrap(), "ory_st_x");

    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/self-service/logout/api"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    api.perform_native_logout("ory_st_bye")
        .send()
        .await
        .unwrap();
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"session_token": "ory_st_bye"}),
        "the token travels in the body"
    );
}

/// A correct password on a server that requires a verified address: 403
/// `session_verified_address_required`, with the verification flow Kratos
/// started in the error's `details.continue_with`, as its address-verifier
/// hook writes it.
#[tokio::test]
async fn a_login_403_names_the_verification_flow_to_continue_with() {
    use kratos_client::models::ContinueWith;
    use kratos_client::{ErrorId, UpdateLoginFlowError};
    let body = json!({"error": {
        "id": "session_verified_address_required", "code": 403, "status": "Forbidden",
        "message": "your email or phone address is not yet verified",
        "reason": "Your account's email or phone address are not verified yet. Please check your email or phone inbox or re-request verification.",
        "details": {"continue_with": [{"action": "show_verification_ui", "flow": {
            "id": "4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f", "verifiable_address": "ada@example.com",
            "url": "https://auth.example.com/verification?flow=4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f"}}]}
    }});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/self-service/login"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(body.to_string(), "application/json"))
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let body = UpdateLoginFlowWithPasswordMethod::new("ada@example.com", "correct horse");
    let err = api.update_login_flow("f", body).send().await.unwrap_err();
    let Error::Api(UpdateLoginFlowError::Forbidden(refusal)) = &err else {
        panic!("expected Forbidden, got {err:?}");
    };
    assert_eq!(
        err.error_id(),
        Some(ErrorId::SessionVerifiedAddressRequired)
    );
    let next = refusal.error.continue_with();
    assert_eq!(next.len(), 1);
    assert!(matches!(next[0], ContinueWith::VerificationUi(_)));
    assert_eq!(
        next[0].flow_id(),
        Some("4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f")
    );
}

/// A 400 from `update_login_flow` is the flow again (the next step, or the
/// form with its messages), or Kratos's error object: told apart by the
/// body's `error` key, each keeping the status.
#[tokio::test]
async fn a_login_400_is_the_flow_or_the_error_object() {
    use kratos_client::UpdateLoginFlowError;
    let password = || UpdateLoginFlowWithPasswordMethod::new("ada@example.com", "correct horse");

    let mut next_step = flow("login");
    next_step["state"] = json!("sent_email");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/self-service/login"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(next_step.to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    match api.update_login_flow("f", password()).send().await {
        Err(Error::Api(UpdateLoginFlowError::BadRequest(flow))) => {
            assert_eq!(flow.state_name(), Some("sent_email"));
            assert!(!flow.has_errors(), "the next step, not a failure");
        }
        other => panic!("expected the flow back, got {other:?}"),
    }
    let err = api
        .update_login_flow("f", password())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.next_step().and_then(|f| f.state_name()),
        Some("sent_email")
    );
    let next = err.into_next_step().expect("a next step");
    assert_eq!(next.state_name(), Some("sent_email"));

    // The same flow with an error message is a refusal, not a next step.
    let mut refused = flow("login");
    refused["ui"]["messages"] =
        json!([{"id": 4000006, "text": "The provided credentials are invalid.", "type": "error"}]);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/self-service/login"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(refused.to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let err = api
        .update_login_flow("f", password())
        .send()
        .await
        .unwrap_err();
    assert!(err.next_step().is_none());
    let err = err.into_next_step().expect_err("a refusal stays an error");
    assert!(matches!(
        err,
        Error::Api(UpdateLoginFlowError::BadRequest(_))
    ));

    let server = MockServer::start().await;
    let refusal = json!({"error": {"code": 400, "id": "session_already_available", "message": "A valid session was detected."}});
    Mock::given(method("POST"))
        .and(path("/self-service/login"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(refusal.to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let err = api
        .update_login_flow("f", password())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(UpdateLoginFlowError::Refused(_))),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        err.error_id(),
        Some(kratos_client::ErrorId::SessionAlreadyAvailable)
    );
    assert!(err.form().is_none() && err.flow().is_none());
}
