//! When a signed-in user has to sign in again, and the login flow that
//! does it: a first-factor login on a server that wants a second factor,
//! `session_aal2_required`, and `session_refresh_required`.

use crate::models::SuccessfulNativeLogin;
use crate::operations::CreateNativeLoginFlow;
use crate::{Error, ErrorId, FrontendApi, OperationError, Secret};

/// Why Kratos wants a signed-in user to sign in again, read from its
/// answer. Native apps act on it with [`SignInAgain::login_flow`]; the
/// `redirect_browser_to` URL Kratos adds to these errors is for browsers
/// and is never followed by this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInAgain {
    /// The session is too old for what was asked (403
    /// `session_refresh_required`, typically a settings change after the
    /// privileged window): the user proves again who they are, with the
    /// same session, then the app resubmits.
    Refresh,
    /// The session has one factor and the server wants two (a first-factor
    /// login that came back without its identity, 403
    /// `session_aal2_required`): the user completes the second factor.
    SecondFactor,
}

impl SignInAgain {
    /// What an error id asks for, if it asks a signed-in user to sign in.
    pub fn from_error_id(id: &ErrorId) -> Option<Self> {
        match id {
            ErrorId::SessionRefreshRequired => Some(SignInAgain::Refresh),
            ErrorId::SessionAal2Required => Some(SignInAgain::SecondFactor),
            _ => None,
        }
    }

    /// The native login flow that does it for the session `session_token`:
    /// `refresh=true`, or `aal=aal2`. Add other setters (`return_to`, ...)
    /// before sending it.
    ///
    /// ```no_run
    /// # async fn run(api: kratos_client::FrontendApi, token: String) -> Result<(), Box<dyn std::error::Error>> {
    /// use kratos_client::SignInAgain;
    ///
    /// let flow = SignInAgain::SecondFactor.login_flow(&api, token).send().await?;
    /// println!("second factor methods: {:?}", flow.ui.methods());
    /// # Ok(())
    /// # }
    /// ```
    pub fn login_flow(
        self,
        api: &FrontendApi,
        session_token: impl Into<Secret>,
    ) -> CreateNativeLoginFlow {
        let flow = api.create_native_login_flow().session_token(session_token);
        match self {
            SignInAgain::Refresh => flow.refresh(true),
            SignInAgain::SecondFactor => flow.aal("aal2"),
        }
    }
}

impl<E: OperationError> Error<E> {
    /// Whether this refusal asks the signed-in user to sign in again, and
    /// how: from Kratos's error id (`session_refresh_required`,
    /// `session_aal2_required`), never from its text.
    pub fn sign_in_again(&self) -> Option<SignInAgain> {
        self.error_id()
            .as_ref()
            .and_then(SignInAgain::from_error_id)
    }
}

impl SuccessfulNativeLogin {
    /// Whether the server wants a second factor before this session counts
    /// as signed in.
    ///
    /// On a server that requires the highest assurance level an identity
    /// can reach, a first-factor login still answers 200 with a session
    /// token, but Kratos leaves the identity out of the session (so a
    /// phished password reveals nothing). That omission is the signal:
    /// continue with [`SignInAgain::SecondFactor`] and this session token.
    pub fn needs_second_factor(&self) -> bool {
        self.session.identity.is_none()
    }

    /// [`SignInAgain::SecondFactor`] when [`Self::needs_second_factor`].
    pub fn sign_in_again(&self) -> Option<SignInAgain> {
        self.needs_second_factor()
            .then_some(SignInAgain::SecondFactor)
    }
}
