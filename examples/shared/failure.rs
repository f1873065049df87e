//! The error of the example tools: any Kratos operation's error, kept whole
//! so that `main` can read its status, error id and `Retry-After` (every
//! operation's error turns into an [`AnyError`] with `?`), or anything else,
//! as text.

use kratos_client::AnyError;

#[derive(Debug)]
pub enum Failure {
    /// Kratos refused, or could not be reached.
    Kratos(AnyError),
    /// A file, a prompt, a setting, or a refusal the tool explains itself.
    Other(Box<dyn std::error::Error>),
}

impl Failure {
    /// Kratos's error, when that is what this is.
    pub fn kratos(&self) -> Option<&AnyError> {
        match self {
            Failure::Kratos(error) => Some(error),
            Failure::Other(_) => None,
        }
    }
}

impl<E> From<kratos_client::Error<E>> for Failure
where
    kratos_client::Error<E>: Into<AnyError>,
{
    fn from(error: kratos_client::Error<E>) -> Self {
        Failure::Kratos(error.into())
    }
}

macro_rules! other_failures {
    ($($from:ty),*) => {$(
        impl From<$from> for Failure {
            fn from(error: $from) -> Self {
                Failure::Other(error.into())
            }
        }
    )*};
}

other_failures!(
    String,
    &str,
    std::io::Error,
    serde_json::Error,
    reqwest::Error,
    kratos_client::ConfigError,
    kratos_client::testing::BrowserLegError
);

impl From<kratos_client::social::ProviderSignInError> for Failure {
    fn from(error: kratos_client::social::ProviderSignInError) -> Self {
        match error {
            kratos_client::social::ProviderSignInError::Kratos(error) => Failure::Kratos(error),
            other => Failure::Other(other.into()),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Kratos(error) => error.fmt(f),
            Failure::Other(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Failure {}
