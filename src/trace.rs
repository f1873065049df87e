//! What the crate tells `tracing` (cargo feature `tracing`): one span per
//! operation sent, and events for retries and for answers that do not
//! decode.
//!
//! The span is `kratos_client.operation`, with the fields
//! `operation` (the document's operation id, such as `toSession`),
//! `http.method`, `path` (the template, such as `/admin/identities/{id}`:
//! never an id), and, once the answer is in, `status`, `duration_ms` and
//! `retries`. No field ever holds a token, a cookie, a key, a code, a path
//! value, a query or a body.

use std::time::Instant;

use tracing::field::Empty;
use tracing::Span;

use crate::error::Error;
use crate::{OperationError, Response};

/// The span of one operation, its answer's fields still empty.
pub(crate) fn operation_span(id: &'static str, method: &'static str, path: &'static str) -> Span {
    tracing::info_span!(
        target: "kratos_client",
        "kratos_client.operation",
        operation = id,
        http.method = method,
        path = path,
        status = Empty,
        duration_ms = Empty,
        retries = Empty,
    )
}

/// Records how the operation ended on its span, and a decode failure as an
/// event.
pub(crate) fn finish<T, E: OperationError>(
    span: &Span,
    started: Instant,
    result: &Result<Response<T>, Error<E>>,
) {
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    let status = match result {
        Ok(response) => Some(response.status()),
        Err(error) => error.status(),
    };
    if let Some(status) = status {
        span.record("status", status.as_u16());
    }
    if let Err(Error::Decode { status, source, .. }) = result {
        // The kind of failure only: the excerpt may quote the body.
        let _entered = span.enter();
        tracing::warn!(
            target: "kratos_client",
            status = status.as_u16(),
            kind = ?source.classify(),
            "the answer could not be decoded"
        );
    }
}

/// Tells that a request is sent again after `wait`, and counts it.
pub(crate) fn retry(attempt: u32, wait: std::time::Duration, reason: &'static str) {
    Span::current().record("retries", attempt.saturating_sub(1));
    tracing::info!(
        target: "kratos_client",
        attempt,
        wait_ms = wait.as_millis() as u64,
        reason,
        "retrying"
    );
}
