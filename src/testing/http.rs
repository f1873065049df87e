//! The shapes of Kratos's answers, shared by every flow module: JSON
//! bodies, its error format and its common refusals, UI texts.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::call::Call;

/// Kratos's default and largest page sizes for lists.
const DEFAULT_PAGE_SIZE: usize = 250;
const MAX_PAGE_SIZE: usize = 500;

/// An answer of the mock: kept as data until it is sent, so that the
/// browser endpoints can turn a native flow's answer into the redirect and
/// cookies a browser gets.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    pub(super) status: u16,
    /// A JSON body.
    pub(super) body: Option<Value>,
    /// A body of another type: its content type and text.
    pub(super) text: Option<(&'static str, String)>,
    pub(super) headers: Vec<(String, String)>,
}

impl Answer {
    pub(super) fn new(status: u16) -> Self {
        Answer {
            status,
            body: None,
            text: None,
            headers: Vec::new(),
        }
    }

    /// Sets the header `name` to `value` alone.
    pub(super) fn insert_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Adds a value of the header `name` (a `Set-Cookie`).
    pub(super) fn append_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of the header `name`.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The answer as wiremock sends it.
    pub(super) fn into_template(self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        if let Some(body) = self.body {
            template = template.set_body_raw(
                body.to_string().into_bytes(),
                "application/json; charset=utf-8",
            );
        }
        if let Some((content_type, text)) = self.text {
            template = template.set_body_raw(text.into_bytes(), content_type);
        }
        for (name, value) in self.headers {
            template = template.append_header(name.as_str(), value.as_str());
        }
        template
    }
}

/// A JSON answer, with the content type Kratos sends.
pub(super) fn json_response(status: u16, body: Value) -> Answer {
    let mut answer = Answer::new(status);
    answer.body = Some(body);
    answer
}

/// An answer that is text of `content_type`, not JSON.
pub(super) fn text_response(status: u16, content_type: &'static str, text: &str) -> Answer {
    let mut answer = Answer::new(status);
    answer.text = Some((content_type, text.to_string()));
    answer
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

/// Kratos's 401 for an identity that is not active, where a session would
/// be given.
pub(super) fn identity_disabled(identity_id: &str) -> Answer {
    let mut body = error_body(
        401,
        "Unauthorized",
        None,
        "identity is disabled",
        "This account was disabled.",
    );
    body["error"]["details"] = json!({ "identity_id": identity_id });
    json_response(401, body)
}

/// Kratos's 404 for a record it does not have: a flow, an identity, a
/// session.
pub(super) fn not_found() -> Answer {
    json_response(
        404,
        json!({"error": {"code": 404, "status": "Not Found", "message": "Unable to locate the resource"}}),
    )
}

/// Kratos's 404 with a reason of its own.
pub(super) fn not_found_because(reason: &str) -> Answer {
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
pub(super) fn bad_request(reason: &str) -> Answer {
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

/// Kratos's 400 whose message says what is wrong, without a reason.
pub(super) fn bad_request_message(message: &str) -> Answer {
    json_response(
        400,
        json!({"error": {"code": 400, "status": "Bad Request", "message": message}}),
    )
}

/// Kratos's 401 without an error id: the request carries no session it
/// accepts (whoami, the session list), with `reason`.
pub(super) fn unauthorized(reason: &str) -> Answer {
    json_response(
        401,
        error_body(
            401,
            "Unauthorized",
            None,
            "The request could not be authorized",
            reason,
        ),
    )
}

/// Kratos's 403 without an error id, with `reason`.
pub(super) fn forbidden(reason: &str) -> Answer {
    json_response(
        403,
        error_body(
            403,
            "Forbidden",
            None,
            "The requested action was forbidden",
            reason,
        ),
    )
}

/// What a Kratos that is down (or a proxy in front of it) answers: 503.
pub(super) fn unavailable() -> Answer {
    json_response(
        503,
        error_body(
            503,
            "Service Unavailable",
            None,
            "The service is unavailable",
            "MockKratos plays being down.",
        ),
    )
}

/// Kratos's 401 `session_inactive`: a flow that needs a session got none.
pub(super) fn no_session() -> Answer {
    no_session_because("No active session was found in this request.")
}

/// [`no_session`] with the reason of the endpoints Kratos guards with its
/// session check (`IsAuthenticated`), such as starting a settings flow.
pub(super) fn endpoint_needs_session() -> Answer {
    no_session_because(
        "This endpoint can only be accessed with a valid session. Please log in and try again.",
    )
}

fn no_session_because(reason: &str) -> Answer {
    json_response(
        401,
        error_body(
            401,
            "Unauthorized",
            Some("session_inactive"),
            "request does not have a valid authentication session",
            reason,
        ),
    )
}

/// Kratos's refusal to start or submit a flow for a signed-in user, with
/// the flow's own `reason`.
pub(super) fn already_signed_in(reason: &str) -> Answer {
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

/// Kratos's message on a required field left out or empty (4000002).
pub(super) fn property_missing(name: &str) -> Value {
    text(
        4000002,
        &format!("Property {name} is missing."),
        "error",
        Some(json!({ "property": name })),
    )
}

/// One page of `items` (newest first) as Kratos v26.2.0 pages a user's
/// sessions and the admin's list of one identity's sessions: by offset,
/// in a `page_token` that encodes it, with the `Link` relations and the
/// `X-Total-Count` header its older paginator writes. Kratos reads the
/// page number the token gives (offset / size, from 0) as a page counted
/// from 1, so the first two pages are both the first, and every later
/// page is the one before the one asked for; the mock does the same.
pub(super) fn paged_by_offset<T>(
    call: &Call,
    items: Vec<T>,
    write: impl Fn(&T) -> Value,
) -> Answer {
    let size = call
        .query("page_size")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(250)
        .clamp(1, 1000);
    let offset = call
        .query("page_token")
        .and_then(|token| offset_of(&token))
        .unwrap_or(0);
    let page = (offset / size).max(0);
    let start = ((page.max(1) - 1) * size) as usize;
    let total = items.len() as i64;
    let written: Vec<Value> = items
        .iter()
        .skip(start)
        .take(size as usize)
        .map(write)
        .collect();
    let link = |rel: &str, offset: i64| {
        let mut pairs: Vec<(String, String)> = call
            .0
            .url
            .query_pairs()
            .filter(|(k, _)| {
                !matches!(k.as_ref(), "page" | "page_size" | "page_token" | "per_page")
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.push(("page".into(), (offset / size).to_string()));
        pairs.push(("page_size".into(), size.to_string()));
        pairs.push(("page_token".into(), offset_token(offset)));
        pairs.push(("per_page".into(), size.to_string()));
        pairs.sort();
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("<{}?{query}>; rel=\"{rel}\"", call.path())
    };
    let this = page * size;
    let last = if total % size == 0 {
        total - size
    } else {
        total / size * size
    };
    let links: Vec<String> = if this >= last {
        if total == 0 {
            vec![
                link("first", 0),
                link("next", (page + 1) * size),
                link("prev", (page - 1) * size),
            ]
        } else if total <= size {
            // Kratos writes this one with the total as its size.
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("page", "0")
                .append_pair("page_size", &total.to_string())
                .append_pair("page_token", &offset_token(0))
                .append_pair("per_page", &total.to_string())
                .finish();
            vec![format!("<{}?{query}>; rel=\"first\"", call.path())]
        } else {
            vec![link("first", 0), link("prev", last - size)]
        }
    } else if this < size {
        vec![link("next", size), link("last", last)]
    } else {
        vec![
            link("first", 0),
            link("next", (page + 1) * size),
            link("prev", (page - 1) * size),
            link("last", last),
        ]
    };
    json_response(200, json!(written))
        .insert_header("link", links.join(","))
        .insert_header("x-total-count", total.to_string())
}

/// Kratos's offset page token: `{"offset":"N","v":2}` in unpadded URL-safe
/// base64.
fn offset_token(offset: i64) -> String {
    base64_url(format!(r#"{{"offset":"{offset}","v":2}}"#).as_bytes())
}

fn offset_of(token: &str) -> Option<i64> {
    let json = String::from_utf8(unbase64_url(token)?).ok()?;
    let value: Value = serde_json::from_str(&json).ok()?;
    match &value["offset"] {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(BASE64_URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64_url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bits = 0u32;
    let mut count = 0;
    for c in text.trim_end_matches('=').bytes() {
        let value = BASE64_URL.iter().position(|b| *b == c)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
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
) -> Answer {
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
        // Kratos's tokens are the ids of the items: anything else it refuses.
        Some(token) if !is_uuid(&token) => {
            return bad_request("The page token is invalid, do not craft your own page tokens")
        }
        Some(token) => items
            .iter()
            .position(|item| id(item) >= token.as_str())
            .unwrap_or(items.len()),
    };
    let page: Vec<Value> = items.iter().skip(start).take(size).map(write).collect();
    let next = items.get(start + size).map(|item| id(item).to_string());
    json_response(200, json!(page)).insert_header("link", link(call, size, next.as_deref()))
}

/// Whether `text` is a UUID in its hyphenated form.
fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_tokens_are_kratos_own() {
        // As Kratos v26.2.0 wrote them in a Link header.
        assert_eq!(offset_token(2), "eyJvZmZzZXQiOiIyIiwidiI6Mn0");
        assert_eq!(offset_token(0), "eyJvZmZzZXQiOiIwIiwidiI6Mn0");
        assert_eq!(offset_of("eyJvZmZzZXQiOiIyIiwidiI6Mn0"), Some(2));
        assert_eq!(offset_of("not base64!"), None);
    }
}
