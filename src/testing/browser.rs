//! The browser flows, played over the native ones with Kratos v26.2.0's
//! cookies, CSRF checks and redirects.
//!
//! - `GET /self-service/<kind>/browser` starts the kind's flow as its
//!   native endpoint would (the session comes from the cookie), marks it a
//!   browser flow, sets Kratos's CSRF cookie (`csrf_token_<hash>`) when the
//!   browser has none, puts the cookie's token into the form's `csrf_token`
//!   node, and sends the browser to the app's page with `?flow=<id>` (a
//!   JSON client gets the flow instead).
//! - `GET /self-service/<kind>/flows` of a browser flow wants the CSRF
//!   cookie: 403 `security_csrf_violation` without it.
//! - A form posted to a browser flow, URL-encoded (dotted names such as
//!   `traits.email` nest, as Kratos decodes them) or JSON, needs the token
//!   in `csrf_token` and the cookie (403 for a JSON client, or a redirect to
//!   the error page); then the native answer becomes the browser's: a form
//!   with errors or a next step is a 303 back to the page, a sign-in a 303
//!   to `return_to` (or the default) with the `ory_kratos_session` cookie,
//!   a finished recovery a 303 to the settings page (422
//!   `browser_location_change_required` for JSON), any other refusal a 303
//!   to the error page, whose content `GET /self-service/errors?id=` gives.
//! - `GET /self-service/logout/browser` makes a logout URL for the
//!   browser's session; opening it ends the session and clears the cookie.
//!
//! A request is JSON as Kratos decides it: `Accept: application/json`, or
//! a `Content-Type` of exactly `application/json`. The mock's session
//! cookie carries the session token itself (Kratos seals its cookie).

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use serde_json::{json, Map, Value};
use wiremock::Request;

use super::call::Call;
use super::http::{error_body, json_response, no_session, not_found, Answer};
use super::store::{rfc3339, FlowKind, Store};
use super::SESSION_COOKIE;

/// How long Kratos's session cookie lasts by default (`session.lifespan`,
/// 24 hours).
const SESSION_COOKIE_AGE: Duration = Duration::from_secs(86_399);

/// The mock's native routes, which a browser flow is played on: given by
/// the router, which sits above this module.
pub(super) type Native = fn(&mut Store, &Call) -> Answer;

/// Answers the browser endpoints, and the requests to browser flows; `None`
/// for anything the native modules answer alone.
pub(super) fn route(store: &mut Store, call: &Call, native: Native) -> Option<Answer> {
    let path = call.path();
    match (call.method(), path) {
        ("GET", "/self-service/errors") => return Some(flow_error(store, call)),
        ("GET", "/self-service/logout/browser") => return Some(logout_url(store, call)),
        ("GET", "/self-service/logout") => return Some(logout(store, call)),
        _ => {}
    }
    let rest = path.strip_prefix("/self-service/")?;
    match (call.method(), rest.split_once('/')) {
        ("GET", Some((kind, "browser"))) => {
            Some(start(store, call, FlowKind::named(kind)?, native))
        }
        ("GET", Some((kind, "flows"))) => fetch(store, call, FlowKind::named(kind)?),
        ("POST", None) => submit(store, call, FlowKind::named(rest)?, native),
        _ => None,
    }
}

/// Whether Kratos answers `call` as JSON rather than with redirects.
pub(super) fn wants_json(call: &Call) -> bool {
    call.header("accept")
        .is_some_and(|a| a.contains("application/json"))
        || call.header("content-type") == Some("application/json")
}

/// The name of Kratos's CSRF cookie for this server: `csrf_token_` and 64
/// hex digits (Kratos hashes its public URL with SHA-256; the mock's digits
/// are its own).
pub(super) fn csrf_cookie_name(base: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut name = String::from("csrf_token_");
    for round in 0u8..4 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (round, base).hash(&mut hasher);
        name.push_str(&format!("{:016x}", hasher.finish()));
    }
    name
}

fn csrf_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax")
}

/// A new CSRF token for the browser, and the cookie that carries it.
pub(super) fn fresh_csrf(store: &mut Store) -> (String, String) {
    let value = store.random.code(43);
    let cookie = csrf_cookie(&csrf_cookie_name(&store.base), &value);
    (value, cookie)
}

pub(super) fn session_cookie(token: &str) -> String {
    let expires = httpdate::fmt_http_date(SystemTime::now() + SESSION_COOKIE_AGE);
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Expires={expires}; Max-Age={}; HttpOnly; SameSite=Lax",
        SESSION_COOKIE_AGE.as_secs()
    )
}

fn cleared_session_cookie() -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly; SameSite=Lax"
    )
}

pub(super) fn see_other(to: &str) -> Answer {
    Answer::new(303).insert_header("location", to)
}

/// `call` sent to another path, with another body and other headers, as
/// the native modules read it.
fn rewritten(call: &Call, path: &str, body: Option<Vec<u8>>, json: bool) -> Request {
    let mut request = call.0.clone();
    request.url.set_path(path);
    if let Some(body) = body {
        request.body = body;
    }
    if json {
        let value = wiremock::http::HeaderValue::from_static("application/json");
        request.headers.insert("content-type", value.clone());
        request.headers.insert("accept", value);
    }
    request
}

/// The page of the app's UI for `kind`, with `?flow=<id>`.
pub(super) fn page(store: &Store, kind: FlowKind, id: &str) -> String {
    format!("{}?flow={id}", store.config.ui_url(kind.as_str()))
}

/// Keeps `error` for the error page and sends the browser there.
pub(super) fn to_error_page(store: &mut Store, error: Value) -> Answer {
    let id = store.random.uuid();
    let now = rfc3339(SystemTime::now());
    let inner = error.get("error").cloned().unwrap_or(error);
    store.errors.insert(
        id.clone(),
        json!({"id": id, "error": inner, "created_at": now, "updated_at": now}),
    );
    see_other(&format!("{}?id={id}", store.config.ui_url("error")))
}

pub(super) fn csrf_violation(hint: &str) -> Answer {
    let mut body = error_body(
        403,
        "Forbidden",
        Some("security_csrf_violation"),
        "the request was rejected to protect you from Cross-Site-Request-Forgery",
        "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF).",
    );
    body["error"]["details"] = json!({"hint": hint});
    json_response(403, body)
}

/// The browser's CSRF cookie, if it has one.
fn csrf_of<'a>(store: &Store, call: &'a Call) -> Option<&'a str> {
    call.cookie(&csrf_cookie_name(&store.base))
}

/// Marks the flows `ids` as the browser's, carrying its CSRF token.
fn adopt(store: &mut Store, ids: impl IntoIterator<Item = String>, csrf: &str) {
    for id in ids {
        if let Some(flow) = store.flows.get_mut(&id) {
            flow.browser = true;
            flow.csrf_token = csrf.to_string();
        }
    }
}

fn flow_id(answer: &Answer) -> Option<String> {
    answer
        .body
        .as_ref()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

/// `GET /self-service/<kind>/browser`.
fn start(store: &mut Store, call: &Call, kind: FlowKind, native: Native) -> Answer {
    let json = wants_json(call);
    let (csrf, new_cookie) = match csrf_of(store, call) {
        Some(value) => (value.to_string(), None),
        None => {
            let (value, cookie) = fresh_csrf(store);
            (value, Some(cookie))
        }
    };
    let api = format!("/self-service/{}/api", kind.as_str());
    let started = native(store, &Call(&rewritten(call, &api, None, false)));
    let with_cookie = |answer: Answer| match &new_cookie {
        Some(cookie) => answer.append_header("set-cookie", cookie.clone()),
        None => answer,
    };
    let Some(id) = flow_id(&started).filter(|_| started.status == 200) else {
        return with_cookie(refused_start(store, call, kind, started, json));
    };
    adopt(store, [id.clone()], &csrf);
    if let Some(flow) = store.flows.get_mut(&id) {
        flow.request_url = call.request_url(&store.base);
    }
    if json {
        let fetch = format!("/self-service/{}/flows", kind.as_str());
        let mut request = rewritten(call, &fetch, None, false);
        request.url.set_query(Some(&format!("id={id}")));
        return with_cookie(native(store, &Call(&request)));
    }
    with_cookie(see_other(&page(store, kind, &id)))
}

/// A browser flow that could not start: a JSON client gets Kratos's error;
/// a browser is sent on (already signed in: where it would go after
/// signing in; settings without a session: to sign in; else the error
/// page).
fn refused_start(
    store: &mut Store,
    call: &Call,
    kind: FlowKind,
    answer: Answer,
    json: bool,
) -> Answer {
    if json {
        return answer;
    }
    let id = answer
        .body
        .as_ref()
        .and_then(|b| b["error"]["id"].as_str())
        .unwrap_or_default()
        .to_string();
    match (kind, answer.status, id.as_str()) {
        (_, 400, "session_already_available") => {
            let to = call
                .query("return_to")
                .unwrap_or_else(|| store.default_return());
            see_other(&to)
        }
        (FlowKind::Settings, 401, _) => {
            see_other(&format!("{}/self-service/login/browser", store.base))
        }
        _ => match answer.body {
            Some(body) => to_error_page(store, body),
            None => answer,
        },
    }
}

/// `GET /self-service/<kind>/flows` of a browser flow: its CSRF cookie is
/// checked, then the native module answers.
fn fetch(store: &mut Store, call: &Call, kind: FlowKind) -> Option<Answer> {
    let id = call.query("id")?;
    let flow = store
        .flows
        .get(&id)
        .filter(|f| f.kind == kind && f.browser && !f.skip_csrf)?;
    // Kratos asks for the session of a settings flow first.
    if kind == FlowKind::Settings && call.token().and_then(|t| store.session(t)).is_none() {
        return None;
    }
    if csrf_of(store, call) != Some(flow.csrf_token.as_str()) {
        let refusal = csrf_violation(
            "The anti-CSRF cookie was not sent with the request, or does not match the flow.",
        );
        // A browser without the cookie gets one, as on any of Kratos's pages.
        if csrf_of(store, call).is_none() {
            let (_, cookie) = fresh_csrf(store);
            return Some(refusal.append_header("set-cookie", cookie));
        }
        return Some(refusal);
    }
    None
}

/// A URL-encoded form as Kratos decodes it: `a.b=c` is `{"a": {"b": "c"}}`.
fn decode_form(body: &[u8]) -> Value {
    let mut root = Map::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        let mut parts: Vec<&str> = name.split('.').collect();
        let last = parts.pop().unwrap_or_default().to_string();
        let mut at = &mut root;
        for part in parts {
            let next = at
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            match next {
                Value::Object(map) => at = map,
                _ => unreachable!("made an object above"),
            }
        }
        at.insert(last, Value::String(value.into_owned()));
    }
    Value::Object(root)
}

/// `POST /self-service/<kind>?flow=<id>` to a browser flow.
fn submit(store: &mut Store, call: &Call, kind: FlowKind, native: Native) -> Option<Answer> {
    let id = call.query("flow")?;
    let flow = store
        .flows
        .get(&id)
        .filter(|f| f.kind == kind && f.browser)?;
    let (expected, skip_csrf) = (flow.csrf_token.clone(), flow.skip_csrf);
    let json = wants_json(call);
    let form = match call.header("content-type") {
        Some(t) if t.starts_with("application/x-www-form-urlencoded") => decode_form(&call.0.body),
        _ => serde_json::from_slice(&call.0.body).unwrap_or(Value::Null),
    };
    let sent = form.get("csrf_token").and_then(Value::as_str).unwrap_or("");
    let forged =
        sent.is_empty() || sent != expected || csrf_of(store, call) != Some(expected.as_str());
    if forged && !skip_csrf {
        let refusal = csrf_violation(if sent.is_empty() {
            "The anti-CSRF token was not sent with the form."
        } else {
            "The anti-CSRF cookie was found but the CSRF token in the form did not match it."
        });
        return Some(match (json, refusal.body) {
            (false, Some(body)) => to_error_page(store, body),
            (_, body) => {
                let mut answer = Answer::new(403);
                answer.body = body;
                answer
            }
        });
    }
    let before: HashSet<String> = store.flows.keys().cloned().collect();
    let cookie_token = call.cookie(SESSION_COOKIE).map(str::to_string);
    let signed_in_as = cookie_token
        .as_deref()
        .and_then(|t| store.session(t))
        .map(|s| s.identity_id.clone());
    let body = serde_json::to_vec(&form).unwrap_or_default();
    let request = rewritten(call, call.path(), Some(body), true);
    let answer = native(store, &Call(&request));
    // A session issued to a browser that had none, or had another
    // identity's, comes with a new CSRF token (Kratos renews it before it
    // makes the flows that follow, such as a recovery's settings flow).
    let issued = answer
        .body
        .as_ref()
        .and_then(|b| b.get("session_token"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| store.flows.get(&id).and_then(|f| f.issued_session.clone()));
    let issued_to = issued
        .as_deref()
        .and_then(|t| store.session(t))
        .map(|s| s.identity_id.clone());
    let renewed = match issued_to {
        Some(to) if Some(&to) != signed_in_as.as_ref() => Some(fresh_csrf(store)),
        _ => None,
    };
    let token = renewed
        .as_ref()
        .map_or(expected.as_str(), |(value, _)| value.as_str())
        .to_string();
    let new_flows: Vec<String> = store
        .flows
        .keys()
        .filter(|k| !before.contains(*k))
        .cloned()
        .collect();
    adopt(store, new_flows, &token);
    let mut answer = as_browser(store, kind, &id, answer, json, cookie_token.as_deref());
    if let Some((_, cookie)) = renewed {
        answer.headers.insert(0, ("set-cookie".to_string(), cookie));
    }
    Some(answer)
}

/// The native answer to a browser flow's form, as a browser gets it.
fn as_browser(
    store: &mut Store,
    kind: FlowKind,
    id: &str,
    mut answer: Answer,
    json: bool,
    session: Option<&str>,
) -> Answer {
    let body = answer.body.clone().unwrap_or(Value::Null);
    // Settings saved: Kratos issues the browser's session cookie again.
    if let (FlowKind::Settings, 200, Some(token)) = (kind, answer.status, session) {
        if body["state"] == "success" {
            let cookie = session_cookie(token);
            let answer = match json {
                true => answer,
                false => see_other(&page(store, kind, id)),
            };
            return answer.append_header("set-cookie", cookie);
        }
    }
    // Signed in: the session goes into the cookie, never the answer.
    if let Some(token) = body.get("session_token").and_then(Value::as_str) {
        let cookie = session_cookie(token);
        if json {
            if let Some(Value::Object(map)) = &mut answer.body {
                map.remove("session_token");
                map.remove("session_token_exchange_code");
            }
            return answer.append_header("set-cookie", cookie);
        }
        let return_to = store.flows.get(id).and_then(|f| f.return_to.clone());
        let to = return_to.unwrap_or_else(|| store.default_return());
        return see_other(&to).append_header("set-cookie", cookie);
    }
    // A finished recovery: the browser is signed in with a cookie and sent
    // on to the settings page (a JSON client reads it in `continue_with`).
    let issued = store
        .flows
        .get_mut(id)
        .and_then(|f| f.issued_session.take());
    if let Some(token) = issued {
        let cookie = session_cookie(&token);
        let settings = body
            .get("continue_with")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|c| c["action"] == "show_settings_ui"))
            .and_then(|c| c["flow"]["id"].as_str());
        return match (json, settings) {
            (false, Some(settings)) => see_other(&page(store, FlowKind::Settings, settings)),
            _ => answer,
        }
        .append_header("set-cookie", cookie);
    }
    if json {
        return answer;
    }
    match answer.status {
        // Kratos sends registration forms back with 302, the others 303.
        400 if kind == FlowKind::Registration && body.get("ui").is_some() => {
            Answer::new(302).insert_header("location", page(store, kind, id))
        }
        200 | 400 if body.get("ui").is_some() => see_other(&page(store, kind, id)),
        410 => match body.get("use_flow_id").and_then(Value::as_str) {
            Some(new) => see_other(&page(store, kind, new)),
            None => to_error_page(store, body),
        },
        303 => {
            // Kratos's own redirect to a new flow: the browser goes to the
            // app's page for it.
            let new = answer
                .header("location")
                .and_then(|l| l.split("id=").nth(1))
                .map(str::to_string);
            match new {
                Some(new) => see_other(&page(store, kind, &new)),
                None => answer,
            }
        }
        // Off to a social sign-in provider, with the continuity cookie the
        // callback reads.
        422 => match body.get("redirect_browser_to").and_then(Value::as_str) {
            Some(to) => answer
                .headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
                .fold(see_other(to), |to, (_, cookie)| {
                    to.append_header("set-cookie", cookie.clone())
                }),
            None => to_error_page(store, body),
        },
        _ if answer.body.is_some() => to_error_page(store, body),
        _ => answer,
    }
}

/// `GET /self-service/errors?id=`: an error kept for the error page.
fn flow_error(store: &Store, call: &Call) -> Answer {
    match call.query("id").and_then(|id| store.errors.get(&id)) {
        Some(error) => json_response(200, error.clone()),
        None => not_found(),
    }
}

/// `GET /self-service/logout/browser`: a logout URL made for the
/// browser's session cookie.
fn logout_url(store: &mut Store, call: &Call) -> Answer {
    let session = call
        .cookie(SESSION_COOKIE)
        .and_then(|t| store.session(t))
        .map(|s| s.token.clone());
    let Some(session) = session else {
        return no_session();
    };
    let token = format!("ory_lo_{}", store.random.code(32));
    store.logout_tokens.insert(token.clone(), session);
    let mut url = url::Url::parse(&format!("{}/self-service/logout", store.base))
        .unwrap_or_else(|e| unreachable!("the mock's own URL: {e}"));
    url.query_pairs_mut().append_pair("token", &token);
    if let Some(return_to) = call.query("return_to") {
        url.query_pairs_mut().append_pair("return_to", &return_to);
    }
    json_response(
        200,
        json!({"logout_url": url.as_str(), "logout_token": token}),
    )
}

/// `GET /self-service/logout?token=`: ends the session, clears the cookie.
fn logout(store: &mut Store, call: &Call) -> Answer {
    let Some(token) = call.query("token").filter(|t| !t.is_empty()) else {
        let body = super::http::error_body(
            400,
            "Bad Request",
            None,
            "The request was malformed or contained invalid parameters",
            "Please include a token in the URL query.",
        );
        return match wants_json(call) {
            true => json_response(400, body),
            false => to_error_page(store, body),
        };
    };
    let Some(session) = store.logout_tokens.remove(&token) else {
        let body = error_body(
            401,
            "Unauthorized",
            Some("session_inactive"),
            "request does not have a valid authentication session",
            "No active session was found in this request.",
        );
        return match wants_json(call) {
            true => json_response(401, body),
            false => to_error_page(store, body),
        };
    };
    store.revoke_sessions(|s| s.token == session);
    let to = call
        .query("return_to")
        .unwrap_or_else(|| store.default_return());
    let answer = match wants_json(call) {
        true => Answer::new(204),
        false => see_other(&to),
    };
    let (_, csrf) = fresh_csrf(store);
    answer
        .append_header("set-cookie", cleared_session_cookie())
        .append_header("set-cookie", csrf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names_nest_as_kratos_decodes_them() {
        let form = decode_form(
            b"csrf_token=abc&traits.email=a%40example.com&traits.name.first=Ada&method=password",
        );
        assert_eq!(
            form,
            json!({"csrf_token": "abc", "traits": {"email": "a@example.com", "name": {"first": "Ada"}}, "method": "password"})
        );
    }

    #[test]
    fn the_csrf_cookie_is_named_as_kratos_names_it() {
        let name = csrf_cookie_name("http://127.0.0.1:4433");
        assert!(name.starts_with("csrf_token_"));
        assert_eq!(name.len(), "csrf_token_".len() + 64);
        assert!(name["csrf_token_".len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit()));
        assert_ne!(name, csrf_cookie_name("http://127.0.0.1:4434"));
    }
}
