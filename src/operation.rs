//! What every operation shares, written once: sending the request, reading
//! the answer, the session-token setter, the error enums' `Display`.
//!
//! A generated operation is its own request (path, parameters, body) and its
//! own answer (a match on the status); it implements [`Operation`] with those
//! and calls [`impl_operation!`] for the rest.

use std::fmt;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::client::{RawResponse, Request};
use crate::error::Error;
use crate::{Client, OperationError, Response, Secret};

/// What every request builder holds besides its own parameters.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub(crate) client: Client,
    pub(crate) session_token: Option<Secret>,
}

impl Base {
    pub(crate) fn new(client: &Client) -> Self {
        Base {
            client: client.clone(),
            session_token: None,
        }
    }

    /// Starts a request to the path made of `segments`.
    pub(crate) fn request(&self, method: reqwest::Method, segments: &[&str]) -> Request {
        self.client.request(method, segments)
    }
}

/// An operation as the runtime sees it: implemented by each generated builder.
///
/// The generated `request` and `decode` are `#[inline]`: like the generic
/// code of [`send`], an operation's own code, and the decoders of the models
/// it reads, are compiled in the crate that uses the operation, and only if
/// it does. What all operations share (the client, the JSON reader,
/// redaction) is compiled once, here.
pub(crate) trait Operation {
    /// What a successful answer decodes to.
    type Output;
    /// The operation's own error enum.
    type Error: OperationError;
    /// The operation's id in the document, such as `toSession`.
    #[cfg_attr(
        not(feature = "tracing"),
        allow(dead_code, reason = "only the tracing span names it")
    )]
    const ID: &'static str;
    /// The HTTP method, such as `GET`.
    #[cfg_attr(
        not(feature = "tracing"),
        allow(dead_code, reason = "only the tracing span names it")
    )]
    const METHOD: &'static str;
    /// The path template, such as `/admin/identities/{id}`: never a value.
    #[cfg_attr(
        not(feature = "tracing"),
        allow(dead_code, reason = "only the tracing span names it")
    )]
    const PATH: &'static str;
    /// The statuses the document lists for the operation.
    const DOCUMENTED: &'static [u16];
    /// Whether the document puts the operation under its security scheme:
    /// the client's API key goes with it, and with no other.
    const AUTHORIZED: bool = false;

    /// The client and session token.
    fn base(&self) -> &Base;

    /// The request, with the operation's parameters and body.
    fn request(&self) -> Request;

    /// Decodes an answer by its status.
    fn decode(response: &RawResponse) -> Result<Self::Output, Error<Self::Error>>;
}

/// Sends `operation` and decodes the answer, keeping its status and headers.
/// With the `tracing` feature, inside a span of its own ([`crate::trace`]).
pub(crate) async fn send<O: Operation>(
    operation: &O,
) -> Result<Response<O::Output>, Error<O::Error>> {
    #[cfg(feature = "tracing")]
    {
        let span = crate::trace::operation_span(O::ID, O::METHOD, O::PATH);
        let started = std::time::Instant::now();
        let result = tracing::Instrument::instrument(send_untraced(operation), span.clone()).await;
        crate::trace::finish(&span, started, &result);
        result
    }
    #[cfg(not(feature = "tracing"))]
    send_untraced(operation).await
}

async fn send_untraced<O: Operation>(
    operation: &O,
) -> Result<Response<O::Output>, Error<O::Error>> {
    let base = operation.base();
    let mut request = operation.request();
    if let Some(token) = &base.session_token {
        request.secret_header("X-Session-Token", token);
    }
    if O::AUTHORIZED {
        if let Some(key) = base.client.api_key() {
            request.bearer(key);
        }
    }
    let response = base.client.execute(request, O::DOCUMENTED).await?;
    let value = O::decode(&response)?;
    Ok(response.into_response(value))
}

/// Decodes an answer that arrived some other way, by `O`'s rules.
pub(crate) fn decode_response<O: Operation>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<O::Output, Error<O::Error>> {
    let response = RawResponse::new(
        status,
        headers.clone(),
        body.to_vec(),
        O::DOCUMENTED,
        Default::default(),
    )?;
    O::decode(&response)
}

/// The `Display` of every operation's error enum: the status, and Kratos's
/// message and id when the answer carries its error object.
pub(crate) fn fmt_error<E: OperationError + ?Sized>(
    error: &E,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(
        f,
        "HTTP {}{}",
        error.status().as_u16(),
        crate::error::summary(error.generic_error())
    )
}

/// Writes what every operation's builder and error enum have in common:
/// `session_token`, `send`, `send_with_response`, `decode_response`, and
/// the error enum's `Display` and `Error`.
///
/// A list operation is written `impl_operation!(Builder, pages of Item,
/// Error)`: its answer is a `Page<Item>`. (Its `all()` and `items()` are
/// `paginate::impl_paginated!`'s, a floor above.)
macro_rules! impl_operation {
    ($builder:ident, pages of $item:ty, $error:ident) => {
        crate::operation::impl_operation!($builder, crate::Page<$item>, $error);
    };
    ($builder:ident, $output:ty, $error:ident) => {
        impl $builder {
            /// Sends a session token in the `X-Session-Token` header. It never
            /// appears in `Debug` output or errors.
            pub fn session_token(mut self, token: impl Into<crate::Secret>) -> Self {
                self.base.session_token = Some(token.into());
                self
            }

            /// Sends the request and decodes the answer.
            pub async fn send(self) -> Result<$output, crate::Error<$error>> {
                crate::operation::send(&self)
                    .await
                    .map(crate::Response::into_inner)
            }

            /// Sends the request and decodes the answer, keeping the HTTP
            /// status and response headers beside it (`Set-Cookie` of
            /// browser flows, `Ory-Session-Cache-For` of whoami, ...).
            pub async fn send_with_response(
                self,
            ) -> Result<crate::Response<$output>, crate::Error<$error>> {
                crate::operation::send(&self).await
            }

            /// Decodes an answer to this operation that arrived some other way
            /// (a recorded response, another HTTP stack) by the same rules as
            /// [`send`](Self::send): the same success type, error variants and
            /// decode errors.
            #[inline]
            pub fn decode_response(
                status: crate::StatusCode,
                headers: &crate::HeaderMap,
                body: &[u8],
            ) -> Result<$output, crate::Error<$error>> {
                crate::operation::decode_response::<Self>(status, headers, body)
            }
        }

        impl std::fmt::Display for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::operation::fmt_error(self, f)
            }
        }

        impl std::error::Error for $error {}

        impl From<crate::Error<$error>> for crate::AnyError {
            // Compiled where an app turns this error into `AnyError`, and
            // only if it does, like the operation's own code.
            #[inline]
            fn from(error: crate::Error<$error>) -> Self {
                error.map_api(crate::ApiError::new)
            }
        }
    };
}

pub(crate) use impl_operation;
