//! The exporter: every identity, as the body that imports it again.

use futures_core::Stream;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use crate::models::{CreateIdentityBody, Identity};
use crate::{Error, IdentityApi, ListIdentitiesError};

/// Every identity of `api`'s Kratos, page by page (`page_size` each, 1 to
/// 500, Kratos's limit;
/// fetching the next page only when the one before is used up), each as
/// the [`CreateIdentityBody`] that creates it again: schema, traits, state,
/// metadata, external id, addresses, and with `credentials` its password
/// hash (or its `use_password_migration_hook`), so that importing the
/// stream into another Kratos reproduces the identities and their
/// passwords. Other credentials (social sign-in links, passkeys) are not
/// carried. An error is the stream's last item.
///
/// Written as JSON lines (`serde_json::to_string` of each), it is what the
/// admin example's `identities import` reads back.
pub fn export(
    api: &IdentityApi,
    page_size: i64,
    credentials: bool,
) -> impl Stream<Item = Result<CreateIdentityBody, Error<ListIdentitiesError>>> + Send + 'static {
    let mut list = api.list_identities().page_size(page_size.clamp(1, 500));
    if credentials {
        list = list.include_credential(["password"]);
    }
    list.items().map(with_body)
}

/// An item of the list, as the body that creates it again.
#[allow(clippy::result_large_err)] // the list's own error, as its items carry it
fn with_body(
    item: Result<Identity, Error<ListIdentitiesError>>,
) -> Result<CreateIdentityBody, Error<ListIdentitiesError>> {
    item.map(|identity| to_create_body(&identity))
}

/// The body that creates `identity` again.
fn to_create_body(identity: &Identity) -> CreateIdentityBody {
    let shown = serde_json::to_value(identity).unwrap_or(Value::Null);
    let mut body = Map::new();
    for key in [
        "schema_id",
        "traits",
        "state",
        "metadata_public",
        "metadata_admin",
        "external_id",
        "organization_id",
    ] {
        if let Some(value) = shown.get(key).filter(|v| !v.is_null()) {
            body.insert(key.into(), value.clone());
        }
    }
    // The addresses as one creates them: value, via, and for a verifiable
    // one whether (and how far) it is verified.
    let keep = |key: &str, fields: &[&str]| -> Option<Value> {
        let list: Vec<Value> = shown
            .get(key)?
            .as_array()?
            .iter()
            .map(|address| {
                let kept: Map<String, Value> = fields
                    .iter()
                    .filter_map(|f| address.get(*f).map(|v| (f.to_string(), v.clone())))
                    .collect();
                Value::Object(kept)
            })
            .collect();
        (!list.is_empty()).then_some(Value::Array(list))
    };
    if let Some(list) = keep(
        "verifiable_addresses",
        &["value", "via", "verified", "status"],
    ) {
        body.insert("verifiable_addresses".into(), list);
    }
    if let Some(list) = keep("recovery_addresses", &["value", "via"]) {
        body.insert("recovery_addresses".into(), list);
    }
    let password = shown.pointer("/credentials/password/config");
    let hash = password
        .and_then(|c| c.get("hashed_password"))
        .and_then(Value::as_str);
    let migrate =
        password.and_then(|c| c.get("use_password_migration_hook")) == Some(&Value::Bool(true));
    let config = match (hash, migrate) {
        (Some(hash), _) if !hash.is_empty() => Some(json!({ "hashed_password": hash })),
        (_, true) => Some(json!({ "use_password_migration_hook": true })),
        _ => None,
    };
    if let Some(config) = config {
        body.insert(
            "credentials".into(),
            json!({ "password": { "config": config } }),
        );
    }
    serde_json::from_value(Value::Object(body)).unwrap_or_else(|_| {
        // Every field above is one the body has: not reached, but never a
        // panic on what a server sent.
        CreateIdentityBody::new(identity.schema_id.clone(), Map::new())
    })
}
