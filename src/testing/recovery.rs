//! The native recovery flow by code: the address, a code through the
//! outbox, then a session and a settings flow to set a new password.

use std::time::SystemTime;

use super::http::Answer;
use serde_json::json;

use super::by_code::{self, CodeFlow};
use super::call::Call;
use super::http::text;
use super::store::{rfc3339, FlowKind, Store};

const RECOVERY: CodeFlow = CodeFlow {
    kind: FlowKind::Recovery,
    refuse_signed_in: Some("A valid session was detected and thus recovery is not possible."),
    code_label: (1070010, "Recovery code"),
    code_digits: true,
    sent: (1060003, "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with."),
    invalid: (4060006, "The recovery code is invalid or has already been used. Please try again."),
    template: "recovery_code_valid",
    passed,
};

/// Answers the recovery endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    by_code::route(&RECOVERY, store, call)
}

/// A right code signs the user in (the address counts as verified: the
/// code reached it) and opens a settings flow for the new password; a
/// native app finds both in `continue_with`. A browser flow (an admin's
/// recovery code) signs the browser in with a cookie instead: it names the
/// settings flow only.
fn passed(store: &mut Store, flow_id: &str, identity_id: &str) {
    if let Some(identity) = store.identities.iter_mut().find(|i| i.id == identity_id) {
        identity.address_status = "completed";
    }
    let token = store.start_session(identity_id, "code_recovery", "aal1");
    let request_url = format!("{}/self-service/settings/api", store.base);
    let settings_id = store.new_flow(FlowKind::Settings, request_url, None);
    let age = store.config.privileged_session_max_age;
    let until = SystemTime::now() + age;
    let unix = until
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let browser = store.flows.get(flow_id).is_some_and(|f| f.browser);
    if let Some(settings) = store.flows.get_mut(&settings_id) {
        settings.identity_id = Some(identity_id.to_string());
        settings.state = "show_form";
        settings.browser = browser;
        settings.form_messages = vec![text(
            1060001,
            &format!("You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next {:.2} minutes.", age.as_secs_f64() / 60.0),
            "success",
            Some(json!({
                "privilegedSessionExpiresAt": rfc3339(until),
                "privileged_session_expires_at": rfc3339(until),
                "privileged_session_expires_at_unix": unix,
            })),
        )];
    }
    let url = format!("{}?flow={settings_id}", store.config.ui_url("settings"));
    let settings = json!({"action": "show_settings_ui", "flow": {"id": settings_id, "url": url}});
    if let Some(flow) = store.flows.get_mut(flow_id) {
        flow.state = "passed_challenge";
        flow.form_messages.clear();
        flow.issued_session = browser.then(|| token.clone());
        flow.continue_with = match browser {
            true => vec![settings],
            false => vec![
                json!({"action": "set_ory_session_token", "ory_session_token": token}),
                settings,
            ],
        };
    }
}
