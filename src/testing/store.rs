//! The mock's one store, which every flow module reads and writes:
//! identities with their credentials, sessions with their assurance level
//! and authentication time, flows with their kind, expiry and state,
//! session-token exchanges, and the outbox of emails Kratos would send.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::http::Answer;
use serde_json::{json, Map, Value};

use super::http::{bad_request, error_body, json_response, not_found};

/// Kratos's reason for a flow that expired `ago`.
pub(super) fn expired_reason(ago: Duration) -> String {
    format!(
        "The self-service flow expired {:.2} minutes ago, initialize a new one.",
        ago.as_secs_f64() / 60.0
    )
}
use super::call::Call;
use super::options::Options;

pub(super) use crate::flow::FlowKind;

/// A flow of any kind.
pub(super) struct Flow {
    pub(super) id: String,
    pub(super) kind: FlowKind,
    pub(super) issued_at: SystemTime,
    pub(super) expires_at: SystemTime,
    pub(super) request_url: String,
    pub(super) return_to: Option<String>,
    /// `choose_method`, `sent_email`, `passed_challenge`, ...
    pub(super) state: &'static str,
    /// Submitted values, shown again in the form after a failed attempt.
    pub(super) values: Map<String, Value>,
    /// Messages on the whole form, and on fields by name.
    pub(super) form_messages: Vec<Value>,
    pub(super) field_messages: HashMap<String, Vec<Value>>,
    /// Login: whether the flow re-authenticates a signed-in user, and the
    /// assurance level asked for.
    pub(super) refresh: bool,
    pub(super) requested_aal: &'static str,
    /// The method in use once one was chosen (`code`, `password`, ...).
    pub(super) active: Option<&'static str>,
    /// The identity the flow is for: settings, a second factor, a
    /// recovery or verification once the address is known.
    pub(super) identity_id: Option<String>,
    /// The address a code was sent to, and the code.
    pub(super) address: Option<String>,
    pub(super) code: Option<String>,
    /// The identity schema of its form: `default`, one a registration
    /// asked for, or the identity's for settings.
    pub(super) schema_id: String,
    /// How many codes were submitted to it, right or wrong (Kratos's
    /// `submit_count`, checked against its limit before the code is).
    pub(super) code_attempts: usize,
    /// What the app may do next, once the flow is done.
    pub(super) continue_with: Vec<Value>,
    /// A browser flow (`type: browser`), such as the one behind an admin
    /// recovery code; native flows are `api`.
    pub(super) browser: bool,
    /// The value of the form's `csrf_token` field: empty in native flows.
    pub(super) csrf_token: String,
    /// Kratos's `DangerousSkipCSRFCheck`: the recovery flow behind an
    /// admin's recovery code, which any client may finish.
    pub(super) skip_csrf: bool,
    /// The token of a session the flow started that a browser gets as its
    /// cookie (a recovery names none in its answer).
    pub(super) issued_session: Option<String>,
    /// After a social sign-in the provider or its token refused: the
    /// provider, whose button alone ("Continue") Kratos's form then
    /// shows, with a CSRF token even in a native flow.
    pub(super) social_retry: Option<String>,
    /// A login flow Kratos started because a provider's email belongs to
    /// an account: the provider and its subject, linked to the account
    /// once the user signs in to it here.
    pub(super) link: Option<(String, String)>,
}

impl Flow {
    /// Kratos's saved settings: state `success`, with 1050001.
    pub(super) fn saved(&mut self) {
        self.state = "success";
        self.form_messages = vec![super::http::text(
            1050001,
            "Your changes have been saved!",
            "success",
            None,
        )];
    }

    /// A form input node as Kratos writes it, with the messages the flow
    /// holds for the field `name`.
    pub(super) fn input(
        &self,
        group: &str,
        attributes: Value,
        label: Option<Value>,
        name: &str,
    ) -> Value {
        json!({
            "type": "input",
            "group": group,
            "attributes": attributes,
            "messages": self.field_messages.get(name).cloned().unwrap_or_default(),
            "meta": label.map(|l| json!({"label": l})).unwrap_or_else(|| json!({})),
        })
    }

    /// The hidden CSRF field every form has (empty for native flows).
    pub(super) fn csrf(&self) -> Value {
        self.hidden_input(
            "default",
            "csrf_token",
            json!({"required": true, "value": self.csrf_token}),
        )
    }

    /// A hidden field `name` of `group` carrying `value`.
    pub(super) fn hidden(&self, group: &str, name: &str, value: &str) -> Value {
        self.hidden_input(group, name, json!({"value": value}))
    }

    fn hidden_input(&self, group: &str, name: &str, extra: Value) -> Value {
        let mut attributes =
            json!({"name": name, "type": "hidden", "disabled": false, "node_type": "input"});
        if let (Some(attributes), Value::Object(extra)) = (attributes.as_object_mut(), extra) {
            attributes.extend(extra);
        }
        self.input(group, attributes, None, name)
    }

    /// A submit button `name` of `group` sending `value`, labelled `label`.
    pub(super) fn submit(&self, group: &str, name: &str, value: &str, label: Value) -> Value {
        self.input(
            group,
            json!({"name": name, "type": "submit", "value": value, "disabled": false, "node_type": "input"}),
            Some(label),
            name,
        )
    }

    /// The password field (`current-password` to sign in, `new-password` to
    /// set one), labelled as Kratos does.
    pub(super) fn password_field(&self, autocomplete: &str) -> Value {
        self.input(
            "password",
            json!({"name": "password", "type": "password", "required": true, "autocomplete": autocomplete, "disabled": false, "node_type": "input"}),
            Some(super::http::text(1070001, "Password", "info", None)),
            "password",
        )
    }
}

pub(super) struct Identity {
    pub(super) id: String,
    /// The identifier it signs in with: its first email trait, lower-cased.
    pub(super) identifier: Option<String>,
    pub(super) traits: Map<String, Value>,
    /// The password it signs in with.
    pub(super) password: Option<Password>,
    pub(super) created_at: SystemTime,
    pub(super) address_ids: (String, String),
    /// Where verifying its address stands, as Kratos writes it: `pending`
    /// (nothing sent), `sent` (a code is on its way), `completed`.
    pub(super) address_status: &'static str,
    /// What the admin API sets: `active` or `inactive`, an id in another
    /// system, and metadata.
    pub(super) state: String,
    pub(super) external_id: Option<String>,
    pub(super) metadata_public: Value,
    pub(super) metadata_admin: Value,
    /// The identity schema its traits follow: `default` or one given with
    /// `identity_schema`.
    pub(super) schema_id: String,
    /// The social sign-in providers it signs in with: (provider id, the
    /// provider's subject).
    pub(super) oidc: Vec<(String, String)>,
}

/// A password credential: as given (registration, settings, a cleartext
/// import), or an imported hash.
pub(super) enum Password {
    Clear(String),
    Hashed(String),
    /// Imported with `use_password_migration_hook`: the app's password
    /// migration hook checks it at the first sign-in.
    Migrate,
}

impl Password {
    /// Whether `given` is this password. Of imported hashes the mock checks
    /// bcrypt (`$2a$`, `$2b$`, `$2y$`), the format Kratos itself writes;
    /// others never match.
    pub(super) fn matches(&self, given: &str) -> bool {
        match self {
            Password::Clear(password) => password == given,
            Password::Hashed(hash) if hash.starts_with("$2") => {
                bcrypt::verify(given, hash).unwrap_or(false)
            }
            Password::Hashed(_) | Password::Migrate => false,
        }
    }
}

pub(super) struct Session {
    pub(super) id: String,
    pub(super) token: String,
    /// Revoked sessions stay, inactive, as in Kratos.
    pub(super) active: bool,
    pub(super) identity_id: String,
    /// `aal1` or `aal2`.
    pub(super) aal: &'static str,
    /// (method, aal, when) for each factor used.
    pub(super) methods: Vec<(&'static str, &'static str, SystemTime)>,
    pub(super) authenticated_at: SystemTime,
    pub(super) issued_at: SystemTime,
    pub(super) expires_at: SystemTime,
    /// A device for every sign-in to this session (a refresh adds one).
    pub(super) devices: Vec<String>,
    /// The social sign-in provider of its `oidc` method.
    pub(super) provider: Option<String>,
}

pub(super) struct Store {
    /// The server's base URL.
    pub(super) base: String,
    pub(super) config: Options,
    pub(super) flows: HashMap<String, Flow>,
    pub(super) identities: Vec<Identity>,
    pub(super) sessions: Vec<Session>,
    /// The emails Kratos would have sent, oldest first.
    pub(super) outbox: Vec<super::Message>,
    /// How many whoami requests came.
    pub(super) whoami_calls: usize,
    /// Whether the server plays being down (503 to everything), and how
    /// long each answer takes.
    pub(super) unavailable: bool,
    pub(super) delay: Option<Duration>,
    pub(super) random: Random,
    /// Errors kept for the error page (`/self-service/errors?id=`), by id.
    pub(super) errors: HashMap<String, Value>,
    /// Logout tokens made for browsers, and the session each ends.
    pub(super) logout_tokens: HashMap<String, String>,
    /// Social sign-ins sent to a provider, by the `state` they carry.
    pub(super) social_states: HashMap<String, SocialState>,
    /// The session-token exchanges of native flows that asked for one.
    pub(super) exchanges: Vec<super::social::Exchange>,
}

/// The cookie that carries a browser's social sign-in to the callback.
pub(super) const CONTINUITY_COOKIE: &str = "ory_kratos_continuity";

/// A social sign-in sent to a provider: what the callback needs.
#[derive(Debug, Clone)]
pub(super) struct SocialState {
    pub(super) flow_id: String,
    pub(super) provider: String,
    /// The PKCE verifier of the challenge sent.
    pub(super) verifier: String,
    /// For a browser flow: the continuity cookie's value, which the
    /// callback must bring back.
    pub(super) continuity: Option<String>,
}

impl Store {
    /// Kratos's answer to a native app that chose social sign-in with
    /// `provider` for the flow `flow_id`: 422
    /// `browser_location_change_required`, naming the provider's page a
    /// browser has to open: the test provider's `/authorize` for a
    /// [`SocialSignIn`](super::SocialSignIn), as a real Kratos's `generic`
    /// provider writes it (PKCE, the callback without the provider's id);
    /// GitHub's for the button-only providers of `oidc_providers`.
    pub(super) fn social_sign_in(&mut self, flow_id: &str, provider: &str) -> Answer {
        let state = self.random.code(64);
        let mut continuity_cookie = None;
        let to = match self
            .config
            .social_sign_ins
            .iter()
            .find(|p| p.id == provider)
        {
            Some(social) => {
                let verifier = self.random.code(43);
                let challenge = {
                    use base64::Engine;
                    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
                };
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", &social.client_id)
                    .append_pair("code_challenge", &challenge)
                    .append_pair("code_challenge_method", "S256")
                    .append_pair(
                        "redirect_uri",
                        &format!("{}/self-service/methods/oidc/callback", self.base),
                    )
                    .append_pair("response_type", "code")
                    .append_pair("scope", "openid email profile")
                    .append_pair("state", &state)
                    .finish();
                let to = format!("{}/authorize?{query}", social.issuer.trim_end_matches('/'));
                let browser = self.flows.get(flow_id).is_some_and(|f| f.browser);
                let continuity = browser.then(|| self.random.code(32));
                self.social_states.insert(
                    state,
                    SocialState {
                        flow_id: flow_id.to_string(),
                        provider: provider.to_string(),
                        verifier,
                        continuity: continuity.clone(),
                    },
                );
                continuity_cookie = continuity.map(|value| {
                    format!(
                        "{CONTINUITY_COOKIE}={value}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"
                    )
                });
                to
            }
            None => {
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", "kratos-client-test")
                    .append_pair(
                        "redirect_uri",
                        &format!(
                            "{}/self-service/methods/oidc/callback/{provider}",
                            self.base
                        ),
                    )
                    .append_pair("response_type", "code")
                    .append_pair("scope", "user:email")
                    .append_pair("state", &state)
                    .finish();
                format!("https://github.com/login/oauth/authorize?{query}")
            }
        };
        let mut body = error_body(
            422,
            "Unprocessable Entity",
            Some("browser_location_change_required"),
            "browser location change required",
            &format!("In order to complete this flow please redirect the browser to: {to}"),
        );
        body["redirect_browser_to"] = json!(to);
        let answer = json_response(422, body);
        match continuity_cookie {
            Some(cookie) => answer.append_header("set-cookie", cookie),
            None => answer,
        }
    }

    /// The init code of a new session-token exchange for the native flow
    /// `flow_id` (`return_session_token_exchange_code`).
    pub(super) fn new_exchange(&mut self, flow_id: &str) -> String {
        let exchange = super::social::Exchange {
            init_code: self.random.code(64),
            return_to_code: self.random.code(64),
            flow_id: flow_id.to_string(),
            session_token: None,
        };
        let init_code = exchange.init_code.clone();
        self.exchanges.push(exchange);
        init_code
    }

    pub(super) fn new(base: String, config: Options) -> Self {
        Store {
            base,
            config,
            flows: HashMap::new(),
            identities: Vec::new(),
            sessions: Vec::new(),
            outbox: Vec::new(),
            whoami_calls: 0,
            unavailable: false,
            delay: None,
            random: Random::new(),
            errors: HashMap::new(),
            logout_tokens: HashMap::new(),
            social_states: HashMap::new(),
            exchanges: Vec::new(),
        }
    }

    /// Where a browser goes after a flow without `return_to`, and after
    /// signing out: the configured address, or the server's own.
    pub(super) fn default_return(&self) -> String {
        self.config.default_return(&format!("{}/", self.base))
    }

    /// Starts a flow of `kind`, valid for the configured lifetime.
    pub(super) fn new_flow(
        &mut self,
        kind: FlowKind,
        request_url: String,
        return_to: Option<String>,
    ) -> String {
        let id = self.random.uuid();
        let now = SystemTime::now();
        self.flows.insert(
            id.clone(),
            Flow {
                id: id.clone(),
                kind,
                issued_at: now,
                expires_at: now + self.config.flow_lifetime,
                request_url,
                return_to,
                state: "choose_method",
                values: Map::new(),
                form_messages: Vec::new(),
                field_messages: HashMap::new(),
                refresh: false,
                requested_aal: "aal1",
                active: None,
                identity_id: None,
                address: None,
                code: None,
                schema_id: "default".into(),
                code_attempts: 0,
                continue_with: Vec::new(),
                browser: false,
                csrf_token: String::new(),
                skip_csrf: false,
                issued_session: None,
                social_retry: None,
                link: None,
            },
        );
        id
    }

    /// Starts a flow of `kind` for `call`, once its `return_to` (if any)
    /// is one the server allows: its id, or Kratos's 400
    /// `self_service_flow_return_to_forbidden`.
    pub(super) fn start_flow(
        &mut self,
        kind: FlowKind,
        call: &Call,
    ) -> Result<String, Box<Answer>> {
        let return_to = call.query("return_to").filter(|r| !r.is_empty());
        if let Some(return_to) = &return_to {
            if !self.allows_return_to(return_to) {
                let body = error_body(
                    400,
                    "Bad Request",
                    Some("self_service_flow_return_to_forbidden"),
                    "The request was malformed or contained invalid parameters",
                    &format!("Requested return_to URL {return_to:?} is not allowed."),
                );
                return Err(Box::new(json_response(400, body)));
            }
        }
        let request_url = call.request_url(&self.base);
        Ok(self.new_flow(kind, request_url, return_to))
    }

    /// Whether Kratos would let a flow return to `to`: an address under one
    /// of `allowed_return_urls` (the same scheme, the same host or one
    /// under a `*.` wildcard, a path that starts with the allowed one), or
    /// under the server's own `/self-service`.
    fn allows_return_to(&self, to: &str) -> bool {
        let Ok(to) = url::Url::parse(to) else {
            return false;
        };
        let own = format!("{}/self-service", self.base);
        let host = |u: &url::Url| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        let path = |u: &url::Url| match u.path() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        std::iter::once(own.as_str())
            .chain(self.config.allowed_return_urls.iter().map(String::as_str))
            .filter_map(|allowed| url::Url::parse(allowed).ok())
            .any(|allowed| {
                let (want, got) = (host(&allowed).to_lowercase(), host(&to).to_lowercase());
                let host_ok = match want.strip_prefix('*') {
                    Some(suffix) => got.ends_with(suffix),
                    None => want == got,
                };
                allowed.scheme().eq_ignore_ascii_case(to.scheme())
                    && host_ok
                    && path(&to).starts_with(&path(&allowed))
            })
    }

    /// The flow of `kind` named by the query parameter `param` of `call`
    /// (`id` to fetch one, `flow` to submit one), checked: its id, or the
    /// answer Kratos gives (400 without the parameter, 404, 410).
    pub(super) fn flow_named(
        &mut self,
        kind: FlowKind,
        call: &Call,
        param: &str,
    ) -> Result<String, Box<Answer>> {
        let Some(id) = call.query(param) else {
            return Err(Box::new(bad_request(&format!(
                "The `{param}` query parameter is missing."
            ))));
        };
        if !self.flows.get(&id).is_some_and(|f| f.kind == kind) {
            return Err(Box::new(not_found()));
        }
        match param {
            "flow" => self.check_submitted(kind, &id)?,
            _ => self.check_fetched(kind, &id)?,
        }
        Ok(id)
    }

    /// How long ago the flow `id` expired, if it has.
    fn expired(&self, id: &str) -> Option<Duration> {
        let flow = self.flows.get(id)?;
        SystemTime::now().duration_since(flow.expires_at).ok()
    }

    /// A flow fetched after its expiry: Kratos's 410, naming the endpoint
    /// that starts a new one (and no flow to continue with).
    fn check_fetched(&self, kind: FlowKind, id: &str) -> Result<(), Box<Answer>> {
        let Some(ago) = self.expired(id) else {
            return Ok(());
        };
        let name = kind.as_str();
        let api = format!("{}/self-service/{name}/api", self.base);
        let mut body = match kind {
            FlowKind::Recovery => error_body(
                410,
                "Gone",
                Some("self_service_flow_expired"),
                "self-service flow expired",
                &expired_reason(ago),
            ),
            _ => error_body(
                410,
                "Gone",
                // Kratos leaves the id out of these two.
                (!matches!(kind, FlowKind::Settings | FlowKind::Verification))
                    .then_some("self_service_flow_expired"),
                "The requested resource is no longer available because it has expired or is otherwise invalid.",
                &format!("The {name} flow has expired. Call the {name} flow init API endpoint to initialize a new {name} flow."),
            ),
        };
        body["error"]["details"] = json!({ "api": api });
        Err(Box::new(json_response(410, body)))
    }

    /// A flow submitted after its expiry: Kratos starts a new one and
    /// answers 410 naming it (`use_flow_id`); a verification flow is
    /// instead redirected (303) to the new flow.
    fn check_submitted(&mut self, kind: FlowKind, id: &str) -> Result<(), Box<Answer>> {
        let Some(ago) = self.expired(id) else {
            return Ok(());
        };
        let Some(flow) = self.flows.get(id) else {
            return Ok(());
        };
        let (expired_at, return_to) = (flow.expires_at, flow.return_to.clone());
        let (identity_id, refresh, requested_aal) =
            (flow.identity_id.clone(), flow.refresh, flow.requested_aal);
        let request_url = format!("{}/self-service/{}/api", self.base, kind.as_str());
        let new_id = self.new_flow(kind, request_url, return_to);
        let message_id = match kind {
            FlowKind::Login => 4010001,
            FlowKind::Registration => 4040001,
            FlowKind::Settings => 4050001,
            FlowKind::Recovery => 4060005,
            FlowKind::Verification => 4070005,
        };
        let unix = expired_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        if let Some(flow) = self.flows.get_mut(&new_id) {
            flow.identity_id = identity_id;
            flow.refresh = refresh;
            flow.requested_aal = requested_aal;
            if kind == FlowKind::Settings {
                flow.state = "show_form";
            }
            // The new flow says why it replaced the old one.
            flow.form_messages = vec![super::http::text(
                message_id,
                &format!(
                    "The {} flow expired {:.2} minutes ago, please try again.",
                    kind.as_str(),
                    ago.as_secs_f64() / 60.0
                ),
                "error",
                Some(json!({"expired_at": rfc3339(expired_at), "expired_at_unix": unix})),
            )];
        }
        if kind == FlowKind::Verification {
            let to = format!("{}/self-service/verification/flows?id={new_id}", self.base);
            return Err(Box::new(Answer::new(303).insert_header("location", to)));
        }
        if let Some(flow) = self.flows.get_mut(&new_id) {
            if matches!(kind, FlowKind::Recovery | FlowKind::Verification) {
                flow.active = Some("code");
            }
        }
        let mut body = error_body(
            410,
            "Gone",
            Some("self_service_flow_expired"),
            "self-service flow expired",
            &expired_reason(ago),
        );
        if kind == FlowKind::Recovery {
            body["error"]["details"] = json!({"continue_with": [
                {"action": "show_recovery_ui", "flow": {"id": new_id}}
            ]});
        }
        body["expired_at"] = json!(rfc3339(expired_at));
        body["since"] = json!(ago.as_nanos() as u64);
        body["use_flow_id"] = json!(new_id);
        Err(Box::new(json_response(410, body)))
    }

    /// Deletes the sessions `ends` picks and says how many there were.
    pub(super) fn end_sessions(&mut self, ends: impl Fn(&Session) -> bool) -> usize {
        let before = self.sessions.len();
        self.sessions.retain(|s| !ends(s));
        before - self.sessions.len()
    }

    /// Marks the sessions `picks` picks inactive, as Kratos revokes them,
    /// and says how many it picked, the inactive ones included.
    pub(super) fn revoke_sessions(&mut self, picks: impl Fn(&Session) -> bool) -> usize {
        let mut count = 0;
        for session in self.sessions.iter_mut().filter(|s| picks(s)) {
            session.active = false;
            count += 1;
        }
        count
    }

    /// The session a token belongs to, if it is active: not revoked, not
    /// expired, and of an identity that is not disabled (Kratos counts the
    /// sessions of an `inactive` identity as none, and counts them again
    /// once it is `active`).
    pub(super) fn session(&self, token: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| {
            s.token == token
                && s.active
                && s.expires_at > SystemTime::now()
                && self
                    .identity(&s.identity_id)
                    .is_some_and(|i| i.state == "active")
        })
    }

    pub(super) fn identity(&self, id: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.id == id)
    }

    /// Adds an identity and returns its id.
    pub(super) fn add_identity(
        &mut self,
        identifier: Option<String>,
        traits: Map<String, Value>,
        password: Option<Password>,
    ) -> String {
        let id = self.random.uuid();
        let address_ids = (self.random.uuid(), self.random.uuid());
        self.identities.push(Identity {
            id: id.clone(),
            identifier,
            traits,
            password,
            created_at: SystemTime::now(),
            address_ids,
            address_status: "pending",
            state: "active".into(),
            external_id: None,
            metadata_public: Value::Null,
            metadata_admin: Value::Null,
            schema_id: "default".into(),
            oidc: Vec::new(),
        });
        id
    }

    /// The identity that signs in with `address` (case-insensitive).
    pub(super) fn identity_by_address(&self, address: &str) -> Option<&Identity> {
        let address = address.trim().to_lowercase();
        self.identities
            .iter()
            .find(|i| i.identifier.as_deref() == Some(address.as_str()))
    }

    /// Queues an email of Kratos's `template` (`recovery_code_valid`,
    /// `verification_code_valid`, `login_code_valid`) with a fresh
    /// six-digit code to `to`, written as Kratos's built-in templates write
    /// it, and returns the code. `flow_id` is the flow the code is for.
    pub(super) fn send_code(&mut self, to: &str, template: &str, flow_id: &str) -> String {
        let code = self.random.digits(6);
        let id = self.random.uuid();
        // Codes live as long as Kratos's default code lifespan, an hour.
        let minutes = 60;
        let (subject, body) = match template {
            "recovery_code_valid" => (
                format!("Use code {code} to recover access to your account"),
                format!("Recover access to your account by entering the following code:\n\n{code}\n\nIf this was not you, do nothing. This code expires in {minutes} minutes.\n"),
            ),
            "verification_code_valid" => {
                let link = format!("{}/self-service/verification?code={code}&flow={flow_id}", self.base);
                (
                    format!("Use code {code} to verify your account"),
                    format!("Verify your account with the following code:\n\n{code}\n\nor clicking the following link:\n\n{link}\n\nIf this was not you, do nothing. This code / link expires in {minutes} minutes.\n"),
                )
            }
            _ => (
                format!("Use code {code} to log in"),
                format!("Login to your account with the following code:\n\n{code}\n\nIt expires in {minutes} minutes.\n"),
            ),
        };
        self.outbox.push(super::Message {
            id,
            created_at: SystemTime::now(),
            recipient: to.to_string(),
            template_type: template.to_string(),
            subject,
            body,
            code: code.clone(),
        });
        code
    }

    /// What Kratos sends an address no identity has when a recovery or
    /// verification names it, with `notify_unknown_recipients` on.
    pub(super) fn notify_unknown(&mut self, to: &str, kind: FlowKind) {
        let (template, subject, attempt) = match kind {
            FlowKind::Recovery => (
                "recovery_code_invalid",
                "Account access attempted",
                "you (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.",
            ),
            _ => (
                "verification_code_invalid",
                "Someone tried to verify this email address",
                "someone asked to verify this email address, but we were unable to find an account for this address.",
            ),
        };
        let id = self.random.uuid();
        self.outbox.push(super::Message {
            id,
            created_at: SystemTime::now(),
            recipient: to.to_string(),
            template_type: template.to_string(),
            subject: subject.to_string(),
            body: format!("Hi,\n\n{attempt}\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n"),
            code: String::new(),
        });
    }

    /// What Kratos's verification hook does once an identity is saved by
    /// registration (an address not yet verified) or settings (an address
    /// nothing was sent to yet): a verification flow waiting for a code,
    /// and the code sent to the address.
    pub(super) fn send_verification(&mut self, identity_id: &str, after_settings: bool) {
        let Some(identity) = self.identity(identity_id) else {
            return;
        };
        let due = match after_settings {
            true => identity.address_status == "pending",
            false => identity.address_status != "completed",
        };
        let Some(address) = identity.identifier.clone().filter(|_| due) else {
            return;
        };
        let request_url = format!("{}/self-service/verification/api", self.base);
        let flow_id = self.new_flow(FlowKind::Verification, request_url, None);
        let code = self.send_code(&address, "verification_code_valid", &flow_id);
        if let Some(flow) = self.flows.get_mut(&flow_id) {
            flow.state = "sent_email";
            flow.active = Some("code");
            flow.identity_id = Some(identity_id.to_string());
            flow.address = Some(address);
            flow.code = Some(code);
        }
        if let Some(identity) = self.identities.iter_mut().find(|i| i.id == identity_id) {
            identity.address_status = "sent";
        }
    }

    /// Whether `session` is below what the server requires: the server
    /// wants a second factor and the identity has one (the code sent to
    /// its address), but the session has only the first.
    pub(super) fn needs_second_factor(&self, session: &Session) -> bool {
        self.config.second_factor
            && self.config.required_aal() == super::options::RequiredAal::HighestAvailable
            && session.aal == "aal1"
            && self
                .identity(&session.identity_id)
                .is_some_and(|i| i.identifier.is_some())
    }

    /// Kratos's 403 `session_aal2_required`, pointing a browser at the
    /// second-factor login.
    pub(super) fn aal2_required(&self) -> Answer {
        let redirect = format!("{}/self-service/login/browser?aal=aal2", self.base);
        let mut body = error_body(
            403,
            "Forbidden",
            Some("session_aal2_required"),
            "Session does not fulfill the requested Authenticator Assurance Level",
            "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.",
        );
        body["error"]["details"] = json!({"redirect_browser_to": redirect});
        body["redirect_browser_to"] = json!(redirect);
        json_response(403, body)
    }

    /// Starts a session for `identity_id`, authenticated with `method` at
    /// `aal`, and returns its token.
    pub(super) fn start_session(
        &mut self,
        identity_id: &str,
        method: &'static str,
        aal: &'static str,
    ) -> String {
        let now = SystemTime::now();
        let token = format!("ory_st_{}", self.random.code(32));
        let session = Session {
            id: self.random.uuid(),
            token: token.clone(),
            identity_id: identity_id.to_string(),
            aal,
            methods: vec![(method, aal, now)],
            authenticated_at: now,
            issued_at: now,
            expires_at: now + self.config.session_lifespan,
            active: true,
            devices: vec![self.random.uuid()],
            provider: None,
        };
        self.sessions.push(session);
        token
    }

    /// The form Kratos shows after a refused social sign-in with
    /// `provider`: that provider's button, "Continue", and a CSRF token.
    pub(super) fn social_retry_nodes(&self, flow: &Flow, provider: &str) -> Vec<Value> {
        let csrf = match flow.csrf_token.is_empty() {
            true => base64_url(&flow.id),
            false => flow.csrf_token.clone(),
        };
        vec![
            flow.submit(
                "oidc",
                "provider",
                provider,
                super::http::text(1040003, "Continue", "info", None),
            ),
            flow.hidden_input(
                "default",
                "csrf_token",
                json!({"required": true, "value": csrf}),
            ),
        ]
    }

    /// A button per social sign-in provider, labelled `{verb} with
    /// {provider}` (Kratos's text `id`), as Kratos starts its login and
    /// registration forms.
    pub(super) fn provider_buttons(&self, flow: &Flow, id: i64, verb: &str) -> Vec<Value> {
        self.config
            .providers()
            .into_iter()
            .map(|(provider, label)| {
                flow.submit(
                    "oidc",
                    "provider",
                    provider,
                    super::http::text(
                        id,
                        &format!("{verb} with {label}"),
                        "info",
                        Some(json!({"provider": label, "provider_id": provider})),
                    ),
                )
            })
            .collect()
    }

    /// A flow as Kratos writes it, around the form `nodes`.
    pub(super) fn flow_json(&self, flow: &Flow, mut nodes: Vec<Value>) -> Value {
        // Messages for a field the form does not have (a web hook's) are on
        // a new text field of that name, as Kratos adds it.
        let mut strays: Vec<&String> = flow
            .field_messages
            .keys()
            .filter(|name| {
                !nodes
                    .iter()
                    .any(|n| n["attributes"]["name"] == name.as_str())
            })
            .collect();
        strays.sort();
        for name in strays {
            nodes.push(json!({
                "type": "input",
                "group": "default",
                "attributes": {"name": name, "type": "text", "disabled": false, "node_type": "input"},
                "messages": flow.field_messages[name],
                "meta": {},
            }));
        }
        let mut ui = json!({
            "action": format!("{}/self-service/{}?flow={}", self.base, flow.kind.as_str(), flow.id),
            "method": "POST",
            "nodes": nodes,
        });
        if !flow.form_messages.is_empty() {
            ui["messages"] = json!(flow.form_messages);
        }
        let mut body = json!({
            "id": flow.id,
            "type": if flow.browser { "browser" } else { "api" },
            "expires_at": rfc3339(flow.expires_at),
            "issued_at": rfc3339(flow.issued_at),
            "request_url": flow.request_url,
            "organization_id": null,
            "state": flow.state,
            "ui": ui,
        });
        if let Some(return_to) = &flow.return_to {
            body["return_to"] = json!(return_to);
        }
        if let Some(active) = flow.active {
            body["active"] = json!(active);
        }
        if !flow.continue_with.is_empty() {
            body["continue_with"] = json!(flow.continue_with);
        }
        body
    }

    /// An identity as Kratos writes it.
    pub(super) fn identity_json(&self, identity: &Identity) -> Value {
        let at = rfc3339(identity.created_at);
        let status = identity.address_status;
        let verified = status == "completed";
        let (addresses, recovery) = match &identity.identifier {
            Some(identifier) => (
                json!([{"id": identity.address_ids.0, "value": identifier, "verified": verified, "via": "email", "status": status, "created_at": at, "updated_at": at}]),
                json!([{"id": identity.address_ids.1, "value": identifier, "via": "email", "created_at": at, "updated_at": at}]),
            ),
            None => (json!([]), json!([])),
        };
        let mut body = json!({
            "id": identity.id,
            "schema_id": identity.schema_id,
            "schema_url": format!("{}/schemas/{}", self.base, base64_url(&identity.schema_id)),
            "state": identity.state,
            "state_changed_at": at,
            "traits": identity.traits,
            "verifiable_addresses": addresses,
            "recovery_addresses": recovery,
            "metadata_public": identity.metadata_public,
            "created_at": at,
            "updated_at": at,
            "organization_id": null,
        });
        if let Some(external_id) = &identity.external_id {
            body["external_id"] = json!(external_id);
        }
        body
    }

    /// An identity as the admin API writes it: with its admin metadata and
    /// its credentials (their identifiers, never a password or its hash).
    pub(super) fn admin_identity_json(&self, identity: &Identity) -> Value {
        let mut body = self.identity_json(identity);
        body["metadata_admin"] = identity.metadata_admin.clone();
        // Without `include_credential` Kratos leaves each credential's
        // `config` out. While the code method is on (as on both test
        // servers), every identity with an identifier also has a `code`
        // credential for it, signed up or created through the admin API.
        let at = rfc3339(identity.created_at);
        let credential = |kind: &str, version: u8| {
            json!({
                "type": kind,
                "identifiers": identity.identifier.iter().collect::<Vec<_>>(),
                "version": version,
                "created_at": at,
                "updated_at": at,
            })
        };
        let mut credentials = Map::new();
        if identity.password.is_some() {
            credentials.insert("password".into(), credential("password", 0));
        }
        if identity.identifier.is_some() {
            credentials.insert("code".into(), credential("code", 1));
        }
        if !credentials.is_empty() {
            body["credentials"] = Value::Object(credentials);
        }
        body
    }

    /// A session as Kratos writes it, with its identity unless the session
    /// still lacks the second factor the server requires (Kratos leaves the
    /// identity out then).
    pub(super) fn session_json(&self, session: &Session) -> Value {
        let methods: Vec<Value> = session
            .methods
            .iter()
            .map(|(method, aal, at)| {
                let mut entry = json!({"method": method, "aal": aal, "completed_at": rfc3339(*at)});
                if let (&"oidc", Some(provider)) = (method, &session.provider) {
                    entry["provider"] = json!(provider);
                }
                entry
            })
            .collect();
        let identity = self
            .identity(&session.identity_id)
            .filter(|_| !self.needs_second_factor(session))
            .map(|i| self.identity_json(i));
        let devices: Vec<Value> = session
            .devices
            .iter()
            .map(|id| json!({"id": id, "ip_address": "127.0.0.1", "user_agent": "kratos-client", "location": ""}))
            .collect();
        let mut body = json!({
            "id": session.id,
            "active": session.active,
            "expires_at": rfc3339(session.expires_at),
            "authenticated_at": rfc3339(session.authenticated_at),
            "authenticator_assurance_level": session.aal,
            "authentication_methods": methods,
            "issued_at": rfc3339(session.issued_at),
            "devices": devices,
        });
        if let Some(identity) = identity {
            body["identity"] = identity;
        }
        body
    }
}

/// Random ids and codes without a dependency: a xorshift generator from
/// the crate's random seed. Not for cryptography; fine for a mock.
pub(super) struct Random(u64);

impl Random {
    pub(super) fn new() -> Self {
        Random(crate::random::seed() | 1)
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
    pub(super) fn uuid(&mut self) -> String {
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

    /// `len` decimal digits, as Kratos's one-time codes.
    pub(super) fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }

    /// `len` characters from `[A-Za-z0-9]`.
    pub(super) fn code(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// `text` in URL-safe base64 without padding, as Kratos writes a schema's
/// id in its `schema_url`.
pub(super) fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((bits >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A time as Kratos writes it: RFC 3339 in UTC with microseconds.
pub(super) fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_micros(time).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_ids_are_written_in_url_safe_base64() {
        assert_eq!(super::base64_url("default"), "ZGVmYXVsdA");
        assert_eq!(super::base64_url("customer"), "Y3VzdG9tZXI");
        assert_eq!(super::base64_url("abc"), "YWJj");
    }

    use super::*;
    use std::time::UNIX_EPOCH;

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
}
