//! What recovery and verification share: a flow that asks for an email
//! address, sends a six-digit code there through the outbox
//! (`state: sent_email`), and checks the code typed back. Each flow kind
//! describes itself in a [`CodeFlow`] and says what a right code does.

use super::http::Answer;
use serde_json::{json, Value};

use super::call::Call;
use super::http::{already_signed_in, error_body, json_response, property_missing, text};
use super::store::{FlowKind, Store};

/// A flow kind that works by code.
pub(super) struct CodeFlow {
    pub(super) kind: FlowKind,
    /// Kratos's reason for refusing a signed-in user, if it does.
    pub(super) refuse_signed_in: Option<&'static str>,
    /// The label of the code field, and whether the field says it takes six
    /// digits (`pattern`, `maxlength`; Kratos's recovery form does, its
    /// verification form does not).
    pub(super) code_label: (i64, &'static str),
    pub(super) code_digits: bool,
    /// The message once the code is sent.
    pub(super) sent: (i64, &'static str),
    /// The message for a wrong or used code.
    pub(super) invalid: (i64, &'static str),
    /// Kratos's template type for the email.
    pub(super) template: &'static str,
    /// What a right code does to the store for the flow and identity given:
    /// it sets the flow's state, messages and `continue_with`.
    pub(super) passed: fn(&mut Store, &str, &str),
}

/// Answers the endpoints of `flow`'s kind; `None` for any other request.
pub(super) fn route(flow: &CodeFlow, store: &mut Store, call: &Call) -> Option<Answer> {
    let name = flow.kind.as_str();
    let path = call.path();
    let under = path.strip_prefix("/self-service/")?;
    Some(match (call.method(), under.strip_prefix(name)?) {
        ("GET", "/api") => {
            let signed_in = call.token().is_some_and(|t| store.session(t).is_some());
            if let (Some(reason), true) = (flow.refuse_signed_in, signed_in) {
                return Some(already_signed_in(reason));
            }
            let id = match store.start_flow(flow.kind, call) {
                Ok(id) => id,
                Err(refused) => return Some(*refused),
            };
            if let Some(f) = store.flows.get_mut(&id) {
                f.active = Some("code");
            }
            if let Err(refused) = super::web_hooks::before_flow(store, call, &id, None) {
                return Some(*refused);
            }
            json_response(200, flow_json(flow, store, &id))
        }
        ("GET", "/flows") => match store.flow_named(flow.kind, call, "id") {
            Ok(id) => json_response(200, flow_json(flow, store, &id)),
            Err(response) => *response,
        },
        ("POST", "") => match store.flow_named(flow.kind, call, "flow") {
            Ok(id) => submit(flow, store, &id, call),
            Err(response) => *response,
        },
        _ => return None,
    })
}

/// The flow with the form of its state, as Kratos writes it. Recovery
/// forms carry the CSRF field first; verification forms only once done.
pub(super) fn flow_json(flow: &CodeFlow, store: &Store, id: &str) -> Value {
    let Some(f) = store.flows.get(id) else {
        return Value::Null;
    };
    let recovery = flow.kind == FlowKind::Recovery;
    let mut code_attributes = json!({"name": "code", "type": "text", "required": true, "disabled": false, "node_type": "input"});
    if flow.code_digits {
        code_attributes["pattern"] = json!("[0-9]+");
        code_attributes["maxlength"] = json!(6);
    }
    let code = || {
        f.input(
            "code",
            code_attributes.clone(),
            Some(text(flow.code_label.0, flow.code_label.1, "info", None)),
            "code",
        )
    };
    let continue_button = || {
        f.submit(
            "code",
            "method",
            "code",
            text(1070009, "Continue", "info", None),
        )
    };
    let mut nodes = Vec::new();
    let done = f.state == "passed_challenge";
    // The browser flow behind an admin's recovery code: the code alone.
    if recovery && f.skip_csrf {
        nodes.extend([code(), continue_button(), f.csrf()]);
        return store.flow_json(f, nodes);
    }
    if recovery {
        nodes.push(f.csrf());
    }
    match (f.state, f.address.as_deref()) {
        // Done: a verification ends with a link onwards.
        ("passed_challenge", _) if !recovery => {
            let title = text(1070009, "Continue", "info", None);
            nodes.push(f.csrf());
            nodes.push(json!({
                "type": "a",
                "group": "code",
                "attributes": {"id": "continue", "href": continue_to(store, f), "title": title, "node_type": "a"},
                "messages": [],
                "meta": {"label": title},
            }));
        }
        ("sent_email" | "passed_challenge", Some(address)) => {
            if recovery {
                nodes.extend([code(), f.hidden("code", "method", "code"), continue_button()]);
            } else {
                nodes.extend([f.hidden("code", "method", "code"), code(), continue_button()]);
                // A browser's verification form carries its CSRF token here.
                if f.browser {
                    nodes.push(f.csrf());
                }
            }
            nodes.push(f.submit("code", "email", address, text(1070008, "Resend code", "info", None)));
        }
        _ => nodes.extend([
            f.input(
                "code",
                json!({"name": "email", "type": "email", "required": true, "disabled": false, "node_type": "input"}),
                Some(text(1070007, "Email", "info", None)),
                "email",
            ),
            continue_button(),
        ]),
    }
    // ... and after the address form's button.
    if !recovery && f.browser && !matches!(f.state, "sent_email" | "passed_challenge") {
        nodes.push(f.csrf());
    }
    let mut body = store.flow_json(f, nodes);
    if done && !recovery {
        body["ui"]["action"] = json!(continue_to(store, f));
        body["ui"]["method"] = json!("GET");
    }
    body
}

/// Where a finished verification sends the user: the flow's `return_to`,
/// or the server's default return address.
fn continue_to(store: &Store, flow: &super::store::Flow) -> String {
    flow.return_to
        .clone()
        .unwrap_or_else(|| format!("{}/", store.base))
}

/// An address (send a code; again to resend) or a code (check it).
fn submit(flow: &CodeFlow, store: &mut Store, id: &str, call: &Call) -> Answer {
    let form = call.form();
    if form.field("method") != "code" {
        return again(flow, store, id, 400, text(4010002, "Could not find a strategy to complete this flow. Did you fill out the form correctly?", "error", None));
    }
    let typed = form.field("code");
    let sent = store.flows.get(id).and_then(|f| f.code.clone());
    if !typed.is_empty() {
        // Kratos counts every code submitted to a flow before it checks
        // it; past its limit the flow takes none, the right one neither.
        let attempts = store.flows.get_mut(id).map_or(0, |f| {
            f.code_attempts += 1;
            f.code_attempts
        });
        if attempts > CODE_ATTEMPTS {
            return too_often(flow, store, call);
        }
        let owner = store.flows.get(id).and_then(|f| f.identity_id.clone());
        return match (sent, owner) {
            (Some(code), Some(identity_id)) if code == typed => {
                if let Some(f) = store.flows.get_mut(id) {
                    f.code = None;
                    f.field_messages.clear();
                }
                (flow.passed)(store, id, &identity_id);
                json_response(200, flow_json(flow, store, id))
            }
            // Kratos answers a wrong code with 200 and the flow, unchanged
            // but for the message.
            _ => again(
                flow,
                store,
                id,
                200,
                text(flow.invalid.0, flow.invalid.1, "error", None),
            ),
        };
    }
    let address = form.field("email").trim().to_lowercase();
    if address.is_empty() {
        if let Some(f) = store.flows.get_mut(id) {
            f.field_messages
                .insert("email".into(), vec![property_missing("email")]);
        }
        return json_response(400, flow_json(flow, store, id));
    }
    // Kratos answers the same whether the address is known or not, and
    // sends a code only to a known one.
    let identity_id = store.identity_by_address(&address).map(|i| i.id.clone());
    let code = identity_id
        .as_ref()
        .map(|_| store.send_code(&address, flow.template, id));
    if identity_id.is_none() && store.config.notify_unknown_recipients {
        store.notify_unknown(&address, flow.kind);
    }
    if flow.kind == FlowKind::Verification {
        let sent = identity_id
            .as_deref()
            .and_then(|i| store.identities.iter_mut().find(|x| x.id == i));
        if let Some(identity) = sent.filter(|i| i.address_status != "completed") {
            identity.address_status = "sent";
        }
    }
    if let Some(f) = store.flows.get_mut(id) {
        f.values.insert("email".into(), json!(address));
        f.address = Some(address);
        f.identity_id = identity_id;
        f.code = code;
        f.state = "sent_email";
        f.field_messages.clear();
        f.form_messages = vec![text(flow.sent.0, flow.sent.1, "info", None)];
    }
    json_response(200, flow_json(flow, store, id))
}

/// Kratos's limit on the codes submitted to one flow
/// (`selfservice.methods.code.config.max_submissions`, 5 by default).
pub(super) const CODE_ATTEMPTS: usize = 5;

/// Kratos's reason for refusing a code past [`CODE_ATTEMPTS`].
const SUBMITTED_TOO_OFTEN: &str =
    "The request was submitted too often. Please request another code.";

/// The answer to a code past [`CODE_ATTEMPTS`]: Kratos starts a new flow of
/// the same kind with the reason on its form, and names it: a recovery in
/// a 400 error's `continue_with`, a verification in a 410
/// `self_service_flow_replaced`.
fn too_often(flow: &CodeFlow, store: &mut Store, call: &Call) -> Answer {
    let request_url = call.request_url(&store.base);
    let next = store.new_flow(flow.kind, request_url, None);
    let csrf = store.random.code(64);
    if let Some(f) = store.flows.get_mut(&next) {
        f.active = Some("code");
        // Kratos makes a new CSRF token for the new flow, an API one too.
        f.csrf_token = csrf;
        f.form_messages = vec![text(
            4000001,
            SUBMITTED_TOO_OFTEN,
            "error",
            Some(json!({ "reason": SUBMITTED_TOO_OFTEN })),
        )];
    }
    match flow.kind {
        FlowKind::Recovery => {
            let mut body = error_body(
                400,
                "Bad Request",
                None,
                "The request was malformed or contained invalid parameters",
                SUBMITTED_TOO_OFTEN,
            );
            body["error"]["details"] = json!({
                "continue_with": [{"action": "show_recovery_ui", "flow": {"id": next}}],
            });
            json_response(400, body)
        }
        _ => {
            let mut body = error_body(
                410,
                "Gone",
                Some("self_service_flow_replaced"),
                "self-service flow replaced",
                "An error occured, please retry the flow.",
            );
            body["use_flow_id"] = json!(next);
            json_response(410, body)
        }
    }
}

/// The flow again, answered with `status`, with `message` on its form.
fn again(flow: &CodeFlow, store: &mut Store, id: &str, status: u16, message: Value) -> Answer {
    if let Some(f) = store.flows.get_mut(id) {
        f.form_messages = vec![message];
    }
    json_response(status, flow_json(flow, store, id))
}
