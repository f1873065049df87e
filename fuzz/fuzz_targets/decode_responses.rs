//! Arbitrary answers to every operation: any status, any `Content-Type` and
//! `Retry-After` (made of the input's bytes, or picked from a list of
//! common ones), any body. Decoding must return a value or an error, never
//! panic; every error keeps the status, and its `Display`, `Debug` and
//! pretty `Debug` stay within the bounds the README documents.
//!
//! The input: two bytes of status, two of content-type length, one of
//! Retry-After length, one choosing between the bytes and the lists, then
//! the content type, the Retry-After value and the body.
#![no_main]

use kratos_client::operations::{
    CreateNativeRegistrationFlow, ExchangeSessionToken, GetRegistrationFlow, ListMySessions,
    ToSession, UpdateRegistrationFlow,
};
use kratos_client::{Error, HeaderMap, OperationError, StatusCode};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/problem+json"),
    Some("text/html"),
    Some("APPLICATION/JSON"),
    None,
];
const RETRY_AFTERS: &[Option<&str>] = &[None, Some("5"), Some("Sun, 06 Nov 1994 08:49:37 GMT"), Some("soon"), Some("99999999999999999999999")];

/// README: an error's `Display` is at most 1 KiB (the request URL of a
/// transport failure aside, which decoding never has).
const MAX_DISPLAY: usize = 1024;
/// README: an error's `Debug` is at most 64 KiB, plus the `…` of a cut.
const MAX_DEBUG: usize = 64 * 1024 + 3;

fn check<T: std::fmt::Debug, E: OperationError + std::fmt::Debug + 'static>(status: StatusCode, result: Result<T, Error<E>>) {
    match result {
        Ok(value) => {
            let _ = format!("{value:?}");
        }
        Err(err) => {
            assert_eq!(err.status(), Some(status), "{err:?}");
            let _ = (err.error_id(), err.generic_error(), err.replacement_flow_id(), err.retry_after());
            let display = err.to_string();
            let start: String = display.chars().take(200).collect();
            assert!(display.len() <= MAX_DISPLAY, "a Display of {} bytes: {start}", display.len());
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                let text = s.to_string();
                assert!(text.len() <= MAX_DISPLAY, "a source of {} bytes", text.len());
                source = s.source();
            }
            for debug in [format!("{err:?}"), format!("{err:#?}")] {
                assert!(debug.len() <= MAX_DEBUG, "a Debug of {} bytes", debug.len());
            }
        }
    }
}

/// A header value made of `bytes` when they can be one, else picked from
/// `list` by `choice`.
fn header(bytes: &[u8], use_bytes: bool, list: &[Option<&str>], choice: u8) -> Option<kratos_client::HeaderValue> {
    if use_bytes {
        kratos_client::HeaderValue::from_bytes(bytes).ok()
    } else {
        list[usize::from(choice) % list.len()].map(|v| v.parse().expect("a valid header"))
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let code = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let Ok(status) = StatusCode::from_u16(code) else { return };
    let rest = &data[6..];
    let content_type_len = usize::from(u16::from_le_bytes([data[2], data[3]]) % 4096).min(rest.len());
    let (content_type, rest) = rest.split_at(content_type_len);
    let retry_after_len = usize::from(data[4] % 64).min(rest.len());
    let (retry_after, body) = rest.split_at(retry_after_len);
    let choice = data[5];

    let mut headers = HeaderMap::new();
    if let Some(value) = header(content_type, choice & 1 == 1, CONTENT_TYPES, choice >> 1) {
        headers.insert("content-type", value);
    }
    if let Some(value) = header(retry_after, choice & 0x80 == 0x80, RETRY_AFTERS, choice >> 4) {
        headers.insert("retry-after", value);
    }

    check(status, CreateNativeRegistrationFlow::decode_response(status, &headers, body));
    check(status, GetRegistrationFlow::decode_response(status, &headers, body));
    check(status, ExchangeSessionToken::decode_response(status, &headers, body));
    check(status, ToSession::decode_response(status, &headers, body));
    // A list reads the Link header too: the content type's bytes stand in for one.
    let mut with_link = headers.clone();
    if let Ok(link) = kratos_client::HeaderValue::from_bytes(content_type) {
        with_link.insert("link", link);
    }
    if let Ok(page) = ListMySessions::decode_response(status, &with_link, body) {
        let _ = (page.next_page_token(), page.is_last());
    }
    check(status, ListMySessions::decode_response(status, &with_link, body));
    let update = UpdateRegistrationFlow::decode_response(status, &headers, body);
    if let Err(Error::Api(kratos_client::UpdateRegistrationFlowError::BadRequest(flow))) = &update {
        let _ = (flow.inputs_for("password"), flow.errors(), flow.ui.methods(), flow.node("password"));
    }
    check(status, update);
    if let Ok(flow) = CreateNativeRegistrationFlow::decode_response(status, &headers, body) {
        let _ = (flow.inputs_for("password"), flow.messages(), flow.ui.methods(), flow.node("csrf_token"));
    }
});
