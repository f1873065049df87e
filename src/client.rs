//! The HTTP client: configuration, building requests, reading responses.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use url::Url;

use crate::decode::{self, Decode, JsonError};
use crate::error::{excerpt, quote, Error, Failure, CONTENT_TYPE_BYTES};
use crate::retry::{is_retry_later, parse_retry_after, RetryPolicy};
use crate::secret::{Echo, Echoed, Redactor};
use crate::Secret;

/// How long a whole request may take by default, from sending to the last byte of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long opening a connection may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response body accepted by default: 4 MiB, far more than any Kratos answer.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
const DEFAULT_USER_AGENT: &str = concat!("kratos-client-rust/", env!("CARGO_PKG_VERSION"));

/// A setting the client cannot work with. Says which and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL is not an absolute `http` or `https` URL the client can append paths to.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another setting is out of range or conflicts with one made before.
    #[error("invalid setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The builder method the value was given to.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// reqwest could not build its client (for example, no TLS backend could start).
    #[error("could not build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// A connection to one Kratos server, shared by every API group.
///
/// Cloning is cheap and clones share the connection pool, so make one per
/// server and hand clones around. [`FrontendApi`](crate::FrontendApi) and
/// the other API groups are views over a client:
///
/// ```
/// # fn main() -> Result<(), kratos_client::ConfigError> {
/// use std::time::Duration;
///
/// let client = kratos_client::Client::builder("https://auth.example.com")
///     .timeout(Duration::from_secs(10))
///     .user_agent("my-app/1.2")
///     .build()?;
/// let frontend = client.frontend();
/// # let _ = frontend;
/// # Ok(())
/// # }
/// ```
///
/// The client does not follow redirects: a Kratos API endpoint answers API
/// clients directly, and following a redirect to another host could hand it
/// the session token. A redirect comes back as
/// [`Error::UnexpectedStatus`](crate::Error::UnexpectedStatus).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    timeout: Duration,
    user_agent: HeaderValue,
    max_response_bytes: usize,
    retry: Option<RetryPolicy>,
    api_key: Option<Secret>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("timeout", &self.inner.timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .field("retry", &self.inner.retry)
            .field("api_key", &self.inner.api_key)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the Kratos server at `base_url` with default settings.
    ///
    /// `base_url` is the server's public URL, path included when Kratos sits
    /// under one (`https://example.com/.ory/kratos/public`, with or without a
    /// trailing slash).
    pub fn new(base_url: impl AsRef<str>) -> Result<Self, ConfigError> {
        Self::builder(base_url.as_ref()).build()
    }

    /// Starts configuring a client for the server at `base_url`. Problems
    /// with any setting are reported by [`ClientBuilder::build`].
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            timeout: None,
            connect_timeout: None,
            user_agent: None,
            http_client: None,
            max_response_bytes: None,
            retry: None,
            api_key: None,
        }
    }

    /// The base URL every request path is appended to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The HTTP client, for the crate's own test servers.
    #[cfg(feature = "testing")]
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The API key sent on the operations that take one.
    pub(crate) fn api_key(&self) -> Option<&Secret> {
        self.inner.api_key.as_ref()
    }

    /// The address of the path made of `segments` below the base URL (which
    /// may carry a path of its own, with or without a trailing slash), each
    /// segment percent-encoded as needed. `None` only for a base URL that
    /// cannot take a path, which the builder refuses.
    pub(crate) fn url(&self, segments: &[&str]) -> Option<Url> {
        let mut url = self.inner.base_url.clone();
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(segments);
        Some(url)
    }

    /// Starts a request to the path made of `segments` below the base URL.
    /// Each segment is percent-encoded as needed.
    pub(crate) fn request(&self, method: Method, segments: &[&str]) -> Request {
        let (url, problem) = match self.url(segments) {
            Some(url) => (url, None),
            // Not reachable: the builder only accepts http(s) URLs with a host.
            None => (
                self.inner.base_url.clone(),
                Some("the base URL cannot take a path".to_string()),
            ),
        };
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            problem,
            redactor: Redactor::default(),
        }
    }

    /// Sends a request and reads the whole response, within the time and size limits.
    ///
    /// Not generic, so that it is compiled once rather than once per
    /// operation: its errors are [`Failure`]s, which `?` turns into the
    /// operation's `Error<E>`.
    pub(crate) async fn execute(
        &self,
        request: Request,
        documented: &[u16],
    ) -> Result<RawResponse, Failure> {
        if let Some(problem) = request.problem {
            return Err(Failure(Error::InvalidInput(problem)));
        }
        let inner = &self.inner;
        let redactor = request.redactor;
        // Kratos's admin port sends public reads (identity schemas, the
        // self-service flows) to its public URL with a 307. A GET that
        // carries no secret follows that once; one with a secret never
        // follows a redirect (see `public_redirect`).
        let public =
            (request.method == Method::GET && redactor.is_empty()).then(|| request.url.clone());
        // Only requests without a body are retried: a form sent twice could
        // register twice.
        let retry = inner.retry.filter(|_| request.method == Method::GET);
        let mut builder = inner
            .http
            .request(request.method, request.url)
            .headers(request.headers)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, inner.user_agent.clone())
            .timeout(inner.timeout);
        if let Some(body) = request.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body);
        }
        let request = builder.build().map_err(|e| transport_error(e, None))?;
        let mut attempt = 1;
        let response = loop {
            // A GET request without a body always clones.
            let this_try = match (&retry, request.try_clone()) {
                (Some(_), Some(copy)) => copy,
                _ => break inner.http.execute(request).await,
            };
            let outcome = inner.http.execute(this_try).await;
            let retry_after = match &outcome {
                Ok(response) if is_retry_later(response.status(), documented) => {
                    Some(retry_after(response.headers()))
                }
                // Nothing reached the server: safe to try again.
                Err(e) if e.is_connect() => Some(None),
                _ => None,
            };
            let wait = retry_after
                .zip(retry.as_ref())
                .and_then(|(asked, policy)| policy.wait_before(attempt + 1, asked));
            match wait {
                Some(wait) => {
                    #[cfg(feature = "tracing")]
                    crate::trace::retry(
                        attempt + 1,
                        wait,
                        match &outcome {
                            Ok(_) => "the server asked to try again later",
                            Err(_) => "the connection could not be made",
                        },
                    );
                    drop(outcome);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => break outcome,
            }
        };
        let mut response = response.map_err(|e| transport_error(e, None))?;
        let base = &inner.base_url;
        if let Some(target) = public.and_then(|sent| public_redirect(base, &sent, &response)) {
            #[cfg(feature = "tracing")]
            tracing::debug!(
                status = response.status().as_u16(),
                "following Kratos to its public URL"
            );
            let again = inner
                .http
                .get(target)
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, inner.user_agent.clone())
                .timeout(inner.timeout);
            response = again.send().await.map_err(|e| transport_error(e, None))?;
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_body(response, inner.max_response_bytes).await?;
        RawResponse::new(status, headers, body, documented, redactor)
    }
}

/// Where to send a GET again that Kratos's admin port answered with a
/// temporary or permanent redirect to its public URL: the `Location` when it
/// is an http(s) URL for the same operation (the path below `base` and the
/// query; the public URL may have a path of its own), else `None` and the
/// redirect is the answer.
fn public_redirect(base: &Url, sent: &Url, response: &reqwest::Response) -> Option<Url> {
    if !matches!(response.status().as_u16(), 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let target = sent.join(location).ok()?;
    let below_base = sent
        .path()
        .strip_prefix(base.path().trim_end_matches('/'))?;
    let same = matches!(target.scheme(), "http" | "https")
        && target.path().ends_with(below_base)
        && target.query() == sent.query()
        && target != *sent;
    same.then_some(target)
}

/// The wait a response's `Retry-After` header asks for.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// Reads a body, giving up as soon as it passes `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Failure> {
    let status = response.status();
    let too_large = || Failure(Error::BodyTooLarge { status, limit });
    let declared = response.content_length().unwrap_or(0);
    if declared > limit as u64 {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared as usize);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, Some(status)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Sorts a reqwest error into a timeout or a transport failure. The URL it
/// carries loses its query, which may hold one-time codes.
fn transport_error(error: reqwest::Error, status: Option<StatusCode>) -> Failure {
    let error = match error.url().cloned() {
        Some(mut url) => {
            url.set_query(None);
            error.with_url(url)
        }
        None => error,
    };
    if error.is_timeout() {
        Failure(Error::Timeout {
            status,
            source: error,
        })
    } else {
        Failure(Error::Transport {
            status,
            source: error,
        })
    }
}

/// Configures a [`Client`]. Made by [`Client::builder`].
#[derive(Debug)]
#[must_use = "call .build() to get a client"]
pub struct ClientBuilder {
    base_url: String,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    max_response_bytes: Option<usize>,
    retry: Option<RetryPolicy>,
    api_key: Option<Secret>,
}

impl ClientBuilder {
    /// An API key (Ory Network's, or a gateway's in front of the admin
    /// API), sent as `Authorization: Bearer <key>` on the operations the
    /// document puts under its security scheme (the admin API) and on no
    /// others. Like a session token it never appears in `Debug`, errors or
    /// excerpts. Self-hosted Kratos needs none: its admin API is a port of
    /// its own.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The longest a request may take, from sending it to reading the last
    /// byte of the answer. Default: [`DEFAULT_TIMEOUT`] (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest opening a connection may take. Default:
    /// [`DEFAULT_CONNECT_TIMEOUT`] (10 s). Cannot be combined with
    /// [`http_client`](Self::http_client): set it on that client instead.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header to send. Default: `kratos-client-rust/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends requests through this reqwest client (to share its pool, its
    /// proxy or TLS settings). Its redirect policy then applies: to keep the
    /// session token from reaching another host, build it with
    /// `redirect(reqwest::redirect::Policy::none())`.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The largest response body to accept; a larger one fails with
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) without being read
    /// whole. Default: [`DEFAULT_MAX_RESPONSE_BYTES`] (4 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Retries `GET` requests answered with 429 or 503, or that could not
    /// connect, as `policy` says. Default: no retries; such answers come back
    /// as [`Error::RetryLater`](crate::Error::RetryLater) with the server's
    /// `Retry-After`.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Checks every setting and builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = parse_base_url(&self.base_url)?;
        let positive = |setting: &'static str, value: Option<Duration>| match value {
            Some(d) if d.is_zero() => Err(ConfigError::InvalidSetting {
                setting,
                reason: "must be longer than zero".into(),
            }),
            _ => Ok(()),
        };
        positive("timeout", self.timeout)?;
        positive("connect_timeout", self.connect_timeout)?;
        if self.max_response_bytes == Some(0) {
            return Err(ConfigError::InvalidSetting {
                setting: "max_response_bytes",
                reason: "must be at least 1".into(),
            });
        }
        if self.retry.is_some_and(|p| p.max_attempts == 0) {
            return Err(ConfigError::InvalidSetting {
                setting: "retry",
                reason: "max_attempts must be at least 1 (the first attempt counts)".into(),
            });
        }
        if let Some(key) = &self.api_key {
            let value = format!("Bearer {}", key.expose());
            if key.expose().is_empty() || HeaderValue::from_str(&value).is_err() {
                return Err(ConfigError::InvalidSetting {
                    setting: "api_key",
                    reason: "is empty or has characters an HTTP header cannot hold (a line break?)"
                        .into(),
                });
            }
        }
        let user_agent = match &self.user_agent {
            Some(agent) => {
                HeaderValue::from_str(agent).map_err(|_| ConfigError::InvalidSetting {
                    setting: "user_agent",
                    reason: format!("{agent:?} has characters an HTTP header cannot hold"),
                })?
            }
            None => HeaderValue::from_static(DEFAULT_USER_AGENT),
        };
        let http = match self.http_client {
            Some(client) => {
                if self.connect_timeout.is_some() {
                    return Err(ConfigError::InvalidSetting {
                        setting: "connect_timeout",
                        reason: "cannot be applied to a client passed to http_client(); set it on that client".into(),
                    });
                }
                client
            }
            None => {
                install_ring_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(ConfigError::Http)?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
                user_agent,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                retry: self.retry,
                api_key: self.api_key,
            }),
        })
    }
}

/// A bare reqwest client with the crate's TLS set up (the crypto provider
/// installed first), redirects not followed: for the test servers' own
/// requests, such as the mock's to a social sign-in provider and the test
/// provider's browser.
#[cfg(feature = "testing")]
pub(crate) fn bare_client() -> reqwest::Result<reqwest::Client> {
    install_ring_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// With the `rustls-ring` feature, reqwest's rustls needs a process-wide
/// crypto provider: ring's is installed unless the app installed one first
/// (or the `rustls-aws-lc` feature gives reqwest its own).
#[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]
fn install_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(not(all(feature = "rustls-ring", not(feature = "rustls-aws-lc"))))]
fn install_ring_provider() {}

fn parse_base_url(input: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: input.to_string(),
        reason,
    };
    let url = Url::parse(input).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => invalid(format!(
            "it has no scheme; write it in full, such as https://{}",
            input.trim()
        )),
        other => invalid(other.to_string()),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(format!(
            "the scheme is `{}`; only http and https are supported",
            url.scheme()
        )));
    }
    if url.host().is_none() {
        return Err(invalid("it has no host".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "it has a query or fragment, which requests cannot keep; remove it".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it holds credentials, which would end up in logs; remove them".into(),
        ));
    }
    Ok(url)
}

/// A request being put together by an operation's `send()`.
///
/// Some methods serve only operations that a given OpenAPI document may lack.
pub(crate) struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    /// Why the request cannot be sent, if something given was unusable.
    problem: Option<String>,
    /// The secrets it carries, to blank if the server sends them back.
    redactor: Redactor,
}

impl Request {
    /// Adds a query parameter, percent-encoded.
    pub(crate) fn query(&mut self, name: &str, value: impl fmt::Display) {
        self.url
            .query_pairs_mut()
            .append_pair(name, &value.to_string());
    }

    /// Adds a query parameter holding a secret (a one-time code).
    #[cfg_attr(
        not(feature = "frontend"),
        allow(
            dead_code,
            reason = "only the frontend's operations send a code in the query"
        )
    )]
    pub(crate) fn secret_query(&mut self, name: &str, value: &Secret) {
        self.query(name, value.expose());
        self.redactor.add(value.expose());
    }

    /// Adds a header holding a secret: marked sensitive, never shown in errors.
    pub(crate) fn secret_header(&mut self, name: &str, value: &Secret) {
        if name.eq_ignore_ascii_case("cookie") {
            self.redactor.add_cookies(value.expose());
        } else {
            self.redactor.add(value.expose());
        }
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value.expose())) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(true);
                self.headers.append(name, value);
            }
            _ => self.fail(format!(
                "the {name} value has characters HTTP headers cannot hold (a line break or control character?)"
            )),
        }
    }

    /// Refuses to send the request when `value`, which the document says is
    /// a UUID, is not one (Kratos would refuse it; nothing needs to go out).
    #[cfg_attr(
        not(any(feature = "frontend", feature = "identity", feature = "courier")),
        allow(dead_code, reason = "only these groups have UUID parameters")
    )]
    pub(crate) fn expect_uuid(&mut self, name: &str, value: &str) {
        let hex = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let parts: Vec<&str> = value.split('-').collect();
        let is_uuid = matches!(parts.as_slice(), [a, b, c, d, e]
            if hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12));
        if !is_uuid {
            self.fail(format!(
                "`{name}` must be a UUID (like 4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f), not {:?}",
                quote(value, &Redactor::default(), QUOTED_INPUT_BYTES)
            ));
        }
    }

    /// Adds `Authorization: Bearer <key>`, blanking the key (alone and with
    /// its scheme) wherever the server might echo it.
    pub(crate) fn bearer(&mut self, key: &Secret) {
        self.redactor.add(key.expose());
        self.secret_header(
            "Authorization",
            &Secret::from(format!("Bearer {}", key.expose())),
        );
    }

    /// Sets a JSON body.
    #[cfg_attr(
        not(any(feature = "frontend", feature = "identity")),
        allow(dead_code, reason = "only these groups send a JSON body")
    )]
    pub(crate) fn json<T: Serialize>(&mut self, body: &T) {
        self.json_checked(body, |_| Ok(()));
    }

    /// Sets a JSON Patch document as the body, refusing to send one that
    /// cannot be applied (`crate::patch::check`).
    #[cfg_attr(
        not(feature = "identity"),
        allow(dead_code, reason = "only the identity group takes a JSON Patch")
    )]
    pub(crate) fn json_patch<T: Serialize>(&mut self, body: &T) {
        self.json_checked(body, crate::patch::check);
    }

    fn json_checked<T: Serialize>(
        &mut self,
        body: &T,
        check: fn(&serde_json::Value) -> Result<(), String>,
    ) {
        let value = match serde_json::to_value(body) {
            Ok(value) => value,
            Err(e) => return self.fail(format!("the request body cannot be written as JSON: {e}")),
        };
        if let Err(problem) = check(&value) {
            return self.fail(problem);
        }
        collect_secrets(&value, &mut self.redactor);
        match serde_json::to_vec(&value) {
            Ok(bytes) => self.body = Some(bytes),
            Err(e) => self.fail(format!("the request body cannot be written as JSON: {e}")),
        }
    }

    fn fail(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }
}

/// How much of a `Link` header an error quotes at most.
const LINK_BYTES: usize = 256;

/// How much of a value given to a builder an error quotes at most.
const QUOTED_INPUT_BYTES: usize = 64;

/// The string values of secret fields (`password`, `code`, ...) anywhere in `value`.
fn collect_secrets(value: &serde_json::Value, into: &mut Redactor) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, v) in object {
                match v {
                    serde_json::Value::String(s)
                        if crate::secret::SECRET_FIELDS.contains(&key.as_str()) =>
                    {
                        into.add(s);
                    }
                    other => collect_secrets(other, into),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, into)),
        _ => {}
    }
}

/// A complete response, read within the limits.
pub(crate) struct RawResponse {
    status: StatusCode,
    headers: HeaderMap,
    content_type: Option<String>,
    body: Vec<u8>,
    /// Blanks the secrets the request carried in whatever an error keeps.
    redactor: Redactor,
}

impl RawResponse {
    /// A complete answer to an operation that documents the statuses in
    /// `documented`. A 429 or 503 it does not document is
    /// [`Error::RetryLater`] here, whatever the body.
    /// `redactor` knows the secrets the request carried.
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
        documented: &[u16],
        redactor: Redactor,
    ) -> Result<Self, Failure> {
        let content_type = headers
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let response = Self {
            status,
            headers,
            content_type,
            body,
            redactor,
        };
        if is_retry_later(status, documented) {
            let error = response
                .error_json::<crate::models::ErrorGeneric>()
                .ok()
                .map(|wrapper| Box::new(wrapper.error));
            return Err(Failure(Error::RetryLater {
                status,
                retry_after: retry_after(&response.headers),
                error,
                excerpt: response.excerpt(),
            }));
        }
        Ok(response)
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's status and headers around its decoded `value`.
    pub(crate) fn into_response<T>(self, value: T) -> crate::Response<T> {
        crate::Response::new(self.status, self.headers, value)
    }

    /// The start of the body for an error message, secrets blanked.
    fn excerpt(&self) -> String {
        excerpt(&self.body, &self.redactor)
    }

    /// Decodes the body as JSON into `T`.
    pub(crate) fn json<T: Decode>(&self) -> Result<T, Failure> {
        // Only the decoding itself depends on `T`; the rest is compiled once.
        self.expect_json()?;
        decode::from_slice(&self.body).map_err(|source| self.decode_failure(source))
    }

    /// Decodes a page of a list: the body as a JSON array of `T`, the next
    /// page's token from the `Link` header.
    #[cfg_attr(
        not(any(feature = "frontend", feature = "identity", feature = "courier")),
        allow(dead_code, reason = "only these groups have list operations")
    )]
    pub(crate) fn page<T: Decode>(&self) -> Result<crate::Page<T>, Failure> {
        let items = self.json::<Vec<T>>()?;
        let next = crate::page::next_page_token(&self.headers).map_err(|_| {
            let link: Vec<&[u8]> = self
                .headers
                .get_all(reqwest::header::LINK)
                .iter()
                .map(|v| v.as_bytes())
                .collect();
            Failure(Error::InvalidLink {
                status: self.status,
                link: quote(
                    &String::from_utf8_lossy(&link.join(&b", "[..])),
                    &self.redactor,
                    LINK_BYTES,
                ),
            })
        })?;
        Ok(crate::Page::new(items, next))
    }

    /// Decodes the body of an error answer (an error object, or a flow sent
    /// back with its messages) into `T`, every value as the server sent it.
    /// When the body holds a secret the request carried, the decoded answer
    /// keeps those secrets (see [`Echoed`]) so that its `Debug`, and the
    /// error's `Display`, blank them.
    pub(crate) fn error_json<T: Decode + Echo>(&self) -> Result<T, Failure> {
        let mut value = self.json::<T>()?;
        value.echo(&Echoed::of(&self.redactor, &self.body));
        Ok(value)
    }

    /// Refuses a body whose declared type is not JSON.
    fn expect_json(&self) -> Result<(), Failure> {
        match &self.content_type {
            Some(content_type) if !is_json(content_type) => {
                Err(Failure(Error::UnexpectedContentType {
                    status: self.status,
                    content_type: quote(content_type, &self.redactor, CONTENT_TYPE_BYTES),
                    excerpt: self.excerpt(),
                }))
            }
            _ => Ok(()),
        }
    }

    fn decode_failure(&self, source: JsonError) -> Failure {
        Failure(Error::Decode {
            status: self.status,
            excerpt: self.excerpt(),
            source: crate::error::DecodeError::new(source, &self.body),
        })
    }

    /// Whether the body is a JSON object with an `error` object at its top,
    /// the shape of Kratos's standard error answer.
    #[cfg_attr(
        not(feature = "frontend"),
        allow(
            dead_code,
            reason = "only the frontend's answers may be a flow or an error object"
        )
    )]
    pub(crate) fn is_error_object(&self) -> bool {
        decode::has_object_field(&self.body, "error")
    }

    /// The body of an error answer as text, secrets blanked.
    #[cfg_attr(
        not(feature = "metadata"),
        allow(dead_code, reason = "only the health checks answer errors as text")
    )]
    pub(crate) fn error_text(&self) -> String {
        self.redactor
            .text(&String::from_utf8_lossy(&self.body))
            .into_owned()
    }

    /// The error for a status the operation does not document.
    pub(crate) fn unexpected_status(&self) -> Failure {
        Failure(Error::UnexpectedStatus {
            status: self.status,
            excerpt: self.excerpt(),
        })
    }
}

/// `application/json`, `application/problem+json`, with or without parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_error(input: &str) -> String {
        match parse_base_url(input) {
            Err(ConfigError::InvalidBaseUrl { reason, .. }) => reason,
            other => panic!("{input}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn base_urls_must_be_absolute_http() {
        assert!(url_error("auth.example.com").contains("no scheme"));
        assert!(url_error("ftp://example.com").contains("only http and https"));
        assert!(url_error("https://example.com/?x=1").contains("query"));
        assert!(url_error("https://user:pw@example.com").contains("credentials"));
        assert!(parse_base_url("http://127.0.0.1:4433").is_ok());
    }

    #[test]
    fn paths_append_to_the_base_path_either_way_it_is_spelled() {
        for base in [
            "https://example.com/.ory/kratos/public",
            "https://example.com/.ory/kratos/public/",
        ] {
            let client = Client::new(base).unwrap();
            let request = client.request(Method::GET, &["self-service", "registration", "api"]);
            assert_eq!(
                request.url.as_str(),
                "https://example.com/.ory/kratos/public/self-service/registration/api"
            );
        }
        let client = Client::new("https://example.com").unwrap();
        let request = client.request(Method::GET, &["admin", "identities", "a/b?c"]);
        assert_eq!(
            request.url.as_str(),
            "https://example.com/admin/identities/a%2Fb%3Fc"
        );
    }

    #[test]
    fn settings_are_checked_when_building() {
        let err = Client::builder("https://x.example")
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
        let err = Client::builder("https://x.example")
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("user_agent"), "{err}");
        // A bare reqwest client needs the TLS provider our builder installs;
        // this test must not depend on another having built one first.
        install_ring_provider();
        let err = Client::builder("https://x.example")
            .http_client(reqwest::Client::new())
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("connect_timeout"), "{err}");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/Problem+JSON"));
        assert!(!is_json("text/html; charset=utf-8"));
        assert!(!is_json("text/plain"));
    }
}
