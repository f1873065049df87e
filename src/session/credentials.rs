//! Which credential of a request goes to Kratos, and the key it is cached
//! under.

use std::hash::{BuildHasher, Hasher};

use reqwest::header::{HeaderMap, AUTHORIZATION};

use crate::cookies::{CookieNames, SESSION_COOKIES};
use crate::Secret;

/// Where a request's credential may come from.
#[derive(Debug, Clone)]
pub(super) struct Sources {
    /// Cookie names forwarded to Kratos.
    pub(super) cookies: CookieNames,
    pub(super) session_token: bool,
    pub(super) bearer: bool,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            cookies: CookieNames::new(SESSION_COOKIES.iter().copied()),
            session_token: true,
            bearer: false,
        }
    }
}

/// The one credential of a request that is sent to Kratos.
pub(super) enum Credential {
    /// A session token, from `X-Session-Token` or `Authorization: Bearer`.
    Token(Secret),
    /// The allowed cookies of the `Cookie` header, as one header value.
    Cookies(Secret),
}

impl Sources {
    /// The credential of `headers`, by a fixed rule: `X-Session-Token`,
    /// then `Authorization: Bearer` (when allowed), then the allowed
    /// cookies (all of them, together); the first found is the one, and
    /// the others are not sent. Kratos reads a token before cookies too.
    pub(super) fn credential(&self, headers: &HeaderMap) -> Option<Credential> {
        if self.session_token {
            let token = headers
                .get_all("x-session-token")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::trim)
                .find(|v| !v.is_empty());
            if let Some(token) = token {
                return Some(Credential::Token(Secret::from(token)));
            }
        }
        if self.bearer {
            let token = headers
                .get_all(AUTHORIZATION)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| {
                    let (scheme, token) = v.trim().split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
                })
                .find(|t| !t.is_empty());
            if let Some(token) = token {
                return Some(Credential::Token(Secret::from(token)));
            }
        }
        self.cookies.cookie_header(headers).map(Credential::Cookies)
    }
}

/// A credential's cache key: 128 bits of SipHash under two random keys
/// chosen when the validator is made, so that neither the credential nor
/// anything an attacker could compute from it is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key(u64, u64);

/// Makes [`Key`]s with the keys of one validator.
pub(super) struct Keyer(
    std::collections::hash_map::RandomState,
    std::collections::hash_map::RandomState,
);

impl Keyer {
    pub(super) fn new() -> Self {
        use std::collections::hash_map::RandomState;
        Keyer(RandomState::new(), RandomState::new())
    }

    pub(super) fn key(&self, credential: &Credential) -> Key {
        let (kind, text) = match credential {
            Credential::Token(t) => (0u8, t.expose()),
            Credential::Cookies(c) => (1u8, c.expose()),
        };
        let hash = |state: &std::collections::hash_map::RandomState| {
            let mut hasher = state.build_hasher();
            hasher.write_u8(kind);
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        Key(hash(&self.0), hash(&self.1))
    }
}

/// A key for the cache's own tests.
#[cfg(test)]
pub(super) fn tests_key(n: u64) -> Key {
    Key(n, !n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn shown(credential: Option<Credential>) -> Option<String> {
        credential.map(|c| match c {
            Credential::Token(t) => format!("token {}", t.expose()),
            Credential::Cookies(c) => format!("cookies {}", c.expose()),
        })
    }

    #[test]
    fn only_kratos_cookies_are_forwarded() {
        let sources = Sources::default();
        let request = headers(&[(
            "cookie",
            "theme=dark; ory_kratos_session=abc; csrf_token_123=x; ory_session_acme=def; ory_session_=empty-slug",
        )]);
        assert_eq!(
            shown(sources.credential(&request)).as_deref(),
            Some("cookies ory_kratos_session=abc; ory_session_acme=def")
        );
        assert!(sources
            .credential(&headers(&[("cookie", "theme=dark; ory_kratos_session=")]))
            .is_none());
    }

    #[test]
    fn a_token_wins_over_cookies_and_bearer_counts_only_when_enabled() {
        let request = headers(&[
            ("cookie", "ory_kratos_session=abc"),
            ("authorization", "Bearer ory_st_bearer"),
            ("x-session-token", "ory_st_header"),
        ]);
        let mut sources = Sources::default();
        assert_eq!(
            shown(sources.credential(&request)).as_deref(),
            Some("token ory_st_header")
        );
        let bearer_and_cookie = headers(&[
            ("cookie", "ory_kratos_session=abc"),
            ("authorization", "bearer ory_st_bearer"),
        ]);
        assert_eq!(
            shown(sources.credential(&bearer_and_cookie)).as_deref(),
            Some("cookies ory_kratos_session=abc")
        );
        sources.bearer = true;
        assert_eq!(
            shown(sources.credential(&bearer_and_cookie)).as_deref(),
            Some("token ory_st_bearer")
        );
        sources.session_token = false;
        assert_eq!(
            shown(sources.credential(&request)).as_deref(),
            Some("token ory_st_bearer")
        );
        assert!(sources.credential(&HeaderMap::new()).is_none());
    }

    #[test]
    fn keys_differ_by_credential_and_kind_and_keep_nothing_of_it() {
        let keyer = Keyer::new();
        let a = keyer.key(&Credential::Token(Secret::from("abc")));
        assert_eq!(a, keyer.key(&Credential::Token(Secret::from("abc"))));
        assert_ne!(a, keyer.key(&Credential::Token(Secret::from("abd"))));
        assert_ne!(a, keyer.key(&Credential::Cookies(Secret::from("abc"))));
        // Another validator's keys are others.
        assert_ne!(a, Keyer::new().key(&Credential::Token(Secret::from("abc"))));
        assert!(!format!("{a:?}").contains("abc"));
    }
}
