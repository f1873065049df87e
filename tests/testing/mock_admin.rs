//! What MockKratos's admin API does beyond the journeys that run on the
//! mock and a real Kratos (`tests/journeys/admin.rs`): an API key enforced
//! when configured, identities of the shape of Kratos's snapshots, and every
//! refusal of a batch (the JSON Patch journey, refusals included, runs on
//! both servers).

//! Needs our document: upstream's leaves `create_identity`'s body optional,
//! so the call is spelled differently there.
#![cfg(kratos_bundled_spec)]

use crate::common::accounts::{identity_body as body, sign_in};

use std::collections::BTreeSet;

use kratos_client::models::{IdentityPatch, PatchIdentitiesBody};
use kratos_client::testing::MockKratos;
use kratos_client::{BatchPatchIdentitiesError, Client, Error};
use serde_json::{json, Value};

#[tokio::test]
async fn an_api_key_is_enforced_when_configured() {
    let kratos = MockKratos::builder()
        .api_key("ory_pat_mock0123456789")
        .start()
        .await;
    let without = Client::new(kratos.uri()).unwrap().identity();
    let err = without.list_identities().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let wrong = Client::builder(kratos.uri())
        .api_key("ory_pat_wrong")
        .build()
        .unwrap();
    assert!(wrong.identity().list_identities().send().await.is_err());
    // The mock's own admin client carries the key.
    assert!(kratos.identity().list_identities().send().await.is_ok());
    // Health needs none.
    let health = Client::new(kratos.uri())
        .unwrap()
        .metadata()
        .is_alive()
        .send()
        .await
        .unwrap();
    assert_eq!(health.status, "ok");
}

/// The mock's identities have the shape of Kratos's own, as its snapshots
/// of imported identities show them (skipped without `../shared`).
#[tokio::test]
async fn admin_identities_have_the_shape_of_kratos_ones() {
    let Some(shared) =
        crate::common::shared_kratos("admin_identities_have_the_shape_of_kratos_ones")
    else {
        return;
    };
    let snapshot = shared.join("fixtures/identities/identity-TestHandler-case=should_be_able_to_import_users-with_hashed_-0dd450.json");
    let real: Value = serde_json::from_str(&std::fs::read_to_string(snapshot).unwrap()).unwrap();
    let kratos = MockKratos::start().await;
    let id = kratos.add_identity("ada@example.com", "correct horse battery", None);
    let _ = kratos.client(); // installs the TLS provider reqwest needs
    let bytes = reqwest::get(format!("{}/admin/identities/{id}", kratos.uri()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let raw: Value = serde_json::from_slice(&bytes).unwrap();
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<BTreeSet<_>>())
            .unwrap_or_default()
    };
    // Every key of Kratos's snapshot (which strips ids and times) is there.
    let missing: Vec<_> = keys(&real).difference(&keys(&raw)).cloned().collect();
    assert!(missing.is_empty(), "missing {missing:?}");
    // Kratos v26.2.0 leaves a credential's `config` out unless it is asked
    // for (`include_credential`); the older snapshot shows it empty. Either
    // way no hash is sent back.
    let mut expected = keys(&real["credentials"]["password"]);
    expected.remove("config");
    assert!(keys(&raw["credentials"]["password"]).is_superset(&expected));
    assert_eq!(real["credentials"]["password"]["config"], json!({}));
    assert!(raw["credentials"]["password"].get("config").is_none());
    // And it decodes with our models.
    serde_json::from_value::<kratos_client::models::Identity>(raw).unwrap();
}

/// A batch creates what it can: each result pairs with its patch by
/// `patch_id`, a taken identifier is an `error` entry carrying Kratos's 409,
/// and the created identities sign in. A batch that creates nothing fails.
#[tokio::test]
async fn a_batch_creates_what_it_can_and_says_which_failed() {
    let kratos = MockKratos::start().await;
    kratos.add_identity("taken@example.com", "correct horse battery", None);
    let admin = kratos.identity();
    let entry = |email: &str, patch_id: &str| {
        IdentityPatch::new()
            .create(body(email, Some("correct horse battery"), None))
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
    let results: Vec<_> = answer.identities.unwrap().into_iter().flatten().collect();
    let summary: Vec<(Option<String>, String, bool)> = results
        .iter()
        .map(|r| {
            (
                r.patch_id.clone(),
                r.action.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                r.identity.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some(ids[0].to_string()), "create".to_string(), true),
            (Some(ids[1].to_string()), "error".to_string(), false),
            (Some(ids[2].to_string()), "create".to_string(), true),
        ]
    );
    assert_eq!(results[1].error.as_ref().unwrap()["code"], 409);
    let api = kratos.frontend();
    for email in ["one@example.com", "two@example.com"] {
        assert!(sign_in(&api, email, "correct horse battery")
            .await
            .is_some());
    }

    // A batch of one identity that clashes: 409 for the whole call.
    let batch = PatchIdentitiesBody::new().identities(vec![entry("taken@example.com", ids[0])]);
    let err = admin
        .batch_patch_identities(batch)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(BatchPatchIdentitiesError::Conflict(_))),
        "{err:?}"
    );
    // An identity its schema refuses is an entry of its own; the others
    // are stored (as on Kratos v26.2.0, journey
    // `admin::a_batch_refuses_per_identity_...`).
    let mut invalid = entry("three@example.com", ids[1]);
    if let Some(create) = invalid.create.as_mut() {
        create.traits = serde_json::Map::new();
    }
    let batch =
        PatchIdentitiesBody::new().identities(vec![entry("four@example.com", ids[0]), invalid]);
    let answer = admin.batch_patch_identities(batch).send().await.unwrap();
    let results: Vec<_> = answer.identities.unwrap().into_iter().flatten().collect();
    assert!(results[0].identity.is_some());
    assert_eq!(results[1].error.as_ref().unwrap()["code"], 400);
    let four = admin
        .list_identities()
        .credentials_identifier("four@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(four.items.len(), 1);
}
