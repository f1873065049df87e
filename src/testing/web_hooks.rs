//! The app's web hooks, called as Kratos v26.2.0 calls a registration's
//! `after.password` hook with `response.parse: true` (ahead of the
//! `session` hook): the whole context as the body, the hook's API key in
//! its header; a 4xx answer with Kratos's `messages` stops the
//! registration with them on the form (the flow's 400), a 2xx answer with
//! an `identity` changes the identity before it is saved.

use serde_json::{json, Map, Value};

use super::http::{json_response, Answer};
use super::outbound::blocking;
use super::store::Store;

/// Calls each hook with the registration flow `flow_id` and the identity
/// about to be saved with `traits`: the traits to save (as changed), or
/// the flow's 400 when a hook stopped it.
pub(super) fn before_saving(
    store: &mut Store,
    flow_id: &str,
    schema_id: &str,
    mut traits: Map<String, Value>,
) -> Result<Map<String, Value>, Box<Answer>> {
    for hook in store.config.web_hooks.clone() {
        let context = json!({
            "flow": store.flows.get(flow_id).map(|f| store.flow_json(f, Vec::new())),
            "identity": {
                "id": "00000000-0000-0000-0000-000000000000",
                "schema_id": schema_id,
                "schema_url": format!("{}/schemas/{}", store.base, super::store::base64_url(schema_id)),
                "state": "active",
                "traits": traits,
            },
            "request_headers": {"Accept": ["application/json"], "Content-Type": ["application/json"]},
            "request_method": "POST",
            "request_url": format!("{}/self-service/registration?flow={flow_id}", store.base),
            "request_cookies": {},
        });
        let Ok(client) = crate::client::bare_client() else {
            continue;
        };
        let mut request = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("ory-webhook-request-id", store.random.uuid())
            .header("ory-webhook-trigger-id", store.random.uuid())
            .body(context.to_string());
        if let Some((name, value)) = &hook.api_key {
            request = request.header(name.as_str(), value.expose());
        }
        let Some((status, body)) = blocking(request.send()) else {
            continue;
        };
        match status {
            200..=299 => {
                if let Some(changed) = body["identity"]["traits"].as_object() {
                    traits = changed.clone();
                }
            }
            400..=499 if body.get("messages").is_some() => {
                return Err(Box::new(interrupted(store, flow_id, &body, &traits)));
            }
            _ => {}
        }
    }
    Ok(traits)
}

/// The registration stopped by a hook: its messages on the form, the
/// flow's 400.
fn interrupted(
    store: &mut Store,
    flow_id: &str,
    body: &Value,
    traits: &Map<String, Value>,
) -> Answer {
    let mut form = Vec::new();
    let mut fields: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for group in body["messages"].as_array().into_iter().flatten() {
        let pointer = group["instance_ptr"].as_str().unwrap_or("#");
        let messages = group["messages"].as_array().cloned().unwrap_or_default();
        match pointer.strip_prefix("#/").filter(|p| !p.is_empty()) {
            Some(path) => fields
                .entry(path.replace('/', "."))
                .or_default()
                .extend(messages),
            None => form.extend(messages),
        }
    }
    // The form shows what was typed, as after Kratos's own refusals.
    let schema_id = store
        .flows
        .get(flow_id)
        .map_or_else(|| "default".to_string(), |f| f.schema_id.clone());
    let mut values = traits.clone();
    super::schema::trait_messages_filling(store, &schema_id, traits, &mut values);
    if let Some(flow) = store.flows.get_mut(flow_id) {
        flow.values = values;
        flow.form_messages = form;
        flow.field_messages = fields;
    }
    json_response(400, super::registration::flow_json(store, flow_id))
}
