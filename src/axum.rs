//! Kratos sessions in an axum app (cargo feature `axum`): a tower layer
//! that checks each request with a [`SessionValidator`], and extractors
//! that read what it found.
//!
//! [`SessionLayer`] asks the validator about every request that goes
//! through it, puts the outcome into the request's extensions for the
//! extractors, and adds to the response the `Set-Cookie` values Kratos
//! answered with (Kratos refreshes the session cookie on whoami).
//!
//! | Extractor | Signed in | No credentials, refused | Below aal2 | Kratos unavailable |
//! |---|---|---|---|---|
//! | [`Session`] | the session | 401 | the session | 503 |
//! | [`Aal2Session`] | the session at aal2 | 401 | 403 | 503 |
//! | `Option<Session>` | `Some` | `None` | `None` when Kratos says 403, else `Some` | 503 |
//! | `Result<Session, SessionRejection>` | `Ok` | `Err` | as [`Session`] | `Err` |
//!
//! A rejection is Kratos's own JSON error shape (`{"error": {"id", "code",
//! "status", "message"}}`): 401 carries Kratos's error id
//! (`session_inactive` when it sent none), 403 is `session_aal2_required`
//! with `redirect_browser_to`, 503 says Kratos could not be asked. A layer
//! made with [`SessionLayer::redirect_to_login`] answers refusals with a
//! 303 to the login page instead, with `return_to` set to the page asked
//! for, as a site's pages want. Kratos being unavailable is never a
//! session, with any extractor.
//!
//! ```no_run
//! use axum::{routing::get, Json, Router};
//! use kratos_client::axum::{Aal2Session, Session, SessionLayer};
//! use kratos_client::session::SessionValidator;
//! use kratos_client::FrontendApi;
//!
//! async fn me(session: Session) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "identity_id": session.identity_id() }))
//! }
//!
//! async fn secure(session: Aal2Session) -> String {
//!     format!("aal2 session {}", session.id)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = SessionValidator::builder(FrontendApi::new("http://127.0.0.1:4433")?).build();
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/secure", get(secure))
//!     .layer(SessionLayer::new(validator));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use futures_util::future::BoxFuture;
use url::Url;

use crate::models::{self, AuthenticatorAssuranceLevel};
use crate::session::{Authenticated, Refusal, SessionValidator};
use crate::ErrorId;

/// A tower layer that checks each request's session with a
/// [`SessionValidator`]; the extractors of this module read its outcome.
///
/// A request that already went through another `SessionLayer` is not
/// checked again: the inner layer only changes how refusals are answered,
/// so that a router can redirect on its pages and answer JSON on its API.
#[derive(Clone)]
#[must_use = "add the layer to a router with .layer() or .route_layer()"]
pub struct SessionLayer {
    validator: SessionValidator,
    answers: Arc<Answers>,
}

/// How the extractors answer a request that is not signed in.
#[derive(Debug)]
struct Answers {
    /// Where a browser signs in at aal2: Kratos's login endpoint.
    aal2_login: Url,
    /// The page that signs a browser in, and the site's public address
    /// that `return_to` is made from, when refusals are redirects.
    login: Option<(Url, Url)>,
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("validator", &self.validator)
            .field("login", &self.answers.login)
            .finish()
    }
}

impl SessionLayer {
    /// Checks requests with `validator`; refusals are answered as JSON
    /// errors (401, 403, 503).
    pub fn new(validator: SessionValidator) -> Self {
        let mut aal2_login = validator
            .client()
            .url(&["self-service", "login", "browser"])
            .unwrap_or_else(|| validator.kratos_url().clone());
        aal2_login.set_query(Some("aal=aal2"));
        Self {
            validator,
            answers: Arc::new(Answers {
                aal2_login,
                login: None,
            }),
        }
    }

    /// Answers a request that is not signed in (no credentials, or refused)
    /// with a 303 to `login`, with `return_to` set to the page asked for
    /// (its path and query on `site`, the site's public address); and one
    /// that needs a second factor with a 303 to Kratos's aal2 sign-in, with
    /// the same `return_to`. Kratos being unavailable is still a 503.
    ///
    /// `login` is the site's sign-in page, or Kratos's
    /// `/self-service/login/browser`; Kratos follows `return_to` only when
    /// its `selfservice.allowed_return_urls` allows the site.
    pub fn redirect_to_login(self, login: Url, site: Url) -> Self {
        let aal2_login = self.answers.aal2_login.clone();
        Self {
            validator: self.validator,
            answers: Arc::new(Answers {
                aal2_login,
                login: Some((login, site)),
            }),
        }
    }
}

impl<S> tower_layer::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service a [`SessionLayer`] wraps around a router or a route.
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

/// What the layer leaves in a request's extensions.
#[derive(Clone)]
struct Checked {
    outcome: Result<Arc<models::Session>, Refusal>,
    answers: Arc<Answers>,
}

impl<S, B, R> tower_service::Service<Request<B>> for SessionService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was made ready is the one that serves this request.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let layer = self.layer.clone();
        Box::pin(async move {
            let mut set_cookie = Vec::new();
            let outcome = match request.extensions().get::<Checked>() {
                Some(earlier) => earlier.outcome.clone(),
                None => match layer.validator.check(request.headers()).await {
                    Ok(Authenticated {
                        session,
                        set_cookie: cookies,
                        ..
                    }) => {
                        set_cookie = cookies;
                        Ok(session)
                    }
                    Err(refusal) => Err(refusal),
                },
            };
            request.extensions_mut().insert(Checked {
                outcome,
                answers: layer.answers.clone(),
            });
            let mut response = inner.call(request).await?;
            for cookie in set_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(response)
        })
    }
}

/// A signed-in request's session (aal1 or higher); rejects anything else
/// with a [`SessionRejection`]. Dereferences to the session model.
#[derive(Clone, Debug)]
pub struct Session(pub Arc<models::Session>);

impl Session {
    /// The signed-in identity's id.
    pub fn identity_id(&self) -> Option<&str> {
        self.0
            .identity
            .as_ref()
            .map(|identity| identity.id.as_str())
    }

    /// How strongly the user proved who they are.
    pub fn aal(&self) -> Option<&AuthenticatorAssuranceLevel> {
        self.0.authenticator_assurance_level.as_ref()
    }

    /// Whether the session was made with a second factor (aal2 or
    /// higher); an unknown level does not count.
    pub fn is_aal2(&self) -> bool {
        matches!(
            self.aal(),
            Some(AuthenticatorAssuranceLevel::Aal2 | AuthenticatorAssuranceLevel::Aal3)
        )
    }
}

impl Deref for Session {
    type Target = models::Session;

    fn deref(&self) -> &models::Session {
        &self.0
    }
}

/// A session made with a second factor (aal2 or higher); one below
/// answers 403 `session_aal2_required`, or a redirect to Kratos's aal2
/// sign-in on a layer that redirects.
#[derive(Clone, Debug)]
pub struct Aal2Session(pub Session);

impl Deref for Aal2Session {
    type Target = models::Session;

    fn deref(&self) -> &models::Session {
        &self.0
    }
}

/// The HTTP response an extractor of this module turns a request away
/// with (401, 403, 303 or 503, as the module's table says), made from the
/// [`Refusal`] of the session check, which [`refusal`](Self::refusal)
/// gives back.
pub struct SessionRejection {
    kind: Rejected,
    answers: Option<Arc<Answers>>,
    /// The path and query asked for, the `return_to` of a redirect.
    page: Option<String>,
}

impl fmt::Debug for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The page's path only: its query may carry a code or a token.
        let path = self
            .page
            .as_deref()
            .map(|p| p.split('?').next().unwrap_or(p));
        f.debug_struct("SessionRejection")
            .field("kind", &self.kind)
            .field("status", &self.status())
            .field("page", &path)
            .finish()
    }
}

#[derive(Debug)]
enum Rejected {
    /// No [`SessionLayer`] ran before the extractor.
    NoLayer,
    Refusal(Refusal),
}

impl SessionRejection {
    /// What the validator said, or `None` when no [`SessionLayer`] checked
    /// the request (a mistake in the app's router, answered with 500).
    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.kind {
            Rejected::Refusal(refusal) => Some(refusal),
            Rejected::NoLayer => None,
        }
    }

    /// The status the rejection answers with.
    pub fn status(&self) -> StatusCode {
        let redirects = self.answers.as_ref().is_some_and(|a| a.login.is_some());
        match &self.kind {
            Rejected::NoLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Rejected::Refusal(Refusal::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            Rejected::Refusal(_) if redirects => StatusCode::SEE_OTHER,
            Rejected::Refusal(Refusal::Aal2Required { .. }) => StatusCode::FORBIDDEN,
            Rejected::Refusal(_) => StatusCode::UNAUTHORIZED,
        }
    }
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Rejected::NoLayer => f.write_str("no SessionLayer checked this request"),
            Rejected::Refusal(refusal) => fmt::Display::fmt(refusal, f),
        }
    }
}

impl std::error::Error for SessionRejection {}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> axum::response::Response {
        let status = self.status();
        let refusal = match self.kind {
            Rejected::NoLayer => {
                return error_response(
                    status,
                    None,
                    "the route reads a Kratos session, but no SessionLayer checked the request",
                    None,
                )
            }
            Rejected::Refusal(refusal) => refusal,
        };
        let answers = self.answers;
        if status == StatusCode::SEE_OTHER {
            if let Some(to) = answers
                .as_deref()
                .and_then(|a| redirect(a, &refusal, self.page.as_deref()))
            {
                return see_other(&to);
            }
        }
        match refusal {
            Refusal::Aal2Required {
                redirect_browser_to,
            } => {
                let to = redirect_browser_to
                    .or_else(|| answers.as_ref().map(|a| a.aal2_login.to_string()));
                error_response(
                    status,
                    Some(ErrorId::SessionAal2Required.as_str()),
                    "this needs a session signed in with a second factor",
                    to,
                )
            }
            Refusal::Unavailable { .. } => error_response(
                status,
                None,
                "Kratos could not be asked about the session; try again later",
                None,
            ),
            Refusal::Refused { error_id } => error_response(
                status,
                Some(
                    error_id
                        .as_ref()
                        .map_or(ErrorId::SessionInactive.as_str(), ErrorId::as_str),
                ),
                "the request's session is not active",
                None,
            ),
            Refusal::NoCredentials => error_response(
                status,
                Some(ErrorId::SessionInactive.as_str()),
                "the request carries no session",
                None,
            ),
        }
    }
}

/// Where a redirecting layer sends a browser that `refusal` turned away,
/// with `return_to` set to the page it asked for.
fn redirect(answers: &Answers, refusal: &Refusal, page: Option<&str>) -> Option<String> {
    let (login, site) = answers.login.as_ref()?;
    let mut to = match refusal {
        Refusal::Aal2Required {
            redirect_browser_to,
        } => redirect_browser_to
            .as_deref()
            .and_then(|to| Url::parse(to).ok())
            .unwrap_or_else(|| answers.aal2_login.clone()),
        _ => login.clone(),
    };
    if let Some(page) = page.and_then(|page| site.join(page).ok()) {
        let kept: Vec<(String, String)> = to
            .query_pairs()
            .filter(|(name, _)| name != "return_to")
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        to.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("return_to", page.as_str());
    }
    Some(to.to_string())
}

fn see_other(to: &str) -> axum::response::Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "the login redirect is not a valid header",
            None,
        ),
    }
}

/// Kratos's JSON error shape, so that a client that reads Kratos's errors
/// reads these too.
fn error_response(
    status: StatusCode,
    id: Option<&str>,
    message: &str,
    redirect_browser_to: Option<String>,
) -> axum::response::Response {
    let mut error = serde_json::json!({
        "code": status.as_u16(),
        "status": status.canonical_reason().unwrap_or_default(),
        "message": message,
    });
    if let Some(id) = id {
        error["id"] = id.into();
    }
    let mut body = serde_json::json!({ "error": error });
    if let Some(to) = redirect_browser_to {
        body["error"]["details"] = serde_json::json!({ "redirect_browser_to": to });
        body["redirect_browser_to"] = to.into();
    }
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

fn checked(parts: &Parts) -> Result<&Checked, SessionRejection> {
    parts.extensions.get::<Checked>().ok_or(SessionRejection {
        kind: Rejected::NoLayer,
        answers: None,
        page: None,
    })
}

fn rejection(parts: &Parts, checked: &Checked, refusal: Refusal) -> SessionRejection {
    SessionRejection {
        kind: Rejected::Refusal(refusal),
        answers: Some(checked.answers.clone()),
        page: parts
            .uri
            .path_and_query()
            .map(|page| page.as_str().to_string()),
    }
}

impl<S: Sync> FromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, SessionRejection> {
        let checked = checked(parts)?;
        match &checked.outcome {
            Ok(session) => Ok(Session(session.clone())),
            Err(refusal) => Err(rejection(parts, checked, refusal.clone())),
        }
    }
}

impl<S: Sync> FromRequestParts<S> for Aal2Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, SessionRejection> {
        let session = <Session as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if session.is_aal2() {
            return Ok(Aal2Session(session));
        }
        // Kratos answered with the session (its `required_aal` is aal1),
        // so the redirect is the one it would have sent.
        let checked = checked(parts)?;
        let to = Some(checked.answers.aal2_login.to_string());
        Err(rejection(
            parts,
            checked,
            Refusal::Aal2Required {
                redirect_browser_to: to,
            },
        ))
    }
}

/// `Option<Session>`: `None` when the request carries no credentials or
/// Kratos refuses them (a session below a required second factor too);
/// Kratos being unavailable still rejects (503), since a page must not
/// show a signed-in user as signed out.
impl<S: Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Option<Self>, SessionRejection> {
        let checked = checked(parts)?;
        match &checked.outcome {
            Ok(session) => Ok(Some(Session(session.clone()))),
            Err(refusal @ Refusal::Unavailable { .. }) => {
                Err(rejection(parts, checked, refusal.clone()))
            }
            Err(_) => Ok(None),
        }
    }
}
