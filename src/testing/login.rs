//! The native login flow: start (fresh, `refresh` for a signed-in user,
//! `aal2` for a second factor), fetch, submit.
//!
//! - By password: a wrong identifier or password answers 400 with the flow
//!   and message 4000006; success answers the session token and session.
//! - Identifier-first (when enabled): the identifier is answered with 400
//!   and the password form, without an error.
//! - A second factor by code: choosing the address sends a code to the
//!   outbox (400, `state: sent_email`, message 1010025); the right code
//!   lifts the same session to `aal2`, a wrong one gets 4010008.

use std::time::SystemTime;

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::http::{already_signed_in, error_body, json_response, text};
use super::store::{Flow, FlowKind, Store};
use super::{Call, Form};

const KIND: FlowKind = FlowKind::Login;

/// Answers the login endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<ResponseTemplate> {
    Some(match (call.method(), call.path()) {
        ("GET", "/self-service/login/api") => start(store, call),
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

/// Starts a flow: first factor, refresh, or second factor.
fn start(store: &mut Store, call: &Call) -> ResponseTemplate {
    let refresh = call.query("refresh").as_deref() == Some("true");
    let aal = match call.query("aal").as_deref() {
        Some("aal2") => "aal2",
        _ => "aal1",
    };
    let session = call.token().and_then(|t| store.session(t));
    let identity_id = session.map(|s| s.identity_id.clone());
    if aal == "aal2" {
        match session {
            None => {
                return json_response(
                    401,
                    error_body(
                        401,
                        "Unauthorized",
                        Some("session_aal1_required"),
                        "aal2 and aal3 can only be requested if a session exists already",
                        "You have to sign in with a first factor before you can add a second one.",
                    ),
                )
            }
            Some(s) if s.aal == "aal2" && !refresh => {
                return json_response(
                    400,
                    error_body(
                        400,
                        "Bad Request",
                        Some("session_aal_already_fulfilled"),
                        "session has the requested authenticator assurance level already",
                        "The session has the requested AAL already.",
                    ),
                )
            }
            Some(_) => {}
        }
    } else if session.is_some() && !refresh {
        return already_signed_in(
            "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
        );
    }
    let id = store.new_flow(KIND, call.request_url(&store.base), call.query("return_to"));
    if let Some(flow) = store.flows.get_mut(&id) {
        flow.refresh = refresh;
        flow.requested_aal = aal;
        if aal == "aal2" || refresh {
            flow.identity_id = identity_id;
        }
    }
    json_response(200, flow_json(store, &id))
}

/// Which form a flow shows.
enum Step {
    /// Identifier and password together.
    Password,
    /// Identifier-first: the identifier alone.
    Identifier,
    /// Identifier-first: the password for the identifier given.
    PasswordFor(Value),
    /// Second factor: a button per address to send a code to.
    ChooseAddress(String),
    /// Second factor: the code sent to the address.
    Code(String),
}

fn step(store: &Store, flow: &Flow) -> Step {
    if flow.requested_aal == "aal2" {
        let address = flow
            .identity_id
            .as_deref()
            .and_then(|id| store.identity(id))
            .and_then(|i| i.identifier.clone())
            .unwrap_or_default();
        return match flow.code {
            Some(_) => Step::Code(address),
            None => Step::ChooseAddress(address),
        };
    }
    if !store.config.identifier_first || flow.refresh {
        return Step::Password;
    }
    match flow.values.get("identifier") {
        Some(identifier) if identifier != "" => Step::PasswordFor(identifier.clone()),
        _ => Step::Identifier,
    }
}

/// The login flow with the form of its current step, as Kratos writes it.
fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    let csrf = flow.csrf();
    let password = || {
        [
            flow.password_field("current-password"),
            flow.submit(
                "password",
                "method",
                "password",
                text(1010022, "Sign in with password", "info", None),
            ),
        ]
    };
    let nodes = match step(store, flow) {
        Step::Password => {
            let identifier = flow.values.get("identifier").cloned().unwrap_or(json!(""));
            let mut nodes = vec![
                flow.input(
                    "default",
                    json!({"name": "identifier", "type": "text", "value": identifier, "required": true, "disabled": false, "node_type": "input"}),
                    Some(text(1070004, "ID", "info", None)),
                    "identifier",
                ),
                csrf,
            ];
            nodes.extend(password());
            nodes
        }
        Step::Identifier => {
            let identifier = flow.values.get("identifier").cloned().unwrap_or(json!(""));
            vec![
                csrf,
                flow.input(
                    "identifier_first",
                    json!({"name": "identifier", "type": "text", "value": identifier, "required": true, "autocomplete": "username webauthn", "disabled": false, "node_type": "input"}),
                    Some(text(1070004, "ID", "info", None)),
                    "identifier",
                ),
                flow.submit("identifier_first", "method", "identifier_first", text(1070009, "Continue", "info", None)),
            ]
        }
        Step::PasswordFor(identifier) => {
            let mut nodes = vec![
                csrf,
                flow.hidden(
                    "identifier_first",
                    "identifier",
                    identifier.as_str().unwrap_or_default(),
                ),
            ];
            nodes.extend(password());
            nodes
        }
        Step::ChooseAddress(address) => vec![
            flow.submit("code", "address", &address, text(1010023, &format!("Send code to {address}"), "info", Some(json!({"address": address, "channel": "email"})))),
            csrf,
        ],
        Step::Code(address) => vec![
            flow.input(
                "code",
                json!({"name": "identifier", "type": "hidden", "value": address, "disabled": false, "node_type": "input"}),
                Some(text(1010023, &format!("Send code to {address}"), "info", Some(json!({"address": address, "channel": "email"})))),
                "identifier",
            ),
            flow.hidden("code", "method", "code"),
            flow.input(
                "code",
                json!({"name": "code", "type": "text", "required": true, "autocomplete": "one-time-code", "disabled": false, "node_type": "input"}),
                Some(text(1070013, "Login code", "info", None)),
                "code",
            ),
            flow.submit("code", "method", "code", text(1070009, "Continue", "info", None)),
            flow.submit("code", "resend", "code", text(1070008, "Resend code", "info", None)),
            csrf,
        ],
    };
    let mut body = store.flow_json(flow, nodes);
    if flow.requested_aal == "aal2" && flow.code.is_none() && flow.form_messages.is_empty() {
        body["ui"]["messages"] = json!([text(
            1010004,
            "Please complete the second authentication challenge.",
            "info",
            None
        )]);
    }
    body["refresh"] = json!(flow.refresh);
    body["requested_aal"] = json!(flow.requested_aal);
    body
}

/// Handles a submission for the (existing, unexpired) flow `id`.
fn submit(store: &mut Store, id: &str, call: &Call) -> ResponseTemplate {
    let form = call.form();
    let Some(flow) = store.flows.get(id) else {
        return json_response(400, Value::Null);
    };
    let second_factor = flow.requested_aal == "aal2";
    match (form.field("method"), second_factor) {
        ("code", true) => code(store, id, call, &form),
        ("identifier_first", false) if store.config.identifier_first => {
            let identifier = form.field("identifier").to_string();
            if let Some(flow) = store.flows.get_mut(id) {
                flow.form_messages.clear();
                flow.field_messages.clear();
                if identifier.trim().is_empty() {
                    flow.field_messages.insert(
                        "identifier".into(),
                        vec![text(4000002, "Property identifier is missing.", "error", Some(json!({"property": "identifier"})))],
                    );
                } else {
                    flow.values.insert("identifier".into(), json!(identifier));
                }
            }
            // With account enumeration mitigation Kratos shows the password
            // form whether the identifier exists or not.
            json_response(400, flow_json(store, id))
        }
        ("password", false) => password(store, id, call, &form),
        _ => reject(
            store,
            id,
            None,
            text(
                4010002,
                "Could not find a strategy to log you in with. Did you fill out the form correctly?",
                "error",
                None,
            ),
        ),
    }
}

/// A password submission: the first factor, or a refresh.
fn password(store: &mut Store, id: &str, call: &Call, form: &Form) -> ResponseTemplate {
    let identifier = form.field("identifier").trim().to_lowercase();
    let found = store
        .identity_by_address(&identifier)
        .filter(|i| {
            i.password
                .as_ref()
                .is_some_and(|p| p.matches(form.field("password")))
        })
        .map(|i| i.id.clone());
    let Some(identity_id) = found else {
        let message = text(4000006, "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.", "error", None);
        let typed = form.field("identifier").to_string();
        return reject(store, id, Some(typed), message);
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
            authenticated_again(store, &token, "password", "aal1");
            token
        }
        None => store.start_session(&identity_id, "password", "aal1"),
    };
    finish(store, id, "password", token)
}

/// A second-factor submission: send a code to the address, or check it.
fn code(store: &mut Store, id: &str, call: &Call, form: &Form) -> ResponseTemplate {
    let Some(flow) = store.flows.get(id) else {
        return json_response(400, Value::Null);
    };
    let owner = flow.identity_id.clone();
    let sent = flow.code.clone();
    let token = call
        .token()
        .and_then(|t| store.session(t))
        .filter(|s| Some(&s.identity_id) == owner.as_ref())
        .map(|s| s.token.clone());
    let Some(token) = token else {
        return json_response(
            401,
            error_body(
                401,
                "Unauthorized",
                Some("session_aal1_required"),
                "aal2 and aal3 can only be requested if a session exists already",
                "The second factor has to be submitted with the session it is for.",
            ),
        );
    };
    let address = owner
        .as_deref()
        .and_then(|id| store.identity(id))
        .and_then(|i| i.identifier.clone())
        .unwrap_or_default();
    let typed = form.field("code");
    if sent.is_none() || !form.field("resend").is_empty() || typed.is_empty() {
        let code = store.send_code(&address, "login_code_valid", "Your sign-in code");
        if let Some(flow) = store.flows.get_mut(id) {
            flow.code = Some(code);
            flow.active = Some("code");
            flow.state = "sent_email";
            flow.field_messages.clear();
            flow.form_messages = vec![text(
                1010025,
                "A code was sent to your address. If you didn't receive it, please try again.",
                "info",
                None,
            )];
        }
        return json_response(400, flow_json(store, id));
    }
    if sent.as_deref() != Some(typed) {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.form_messages = vec![text(
                4010008,
                "The login code is invalid or has already been used. Please try again.",
                "error",
                None,
            )];
        }
        return json_response(400, flow_json(store, id));
    }
    authenticated_again(store, &token, "code", "aal2");
    if let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) {
        session.aal = "aal2";
    }
    finish(store, id, "code", token)
}

/// Records that the session `token` was just authenticated with `method`.
fn authenticated_again(store: &mut Store, token: &str, method: &'static str, aal: &'static str) {
    if let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) {
        let now = SystemTime::now();
        session.authenticated_at = now;
        session.methods.push((method, aal, now));
    }
}

/// The success answer: the session token and the session (without its
/// identity while a required second factor is missing).
fn finish(store: &mut Store, id: &str, method: &'static str, token: String) -> ResponseTemplate {
    if let Some(flow) = store.flows.get_mut(id) {
        flow.state = "passed_challenge";
        flow.active = Some(method);
        flow.code = None;
    }
    let session = store.session(&token).map(|s| store.session_json(s));
    json_response(200, json!({"session_token": token, "session": session}))
}

/// The flow again with `message` on the form, keeping the identifier typed.
fn reject(
    store: &mut Store,
    id: &str,
    identifier: Option<String>,
    message: Value,
) -> ResponseTemplate {
    if let Some(flow) = store.flows.get_mut(id) {
        if let Some(identifier) = identifier {
            flow.values.insert("identifier".into(), json!(identifier));
        }
        flow.form_messages = vec![message];
    }
    json_response(400, flow_json(store, id))
}
