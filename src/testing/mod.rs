//! Kratos for tests (cargo feature `testing`): a mock, a real one, and a
//! way to write a test once for both.
//!
//! [`MockKratos`] runs a local HTTP server (built on wiremock) that plays
//! Kratos v26.2.0's native (API) journeys as a real Kratos v26.2.0 plays
//! them, form node for form node, with Kratos's message ids and texts:
//!
//! - registration by password, validated against a small identity schema
//!   (400 with the flow and its messages), which signs the user in and
//!   emails a verification code;
//! - social sign-in for native apps with a real OpenID Connect provider
//!   ([`OidcProvider`], given with `social_sign_in`): 422 with the
//!   provider's URL, the callback, the code traded and the ID token
//!   verified, the identity found or made from the claims, and the
//!   session-token exchange; the user denying or a token that does not
//!   verify as the flow's message;
//! - the app's web hooks (`web_hook`, [`WebHook`]): before a flow, after
//!   registration, login and settings, and the password migration hook,
//!   called as Kratos v26.2.0 calls them (retries, limits, interrupts on
//!   the form, identity changes saved, 502/504 and the other failures);
//! - login by password (4000006 for a wrong one; `refresh` for a signed-in
//!   user), identifier-first when enabled, and a second factor by a code
//!   the `aal2` flow sends as it starts;
//! - `whoami`, the user's sessions a page at a time with Kratos's `Link`
//!   header, revoking them (they stay, inactive), signing out;
//! - settings (password and profile), refused with 403
//!   `session_refresh_required` once the privileged window has passed;
//! - recovery and verification by a code sent to the outbox (a recovery
//!   ends as Kratos does with `feature_flags.use_continue_with_transitions`:
//!   the session token and a settings flow in `continue_with`);
//! - 410 for an expired flow of any kind (with a replacement when it is
//!   submitted); `return_to` checked against the allowed addresses;
//! - every flow in a browser too (`/self-service/<flow>/browser`): Kratos's
//!   CSRF cookie and the matching `csrf_token` node, 403
//!   `security_csrf_violation` for a flow fetched without the cookie or a
//!   form posted without the token, forms posted URL-encoded or as JSON,
//!   redirects to the app's pages (`ui_urls`) with `?flow=`, to the error
//!   page with `?id=` (`/self-service/errors`), and to `return_to` with the
//!   `ory_kratos_session` cookie once signed in; JSON answers when asked
//!   with `Accept: application/json`; logout URLs made for a browser;
//! - the admin API over the same identities: create (one or a batch),
//!   list, get (with credentials), replace, patch, delete (ending their
//!   sessions), their sessions, recovery codes, the courier's messages,
//!   health and version, behind an API key when one is set.
//!
//! Inside, one store (identities with their credentials, sessions with
//! their assurance level and authentication time, flows with their kind,
//! expiry and state, the outbox) serves a module per flow kind.
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
//! [`KratosServer`] runs a real Kratos binary (`KRATOS_BIN`) configured from
//! the same options, and [`TestKratos`] is either: the crate's journey
//! suite runs every journey on both and compares what an app sees, line by
//! line, and holds the mock to the real server's recorded answers where no
//! Kratos runs.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;
use wiremock::{Mock, MockServer};

use crate::{Client, FrontendApi};

mod admin;
mod browser;
mod by_code;
mod call;
mod either;
mod http;
mod json_patch;
mod kratos_server;
mod login;
mod oidc;
mod options;
mod outbound;
mod recovery;
mod registration;
mod router;
mod schema;
mod sessions;
mod settings;
mod social;
mod store;
mod verification;
mod web_hooks;

pub use crate::flow::FlowKind;
pub use either::{TestKratos, TestKratosBuilder};
pub use kratos_server::{KratosServer, KratosServerBuilder, KratosServerError};
pub use oidc::{BrowserLegError, OidcFault, OidcProvider, OidcProviderBuilder, OidcUser};
use options::Options;
pub use options::{IdentitySchema, RequiredAal, SocialSignIn, TraitKind, WebHook};
use store::Store;
/// The wiremock this mock is built on, for [`MockKratos::mount`]: its
/// `Mock`, `ResponseTemplate` and `matchers`, at the version the mock uses.
pub use wiremock;

/// The name of Kratos's session cookie.
pub const SESSION_COOKIE: &str = "ory_kratos_session";

/// The shortest password both test servers accept unless
/// `min_password_length` says otherwise: Kratos's default policy.
pub const MIN_PASSWORD_LENGTH: usize = 8;

/// Configures a [`MockKratos`]. Made by [`MockKratos::builder`]; its
/// options are [`KratosServerBuilder`]'s, so a test can run on both.
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the server"]
pub struct MockKratosBuilder {
    options: Options,
}

impl MockKratosBuilder {
    options::kratos_options!();

    fn from_options(options: Options) -> Self {
        MockKratosBuilder { options }
    }

    /// Has the admin API require `Authorization: Bearer <key>` (401
    /// without it), as the Ory Network does. Default: no key, as
    /// self-hosted Kratos's admin port.
    pub fn api_key(mut self, key: &str) -> Self {
        self.options.api_key = Some(key.to_string());
        self
    }

    /// Starts the server on a free local port.
    pub async fn start(self) -> MockKratos {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(Store::new(server.uri(), self.options)));
        let kratos = MockKratos { server, state };
        kratos.mount_the_fake().await;
        kratos
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
            options: Options::default(),
        }
    }

    /// The server's base URL, such as `http://127.0.0.1:40123`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The admin API's base URL: the same as [`uri`](Self::uri), as the
    /// mock serves both APIs on one port.
    pub fn admin_uri(&self) -> String {
        self.server.uri()
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        // The URI of a running wiremock server is always a valid base URL.
        Client::new(self.server.uri()).unwrap_or_else(|e| unreachable!("mock server URI: {e}"))
    }

    /// The admin API of this server (identities, sessions, recovery codes),
    /// with the API key when one is configured.
    #[cfg(feature = "identity")]
    pub fn identity(&self) -> crate::IdentityApi {
        self.admin_client().identity()
    }

    /// The courier API of this server: the messages in the outbox.
    #[cfg(feature = "courier")]
    pub fn courier(&self) -> crate::CourierApi {
        self.admin_client().courier()
    }

    #[cfg(any(feature = "identity", feature = "courier"))]
    fn admin_client(&self) -> Client {
        let key = self.state().config.api_key.clone();
        let builder = Client::builder(self.server.uri());
        let builder = match key {
            Some(key) => builder.api_key(key),
            None => builder,
        };
        // The URI of a running wiremock server is always a valid base URL,
        // and a key the mock accepted is a valid header.
        builder
            .build()
            .unwrap_or_else(|e| unreachable!("mock server URI: {e}"))
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

    /// Adds an identity that signs in with `email` and `password`, as if it
    /// had registered (traits `email`, and `name` when given), and returns
    /// its id. Seeds a mock for tests and demos.
    pub fn add_identity(&self, email: &str, password: &str, name: Option<&str>) -> String {
        let mut traits = serde_json::Map::new();
        traits.insert("email".into(), Value::from(email));
        if let Some(name) = name {
            traits.insert("name".into(), Value::from(name));
        }
        self.state().add_identity(
            Some(email.trim().to_lowercase()),
            traits,
            Some(store::Password::Clear(password.to_string())),
        )
    }

    /// The emails Kratos would have sent (recovery, verification and login
    /// codes), oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.state().outbox.clone()
    }

    /// The code in the last email sent to `address`, if any: what a user
    /// would type in from their inbox.
    pub fn last_code(&self, address: &str) -> Option<String> {
        let address = address.trim().to_lowercase();
        self.state()
            .outbox
            .iter()
            .rev()
            .find(|m| m.recipient == address)
            .map(|m| m.code.clone())
    }

    /// How many whoami requests the server has answered.
    pub fn whoami_calls(&self) -> usize {
        self.state().whoami_calls
    }

    /// Plays Kratos being down: every request is answered 503 while
    /// `unavailable` is true.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state().unavailable = unavailable;
    }

    /// Makes every answer take `delay` (`None`: answer at once), to play a
    /// slow Kratos.
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.state().delay = delay;
    }

    /// Empties the mock between tests: no identities, sessions, flows,
    /// messages or recorded requests; its options stay, and so do
    /// `set_unavailable` and `set_delay`. The same as
    /// [`KratosServer::clear`], at once.
    pub async fn clear(&self) {
        {
            let mut store = self.state();
            let fresh = Store::new(store.base.clone(), store.config.clone());
            let (unavailable, delay) = (store.unavailable, store.delay);
            *store = Store {
                unavailable,
                delay,
                ..fresh
            };
        }
        self.server.reset().await;
        self.mount_the_fake().await;
    }

    /// The fake Kratos behind every route, at wiremock's lowest priority,
    /// so that any [`mount`](Self::mount)ed `Mock` wins where it matches.
    async fn mount_the_fake(&self) {
        Mock::given(wiremock::matchers::any())
            .respond_with(router::Routes(self.state.clone()))
            .with_priority(u8::MAX)
            .named("MockKratos")
            .mount(&self.server)
            .await;
    }

    /// Answers the requests `mock` matches its own way, keeping the fake
    /// for every other request: a route that fails once, a slow route, an
    /// answer with a field Kratos has not sent yet. Any `Mock` mounted here
    /// wins over the fake (whose priority is wiremock's lowest, 255);
    /// `up_to_n_times(1)` lets the fake answer again after one.
    /// Expectations set with `expect(..)` are checked by
    /// [`verify`](Self::verify). [`clear`](Self::clear) removes them.
    ///
    /// A real Kratos has no such stubs: on a [`TestKratos`], reach the mock
    /// with [`TestKratos::as_mock`] and skip the stub where it is `None`.
    ///
    /// ```
    /// use kratos_client::testing::wiremock::{matchers, Mock, ResponseTemplate};
    /// use kratos_client::testing::MockKratos;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let kratos = MockKratos::start().await;
    /// // whoami answers 500 once, then the fake answers again.
    /// kratos
    ///     .mount(
    ///         Mock::given(matchers::path("/sessions/whoami"))
    ///             .respond_with(ResponseTemplate::new(500))
    ///             .up_to_n_times(1)
    ///             .expect(1),
    ///     )
    ///     .await;
    /// let api = kratos.frontend();
    /// let first = api.to_session().session_token("ory_st_x").send().await.unwrap_err();
    /// assert_eq!(first.status().map(|s| s.as_u16()), Some(500));
    /// let then = api.to_session().session_token("ory_st_x").send().await.unwrap_err();
    /// assert_eq!(then.status().map(|s| s.as_u16()), Some(401));
    /// kratos.verify().await;
    /// # }
    /// ```
    pub async fn mount(&self, mock: Mock) {
        mock.mount(&self.server).await;
    }

    /// Checks the expectations of every `Mock` [`mount`](Self::mount)ed
    /// (`expect(..)`), panicking with wiremock's report if one is not met.
    pub async fn verify(&self) {
        self.server.verify().await;
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

/// An email the mock would have sent, as [`MockKratos::messages`] gives it.
/// `Debug` leaves out the code and the body that carries it.
#[derive(Clone)]
#[non_exhaustive]
pub struct Message {
    /// Its id, as the courier API lists it.
    pub id: String,
    /// When it was sent.
    pub created_at: SystemTime,
    /// The address it went to, lower-cased.
    pub recipient: String,
    /// Kratos's template type: `recovery_code_valid`,
    /// `verification_code_valid`, `login_code_valid`.
    pub template_type: String,
    /// The subject line.
    pub subject: String,
    /// The text, with the code in it.
    pub body: String,
    code: String,
}

impl Message {
    /// The one-time code the email carries.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl Message {
    /// The subject with the code blanked: Kratos's subjects carry it
    /// ("Use code 123456 to verify your account").
    fn subject_without_code(&self) -> String {
        match self.code.is_empty() {
            true => self.subject.clone(),
            false => self.subject.replace(&self.code, crate::secret::REDACTED),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("recipient", &self.recipient)
            .field("template_type", &self.template_type)
            .field("subject", &self.subject_without_code())
            .finish_non_exhaustive()
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
        call::query_value(&self.url, name)
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
