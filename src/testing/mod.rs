//! A mock Kratos for tests, built on wiremock (cargo feature `testing`).
//!
//! [`MockKratos`] runs a local HTTP server whose native registration journey
//! behaves like Kratos for API clients: it creates flows with fresh ids and an
//! expiry, validates password registrations against a small identity schema
//! (answering 400 with the flow and Kratos's own message ids and texts),
//! issues session tokens, refuses signed-in users, expires flows (410 with a
//! replacement flow), redirects social sign-in to a browser (422), exchanges
//! session-token exchange codes, signs users in again with the password they
//! registered (4000006 for a wrong one; `refresh` for a signed-in user),
//! answers `whoami`, lists the user's other sessions a page at a time with
//! the `Link` header Kratos writes, revokes them, and signs out.
//!
//! Inside, one store (identities with their password, sessions with their
//! assurance level and authentication time, flows with their kind, expiry
//! and state) serves a module per flow, each answering its own endpoints.
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

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{Client, FrontendApi};

mod http;
mod login;
mod registration;
mod sessions;
mod store;

use store::Store;

/// The flow modules, each answering its own endpoints: adding a flow means
/// adding a module here.
const MODULES: &[fn(&mut Store, &Call) -> Option<ResponseTemplate>] =
    &[registration::route, login::route, sessions::route];

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
        let state = Arc::new(Mutex::new(Store::new(server.uri(), self)));
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
    state: Arc<Mutex<Store>>,
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

    fn state(&self) -> std::sync::MutexGuard<'_, Store> {
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
    pub async fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|request| ReceivedRequest {
                method: request.method.to_string(),
                url: request.url,
                headers: request.headers,
                body: request.body,
            })
            .collect()
    }
}

/// A request the mock received, as [`MockKratos::received_requests`] gives
/// it. `Debug` leaves out the values of the headers that carry credentials.
#[derive(Clone)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The whole URL, query included.
    pub url: Url,
    /// The request headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The first value of the header `name`, if it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        query_value(&self.url, name)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl fmt::Debug for ReceivedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("headers", &crate::response::DebugHeaders(&self.headers))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// The first value of the query parameter `name` of `url`, decoded.
fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A request as the flow modules read it.
struct Call<'a>(&'a Request);

impl Call<'_> {
    fn method(&self) -> &str {
        self.0.method.as_str()
    }

    fn path(&self) -> &str {
        self.0.url.path()
    }

    fn query(&self, name: &str) -> Option<String> {
        query_value(&self.0.url, name)
    }

    /// The session token it carries.
    fn token(&self) -> Option<&str> {
        self.0.headers.get("x-session-token")?.to_str().ok()
    }

    fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The address it was sent to, under the server's public URL, as
    /// Kratos writes it in a flow's `request_url`.
    fn request_url(&self, base: &str) -> String {
        let mut url = format!("{base}{}", self.path());
        if let Some(query) = self.0.url.query() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// Sends each request to the first flow module that answers it.
struct Routes(Arc<Mutex<Store>>);

impl Respond for Routes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut store = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let call = Call(request);
        MODULES
            .iter()
            .find_map(|route| route(&mut store, &call))
            .unwrap_or_else(|| http::not_found("This mock does not serve this path."))
    }
}
