//! Arbitrary answers to every operation: any status, a few content types
//! and Retry-After values, any body. Decoding must return a value or an
//! error, never panic; every error keeps the status and stays short.
#![no_main]

use kratos_client::operations::{
    CreateNativeRegistrationFlow, ExchangeSessionToken, GetRegistrationFlow, ToSession,
    UpdateRegistrationFlow,
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

/// The longest an error's message may be: an excerpt is 256 bytes, plus the
/// words around it and the decoder's own message.
const MAX_MESSAGE: usize = 1024;

fn check<T: std::fmt::Debug, E: OperationError + 'static>(status: StatusCode, result: Result<T, Error<E>>) {
    match result {
        Ok(value) => {
            let _ = format!("{value:?}");
        }
        Err(err) => {
            assert_eq!(err.status(), Some(status), "{err:?}");
            let _ = (err.error_id(), err.generic_error(), err.replacement_flow_id(), err.retry_after());
            let mut chain: Vec<String> = vec![err.to_string()];
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                chain.push(s.to_string());
                source = s.source();
            }
            for message in chain {
                let start: String = message.chars().take(200).collect();
                assert!(message.len() <= MAX_MESSAGE, "a message of {} bytes: {start}", message.len());
            }
            let _ = format!("{err:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let code = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let Ok(status) = StatusCode::from_u16(code) else { return };
    let mut headers = HeaderMap::new();
    if let Some(ct) = CONTENT_TYPES[usize::from(data[2]) % CONTENT_TYPES.len()] {
        headers.insert("content-type", ct.parse().expect("a valid header"));
    }
    if let Some(ra) = RETRY_AFTERS[usize::from(data[3]) % RETRY_AFTERS.len()] {
        headers.insert("retry-after", ra.parse().expect("a valid header"));
    }
    let body = &data[4..];

    check(status, CreateNativeRegistrationFlow::decode_response(status, &headers, body));
    check(status, GetRegistrationFlow::decode_response(status, &headers, body));
    check(status, ExchangeSessionToken::decode_response(status, &headers, body));
    check(status, ToSession::decode_response(status, &headers, body));
    let update = UpdateRegistrationFlow::decode_response(status, &headers, body);
    if let Err(Error::Api(kratos_client::UpdateRegistrationFlowError::BadRequest(flow))) = &update {
        let _ = (flow.inputs_for("password"), flow.errors(), flow.ui.methods(), flow.node("password"));
    }
    check(status, update);
    if let Ok(flow) = CreateNativeRegistrationFlow::decode_response(status, &headers, body) {
        let _ = (flow.inputs_for("password"), flow.messages(), flow.ui.methods(), flow.node("csrf_token"));
    }
});
