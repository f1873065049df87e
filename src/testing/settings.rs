//! The native settings flow: start and fetch with a session token, submit a
//! new password (`password`) or traits (`profile`). Within the privileged
//! window after signing in the change is saved (200, `state: success`,
//! message 1050001); after it, 403 `session_refresh_required`, as Kratos.

use std::time::SystemTime;

use super::http::Answer;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::http::{endpoint_needs_session, error_body, json_response, text, unauthorized};
use super::schema::{identifier, password_message, trait_messages, trait_nodes};
use super::store::{FlowKind, Password, Store};

const KIND: FlowKind = FlowKind::Settings;

/// Answers the settings endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    let (start, fetch, submit) = match (call.method(), call.path()) {
        ("GET", "/self-service/settings/api") => (true, false, false),
        ("GET", "/self-service/settings/flows") => (false, true, false),
        ("POST", "/self-service/settings") => (false, false, true),
        _ => return None,
    };
    // Every settings endpoint needs a session with the assurance level the
    // server requires.
    let Some(session) = call.token().and_then(|t| store.session(t)) else {
        return Some(match start {
            true => endpoint_needs_session(),
            false => unauthorized("A valid Ory Session Cookie or Ory Session Token is missing."),
        });
    };
    if store.needs_second_factor(session) {
        return Some(store.aal2_required());
    }
    let identity_id = session.identity_id.clone();
    let token = session.token.clone();
    let session_json = Some(store.session_json(session));
    Some(if start {
        let id = match store.start_flow(KIND, call) {
            Ok(id) => id,
            Err(refused) => return Some(*refused),
        };
        if let Some(flow) = store.flows.get_mut(&id) {
            flow.identity_id = Some(identity_id);
            flow.state = "show_form";
        }
        if let Err(refused) = super::web_hooks::before_flow(store, call, &id, session_json) {
            return Some(*refused);
        }
        json_response(200, flow_json(store, &id))
    } else {
        let param = if fetch { "id" } else { "flow" };
        let id = match store.flow_named(KIND, call, param) {
            Ok(id) => id,
            Err(response) => return Some(*response),
        };
        if store.flows.get(&id).and_then(|f| f.identity_id.as_deref()) != Some(&identity_id) {
            return Some(identity_mismatch());
        }
        match submit {
            true => update(store, &id, &token, call),
            false => json_response(200, flow_json(store, &id)),
        }
    })
}

/// The settings flow with its profile and password forms, and a button to
/// link each social sign-in provider, as Kratos writes it.
pub(super) fn flow_json(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    let identity = flow.identity_id.as_deref().and_then(|i| store.identity(i));
    let traits = match flow.values.get("traits").and_then(Value::as_object) {
        Some(typed) => typed.clone(),
        None => identity.map(|i| i.traits.clone()).unwrap_or_default(),
    };
    let mut nodes = vec![flow.csrf()];
    nodes.extend(trait_nodes(store, flow, "profile", &traits));
    nodes.push(flow.submit(
        "profile",
        "method",
        "profile",
        text(1070003, "Save", "info", None),
    ));
    nodes.push(flow.password_field("new-password"));
    nodes.push(flow.submit(
        "password",
        "method",
        "password",
        text(1070003, "Save", "info", None),
    ));
    // Link the providers the identity has not linked; unlink the others,
    // while it keeps another way to sign in.
    let linked = |p: &str| identity.is_some_and(|i| i.oidc.iter().any(|(l, _)| l == p));
    let providers = store.config.providers();
    for (provider, label) in providers.iter().filter(|(p, _)| !linked(p)) {
        nodes.push(flow.submit(
            "oidc",
            "link",
            provider,
            text(
                1050002,
                &format!("Link {label}"),
                "info",
                Some(json!({ "provider": label })),
            ),
        ));
    }
    if identity.is_some_and(|i| first_factors(i) > 1) {
        for (provider, label) in providers.iter().filter(|(p, _)| linked(p)) {
            nodes.push(flow.submit(
                "oidc",
                "unlink",
                provider,
                text(
                    1050003,
                    &format!("Unlink {label}"),
                    "info",
                    Some(json!({ "provider": label })),
                ),
            ));
        }
    }
    let mut body = store.flow_json(flow, nodes);
    body["identity"] = identity
        .map(|i| store.identity_json(i))
        .unwrap_or(Value::Null);
    body
}

/// How many ways the identity has to sign in on its own, as Kratos counts
/// them before it lets one go: its password, and each linked provider.
fn first_factors(identity: &super::store::Identity) -> usize {
    usize::from(identity.password.is_some()) + identity.oidc.len()
}

/// A settings submission of the `oidc` method: unlink a provider (refused
/// for the last way to sign in), or link one, which sends a browser to the
/// provider (422) as social sign-in does.
fn oidc(store: &mut Store, id: &str, identity_id: &str, form: &super::call::Form) -> Answer {
    let unlink = form.field("unlink");
    if !unlink.is_empty() {
        let Some(identity) = store.identity(identity_id) else {
            return json_response(400, Value::Null);
        };
        let last = first_factors(identity) <= 1;
        let has = identity.oidc.iter().any(|(p, _)| p == unlink);
        if let Some(flow) = store.flows.get_mut(id) {
            if last || !has {
                flow.state = "show_form";
                let reason = match last {
                    true => "can not unlink OpenID Connect connection because it is the last remaining first factor credential",
                    false => "can not unlink non-existing OpenID Connect connection",
                };
                flow.form_messages = vec![text(
                    4000001,
                    reason,
                    "error",
                    Some(json!({"reason": reason})),
                )];
                return json_response(400, flow_json(store, id));
            }
            flow.saved();
        }
        if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
            identity.oidc.retain(|(p, _)| p != unlink);
        }
        return json_response(200, flow_json(store, id));
    }
    let link = form.field("link").to_string();
    if store.config.has_provider(&link) {
        return store.social_sign_in(id, &link);
    }
    if let Some(flow) = store.flows.get_mut(id) {
        flow.form_messages = vec![text(
            4010002,
            "Could not find a strategy to update your settings. Did you fill out the form correctly?",
            "error",
            None,
        )];
    }
    json_response(400, flow_json(store, id))
}

/// Handles a submission by the session `token` for the flow `id`.
fn update(store: &mut Store, id: &str, token: &str, call: &Call) -> Answer {
    let form = call.form();
    let method = form.field("method").to_string();
    let traits = form
        .value("traits")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let identity_id = store
        .flows
        .get(id)
        .and_then(|f| f.identity_id.clone())
        .unwrap_or_default();
    let schema_id = store
        .identity(&identity_id)
        .map_or_else(|| "default".to_string(), |i| i.schema_id.clone());
    // A provider's Link or Unlink button posts no method, as in Kratos.
    let provider_button = !form.field("link").is_empty() || !form.field("unlink").is_empty();
    if method == "oidc" || (method.is_empty() && provider_button) {
        return oidc(store, id, &identity_id, &form);
    }
    let mut field_messages = std::collections::HashMap::new();
    let mut form_messages = Vec::new();
    match method.as_str() {
        "password" => {
            let identifier = store.identity(&identity_id).and_then(|i| i.identifier.clone());
            if let Some(message) = password_message(
                form.field("password"),
                identifier.as_deref(),
                store.config.min_password_length,
            ) {
                field_messages.insert("password".to_string(), vec![message]);
            }
        }
        "profile" => field_messages = trait_messages(store, &schema_id, &traits),
        _ => form_messages.push(text(
            4010002,
            "Could not find a strategy to update your settings. Did you fill out the form correctly?",
            "error",
            None,
        )),
    }
    let new_identifier = identifier(store, &schema_id, &traits);
    if field_messages.is_empty() && form_messages.is_empty() && method == "profile" {
        let taken = new_identifier.as_ref().is_some_and(|address| {
            store
                .identities
                .iter()
                .any(|i| i.id != identity_id && i.identifier.as_ref() == Some(address))
        });
        if taken {
            form_messages.push(text(
                4000007,
                "An account with the same identifier (email, phone, username, ...) exists already.",
                "error",
                None,
            ));
        }
    }
    if !field_messages.is_empty() || !form_messages.is_empty() {
        if let Some(flow) = store.flows.get_mut(id) {
            if method == "profile" {
                flow.values.insert("traits".into(), Value::Object(traits));
            }
            flow.state = "show_form";
            flow.form_messages = form_messages;
            flow.field_messages = field_messages;
        }
        return json_response(400, flow_json(store, id));
    }
    // Changing a credential (the password, or the address one signs in
    // with) needs a recent sign-in.
    let current_identifier = store
        .identity(&identity_id)
        .and_then(|i| i.identifier.clone());
    let privileged = method == "password" || new_identifier != current_identifier;
    if privileged && !recently_signed_in(store, token) {
        return refresh_required(store);
    }
    // The app's hooks that parse their answer see the identity as it will
    // be saved, and may stop the change or change the identity.
    use super::web_hooks::{self, Stage, Stop};
    let point = super::options::HookPoint::After(KIND, method.clone());
    let session = store.session(token).map(|s| store.session_json(s));
    let mut draft = store.identity(&identity_id).map(|i| store.identity_json(i));
    if let (Some(draft), "profile") = (draft.as_mut(), method.as_str()) {
        draft["traits"] = Value::Object(traits.clone());
    }
    let before = draft.clone();
    match web_hooks::run(
        store,
        call,
        &point,
        Stage::BeforeSaving,
        id,
        &mut draft,
        session.clone(),
    ) {
        Ok(()) => {}
        Err(Stop::Messages(messages)) => {
            web_hooks::show_messages(store, id, &messages);
            if let Some(flow) = store.flows.get_mut(id) {
                if method == "profile" {
                    flow.values.insert("traits".into(), Value::Object(traits));
                }
                flow.state = "show_form";
            }
            return json_response(400, flow_json(store, id));
        }
        Err(Stop::Error(error)) => return web_hooks::failed(store, call, id, error),
    }
    let traits = match (&draft, method.as_str()) {
        (Some(draft), "profile") => draft["traits"].as_object().cloned().unwrap_or(traits),
        _ => traits,
    };
    let new_identifier = identifier(store, &schema_id, &traits);
    if let (Some(draft), Some(identity)) = (
        draft.as_ref().filter(|d| Some(*d) != before.as_ref()),
        store.identities.iter_mut().find(|i| i.id == identity_id),
    ) {
        web_hooks::keep_changes(identity, draft);
        if method != "profile" {
            if let Some(changed) = draft["traits"].as_object() {
                identity.traits = changed.clone();
            }
        }
    }
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        match method.as_str() {
            "password" => {
                identity.password = Some(Password::Clear(form.field("password").to_string()))
            }
            _ => {
                if identity.identifier != new_identifier {
                    identity.address_status = "pending";
                }
                identity.traits = traits;
                identity.identifier = new_identifier;
            }
        }
    }
    if let Some(flow) = store.flows.get_mut(id) {
        flow.values = Map::new();
        flow.field_messages.clear();
        flow.saved();
    }
    store.send_verification(&identity_id, true);
    // Kratos builds the form again as for a new flow, which runs the
    // `before` hooks again.
    if let Err(error) = web_hooks::rerun_before(store, call, id, session.clone()) {
        return web_hooks::failed(store, call, id, error);
    }
    // Hooks that do not parse their answer are told once it is saved; a
    // failing one turns the answer into an error, the change kept.
    let mut saved = store.identity(&identity_id).map(|i| store.identity_json(i));
    if let Err(Stop::Error(error)) =
        web_hooks::run(store, call, &point, Stage::Saved, id, &mut saved, session)
    {
        return web_hooks::failed(store, call, id, error);
    }
    json_response(200, flow_json(store, id))
}

/// Whether the session `token` signed in within the privileged window.
fn recently_signed_in(store: &Store, token: &str) -> bool {
    store.session(token).is_some_and(|s| {
        SystemTime::now()
            .duration_since(s.authenticated_at)
            .unwrap_or_default()
            <= store.config.privileged_session_max_age
    })
}

/// Kratos's 403 for a change that needs a fresh sign-in, with the browser
/// URL native apps do not follow.
fn refresh_required(store: &Store) -> Answer {
    let redirect = format!("{}/self-service/login/browser?refresh=true", store.base);
    let mut body = error_body(
        403,
        "Forbidden",
        Some("session_refresh_required"),
        "The requested action was forbidden",
        "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
    );
    body["redirect_browser_to"] = json!(redirect);
    json_response(403, body)
}

/// Kratos's 403 for a settings flow that belongs to another identity.
fn identity_mismatch() -> Answer {
    json_response(
        403,
        error_body(
            403,
            "Forbidden",
            Some("security_identity_mismatch"),
            "The requested action was forbidden",
            "The request was initiated by someone else and has been blocked for security reasons. Please go back and try again.",
        ),
    )
}
