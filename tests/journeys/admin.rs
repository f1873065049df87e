//! The admin API over the same identities as the self-service flows.

use std::collections::BTreeSet;

use kratos_client::models::{
    ContinueWith, DeleteIdentityCredentialsType, IdentityPatch, JsonPatchOp, PatchIdentitiesBody,
    UpdateRecoveryFlowWithCodeMethod,
};
use kratos_client::testing::TestKratos;
use kratos_client::{
    CreateIdentityError, DeleteIdentityCredentialsError, Error, PatchIdentityError,
};
use serde_json::json;

use crate::common::accounts::{identity_body as body, patch, sign_in};
use crate::seen::{on_each, Seen};
use crate::sessions::rels;
use crate::PASSWORD;

#[tokio::test]
async fn imported_identities_sign_in_and_are_read_back_with_their_credentials() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let admin = kratos.identity();
            let created = admin
                .create_identity(body("ada@example.com", Some("a cleartext battery"), None))
                .send()
                .await;
            seen.outcome("create, cleartext", &created);
            let ada = created.unwrap();
            let hash = bcrypt::hash("a hashed battery", 4).unwrap();
            let created = admin
                .create_identity(body("grace@example.com", None, Some(&hash)))
                .send()
                .await;
            seen.outcome("create, bcrypt", &created);

            let api = kratos.frontend();
            assert!(sign_in(&api, "ada@example.com", "a cleartext battery")
                .await
                .is_some());
            assert!(sign_in(&api, "grace@example.com", "a hashed battery")
                .await
                .is_some());
            assert!(sign_in(&api, "grace@example.com", "wrong").await.is_none());

            let err = admin
                .create_identity(body("ADA@example.com", Some("another battery"), None))
                .send()
                .await
                .unwrap_err();
            seen.error("create, taken", &err);
            assert!(
                matches!(err, Error::Api(CreateIdentityError::Conflict(_))),
                "{err:?}"
            );

            let read = admin
                .get_identity(&ada.id)
                .include_credential(["password"])
                .send()
                .await
                .unwrap();
            let credentials = serde_json::to_value(&read.credentials).unwrap();
            let password = &credentials["password"];
            seen.note(
                "get with credentials",
                format!(
                    "type={} identifiers={} config keys={:?}",
                    password["type"],
                    password["identifiers"],
                    password["config"]
                        .as_object()
                        .map(|c| c.keys().cloned().collect::<Vec<_>>())
                ),
            );
            assert_eq!(password["identifiers"], json!(["ada@example.com"]));
        },
    )
    .await;
}

#[tokio::test]
async fn identities_are_listed_in_pages_through_link_patched_and_deleted() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let mut ids = BTreeSet::new();
            for n in 0..5 {
                let id = kratos
                    .add_identity(&format!("user{n}@example.com"), PASSWORD, None)
                    .await
                    .unwrap();
                ids.insert(id);
            }
            let admin = kratos.identity();
            let first = admin
                .list_identities()
                .page_size(2)
                .send_with_response()
                .await
                .unwrap();
            seen.note("page 1, link rels", rels(first.header("link")));
            let first = first.into_inner();
            seen.note(
                "page 1",
                format!("{} items, last={}", first.items.len(), first.is_last()),
            );
            let all = admin.list_identities().page_size(2).all().await.unwrap();
            let listed: BTreeSet<String> = all.iter().map(|i| i.id.clone()).collect();
            assert_eq!(listed, ids, "every identity once");
            let one = admin
                .list_identities()
                .credentials_identifier("user3@example.com")
                .send()
                .await
                .unwrap();
            seen.note("by identifier", one.items.len());
            assert_eq!(one.items.len(), 1);

            // A JSON Patch: a new email signs in, the old one no longer does.
            let id = one.items[0].id.clone();
            let patched = admin
                .patch_identity(
                    &id,
                    vec![
                        patch(
                            JsonPatchOp::Replace,
                            "/traits/email",
                            Some(json!("ada@lovelace.example")),
                        ),
                        patch(
                            JsonPatchOp::Add,
                            "/metadata_admin",
                            Some(json!({"plan": "gold"})),
                        ),
                    ],
                )
                .send()
                .await;
            seen.outcome("patch", &patched);
            let patched = patched.unwrap();
            assert_eq!(patched.traits["email"], "ada@lovelace.example");
            assert_eq!(patched.metadata_admin, Some(json!({"plan": "gold"})));
            let api = kratos.frontend();
            assert!(sign_in(&api, "ada@lovelace.example", PASSWORD)
                .await
                .is_some());
            assert!(sign_in(&api, "user3@example.com", PASSWORD).await.is_none());

            // Off limits, a state Kratos does not know, another identity's
            // email, and no such identity: each refused as Kratos refuses it.
            let refusals = [
                (
                    "patch /id",
                    &id,
                    patch(JsonPatchOp::Replace, "/id", Some(json!("x"))),
                ),
                (
                    "patch /credentials",
                    &id,
                    patch(JsonPatchOp::Remove, "/credentials", None),
                ),
                (
                    "patch by test, which Kratos does not take",
                    &id,
                    patch(JsonPatchOp::Test, "/state", Some(json!("active"))),
                ),
                (
                    "patch /state",
                    &id,
                    patch(JsonPatchOp::Replace, "/state", Some(json!("frozen"))),
                ),
                (
                    "patch to a taken email",
                    &id,
                    patch(
                        JsonPatchOp::Replace,
                        "/traits/email",
                        Some(json!("user1@example.com")),
                    ),
                ),
            ];
            for (step, on, refused) in refusals {
                let err = admin
                    .patch_identity(on, vec![refused])
                    .send()
                    .await
                    .unwrap_err();
                seen.error(step, &err);
                let expected = if step.contains("taken") { 409 } else { 400 };
                assert_eq!(
                    err.status().map(|s| s.as_u16()),
                    Some(expected),
                    "{step}: {err:?}"
                );
            }
            let err = admin
                .patch_identity(
                    "00000000-0000-4000-8000-000000000000",
                    vec![patch(JsonPatchOp::Test, "/state", Some(json!("active")))],
                )
                .send()
                .await
                .unwrap_err();
            seen.error("patch no such identity", &err);
            assert!(
                matches!(err, Error::Api(PatchIdentityError::NotFound(_))),
                "{err:?}"
            );
            // A refused patch changes nothing.
            let now = admin.get_identity(&id).send().await.unwrap();
            assert_eq!(now.traits["email"], "ada@lovelace.example");
            assert_eq!(now.state.map(|s| s.to_string()).as_deref(), Some("active"));
            assert!(sign_in(&api, "ada@lovelace.example", PASSWORD)
                .await
                .is_some());
            // Removing the password credential is no refusal: the password
            // stops signing in.
            let user0 = admin
                .list_identities()
                .credentials_identifier("user0@example.com")
                .send()
                .await
                .unwrap()
                .items
                .remove(0)
                .id;
            let removed = admin
                .patch_identity(
                    &user0,
                    vec![patch(JsonPatchOp::Remove, "/credentials/password", None)],
                )
                .send()
                .await;
            seen.outcome("patch away the password", &removed);
            assert!(removed.is_ok(), "{removed:?}");
            assert!(sign_in(&api, "user0@example.com", PASSWORD).await.is_none());

            // Deleting ends the identity's sessions.
            let token = sign_in(&api, "ada@lovelace.example", PASSWORD)
                .await
                .unwrap();
            let sessions = admin.list_identity_sessions(&id).all().await.unwrap();
            seen.note("its sessions", sessions.len());
            admin.delete_identity(&id).send().await.unwrap();
            let err = api
                .to_session()
                .session_token(&token)
                .send()
                .await
                .unwrap_err();
            seen.error("whoami after delete", &err);
            let err = admin.get_identity(&id).send().await.unwrap_err();
            seen.error("get after delete", &err);
        },
    )
    .await;
}

#[tokio::test]
async fn a_batch_creates_what_it_can_and_says_which_failed() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos
                .add_identity("taken@example.com", PASSWORD, None)
                .await
                .unwrap();
            let admin = kratos.identity();
            let entry = |email: &str, patch_id: &str| {
                IdentityPatch::new()
                    .create(body(email, Some(PASSWORD), None))
                    .patch_id(patch_id)
            };
            let ids = [
                "00000000-0000-4000-8000-00000000000a",
                "00000000-0000-4000-8000-00000000000b",
                "00000000-0000-4000-8000-00000000000c",
            ];
            let mut batch = PatchIdentitiesBody::default();
            batch.identities = Some(vec![
                entry("one@example.com", ids[0]),
                entry("taken@example.com", ids[1]),
                entry("two@example.com", ids[2]),
            ]);
            let answer = admin.batch_patch_identities(batch).send().await.unwrap();
            for result in answer.identities.unwrap_or_default().into_iter().flatten() {
                seen.note(
                    "batch",
                    format!(
                        "{:?} {} identity={} error={}",
                        result.patch_id,
                        result
                            .action
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                        result.identity.is_some(),
                        result
                            .error
                            .as_ref()
                            .map(|e| e["code"].clone())
                            .unwrap_or_default(),
                    ),
                );
            }
            let api = kratos.frontend();
            for email in ["one@example.com", "two@example.com"] {
                assert!(sign_in(&api, email, PASSWORD).await.is_some());
            }
            let batch =
                PatchIdentitiesBody::new().identities(vec![entry("taken@example.com", ids[0])]);
            let all_taken = admin.batch_patch_identities(batch).send().await;
            seen.outcome("batch, all taken", &all_taken);
        },
    )
    .await;
}

#[tokio::test]
async fn a_recovery_code_from_the_admin_api_finishes_through_the_frontend() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let id = kratos
                .add_identity("ada@example.com", "forgotten", None)
                .await
                .unwrap();
            let code = kratos
                .identity()
                .create_recovery_code_for_identity(&id)
                .send()
                .await
                .unwrap();
            let link = code
                .recovery_link
                .split("flow=")
                .next()
                .unwrap_or_default()
                .to_string();
            seen.note("recovery link", link);
            let flow_id = code
                .recovery_link
                .split("flow=")
                .nth(1)
                .expect("the link names the flow")
                .to_string();
            let answer = UpdateRecoveryFlowWithCodeMethod::new().code(code.recovery_code.clone());
            let done = kratos
                .frontend()
                .update_recovery_flow(&flow_id, answer)
                .send()
                .await;
            seen.outcome("code", &done);
            let done = done.unwrap();
            seen.flow("code", &done);
            // Kratos makes the flow of an admin recovery code a browser flow:
            // it signs the browser in with a cookie, and gives no token.
            assert_eq!(done.r#type.as_str(), "browser");
            let items = done.continue_with.unwrap_or_default();
            assert!(ContinueWith::session_token(&items).is_none());
            assert!(items.iter().any(|c| c.action() == "show_settings_ui"));
        },
    )
    .await;
}

#[tokio::test]
async fn the_courier_lists_the_messages_sent() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos
                .add_identity("ada@example.com", "forgotten", None)
                .await
                .unwrap();
            let api = kratos.frontend();
            let flow = api.create_native_recovery_flow().send().await.unwrap();
            let address = UpdateRecoveryFlowWithCodeMethod::new().email("ada@example.com");
            api.update_recovery_flow(&flow.id, address)
                .send()
                .await
                .unwrap();
            let messages = kratos
                .courier()
                .list_courier_messages()
                .recipient("ada@example.com")
                .all()
                .await
                .unwrap();
            for message in &messages {
                seen.note(
                    "message",
                    format!(
                        "{} {} {:?} {:?}",
                        message.template_type.as_str(),
                        message.r#type.as_str(),
                        message.status,
                        message.subject.replace(char::is_numeric, "9"),
                    ),
                );
            }
            assert_eq!(messages.len(), 1);
            let one = kratos
                .courier()
                .get_courier_message(&messages[0].id)
                .send()
                .await
                .unwrap();
            assert_eq!(one.id, messages[0].id);
            let first = kratos
                .courier()
                .list_courier_messages()
                .send_with_response()
                .await
                .unwrap();
            seen.note("link rels", rels(first.header("link")));
        },
    )
    .await;
}

#[tokio::test]
async fn the_last_first_factor_cannot_be_deleted() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let id = kratos
                .add_identity("ada@example.com", PASSWORD, None)
                .await
                .unwrap();
            let admin = kratos.identity();
            let err = admin
                .delete_identity_credentials(&id, DeleteIdentityCredentialsType::Password)
                .send()
                .await
                .unwrap_err();
            seen.error("delete the password", &err);
            assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
            let err = admin
                .delete_identity_credentials(&id, DeleteIdentityCredentialsType::Totp)
                .send()
                .await
                .unwrap_err();
            seen.error("delete a TOTP it has not", &err);
            assert!(
                matches!(err, Error::Api(DeleteIdentityCredentialsError::NotFound(_))),
                "{err:?}"
            );
            let api = kratos.frontend();
            assert!(sign_in(&api, "ada@example.com", PASSWORD).await.is_some());
        },
    )
    .await;
}

#[tokio::test]
async fn a_batch_answers_null_for_a_patch_without_create() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let admin = kratos.identity();
            let create = IdentityPatch::new()
                .create(body("one@example.com", Some(PASSWORD), None))
                .patch_id("00000000-0000-4000-8000-00000000000a");
            let nothing = IdentityPatch::new().patch_id("00000000-0000-4000-8000-00000000000b");
            let batch = PatchIdentitiesBody::new().identities(vec![nothing.clone(), create]);
            let answer = admin.batch_patch_identities(batch).send().await.unwrap();
            let results = answer.identities.unwrap_or_default();
            // One result per patch, in the order sent: none for the first.
            assert_eq!(results.len(), 2);
            assert!(results[0].is_none());
            let created = results[1].as_ref().expect("the second patch's result");
            assert!(created.identity.is_some());
            for result in &results {
                seen.note(
                    "batch",
                    match result {
                        Some(r) => format!(
                            "{:?} {:?} identity={}",
                            r.patch_id,
                            r.action.as_ref().map(|a| a.to_string()),
                            r.identity.is_some()
                        ),
                        None => "null".to_string(),
                    },
                );
            }
            // Nothing to create at all.
            let batch = PatchIdentitiesBody::new().identities(vec![nothing]);
            let answer = admin.batch_patch_identities(batch).send().await;
            seen.outcome("batch, nothing to create", &answer);
        },
    )
    .await;
}

/// A batch's answer, one line: each entry's action and error (code and
/// reason), or the whole call's error.
fn batch_line(
    answer: &Result<
        kratos_client::models::BatchPatchIdentitiesResponse,
        Error<kratos_client::BatchPatchIdentitiesError>,
    >,
) -> String {
    match answer {
        Ok(answer) => answer
            .identities
            .iter()
            .flatten()
            .map(|entry| match entry {
                None => "null".to_string(),
                Some(r) => match &r.error {
                    None => format!(
                        "{} id={}",
                        r.action.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                        r.identity.is_some()
                    ),
                    Some(e) => format!("error {} {}", e["code"], e["reason"]),
                },
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Err(error) => format!(
            "call refused {} {:?}",
            error.status().map_or(0, |s| s.as_u16()),
            error.generic_error().and_then(|e| e.reason.clone())
        ),
    }
}

#[tokio::test]
async fn a_batch_refuses_per_identity_what_it_checks_per_identity_and_whole_what_it_reads() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let admin = kratos.identity();
            kratos
                .add_identity("taken@example.com", PASSWORD, None)
                .await
                .unwrap();
            let entry =
                |body: kratos_client::models::CreateIdentityBody| IdentityPatch::new().create(body);
            // An identity without credentials.
            let person = |email: &str| {
                let mut body = body(email, None, None);
                body.credentials = None;
                entry(body)
            };
            let mut other_schema = body("schema@example.com", Some(PASSWORD), None);
            other_schema.schema_id = "nope".into();
            let mut bad_state = body("state@example.com", Some(PASSWORD), None);
            bad_state.state = Some(serde_json::from_value(json!("asleep")).unwrap());
            let hash = bcrypt::hash("a hashed battery", 4).unwrap();
            let cases: Vec<(&str, Vec<IdentityPatch>)> = vec![
                (
                    "invalid email, new",
                    vec![person("not-an-email"), person("new1@example.com")],
                ),
                (
                    "unknown schema, new",
                    vec![entry(other_schema), person("new2@example.com")],
                ),
                (
                    "taken, taken",
                    vec![person("taken@example.com"), person("TAKEN@example.com")],
                ),
                (
                    "new, the same again, new",
                    vec![
                        person("dup@example.com"),
                        person("dup@example.com"),
                        person("new3@example.com"),
                    ],
                ),
                ("one, taken", vec![person("taken@example.com")]),
                (
                    "invalid email, taken",
                    vec![person("not-an-email"), person("taken@example.com")],
                ),
                (
                    "unknown hash format",
                    vec![
                        entry(body("hash@example.com", None, Some("nohash"))),
                        person("new4@example.com"),
                    ],
                ),
                (
                    "bcrypt hash",
                    vec![entry(body("bcrypt@example.com", None, Some(&hash)))],
                ),
                (
                    "unknown state",
                    vec![entry(bad_state), person("new5@example.com")],
                ),
                (
                    "1,001",
                    (0..1001)
                        .map(|n| person(&format!("many{n}@example.com")))
                        .collect(),
                ),
                (
                    "201 cleartext passwords",
                    (0..201)
                        .map(|n| {
                            entry(body(&format!("clear{n}@example.com"), Some(PASSWORD), None))
                        })
                        .collect(),
                ),
            ];
            for (what, patches) in cases {
                let answer = admin
                    .batch_patch_identities(PatchIdentitiesBody::new().identities(patches))
                    .send()
                    .await;
                seen.note(what, batch_line(&answer));
            }
            let all = admin.list_identities().page_size(500).send().await.unwrap();
            let mut emails: Vec<String> = all
                .items
                .iter()
                .filter_map(|i| i.traits["email"].as_str().map(str::to_string))
                .collect();
            emails.sort();
            seen.note("stored", emails.join(" "));
        },
    )
    .await;
}

#[tokio::test]
async fn identity_schemas_are_read_through_the_admin_url() {
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            // The admin API's client: a real Kratos sends these reads to its
            // public URL with a 307, which the client follows.
            let admin = kratos.identity();
            let page = admin.list_identity_schemas().send().await;
            let page = page.map(|page| page.items);
            seen.outcome("list", &page);
            let ids: Vec<String> = page.unwrap().into_iter().map(|s| s.id).collect();
            assert_eq!(ids, ["default"]);
            let schema = admin.get_identity_schema("default").send().await;
            let schema = schema.expect("the default schema");
            seen.note(
                "get default",
                schema["properties"]["traits"]["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect::<Vec<_>>().join(","))
                    .unwrap_or_default(),
            );
            let missing = admin.get_identity_schema("nope").send().await;
            seen.outcome("get unknown", &missing);
            let reason = missing
                .unwrap_err()
                .generic_error()
                .and_then(|e| e.reason.clone());
            seen.note("  reason", reason.unwrap_or_default());
        },
    )
    .await;
}

#[tokio::test]
async fn identities_are_imported_in_batches_exported_and_imported_again() {
    use futures_util::StreamExt;
    use kratos_client::bulk::{export, Importer};
    on_each(
        TestKratos::builder(),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos
                .add_identity("taken@example.com", PASSWORD, None)
                .await
                .unwrap();
            let hash = bcrypt::hash("a hashed battery", 4).unwrap();
            let mut items = vec![
                body("ada@example.com", None, Some(&hash)),
                body("grace@example.com", Some("a cleartext battery"), None),
                body("taken@example.com", None, Some(&hash)),
                body("not-an-email", None, Some(&hash)),
                body("ada@example.com", None, Some(&hash)),
            ];
            items[1].metadata_public = Some(json!({"plan": "pro"}));
            let import = |items: Vec<_>| {
                // One batch at a time: with several in flight, which of two
                // items with the same address is created is the order the
                // batches commit in.
                Importer::new(kratos.identity())
                    .batch_size(2)
                    .in_flight(1)
                    .import(futures_util::stream::iter(items))
                    .collect::<Vec<_>>()
            };
            for item in import(items).await {
                let outcome = match item.outcome {
                    kratos_client::bulk::ImportOutcome::Created { .. } => "created".to_string(),
                    other => format!("{other:?}"),
                };
                seen.note(&format!("import {}", item.index), outcome);
            }
            let exported: Vec<_> = export(&kratos.identity(), 2, true)
                .map(|item| item.expect("an identity"))
                .collect()
                .await;
            let mut lines: Vec<String> = exported
                .iter()
                .map(|body| {
                    let hash = body
                        .credentials
                        .as_ref()
                        .and_then(|c| c.password.as_ref())
                        .and_then(|p| p.config.as_ref())
                        .and_then(|c| c.hashed_password.as_deref())
                        .map_or("none", |h| {
                            if h.starts_with("$2") {
                                "bcrypt"
                            } else {
                                "other"
                            }
                        });
                    format!(
                        "{} state={:?} metadata_public={} hash={hash}",
                        body.traits.get("email").cloned().unwrap_or_default(),
                        body.state.as_ref().map(|s| s.to_string()),
                        json!(body.metadata_public),
                    )
                })
                .collect();
            lines.sort();
            for line in lines {
                seen.note("exported", line);
            }
            for item in import(exported).await {
                seen.note(
                    &format!("again {}", item.index),
                    format!("{:?}", item.outcome),
                );
            }
            for (email, password) in [
                ("ada@example.com", "a hashed battery"),
                ("grace@example.com", "a cleartext battery"),
            ] {
                assert!(sign_in(&kratos.frontend(), email, password).await.is_some());
            }
        },
    )
    .await;
}
