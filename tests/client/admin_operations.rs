//! Every admin operation (identity, courier, metadata) against wiremock: the
//! request it sends (method and path), its success decoded into its type,
//! and each error status it documents answered as its own variant with
//! that status. Lists decode as pages.
//!
//! Needs our document: older upstream ones lack some of these operations.
#![cfg(kratos_bundled_spec)]

use std::future::Future;
use std::pin::Pin;

use crate::common::{fixture, outcome, Outcome};
use kratos_client::models::{
    CreateIdentityBody, CreateRecoveryCodeForIdentityBody, CreateRecoveryLinkForIdentityBody,
    JsonPatch, JsonPatchOp, PatchIdentitiesBody, UpdateIdentityBody,
};
use kratos_client::{Client, Error};
use serde_json::{json, Map, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ID: &str = "4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f";

type Call = fn(Client) -> Pin<Box<dyn Future<Output = Outcome> + Send>>;

struct Case {
    name: &'static str,
    verb: &'static str,
    route: String,
    success: (u16, Option<Value>),
    errors: &'static [(u16, &'static str)],
    call: Call,
}

fn identity() -> Value {
    let login: Value = serde_json::from_str(&fixture("successful_native_login.json")).unwrap();
    login["session"]["identity"].clone()
}

fn session() -> Value {
    serde_json::from_str(&fixture("session.json")).unwrap()
}

fn traits() -> Map<String, Value> {
    json!({"email": "ada@example.com"})
        .as_object()
        .cloned()
        .unwrap()
}

fn cases() -> Vec<Case> {
    let message = json!({"id": ID, "status": "sent", "type": "email", "recipient": "ada@example.com",
        "body": "<redacted-unless-dev-mode>", "subject": "Recover access", "template_type": "recovery_code_valid",
        "send_count": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "channel": "email"});
    let at = |p: &str| p.to_string();
    vec![
        Case {
            name: "list_identities",
            verb: "GET",
            route: at("/admin/identities"),
            success: (200, Some(json!([identity()]))),
            errors: &[(500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(c.identity().list_identities().page_size(2).send().await)
                })
            },
        },
        Case {
            name: "create_identity",
            verb: "POST",
            route: at("/admin/identities"),
            success: (201, Some(identity())),
            errors: &[(400, "BadRequest"), (409, "Conflict"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .create_identity(CreateIdentityBody::new("default", traits()))
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "batch_patch_identities",
            verb: "PATCH",
            route: at("/admin/identities"),
            success: (
                200,
                Some(json!({"identities": [{"action": "create", "identity": ID}]})),
            ),
            errors: &[(400, "BadRequest"), (409, "Conflict"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .batch_patch_identities(PatchIdentitiesBody::default())
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "get_identity",
            verb: "GET",
            route: format!("/admin/identities/{ID}"),
            success: (200, Some(identity())),
            errors: &[(404, "NotFound"), (500, "Default")],
            call: |c| Box::pin(async move { outcome(c.identity().get_identity(ID).send().await) }),
        },
        Case {
            name: "get_identity_by_external_id",
            verb: "GET",
            route: at("/admin/identities/by/external/crm-42"),
            success: (200, Some(identity())),
            errors: &[(404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .get_identity_by_external_id("crm-42")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "update_identity",
            verb: "PUT",
            route: format!("/admin/identities/{ID}"),
            success: (200, Some(identity())),
            errors: &[
                (400, "BadRequest"),
                (404, "NotFound"),
                (409, "Conflict"),
                (500, "Default"),
            ],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .update_identity(
                                ID,
                                UpdateIdentityBody::new(
                                    "default",
                                    kratos_client::models::UpdateIdentityBodyState::Active,
                                    traits(),
                                ),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "patch_identity",
            verb: "PATCH",
            route: format!("/admin/identities/{ID}"),
            success: (200, Some(identity())),
            errors: &[
                (400, "BadRequest"),
                (404, "NotFound"),
                (409, "Conflict"),
                (500, "Default"),
            ],
            call: |c| {
                Box::pin(async move {
                    let mut patch = JsonPatch::new(JsonPatchOp::Replace, "/traits/email");
                    patch.value = Some(json!("grace@example.com"));
                    outcome(c.identity().patch_identity(ID, vec![patch]).send().await)
                })
            },
        },
        Case {
            name: "delete_identity",
            verb: "DELETE",
            route: format!("/admin/identities/{ID}"),
            success: (204, None),
            errors: &[(404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move { outcome(c.identity().delete_identity(ID).send().await) })
            },
        },
        Case {
            name: "delete_identity_credentials",
            verb: "DELETE",
            route: format!("/admin/identities/{ID}/credentials/totp"),
            success: (204, None),
            errors: &[(404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .delete_identity_credentials(ID, "totp")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "delete_identity_sessions",
            verb: "DELETE",
            route: format!("/admin/identities/{ID}/sessions"),
            success: (204, None),
            errors: &[
                (400, "BadRequest"),
                (401, "Unauthorized"),
                (404, "NotFound"),
                (500, "Default"),
            ],
            call: |c| {
                Box::pin(
                    async move { outcome(c.identity().delete_identity_sessions(ID).send().await) },
                )
            },
        },
        Case {
            name: "list_identity_sessions",
            verb: "GET",
            route: format!("/admin/identities/{ID}/sessions"),
            success: (200, Some(json!([session()]))),
            errors: &[(400, "BadRequest"), (404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(
                    async move { outcome(c.identity().list_identity_sessions(ID).send().await) },
                )
            },
        },
        Case {
            name: "create_recovery_code_for_identity",
            verb: "POST",
            route: at("/admin/recovery/code"),
            success: (
                201,
                Some(
                    json!({"recovery_code": "123456", "recovery_link": "https://auth.example.com/self-service/recovery?flow=x", "expires_at": "2026-01-01T00:00:00Z"}),
                ),
            ),
            errors: &[(400, "BadRequest"), (404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .create_recovery_code_for_identity(
                                CreateRecoveryCodeForIdentityBody::new(ID),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "create_recovery_link_for_identity",
            verb: "POST",
            route: at("/admin/recovery/link"),
            success: (
                200,
                Some(
                    json!({"recovery_link": "https://auth.example.com/self-service/recovery?flow=x&token=y", "expires_at": "2026-01-01T00:00:00Z"}),
                ),
            ),
            errors: &[(400, "BadRequest"), (404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.identity()
                            .create_recovery_link_for_identity(
                                CreateRecoveryLinkForIdentityBody::new(ID),
                            )
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "list_sessions",
            verb: "GET",
            route: at("/admin/sessions"),
            success: (200, Some(json!([session()]))),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |c| {
                Box::pin(
                    async move { outcome(c.identity().list_sessions().active(true).send().await) },
                )
            },
        },
        Case {
            name: "get_session",
            verb: "GET",
            route: format!("/admin/sessions/{ID}"),
            success: (200, Some(session())),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |c| Box::pin(async move { outcome(c.identity().get_session(ID).send().await) }),
        },
        Case {
            name: "disable_session",
            verb: "DELETE",
            route: format!("/admin/sessions/{ID}"),
            success: (204, None),
            errors: &[(400, "BadRequest"), (401, "Unauthorized"), (500, "Default")],
            call: |c| {
                Box::pin(async move { outcome(c.identity().disable_session(ID).send().await) })
            },
        },
        Case {
            name: "extend_session",
            verb: "PATCH",
            route: format!("/admin/sessions/{ID}/extend"),
            success: (200, Some(session())),
            errors: &[(400, "BadRequest"), (404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move { outcome(c.identity().extend_session(ID).send().await) })
            },
        },
        Case {
            name: "list_identity_schemas",
            verb: "GET",
            route: at("/schemas"),
            success: (
                200,
                Some(json!([{"id": "default", "schema": {"type": "object"}}])),
            ),
            errors: &[(500, "Default")],
            call: |c| {
                Box::pin(async move { outcome(c.identity().list_identity_schemas().send().await) })
            },
        },
        Case {
            name: "get_identity_schema",
            verb: "GET",
            route: at("/schemas/default"),
            success: (200, Some(json!({"type": "object"}))),
            errors: &[(404, "NotFound"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(c.identity().get_identity_schema("default").send().await)
                })
            },
        },
        Case {
            name: "list_courier_messages",
            verb: "GET",
            route: at("/admin/courier/messages"),
            success: (200, Some(json!([message.clone()]))),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |c| {
                Box::pin(async move {
                    outcome(
                        c.courier()
                            .list_courier_messages()
                            .recipient("ada@example.com")
                            .send()
                            .await,
                    )
                })
            },
        },
        Case {
            name: "get_courier_message",
            verb: "GET",
            route: format!("/admin/courier/messages/{ID}"),
            success: (200, Some(message)),
            errors: &[(400, "BadRequest"), (500, "Default")],
            call: |c| {
                Box::pin(async move { outcome(c.courier().get_courier_message(ID).send().await) })
            },
        },
        Case {
            name: "is_alive",
            verb: "GET",
            route: at("/health/alive"),
            success: (200, Some(json!({"status": "ok"}))),
            errors: &[],
            call: |c| Box::pin(async move { outcome(c.metadata().is_alive().send().await) }),
        },
        Case {
            name: "is_ready",
            verb: "GET",
            route: at("/health/ready"),
            success: (200, Some(json!({"status": "ok"}))),
            errors: &[(503, "ServiceUnavailable")],
            call: |c| Box::pin(async move { outcome(c.metadata().is_ready().send().await) }),
        },
        Case {
            name: "get_version",
            verb: "GET",
            route: at("/version"),
            success: (200, Some(json!({"version": "v26.2.0"}))),
            errors: &[],
            call: |c| Box::pin(async move { outcome(c.metadata().get_version().send().await) }),
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
        .and(path(case.route.as_str()))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn every_admin_operation_sends_its_request_and_decodes_its_success() {
    let cases = cases();
    assert_eq!(
        cases.len(),
        24,
        "every identity, courier and metadata operation"
    );
    for case in cases {
        let server = server(&case, case.success.0, case.success.1.clone()).await;
        let result = (case.call)(Client::new(server.uri()).unwrap()).await;
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
async fn every_documented_admin_error_status_is_its_own_variant() {
    for case in cases() {
        for (status, variant) in case.errors {
            let body = json!({"error": {"code": status, "status": "x", "message": format!("refused with {status}")}, "errors": {"database": "down"}});
            let server = server(&case, *status, Some(body)).await;
            let result = (case.call)(Client::new(server.uri()).unwrap()).await;
            assert_eq!(
                result,
                Outcome::Api(*status, variant.to_string()),
                "{} answered {status}",
                case.name
            );
        }
    }
}

/// Lists follow the `Link` header, as for the frontend's session list.
#[tokio::test]
async fn admin_lists_are_pages_that_follow_the_link_header() {
    let server = MockServer::start().await;
    let mut second = identity();
    second["id"] = json!("5e8f5b2f-2d3c-4d4e-8f9a-1b2c3d4e5f60");
    Mock::given(method("GET"))
        .and(path("/admin/identities"))
        .and(wiremock::matchers::query_param("page_token", "t2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(json!([second]).to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/admin/identities"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    "</admin/identities?page_size=1&page_token=t2>; rel=\"next\"",
                )
                .set_body_raw(json!([identity()]).to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let admin = Client::new(server.uri()).unwrap().identity();
    let first = admin.list_identities().page_size(1).send().await.unwrap();
    assert_eq!(first.next_page_token(), Some("t2"));
    let all = admin.list_identities().page_size(1).all().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_ne!(all[0].id, all[1].id);
}

/// Recovery codes and links, and imported password hashes, are secrets:
/// decoded whole, left out of `Debug`.
#[test]
fn admin_secrets_stay_out_of_debug() {
    let code: kratos_client::models::RecoveryCodeForIdentity = serde_json::from_value(json!({
        "recovery_code": "918273", "recovery_link": "https://auth.example.com/r?token=L1nkT0ken", "expires_at": "2026-01-01T00:00:00Z"
    })).unwrap();
    assert_eq!(code.recovery_code, "918273");
    let shown = format!("{code:?}");
    assert!(
        !shown.contains("918273") && !shown.contains("L1nkT0ken"),
        "{shown}"
    );

    let body: CreateIdentityBody = serde_json::from_value(json!({
        "schema_id": "default", "traits": {"email": "ada@example.com"},
        "credentials": {"password": {"config": {"hashed_password": "$2a$10$HashNeverPrinted000000000000000000000000000000000000"}}}
    })).unwrap();
    let shown = format!("{body:?}");
    assert!(!shown.contains("HashNeverPrinted"), "{shown}");
    // Credentials read back with `include_credential=oidc` carry the
    // provider's tokens in free-form `config`: kept whole, not printed.
    let identity: kratos_client::models::Identity = serde_json::from_value(json!({
        "id": ID, "schema_id": "default", "schema_url": "https://auth.example.com/schemas/default",
        "traits": {"email": "ada@example.com"},
        "credentials": {"oidc": {"type": "oidc", "identifiers": ["github:42"], "config": {"providers": [{
            "provider": "github", "subject": "42",
            "initial_access_token": "gho_AccessNeverPrinted", "initial_id_token": "IdTokenNeverPrinted",
            "initial_refresh_token": "RefreshNeverPrinted"}]}}}
    })).unwrap();
    let shown = format!("{identity:?} {identity:#?}");
    for secret in [
        "gho_AccessNeverPrinted",
        "IdTokenNeverPrinted",
        "RefreshNeverPrinted",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("github:42"), "the rest is shown: {shown}");
    let kept = serde_json::to_value(&identity).unwrap();
    assert_eq!(
        kept["credentials"]["oidc"]["config"]["providers"][0]["initial_access_token"],
        "gho_AccessNeverPrinted"
    );

    let sent = serde_json::to_value(&body).unwrap();
    assert_eq!(
        sent["credentials"]["password"]["config"]["hashed_password"],
        "$2a$10$HashNeverPrinted000000000000000000000000000000000000"
    );
}

/// An id that is not a UUID, where the document says it is one, is refused
/// with a clear error before anything is sent.
#[tokio::test]
async fn an_id_that_is_not_a_uuid_is_refused_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let admin = Client::new(server.uri()).unwrap().identity();
    for bad in [
        "ada@example.com",
        "4d7f4a1e-1c2b-4c3d-9e8f",
        "../sessions",
        "",
    ] {
        let err = admin.get_identity(bad).send().await.unwrap_err();
        let Error::InvalidInput(reason) = &err else {
            panic!("{bad:?}: expected InvalidInput, got {err:?}");
        };
        assert!(reason.contains("must be a UUID"), "{reason}");
        let err = admin
            .delete_identity_sessions(bad)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

/// A JSON Patch whose `op` RFC 6902 does not define, or that lacks the
/// `value` or `from` its operation needs, is refused with a clear error
/// before anything is sent.
#[tokio::test]
async fn a_json_patch_that_cannot_apply_is_refused_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let admin = Client::new(server.uri()).unwrap().identity();
    let mut valid = JsonPatch::new(JsonPatchOp::Replace, "/state");
    valid.value = Some(json!("inactive"));
    let unknown = JsonPatch::new(JsonPatchOp::from("merge"), "/traits");
    let no_value = JsonPatch::new(JsonPatchOp::Add, "/traits/name");
    let no_from = JsonPatch::new(JsonPatchOp::Move, "/traits/name");
    for (patch, expected) in [
        (
            unknown,
            "patch 1: `op` must be add, remove, replace, move, copy or test, not \"merge\"",
        ),
        (no_value, "patch 1: `add` needs `value`"),
        (no_from, "patch 1: `move` needs `from`"),
    ] {
        let err = admin
            .patch_identity(ID, vec![valid.clone(), patch])
            .send()
            .await
            .unwrap_err();
        let Error::InvalidInput(reason) = &err else {
            panic!("expected InvalidInput, got {err:?}");
        };
        assert_eq!(reason, expected);
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
    // A patch read from a newer tool's JSON keeps its unknown op, and is
    // refused the same way.
    let read: JsonPatch = serde_json::from_value(json!({"op": "merge", "path": "/x"})).unwrap();
    assert!(matches!(read.op, JsonPatchOp::Unknown(_)));
    assert_eq!(read.op.as_str(), "merge");
}

/// Imported passwords in every hash format Kratos imports decode and write
/// back unchanged, and none shows in `Debug`.
#[test]
fn imported_password_hashes_of_every_format_round_trip() {
    let hashes = [
        "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$argon2id$v=19$m=16,t=2,p=1$bmljZXNhbHQ$VGhpc0lzQUhhc2g",
        "$argon2i$v=19$m=16,t=2,p=1$bmljZXNhbHQ$VGhpc0lzQUhhc2g",
        "$pbkdf2-sha256$i=100000,l=32$bmljZXNhbHQ$VGhpc0lzQUhhc2g",
        "$scrypt$ln=16384,r=8,p=1$bmljZXNhbHQ=$VGhpc0lzQUhhc2g=",
        "$firescrypt$ln=14,r=8,p=1$c2FsdA==$aGFzaA==$c2lnbmVy$c2VwYXJhdG9y",
        "$md5$cGFzc3dvcmQ=",
        "$md5-crypt$salt$hash",
        "{SSHA}aGFzaHNhbHQ=",
        "{SSHA256}aGFzaHNhbHQ=",
        "{SSHA512}aGFzaHNhbHQ=",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$c2FsdA==$aGFzaA==",
        "$sha256-crypt$rounds=5000$salt$hash",
        "$hmac-sha256$cGFzc3dvcmQ=$a2V5",
    ];
    for hash in hashes {
        let sent = json!({
            "schema_id": "default", "traits": {"email": "ada@example.com"},
            "credentials": {"password": {"config": {"hashed_password": hash}}}
        });
        let body: CreateIdentityBody = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(serde_json::to_value(&body).unwrap(), sent, "{hash}");
        let shown = format!("{body:?}");
        assert!(!shown.contains(hash), "{shown}");
    }
}
