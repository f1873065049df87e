//! Sessions: whoami, the session-token exchange, the signed-in user's other
//! sessions (paged with a `Link` header as Kratos writes it), revoking them,
//! and signing out a native app.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::http::{bad_request, error_body, json_response, no_session, not_found, paged};
use super::store::Store;
use super::Call;

/// Answers the session endpoints; `None` for any other request.
pub(super) fn route(store: &mut Store, call: &Call) -> Option<ResponseTemplate> {
    Some(match (call.method(), call.path()) {
        ("GET", "/sessions/whoami") => match call.token().and_then(|t| store.session(t)) {
            Some(session) if store.needs_second_factor(session) => store.aal2_required(),
            Some(session) => json_response(200, store.session_json(session)),
            None => no_session(),
        },
        ("GET", "/sessions/token-exchange") => {
            let (Some(init), Some(ret)) = (call.query("init_code"), call.query("return_to_code"))
            else {
                return Some(bad_request(
                    "Both `init_code` and `return_to_code` are required.",
                ));
            };
            let ready = store
                .exchanges
                .get(&init)
                .filter(|e| e.return_to_code == ret)
                .and_then(|e| e.session_token.clone());
            match ready {
                Some(token) => {
                    store.exchanges.remove(&init);
                    let session = store
                        .session(&token)
                        .map(|s| store.session_json(s))
                        .unwrap_or(Value::Null);
                    json_response(200, json!({"session_token": token, "session": session}))
                }
                None => not_found("no session yet for this code"),
            }
        }
        ("GET", "/sessions") => list_other_sessions(store, call),
        ("DELETE", "/sessions") => {
            let Some(current) = current_session(store, call) else {
                return Some(no_session());
            };
            let ended = store.end_sessions(|s| s.identity_id == current.1 && s.id != current.0);
            json_response(200, json!({"count": ended}))
        }
        ("DELETE", path) if path.starts_with("/sessions/") => {
            let Some((current, identity)) = current_session(store, call) else {
                return Some(no_session());
            };
            let id = &path["/sessions/".len()..];
            if id == current {
                return Some(bad_request(
                    "You tried to revoke the session you are using; sign out instead.",
                ));
            }
            if store.end_sessions(|s| s.id == id && s.identity_id == identity) == 0 {
                return Some(not_found("The session could not be found."));
            }
            ResponseTemplate::new(204)
        }
        ("DELETE", "/self-service/logout/api") => {
            let form = call.form();
            let Some(token) = form.value("session_token").and_then(Value::as_str) else {
                return Some(bad_request("The `session_token` is missing."));
            };
            if store.end_sessions(|s| s.token == token) == 0 {
                // What Kratos answers for a token it does not know.
                return Some(json_response(
                    403,
                    error_body(
                        403,
                        "Forbidden",
                        None,
                        "The requested action was forbidden",
                        "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
                    ),
                ));
            }
            ResponseTemplate::new(204)
        }
        _ => return None,
    })
}

/// The id of the request's session and of its identity, when it has a valid one.
fn current_session(store: &Store, call: &Call) -> Option<(String, String)> {
    let session = store.session(call.token()?)?;
    Some((session.id.clone(), session.identity_id.clone()))
}

/// The signed-in user's sessions other than the current one, a page at a
/// time.
fn list_other_sessions(store: &Store, call: &Call) -> ResponseTemplate {
    let Some(current) = call.token().and_then(|t| store.session(t)) else {
        return no_session();
    };
    let others: Vec<_> = store
        .sessions
        .iter()
        .filter(|s| s.identity_id == current.identity_id && s.id != current.id)
        .collect();
    paged(call, others, |s| &s.id, |s| store.session_json(s))
}
