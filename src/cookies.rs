//! Which of a browser's cookies go to Kratos: Kratos's own, by name, and
//! never the app's. One rule for the session validator and the browser
//! flows.

use reqwest::header::{HeaderMap, COOKIE};

use crate::Secret;

/// Kratos's session cookie, and the Ory Network's (`ory_session_<slug>`):
/// what says who the user is.
pub(crate) const SESSION_COOKIES: &[&str] = &["ory_kratos_session", "ory_session_*"];

/// What a browser flow needs besides the [`SESSION_COOKIES`]: Kratos's
/// CSRF cookie (`csrf_token_<hash>`) and its continuity cookie (social
/// sign-in).
#[cfg_attr(
    not(feature = "browser"),
    allow(dead_code, reason = "only the browser flows send them")
)]
pub(crate) const FLOW_COOKIES: &[&str] = &["csrf_token_*", "ory_kratos_continuity"];

/// Cookie names that may reach Kratos; a name ending in `*` stands for
/// every longer name that starts with what comes before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieNames(pub(crate) Vec<String>);

impl CookieNames {
    pub(crate) fn new<I>(names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        CookieNames(names.into_iter().map(Into::into).collect())
    }

    pub(crate) fn allows(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|allowed| match allowed.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix) && name.len() > prefix.len(),
                None => allowed == name,
            })
    }

    /// The allowed cookies of `headers`' `Cookie` headers, as one `Cookie`
    /// value (`a=1; b=2`); `None` when there are none. Empty values are
    /// left out.
    pub(crate) fn cookie_header(&self, headers: &HeaderMap) -> Option<Secret> {
        let cookies: Vec<String> = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(crate::secret::cookie_pairs)
            .filter(|(name, value)| !value.is_empty() && self.allows(name))
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        (!cookies.is_empty()).then(|| Secret::new(cookies.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn only_allowed_names_pass_and_prefixes_need_more() {
        let names = CookieNames::new(SESSION_COOKIES.iter().chain(FLOW_COOKIES).copied());
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("theme=dark; csrf_token_ab12=x; ory_session_=y"),
        );
        headers.append(
            COOKIE,
            HeaderValue::from_static("ory_kratos_session=s; ory_session_acme=z; empty="),
        );
        let header = names.cookie_header(&headers).expect("some pass");
        assert_eq!(
            header.expose(),
            "csrf_token_ab12=x; ory_kratos_session=s; ory_session_acme=z"
        );
        assert!(!names.allows("csrf_token_"));
        assert!(CookieNames::new(SESSION_COOKIES.iter().copied())
            .cookie_header(&HeaderMap::new())
            .is_none());
    }
}
