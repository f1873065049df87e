//! Sign-in pages rendered by the app's own server (cargo feature
//! `browser`): Kratos's browser flows, one implementation for every kind.
//!
//! The browser is sent to Kratos's `/self-service/<flow>/browser`, which
//! sends it back to the app's page for the flow with `?flow=<id>`. The
//! page's handler asks [`BrowserFlows::page`] with the page's query and the
//! request's headers, and gets either the flow to render (its form posts
//! straight to Kratos) or a redirect to send, when the flow must start
//! anew: no `?flow=`, an unknown or expired flow, a CSRF failure, a flow
//! of another session. [`html::form`] renders a flow's form, escaped;
//! apps with their own templates read the same nodes through
//! [`crate::models::UiContainer`]'s helpers.
//!
//! Only Kratos's cookies are forwarded (the session cookies, the CSRF
//! cookie `csrf_token_*` and the continuity cookie), never the app's own,
//! and the `Set-Cookie` values Kratos answers the app's server with come
//! back to be relayed to the browser.
//!
//! ```no_run
//! # async fn page(query: &str, headers: &kratos_client::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! use kratos_client::browser::{html, BrowserFlows, FlowKind, FlowPage};
//!
//! let flows = BrowserFlows::new(kratos_client::FrontendApi::new("http://127.0.0.1:4433")?);
//! match flows.page(FlowKind::Login, query, headers).await? {
//!     FlowPage::Show { flow, .. } => println!("<h1>Sign in</h1>{}", html::form(flow.ui())),
//!     FlowPage::Redirect { to, .. } => println!("303 to {to}"),
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

use crate::cookies::{CookieNames, FLOW_COOKIES, SESSION_COOKIES};
use crate::models::{
    ErrorGeneric, FlowError, GenericError, LoginFlow, RecoveryFlow, RegistrationFlow, SettingsFlow,
    UiContainer, VerificationFlow,
};
use crate::session::{Authenticated, Refusal, SessionValidator};
use crate::{Error, ErrorId, FrontendApi, OperationError, Secret};

pub mod html;

pub use crate::flow::FlowKind;

/// A flow of any kind, as a page renders it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Flow {
    /// A login flow.
    Login(Box<LoginFlow>),
    /// A registration flow.
    Registration(Box<RegistrationFlow>),
    /// A settings flow.
    Settings(Box<SettingsFlow>),
    /// A recovery flow.
    Recovery(Box<RecoveryFlow>),
    /// A verification flow.
    Verification(Box<VerificationFlow>),
}

impl Flow {
    /// Its form: action, method, nodes and messages.
    pub fn ui(&self) -> &UiContainer {
        match self {
            Flow::Login(f) => &f.ui,
            Flow::Registration(f) => &f.ui,
            Flow::Settings(f) => &f.ui,
            Flow::Recovery(f) => &f.ui,
            Flow::Verification(f) => &f.ui,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            Flow::Login(f) => &f.id,
            Flow::Registration(f) => &f.id,
            Flow::Settings(f) => &f.id,
            Flow::Recovery(f) => &f.id,
            Flow::Verification(f) => &f.id,
        }
    }

    /// Which kind of flow it is.
    pub fn kind(&self) -> FlowKind {
        match self {
            Flow::Login(_) => FlowKind::Login,
            Flow::Registration(_) => FlowKind::Registration,
            Flow::Settings(_) => FlowKind::Settings,
            Flow::Recovery(_) => FlowKind::Recovery,
            Flow::Verification(_) => FlowKind::Verification,
        }
    }

    /// Where the flow sends the user once done, when it names a place.
    pub fn return_to(&self) -> Option<&str> {
        match self {
            Flow::Login(f) => f.return_to.as_deref(),
            Flow::Registration(f) => f.return_to.as_deref(),
            Flow::Settings(f) => f.return_to.as_deref(),
            Flow::Recovery(f) => f.return_to.as_deref(),
            Flow::Verification(f) => f.return_to.as_deref(),
        }
    }
}

/// What a flow's page does: one of two things, so a handler matches
/// both (the variants may gain fields: match them with `..`). `Debug`
/// leaves out the cookies' values.
#[derive(Clone)]
pub enum FlowPage {
    /// Renders the flow's form.
    #[non_exhaustive]
    Show {
        /// The flow.
        flow: Flow,
        /// `Set-Cookie` values Kratos answered with, for the response.
        set_cookie: Vec<HeaderValue>,
    },
    /// Sends the browser elsewhere (`303 See Other`): to Kratos, to start
    /// the flow anew (keeping `return_to`), or where Kratos asks.
    #[non_exhaustive]
    Redirect {
        /// The address.
        to: String,
        /// Why: `None` when the page had no `?flow=`, else Kratos's answer
        /// to the flow's id (404 unknown, 410 expired, 403 a CSRF failure
        /// or another session's flow, 401 no session, ...).
        because: Option<StatusCode>,
        /// `Set-Cookie` values Kratos answered with, for the response.
        set_cookie: Vec<HeaderValue>,
    },
}

impl fmt::Debug for FlowPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cookies = |n: usize| format!("<{n} redacted>");
        match self {
            FlowPage::Show { flow, set_cookie } => f
                .debug_struct("Show")
                .field("flow", flow)
                .field("set_cookie", &format_args!("{}", cookies(set_cookie.len())))
                .finish(),
            FlowPage::Redirect {
                to,
                because,
                set_cookie,
            } => f
                .debug_struct("Redirect")
                .field("to", to)
                .field("because", because)
                .field("set_cookie", &format_args!("{}", cookies(set_cookie.len())))
                .finish(),
        }
    }
}

/// Kratos's answer to a browser flow's page when it is neither a flow nor a
/// reason to start anew (a 5xx, or an answer the page cannot act on): the
/// `Api` of a [`PageError`], as an operation's error enum is the `Api` of
/// its `Error`. About a flow, where [`session::Refusal`](crate::session::Refusal)
/// is about a session.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Kratos answered HTTP {status}{}", crate::error::id_suffix(.error.as_ref().and_then(GenericError::error_id).as_ref()))]
#[non_exhaustive]
pub struct FlowRefused {
    /// The status.
    pub status: StatusCode,
    /// Kratos's error object, when it sent one.
    pub error: Option<GenericError>,
}

impl OperationError for FlowRefused {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn generic_error(&self) -> Option<&GenericError> {
        self.error.as_ref()
    }
}

/// The error of [`BrowserFlows::page`]: the crate's [`Error`] with
/// [`FlowRefused`] as its `Api` (Kratos's refusal), every other variant the
/// request failing on its way (timeout, transport, decode, ...).
pub type PageError = Error<FlowRefused>;

/// The browser flows of one Kratos, for the app's server that renders
/// their pages. Cheap to clone.
#[derive(Clone)]
pub struct BrowserFlows {
    api: FrontendApi,
    cookies: CookieNames,
    sessions: SessionValidator,
}

impl fmt::Debug for BrowserFlows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserFlows")
            .field("kratos", &self.api.client().base_url().as_str())
            .field("cookies", &self.cookies.0)
            .finish_non_exhaustive()
    }
}

/// The query parameters a page keeps when it starts a flow anew.
const KEPT: &[&str] = &[
    "return_to",
    "aal",
    "refresh",
    "login_challenge",
    "organization",
    "via",
];

impl BrowserFlows {
    /// The browser flows of the Kratos behind `api`; sessions are read with
    /// a [`SessionValidator`] of its defaults.
    pub fn new(api: FrontendApi) -> Self {
        let sessions = SessionValidator::builder(api.clone()).build();
        Self::with_validator(api, sessions)
    }

    /// The same, reading sessions with `sessions`, such as the validator
    /// the app's `SessionLayer` (feature `axum`) already uses, so that its
    /// pages and its API share one cache and one credential rule.
    pub fn with_validator(api: FrontendApi, sessions: SessionValidator) -> Self {
        BrowserFlows {
            api,
            cookies: CookieNames::new(SESSION_COOKIES.iter().chain(FLOW_COOKIES).copied()),
            sessions,
        }
    }

    /// The cookies forwarded to Kratos; a name ending in `*` stands for
    /// every longer name that starts with what comes before it. Default:
    /// `ory_kratos_session`, `ory_session_*`, `csrf_token_*`,
    /// `ory_kratos_continuity`.
    pub fn cookie_names<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.cookies = CookieNames::new(names);
        self
    }

    /// Where a browser starts a flow of `kind`: Kratos's
    /// `/self-service/<kind>/browser`, with `return_to` when given.
    pub fn start_url(&self, kind: FlowKind, return_to: Option<&str>) -> String {
        let query: Vec<(&str, &str)> = return_to.map(|to| ("return_to", to)).into_iter().collect();
        self.start_url_with(kind, &query)
    }

    fn start_url_with(&self, kind: FlowKind, query: &[(&str, &str)]) -> String {
        let client = self.api.client();
        let mut url = client
            .url(&["self-service", kind.as_str(), "browser"])
            .unwrap_or_else(|| client.base_url().clone());
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.into()
    }

    /// What the app's page for `kind` does, given the page's query string
    /// (`flow=...&return_to=...`, with or without the leading `?`) and the
    /// request's headers (their Kratos cookies are forwarded).
    ///
    /// Without `flow`, the page redirects to start the flow, keeping
    /// `return_to` (and, for a login, `aal`, `refresh`, `login_challenge`,
    /// `organization` and `via`). With one, the flow is fetched: a flow to
    /// render, or a redirect to start anew when Kratos answers 4xx (unknown,
    /// expired, CSRF failure, another session's flow, no session), or to
    /// where Kratos asks a browser to go (a settings flow that needs a
    /// second factor). Anything else is an error: Kratos unavailable, or an
    /// answer the page cannot act on.
    pub async fn page(
        &self,
        kind: FlowKind,
        query: &str,
        headers: &HeaderMap,
    ) -> Result<FlowPage, PageError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let kept: Vec<(&str, &str)> = params
            .iter()
            .filter(|(name, value)| {
                !value.is_empty()
                    && KEPT.contains(&name.as_str())
                    && (kind == FlowKind::Login || name == "return_to")
            })
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let restart = |because, set_cookie| FlowPage::Redirect {
            to: self.start_url_with(kind, &kept),
            because,
            set_cookie,
        };
        let id = params
            .iter()
            .find(|(name, _)| name == "flow")
            .map(|(_, id)| id.trim())
            .filter(|id| !id.is_empty());
        let Some(id) = id else {
            return Ok(restart(None, Vec::new()));
        };
        let cookie = self.cookies.cookie_header(headers);
        let fetched = self.fetch(kind, id, cookie).await;
        match fetched {
            Ok((flow, set_cookie)) => Ok(FlowPage::Show { flow, set_cookie }),
            Err(Error::Api(refused)) if refused.status.is_client_error() => {
                if let Some(to) = refused
                    .error
                    .as_ref()
                    .filter(|e| e.error_id() == Some(ErrorId::SessionAal2Required))
                    .and_then(GenericError::redirect_browser_to)
                {
                    return Ok(FlowPage::Redirect {
                        to: to.to_string(),
                        because: Some(refused.status),
                        set_cookie: Vec::new(),
                    });
                }
                Ok(restart(Some(refused.status), Vec::new()))
            }
            Err(other) => Err(other),
        }
    }

    /// Fetches the flow `id` of `kind` with the browser's Kratos cookies.
    async fn fetch(
        &self,
        kind: FlowKind,
        id: &str,
        cookie: Option<Secret>,
    ) -> Result<(Flow, Vec<HeaderValue>), PageError> {
        macro_rules! fetch {
            ($call:ident, $variant:ident) => {{
                self.api
                    .$call(id)
                    .set_cookie(cookie)
                    .send_with_response()
                    .await
                    .map(|answer| {
                        let set_cookie = answer.set_cookies();
                        (Flow::$variant(Box::new(answer.into_inner())), set_cookie)
                    })
                    .map_err(|e| e.map_api(refused))
            }};
        }
        match kind {
            FlowKind::Login => fetch!(get_login_flow, Login),
            FlowKind::Registration => fetch!(get_registration_flow, Registration),
            FlowKind::Settings => fetch!(get_settings_flow, Settings),
            FlowKind::Recovery => fetch!(get_recovery_flow, Recovery),
            FlowKind::Verification => fetch!(get_verification_flow, Verification),
        }
    }

    /// The content of the app's error page, from its query string
    /// (`id=...`): Kratos's error, or `None` when the page has no id or
    /// Kratos knows none by it (the page then shows a generic message).
    pub async fn error(&self, query: &str) -> Result<Option<FlowError>, PageError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let id = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "id")
            .map(|(_, id)| id.trim().to_string())
            .filter(|id| !id.is_empty());
        let Some(id) = id else {
            return Ok(None);
        };
        match self.api.get_flow_error(id).send().await {
            Ok(error) => Ok(Some(error)),
            Err(Error::Api(e)) if e.status() == StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e.map_api(refused)),
        }
    }

    /// A sign-out link made for the browser of `headers` (Kratos's logout
    /// URL, with `return_to` when given), or `None` when it is not signed
    /// in.
    pub async fn logout_url(
        &self,
        headers: &HeaderMap,
        return_to: Option<&str>,
    ) -> Result<Option<String>, PageError> {
        let Some(cookie) = self.cookies.cookie_header(headers) else {
            return Ok(None);
        };
        let request = self
            .api
            .create_browser_logout_flow()
            .cookie(cookie)
            .set_return_to(return_to);
        match request.send().await {
            Ok(flow) => Ok(Some(flow.logout_url)),
            Err(Error::Api(e)) if e.status() == StatusCode::UNAUTHORIZED => Ok(None),
            Err(e) => Err(e.map_api(refused)),
        }
    }

    /// The session of the browser of `headers`, by the validator's rule
    /// (its session cookie, checked with whoami, cached): the same answer
    /// as [`SessionValidator::check`], so that pages and APIs agree.
    pub async fn session(&self, headers: &HeaderMap) -> Result<Authenticated, Refusal> {
        self.sessions.check(headers).await
    }

    /// The validator [`session`](Self::session) asks.
    pub fn validator(&self) -> &SessionValidator {
        &self.sessions
    }
}

/// Any operation's documented error, as a page sees it.
fn refused<E: OperationError>(error: E) -> FlowRefused {
    FlowRefused {
        status: error.status(),
        error: error
            .generic_error()
            .cloned()
            .or_else(|| error.error_body().map(|b: &ErrorGeneric| b.error.clone())),
    }
}
