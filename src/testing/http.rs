//! The shapes of Kratos's answers, shared by every flow module: JSON
//! bodies, its error format and its common refusals, UI texts.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::Call;

/// Kratos's default and largest page sizes for lists.
const DEFAULT_PAGE_SIZE: usize = 250;
const MAX_PAGE_SIZE: usize = 500;

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

/// One page of `items`, ordered by id, as Kratos's lists answer: the page
/// the request's `page_size` and `page_token` name (a token is the id of a
/// page's first item), with the `Link` header Kratos writes. Only the
/// page's items are written as JSON.
pub(super) fn paged<T>(
    call: &Call,
    mut items: Vec<T>,
    id: impl Fn(&T) -> &str,
    write: impl Fn(&T) -> Value,
) -> ResponseTemplate {
    let size = match call.query("page_size").map(|s| s.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
        Some(_) => {
            return bad_request(&format!(
                "page_size must be a number between 1 and {MAX_PAGE_SIZE}"
            ))
        }
    };
    items.sort_by(|a, b| id(a).cmp(id(b)));
    let start = match call.query("page_token") {
        None => 0,
        Some(token) => items
            .iter()
            .position(|item| id(item) >= token.as_str())
            .unwrap_or(items.len()),
    };
    let page: Vec<Value> = items.iter().skip(start).take(size).map(write).collect();
    let next = items.get(start + size).map(|item| id(item).to_string());
    json_response(200, json!(page)).insert_header("link", link(call, size, next.as_deref()))
}

/// The `Link` header Kratos writes for a page: the first page, then the
/// next one when there is one, each with `page_size` and `page_token`.
fn link(call: &Call, size: usize, next: Option<&str>) -> String {
    let page = |token: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("page_size", &size.to_string())
            .append_pair("page_token", token)
            .finish();
        format!("<{}?{query}>", call.path())
    };
    let mut links = vec![format!(
        "{}; rel=\"first\"",
        page("00000000-0000-0000-0000-000000000000")
    )];
    if let Some(next) = next {
        links.push(format!("{}; rel=\"next\"", page(next)));
    }
    links.join(",")
}
