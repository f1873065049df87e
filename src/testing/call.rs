//! A request to the mock as its flow modules read it ([`Call`]), and a
//! submitted form ([`Form`]).

use serde_json::Value;
use url::Url;
use wiremock::Request;

use super::SESSION_COOKIE;

/// The first value of the query parameter `name` of `url`, decoded.
pub(super) fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A request as the flow modules read it.
pub(super) struct Call<'a>(pub(super) &'a Request);

impl Call<'_> {
    pub(super) fn method(&self) -> &str {
        self.0.method.as_str()
    }

    pub(super) fn path(&self) -> &str {
        self.0.url.path()
    }

    pub(super) fn query(&self, name: &str) -> Option<String> {
        query_value(&self.0.url, name)
    }

    /// Every value of the query parameter `name`, decoded.
    pub(super) fn query_all(&self, name: &str) -> Vec<String> {
        self.0
            .url
            .query_pairs()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// The first value of the header `name`, if it is text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.0.headers.get(name)?.to_str().ok()
    }

    /// The session token it carries: `X-Session-Token`, or the
    /// `ory_kratos_session` cookie, whose value in the mock is the session's
    /// token (Kratos seals its cookie; the mock does not).
    pub(super) fn token(&self) -> Option<&str> {
        if let Some(token) = self.0.headers.get("x-session-token") {
            return token.to_str().ok();
        }
        self.cookie(SESSION_COOKIE)
    }

    /// The value of the cookie `name`, if the request carries it.
    pub(super) fn cookie(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(crate::secret::cookie_pairs)
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    /// Whether it carries any credential Kratos reads: a session token or
    /// a `Cookie` header.
    pub(super) fn has_credentials(&self) -> bool {
        self.0.headers.contains_key("x-session-token") || self.0.headers.contains_key("cookie")
    }

    /// The body as JSON (`null` when it is not).
    pub(super) fn form(&self) -> Form {
        Form(serde_json::from_slice(&self.0.body).unwrap_or(Value::Null))
    }

    /// The address it was sent to, under the server's public URL, as
    /// Kratos writes it in a flow's `request_url`.
    pub(super) fn request_url(&self, base: &str) -> String {
        let mut url = format!("{base}{}", self.path());
        if let Some(query) = self.0.url.query() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// A submitted form.
pub(super) struct Form(pub(super) Value);

impl Form {
    /// The string field `name`, or `""`.
    pub(super) fn field(&self, name: &str) -> &str {
        self.0.get(name).and_then(Value::as_str).unwrap_or("")
    }

    /// The field `name` as sent.
    pub(super) fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}
