//! Every operation, on MockKratos and (with `KRATOS_BIN`) on a real Kratos,
//! each with what an app sends and with what it gets wrong: whatever the
//! server answers must reach the caller as a value or a typed error, never
//! as a decode failure, an unexpected status or content type; and the two
//! servers must answer each call alike (status and error id). A new answer
//! shape of a new Kratos shows here first.

use std::fmt::Debug;

use kratos_client::models::{
    CreateRecoveryLinkForIdentityBody, DeleteIdentityCredentialsType, IdentityPatch, JsonPatchOp,
    PatchIdentitiesBody, UpdateFedcmFlowBody, UpdateIdentityBody, UpdateIdentityBodyState,
};
use kratos_client::testing::TestKratos;
use kratos_client::{Error, OperationError};
use serde_json::json;

use crate::common::accounts::{identity_body, patch, sign_in};

/// What an outcome was, in a word: `ok`, `api <status>`, or the failure
/// the client could not read.
fn class<T, E: OperationError + Debug>(result: &Result<T, Error<E>>) -> (String, bool) {
    match result {
        Ok(_) => ("ok".into(), true),
        Err(Error::Api(e)) => {
            let id = e.generic_error().and_then(|g| g.id.clone());
            let id = id.unwrap_or_else(|| "-".into());
            (format!("api {} {id}", e.status().as_u16()), true)
        }
        // Refused before it was sent: nothing of Kratos's to read.
        Err(Error::InvalidInput(_)) => ("refused before sending".into(), true),
        // FedCM is off (as by default): Kratos has no such route, and its
        // router answers a plain-text 404, not an API answer.
        Err(Error::UnexpectedContentType { status, .. }) if status.as_u16() == 404 => {
            ("no such route (404, not JSON)".into(), true)
        }
        Err(other) => (format!("UNREAD {other}"), false),
    }
}

const UUID: &str = "00000000-0000-4000-8000-000000000000";

/// Calls every operation on `kratos`, as an app would and as it would
/// not, and says what each call came back as.
async fn sweep(kratos: &TestKratos) -> Vec<(&'static str, (String, bool))> {
    let api = kratos.frontend();
    let admin = kratos.identity();
    let client = kratos_client::Client::builder(kratos.admin_uri())
        .build()
        .unwrap();
    let mut rows: Vec<(&str, (String, bool))> = Vec::new();
    macro_rules! call {
        ($name:expr, $call:expr) => {{
            let result = $call.await;
            rows.push(($name, class(&result)));
            result
        }};
    }

    let _ = call!("get_version", client.metadata().get_version().send());
    let _ = call!("is_alive", client.metadata().is_alive().send());
    let _ = call!("is_ready", client.metadata().is_ready().send());

    let mut body = identity_body("ada@example.com", Some("correct horse battery"), None);
    body.external_id = Some("ext-ada".into());
    let ada = call!("create_identity", admin.create_identity(body).send()).unwrap();
    let _ = call!(
        "create_identity, taken",
        admin
            .create_identity(identity_body("ada@example.com", None, None))
            .send()
    );
    let _ = call!("get_identity", admin.get_identity(&ada.id).send());
    let _ = call!("get_identity, unknown", admin.get_identity(UUID).send());
    let _ = call!(
        "get_identity_by_external_id",
        admin.get_identity_by_external_id("ext-ada").send()
    );
    let _ = call!(
        "get_identity_by_external_id, unknown",
        admin.get_identity_by_external_id("nope").send()
    );
    let _ = call!("list_identities", admin.list_identities().send());
    let _ = call!(
        "list_identities, bad page token",
        admin.list_identities().page_token("not-a-token").send()
    );
    let traits = json!({"email": "ada@example.com", "name": "Ada"})
        .as_object()
        .cloned()
        .unwrap();
    let _ = call!(
        "update_identity",
        admin
            .update_identity(
                &ada.id,
                UpdateIdentityBody::new("default", UpdateIdentityBodyState::Active, traits)
            )
            .send()
    );
    let _ = call!(
        "patch_identity",
        admin
            .patch_identity(
                &ada.id,
                vec![patch(
                    JsonPatchOp::Replace,
                    "/metadata_public",
                    Some(json!({"a": 1}))
                )]
            )
            .send()
    );
    let _ = call!(
        "patch_identity, denied path",
        admin
            .patch_identity(
                &ada.id,
                vec![patch(JsonPatchOp::Replace, "/id", Some(json!(UUID)))]
            )
            .send()
    );
    let _ = call!(
        "list_identity_schemas",
        admin.list_identity_schemas().send()
    );
    let _ = call!(
        "get_identity_schema",
        admin.get_identity_schema("default").send()
    );
    let _ = call!(
        "get_identity_schema, unknown",
        admin.get_identity_schema("nope").send()
    );
    let batch =
        PatchIdentitiesBody::new().identities(vec![IdentityPatch::new().create(identity_body(
            "grace@example.com",
            None,
            None,
        ))]);
    let _ = call!(
        "batch_patch_identities",
        admin.batch_patch_identities(batch).send()
    );
    let _ = call!(
        "batch_patch_identities, empty",
        admin
            .batch_patch_identities(PatchIdentitiesBody::new())
            .send()
    );

    let token = sign_in(&api, "ada@example.com", "correct horse battery")
        .await
        .expect("signed in");
    let session = call!("to_session", api.to_session().session_token(&token).send()).unwrap();
    let _ = call!("to_session, no credentials", api.to_session().send());
    let _ = call!(
        "to_session, unknown token",
        api.to_session().session_token("ory_st_unknown").send()
    );
    let _ = call!(
        "list_my_sessions",
        api.list_my_sessions().session_token(&token).send()
    );
    let _ = call!(
        "list_my_sessions, no session",
        api.list_my_sessions().send()
    );
    let _ = call!(
        "disable_my_session, unknown",
        api.disable_my_session(UUID).session_token(&token).send()
    );
    let _ = call!(
        "disable_my_session, own current",
        api.disable_my_session(&session.id)
            .session_token(&token)
            .send()
    );
    let _ = call!(
        "disable_my_other_sessions",
        api.disable_my_other_sessions().session_token(&token).send()
    );
    let _ = call!("list_sessions", admin.list_sessions().send());
    let _ = call!(
        "list_sessions, bad expand",
        admin.list_sessions().expand(["everything"]).send()
    );
    let _ = call!("get_session", admin.get_session(&session.id).send());
    let _ = call!("get_session, unknown", admin.get_session(UUID).send());
    let _ = call!(
        "get_session, not a uuid",
        admin.get_session("not-a-uuid").send()
    );
    let _ = call!("extend_session", admin.extend_session(&session.id).send());
    let _ = call!("extend_session, unknown", admin.extend_session(UUID).send());
    let _ = call!(
        "list_identity_sessions",
        admin.list_identity_sessions(&ada.id).send()
    );
    let _ = call!(
        "list_identity_sessions, unknown",
        admin.list_identity_sessions(UUID).send()
    );
    let _ = call!("disable_session", admin.disable_session(&session.id).send());
    let _ = call!(
        "disable_session, unknown",
        admin.disable_session(UUID).send()
    );
    let _ = call!(
        "delete_identity_sessions",
        admin.delete_identity_sessions(&ada.id).send()
    );
    let _ = call!(
        "delete_identity_sessions, none left",
        admin.delete_identity_sessions(&ada.id).send()
    );
    let _ = call!(
        "create_recovery_code_for_identity",
        admin
            .create_recovery_code_for_identity(ada.id.as_str())
            .send()
    );
    let _ = call!(
        "create_recovery_code_for_identity, unknown",
        admin.create_recovery_code_for_identity(UUID).send()
    );
    let _ = call!(
        "create_recovery_link_for_identity",
        admin
            .create_recovery_link_for_identity(CreateRecoveryLinkForIdentityBody::new(
                ada.id.clone()
            ))
            .send()
    );
    let _ = call!(
        "delete_identity_credentials, oidc none",
        admin
            .delete_identity_credentials(&ada.id, DeleteIdentityCredentialsType::Oidc)
            .send()
    );
    let _ = call!(
        "delete_identity_credentials, last password",
        admin
            .delete_identity_credentials(&ada.id, DeleteIdentityCredentialsType::Password)
            .send()
    );

    let courier = kratos.courier();
    let messages = call!(
        "list_courier_messages",
        courier.list_courier_messages().send()
    )
    .unwrap();
    if let Some(message) = messages.items.first() {
        let _ = call!(
            "get_courier_message",
            courier.get_courier_message(&message.id).send()
        );
    }
    let _ = call!(
        "get_courier_message, unknown",
        courier.get_courier_message(UUID).send()
    );

    for (what, result) in [
        (
            "create_native_login_flow",
            class(&api.create_native_login_flow().send().await),
        ),
        (
            "create_native_registration_flow",
            class(&api.create_native_registration_flow().send().await),
        ),
        (
            "create_native_recovery_flow",
            class(&api.create_native_recovery_flow().send().await),
        ),
        (
            "create_native_verification_flow",
            class(&api.create_native_verification_flow().send().await),
        ),
        (
            "create_native_settings_flow, no session",
            class(&api.create_native_settings_flow().send().await),
        ),
        (
            "create_browser_login_flow",
            class(&api.create_browser_login_flow().send().await),
        ),
        (
            "create_browser_registration_flow",
            class(&api.create_browser_registration_flow().send().await),
        ),
        (
            "create_browser_recovery_flow",
            class(&api.create_browser_recovery_flow().send().await),
        ),
        (
            "create_browser_verification_flow",
            class(&api.create_browser_verification_flow().send().await),
        ),
        (
            "create_browser_settings_flow, no cookie",
            class(&api.create_browser_settings_flow().send().await),
        ),
        (
            "create_browser_logout_flow, no cookie",
            class(&api.create_browser_logout_flow().send().await),
        ),
        (
            "update_logout_flow, no token",
            class(&api.update_logout_flow().send().await),
        ),
        (
            "get_login_flow, unknown",
            class(&api.get_login_flow(UUID).send().await),
        ),
        (
            "get_registration_flow, unknown",
            class(&api.get_registration_flow(UUID).send().await),
        ),
        (
            "get_recovery_flow, unknown",
            class(&api.get_recovery_flow(UUID).send().await),
        ),
        (
            "get_verification_flow, unknown",
            class(&api.get_verification_flow(UUID).send().await),
        ),
        (
            "get_settings_flow, unknown",
            class(&api.get_settings_flow(UUID).send().await),
        ),
        (
            "get_flow_error, unknown",
            class(&api.get_flow_error(UUID).send().await),
        ),
        (
            "get_webauthn_javascript",
            class(&api.get_webauthn_javascript().send().await),
        ),
        (
            "create_fedcm_flow, FedCM off",
            class(&api.create_fedcm_flow().send().await),
        ),
        (
            "update_fedcm_flow",
            class(
                &api.update_fedcm_flow(UpdateFedcmFlowBody::new("csrf", "token"))
                    .send()
                    .await,
            ),
        ),
        (
            "exchange_session_token, unknown",
            class(&api.exchange_session_token("init", "return").send().await),
        ),
        (
            "perform_native_logout, unknown token",
            class(&api.perform_native_logout("ory_st_unknown").send().await),
        ),
    ] {
        rows.push((what, result));
    }
    let _ = call!("delete_identity", admin.delete_identity(&ada.id).send());
    let _ = call!(
        "delete_identity, unknown",
        admin.delete_identity(UUID).send()
    );

    rows
}

#[tokio::test]
async fn every_answer_of_either_server_reaches_the_caller_typed_and_alike() {
    let servers = TestKratos::builder().start_each().await.unwrap();
    let mut sweeps = Vec::new();
    for kratos in &servers {
        sweeps.push((kratos.name(), sweep(kratos).await));
    }
    for (server, rows) in &sweeps {
        for (name, (outcome, _)) in rows {
            println!("{server}: {name}: {outcome}");
        }
    }
    for (server, rows) in &sweeps {
        let unread: Vec<String> = rows
            .iter()
            .filter(|(_, (_, read))| !read)
            .map(|(name, (outcome, _))| format!("{name}: {outcome}"))
            .collect();
        assert!(
            unread.is_empty(),
            "{server}: answers the client could not read:\n{}",
            unread.join("\n")
        );
    }
    // Where a real Kratos ran, the mock answered each call alike.
    if let [(mock, on_mock), (real, on_real)] = &sweeps[..] {
        let differ: Vec<String> = on_mock
            .iter()
            .zip(on_real)
            .filter(|(a, b)| a.1 .0 != b.1 .0)
            .map(|(a, b)| format!("{}: {mock} {}, {real} {}", a.0, a.1 .0, b.1 .0))
            .collect();
        assert!(
            differ.is_empty(),
            "the servers differ:\n{}",
            differ.join("\n")
        );
    }
}
