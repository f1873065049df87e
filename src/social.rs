//! Signing up or in with a social provider from a native app: the
//! browser leg, and the session-token exchange that ends it.
//!
//! A native app cannot receive Kratos's session cookie from the browser
//! that signs in at the provider, so Kratos hands over a code instead:
//!
//! 1. Start a native flow asking for an exchange code and naming where the
//!    browser comes back to:
//!    `create_native_registration_flow().return_session_token_exchange_code(true).return_to(..)`
//!    (or the login flow's).
//! 2. [`FrontendApi::sign_up_with_provider`] (or
//!    [`sign_in_with_provider`](FrontendApi::sign_in_with_provider))
//!    submits the provider; Kratos answers that a browser must go on, and
//!    you get a [`ProviderSignIn`].
//! 3. Open [`ProviderSignIn::browser_url`] in a browser
//!    (`ASWebAuthenticationSession`, Custom Tabs, the system browser with a
//!    loopback `return_to` for a CLI). The user signs in at the provider,
//!    which sends the browser to Kratos, which sends it on to `return_to`
//!    with a `code`.
//! 4. [`ProviderSignIn::finish`] with the address the browser came back
//!    to trades the code for the session token; when the browser came back
//!    without one, it reads from the flow why
//!    ([`ProviderSignInError::Refused`]).
//!
//! ```no_run
//! # async fn run(api: kratos_client::FrontendApi) -> Result<(), Box<dyn std::error::Error>> {
//! let flow = api
//!     .create_native_login_flow()
//!     .return_session_token_exchange_code(true)
//!     .return_to("myapp://signed-in")
//!     .send()
//!     .await?;
//! let sign_in = api.sign_in_with_provider(&flow, "google").await?;
//! // Open this in a browser; the app gets the address it comes back to.
//! println!("open {}", sign_in.browser_url());
//! # let came_back = "myapp://signed-in?code=...";
//! let signed_in = sign_in.finish(&api, came_back).await?;
//! let token = signed_in.session_token;
//! # Ok(())
//! # }
//! ```

use std::fmt;

use url::Url;

use crate::models::{
    FlowError, LoginFlow, RegistrationFlow, SuccessfulNativeLogin, UiText,
    UpdateLoginFlowWithOidcMethod, UpdateRegistrationFlowWithOidcMethod,
};
use crate::{
    AnyError, Error, FrontendApi, Secret, UpdateLoginFlowError, UpdateRegistrationFlowError,
};

/// The longest exchange code accepted from the address a browser came
/// back to; Kratos's are 64 characters.
const MAX_CODE: usize = 256;

/// Which flow a [`ProviderSignIn`] goes on from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Registration,
    Login,
}

/// A social sign-in waiting for its browser leg: where to send the
/// browser, and what finishes it when the browser comes back. Made by
/// [`FrontendApi::sign_up_with_provider`] and
/// [`FrontendApi::sign_in_with_provider`].
#[derive(Clone)]
pub struct ProviderSignIn {
    kind: Kind,
    flow_id: String,
    provider: String,
    browser_url: Url,
    return_to: Url,
    init_code: Secret,
}

impl fmt::Debug for ProviderSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSignIn")
            .field("flow_id", &self.flow_id)
            .field("provider", &self.provider)
            .field("browser_url", &without_query(&self.browser_url))
            .field("return_to", &without_query(&self.return_to))
            .finish_non_exhaustive()
    }
}

/// Why a social sign-in did not give a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderSignInError {
    /// The flow was not started for a native app's social sign-in: it has
    /// no exchange code (`return_session_token_exchange_code(true)`) or no
    /// `return_to`. Nothing was sent.
    #[error("the flow has no {missing}: start it with return_session_token_exchange_code(true) and return_to(..)")]
    NotForExchange {
        /// `session_token_exchange_code` or `return_to`.
        missing: &'static str,
    },
    /// Kratos refused the submission or the exchange (the flow expired,
    /// the provider is unknown, Kratos is unreachable, ...).
    #[error(transparent)]
    Kratos(#[from] AnyError),
    /// Kratos answered the submission without sending the browser anywhere
    /// (a 2xx, or a 422 without an `http`/`https` address to open).
    #[error("Kratos did not name a browser address to open (status {status})")]
    NoBrowserUrl {
        /// The status it answered with.
        status: u16,
    },
    /// The address the browser came back to is not the flow's `return_to`
    /// (another scheme, host or path), or not an address at all. Nothing
    /// was sent.
    #[error("the browser came back to another address than the flow's return_to")]
    ForeignReturn,
    /// The `code` the browser came back with is not one Kratos writes
    /// (empty, too long, or with characters outside `A-Z a-z 0-9 - _`).
    /// Nothing was sent.
    #[error("the code the browser came back with is malformed")]
    MalformedCode,
    /// The browser ended on Kratos's error page instead of coming back (the
    /// flow expired while the user was at the provider, the browser lost
    /// Kratos's cookie): the error Kratos kept for that page.
    #[error("the sign-in ended on Kratos's error page{}", error_summary(.error))]
    ErrorPage {
        /// The error, as `get_flow_error` reads it.
        error: Box<FlowError>,
    },
    /// The browser came back without a code: the user denied, or the
    /// provider's answer did not verify. Kratos's messages say why, as
    /// the flow now holds them.
    #[error("the provider sign-in was refused{}", first_message(.messages))]
    Refused {
        /// The flow's messages (4000001 with the reason, for most).
        messages: Vec<UiText>,
    },
    /// The provider's email belongs to an account that signs in another
    /// way. Kratos started the login flow `login_flow_id` for it: sign the
    /// user in there by a method the account has (a password, a code);
    /// Kratos then adds the provider to the account, and the session
    /// carries both methods.
    #[error("an account with this email exists: sign in to it to add the provider{}", first_message(.messages))]
    AccountExists {
        /// The login flow to sign in on.
        login_flow_id: String,
        /// Its messages (1010016, with the email and the provider).
        messages: Vec<UiText>,
    },
}

/// What the address a browser came back to carries.
enum CameBack {
    /// The code to exchange.
    Code(Secret),
    /// The login flow to link the provider on (`flow`).
    LinkOn(String),
    /// Neither.
    Nothing,
}

fn error_summary(error: &FlowError) -> String {
    let field = |name: &str| {
        error
            .error
            .as_ref()
            .and_then(|e| e.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match (field("id"), field("reason").or_else(|| field("message"))) {
        (Some(id), Some(reason)) => format!(" ({id}): {reason}"),
        (None, Some(reason)) => format!(": {reason}"),
        (Some(id), None) => format!(" ({id})"),
        (None, None) => String::new(),
    }
}

fn first_message(messages: &[UiText]) -> String {
    messages
        .first()
        .map(|m| format!(": {}", m.text))
        .unwrap_or_default()
}

/// What `came_back_to` carries, when it is `return_to`: a code Kratos could
/// have written, a flow to link on, or neither.
fn came_back(return_to: &Url, came_back_to: &str) -> Result<CameBack, ProviderSignInError> {
    if let Some(code) = code_from(return_to, came_back_to)? {
        return Ok(CameBack::Code(code));
    }
    let flow = Url::parse(came_back_to)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "flow")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        });
    Ok(flow.map_or(CameBack::Nothing, CameBack::LinkOn))
}

/// The `id` of an address that may be Kratos's error page (`?id=` and a
/// UUID-shaped value), to ask Kratos for the error.
fn error_page_id(address: &str) -> Option<String> {
    Url::parse(address)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
        .filter(|id| id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
}

/// The code of `came_back_to`, when it is `return_to` with a code Kratos
/// could have written: `Ok(None)` without one.
fn code_from(return_to: &Url, came_back_to: &str) -> Result<Option<Secret>, ProviderSignInError> {
    let back = Url::parse(came_back_to).map_err(|_| ProviderSignInError::ForeignReturn)?;
    let same = back.scheme() == return_to.scheme()
        && back.host_str() == return_to.host_str()
        && back.port_or_known_default() == return_to.port_or_known_default()
        && back.path() == return_to.path();
    if !same {
        return Err(ProviderSignInError::ForeignReturn);
    }
    let Some(code) = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let well_formed = !code.is_empty()
        && code.len() <= MAX_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match well_formed {
        true => Ok(Some(Secret::new(code.into_owned()))),
        false => Err(ProviderSignInError::MalformedCode),
    }
}

fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// What a native flow needs for a social sign-in: its exchange code and
/// where the browser comes back to.
fn exchange_parts(
    code: Option<&String>,
    return_to: Option<&String>,
) -> Result<(Secret, Url), ProviderSignInError> {
    let init_code = code
        .filter(|c| !c.is_empty())
        .ok_or(ProviderSignInError::NotForExchange {
            missing: "session_token_exchange_code",
        })?;
    let return_to =
        return_to
            .and_then(|r| Url::parse(r).ok())
            .ok_or(ProviderSignInError::NotForExchange {
                missing: "return_to",
            })?;
    Ok((Secret::new(init_code.clone()), return_to))
}

/// The address a 422 names, when it is one a browser can open.
fn browser_url(to: Option<&str>, status: u16) -> Result<Url, ProviderSignInError> {
    to.and_then(|to| Url::parse(to).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or(ProviderSignInError::NoBrowserUrl { status })
}

impl FrontendApi {
    /// Submits the social sign-in provider `provider` for the native
    /// registration `flow`, which must have been started with
    /// `return_session_token_exchange_code(true)` and a `return_to`; gives
    /// where to send the browser.
    pub async fn sign_up_with_provider(
        &self,
        flow: &RegistrationFlow,
        provider: &str,
    ) -> Result<ProviderSignIn, ProviderSignInError> {
        let parts = exchange_parts(
            flow.session_token_exchange_code.as_ref(),
            flow.return_to.as_ref(),
        )?;
        let body = UpdateRegistrationFlowWithOidcMethod::new(provider);
        let to = match self.update_registration_flow(&flow.id, body).send().await {
            Ok(_) => None,
            Err(Error::Api(UpdateRegistrationFlowError::UnprocessableEntity(answer))) => {
                Some(answer.redirect_browser_to)
            }
            Err(other) => return Err(AnyError::from(other).into()),
        };
        ProviderSignIn::waiting(Kind::Registration, &flow.id, provider, parts, to)
    }

    /// Submits the social sign-in provider `provider` for the native login
    /// `flow`, which must have been started with
    /// `return_session_token_exchange_code(true)` and a `return_to`; gives
    /// where to send the browser. Kratos signs up a person it does not
    /// know yet.
    pub async fn sign_in_with_provider(
        &self,
        flow: &LoginFlow,
        provider: &str,
    ) -> Result<ProviderSignIn, ProviderSignInError> {
        let parts = exchange_parts(
            flow.session_token_exchange_code.as_ref(),
            flow.return_to.as_ref(),
        )?;
        let body = UpdateLoginFlowWithOidcMethod::new(provider);
        let to = match self.update_login_flow(&flow.id, body).send().await {
            Ok(_) => None,
            Err(Error::Api(UpdateLoginFlowError::UnprocessableEntity(answer))) => {
                Some(answer.redirect_browser_to)
            }
            Err(other) => return Err(AnyError::from(other).into()),
        };
        ProviderSignIn::waiting(Kind::Login, &flow.id, provider, parts, to)
    }
}

impl ProviderSignIn {
    /// The sign-in once Kratos answered the submission: `to` is `None` for
    /// a success (no browser needed, which a provider never answers), the
    /// 422's address to open otherwise.
    fn waiting(
        kind: Kind,
        flow_id: &str,
        provider: &str,
        (init_code, return_to): (Secret, Url),
        to: Option<Option<String>>,
    ) -> Result<ProviderSignIn, ProviderSignInError> {
        let browser_url = match to {
            None => return Err(ProviderSignInError::NoBrowserUrl { status: 200 }),
            Some(to) => browser_url(to.as_deref(), 422)?,
        };
        Ok(ProviderSignIn {
            kind,
            flow_id: flow_id.to_string(),
            provider: provider.to_string(),
            browser_url,
            return_to,
            init_code,
        })
    }

    /// The address to open in a browser: the provider's sign-in page.
    pub fn browser_url(&self) -> &str {
        self.browser_url.as_str()
    }

    /// Where the browser comes back to when it is done (the flow's
    /// `return_to`).
    pub fn return_to(&self) -> &str {
        self.return_to.as_str()
    }

    /// The id of the flow the sign-in goes on from.
    pub fn flow_id(&self) -> &str {
        &self.flow_id
    }

    /// The provider the user signs in with.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Whether `address` is where this sign-in's browser comes back to
    /// (the flow's `return_to`, whatever its query): for an app that sees
    /// every address its browser is sent to.
    pub fn is_return(&self, address: &str) -> bool {
        !matches!(
            code_from(&self.return_to, address),
            Err(ProviderSignInError::ForeignReturn)
        )
    }

    /// Finishes the sign-in with the address the browser came back to:
    /// trades its `code` for the session token. Without a code (the user
    /// denied, the provider's answer did not verify), reads the flow's
    /// messages into [`ProviderSignInError::Refused`]; with a login flow to
    /// link the provider on, into [`ProviderSignInError::AccountExists`];
    /// with the address of Kratos's error page where the browser ended,
    /// reads the error into [`ProviderSignInError::ErrorPage`].
    pub async fn finish(
        &self,
        api: &FrontendApi,
        came_back_to: &str,
    ) -> Result<SuccessfulNativeLogin, ProviderSignInError> {
        let back = match came_back(&self.return_to, came_back_to) {
            // Not the way back: Kratos's error page, when the address names
            // an error Kratos kept.
            Err(ProviderSignInError::ForeignReturn) => {
                return Err(match error_page_id(came_back_to) {
                    Some(id) => match api.get_flow_error(id).send().await {
                        Ok(error) => ProviderSignInError::ErrorPage {
                            error: Box::new(error),
                        },
                        Err(_) => ProviderSignInError::ForeignReturn,
                    },
                    None => ProviderSignInError::ForeignReturn,
                });
            }
            other => other?,
        };
        let code = match back {
            CameBack::Code(code) => Some(code),
            CameBack::LinkOn(login_flow_id) => {
                let flow = api
                    .get_login_flow(&login_flow_id)
                    .send()
                    .await
                    .map_err(AnyError::from)?;
                return Err(ProviderSignInError::AccountExists {
                    login_flow_id,
                    messages: flow.ui.messages.unwrap_or_default(),
                });
            }
            CameBack::Nothing => None,
        };
        let Some(code) = code else {
            let messages = match self.kind {
                Kind::Registration => {
                    api.get_registration_flow(&self.flow_id)
                        .send()
                        .await
                        .map_err(AnyError::from)?
                        .ui
                        .messages
                }
                Kind::Login => {
                    api.get_login_flow(&self.flow_id)
                        .send()
                        .await
                        .map_err(AnyError::from)?
                        .ui
                        .messages
                }
            };
            return Err(ProviderSignInError::Refused {
                messages: messages.unwrap_or_default(),
            });
        };
        api.exchange_session_token(self.init_code.expose(), code.expose())
            .send()
            .await
            .map_err(|e| AnyError::from(e).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_return_address_with_a_well_formed_code_is_taken() {
        let back = Url::parse("myapp://signed-in").unwrap();
        let code = |at: &str| code_from(&back, at).map(|c| c.map(|c| c.expose().to_string()));
        assert_eq!(
            code("myapp://signed-in?code=Ab-9_z").unwrap().as_deref(),
            Some("Ab-9_z")
        );
        assert_eq!(code("myapp://signed-in").unwrap(), None);
        assert_eq!(code("myapp://signed-in?flow=1").unwrap(), None);
        for foreign in [
            "otherapp://signed-in?code=x",
            "myapp://elsewhere?code=x",
            "https://signed-in/?code=x",
            "not a url",
        ] {
            assert!(
                matches!(code(foreign), Err(ProviderSignInError::ForeignReturn)),
                "{foreign}"
            );
        }
        for odd in ["code=", "code=a%20b", "code=%3Cscript%3E", "code=a;b"] {
            assert!(
                matches!(
                    code(&format!("myapp://signed-in?{odd}")),
                    Err(ProviderSignInError::MalformedCode)
                ),
                "{odd}"
            );
        }
        let long = format!("myapp://signed-in?code={}", "a".repeat(MAX_CODE + 1));
        assert!(matches!(
            code(&long),
            Err(ProviderSignInError::MalformedCode)
        ));
        // A loopback return address: the port counts.
        let loopback = Url::parse("http://127.0.0.1:8765/callback").unwrap();
        assert!(code_from(&loopback, "http://127.0.0.1:8765/callback?code=x").is_ok());
        assert!(matches!(
            code_from(&loopback, "http://127.0.0.1:8766/callback?code=x"),
            Err(ProviderSignInError::ForeignReturn)
        ));
    }

    #[test]
    fn a_flow_to_link_on_is_read_when_there_is_no_code() {
        let back = Url::parse("myapp://signed-in").unwrap();
        let flow = "4156f36b-5190-417b-850b-f67c4a789d9f";
        let at = format!("myapp://signed-in?flow={flow}&no_org_ui=true");
        assert!(matches!(came_back(&back, &at), Ok(CameBack::LinkOn(id)) if id == flow));
        assert!(matches!(
            came_back(&back, "myapp://signed-in?flow=../../admin"),
            Ok(CameBack::Nothing)
        ));
        assert!(matches!(
            came_back(&back, &format!("{at}&code=abc")),
            Ok(CameBack::Code(_))
        ));
    }

    #[test]
    fn only_an_id_shaped_like_kratos_s_is_read_as_an_error_page() {
        let id = "549b253f-513e-4f4e-ac97-51601a41417b";
        assert_eq!(
            error_page_id(&format!(
                "https://www.ory.sh/kratos/docs/fallback/error?id={id}"
            ))
            .as_deref(),
            Some(id)
        );
        assert_eq!(error_page_id("https://app.example/error?id=../../x"), None);
        assert_eq!(error_page_id("https://app.example/error"), None);
    }

    #[test]
    fn only_a_browser_address_is_one_to_open() {
        assert!(browser_url(Some("https://accounts.example/authorize?x=1"), 422).is_ok());
        for bad in [
            None,
            Some(""),
            Some("javascript:alert(1)"),
            Some("myapp://x"),
            Some("/relative"),
        ] {
            assert!(
                matches!(
                    browser_url(bad, 422),
                    Err(ProviderSignInError::NoBrowserUrl { status: 422 })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn codes_stay_out_of_debug() {
        let sign_in = ProviderSignIn {
            kind: Kind::Login,
            flow_id: "f".into(),
            provider: "google".into(),
            browser_url: Url::parse("https://accounts.example/authorize?state=s3cret-state")
                .unwrap(),
            return_to: Url::parse("myapp://signed-in").unwrap(),
            init_code: Secret::new("s3cret-init"),
        };
        let shown = format!("{sign_in:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("google"));
    }
}
