//! A mock Kratos for tests, built on wiremock (cargo feature `testing`).
//!
//! [`MockKratos`] runs a local HTTP server whose native registration journey
//! behaves like Kratos for API clients: it creates flows with fresh ids and an
//! expiry, validates password registrations against a small identity schema
//! (answering 400 with the flow and Kratos's own message ids and texts),
//! issues session tokens, refuses signed-in users, expires flows (410 with a
//! replacement flow), redirects social sign-in to a browser (422), exchanges
//! session-token exchange codes, and answers `whoami`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use kratos_client::testing::MockKratos;
//!
//! let kratos = MockKratos::start().await;
//! let flow = kratos.frontend().create_native_registration_flow().send().await?;
//! assert_eq!(flow.ui.method, "POST");
//! # Ok(())
//! # }
//! ```
//!
//! Its answers are JSON written the way Kratos writes them; the crate's
//! tests check them against real Kratos snapshots.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{Client, FrontendApi};

/// The shortest password the mock accepts, as Kratos's default policy.
pub const MIN_PASSWORD_LENGTH: usize = 8;

/// What kind of value an identity trait holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraitKind {
    /// An email address (`format: email`); the first one is the identifier
    /// users sign in with, and must be unique.
    Email,
    /// Free text.
    Text,
}

/// One trait of the mock's identity schema.
#[derive(Debug, Clone)]
struct Trait {
    name: String,
    title: String,
    kind: TraitKind,
    required: bool,
}

/// Configures a [`MockKratos`]. Made by [`MockKratos::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the server"]
pub struct MockKratosBuilder {
    traits: Vec<Trait>,
    custom_traits: bool,
    flow_lifetime: Duration,
    registration_enabled: bool,
    oidc_providers: Vec<String>,
}

impl MockKratosBuilder {
    /// Adds a trait to the identity schema. The first call replaces the
    /// default schema (a required email `email` and an optional text `name`).
    pub fn identity_trait(
        mut self,
        name: &str,
        title: &str,
        kind: TraitKind,
        required: bool,
    ) -> Self {
        if !self.custom_traits {
            self.traits.clear();
            self.custom_traits = true;
        }
        self.traits.push(Trait {
            name: name.to_string(),
            title: title.to_string(),
            kind,
            required,
        });
        self
    }

    /// How long a new flow stays valid. Default: one hour.
    pub fn flow_lifetime(mut self, lifetime: Duration) -> Self {
        self.flow_lifetime = lifetime;
        self
    }

    /// Whether registration is enabled. When it is not, creating a flow
    /// fails with `self_service_flow_disabled`, as in Kratos.
    pub fn registration_enabled(mut self, enabled: bool) -> Self {
        self.registration_enabled = enabled;
        self
    }

    /// The social sign-in providers the form offers. Default: `github`.
    /// Submitting with one answers 422 `browser_location_change_required`.
    pub fn oidc_providers<I>(mut self, providers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.oidc_providers = providers.into_iter().map(Into::into).collect();
        self
    }

    /// Starts the server on a free local port.
    pub async fn start(self) -> MockKratos {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            base: server.uri(),
            config: self,
            flows: HashMap::new(),
            identities: Vec::new(),
            sessions: HashMap::new(),
            exchanges: HashMap::new(),
            random: Random::new(),
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Routes(state.clone()))
            .mount(&server)
            .await;
        MockKratos { server, state }
    }
}

/// A running mock Kratos. Stops when dropped.
pub struct MockKratos {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MockKratos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockKratos")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl MockKratos {
    /// Starts a mock with the default settings.
    pub async fn start() -> MockKratos {
        Self::builder().start().await
    }

    /// Configures a mock before starting it.
    pub fn builder() -> MockKratosBuilder {
        MockKratosBuilder {
            traits: vec![
                Trait {
                    name: "email".into(),
                    title: "E-Mail".into(),
                    kind: TraitKind::Email,
                    required: true,
                },
                Trait {
                    name: "name".into(),
                    title: "Name".into(),
                    kind: TraitKind::Text,
                    required: false,
                },
            ],
            custom_traits: false,
            flow_lifetime: Duration::from_secs(3600),
            registration_enabled: true,
            oidc_providers: vec!["github".into()],
        }
    }

    /// The server's base URL, such as `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        // The URI of a running wiremock server is always a valid base URL.
        Client::new(self.server.uri()).unwrap_or_else(|e| unreachable!("mock server URI: {e}"))
    }

    /// The frontend API of this server.
    pub fn frontend(&self) -> FrontendApi {
        self.client().frontend()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a flow expire now, as if its lifetime had passed. Returns
    /// whether the flow exists.
    pub fn expire_flow(&self, flow_id: &str) -> bool {
        let mut state = self.state();
        match state.flows.get_mut(flow_id) {
            Some(flow) => {
                flow.expires_at = SystemTime::now() - Duration::from_secs(1);
                true
            }
            None => false,
        }
    }

    /// The code Kratos would append to the flow's `return_to` URL once the
    /// flow is complete, for flows created with
    /// `return_session_token_exchange_code(true)`. The app trades it, with the
    /// flow's `session_token_exchange_code`, for the session token.
    pub fn return_to_code(&self, flow_id: &str) -> Option<String> {
        let state = self.state();
        state
            .exchanges
            .values()
            .find(|e| e.flow_id == flow_id && e.session_token.is_some())
            .map(|e| e.return_to_code.clone())
    }

    /// How many identities have registered.
    pub fn identity_count(&self) -> usize {
        self.state().identities.len()
    }

    /// The requests the server has received, oldest first.
    pub async fn received_requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

struct MockFlow {
    id: String,
    issued_at: SystemTime,
    expires_at: SystemTime,
    request_url: String,
    return_to: Option<String>,
    /// Submitted trait values, shown again in the form after a failed attempt.
    values: Map<String, Value>,
    /// Messages on the whole form, and on fields by name.
    form_messages: Vec<Value>,
    field_messages: HashMap<String, Vec<Value>>,
    completed: bool,
}

struct Exchange {
    flow_id: String,
    return_to_code: String,
    session_token: Option<String>,
}

struct State {
    base: String,
    config: MockKratosBuilder,
    flows: HashMap<String, MockFlow>,
    /// (identifier, identity JSON)
    identities: Vec<(String, Value)>,
    /// session token → session JSON
    sessions: HashMap<String, Value>,
    /// init code → exchange
    exchanges: HashMap<String, Exchange>,
    random: Random,
}

struct Routes(Arc<Mutex<State>>);

impl Respond for Routes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.route(request)
    }
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

/// A body in Kratos's error format.
fn error_body(code: u16, status: &str, id: Option<&str>, message: &str, reason: &str) -> Value {
    let mut error = json!({"code": code, "status": status, "message": message, "reason": reason});
    if let Some(id) = id {
        error["id"] = json!(id);
    }
    json!({ "error": error })
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A Kratos UI text: `{id, text, type, context?}`.
fn text(id: i64, text: &str, kind: &str, context: Option<Value>) -> Value {
    let mut t = json!({"id": id, "text": text, "type": kind});
    if let Some(context) = context {
        t["context"] = context;
    }
    t
}

fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.contains(char::is_whitespace)
}

impl State {
    fn route(&mut self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("x-session-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let signed_in = token
            .as_ref()
            .is_some_and(|t| self.sessions.contains_key(t));
        match (request.method.as_str(), request.url.path()) {
            ("GET", "/self-service/registration/api") => {
                if !self.config.registration_enabled {
                    return json_response(
                        400,
                        error_body(
                            400,
                            "Bad Request",
                            Some("self_service_flow_disabled"),
                            "registration flow disabled",
                            "Registration is not allowed because it was disabled.",
                        ),
                    );
                }
                if signed_in {
                    return already_signed_in();
                }
                let exchange =
                    query(request, "return_session_token_exchange_code").as_deref() == Some("true");
                // Kratos writes the address the flow was started at, under its public URL.
                let mut request_url = format!("{}{}", self.base, request.url.path());
                if let Some(q) = request.url.query() {
                    request_url.push('?');
                    request_url.push_str(q);
                }
                let id = self.new_flow(request_url, query(request, "return_to"));
                let mut body = self.flow_json(&id);
                if exchange {
                    let init_code = self.random.code(32);
                    let return_to_code = self.random.code(32);
                    self.exchanges.insert(
                        init_code.clone(),
                        Exchange {
                            flow_id: id,
                            return_to_code,
                            session_token: None,
                        },
                    );
                    body["session_token_exchange_code"] = json!(init_code);
                }
                json_response(200, body)
            }
            ("GET", "/self-service/registration/flows") => {
                let Some(id) = query(request, "id") else {
                    return bad_request("The `id` query parameter is missing.");
                };
                match self.check_flow(&id) {
                    Ok(()) => json_response(200, self.flow_json(&id)),
                    Err(response) => *response,
                }
            }
            ("POST", "/self-service/registration") => {
                let Some(id) = query(request, "flow") else {
                    return bad_request("The `flow` query parameter is missing.");
                };
                if let Err(response) = self.check_flow(&id) {
                    return *response;
                }
                if signed_in {
                    return already_signed_in();
                }
                self.submit(&id, &request.body)
            }
            ("GET", "/sessions/whoami") => match token.and_then(|t| self.sessions.get(&t)) {
                Some(session) => json_response(200, session.clone()),
                None => json_response(
                    401,
                    error_body(
                        401,
                        "Unauthorized",
                        Some("session_inactive"),
                        "request does not have a valid authentication session",
                        "No active session was found in this request.",
                    ),
                ),
            },
            ("GET", "/sessions/token-exchange") => {
                let (Some(init), Some(ret)) = (
                    query(request, "init_code"),
                    query(request, "return_to_code"),
                ) else {
                    return bad_request("Both `init_code` and `return_to_code` are required.");
                };
                let ready = self
                    .exchanges
                    .get(&init)
                    .filter(|e| e.return_to_code == ret)
                    .and_then(|e| e.session_token.clone());
                match ready {
                    Some(token) => {
                        self.exchanges.remove(&init);
                        let session = self.sessions.get(&token).cloned().unwrap_or(Value::Null);
                        json_response(200, json!({"session_token": token, "session": session}))
                    }
                    None => not_found("no session yet for this code"),
                }
            }
            _ => not_found("This mock does not serve this path."),
        }
    }

    fn new_flow(&mut self, request_url: String, return_to: Option<String>) -> String {
        let id = self.random.uuid();
        let now = SystemTime::now();
        self.flows.insert(
            id.clone(),
            MockFlow {
                id: id.clone(),
                issued_at: now,
                expires_at: now + self.config.flow_lifetime,
                request_url,
                return_to,
                values: Map::new(),
                form_messages: Vec::new(),
                field_messages: HashMap::new(),
                completed: false,
            },
        );
        id
    }

    /// Ok when the flow exists and has not expired; otherwise the answer Kratos gives.
    fn check_flow(&mut self, id: &str) -> Result<(), Box<ResponseTemplate>> {
        let Some(flow) = self.flows.get(id) else {
            return Err(Box::new(not_found(
                "The registration flow could not be found.",
            )));
        };
        let now = SystemTime::now();
        if now <= flow.expires_at {
            return Ok(());
        }
        let expired_at = flow.expires_at;
        let ago = now.duration_since(expired_at).unwrap_or_default();
        let request_url = format!("{}/self-service/registration/api", self.base);
        let return_to = flow.return_to.clone();
        let new_id = self.new_flow(request_url, return_to);
        let mut body = error_body(
            410,
            "Gone",
            Some("self_service_flow_expired"),
            "self-service flow expired",
            &format!(
                "The self-service flow expired {:.2} minutes ago, initialize a new one.",
                ago.as_secs_f64() / 60.0
            ),
        );
        body["expired_at"] = json!(rfc3339(expired_at));
        body["since"] = json!(ago.as_nanos() as u64);
        body["use_flow_id"] = json!(new_id);
        Err(Box::new(json_response(410, body)))
    }

    fn flow_json(&self, id: &str) -> Value {
        let Some(flow) = self.flows.get(id) else {
            return Value::Null;
        };
        let node = |group: &str, attributes: Value, label: Option<Value>, name: &str| {
            json!({
                "type": "input",
                "group": group,
                "attributes": attributes,
                "messages": flow.field_messages.get(name).cloned().unwrap_or_default(),
                "meta": label.map(|l| json!({"label": l})).unwrap_or_else(|| json!({})),
            })
        };
        let mut nodes = vec![node(
            "default",
            json!({"name": "csrf_token", "type": "hidden", "required": true, "value": "", "disabled": false, "node_type": "input"}),
            None,
            "csrf_token",
        )];
        for t in &self.config.traits {
            let name = format!("traits.{}", t.name);
            let mut attributes =
                json!({"name": name, "type": "text", "disabled": false, "node_type": "input"});
            if t.kind == TraitKind::Email {
                attributes["type"] = json!("email");
                attributes["autocomplete"] = json!("email");
            }
            if t.required {
                attributes["required"] = json!(true);
            }
            if let Some(value) = flow.values.get(&t.name) {
                attributes["value"] = value.clone();
            }
            let label = text(1070002, &t.title, "info", Some(json!({"title": t.title})));
            nodes.push(node("default", attributes, Some(label), &name));
        }
        nodes.push(node(
            "password",
            json!({"name": "password", "type": "password", "required": true, "autocomplete": "new-password", "disabled": false, "node_type": "input"}),
            Some(text(1070001, "Password", "info", None)),
            "password",
        ));
        nodes.push(node(
            "password",
            json!({"name": "method", "type": "submit", "value": "password", "disabled": false, "node_type": "input"}),
            Some(text(1040001, "Sign up", "info", None)),
            "method",
        ));
        for provider in &self.config.oidc_providers {
            nodes.push(node(
                "oidc",
                json!({"name": "provider", "type": "submit", "value": provider, "disabled": false, "node_type": "input"}),
                Some(text(1040002, &format!("Sign up with {provider}"), "info", Some(json!({"provider": provider, "provider_id": provider})))),
                "provider",
            ));
        }
        let mut ui = json!({
            "action": format!("{}/self-service/registration?flow={}", self.base, flow.id),
            "method": "POST",
            "nodes": nodes,
        });
        if !flow.form_messages.is_empty() {
            ui["messages"] = json!(flow.form_messages);
        }
        let mut body = json!({
            "id": flow.id,
            "type": "api",
            "expires_at": rfc3339(flow.expires_at),
            "issued_at": rfc3339(flow.issued_at),
            "request_url": flow.request_url,
            "organization_id": null,
            "state": if flow.completed { "passed_challenge" } else { "choose_method" },
            "ui": ui,
        });
        if let Some(return_to) = &flow.return_to {
            body["return_to"] = json!(return_to);
        }
        body
    }

    /// Handles a form submission for the (existing, unexpired) flow `id`.
    fn submit(&mut self, id: &str, body: &[u8]) -> ResponseTemplate {
        let form: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let method = form.get("method").and_then(Value::as_str).unwrap_or("");
        let traits = form
            .get("traits")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if method == "oidc" || method == "saml" {
            let provider = form.get("provider").and_then(Value::as_str).unwrap_or("");
            if self.config.oidc_providers.iter().any(|p| p == provider) {
                let to = format!(
                    "https://{provider}.example/oauth/authorize?client_id=kratos&state={}",
                    self.random.code(16)
                );
                let mut body = error_body(
                    422,
                    "Unprocessable Entity",
                    Some("browser_location_change_required"),
                    "browser location change required",
                    &format!("In order to complete this flow please redirect the browser to: {to}"),
                );
                body["redirect_browser_to"] = json!(to);
                return json_response(422, body);
            }
        }
        let mut form_messages = Vec::new();
        let mut field_messages: HashMap<String, Vec<Value>> = HashMap::new();
        if method != "password" {
            form_messages.push(text(4010003, "Could not find a strategy to sign you up with. Did you fill out the form correctly?", "error", None));
        } else {
            for t in &self.config.traits {
                let value = traits.get(&t.name).and_then(Value::as_str).unwrap_or("");
                let field = format!("traits.{}", t.name);
                if value.is_empty() {
                    if t.required {
                        field_messages.entry(field).or_default().push(text(
                            4000002,
                            &format!("Property {} is missing.", t.name),
                            "error",
                            Some(json!({"property": t.name})),
                        ));
                    }
                } else if t.kind == TraitKind::Email && !looks_like_email(value) {
                    field_messages.entry(field).or_default().push(text(
                        4000040,
                        "Enter a valid email address",
                        "error",
                        None,
                    ));
                }
            }
            if field_messages.is_empty() {
                let password = form.get("password").and_then(Value::as_str).unwrap_or("");
                let length = password.chars().count();
                if length < MIN_PASSWORD_LENGTH {
                    field_messages.entry("password".into()).or_default().push(text(
                        4000032,
                        &format!("The password must be at least {MIN_PASSWORD_LENGTH} characters long, but got {length}."),
                        "error",
                        Some(json!({"min_length": MIN_PASSWORD_LENGTH, "actual_length": length})),
                    ));
                }
            }
            if field_messages.is_empty() {
                if let Some(identifier) = self.identifier(&traits) {
                    if self
                        .identities
                        .iter()
                        .any(|(taken, _)| *taken == identifier)
                    {
                        form_messages.push(text(4000007, "An account with the same identifier (email, phone, username, ...) exists already.", "error", None));
                    }
                }
            }
        }
        if form_messages.is_empty() && field_messages.is_empty() {
            return json_response(200, self.register(id, traits));
        }
        if let Some(flow) = self.flows.get_mut(id) {
            flow.values = traits;
            flow.form_messages = form_messages;
            flow.field_messages = field_messages;
        }
        json_response(400, self.flow_json(id))
    }

    /// The identifier trait's value: the first email trait, lower-cased.
    fn identifier(&self, traits: &Map<String, Value>) -> Option<String> {
        let t = self
            .config
            .traits
            .iter()
            .find(|t| t.kind == TraitKind::Email)?;
        traits
            .get(&t.name)
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    }

    /// Creates the identity and its session, and returns the registration answer.
    fn register(&mut self, flow_id: &str, traits: Map<String, Value>) -> Value {
        let now = rfc3339(SystemTime::now());
        let identity_id = self.random.uuid();
        let identifier = self.identifier(&traits).unwrap_or_default();
        let addresses = if identifier.is_empty() {
            (json!([]), json!([]))
        } else {
            (
                json!([{"id": self.random.uuid(), "value": identifier, "verified": false, "via": "email", "status": "pending", "created_at": now, "updated_at": now}]),
                json!([{"id": self.random.uuid(), "value": identifier, "via": "email", "created_at": now, "updated_at": now}]),
            )
        };
        let identity = json!({
            "id": identity_id,
            "schema_id": "default",
            "schema_url": format!("{}/schemas/ZGVmYXVsdA", self.base),
            "state": "active",
            "state_changed_at": now,
            "traits": traits,
            "verifiable_addresses": addresses.0,
            "recovery_addresses": addresses.1,
            "metadata_public": null,
            "created_at": now,
            "updated_at": now,
            "organization_id": null,
        });
        let token = format!("ory_st_{}", self.random.code(32));
        let session = json!({
            "id": self.random.uuid(),
            "active": true,
            "expires_at": rfc3339(SystemTime::now() + Duration::from_secs(24 * 3600)),
            "authenticated_at": now,
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [{"method": "password", "aal": "aal1", "completed_at": now}],
            "issued_at": now,
            "identity": identity,
            "devices": [{"id": self.random.uuid(), "ip_address": "127.0.0.1", "user_agent": "kratos-client", "location": ""}],
        });
        self.identities.push((identifier, identity.clone()));
        self.sessions.insert(token.clone(), session.clone());
        if let Some(exchange) = self.exchanges.values_mut().find(|e| e.flow_id == flow_id) {
            exchange.session_token = Some(token.clone());
        }
        if let Some(flow) = self.flows.get_mut(flow_id) {
            flow.completed = true;
        }
        json!({
            "session_token": token,
            "session": session,
            "identity": identity,
            "continue_with": [{"action": "set_ory_session_token", "ory_session_token": token}],
        })
    }
}

/// Kratos's 404, with `reason`.
fn not_found(reason: &str) -> ResponseTemplate {
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
fn bad_request(reason: &str) -> ResponseTemplate {
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

fn already_signed_in() -> ResponseTemplate {
    json_response(
        400,
        error_body(
            400,
            "Bad Request",
            Some("session_already_available"),
            "you are already logged in",
            "A valid session was detected and thus registration is not possible.",
        ),
    )
}

/// Random ids and codes without a dependency: std's randomly seeded hasher
/// feeding a xorshift generator. Not for cryptography; fine for a mock.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        Random(hasher.finish() | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A version 4 UUID.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    /// `len` characters from `[A-Za-z0-9]`.
    fn code(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// A time as Kratos writes it: RFC 3339 in UTC with microseconds.
fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since_epoch.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // 2024-02-29T12:34:56.789Z, a leap day.
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789000Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_800); // 2100-01-01
        assert_eq!(rfc3339(t), "2100-01-01T00:00:00.000000Z");
    }

    #[test]
    fn ids_look_like_uuids_and_differ() {
        let mut random = Random::new();
        let (a, b) = (random.uuid(), random.uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(random.code(32).len(), 32);
    }

    #[test]
    fn email_check_is_plausible() {
        assert!(looks_like_email("ada@example.com"));
        assert!(!looks_like_email("ada"));
        assert!(!looks_like_email("ada@localhost"));
        assert!(!looks_like_email("a da@example.com"));
        assert!(!looks_like_email("@example.com"));
    }
}
