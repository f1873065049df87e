//! A decoded answer together with its HTTP status and headers.

use std::fmt;
use std::ops::Deref;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;

/// A decoded answer with the HTTP status and response headers it came with,
/// as every builder's `send_with_response()` returns it.
///
/// Most callers want only the value, which plain `send()` returns. This is
/// for the answers whose headers matter: `Set-Cookie` of browser flows,
/// `Ory-Session-Cache-For` of whoami, `Link` of list operations. It
/// dereferences to the value; [`into_inner`](Self::into_inner) takes it out.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # let kratos = kratos_client::testing::MockKratos::start().await;
/// # let api = kratos.frontend();
/// let response = api.create_native_registration_flow().send_with_response().await?;
/// assert_eq!(response.status(), 200);
/// let content_type = response.header("content-type");
/// println!("flow {} sent as {content_type:?}", response.id); // the flow's fields, through Deref
/// let flow = response.into_inner();
/// # let _ = flow;
/// # Ok(())
/// # }
/// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
/// ```
///
/// `Debug` leaves out the values of the headers that carry credentials
/// (`Set-Cookie`, `Cookie`, `Authorization`, `X-Session-Token`).
#[derive(Clone)]
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    value: T,
}

/// Headers whose values `Debug` leaves out.
const SECRET_HEADERS: &[&str] = &["set-cookie", "cookie", "authorization", "x-session-token"];

/// `headers` for `Debug`: a map of names to values, with the values of the
/// headers that carry credentials left out.
pub(crate) struct DebugHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for DebugHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown: &dyn fmt::Debug = if SECRET_HEADERS.contains(&name.as_str()) {
                    &"<redacted>"
                } else {
                    value
                };
                (name.as_str(), shown)
            }))
            .finish()
    }
}

impl<T> Response<T> {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, value: T) -> Self {
        Response {
            status,
            headers,
            value,
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of the header `name` (in any case), when it is there
    /// and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        self.headers.get(name)?.to_str().ok()
    }

    /// The `Set-Cookie` headers of the answer, in order: what a server
    /// passing Kratos's answer on to a browser sends it (a renewed session
    /// cookie from whoami, a browser flow's CSRF cookie).
    pub fn set_cookies(&self) -> Vec<HeaderValue> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .cloned()
            .collect()
    }

    /// The decoded value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The decoded value, the status and the headers.
    pub fn into_parts(self) -> (T, StatusCode, HeaderMap) {
        (self.value, self.status, self.headers)
    }

    /// The same answer with its value turned into another.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            status: self.status,
            headers: self.headers,
            value: f(self.value),
        }
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &DebugHeaders(&self.headers))
            .field("value", &self.value)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_in_any_case_and_credentials_stay_out_of_debug() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "set-cookie",
            "ory_kratos_session=SeCrEt; Path=/".parse().unwrap(),
        );
        headers.insert("ory-session-cache-for", "60".parse().unwrap());
        let response = Response::new(StatusCode::OK, headers, vec![1, 2]);
        assert_eq!(response.header("Ory-Session-Cache-For"), Some("60"));
        assert_eq!(response.header("link"), None);
        assert_eq!(response.len(), 2, "derefs to the value");
        let debug = format!("{response:?}");
        assert!(!debug.contains("SeCrEt"), "{debug}");
        assert!(debug.contains("\"set-cookie\": \"<redacted>\""), "{debug}");
        assert!(
            debug.contains("\"ory-session-cache-for\": \"60\""),
            "{debug}"
        );
        let (value, status, headers) = response.map(|v| v.len()).into_parts();
        assert_eq!((value, status, headers.len()), (2, StatusCode::OK, 2));
    }
}
