//! Sessions: whoami, the session-token exchange (the session of a social
//! sign-in finished in a browser), the signed-in user's other
//! sessions (paged by offset, as Kratos v26.2.0 pages them), revoking
//! them, and signing out a native app. Revoked sessions stay, inactive.

use super::http::Answer;
use serde_json::{json, Value};

use super::call::Call;
use super::http::{
    bad_request, bad_request_message, forbidden, json_response, not_found_because, paged_by_offset,
    unauthorized,
};
use super::store::Store;

/// Kratos's reasons for a request without a session it accepts.
const NO_CREDENTIALS: &str = "No valid session credentials found in the request.";
const NO_COOKIE: &str = "No valid session cookie found.";

/// Answers the session endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<Answer> {
    Some(match (call.method(), call.path()) {
        ("GET", "/sessions/whoami") => whoami(store, call),
        ("GET", "/sessions/token-exchange") => {
            if call.query("init_code").is_none() || call.query("return_to_code").is_none() {
                return Some(bad_request(
                    r#""init_code" and "return_to_code" query params must be set"#,
                ));
            }
            // Only social sign-in, finished in a browser, links a session to
            // the codes; Kratos answers with it as often as it is asked.
            let (init, back) = (
                call.query("init_code").unwrap_or_default(),
                call.query("return_to_code").unwrap_or_default(),
            );
            match super::social::exchange(store, &init, &back) {
                Some(body) => json_response(200, body),
                None => not_found_because(r#"no session yet for this "code""#),
            }
        }
        ("GET", "/sessions") => list_other_sessions(store, call),
        ("DELETE", "/sessions") => {
            let Some(current) = current_session(store, call) else {
                return Some(unauthorized(NO_COOKIE));
            };
            let ended = store.revoke_sessions(|s| s.identity_id == current.1 && s.id != current.0);
            json_response(200, json!({"count": ended}))
        }
        ("DELETE", path) if path.starts_with("/sessions/") => {
            let Some((current, identity)) = current_session(store, call) else {
                return Some(unauthorized(NO_COOKIE));
            };
            let id = &path["/sessions/".len()..];
            if id == current {
                return Some(bad_request_message("cannot revoke current session"));
            }
            // Kratos answers 204 whether or not the session was there.
            store.revoke_sessions(|s| s.id == id && s.identity_id == identity);
            Answer::new(204)
        }
        ("DELETE", "/self-service/logout/api") => {
            let form = call.form();
            let Some(token) = form.value("session_token").and_then(Value::as_str) else {
                return Some(bad_request("The `session_token` is missing."));
            };
            // A token Kratos issued signs out, again and again; others are 403.
            if store.revoke_sessions(|s| s.token == token) == 0 {
                return Some(forbidden(
                    "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
                ));
            }
            Answer::new(204)
        }
        _ => return None,
    })
}

/// whoami: the session of the request's token, with the headers Kratos
/// adds (the identity's id; how long the answer may be cached, when
/// cacheable sessions are on).
fn whoami(store: &mut Store, call: &Call) -> Answer {
    store.whoami_calls += 1;
    let cacheable = store.config.cacheable_sessions;
    match call.token().and_then(|t| store.session(t)) {
        Some(session) if store.needs_second_factor(session) => store.aal2_required(),
        Some(session) => {
            let mut response = json_response(200, store.session_json(session)).insert_header(
                "x-kratos-authenticated-identity-id",
                session.identity_id.as_str(),
            );
            if let Some(max_age) = cacheable {
                // Until the session expires, at most the maximum (zero: none).
                let mut left = session
                    .expires_at
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
                if !max_age.is_zero() {
                    left = left.min(max_age);
                }
                response = response.insert_header(
                    "ory-session-cache-for",
                    format!("{:.0}", left.as_secs_f64()),
                );
            }
            response
        }
        None => {
            let response = unauthorized(NO_CREDENTIALS);
            match (cacheable, call.has_credentials()) {
                (Some(_), false) => response.insert_header("ory-session-cache-for", "60"),
                _ => response,
            }
        }
    }
}

/// The id of the request's session and of its identity, when it has a valid one.
fn current_session(store: &Store, call: &Call) -> Option<(String, String)> {
    let session = store.session(call.token()?)?;
    Some((session.id.clone(), session.identity_id.clone()))
}

/// The signed-in user's active sessions other than the current one,
/// newest first, a page at a time.
fn list_other_sessions(store: &Store, call: &Call) -> Answer {
    let Some(current) = call.token().and_then(|t| store.session(t)) else {
        return unauthorized(NO_COOKIE);
    };
    let mut others: Vec<_> = store
        .sessions
        .iter()
        .filter(|s| s.identity_id == current.identity_id && s.id != current.id && s.active)
        .collect();
    others.reverse();
    paged_by_offset(call, others, |s| store.session_json(s))
}
