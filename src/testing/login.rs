//! The native login flow: start (fresh, `refresh` for a signed-in user,
//! `aal2` for a second factor), fetch, submit; the forms are Kratos
//! v26.2.0's, node for node.
//!
//! - By password: a wrong identifier or password answers 400 with the flow
//!   and message 4000006; success answers the session token and session.
//! - Identifier-first (when enabled): a known identifier is answered with
//!   400 and the password form, without an error; an unknown one with
//!   4000037 on the field (Kratos's default, without account enumeration
//!   mitigation).
//! - A second factor by code: with the one address an identity has, the
//!   `aal2` flow sends the code as it starts (`state: sent_email`); the
//!   right code lifts the same session to `aal2` (and verifies the
//!   address), a wrong one gets 4010008, none 4000002.

use std::time::SystemTime;

use super::http::Answer;
use serde_json::{json, Value};

use super::call::{Call, Form};
use super::http::{
    already_signed_in, bad_request, error_body, json_response, property_missing, text,
};
use super::schema::trait_label;
use super::store::{Flow, FlowKind, Password, Store};

const KIND: FlowKind = FlowKind::Login;

/// Answers the login endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
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
fn start(store: &mut Store, call: &Call) -> Answer {
    // Kratos reads the level in any case, and none as `aal1`.
    let aal = match call.query("aal").unwrap_or_default().to_lowercase().as_str() {
        "" | "aal1" => "aal1",
        "aal2" => "aal2",
        other => {
            return bad_request(&format!(
                "Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got {other}"
            ))
        }
    };
    let session = call.token().and_then(|t| store.session(t));
    // Without a session there is nothing to refresh: a plain login flow.
    let refresh = call.query("refresh").as_deref() == Some("true") && session.is_some();
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
                        "You can not requested a higher AAL (AAL2/AAL3) without an active session.",
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
    let id = match store.start_flow(KIND, call) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    if let Some(flow) = store.flows.get_mut(&id) {
        flow.refresh = refresh;
        flow.requested_aal = aal;
        if aal == "aal2" || refresh {
            flow.identity_id = identity_id;
        }
        if refresh && aal == "aal1" {
            flow.form_messages = vec![text(
                1010003,
                "Please confirm this action by verifying that it is you.",
                "info",
                None,
            )];
        }
    }
    if aal == "aal2" && store.config.second_factor {
        send_login_code(store, &id);
        if let Some(flow) = store.flows.get_mut(&id) {
            flow.form_messages = vec![code_sent()];
        }
    } else if aal == "aal2" {
        // No second factor is configured: the form has nothing to offer.
        if let Some(flow) = store.flows.get_mut(&id) {
            flow.form_messages = vec![text(
                1010004,
                "Please complete the second authentication challenge.",
                "info",
                None,
            )];
        }
    }
    if let Err(refused) = super::web_hooks::before_flow(store, call, &id, None) {
        return *refused;
    }
    let mut body = flow_json(store, &id);
    // Kratos links the code to a session when social sign-in finishes in
    // a browser (`social`).
    if call.query("return_session_token_exchange_code").as_deref() == Some("true") {
        body["session_token_exchange_code"] = serde_json::json!(store.new_exchange(&id));
    }
    json_response(200, body)
}

/// Sends a login code to the address of the flow's identity, and has the
/// flow wait for it.
fn send_login_code(store: &mut Store, id: &str) {
    let address = store
        .flows
        .get(id)
        .and_then(|f| f.identity_id.as_deref())
        .and_then(|i| store.identity(i))
        .and_then(|i| i.identifier.clone())
        .unwrap_or_default();
    let code = store.send_code(&address, "login_code_valid", id);
    if let Some(flow) = store.flows.get_mut(id) {
        flow.code = Some(code);
        flow.address = Some(address);
        flow.active = Some("code");
        flow.state = "sent_email";
    }
}

/// Which form a flow shows.
enum Step {
    /// Identifier and password together.
    Password,
    /// A signed-in user confirms with the password.
    Refresh(String),
    /// Identifier-first: the identifier alone.
    Identifier,
    /// Identifier-first: the password for the identifier given.
    PasswordFor(Value),
    /// Second factor: the code sent to the address, as the flow starts.
    CodeSent(String),
    /// Second factor: the code form once something was submitted.
    CodeAgain(Value),
    /// Second factor on a server that has none configured: no form.
    Nothing,
    /// Passwordless: the code sent to the identifier's address.
    PasswordlessSent(Value),
}

fn step(store: &Store, flow: &Flow) -> Step {
    let address = || {
        flow.identity_id
            .as_deref()
            .and_then(|id| store.identity(id))
            .and_then(|i| i.identifier.clone())
            .unwrap_or_default()
    };
    if flow.requested_aal == "aal2" && !store.config.second_factor {
        return Step::Nothing;
    }
    if flow.requested_aal == "aal2" {
        return match flow.values.get("identifier") {
            Some(identifier) => Step::CodeAgain(identifier.clone()),
            None => Step::CodeSent(address()),
        };
    }
    if flow.refresh {
        return Step::Refresh(address());
    }
    if flow.active == Some("code") {
        let identifier = flow.values.get("identifier").cloned().unwrap_or_default();
        // Once a code was tried, the form for it is the second factor's.
        return match flow.values.contains_key("code") {
            true => Step::CodeAgain(identifier),
            false => Step::PasswordlessSent(identifier),
        };
    }
    if !store.config.identifier_first {
        return Step::Password;
    }
    match (flow.active, flow.values.get("identifier")) {
        (Some("identifier_first"), Some(identifier)) => Step::PasswordFor(identifier.clone()),
        _ => Step::Identifier,
    }
}

/// The label of the identifier field: the identifier trait's title.
fn identifier_label(store: &Store) -> Value {
    match store.config.identifier_trait() {
        Some(t) => trait_label(&format!("traits.{}", t.name), &t.title),
        None => text(1070004, "ID", "info", None),
    }
}

/// The login flow with the form of its current step, as Kratos writes it.
pub(super) fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    let typed = flow.values.get("identifier").cloned().unwrap_or(json!(""));
    // A flow that links a provider offers the others to confirm with.
    let oidc = || match &flow.link {
        Some((linked, _)) => store
            .provider_buttons(flow, 1010018, "Confirm")
            .into_iter()
            .filter(|b| b["attributes"]["value"] != linked.as_str())
            .map(|mut b| {
                // Confirming names the provider alone.
                if let Some(context) = b["meta"]["label"]["context"].as_object_mut() {
                    context.remove("provider_id");
                }
                b
            })
            .collect(),
        None => store.provider_buttons(flow, 1010002, "Sign in"),
    };
    let password = |label: Value| {
        [
            flow.password_field("current-password"),
            flow.submit("password", "method", "password", label),
        ]
    };
    let with_password = || text(1010022, "Sign in with password", "info", None);
    let code_field = || {
        flow.input(
            "code",
            json!({"name": "code", "type": "text", "required": true, "disabled": false, "node_type": "input"}),
            Some(text(1070013, "Login code", "info", None)),
            "code",
        )
    };
    let resend = || {
        flow.submit(
            "code",
            "resend",
            "code",
            text(1070008, "Resend code", "info", None),
        )
    };
    let continue_button = || {
        flow.submit(
            "code",
            "method",
            "code",
            text(1070009, "Continue", "info", None),
        )
    };
    let nodes = match step(store, flow) {
        Step::Password => {
            let mut nodes = oidc();
            nodes.push(flow.csrf());
            // Linking a provider: the account's address, given.
            let (kind, typed) = match (&flow.link, &flow.address) {
                (Some(_), Some(address)) => ("hidden", json!(address)),
                _ => ("text", typed),
            };
            nodes.push(flow.input(
                "default",
                json!({"name": "identifier", "type": kind, "value": typed, "required": true, "disabled": false, "node_type": "input"}),
                Some(identifier_label(store)),
                "identifier",
            ));
            if store.config.passwordless_code {
                nodes.push(flow.submit(
                    "code",
                    "method",
                    "code",
                    text(1010015, "Send sign in code", "info", None),
                ));
            }
            nodes.extend(password(with_password()));
            nodes
        }
        Step::PasswordlessSent(identifier) => vec![
            flow.input(
                "default",
                json!({"name": "identifier", "type": "hidden", "value": identifier, "required": true, "disabled": false, "node_type": "input"}),
                Some(identifier_label(store)),
                "identifier",
            ),
            flow.hidden("code", "method", "code"),
            code_field(),
            continue_button(),
            resend(),
        ],
        Step::Refresh(address) => {
            let mut nodes = vec![flow.csrf(), flow.hidden("default", "identifier", &address)];
            nodes.extend(password(text(1010001, "Sign in", "info", None)));
            nodes
        }
        Step::Identifier => {
            let mut nodes = vec![
                flow.input(
                    "identifier_first",
                    json!({"name": "identifier", "type": "text", "value": typed, "required": true, "autocomplete": "username webauthn", "disabled": false, "node_type": "input"}),
                    Some(identifier_label(store)),
                    "identifier",
                ),
                flow.submit("identifier_first", "method", "identifier_first", text(1070009, "Continue", "info", None)),
            ];
            nodes.extend(oidc());
            nodes.push(flow.csrf());
            nodes
        }
        Step::PasswordFor(identifier) => {
            let mut nodes = vec![
                flow.input(
                    "identifier_first",
                    json!({"name": "identifier", "type": "hidden", "value": identifier, "required": true, "autocomplete": "username webauthn", "disabled": false, "node_type": "input"}),
                    Some(identifier_label(store)),
                    "identifier",
                ),
                flow.csrf(),
            ];
            nodes.extend(password(with_password()));
            nodes
        }
        Step::CodeSent(address) => vec![
            flow.input(
                "code",
                json!({"name": "identifier", "type": "hidden", "value": address, "disabled": false, "node_type": "input"}),
                Some(text(1010023, &format!("Send code to {address}"), "info", Some(json!({"address": address, "channel": "email"})))),
                "identifier",
            ),
            flow.hidden("code", "method", "code"),
            code_field(),
            continue_button(),
            resend(),
        ],
        Step::Nothing => Vec::new(),
        Step::CodeAgain(identifier) => vec![
            flow.csrf(),
            flow.hidden("default", "identifier", identifier.as_str().unwrap_or_default()),
            code_field(),
            resend(),
            flow.hidden("code", "method", "code"),
            continue_button(),
        ],
    };
    let mut body = store.flow_json(flow, nodes);
    body["refresh"] = json!(flow.refresh);
    body["requested_aal"] = json!(flow.requested_aal);
    body
}

/// Handles a submission for the (existing, unexpired) flow `id`.
fn submit(store: &mut Store, id: &str, call: &Call) -> Answer {
    let form = call.form();
    let Some(flow) = store.flows.get(id) else {
        return json_response(400, Value::Null);
    };
    let second_factor = flow.requested_aal == "aal2";
    match (form.field("method"), second_factor) {
        (_, _) if !form.field("provider").is_empty() && !second_factor => {
            let provider = form.field("provider").to_string();
            if store.config.has_provider(&provider) {
                return store.social_sign_in(id, &provider);
            }
            reject(store, id, None, no_strategy())
        }
        ("code", true) => code(store, id, call, &form),
        ("code", false) if store.config.passwordless_code => passwordless(store, id, &form),
        ("identifier_first", false) if store.config.identifier_first => {
            identifier_first(store, id, &form)
        }
        ("password", false) => password(store, id, call, &form),
        _ => reject(store, id, None, no_strategy()),
    }
}

fn no_strategy() -> Value {
    text(
        4010002,
        "Could not find a strategy to log you in with. Did you fill out the form correctly?",
        "error",
        None,
    )
}

/// Identifier-first: the password form for a known identifier; the same
/// form again with 4000037 for one nobody has.
fn identifier_first(store: &mut Store, id: &str, form: &Form) -> Answer {
    let identifier = form.field("identifier").to_string();
    let known = store.identity_by_address(&identifier).is_some();
    if let Some(flow) = store.flows.get_mut(id) {
        flow.form_messages.clear();
        flow.field_messages.clear();
        flow.values.insert("identifier".into(), json!(identifier));
        if known {
            flow.active = Some("identifier_first");
        } else {
            flow.field_messages.insert(
                "identifier".into(),
                vec![text(
                    4000037,
                    "This account does not exist or has no login method configured.",
                    "error",
                    None,
                )],
            );
        }
    }
    json_response(400, flow_json(store, id))
}

/// A password submission: the first factor, or a refresh.
fn password(store: &mut Store, id: &str, call: &Call, form: &Form) -> Answer {
    // An empty field is named on the field, before any credential is checked.
    let missing: Vec<&str> = ["identifier", "password"]
        .into_iter()
        .filter(|name| form.field(name).is_empty())
        .collect();
    if !missing.is_empty() {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.form_messages.clear();
            flow.field_messages.clear();
            flow.values
                .insert("identifier".into(), json!(form.field("identifier")));
            for name in missing {
                flow.field_messages
                    .insert(name.into(), vec![property_missing(name)]);
            }
        }
        return json_response(400, flow_json(store, id));
    }
    let identifier = form.field("identifier").trim().to_lowercase();
    let given = form.field("password");
    // An imported identity whose password the app's old system knows:
    // the password migration hook checks it, and Kratos keeps it then.
    let migrating = store
        .identity_by_address(&identifier)
        .filter(|i| matches!(i.password, Some(Password::Migrate)))
        .map(|i| i.id.clone());
    if let Some(identity_id) = migrating {
        let typed = form.field("identifier").to_string();
        match super::web_hooks::migrate_password(store, &typed, given) {
            Ok(true) => {
                if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
                    identity.password = Some(Password::Clear(given.to_string()));
                }
            }
            Ok(false) => {}
            Err(error) => return super::web_hooks::failed(store, call, id, error),
        }
    }
    let found = store
        .identity_by_address(&identifier)
        .filter(|i| i.password.as_ref().is_some_and(|p| p.matches(given)))
        .map(|i| i.id.clone());
    let Some(identity_id) = found else {
        let message = text(4000006, "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.", "error", None);
        let typed = form.field("identifier").to_string();
        return reject(store, id, Some(typed), message);
    };
    if store
        .identity(&identity_id)
        .is_some_and(|i| i.state != "active")
    {
        return super::http::identity_disabled(&identity_id);
    }
    let refresh = store.flows.get(id).is_some_and(|f| f.refresh);
    let current = call
        .token()
        .and_then(|t| store.session(t))
        .filter(|s| refresh && s.identity_id == identity_id)
        .map(|s| s.token.clone());
    let (token, again) = match current {
        // A refresh proves the user is still there: the same session, authenticated now.
        Some(token) => {
            authenticated_again(store, &token, "password", "aal1");
            (token, true)
        }
        None => (store.start_session(&identity_id, "password", "aal1"), false),
    };
    // The app's hooks after a password sign-in see the session before it
    // is given; a refusal takes it back.
    if let Err(answer) = after_hooks(store, call, id, &identity_id, &token, again) {
        return *answer;
    }
    super::social::link_after_sign_in(store, id, &token);
    finish(store, id, "password", token, again)
}

/// A second-factor submission: check the code, or send another.
fn code(store: &mut Store, id: &str, call: &Call, form: &Form) -> Answer {
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
    let typed = form.field("code").to_string();
    let resend = !form.field("resend").is_empty();
    if let Some(flow) = store.flows.get_mut(id) {
        flow.values
            .insert("identifier".into(), json!(form.field("identifier")));
        flow.form_messages.clear();
        flow.field_messages.clear();
    }
    if resend {
        send_login_code(store, id);
        return json_response(400, flow_json(store, id));
    }
    if typed.is_empty() {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.field_messages
                .insert("code".into(), vec![property_missing("code")]);
        }
        return json_response(400, flow_json(store, id));
    }
    if sent.as_deref() != Some(typed.as_str()) {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.form_messages = vec![wrong_code()];
        }
        return json_response(400, flow_json(store, id));
    }
    authenticated_again(store, &token, "code", "aal2");
    if let Some(session) = store.sessions.iter_mut().find(|s| s.token == token) {
        session.aal = "aal2";
    }
    // The code reached the address: it counts as verified.
    if let Some(identity) = owner.and_then(|o| store.identities.iter_mut().find(|i| i.id == o)) {
        identity.address_status = "completed";
    }
    finish(store, id, "code", token, true)
}

/// Passwordless sign-in: a code sent to the identifier's address (the
/// next step, a 400 without error), then the code checked.
fn passwordless(store: &mut Store, id: &str, form: &Form) -> Answer {
    let typed = form.field("identifier").to_string();
    let Some(identity_id) = store.identity_by_address(&typed).map(|i| i.id.clone()) else {
        let message = text(
            4000035,
            "This account does not exist or has not setup sign in with code.",
            "error",
            None,
        );
        return reject(store, id, Some(typed), message);
    };
    let code = form.field("code").to_string();
    let waiting = store
        .flows
        .get(id)
        .is_some_and(|f| f.active == Some("code"));
    if !waiting || !form.field("resend").is_empty() {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.identity_id = Some(identity_id);
            flow.values.insert("identifier".into(), json!(typed));
            flow.values.remove("code");
            flow.field_messages.clear();
        }
        send_login_code(store, id);
        if let Some(flow) = store.flows.get_mut(id) {
            flow.form_messages = vec![code_sent()];
        }
        return json_response(400, flow_json(store, id));
    }
    let sent = store.flows.get(id).and_then(|f| f.code.clone());
    if code.is_empty() || sent.as_deref() != Some(code.as_str()) {
        if let Some(flow) = store.flows.get_mut(id) {
            flow.values.insert("code".into(), json!(""));
            flow.form_messages = vec![wrong_code()];
        }
        return json_response(400, flow_json(store, id));
    }
    let token = store.start_session(&identity_id, "code", "aal1");
    // The code reached the address: it counts as verified.
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        identity.address_status = "completed";
    }
    finish(store, id, "code", token, false)
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
/// identity while a required second factor is missing). A session signed
/// in to again lists the device of this sign-in too, as Kratos writes it,
/// though whoami does not keep it.
fn finish(store: &mut Store, id: &str, method: &'static str, token: String, again: bool) -> Answer {
    if let Some(flow) = store.flows.get_mut(id) {
        flow.state = "passed_challenge";
        flow.active = Some(method);
        flow.code = None;
    }
    let device = store.random.uuid();
    let mut session = store
        .session(&token)
        .map(|s| store.session_json(s))
        .unwrap_or(Value::Null);
    if again {
        if let Some(devices) = session["devices"].as_array_mut() {
            devices.push(json!({"id": device, "ip_address": "127.0.0.1", "user_agent": "kratos-client", "location": ""}));
        }
    }
    json_response(200, json!({"session_token": token, "session": session}))
}

/// Calls the app's hooks after a password sign-in: nothing, or the answer
/// that ends the sign-in (the session `token` not given: forgotten, or as
/// it was before when it was signed in to again).
fn after_hooks(
    store: &mut Store,
    call: &Call,
    id: &str,
    identity_id: &str,
    token: &str,
    again: bool,
) -> Result<(), Box<Answer>> {
    use super::web_hooks::{self, Stage, Stop};
    let point = super::options::HookPoint::After(KIND, "password".into());
    if !store.config.web_hooks.iter().any(|h| h.point == point) {
        return Ok(());
    }
    let mut identity = store.identity(identity_id).map(|i| store.identity_json(i));
    let session = store.session(token).map(|s| store.session_json(s));
    let stop = match web_hooks::run(store, call, &point, Stage::All, id, &mut identity, session) {
        Ok(()) => return Ok(()),
        Err(stop) => stop,
    };
    if !again {
        store.sessions.retain(|s| s.token != token);
    }
    Err(Box::new(match stop {
        Stop::Messages(messages) => {
            web_hooks::show_messages(store, id, &messages);
            // Kratos's login error handler shows the form empty, the
            // method tried as the flow's active one.
            if let Some(flow) = store.flows.get_mut(id) {
                flow.values.insert("identifier".into(), json!(""));
                flow.active = Some("password");
            }
            json_response(400, flow_json(store, id))
        }
        Stop::Error(error) => web_hooks::failed(store, call, id, error),
    }))
}

/// The flow again with `message` on the form, keeping the identifier typed.
fn reject(store: &mut Store, id: &str, identifier: Option<String>, message: Value) -> Answer {
    if let Some(flow) = store.flows.get_mut(id) {
        if let Some(identifier) = identifier {
            flow.values.insert("identifier".into(), json!(identifier));
        }
        flow.form_messages = vec![message];
    }
    json_response(400, flow_json(store, id))
}

/// Kratos's message once a login code is on its way (1010014).
fn code_sent() -> Value {
    text(
        1010014,
        "A code was sent to the address you provided. If you didn't receive it, please check the spelling of the address and try again.",
        "info",
        None,
    )
}

/// Kratos's message for a login code that is wrong or used (4010008).
fn wrong_code() -> Value {
    text(
        4010008,
        "The login code is invalid or has already been used. Please try again.",
        "error",
        None,
    )
}
