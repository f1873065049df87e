//! The shapes of Kratos's answers, shared by every flow module: JSON
//! bodies, its error format and its common refusals, UI texts.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

/// A JSON answer, with the content type Kratos sends.
pub(super) fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

/// A body in Kratos's error format.
pub(super) fn error_body(
    code: u16,
    status: &str,
    id: Option<&str>,
    message: &str,
    reason: &str,
) -> Value {
    let mut error = json!({"code": code, "status": status, "message": message, "reason": reason});
    if let Some(id) = id {
        error["id"] = json!(id);
    }
    json!({ "error": error })
}

/// Kratos's 404, with `reason`.
pub(super) fn not_found(reason: &str) -> ResponseTemplate {
    json_response(
        404,
        error_body(
            404,
            "Not Found",
            None,
            "The requested resource could not be found",
            reason,
        ),
    )
}

/// Kratos's 400 for a request it cannot read, with `reason`.
pub(super) fn bad_request(reason: &str) -> ResponseTemplate {
    json_response(
        400,
        error_body(
            400,
            "Bad Request",
            None,
            "The request was malformed or contained invalid parameters",
            reason,
        ),
    )
}

/// Kratos's 401 for a request without a valid session.
pub(super) fn no_session() -> ResponseTemplate {
    json_response(
        401,
        error_body(
            401,
            "Unauthorized",
            Some("session_inactive"),
            "request does not have a valid authentication session",
            "No active session was found in this request.",
        ),
    )
}

/// Kratos's refusal to start or submit a flow for a signed-in user, with
/// the flow's own `reason`.
pub(super) fn already_signed_in(reason: &str) -> ResponseTemplate {
    json_response(
        400,
        error_body(
            400,
            "Bad Request",
            Some("session_already_available"),
            "you are already logged in",
            reason,
        ),
    )
}

/// A Kratos UI text: `{id, text, type, context?}`.
pub(super) fn text(id: i64, text: &str, kind: &str, context: Option<Value>) -> Value {
    let mut t = json!({"id": id, "text": text, "type": kind});
    if let Some(context) = context {
        t["context"] = context;
    }
    t
}
