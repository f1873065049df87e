//! What can go wrong when calling Kratos.

use std::fmt::{self, Write as _};
use std::time::Duration;

use reqwest::StatusCode;

use crate::models::{ErrorGeneric, GenericError};
use crate::secret::Redactor;

/// The error of every operation.
///
/// `E` is the operation's own error enum (such as
/// [`CreateNativeRegistrationFlowError`](crate::CreateNativeRegistrationFlowError)),
/// with one variant per error answer the API documents. Everything else that
/// can fail is a variant of its own, so that callers can tell a refusal from
/// Kratos apart from a network problem or a response that makes no sense.
///
/// The answers it holds are as the server sent them; its `Display` and
/// `Debug` blank the secrets the request carried wherever the server sent
/// them back, and stay short whatever the server sent (see the README's
/// "Errors" section for the bounds).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error<E> {
    /// Kratos answered with an error it documents for this operation.
    #[error("Kratos answered {0}")]
    Api(E),

    /// The request could not be built from what was given, for example a
    /// session token holding a line break. Nothing was sent.
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// No complete answer within the client's timeout (see
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)). `status` is
    /// set when the headers had arrived before the body stalled.
    #[error("the request timed out{}", status_suffix(*.status))]
    Timeout {
        /// The status, when the response had started.
        status: Option<StatusCode>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The connection could not be made or broke off: DNS, TLS, refused or
    /// reset connections, a body cut short.
    #[error("could not talk to the server{}: {source}", status_suffix(*.status))]
    Transport {
        /// The status, when the response had started.
        status: Option<StatusCode>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The response body was larger than the client accepts (see
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    #[error("HTTP {status}: the response body is larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The status of the response.
        status: StatusCode,
        /// The limit that was passed.
        limit: usize,
    },

    /// The server answered with something other than JSON, typically an HTML
    /// error page from a proxy in front of Kratos.
    #[error("HTTP {status}: expected JSON but the response is {content_type:?}: {excerpt}")]
    UnexpectedContentType {
        /// The status of the response.
        status: StatusCode,
        /// The `Content-Type` the response declared.
        content_type: String,
        /// The start of the body, with secrets blanked.
        excerpt: String,
    },

    /// The body could not be decoded into the documented type: empty, cut
    /// short, not JSON, or JSON of another shape.
    #[error("HTTP {status}: the response body could not be decoded ({source}): {excerpt}")]
    Decode {
        /// The status of the response.
        status: StatusCode,
        /// The start of the body, with secrets blanked.
        excerpt: String,
        /// What the JSON decoder reported; its `classify()` tells an empty or
        /// cut-off body (`Eof`) from invalid JSON (`Syntax`) and a shape
        /// mismatch (`Data`).
        #[source]
        source: DecodeError,
    },

    /// The server asks to try again later: 429 Too Many Requests or 503
    /// Service Unavailable, from Kratos or from a proxy in front of it (unless
    /// the operation documents that status). `retry_after` is the wait its
    /// `Retry-After` header asked for. A [`RetryPolicy`](crate::RetryPolicy)
    /// can retry `GET` requests automatically.
    #[error("HTTP {status}: the server asks to try again later{}{}", retry_suffix(*.retry_after), retry_detail(.error.as_deref(), .excerpt))]
    RetryLater {
        /// 429 or 503.
        status: StatusCode,
        /// How long the server asked to wait, from `Retry-After` (seconds or
        /// an HTTP date); `None` when it did not say or said it unreadably.
        retry_after: Option<Duration>,
        /// Kratos's error object, when the body is one.
        error: Option<Box<GenericError>>,
        /// The start of the body, with secrets blanked.
        excerpt: String,
    },

    /// A status the operation does not document, such as a redirect (which the
    /// client does not follow) or a success code other than the documented one.
    #[error("HTTP {status} is not an answer this operation documents: {excerpt}")]
    UnexpectedStatus {
        /// The status of the response.
        status: StatusCode,
        /// The start of the body, with secrets blanked.
        excerpt: String,
    },

    /// A page of a list whose `Link` header names a next page (`rel="next"`)
    /// without a `page_token` that can be read from it. Following it could
    /// only start the list again.
    #[error("HTTP {status}: the Link header names a next page without a page_token: {link}")]
    InvalidLink {
        /// The status of the response.
        status: StatusCode,
        /// The `Link` header, cut short.
        link: String,
    },
}

/// Everything but [`Error::Api`]: what the sending and reading code can
/// fail with. That code is not generic over the operation (it is compiled
/// once, not once per operation); `?` turns a `Failure` into the operation's
/// `Error<E>`.
#[derive(Debug)]
pub(crate) enum Failure {
    InvalidInput(String),
    Timeout {
        status: Option<StatusCode>,
        source: reqwest::Error,
    },
    Transport {
        status: Option<StatusCode>,
        source: reqwest::Error,
    },
    BodyTooLarge {
        status: StatusCode,
        limit: usize,
    },
    RetryLater {
        status: StatusCode,
        retry_after: Option<Duration>,
        error: Option<Box<GenericError>>,
        excerpt: String,
    },
    UnexpectedContentType {
        status: StatusCode,
        content_type: String,
        excerpt: String,
    },
    Decode {
        status: StatusCode,
        excerpt: String,
        source: DecodeError,
    },
    UnexpectedStatus {
        status: StatusCode,
        excerpt: String,
    },
    InvalidLink {
        status: StatusCode,
        link: String,
    },
}

impl<E> From<Failure> for Error<E> {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::InvalidInput(reason) => Error::InvalidInput(reason),
            Failure::Timeout { status, source } => Error::Timeout { status, source },
            Failure::Transport { status, source } => Error::Transport { status, source },
            Failure::BodyTooLarge { status, limit } => Error::BodyTooLarge { status, limit },
            Failure::RetryLater {
                status,
                retry_after,
                error,
                excerpt,
            } => Error::RetryLater {
                status,
                retry_after,
                error,
                excerpt,
            },
            Failure::UnexpectedContentType {
                status,
                content_type,
                excerpt,
            } => Error::UnexpectedContentType {
                status,
                content_type,
                excerpt,
            },
            Failure::Decode {
                status,
                excerpt,
                source,
            } => Error::Decode {
                status,
                excerpt,
                source,
            },
            Failure::UnexpectedStatus { status, excerpt } => {
                Error::UnexpectedStatus { status, excerpt }
            }
            Failure::InvalidLink { status, link } => Error::InvalidLink { status, link },
        }
    }
}

/// Why a body did not decode, as the JSON decoder said it, made safe to show:
/// the string values it quotes are left out (they are the server's data, and
/// can be long or secret) and the message is cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
    message: String,
}

/// The longest [`DecodeError`] message, in bytes.
const DECODE_MESSAGE_BYTES: usize = 200;

impl DecodeError {
    /// An empty or cut-off body (`Eof`), invalid JSON (`Syntax`), or JSON of
    /// another shape (`Data`).
    pub fn classify(&self) -> serde_json::error::Category {
        self.category
    }

    /// The line of the body where decoding stopped, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column of that line where decoding stopped, from 1.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl DecodeError {
    /// Where and why `body` did not decode. The reader's messages name
    /// types and fields, never the values it read.
    pub(crate) fn new(error: crate::decode::JsonError, body: &[u8]) -> Self {
        let before = &body[..error.at.min(body.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        let mut message = format!("{} at line {line} column {column}", error.message);
        cut_short(&mut message, DECODE_MESSAGE_BYTES);
        DecodeError {
            category: error.category,
            line,
            column,
            message,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

fn status_suffix(status: Option<StatusCode>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn retry_suffix(wait: Option<Duration>) -> String {
    match wait {
        Some(wait) => format!(" (in {} s)", wait.as_secs_f64().ceil()),
        None => String::new(),
    }
}

/// Kratos's message when the body is its error object, else the excerpt.
fn retry_detail(error: Option<&GenericError>, excerpt: &str) -> String {
    match error {
        Some(error) => summary(Some(error)),
        None => format!(": {excerpt}"),
    }
}

/// Implemented by every operation's error enum.
pub trait OperationError: std::error::Error {
    /// The HTTP status of the answer.
    fn status(&self) -> StatusCode;

    /// Kratos's error object (`id`, `message`, `reason`, ...), for the answers
    /// that carry one. A 400 that sends a flow back carries none.
    fn generic_error(&self) -> Option<&GenericError> {
        None
    }

    /// The whole standard error answer (`errorGeneric`), for the variants that
    /// carry exactly that.
    fn error_body(&self) -> Option<&ErrorGeneric> {
        None
    }

    /// The form of the flow Kratos sent back with a 400, refusing the input
    /// or asking for the next step: the same on every flow's update error
    /// (login, registration, settings, recovery, verification), `None` for
    /// any other answer. The flow itself, typed, is `flow()` on each.
    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    fn form(&self) -> Option<&crate::models::UiContainer> {
        None
    }

    /// The id of the flow whose form [`form`](Self::form) gives.
    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    fn flow_id(&self) -> Option<&str> {
        None
    }
}

impl<E: OperationError> Error<E> {
    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status()),
            Error::InvalidInput(_) => None,
            Error::Timeout { status, .. } | Error::Transport { status, .. } => *status,
            Error::BodyTooLarge { status, .. }
            | Error::RetryLater { status, .. }
            | Error::UnexpectedContentType { status, .. }
            | Error::Decode { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::InvalidLink { status, .. } => Some(*status),
        }
    }
}

impl<E: OperationError> Error<E> {
    /// Kratos's error object, when this is a documented error answer that
    /// has one, or a "try again later" answer whose body is one.
    pub fn generic_error(&self) -> Option<&GenericError> {
        match self {
            Error::RetryLater { error, .. } => error.as_deref(),
            _ => self.api().and_then(OperationError::generic_error),
        }
    }

    /// How long the server asked to wait before trying again, for a
    /// [`Error::RetryLater`] whose `Retry-After` could be read.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RetryLater { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The form of the flow a documented 400 sent back, on every flow's
    /// update error; see [`OperationError::form`]. With
    /// [`error_id`](Self::error_id) it reads any update's refusal one way:
    /// a form to show again, or an error to act on.
    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    pub fn form(&self) -> Option<&crate::models::UiContainer> {
        self.api().and_then(OperationError::form)
    }

    /// The id of the flow whose form [`form`](Self::form) gives.
    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    pub fn flow_id(&self) -> Option<&str> {
        self.api().and_then(OperationError::flow_id)
    }

    /// The Kratos error id of a documented error answer, as an [`ErrorId`].
    pub fn error_id(&self) -> Option<ErrorId> {
        self.generic_error().and_then(GenericError::error_id)
    }

    /// The id of the new flow Kratos made to continue with, when it sent
    /// one: for an expired flow (410 `self_service_flow_expired`), a
    /// replaced one (410 `self_service_flow_replaced`), or a code submitted
    /// more often than Kratos allows (a recovery's `Refused`, whose
    /// `details.continue_with` names the flow to show).
    pub fn replacement_flow_id(&self) -> Option<&str> {
        self.api()
            .and_then(OperationError::error_body)
            .and_then(ErrorGeneric::replacement_flow_id)
    }
}

impl<E> Error<E> {
    /// The documented error answer, if that is what this is.
    pub fn api(&self) -> Option<&E> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The same failure, with a documented error answer turned into another
    /// type by `f` (every other variant is kept as it is): for code that
    /// handles several operations' errors as one.
    pub fn map_api<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        match self {
            Error::Api(e) => Error::Api(f(e)),
            Error::InvalidInput(reason) => Error::InvalidInput(reason),
            Error::Timeout { status, source } => Error::Timeout { status, source },
            Error::Transport { status, source } => Error::Transport { status, source },
            Error::BodyTooLarge { status, limit } => Error::BodyTooLarge { status, limit },
            Error::UnexpectedContentType {
                status,
                content_type,
                excerpt,
            } => Error::UnexpectedContentType {
                status,
                content_type,
                excerpt,
            },
            Error::Decode {
                status,
                excerpt,
                source,
            } => Error::Decode {
                status,
                excerpt,
                source,
            },
            Error::RetryLater {
                status,
                retry_after,
                error,
                excerpt,
            } => Error::RetryLater {
                status,
                retry_after,
                error,
                excerpt,
            },
            Error::UnexpectedStatus { status, excerpt } => {
                Error::UnexpectedStatus { status, excerpt }
            }
            Error::InvalidLink { status, link } => Error::InvalidLink { status, link },
        }
    }
}

/// The error ids Kratos sends in its error bodies, as a type to match on.
///
/// Read one from an error body with [`GenericError::error_id`] or
/// [`ErrorGeneric::error_id`]. Ids this crate does not know are kept in
/// `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorId {
    /// `session_already_available`: the request carried a valid session, so
    /// there is nothing to register or log in.
    SessionAlreadyAvailable,
    /// `security_csrf_violation`: the CSRF check failed (browser flows).
    SecurityCsrfViolation,
    /// `security_identity_mismatch`: the flow belongs to another identity.
    SecurityIdentityMismatch,
    /// `session_inactive`: no active session was sent.
    SessionInactive,
    /// `session_refresh_required`: the session is too old for this action.
    SessionRefreshRequired,
    /// `session_aal1_required`: the action needs a first-factor session only.
    SessionAal1Required,
    /// `session_aal2_required`: the action needs a second factor.
    SessionAal2Required,
    /// `self_service_flow_expired`: the flow expired; start a new one.
    SelfServiceFlowExpired,
    /// `browser_location_change_required`: the user has to continue in a browser.
    BrowserLocationChangeRequired,
    /// `self_service_flow_disabled`: the server has this flow (registration,
    /// say) switched off.
    SelfServiceFlowDisabled,
    /// `self_service_flow_replaced`: another flow took this one's place.
    SelfServiceFlowReplaced,
    /// `self_service_flow_return_to_forbidden`: `return_to` is not on the
    /// server's list of allowed addresses.
    SelfServiceFlowReturnToForbidden,
    /// `session_verified_address_required`: the identity must verify an
    /// address first.
    SessionVerifiedAddressRequired,
    /// `session_aal_already_fulfilled`: the session already has the
    /// assurance level asked for.
    SessionAalAlreadyFulfilled,
    /// An id this version of the crate does not know, as sent.
    Unknown(String),
}

const KNOWN_IDS: &[(&str, ErrorId)] = &[
    (
        "session_already_available",
        ErrorId::SessionAlreadyAvailable,
    ),
    ("security_csrf_violation", ErrorId::SecurityCsrfViolation),
    (
        "security_identity_mismatch",
        ErrorId::SecurityIdentityMismatch,
    ),
    ("session_inactive", ErrorId::SessionInactive),
    ("session_refresh_required", ErrorId::SessionRefreshRequired),
    ("session_aal1_required", ErrorId::SessionAal1Required),
    ("session_aal2_required", ErrorId::SessionAal2Required),
    ("self_service_flow_expired", ErrorId::SelfServiceFlowExpired),
    (
        "browser_location_change_required",
        ErrorId::BrowserLocationChangeRequired,
    ),
    (
        "self_service_flow_disabled",
        ErrorId::SelfServiceFlowDisabled,
    ),
    (
        "self_service_flow_replaced",
        ErrorId::SelfServiceFlowReplaced,
    ),
    (
        "self_service_flow_return_to_forbidden",
        ErrorId::SelfServiceFlowReturnToForbidden,
    ),
    (
        "session_verified_address_required",
        ErrorId::SessionVerifiedAddressRequired,
    ),
    (
        "session_aal_already_fulfilled",
        ErrorId::SessionAalAlreadyFulfilled,
    ),
];

impl ErrorId {
    /// The id as Kratos writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorId::Unknown(id) => id,
            known => KNOWN_IDS
                .iter()
                .find(|(_, k)| k == known)
                .map(|(s, _)| *s)
                .unwrap_or(""),
        }
    }
}

impl From<&str> for ErrorId {
    fn from(id: &str) -> Self {
        KNOWN_IDS
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| ErrorId::Unknown(id.to_string()))
    }
}

impl std::fmt::Display for ErrorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl GenericError {
    /// The error's id as an [`ErrorId`], when the body has one.
    pub fn error_id(&self) -> Option<ErrorId> {
        self.id.as_deref().map(ErrorId::from)
    }

    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    /// The `continue_with` items Kratos put in the error's `details`: with
    /// 403 `session_verified_address_required` on login, the verification
    /// flow it started and sent a code for. Items that do not decode are
    /// left out.
    pub fn continue_with(&self) -> Vec<crate::models::ContinueWith> {
        self.details
            .as_ref()
            .and_then(|details| details.get("continue_with"))
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| crate::decode::from_value(item).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl ErrorGeneric {
    /// The error's id as an [`ErrorId`], when the body has one.
    pub fn error_id(&self) -> Option<ErrorId> {
        self.error.error_id()
    }
}

/// Kratos's message and id for `Display`, as `: message (id)`, or nothing
/// without an error object. A long message is cut short, and the secrets
/// of the request that the server sent back in it are blanked.
pub(crate) fn summary(error: Option<&GenericError>) -> String {
    let Some(error) = error else {
        return String::new();
    };
    let shown = |text: &str, max| quote(&error.echoed.text(text), &Redactor::default(), max);
    let message = shown(&error.message, SUMMARY_BYTES);
    let id = error.id.as_deref().map(|id| shown(id, SUMMARY_ID_BYTES));
    match (message.is_empty(), id) {
        (false, Some(id)) => format!(": {message} ({id})"),
        (false, None) => format!(": {message}"),
        (true, Some(id)) => format!(": {id}"),
        (true, None) => String::new(),
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary), marking the cut with `…`.
fn cut_short(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

/// How much of Kratos's error message `Display` shows at most.
const SUMMARY_BYTES: usize = 200;

/// How much of Kratos's error id `Display` shows at most (the longest id
/// Kratos has is under 40 bytes).
const SUMMARY_ID_BYTES: usize = 64;

/// A status code the generator wrote down, as a `StatusCode`.
pub(crate) fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// How many bytes of a body an error quotes at most.
const EXCERPT_BYTES: usize = 256;

/// How many bytes of a `Content-Type` an error quotes at most.
pub(crate) const CONTENT_TYPE_BYTES: usize = 128;

/// The start of a body as text for an error message: at most
/// [`EXCERPT_BYTES`], invalid UTF-8 replaced, control characters escaped,
/// the secrets `redactor` knows and the values of secret fields blanked.
pub(crate) fn excerpt(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".to_string();
    }
    // Look at a little more than we quote, so that a secret cut at the end of
    // the excerpt is still recognised and blanked.
    let window = &body[..body.len().min(EXCERPT_BYTES * 4)];
    let mut out = quote(&String::from_utf8_lossy(window), redactor, EXCERPT_BYTES);
    if window.len() < body.len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// `text` as an error shows it: secrets blanked, control characters
/// escaped, cut to about `max` bytes (marked with `…`).
pub(crate) fn quote(text: &str, redactor: &Redactor, max: usize) -> String {
    let text = redactor.text(text);
    let mut out = String::new();
    for c in text.chars() {
        if out.len() >= max {
            out.push('…');
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most `Debug` output an [`Error`] writes, in bytes (the `…` that marks a
/// cut aside); see [`Bounded`]. A 400 answer's flow with 26 form nodes takes
/// 12 KB, 34 KB pretty-printed: the bound is for hostile answers, not for those.
pub(crate) const DEBUG_BYTES: usize = 64 * 1024;

/// The most of each string that the `Debug` output of an [`Error`] shows, in bytes.
pub(crate) const DEBUG_STRING_BYTES: usize = 256;

/// A writer for `Debug` output that keeps it bounded whatever the server
/// sent: each string literal is cut to [`DEBUG_STRING_BYTES`] and the whole
/// to [`DEBUG_BYTES`], each cut marked with `…`.
struct Bounded {
    out: String,
    /// Inside a `"..."` literal: how many bytes of it were seen.
    string: Option<usize>,
    escaped: bool,
    full: bool,
}

impl Bounded {
    fn new() -> Self {
        Bounded {
            out: String::new(),
            string: None,
            escaped: false,
            full: false,
        }
    }

    fn push(&mut self, c: char) {
        if self.full {
            return;
        }
        if self.out.len() + c.len_utf8() > DEBUG_BYTES {
            self.out.push('…');
            self.full = true;
            return;
        }
        self.out.push(c);
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match self.string {
                None => {
                    if c == '"' {
                        self.string = Some(0);
                    }
                    self.push(c);
                }
                Some(seen) if c == '"' && !self.escaped => {
                    if seen > DEBUG_STRING_BYTES {
                        self.push('…');
                    }
                    self.string = None;
                    self.push(c);
                }
                Some(seen) => {
                    self.escaped = c == '\\' && !self.escaped;
                    let seen = seen + c.len_utf8();
                    self.string = Some(seen);
                    if seen <= DEBUG_STRING_BYTES {
                        self.push(c);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Writes what `debug` writes into `f`, bounded as [`Bounded`] says, keeping
/// `{:#?}` pretty.
pub(crate) fn bounded_debug(
    f: &mut fmt::Formatter<'_>,
    debug: impl Fn(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    struct With<F>(F);
    impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Debug for With<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (self.0)(f)
        }
    }
    let mut bounded = Bounded::new();
    if f.alternate() {
        write!(bounded, "{:#?}", With(debug))?;
    } else {
        write!(bounded, "{:?}", With(debug))?;
    }
    f.write_str(&bounded.out)
}

impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bounded_debug(f, |f| match self {
            Error::Api(e) => f.debug_tuple("Api").field(e).finish(),
            Error::InvalidInput(reason) => f.debug_tuple("InvalidInput").field(reason).finish(),
            Error::Timeout { status, source } => f
                .debug_struct("Timeout")
                .field("status", status)
                .field("source", source)
                .finish(),
            Error::Transport { status, source } => f
                .debug_struct("Transport")
                .field("status", status)
                .field("source", source)
                .finish(),
            Error::BodyTooLarge { status, limit } => f
                .debug_struct("BodyTooLarge")
                .field("status", status)
                .field("limit", limit)
                .finish(),
            Error::UnexpectedContentType {
                status,
                content_type,
                excerpt,
            } => f
                .debug_struct("UnexpectedContentType")
                .field("status", status)
                .field("content_type", content_type)
                .field("excerpt", excerpt)
                .finish(),
            Error::Decode {
                status,
                excerpt,
                source,
            } => f
                .debug_struct("Decode")
                .field("status", status)
                .field("excerpt", excerpt)
                .field("source", source)
                .finish(),
            Error::RetryLater {
                status,
                retry_after,
                error,
                excerpt,
            } => f
                .debug_struct("RetryLater")
                .field("status", status)
                .field("retry_after", retry_after)
                .field("error", error)
                .field("excerpt", excerpt)
                .finish(),
            Error::UnexpectedStatus { status, excerpt } => f
                .debug_struct("UnexpectedStatus")
                .field("status", status)
                .field("excerpt", excerpt)
                .finish(),
            Error::InvalidLink { status, link } => f
                .debug_struct("InvalidLink")
                .field("status", status)
                .field("link", link)
                .finish(),
        })
    }
}

/// The id of the flow that replaces an expired one: `use_flow_id` beside the
/// error when the server sent it there (`top`), else in the error's details,
/// where older servers put it.
pub(crate) fn replacement_flow_id<'a>(
    top: Option<&'a str>,
    error: &'a crate::models::GenericError,
) -> Option<&'a str> {
    let details = error.details.as_ref();
    top.or_else(|| details?.get("use_flow_id")?.as_str())
        .or_else(|| {
            // A code submitted too often: the new flow to show
            // (`show_recovery_ui`, `show_verification_ui`, ...).
            details?
                .get("continue_with")?
                .as_array()?
                .iter()
                .filter(|item| {
                    item.get("action")
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|action| {
                            action.starts_with("show_") && action.ends_with("_ui")
                        })
                })
                .find_map(|item| item.pointer("/flow/id")?.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt_of(body: &[u8]) -> String {
        excerpt(body, &Redactor::default())
    }

    #[test]
    fn excerpts_are_short_printable_and_secret_free() {
        assert_eq!(excerpt_of(b""), "(empty body)");
        assert_eq!(excerpt_of(b"<html>\n<h1>502</h1>"), "<html>\\n<h1>502</h1>");
        let long = vec![b'a'; 10_000];
        let e = excerpt_of(&long);
        assert!(e.ends_with('…') && e.len() < 300, "{e}");
        assert_eq!(excerpt_of(&[0xff, b'x']), "\u{fffd}x");
        let with_token = br#"{"session_token":"ory_st_supersecret","identity":{}}"#;
        assert!(!excerpt_of(with_token).contains("supersecret"));
        let echoed = br#"{"note": "you sent ory_st_abc123"}"#;
        let mut sent = Redactor::default();
        sent.add("ory_st_abc123");
        assert_eq!(excerpt(echoed, &sent), r#"{"note": "you sent <redacted>"}"#);
    }

    #[test]
    fn debug_output_is_bounded_per_string_and_in_all() {
        let long = "x".repeat(100_000);
        let err: Error<String> = Error::Api(long.clone());
        let debug = format!("{err:?}");
        assert!(debug.len() < DEBUG_STRING_BYTES + 32, "{}", debug.len());
        assert!(
            debug.starts_with("Api(\"xxx") && debug.ends_with("x…\")"),
            "{debug}"
        );
        let many: Error<Vec<String>> = Error::Api(vec!["y".repeat(200); 1000]);
        assert!(
            format!("{:?}", many.api()).len() > DEBUG_BYTES,
            "the test must pass the bound"
        );
        for text in [format!("{many:?}"), format!("{many:#?}")] {
            assert!(text.len() <= DEBUG_BYTES + '…'.len_utf8(), "{}", text.len());
            assert!(text.ends_with('…'));
        }
        // Quotes escaped inside a string do not end it.
        let quoted: Error<String> = Error::Api(format!("a\"{long}"));
        assert!(format!("{quoted:?}").len() < DEBUG_STRING_BYTES + 32);
        // Short values come out as `#[derive(Debug)]` would write them.
        let small: Error<String> = Error::UnexpectedStatus {
            status: StatusCode::FOUND,
            excerpt: "moved".into(),
        };
        assert_eq!(
            format!("{small:?}"),
            "UnexpectedStatus { status: 302, excerpt: \"moved\" }"
        );
        assert_eq!(
            format!("{small:#?}"),
            "UnexpectedStatus {\n    status: 302,\n    excerpt: \"moved\",\n}"
        );
    }

    #[test]
    fn error_ids_round_trip_and_keep_unknown_ones() {
        assert_eq!(
            ErrorId::from("session_already_available"),
            ErrorId::SessionAlreadyAvailable
        );
        assert_eq!(
            ErrorId::SecurityCsrfViolation.as_str(),
            "security_csrf_violation"
        );
        assert_eq!(
            ErrorId::from("brand_new_id"),
            ErrorId::Unknown("brand_new_id".into())
        );
        assert_eq!(ErrorId::from("brand_new_id").to_string(), "brand_new_id");
        for (text, id) in KNOWN_IDS {
            assert_eq!(id.as_str(), *text);
        }
    }

    #[test]
    fn decode_errors_say_where_and_leave_out_values() {
        let long = format!(
            r#"{{"name":
 "ory_st_{}"}}"#,
            "x".repeat(5000)
        );
        let source = crate::decode::from_slice::<GenericError>(long.as_bytes());
        let err = DecodeError::new(source.unwrap_err(), long.as_bytes());
        assert_eq!(
            err.to_string(),
            "missing field `message` at line 2 column 5012"
        );
        assert_eq!(err.classify(), serde_json::error::Category::Data);
        assert_eq!((err.line(), err.column()), (2, 5012));
        let typed = r#"{"code": "ory_st_secret", "message": ""}"#;
        let source = crate::decode::from_slice::<GenericError>(typed.as_bytes());
        let err = DecodeError::new(source.unwrap_err(), typed.as_bytes());
        assert_eq!(
            err.to_string(),
            "invalid type: string, expected i64 at line 1 column 10"
        );
        let huge = crate::decode::JsonError {
            category: serde_json::error::Category::Data,
            at: 0,
            message: "y".repeat(1000),
        };
        let err = DecodeError::new(huge, b"");
        assert!(err.to_string().len() <= DECODE_MESSAGE_BYTES + '…'.len_utf8());
    }

    #[test]
    fn summaries_show_message_and_id_only() {
        let error: GenericError = serde_json::from_value(serde_json::json!(
            {"id": "session_inactive", "message": "No session", "debug": "secret stuff"}
        ))
        .unwrap();
        assert_eq!(summary(Some(&error)), ": No session (session_inactive)");
        assert_eq!(summary(None), "");
        let long: GenericError =
            serde_json::from_value(serde_json::json!({"message": "é".repeat(500)})).unwrap();
        assert!(summary(Some(&long)).len() <= SUMMARY_BYTES + 6);
    }
}
