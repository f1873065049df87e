//! The native registration flow: start, fetch, submit (password, with
//! Kratos's validation messages; social sign-in answers 422). Registering
//! signs the user in and sends a verification code to the new address.

use std::collections::HashMap;

use super::http::Answer;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::http::{already_signed_in, error_body, json_response, text};
use super::schema::{identifier, password_message, trait_messages_filling, trait_nodes};
use super::store::{FlowKind, Password, Store};

const KIND: FlowKind = FlowKind::Registration;

/// Kratos's reason for refusing a registration to a signed-in user.
const SIGNED_IN: &str = "A valid session was detected and thus registration is not possible.";

/// Answers the registration endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    let signed_in = call.token().is_some_and(|t| store.session(t).is_some());
    Some(match (call.method(), call.path()) {
        ("GET", "/self-service/registration/api") => {
            if !store.config.registration_enabled {
                return Some(json_response(
                    400,
                    error_body(
                        400,
                        "Bad Request",
                        Some("self_service_flow_disabled"),
                        "registration flow disabled",
                        "Registration is not allowed because it was disabled.",
                    ),
                ));
            }
            if signed_in {
                return Some(already_signed_in(SIGNED_IN));
            }
            // A schema other than the default one, when the app asks for it.
            let schema_id = match call.query("identity_schema").filter(|s| !s.is_empty()) {
                None => "default".to_string(),
                Some(id) if store.config.schema(&id).is_some() => id,
                Some(id) => {
                    return Some(super::http::bad_request(&format!(
                        "Requested identity schema {id:?} does not exist."
                    )))
                }
            };
            let id = match store.start_flow(KIND, call) {
                Ok(id) => id,
                Err(refused) => return Some(*refused),
            };
            if let Some(flow) = store.flows.get_mut(&id) {
                flow.schema_id = schema_id;
            }
            if let Err(refused) = super::web_hooks::before_flow(store, call, &id, None) {
                return Some(*refused);
            }
            let mut body = flow_json(store, &id);
            // Kratos links the code to a session when social sign-in
            // finishes in a browser (`social`).
            if call.query("return_session_token_exchange_code").as_deref() == Some("true") {
                body["session_token_exchange_code"] = json!(store.new_exchange(&id));
            }
            json_response(200, body)
        }
        ("GET", "/self-service/registration/flows") => match store.flow_named(KIND, call, "id") {
            Ok(id) => json_response(200, flow_json(store, &id)),
            Err(response) => *response,
        },
        ("POST", "/self-service/registration") => {
            let id = match store.flow_named(KIND, call, "flow") {
                Ok(id) => id,
                Err(response) => return Some(*response),
            };
            if signed_in {
                return Some(already_signed_in(SIGNED_IN));
            }
            submit(store, &id, call)
        }
        _ => return None,
    })
}

/// The flow as Kratos writes it, with the form the mock's schema makes:
/// social sign-in first, then the CSRF field, the first trait, the
/// password, the other traits, and the button.
/// The registration flow `id` as Kratos writes it.
pub(super) fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    if let Some(provider) = &flow.social_retry {
        return store.flow_json(flow, store.social_retry_nodes(flow, provider));
    }
    let mut nodes = store.provider_buttons(flow, 1040002, "Sign up");
    nodes.push(flow.csrf());
    let mut traits = trait_nodes(store, flow, "default", &flow.values).into_iter();
    nodes.extend(traits.next());
    nodes.push(flow.password_field("new-password"));
    nodes.extend(traits);
    nodes.push(flow.submit(
        "password",
        "method",
        "password",
        text(1040001, "Sign up", "info", None),
    ));
    store.flow_json(flow, nodes)
}

/// Handles a form submission for the (existing, unexpired) flow `id`.
fn submit(store: &mut Store, id: &str, call: &Call) -> Answer {
    let form = &call.form();
    let method = form.field("method");
    let traits = form
        .value("traits")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // A provider with no method (a provider's button in a browser's
    // form) or the `oidc` method is social sign-in, as Kratos reads it.
    let provider = form.field("provider");
    if matches!(method, "" | "oidc" | "saml") && store.config.has_provider(provider) {
        return store.social_sign_in(id, provider);
    }
    let password = form.field("password");
    let schema_id = store
        .flows
        .get(id)
        .map_or_else(|| "default".to_string(), |f| f.schema_id.clone());
    let mut form_messages = Vec::new();
    let mut values = traits.clone();
    let mut field_messages: HashMap<String, Vec<Value>> =
        trait_messages_filling(store, &schema_id, &traits, &mut values);
    if field_messages.is_empty() {
        if method != "password" {
            form_messages.push(text(
                4010003,
                "Could not find a strategy to sign you up with. Did you fill out the form correctly?",
                "error",
                None,
            ));
        } else if let Some(message) = password_message(
            password,
            identifier(store, &schema_id, &traits).as_deref(),
            store.config.min_password_length,
        ) {
            field_messages.insert("password".into(), vec![message]);
        }
    }
    if form_messages.is_empty() && field_messages.is_empty() {
        let taken = identifier(store, &schema_id, &traits).is_some_and(|id| {
            store
                .identities
                .iter()
                .any(|i| i.identifier.as_ref() == Some(&id))
        });
        if !taken {
            return save(store, id, call, &schema_id, traits, password);
        }
        // Kratos finds the address taken only when it stores the identity,
        // and shows the form again without what was typed.
        form_messages.push(text(
            4000007,
            "An account with the same identifier (email, phone, username, ...) exists already.",
            "error",
            None,
        ));
        values = Map::new();
    }
    if let Some(flow) = store.flows.get_mut(id) {
        flow.values = values;
        flow.form_messages = form_messages;
        flow.field_messages = field_messages;
    }
    json_response(400, flow_json(store, id))
}

/// Saves the registration: the app's hooks that parse their answer see the
/// identity first (and may stop the registration or change the identity),
/// then the identity and its session are made, then the other hooks are
/// told (a failing one turns the answer into an error, the identity kept).
fn save(
    store: &mut Store,
    flow_id: &str,
    call: &Call,
    schema_id: &str,
    traits: Map<String, Value>,
    password: &str,
) -> Answer {
    use super::web_hooks::{self, Stage, Stop};
    let point = super::options::HookPoint::After(KIND, "password".into());
    let mut draft = Some(draft(store, schema_id, &traits));
    match web_hooks::run(
        store,
        call,
        &point,
        Stage::BeforeSaving,
        flow_id,
        &mut draft,
        None,
    ) {
        Ok(()) => {}
        Err(Stop::Messages(messages)) => {
            web_hooks::show_messages(store, flow_id, &messages);
            // The form shows what was typed, as after Kratos's own refusals.
            let mut values = traits.clone();
            super::schema::trait_messages_filling(store, schema_id, &traits, &mut values);
            if let Some(flow) = store.flows.get_mut(flow_id) {
                flow.values = values;
            }
            return json_response(400, flow_json(store, flow_id));
        }
        Err(Stop::Error(error)) => return web_hooks::failed(store, call, flow_id, error),
    }
    let draft = draft.unwrap_or_default();
    let registered = match register(store, flow_id, &draft, password) {
        Ok(registered) => registered,
        // The session hook refuses an identity a hook made inactive; the
        // identity is saved.
        Err(identity_id) => return super::http::identity_disabled(&identity_id),
    };
    let identity_id = registered["identity"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut saved = store.identity(&identity_id).map(|i| store.identity_json(i));
    // Hooks that do not parse their answer cannot stop the registration
    // with messages, only fail it.
    if let Err(Stop::Error(error)) =
        web_hooks::run(store, call, &point, Stage::Saved, flow_id, &mut saved, None)
    {
        return web_hooks::failed(store, call, flow_id, error);
    }
    json_response(200, registered)
}

/// The identity about to be saved, as Kratos shows it to a hook before it
/// has an id.
fn draft(store: &Store, schema_id: &str, traits: &Map<String, Value>) -> Value {
    let zero = "00000000-0000-0000-0000-000000000000";
    let never = "0001-01-01T00:00:00Z";
    let mut draft = json!({
        "id": zero,
        "schema_id": schema_id,
        "schema_url": "",
        "state": "active",
        "state_changed_at": super::store::rfc3339(std::time::SystemTime::now()),
        "traits": traits,
        "metadata_public": null,
        "organization_id": null,
        "created_at": never,
        "updated_at": never,
    });
    if let Some(address) = identifier(store, schema_id, traits) {
        draft["verifiable_addresses"] = json!([{"id": zero, "value": address, "verified": false, "via": "email", "status": "pending", "created_at": never, "updated_at": never}]);
        draft["recovery_addresses"] = json!([{"id": zero, "value": address, "via": "email", "created_at": never, "updated_at": never}]);
    }
    draft
}

/// Creates the identity `draft` (as the hooks left it) and its session,
/// sends the verification code, and returns the registration answer; the
/// identity's id when it is inactive (no session).
fn register(
    store: &mut Store,
    flow_id: &str,
    draft: &Value,
    password: &str,
) -> Result<Value, String> {
    let schema_id = draft["schema_id"].as_str().unwrap_or("default").to_string();
    let traits = draft["traits"].as_object().cloned().unwrap_or_default();
    let identifier = identifier(store, &schema_id, &traits);
    let identity_id = store.add_identity(
        identifier,
        traits,
        Some(Password::Clear(password.to_string())),
    );
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        identity.schema_id = schema_id;
        super::web_hooks::keep_changes(identity, draft);
    }
    store.send_verification(&identity_id, false);
    if let Some(flow) = store.flows.get_mut(flow_id) {
        flow.state = "passed_challenge";
    }
    if store
        .identity(&identity_id)
        .is_some_and(|i| i.state != "active")
    {
        return Err(identity_id);
    }
    let identity = store.identity(&identity_id).map(|i| store.identity_json(i));
    let token = store.start_session(&identity_id, "password", "aal1");
    let session = store.session(&token).map(|s| store.session_json(s));
    Ok(json!({
        "session_token": token,
        "session": session,
        "identity": identity,
        "continue_with": [{"action": "set_ory_session_token", "ory_session_token": token}],
    }))
}
