//! The app's web hooks, called by MockKratos as Kratos v26.2.0 calls them
//! (`selfservice/hook/web_hook.go`, `password_migration_hook.go`): the
//! whole context as the body (`function(ctx) ctx`), Kratos's headers and
//! the hook's credential; 30 seconds and three attempts per call (again
//! after a transport failure, a timeout, 429 or a 5xx other than 501, 1 s
//! and 2 s apart); at most 5 MiB of an answer read. What the answer does
//! depends on the hook's place and `response` (see
//! [`crate::testing::WebHook`]).

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::call::Call;
use super::http::{json_response, Answer};
use super::options::{HookAuth, HookPoint, HookResponse, WebHook};
use super::store::{FlowKind, Store};

/// Kratos's client: `httpx.NewResilientClient` with two retries and a
/// 30-second timeout (`driver/registry_default.go`).
const ATTEMPTS: u32 = 3;
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// `io.LimitReader(resp.Body, 5<<20)`.
const ANSWER_LIMIT: usize = 5 << 20;
/// The password migration hook reads 1 KiB of its answer.
const MIGRATION_ANSWER_LIMIT: usize = 1024;

/// `clients.web_hook.header_allowlist`'s default: the request headers a
/// hook's context keeps.
const HEADER_ALLOWLIST: [&str; 17] = [
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Content-Length",
    "Content-Type",
    "Origin",
    "Priority",
    "Referer",
    "Sec-Ch-Ua",
    "Sec-Ch-Ua-Mobile",
    "Sec-Ch-Ua-Platform",
    "Sec-Fetch-Dest",
    "Sec-Fetch-Mode",
    "Sec-Fetch-Site",
    "Sec-Fetch-User",
    "True-Client-Ip",
    "User-Agent",
];

/// Which of a place's hooks a step calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Before the identity is saved: the hooks that parse their answer.
    BeforeSaving,
    /// Once it is saved: the others.
    Saved,
    /// Every hook of the place (`before` hooks, login's `after` hooks).
    All,
}

/// Why the hooks stopped a step.
#[derive(Debug)]
pub(super) enum Stop {
    /// A hook's `messages`, for the flow's form and fields.
    Messages(Vec<Value>),
    /// An error: Kratos's error body, whose `error.code` is its status.
    Error(Value),
}

impl Stop {
    /// The error's code.
    fn code(body: &Value) -> u16 {
        body["error"]["code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(500)
    }
}

/// A plain Go error as Kratos writes it: code 500, no reason.
fn generic(message: &str) -> Value {
    json!({"error": {"code": 500, "status": "Internal Server Error", "message": message}})
}

fn upstream(code: u16, message: &str) -> Value {
    let (status, reason) = match code {
        504 => (
            "Gateway Timeout",
            "A third-party upstream service could not be reached. Please try again later.",
        ),
        _ => (
            "Bad Gateway",
            "A third-party upstream service responded improperly. Please try again later.",
        ),
    };
    json!({"error": {"code": code, "status": status, "reason": reason, "message": message}})
}

/// One request to a hook, owned: sent from another thread.
#[derive(Clone)]
struct Outgoing {
    url: String,
    body: String,
    auth: Option<HookAuth>,
    request_id: String,
    trigger_id: String,
}

/// How a call ended: the answer, or a failure on the way.
enum Sent {
    Answered(u16, Vec<u8>),
    /// No answer: whether it timed out, and the error as Go's client says it.
    Failed {
        timeout: bool,
        text: String,
    },
}

/// Sends `outgoing` once, from the mock's own runtime (the mock answers on
/// wiremock's thread, which must not wait on itself).
fn send_once(outgoing: &Outgoing, limit: usize) -> Sent {
    let Some(client) = super::outbound::client() else {
        return Sent::Failed {
            timeout: false,
            text: "the mock has no HTTP client".into(),
        };
    };
    let mut request = client
        .post(&outgoing.url)
        .timeout(ATTEMPT_TIMEOUT)
        .header("content-type", "application/json")
        .header("ory-webhook-request-id", &outgoing.request_id)
        .header("ory-webhook-trigger-id", &outgoing.trigger_id)
        .body(outgoing.body.clone());
    match &outgoing.auth {
        Some(HookAuth::ApiKey {
            name,
            value,
            cookie: false,
        }) => request = request.header(name.as_str(), value.expose()),
        Some(HookAuth::ApiKey {
            name,
            value,
            cookie: true,
        }) => request = request.header("cookie", format!("{name}={}", value.expose())),
        Some(HookAuth::Basic { user, password }) => {
            request = request.basic_auth(user, Some(password.expose()))
        }
        None => {}
    }
    let result = super::outbound::wait(async move {
        let mut response = request.send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() >= limit {
                body.truncate(limit);
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, body))
    });
    match result {
        Some(Ok((status, body))) => Sent::Answered(status, body),
        Some(Err(error)) => Sent::Failed {
            timeout: error.is_timeout(),
            text: if error.is_timeout() {
                format!(
                    "Post {:?}: net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
                    outgoing.url
                )
            } else {
                format!("Post {:?}: {error}", outgoing.url)
            },
        },
        None => Sent::Failed {
            timeout: false,
            text: "the mock could not send the request".into(),
        },
    }
}

/// Sends `outgoing` as Kratos's retrying client does: its last answer, or
/// the error it gives up with (`Err((timeout, message))`).
fn send(outgoing: &Outgoing, limit: usize) -> Result<(u16, Vec<u8>), (bool, String)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = send_once(outgoing, limit);
        let again = match &sent {
            Sent::Answered(status, _) => *status == 429 || (*status >= 500 && *status != 501),
            Sent::Failed { .. } => true,
        };
        if !again {
            if let Sent::Answered(status, body) = sent {
                return Ok((status, body));
            }
        }
        if attempt >= ATTEMPTS {
            let giving_up = format!("POST {} giving up after {attempt} attempt(s)", outgoing.url);
            return Err(match sent {
                Sent::Answered(..) => (false, giving_up),
                Sent::Failed { timeout, text } => (timeout, format!("{giving_up}: {text}")),
            });
        }
        // retryablehttp's backoff: 1 s, then 2 s.
        std::thread::sleep(Duration::from_secs(1 << (attempt - 1)));
    }
}

/// Go's canonical form of a header name (`content-type` → `Content-Type`).
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// What Kratos tells a hook of the request that ran it.
fn request_context(store: &Store, call: &Call) -> Map<String, Value> {
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in call.0.headers.iter() {
        let name = canonical(name.as_str());
        if !HEADER_ALLOWLIST.contains(&name.as_str()) {
            continue;
        }
        let value = Value::from(value.to_str().unwrap_or_default());
        match headers.get_mut(&name).and_then(Value::as_array_mut) {
            Some(values) => values.push(value),
            None => {
                headers.insert(name, json!([value]));
            }
        }
    }
    let cookies: Map<String, Value> = call
        .0
        .headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(crate::secret::cookie_pairs)
        .map(|(name, value)| (name.to_string(), Value::from(value)))
        .collect();
    let mut context = Map::new();
    context.insert("request_headers".into(), Value::Object(headers));
    context.insert("request_method".into(), Value::from(call.method()));
    context.insert(
        "request_url".into(),
        Value::from(call.request_url(&store.base)),
    );
    context.insert("request_cookies".into(), Value::Object(cookies));
    context
}

/// The flow `id` as Kratos shows it, for the context.
fn flow_body(store: &Store, id: &str) -> Value {
    let Some(flow) = store.flows.get(id) else {
        return Value::Null;
    };
    match flow.kind {
        FlowKind::Registration => super::registration::flow_json(store, id),
        FlowKind::Login => super::login::flow_json(store, id),
        FlowKind::Settings => super::settings::flow_json(store, id),
        _ => store.flow_json(flow, Vec::new()),
    }
}

/// Changes `identity` as a hook's 200 answer says, as Kratos reads it
/// (`parseWebhookResponse`): each field it gives replaces the identity's.
fn change(identity: &mut Value, answer: &Value) {
    let Some(given) = answer.get("identity").and_then(Value::as_object) else {
        return;
    };
    for (key, value) in given {
        let replace = match key.as_str() {
            "traits" | "metadata_public" | "metadata_admin" | "external_id" => true,
            "schema_id" | "state" => value.as_str().is_some_and(|s| !s.is_empty()),
            "verifiable_addresses" | "recovery_addresses" => {
                value.as_array().is_some_and(|a| !a.is_empty())
            }
            _ => false,
        };
        if replace {
            identity[key.as_str()] = value.clone();
        }
    }
}

/// Keeps on `identity` what hooks changed in `draft` (the identity as they
/// were shown it, changed by their answers) beside its traits: its state,
/// metadata and external id.
pub(super) fn keep_changes(identity: &mut super::store::Identity, draft: &Value) {
    if let Some(state) = draft["state"].as_str() {
        identity.state = state.to_string();
    }
    identity.metadata_public = draft["metadata_public"].clone();
    if let Some(admin) = draft.get("metadata_admin") {
        identity.metadata_admin = admin.clone();
    }
    if let Some(external_id) = draft.get("external_id") {
        identity.external_id = external_id.as_str().map(str::to_string);
    }
}

/// Calls the hooks of `point` that `stage` selects, in order, for the flow
/// `flow_id` run by `call`: `identity` as the hooks that parse their answer
/// changed it, or why they stopped the step.
pub(super) fn run(
    store: &mut Store,
    call: &Call,
    point: &HookPoint,
    stage: Stage,
    flow_id: &str,
    identity: &mut Option<Value>,
    session: Option<Value>,
) -> Result<(), Stop> {
    let hooks: Vec<WebHook> = store
        .config
        .web_hooks
        .iter()
        .filter(|h| h.point == *point)
        .filter(|h| match stage {
            Stage::BeforeSaving => h.response == HookResponse::Parse,
            Stage::Saved => h.response != HookResponse::Parse,
            Stage::All => true,
        })
        .cloned()
        .collect();
    for hook in hooks {
        let mut context = request_context(store, call);
        context.insert("flow".into(), flow_body(store, flow_id));
        if let Some(identity) = identity.as_ref() {
            context.insert("identity".into(), identity.clone());
        }
        if let Some(session) = &session {
            context.insert("session".into(), session.clone());
        }
        let outgoing = Outgoing {
            url: hook.url.clone(),
            body: Value::Object(context).to_string(),
            auth: hook.auth.clone(),
            request_id: store.random.uuid(),
            trigger_id: store.random.uuid(),
        };
        if hook.response == HookResponse::Ignore {
            // Not waited for; its retries sleep on a thread of their own.
            std::thread::spawn(move || {
                let _ = send(&outgoing, ANSWER_LIMIT);
            });
            continue;
        }
        let parse = hook.response == HookResponse::Parse;
        let (status, body) = match send(&outgoing, ANSWER_LIMIT) {
            Ok(answer) => answer,
            Err((true, message)) => return Err(Stop::Error(upstream(504, &message))),
            Err((false, message)) => return Err(Stop::Error(generic(&message))),
        };
        let json = || serde_json::from_slice::<Value>(&body);
        // Go's words for a body that is not JSON, as far as the mock says.
        let undecodable = |error: serde_json::Error| {
            let cause = match error.classify() {
                serde_json::error::Category::Eof => ": unexpected end of JSON input",
                _ => "",
            };
            Stop::Error(generic(&format!(
                "webhook response could not be unmarshalled properly from JSON{cause}"
            )))
        };
        if status >= 400 {
            if !parse {
                let message = format!("webhook failed with status code {status}");
                return Err(Stop::Error(upstream(502, &message)));
            }
            let answer = json().map_err(undecodable)?;
            let messages = answer["messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return Err(Stop::Error(generic(
                    "error while parsing webhook response: got no validation errors",
                )));
            }
            return Err(Stop::Messages(messages));
        }
        if parse && status == 200 {
            let answer = json().map_err(undecodable)?;
            if let Some(identity) = identity.as_mut() {
                change(identity, &answer);
            }
        }
    }
    Ok(())
}

/// Calls the `before` hooks of the flow `flow_id` just started by `call`:
/// nothing, or the error that ends the start (the flow forgotten).
pub(super) fn before_flow(
    store: &mut Store,
    call: &Call,
    flow_id: &str,
    session: Option<Value>,
) -> Result<(), Box<Answer>> {
    let Err(error) = rerun_before(store, call, flow_id, session) else {
        return Ok(());
    };
    store.flows.remove(flow_id);
    Err(Box::new(json_response(Stop::code(&error), error)))
}

/// Calls the `before` hooks of the flow `flow_id` (settings runs them
/// again at each submission): nothing, or Kratos's error.
pub(super) fn rerun_before(
    store: &mut Store,
    call: &Call,
    flow_id: &str,
    session: Option<Value>,
) -> Result<(), Value> {
    let Some(kind) = store.flows.get(flow_id).map(|f| f.kind) else {
        return Ok(());
    };
    let point = HookPoint::Before(kind);
    match run(store, call, &point, Stage::All, flow_id, &mut None, session) {
        Ok(()) => Ok(()),
        Err(Stop::Error(body)) => Err(body),
        // Kratos has no form to show them on.
        Err(Stop::Messages(messages)) => Err(generic(&messages_error(&messages))),
    }
}

/// How Go prints the validation errors of a hook's messages.
fn messages_error(messages: &[Value]) -> String {
    let mut text = format!("{} validation errors occurred:", messages.len());
    for (at, group) in messages.iter().enumerate() {
        let pointer = group["instance_ptr"].as_str().unwrap_or_default();
        text.push_str(&format!(
            "\n({at}) I[{pointer}] S[] a webhook target returned an error"
        ));
    }
    text
}

/// The answer to a submission whose hook failed, as Kratos's flow error
/// handlers give it: an API flow's 400 with the error for a plain error
/// (the error's own status for 502 and 504); a browser's JSON request the
/// error's status; a browser's form the error page.
pub(super) fn failed(store: &mut Store, call: &Call, flow_id: &str, error: Value) -> Answer {
    let code = Stop::code(&error);
    let browser = store.flows.get(flow_id).is_some_and(|f| f.browser);
    if !browser {
        let status = if code == 500 { 400 } else { code };
        return json_response(status, error);
    }
    if super::browser::wants_json(call) {
        return json_response(code, error);
    }
    super::browser::to_error_page(store, error)
}

/// Puts a hook's `messages` on the flow `flow_id`, as Kratos's
/// `ParseError` does: `#/a/b` on the field `a.b` (a new text field when
/// the form has none), `#/` or an empty pointer above the form.
pub(super) fn show_messages(store: &mut Store, flow_id: &str, messages: &[Value]) {
    let Some(flow) = store.flows.get_mut(flow_id) else {
        return;
    };
    flow.form_messages.clear();
    flow.field_messages.clear();
    for group in messages {
        let pointer = group["instance_ptr"].as_str().unwrap_or_default();
        let name = match pointer.strip_prefix("#/") {
            Some(path) => path.replace('/', "."),
            None => pointer.to_string(),
        };
        let texts: Vec<Value> = group["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let kind = if m["type"] == "error" {
                    "error"
                } else {
                    "info"
                };
                let mut text = json!({"id": m["id"], "text": m["text"], "type": kind});
                if let Some(context) = m.get("context").filter(|c| !c.is_null()) {
                    text["context"] = context.clone();
                }
                text
            })
            .collect();
        match name.trim().is_empty() {
            true => flow.form_messages.extend(texts),
            false => flow.field_messages.entry(name).or_default().extend(texts),
        }
    }
}

/// The password migration hook's verdict on `password` for `identifier`:
/// whether it matches, or Kratos's 502 when the hook fails.
pub(super) fn migrate_password(
    store: &mut Store,
    identifier: &str,
    password: &str,
) -> Result<bool, Value> {
    let Some(hook) = store
        .config
        .web_hooks
        .iter()
        .find(|h| h.point == HookPoint::PasswordMigration)
        .cloned()
    else {
        let mut error =
            generic("Password migration hook is not enabled but password migration is requested.");
        error["error"]["reason"] =
            json!("Password migration hook is not enabled but password migration is requested.");
        return Err(error);
    };
    let outgoing = Outgoing {
        url: hook.url.clone(),
        body: json!({"identifier": identifier, "password": password}).to_string(),
        auth: hook.auth.clone(),
        request_id: store.random.uuid(),
        trigger_id: store.random.uuid(),
    };
    match send(&outgoing, MIGRATION_ANSWER_LIMIT) {
        Ok((200, body)) => Ok(serde_json::from_slice::<Value>(&body)
            .is_ok_and(|answer| answer["status"] == "password_match")),
        Ok((403, _)) => Ok(false),
        Ok((status, _)) => {
            let mut error = upstream(
                502,
                &format!("password migration hook failed with status code {status}"),
            );
            error["error"]["message"] = json!(format!(
                "password migration hook failed with status code {status}"
            ));
            Err(error)
        }
        Err(_) => {
            let mut error = upstream(502, "calling the password migration hook failed");
            error["error"]["reason"] = json!(
                "A third-party upstream service could not be reached. Please try again later."
            );
            Err(error)
        }
    }
}
