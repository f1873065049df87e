//! Deciding, on every request a web backend gets, whether it carries a
//! live Kratos session (cargo feature `session`; no web framework needed).
//!
//! [`SessionValidator::check`] reads the request's credential (the session
//! cookie, allowed by name; `X-Session-Token`; `Authorization: Bearer` when
//! enabled), asks Kratos's whoami once for it (concurrent checks of the
//! same credential share one lookup), keeps the answer for a short while
//! in a bounded cache, and answers with the session or a typed
//! [`Refusal`]. The cache keeps each session as JSON (about the size of
//! Kratos's answer) and the ones checked last decoded as well
//! ([`SessionValidatorBuilder::keep_decoded`]), so that many sessions fit
//! in little memory and a busy user's check stays a map lookup. Kratos
//! being unreachable, slow, overloaded or answering nonsense is
//! [`Refusal::Unavailable`]: never a session, and never the same as
//! "signed out", so that an app can answer 503 and not 401.
//!
//! ```no_run
//! # async fn run(headers: kratos_client::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! use kratos_client::session::{Refusal, SessionValidator};
//!
//! let validator = SessionValidator::builder(kratos_client::FrontendApi::new("https://auth.example.com")?)
//!     .build();
//! match validator.check(&headers).await {
//!     Ok(signed_in) => println!("identity {:?}", signed_in.session.identity.as_ref().map(|i| &i.id)),
//!     Err(Refusal::Unavailable { .. }) => println!("503: try again later"),
//!     Err(refusal) => println!("401/403: {refusal}"),
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::models::Session;
use crate::{Error, ErrorId, FrontendApi, OperationError, ToSessionError};

mod cache;
mod credentials;
mod kept;

use credentials::{Credential, Key, Keyer, Sources};
use kept::{Found, Kept};

/// How long a session is kept at most, by default: a revoked session may
/// count as signed in for this long.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(60);
/// How many sessions are kept at most, by default.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// How many of the cached sessions are kept decoded, by default: the most
/// recently checked.
pub const DEFAULT_DECODED: usize = 1_000;
/// How long a lookup may take, by default, before Kratos counts as
/// unavailable.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A signed-in request: its session, and what to relay to the browser.
#[derive(Clone)]
#[non_exhaustive]
pub struct Authenticated {
    /// The session, with its identity, shared by every request that
    /// carries the same credential while it is cached.
    pub session: Arc<Session>,
    /// The `Set-Cookie` values whoami answered with (Kratos refreshes the
    /// session cookie there), for the response to this request; empty when
    /// the session came from the cache.
    pub set_cookie: Vec<HeaderValue>,
}

impl Authenticated {
    /// A session from the cache: no cookie to relay.
    fn cached(session: Arc<Session>) -> Self {
        Authenticated {
            session,
            set_cookie: Vec::new(),
        }
    }

    /// The session as a JWT, when the validator asks for one
    /// ([`SessionValidatorBuilder::tokenize_as`]).
    pub fn tokenized(&self) -> Option<&str> {
        self.session.tokenized.as_deref()
    }
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("session", &self.session)
            .field(
                "set_cookie",
                &format_args!("<{} redacted>", self.set_cookie.len()),
            )
            .finish()
    }
}

/// Why the session check does not count a request as signed in: what a
/// backend reads from whoami (no credentials, refused, a second factor
/// needed, Kratos unavailable). Not an HTTP response: the axum extractors
/// turn it into one, an `axum::SessionRejection` (feature `axum`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The request carries no credential the validator reads.
    #[error("no session credentials")]
    NoCredentials,
    /// Kratos refused the credential: no such session, or an inactive or
    /// expired one (401, or an answer whose session is not active).
    #[error("Kratos refused the session{}", crate::error::id_suffix(.error_id.as_ref()))]
    Refused {
        /// Kratos's error id, when it sent one (whoami's 401 has none).
        error_id: Option<ErrorId>,
    },
    /// The session needs a higher assurance level: 403
    /// `session_aal2_required`.
    #[error("the session needs a second factor")]
    Aal2Required {
        /// Where Kratos would send a browser to sign in with it.
        redirect_browser_to: Option<String>,
    },
    /// Kratos could not say: it timed out, was unreachable, answered 5xx or
    /// 429, or answered something that does not decode. Never counts as
    /// signed in; not cached.
    #[error("Kratos is unavailable: {reason}")]
    Unavailable {
        /// What went wrong, without credentials.
        reason: String,
    },
}

/// What one lookup came to, shared by the checks that waited for it.
type Outcome = Result<Authenticated, Refusal>;
/// A lookup in flight.
type Lookup = Shared<BoxFuture<'static, Answer>>;

/// What a lookup brings back: its outcome, how long it may be kept, and
/// the session as JSON to keep it by (written once, by the lookup).
#[derive(Clone)]
struct Answer {
    outcome: Outcome,
    keep_for: Option<Duration>,
    json: Option<Arc<str>>,
}

/// Configures a [`SessionValidator`]. Made by [`SessionValidator::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the validator"]
pub struct SessionValidatorBuilder {
    api: FrontendApi,
    sources: Sources,
    max_ttl: Duration,
    refusal_ttl: Option<Duration>,
    capacity: usize,
    decoded: usize,
    timeout: Duration,
    tokenize_as: Option<String>,
}

impl SessionValidatorBuilder {
    /// The cookies sent to Kratos; a name ending in `*` stands for every
    /// name that starts with what comes before it. No other cookie of the
    /// request ever leaves the app. Default: `ory_kratos_session` and the
    /// Ory Network's `ory_session_*`. Empty: cookies do not count.
    pub fn cookie_names<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.sources.cookies = crate::cookies::CookieNames::new(names);
        self
    }

    /// Whether `X-Session-Token` counts. Default: yes.
    pub fn session_token_header(mut self, counts: bool) -> Self {
        self.sources.session_token = counts;
        self
    }

    /// Whether `Authorization: Bearer <session token>` counts. Default: no
    /// (the header often carries the app's own tokens).
    pub fn bearer(mut self, counts: bool) -> Self {
        self.sources.bearer = counts;
        self
    }

    /// The longest a session is kept before Kratos is asked again: a
    /// session revoked in Kratos may still count for this long. Kratos's
    /// `Ory-Session-Cache-For` and the session's `expires_at` can shorten
    /// it; zero keeps nothing. Default: [`DEFAULT_MAX_TTL`], 60 seconds.
    pub fn max_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// Keeps Kratos's refusals (401, 403) for `ttl` too, sparing Kratos
    /// the repeated checks of a bad credential. Default: refusals are not
    /// kept, so that a user who just signed in is seen at once.
    pub fn cache_refusals(mut self, ttl: Duration) -> Self {
        self.refusal_ttl = Some(ttl);
        self
    }

    /// The most sessions kept. Default: [`DEFAULT_CAPACITY`]. A cached
    /// session takes about 1.4 KiB for a typical 1.3 KB answer, and 3 KiB
    /// more while it is among those kept decoded ([`Self::keep_decoded`];
    /// BENCHMARKS.md, "Memory of a cached session"): with the defaults,
    /// 10,000 sessions take about 17 MiB.
    pub fn capacity(mut self, entries: usize) -> Self {
        self.capacity = entries;
        self
    }

    /// How many of the cached sessions are also kept decoded: those
    /// checked most recently. A check of one of them is a lookup in a map
    /// (about 0.2 µs); a check of another cached session decodes the JSON
    /// kept for it (a few µs for a 1.3 KB answer, and no request). Either
    /// way the app gets the same [`Session`]. Default: [`DEFAULT_DECODED`];
    /// zero keeps none decoded (about 1.4 KiB a session), the
    /// [`capacity`](Self::capacity) or more keeps every one decoded and no
    /// JSON (about 3 KiB a session).
    pub fn keep_decoded(mut self, sessions: usize) -> Self {
        self.decoded = sessions;
        self
    }

    /// How long a lookup may take before Kratos counts as unavailable.
    /// Default: [`DEFAULT_TIMEOUT`], 5 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Has whoami also answer the session as a JWT made with Kratos's
    /// tokenizer template `template` ([`Authenticated::tokenized`]).
    pub fn tokenize_as(mut self, template: impl Into<String>) -> Self {
        self.tokenize_as = Some(template.into());
        self
    }

    /// The validator.
    pub fn build(self) -> SessionValidator {
        let kept = Kept::new(self.capacity, self.decoded);
        SessionValidator {
            inner: Arc::new(Inner {
                keyer: Keyer::new(),
                keep_json: kept.needs_json(),
                state: Mutex::new(State {
                    kept,
                    in_flight: HashMap::new(),
                }),
                api: self.api,
                sources: self.sources,
                max_ttl: self.max_ttl,
                refusal_ttl: self.refusal_ttl,
                timeout: self.timeout,
                tokenize_as: self.tokenize_as,
            }),
        }
    }
}

/// Checks requests' session credentials with Kratos, with a bounded cache
/// and one lookup per credential at a time. Cheap to clone: clones share
/// the cache.
#[derive(Clone)]
pub struct SessionValidator {
    inner: Arc<Inner>,
}

struct Inner {
    api: FrontendApi,
    sources: Sources,
    keyer: Keyer,
    state: Mutex<State>,
    max_ttl: Duration,
    refusal_ttl: Option<Duration>,
    timeout: Duration,
    tokenize_as: Option<String>,
    /// Whether a lookup writes the session as JSON for the cache.
    keep_json: bool,
}

struct State {
    kept: Kept,
    in_flight: HashMap<Key, Lookup>,
}

impl fmt::Debug for SessionValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.state().kept.len();
        f.debug_struct("SessionValidator")
            .field("kratos", &self.inner.api.client().base_url().as_str())
            .field("cookies", &self.inner.sources.cookies.0)
            .field("max_ttl", &self.inner.max_ttl)
            .field("cached", &cached)
            .finish_non_exhaustive()
    }
}

impl SessionValidator {
    /// Configures a validator that asks the Kratos behind `api`.
    pub fn builder(api: FrontendApi) -> SessionValidatorBuilder {
        SessionValidatorBuilder {
            api,
            sources: Sources::default(),
            max_ttl: DEFAULT_MAX_TTL,
            refusal_ttl: None,
            capacity: DEFAULT_CAPACITY,
            decoded: DEFAULT_DECODED,
            timeout: DEFAULT_TIMEOUT,
            tokenize_as: None,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the request `headers` carry a live session.
    ///
    /// The credential is read by a fixed rule: `X-Session-Token`, then
    /// `Authorization: Bearer` (when enabled), then the allowed session
    /// cookies; only the first found is sent to Kratos. A cached answer is
    /// used while it lasts; otherwise one whoami is sent for the
    /// credential, and other checks of it wait for that one.
    pub async fn check(&self, headers: &HeaderMap) -> Result<Authenticated, Refusal> {
        let Some(credential) = self.inner.sources.credential(headers) else {
            return Err(Refusal::NoCredentials);
        };
        let key = self.inner.keyer.key(&credential);
        let lookup = {
            let mut state = self.state();
            match state.kept.get(&key, Instant::now()) {
                // A cookie refresh belongs to the answer that brought it:
                // none from the cache.
                Some(Found::Session(session)) => return Ok(Authenticated::cached(session)),
                Some(Found::Refused(refusal)) => return Err(refusal),
                Some(Found::Encoded(json)) => {
                    drop(state);
                    match crate::decode::from_slice::<Session>(json.as_bytes()) {
                        Ok(session) => {
                            let session = Arc::new(session);
                            self.state()
                                .kept
                                .decoded(key, session.clone(), &json, Instant::now());
                            return Ok(Authenticated::cached(session));
                        }
                        // What the model wrote decodes; were it ever not
                        // to, Kratos is asked again.
                        Err(_) => {
                            let mut state = self.state();
                            state.kept.remove(&key);
                            self.join_lookup(&mut state, key, credential)
                        }
                    }
                }
                None => self.join_lookup(&mut state, key, credential),
            }
        };
        let answer = lookup.clone().await;
        let mut state = self.state();
        // Whoever sees the answer first files it: keeps it for its time and
        // lets the next check start a new lookup.
        if state
            .in_flight
            .get(&key)
            .is_some_and(|current| current.ptr_eq(&lookup))
        {
            state.in_flight.remove(&key);
            if let Some(ttl) = answer.keep_for {
                let now = Instant::now();
                match &answer.outcome {
                    Ok(signed_in) => state.kept.keep_session(
                        key,
                        &signed_in.session,
                        answer.json.clone(),
                        now + ttl,
                        now,
                    ),
                    Err(refusal) => state
                        .kept
                        .keep_refusal(key, refusal.clone(), now + ttl, now),
                }
            }
        }
        answer.outcome
    }

    /// The lookup in flight for `key`, started now if there is none.
    fn join_lookup(&self, state: &mut State, key: Key, credential: Credential) -> Lookup {
        match state.in_flight.get(&key) {
            Some(lookup) => lookup.clone(),
            None => {
                let inner = self.inner.clone();
                let lookup = async move { inner.look_up(credential).await }
                    .boxed()
                    .shared();
                state.in_flight.insert(key, lookup.clone());
                lookup
            }
        }
    }

    /// Forgets what is cached for the credential of `headers`, such as
    /// when the user signs out; the next check asks Kratos.
    pub fn invalidate(&self, headers: &HeaderMap) {
        if let Some(credential) = self.inner.sources.credential(headers) {
            let key = self.inner.keyer.key(&credential);
            let mut state = self.state();
            state.kept.remove(&key);
            state.in_flight.remove(&key);
        }
    }

    /// The address of the Kratos the validator asks.
    pub fn kratos_url(&self) -> &url::Url {
        self.client().base_url()
    }

    /// The client of the Kratos the validator asks.
    pub(crate) fn client(&self) -> &crate::Client {
        self.inner.api.client()
    }

    /// How many answers are cached now.
    pub fn cached(&self) -> usize {
        self.state().kept.len()
    }
}

impl Inner {
    /// Asks Kratos's whoami about `credential`: the outcome, how long it
    /// may be kept (`None`: not at all), and the session as JSON to keep.
    async fn look_up(self: Arc<Self>, credential: Credential) -> Answer {
        let (outcome, keep_for) = self.ask(credential).await;
        let json = match (&outcome, keep_for) {
            (Ok(signed_in), Some(_)) if self.keep_json => {
                serde_json::to_string(&*signed_in.session)
                    .ok()
                    .map(Arc::from)
            }
            _ => None,
        };
        Answer {
            outcome,
            keep_for,
            json,
        }
    }

    /// Whoami's answer for `credential`, and how long it may be kept.
    async fn ask(&self, credential: Credential) -> (Outcome, Option<Duration>) {
        let mut request = self.api.to_session();
        request = match &credential {
            Credential::Token(token) => request.session_token(token.clone()),
            Credential::Cookies(cookies) => request.cookie(cookies.clone()),
        };
        request = request.set_tokenize_as(self.tokenize_as.clone());
        let answer = match tokio::time::timeout(self.timeout, request.send_with_response()).await {
            Ok(answer) => answer,
            Err(_) => {
                return (
                    Err(Refusal::Unavailable {
                        reason: format!("no answer within {:?}", self.timeout),
                    }),
                    None,
                )
            }
        };
        match answer {
            Ok(response) => {
                let cache_for = response
                    .header("ory-session-cache-for")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let set_cookie = response.set_cookies();
                let session = response.into_inner();
                if session.active != Some(true) {
                    return (Err(Refusal::Refused { error_id: None }), self.refusal_ttl);
                }
                let expires_at = session
                    .expires_at
                    .as_deref()
                    .and_then(|at| humantime::parse_rfc3339(at).ok());
                let ttl = keep_for(self.max_ttl, cache_for, expires_at, SystemTime::now());
                let signed_in = Authenticated {
                    session: Arc::new(session),
                    set_cookie,
                };
                (Ok(signed_in), ttl)
            }
            Err(error) => {
                let refusal = refusal(&error);
                // Kratos's own refusals may be kept; its being unavailable never.
                let keep = matches!(
                    refusal,
                    Refusal::Refused { .. } | Refusal::Aal2Required { .. }
                );
                (Err(refusal), self.refusal_ttl.filter(|_| keep))
            }
        }
    }
}

/// How long a session may be kept: the least of the validator's maximum,
/// Kratos's `Ory-Session-Cache-For`, and the time left until the session
/// expires; `None` when that is nothing.
fn keep_for(
    max: Duration,
    cache_for: Option<Duration>,
    expires_at: Option<SystemTime>,
    now: SystemTime,
) -> Option<Duration> {
    let until_expiry = expires_at.map(|at| at.duration_since(now).unwrap_or_default());
    [Some(max), cache_for, until_expiry]
        .into_iter()
        .flatten()
        .min()
        .filter(|ttl| !ttl.is_zero())
}

/// What a failed whoami means for the request.
fn refusal(error: &Error<ToSessionError>) -> Refusal {
    match error {
        Error::Api(ToSessionError::Unauthorized(body)) => Refusal::Refused {
            error_id: body.error_id(),
        },
        Error::Api(ToSessionError::Forbidden(body))
            if body.error_id() == Some(ErrorId::SessionAal2Required) =>
        {
            Refusal::Aal2Required {
                redirect_browser_to: body.error.redirect_browser_to().map(str::to_string),
            }
        }
        Error::Api(ToSessionError::Forbidden(body)) => Refusal::Refused {
            error_id: body.error_id(),
        },
        Error::Api(other) if other.status().is_client_error() && other.status().as_u16() != 429 => {
            Refusal::Refused {
                error_id: error.error_id(),
            }
        }
        other => Refusal::Unavailable {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_kept_for_the_least_of_the_three() {
        let now = SystemTime::now();
        let min = Duration::from_secs(60);
        assert_eq!(keep_for(min, None, None, now), Some(min));
        let header = Duration::from_secs(5);
        assert_eq!(keep_for(min, Some(header), None, now), Some(header));
        let soon = now + Duration::from_secs(2);
        assert_eq!(
            keep_for(min, Some(header), Some(soon), now),
            Some(Duration::from_secs(2))
        );
        // Expired already, or a zero anywhere: not kept.
        assert_eq!(
            keep_for(min, None, Some(now - Duration::from_secs(1)), now),
            None
        );
        assert_eq!(keep_for(Duration::ZERO, None, None, now), None);
        assert_eq!(keep_for(min, Some(Duration::ZERO), None, now), None);
    }
}
