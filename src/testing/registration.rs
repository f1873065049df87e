//! The native registration flow: start, fetch, submit (password, with
//! Kratos's validation messages; social sign-in answers 422).

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use wiremock::ResponseTemplate;

use super::http::{already_signed_in, error_body, json_response, text};
use super::schema::{identifier, password_message, trait_messages, trait_nodes};
use super::store::{Exchange, FlowKind, Password, Store};
use super::{Call, Form};

const KIND: FlowKind = FlowKind::Registration;

/// Kratos's reason for refusing a registration to a signed-in user.
const SIGNED_IN: &str = "A valid session was detected and thus registration is not possible.";

/// Answers the registration endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<ResponseTemplate> {
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
            let id = store.new_flow(KIND, call.request_url(&store.base), call.query("return_to"));
            let mut body = flow_json(store, &id);
            if call.query("return_session_token_exchange_code").as_deref() == Some("true") {
                let init_code = store.random.code(32);
                let return_to_code = store.random.code(32);
                store.exchanges.insert(
                    init_code.clone(),
                    Exchange {
                        flow_id: id,
                        return_to_code,
                        session_token: None,
                    },
                );
                body["session_token_exchange_code"] = json!(init_code);
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
            submit(store, &id, &call.form())
        }
        _ => return None,
    })
}

/// The flow as Kratos writes it, with the form the mock's schema makes.
fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    let mut nodes = vec![flow.csrf()];
    nodes.extend(trait_nodes(store, flow, "default", &flow.values));
    nodes.push(flow.password_field("new-password"));
    nodes.push(flow.submit(
        "password",
        "method",
        "password",
        text(1040001, "Sign up", "info", None),
    ));
    for provider in &store.config.oidc_providers {
        nodes.push(flow.submit(
            "oidc",
            "provider",
            provider,
            text(
                1040002,
                &format!("Sign up with {provider}"),
                "info",
                Some(json!({"provider": provider, "provider_id": provider})),
            ),
        ));
    }
    store.flow_json(flow, nodes)
}

/// Handles a form submission for the (existing, unexpired) flow `id`.
fn submit(store: &mut Store, id: &str, form: &Form) -> ResponseTemplate {
    let method = form.field("method");
    let traits = form
        .value("traits")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if method == "oidc" || method == "saml" {
        let provider = form.field("provider");
        if store.config.oidc_providers.iter().any(|p| p == provider) {
            let to = format!(
                "https://{provider}.example/oauth/authorize?client_id=kratos&state={}",
                store.random.code(16)
            );
            let mut body = error_body(
                422,
                "Unprocessable Entity",
                Some("browser_location_change_required"),
                "browser location change required",
                &format!("In order to complete this flow please redirect the browser to: {to}"),
            );
            body["redirect_browser_to"] = json!(to);
            return json_response(422, body);
        }
    }
    let password = form.field("password");
    let mut form_messages = Vec::new();
    let mut field_messages: HashMap<String, Vec<Value>> = HashMap::new();
    if method != "password" {
        form_messages.push(text(
            4010003,
            "Could not find a strategy to sign you up with. Did you fill out the form correctly?",
            "error",
            None,
        ));
    } else {
        field_messages = trait_messages(store, &traits);
        if field_messages.is_empty() {
            if let Some(message) = password_message(password) {
                field_messages.insert("password".into(), vec![message]);
            }
        }
        if field_messages.is_empty() {
            if let Some(identifier) = identifier(store, &traits) {
                if store
                    .identities
                    .iter()
                    .any(|i| i.identifier.as_ref() == Some(&identifier))
                {
                    form_messages.push(text(4000007, "An account with the same identifier (email, phone, username, ...) exists already.", "error", None));
                }
            }
        }
    }
    if form_messages.is_empty() && field_messages.is_empty() {
        return json_response(200, register(store, id, traits, password));
    }
    if let Some(flow) = store.flows.get_mut(id) {
        flow.values = traits;
        flow.form_messages = form_messages;
        flow.field_messages = field_messages;
    }
    json_response(400, flow_json(store, id))
}

/// Creates the identity and its session, and returns the registration answer.
fn register(store: &mut Store, flow_id: &str, traits: Map<String, Value>, password: &str) -> Value {
    let identifier = identifier(store, &traits);
    let identity_id = store.add_identity(
        identifier,
        traits,
        Some(Password::Clear(password.to_string())),
    );
    let token = store.start_session(&identity_id, "password", "aal1");
    if let Some(exchange) = store.exchanges.values_mut().find(|e| e.flow_id == flow_id) {
        exchange.session_token = Some(token.clone());
    }
    if let Some(flow) = store.flows.get_mut(flow_id) {
        flow.state = "passed_challenge";
    }
    let session = store.session(&token).map(|s| store.session_json(s));
    let identity = store.identity(&identity_id).map(|i| store.identity_json(i));
    json!({
        "session_token": token,
        "session": session,
        "identity": identity,
        "continue_with": [{"action": "set_ory_session_token", "ory_session_token": token}],
    })
}
