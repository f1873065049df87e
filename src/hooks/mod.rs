//! Receiving Kratos's web hooks in a Rust backend (cargo feature `hooks`):
//! Kratos calls the app before or after a flow's step, with the flow,
//! the identity and the request, and the app lets it go on, interrupts it
//! with messages for the form, or changes the identity before it is saved.
//!
//! Framework-free: [`HookCaller`] checks that a request comes from Kratos
//! (its API key or basic auth, compared in constant time) from the headers
//! alone, before the body is read; [`HookContext::from_slice`] reads the
//! body Kratos sends with the Jsonnet `function(ctx) ctx`; a [`HookAnswer`]
//! is a status and a body Kratos accepts. With the `axum` feature,
//! [`KratosHook`](crate::hooks::axum::KratosHook) does all three as an
//! extractor and an `IntoResponse`; in actix-web or poem, call the three
//! from a handler that has the headers and the body.
//!
//! What Kratos v26.2.0 does with an answer depends on where the hook sits
//! (each row checked on a real Kratos and played alike by MockKratos):
//!
//! | The hook | [`HookAnswer::Proceed`] | [`HookAnswer::Interrupt`] | [`HookAnswer::ChangeIdentity`] |
//! |---|---|---|---|
//! | `after` registration or settings, `response.parse: true` (before the identity is saved; registration: ahead of the `session` hook) | goes on | the flow's 400 with the messages | the identity saved as changed |
//! | `after` login, `response.parse: true` | goes on | the flow's 400 with the messages | ignored |
//! | `after`, without `response.parse` (once the identity is saved) | goes on | Kratos's 502, the identity saved all the same | ignored |
//! | `before` a flow | goes on | Kratos's 500 (with `parse`) or 502: the flow is not started | ignored |
//! | any, `response.ignore: true` (called without waiting) | ignored | ignored | ignored |
//!
//! Kratos reads at most 5 MiB of an answer, calls a hook at most three
//! times (again after a timeout, a transport failure, 429 or a 5xx other
//! than 501), and gives each call 30 seconds. A message's `instance_ptr`
//! names a field of the form (`#/traits/email`); [`Interrupt::form_error`]
//! writes `#/`, which Kratos shows above the form (a bare `#` would be a
//! new field named `#`).
//!
//! The password migration hook is not a web hook: Kratos sends it only
//! the identifier and the password ([`PasswordMigration`]), and reads
//! [`HookAnswer::PasswordMatch`] or [`HookAnswer::PasswordMismatch`].
//!
//! ```
//! use kratos_client::hooks::{HookAnswer, HookCaller, HookContext, Interrupt};
//!
//! let caller = HookCaller::api_key_header("X-Hook-Key", "s3cret");
//! let mut headers = kratos_client::HeaderMap::new();
//! headers.insert("x-hook-key", "s3cret".parse().unwrap());
//! caller.check(&headers).expect("Kratos");
//!
//! let body = br#"{
//!   "flow": {"id": "f", "type": "api", "state": "choose_method",
//!            "expires_at": "2026-12-05T00:31:37Z", "issued_at": "2026-12-04T23:31:37Z",
//!            "request_url": "http://kratos/self-service/registration/api",
//!            "ui": {"action": "http://kratos/self-service/registration?flow=f", "method": "POST", "nodes": []}},
//!   "identity": {"id": "i", "schema_id": "default", "schema_url": "", "traits": {"email": "ada@example.com"}},
//!   "request_url": "http://kratos/self-service/registration?flow=f", "request_method": "POST"
//! }"#;
//! let context = HookContext::from_slice(body).expect("a context");
//! let answer = match context.trait_str("invite") {
//!     Some("welcome") => HookAnswer::Proceed,
//!     _ => HookAnswer::Interrupt(Interrupt::new().field_error("traits.invite", 4000001, "This invite code is not valid.")),
//! };
//! assert_eq!(answer.status(), 400);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use crate::flow::FlowKind;
use crate::models::{
    Identity, LoginFlow, RecoveryFlow, RegistrationFlow, Session, SettingsFlow, VerificationFlow,
};
use crate::secret::Secret;

mod answer;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

pub use answer::{HookAnswer, IdentityChange, Interrupt};

/// The largest hook body read by default: Kratos's contexts are a few
/// KiB (a flow with its form, the identity).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How a hook makes sure Kratos is calling: the `auth` of the hook's
/// configuration in Kratos.
#[derive(Clone)]
pub struct HookCaller {
    check: Check,
    body_limit: usize,
}

#[derive(Clone)]
enum Check {
    /// `auth.type: api_key`, `in: header`.
    Header {
        name: reqwest::header::HeaderName,
        value: Secret,
    },
    /// `auth.type: api_key`, `in: cookie`.
    Cookie { name: String, value: Secret },
    /// `auth.type: basic_auth`: the `Authorization` header Kratos sends.
    Basic { expected: Secret },
    /// No check: for a hook reachable only by Kratos.
    Anyone,
}

impl fmt::Debug for HookCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match &self.check {
            Check::Header { name, .. } => format!("api key in header {name}"),
            Check::Cookie { name, .. } => format!("api key in cookie {name}"),
            Check::Basic { .. } => "basic auth".to_string(),
            Check::Anyone => "anyone".to_string(),
        };
        f.debug_struct("HookCaller")
            .field("check", &how)
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

/// Why a hook request was refused; answer it with [`status`](Self::status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HookRejection {
    /// The request does not carry the credential Kratos is configured to
    /// send (401; the body was not read).
    #[error("the hook request does not carry Kratos's credential")]
    NotKratos,
    /// The body is larger than the limit (413).
    #[error("the hook body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not the context Kratos sends (400): not JSON, or
    /// without its `flow`.
    #[error("the hook body is not Kratos's context: {reason}")]
    NotAContext {
        /// What is wrong with it.
        reason: String,
    },
    /// The context is of another flow than the hook is for (400): a hook
    /// configured at the wrong place.
    #[error("the hook is for {expected:?} flows, Kratos called it from {found:?}")]
    UnexpectedFlow {
        /// The kind the hook is for.
        expected: FlowKind,
        /// The kind Kratos sent, if the crate knows it.
        found: Option<FlowKind>,
    },
}

impl HookRejection {
    /// The JSON body to answer with: `{"error": {"code", "message"}}`.
    /// JSON, so that Kratos, which parses a 4xx answer when the hook has
    /// `response.parse`, reports "got no validation errors" rather than a
    /// decoding error.
    pub fn body(&self) -> Value {
        serde_json::json!({"error": {"code": self.status(), "message": self.to_string()}})
    }

    /// The status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            HookRejection::NotKratos => 401,
            HookRejection::TooLarge { .. } => 413,
            HookRejection::NotAContext { .. } | HookRejection::UnexpectedFlow { .. } => 400,
        }
    }
}

impl HookCaller {
    fn new(check: Check) -> Self {
        HookCaller {
            check,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Kratos sends the API key `value` in the header `name`
    /// (`auth: {type: api_key, config: {in: header, name, value}}`).
    ///
    /// # Panics
    ///
    /// If `name` is not a valid header name (a programming error: it is
    /// the app's own configuration).
    pub fn api_key_header(name: &str, value: impl Into<Secret>) -> Self {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("{name:?} is not a valid header name"));
        HookCaller::new(Check::Header {
            name,
            value: value.into(),
        })
    }

    /// Kratos sends the API key `value` in the cookie `name`
    /// (`auth: {type: api_key, config: {in: cookie, name, value}}`).
    pub fn api_key_cookie(name: &str, value: impl Into<Secret>) -> Self {
        HookCaller::new(Check::Cookie {
            name: name.to_string(),
            value: value.into(),
        })
    }

    /// Kratos sends HTTP basic auth
    /// (`auth: {type: basic_auth, config: {user, password}}`).
    pub fn basic_auth(user: &str, password: &str) -> Self {
        use base64::Engine;
        let pair = format!("{user}:{password}");
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        );
        HookCaller::new(Check::Basic {
            expected: Secret::new(expected),
        })
    }

    /// Any caller: for a hook that only Kratos can reach (a private
    /// network). Prefer a credential.
    pub fn anyone() -> Self {
        HookCaller::new(Check::Anyone)
    }

    /// The largest body read. Default: [`DEFAULT_BODY_LIMIT`].
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest body read.
    pub fn limit(&self) -> usize {
        self.body_limit
    }

    /// Whether `headers` carry Kratos's credential, compared in constant
    /// time. Call it before reading the body.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), HookRejection> {
        let given: Option<&[u8]> = match &self.check {
            Check::Anyone => return Ok(()),
            Check::Header { name, .. } => headers.get(name).map(|v| v.as_bytes()),
            Check::Cookie { name, .. } => headers
                .get_all(reqwest::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(crate::secret::cookie_pairs)
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_bytes()),
            Check::Basic { .. } => headers
                .get(reqwest::header::AUTHORIZATION)
                .map(|v| v.as_bytes()),
        };
        let expected = match &self.check {
            Check::Header { value, .. } | Check::Cookie { value, .. } => value.expose(),
            Check::Basic { expected } => expected.expose(),
            Check::Anyone => "",
        };
        use subtle::ConstantTimeEq;
        match given {
            Some(given) if bool::from(given.ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(HookRejection::NotKratos),
        }
    }

    /// Checks the caller, then reads `body` as what Kratos sends the
    /// password migration hook.
    pub fn read_password_migration(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<PasswordMigration, HookRejection> {
        self.check(headers)?;
        if body.len() > self.body_limit {
            return Err(HookRejection::TooLarge {
                limit: self.body_limit,
            });
        }
        PasswordMigration::from_slice(body)
    }

    /// Checks the caller, then reads `body` as Kratos's context: the
    /// framework-free whole of a hook request.
    pub fn read(&self, headers: &HeaderMap, body: &[u8]) -> Result<HookContext, HookRejection> {
        self.check(headers)?;
        if body.len() > self.body_limit {
            return Err(HookRejection::TooLarge {
                limit: self.body_limit,
            });
        }
        HookContext::from_slice(body)
    }
}

/// The flow a hook runs in, by its kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HookFlow {
    /// A registration flow.
    Registration(Box<RegistrationFlow>),
    /// A login flow.
    Login(Box<LoginFlow>),
    /// A settings flow.
    Settings(Box<SettingsFlow>),
    /// A recovery flow.
    Recovery(Box<RecoveryFlow>),
    /// A verification flow.
    Verification(Box<VerificationFlow>),
    /// A flow this crate cannot tell the kind of, kept as sent.
    Unknown(Map<String, Value>),
}

impl HookFlow {
    /// The flow's kind, when it is one the crate knows.
    pub fn kind(&self) -> Option<FlowKind> {
        Some(match self {
            HookFlow::Registration(_) => FlowKind::Registration,
            HookFlow::Login(_) => FlowKind::Login,
            HookFlow::Settings(_) => FlowKind::Settings,
            HookFlow::Recovery(_) => FlowKind::Recovery,
            HookFlow::Verification(_) => FlowKind::Verification,
            HookFlow::Unknown(_) => return None,
        })
    }

    /// The flow's id.
    pub fn id(&self) -> Option<&str> {
        Some(match self {
            HookFlow::Registration(f) => &f.id,
            HookFlow::Login(f) => &f.id,
            HookFlow::Settings(f) => &f.id,
            HookFlow::Recovery(f) => &f.id,
            HookFlow::Verification(f) => &f.id,
            HookFlow::Unknown(object) => return object.get("id").and_then(Value::as_str),
        })
    }

    /// Reads `flow` (its JSON text), whose kind its form's `action` (or its
    /// `request_url`) names, straight into the model of that kind.
    fn from_raw(flow: &RawValue) -> Result<HookFlow, serde_json::Error> {
        /// Where the flow says it runs; every other field skipped.
        #[derive(serde::Deserialize)]
        struct Place {
            ui: Option<Ui>,
            request_url: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Ui {
            action: Option<String>,
        }
        let text = flow.get();
        let place: Place = serde_json::from_str(text)?;
        let kind = place
            .ui
            .and_then(|ui| ui.action)
            .and_then(|a| FlowKind::of_url(&a))
            .or_else(|| place.request_url.and_then(|u| FlowKind::of_url(&u)));
        Ok(match kind {
            Some(FlowKind::Registration) => HookFlow::Registration(serde_json::from_str(text)?),
            Some(FlowKind::Login) => HookFlow::Login(serde_json::from_str(text)?),
            Some(FlowKind::Settings) => HookFlow::Settings(serde_json::from_str(text)?),
            Some(FlowKind::Recovery) => HookFlow::Recovery(serde_json::from_str(text)?),
            Some(FlowKind::Verification) => HookFlow::Verification(serde_json::from_str(text)?),
            None => HookFlow::Unknown(serde_json::from_str(text)?),
        })
    }
}

/// What Kratos sends a web hook whose body is the Jsonnet
/// `function(ctx) ctx`: the flow, the identity (once there is one), the
/// session (where Kratos has one), and the request that ran the hook.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct HookContext {
    /// The flow the hook runs in.
    pub flow: HookFlow,
    /// The identity: the one being registered (before it is saved, for a
    /// pre-persist hook), signing in, or changing its settings.
    pub identity: Option<Identity>,
    /// The session, where Kratos puts one in the context.
    pub session: Option<Session>,
    /// The headers of the request that ran the hook, as Go writes them (a
    /// list of values per name). `Debug` shows only their names.
    pub request_headers: BTreeMap<String, Vec<String>>,
    /// That request's method.
    pub request_method: String,
    /// That request's URL.
    pub request_url: String,
    /// That request's cookies. `Debug` shows only their names.
    pub request_cookies: BTreeMap<String, String>,
    /// Anything else in the body, as sent: what a newer Kratos adds.
    pub other: Map<String, Value>,
}

impl fmt::Debug for HookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookContext")
            .field("flow", &self.flow)
            .field("identity", &self.identity)
            .field("session", &self.session)
            .field(
                "request_headers",
                &self.request_headers.keys().collect::<Vec<_>>(),
            )
            .field("request_method", &self.request_method)
            .field("request_url", &self.request_url)
            .field(
                "request_cookies",
                &self.request_cookies.keys().collect::<Vec<_>>(),
            )
            .field("other", &self.other.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl HookContext {
    /// Reads the body Kratos sent with the Jsonnet `function(ctx) ctx`.
    pub fn from_slice(body: &[u8]) -> Result<HookContext, HookRejection> {
        let not = |reason: String| HookRejection::NotAContext { reason };
        // Each member's JSON text, decoded once, straight into its type:
        // no `Value` in between.
        let mut object: BTreeMap<String, &RawValue> =
            serde_json::from_slice(body).map_err(|e| not(e.to_string()))?;
        let flow = object
            .remove("flow")
            .ok_or_else(|| not("no `flow`".into()))?;
        let flow = HookFlow::from_raw(flow).map_err(|e| not(format!("its flow: {e}")))?;
        let mut take = |key: &str| object.remove(key).filter(|v| v.get() != "null");
        fn typed<T: DeserializeOwned>(
            raw: Option<&RawValue>,
            what: &str,
        ) -> Result<Option<T>, HookRejection> {
            raw.map(|raw| serde_json::from_str(raw.get()))
                .transpose()
                .map_err(|e| HookRejection::NotAContext {
                    reason: format!("its {what}: {e}"),
                })
        }
        let identity = typed(take("identity"), "identity")?;
        let session = typed(take("session"), "session")?;
        let request_headers =
            typed(take("request_headers"), "request_headers")?.unwrap_or_default();
        let request_cookies =
            typed(take("request_cookies"), "request_cookies")?.unwrap_or_default();
        // A method or URL that is not text is left out, as before.
        let text = |raw: Option<&RawValue>| {
            raw.and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
                .unwrap_or_default()
        };
        let request_method = text(take("request_method"));
        let request_url = text(take("request_url"));
        let other = object
            .into_iter()
            .map(|(key, raw)| Ok((key, serde_json::from_str(raw.get())?)))
            .collect::<Result<Map<String, Value>, serde_json::Error>>()
            .map_err(|e| not(e.to_string()))?;
        Ok(HookContext {
            flow,
            identity,
            session,
            request_headers,
            request_method,
            request_url,
            request_cookies,
            other,
        })
    }

    /// Reads a body written by a Jsonnet of the app's own as `T`.
    pub fn custom<T: DeserializeOwned>(body: &[u8]) -> Result<T, HookRejection> {
        serde_json::from_slice(body).map_err(|e| HookRejection::NotAContext {
            reason: e.to_string(),
        })
    }

    /// Nothing when the context is of a flow of `kind`, else the rejection
    /// to answer: for a hook that serves one kind of flow, so that a hook
    /// configured at the wrong place fails loudly.
    pub fn expect(&self, kind: FlowKind) -> Result<(), HookRejection> {
        match self.flow.kind() {
            Some(found) if found == kind => Ok(()),
            found => Err(HookRejection::UnexpectedFlow {
                expected: kind,
                found,
            }),
        }
    }

    /// The identity's trait `name` when it is text.
    pub fn trait_str(&self, name: &str) -> Option<&str> {
        self.identity.as_ref()?.traits.get(name)?.as_str()
    }
}

/// What Kratos sends the password migration hook
/// (`selfservice.methods.password.config.migrate_hook`) at the sign-in of
/// an identity imported with `use_password_migration_hook`: the
/// identifier typed and the password to check against the old system.
/// Answer [`HookAnswer::PasswordMatch`] (Kratos then keeps the password,
/// hashed, and never calls again for this identity) or
/// [`HookAnswer::PasswordMismatch`]. `Debug` hides the password.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct PasswordMigration {
    /// The identifier typed into the login form.
    pub identifier: String,
    /// The password typed.
    pub password: Secret,
}

impl fmt::Debug for PasswordMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordMigration")
            .field("identifier", &self.identifier)
            .field("password", &self.password)
            .finish()
    }
}

impl PasswordMigration {
    /// Reads the body Kratos sends the password migration hook.
    pub fn from_slice(body: &[u8]) -> Result<PasswordMigration, HookRejection> {
        #[derive(serde::Deserialize)]
        struct Sent {
            identifier: String,
            password: String,
        }
        let sent: Sent = serde_json::from_slice(body).map_err(|e| HookRejection::NotAContext {
            reason: format!("not a password migration request: {e}"),
        })?;
        Ok(PasswordMigration {
            identifier: sent.identifier,
            password: Secret::new(sent.password),
        })
    }
}
