//! The native login flow by password: start (fresh, or `refresh` for a
//! signed-in user), fetch, submit. A wrong identifier or password answers
//! 400 with the flow and Kratos's message 4000006; a success answers the
//! session token and the session.

use std::time::SystemTime;

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::http::{already_signed_in, json_response, text};
use super::store::{FlowKind, Store};
use super::Call;

const KIND: FlowKind = FlowKind::Login;

/// Answers the login endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<ResponseTemplate> {
    Some(match (call.method(), call.path()) {
        ("GET", "/self-service/login/api") => {
            let refresh = call.query("refresh").as_deref() == Some("true");
            let aal = match call.query("aal").as_deref() {
                Some("aal2") => "aal2",
                _ => "aal1",
            };
            let signed_in = call.token().is_some_and(|t| store.session(t).is_some());
            if signed_in && !refresh && aal == "aal1" {
                return Some(already_signed_in(
                    "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
                ));
            }
            let id = store.new_flow(KIND, call.request_url(&store.base), call.query("return_to"));
            if let Some(flow) = store.flows.get_mut(&id) {
                flow.refresh = refresh;
                flow.requested_aal = aal;
            }
            json_response(200, flow_json(store, &id))
        }
        ("GET", "/self-service/login/flows") => match store.flow_named(KIND, call, "id") {
            Ok(id) => json_response(200, flow_json(store, &id)),
            Err(response) => *response,
        },
        ("POST", "/self-service/login") => {
            let id = match store.flow_named(KIND, call, "flow") {
                Ok(id) => id,
                Err(response) => return Some(*response),
            };
            submit(store, &id, call)
        }
        _ => return None,
    })
}

/// The login flow with its password form, as Kratos writes it.
fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    let identifier = flow.values.get("identifier").cloned().unwrap_or(json!(""));
    let nodes = vec![
        flow.input(
            "default",
            json!({"name": "identifier", "type": "text", "value": identifier, "required": true, "disabled": false, "node_type": "input"}),
            Some(text(1070004, "ID", "info", None)),
            "identifier",
        ),
        flow.input(
            "default",
            json!({"name": "csrf_token", "type": "hidden", "required": true, "value": "", "disabled": false, "node_type": "input"}),
            None,
            "csrf_token",
        ),
        flow.input(
            "password",
            json!({"name": "password", "type": "password", "required": true, "autocomplete": "current-password", "disabled": false, "node_type": "input"}),
            Some(text(1070001, "Password", "info", None)),
            "password",
        ),
        flow.input(
            "password",
            json!({"name": "method", "type": "submit", "value": "password", "disabled": false, "node_type": "input"}),
            Some(text(1010022, "Sign in with password", "info", None)),
            "method",
        ),
    ];
    let mut body = store.flow_json(flow, nodes);
    body["refresh"] = json!(flow.refresh);
    body["requested_aal"] = json!(flow.requested_aal);
    body
}

/// Handles a password submission for the (existing, unexpired) flow `id`.
fn submit(store: &mut Store, id: &str, call: &Call) -> ResponseTemplate {
    let form: Value = serde_json::from_slice(call.body()).unwrap_or(Value::Null);
    let field = |name: &str| form.get(name).and_then(Value::as_str).unwrap_or("");
    if field("method") != "password" {
        return reject(store, id, "", text(4010002, "Could not find a strategy to log you in with. Did you fill out the form correctly?", "error", None));
    }
    let identifier = field("identifier").trim().to_lowercase();
    let found = store
        .identities
        .iter()
        .find(|i| {
            i.identifier.as_deref() == Some(identifier.as_str())
                && i.password.as_deref() == Some(field("password"))
        })
        .map(|i| i.id.clone());
    let Some(identity_id) = found else {
        let message = text(4000006, "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.", "error", None);
        return reject(store, id, field("identifier"), message);
    };
    let refresh = store.flows.get(id).is_some_and(|f| f.refresh);
    let current = call
        .token()
        .and_then(|t| store.session(t))
        .filter(|s| refresh && s.identity_id == identity_id)
        .map(|s| s.token.clone());
    let token = match current {
        // A refresh proves the user is still there: the same session, authenticated now.
        Some(token) => {
            if let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) {
                let now = SystemTime::now();
                session.authenticated_at = now;
                session.methods.push(("password", "aal1", now));
            }
            token
        }
        None => store.start_session(&identity_id, "password", "aal1"),
    };
    if let Some(flow) = store.flows.get_mut(id) {
        flow.state = "passed_challenge";
    }
    let session = store.session(&token).map(|s| store.session_json(s));
    json_response(200, json!({"session_token": token, "session": session}))
}

/// The flow again with `message` on the form, keeping the identifier typed.
fn reject(store: &mut Store, id: &str, identifier: &str, message: Value) -> ResponseTemplate {
    if let Some(flow) = store.flows.get_mut(id) {
        flow.values.insert("identifier".into(), json!(identifier));
        flow.form_messages = vec![message];
    }
    json_response(400, flow_json(store, id))
}
