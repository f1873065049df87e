//! What can go wrong when calling Kratos: the [`Error`] of every operation,
//! and the [`OperationError`] its documented answers implement.
//!
//! The parts live by job: [`ErrorId`] and the readers of Kratos's error
//! object in `body`, the type-erased [`AnyError`] in `any`, [`DecodeError`]
//! in `decode_error`, and how an error shows a server's text (excerpts,
//! quoting, bounded `Debug`) in `show`.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::models::{ErrorGeneric, GenericError};

mod any;
mod body;
mod decode_error;
mod show;

pub use any::{AnyError, ApiError};
pub(crate) use body::replacement_flow_id;
pub use body::ErrorId;
pub use decode_error::DecodeError;
#[cfg(feature = "session")]
pub(crate) use show::id_suffix;
pub(crate) use show::{bounded_debug, excerpt, quote, summary, CONTENT_TYPE_BYTES};
use show::{retry_detail, retry_suffix, status_suffix};

/// Declares [`Error`] with its failures other than `Api` and
/// `InvalidInput`, and writes from that one list what repeats per variant:
/// [`Error::map_api`], [`Error::status`] and the bounded `Debug`. Adding a
/// failure is one entry here (every one has a `status` field, an
/// `Option<StatusCode>` when it can happen before the answer started).
macro_rules! declare_error {
    ($(
        $(#[$meta:meta])*
        $variant:ident { $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ),* $(,)?) => {
        /// The error of every operation.
        ///
        /// `E` is the operation's own error enum (such as
        /// [`CreateNativeRegistrationFlowError`](crate::CreateNativeRegistrationFlowError)),
        /// with one variant per error answer the API documents. Everything else that
        /// can fail is a variant of its own, so that callers can tell a refusal from
        /// Kratos apart from a network problem or a response that makes no sense.
        /// A function that calls several operations returns [`AnyError`], which
        /// every `Error<E>` turns into with `?`.
        ///
        /// The answers it holds are as the server sent them; its `Display` and
        /// `Debug` blank the secrets the request carried wherever the server sent
        /// them back, and stay short whatever the server sent (see the README's
        /// "Errors" section for the bounds). The enum and each struct variant are
        /// `#[non_exhaustive]`: match the fields you read and end with `..`.
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

            $(
                $(#[$meta])*
                #[non_exhaustive]
                $variant { $( $(#[$field_meta])* $field: $ty ),* },
            )*
        }

        impl<E> Error<E> {
            /// The same failure, with a documented error answer turned into another
            /// type by `f` (every other variant is kept as it is).
            pub fn map_api<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
                match self {
                    Error::Api(e) => Error::Api(f(e)),
                    Error::InvalidInput(reason) => Error::InvalidInput(reason),
                    $( Error::$variant { $($field),* } => Error::$variant { $($field),* }, )*
                }
            }

            /// The HTTP status of a failure other than `Api`, when a response
            /// was received.
            fn failure_status(&self) -> Option<StatusCode> {
                match self {
                    Error::Api(_) | Error::InvalidInput(_) => None,
                    $( Error::$variant { status, .. } => HasStatus::status(status), )*
                }
            }
        }

        impl<E: fmt::Debug> fmt::Debug for Error<E> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                bounded_debug(f, |f| match self {
                    Error::Api(e) => f.debug_tuple("Api").field(e).finish(),
                    Error::InvalidInput(reason) => {
                        f.debug_tuple("InvalidInput").field(reason).finish()
                    }
                    $( Error::$variant { $($field),* } => f
                        .debug_struct(stringify!($variant))
                        $( .field(stringify!($field), $field) )*
                        .finish(), )*
                })
            }
        }
    };
}

/// A `status` field, whether or not it can be absent.
trait HasStatus {
    fn status(&self) -> Option<StatusCode>;
}

impl HasStatus for StatusCode {
    fn status(&self) -> Option<StatusCode> {
        Some(*self)
    }
}

impl HasStatus for Option<StatusCode> {
    fn status(&self) -> Option<StatusCode> {
        *self
    }
}

declare_error! {
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

/// No value: the `E` of a [`Failure`], which is never `Api`.
#[derive(Debug)]
pub(crate) enum NoAnswer {}

/// Every [`Error`] but `Api`: what the sending and reading code fails with.
/// That code is not generic over the operation (it is compiled once, not
/// once per operation); `?` turns a `Failure` into the operation's
/// `Error<E>`.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) Error<NoAnswer>);

impl<E> From<Failure> for Error<E> {
    fn from(failure: Failure) -> Self {
        failure.0.map_api(|never| match never {})
    }
}

/// Implemented by every operation's error enum.
pub trait OperationError: std::error::Error {
    /// The HTTP status of the answer.
    fn status(&self) -> StatusCode;

    /// Kratos's error object (`id`, `message`, `reason`, ...), for the answers
    /// that carry one. A 400 that sends a flow back carries none.
    ///
    /// This is the `error` inside the body; [`error_body`](Self::error_body)
    /// is the whole body around it.
    fn generic_error(&self) -> Option<&GenericError> {
        None
    }

    /// The whole standard error answer ([`ErrorGeneric`]: `{"error": {...}}`,
    /// whose `error` is the [`GenericError`] that
    /// [`generic_error`](Self::generic_error) gives), for the variants that
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
            other => other.failure_status(),
        }
    }

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
}

/// A status code the generator wrote down, as a `StatusCode`.
pub(crate) fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::show::{DEBUG_BYTES, DEBUG_STRING_BYTES};
    use super::*;

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
    fn map_api_keeps_every_other_failure_and_its_status() {
        let small: Error<u8> = Error::BodyTooLarge {
            status: StatusCode::OK,
            limit: 7,
        };
        let mapped: Error<String> = small.map_api(|n| n.to_string());
        assert!(matches!(
            mapped,
            Error::BodyTooLarge {
                status: StatusCode::OK,
                limit: 7
            }
        ));
        let failure = Failure(Error::UnexpectedStatus {
            status: StatusCode::FOUND,
            excerpt: String::new(),
        });
        let err: Error<u8> = failure.into();
        assert_eq!(err.failure_status(), Some(StatusCode::FOUND));
        assert_eq!(Error::<u8>::InvalidInput("x".into()).failure_status(), None);
        assert_eq!(Error::Api(1u8).map_api(|n| n + 1).api(), Some(&2));
    }
}
