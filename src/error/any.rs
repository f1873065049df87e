//! [`AnyError`]: one error for `?` across operations.

use std::any::Any;
use std::fmt;

use reqwest::StatusCode;

use super::{Error, OperationError};
use crate::models::{ErrorGeneric, GenericError};

/// The error of any operation: what a function that calls several
/// operations returns, each call's `Error<E>` turned into it by `?`.
///
/// It is an [`Error`], so its failures match as every operation's do, and
/// it keeps what the caller acts on: [`status`](Error::status),
/// [`error_id`](Error::error_id), [`retry_after`](Error::retry_after),
/// [`sign_in_again`](Error::sign_in_again), the [`form`](Error::form) of a
/// refused flow. Its `Api` holds the operation's documented answer as an
/// [`ApiError`], whose [`downcast_ref`](ApiError::downcast_ref) gives back
/// the operation's own enum.
///
/// ```no_run
/// use kratos_client::{AnyError, FrontendApi, UpdateLoginFlowError};
/// use kratos_client::models::UpdateLoginFlowWithPasswordMethod as Password;
///
/// async fn sign_in(api: &FrontendApi, email: &str, password: &str) -> Result<String, AnyError> {
///     let flow = api.create_native_login_flow().send().await?;
///     let done = api.update_login_flow(&flow.id, Password::new(email, password)).send().await?;
///     Ok(done.session.id)
/// }
///
/// fn disabled(error: &AnyError) -> bool {
///     let refusal = error.api().and_then(|api| api.downcast_ref::<UpdateLoginFlowError>());
///     matches!(refusal, Some(UpdateLoginFlowError::Unauthorized(_)))
/// }
/// ```
pub type AnyError = Error<ApiError>;

/// The documented error answer of some operation, kept whole: the `Api`
/// of an [`AnyError`].
///
/// It reads as every operation's error enum does (it is an
/// [`OperationError`]: `status()`, `generic_error()`, `form()`, ...), shows
/// as that enum shows, and gives the enum back with
/// [`downcast_ref`](Self::downcast_ref) or [`downcast`](Self::downcast).
pub struct ApiError(Box<dyn Erased>);

/// An operation's error enum, behind a pointer that can give it back.
trait Erased: OperationError + Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<E: OperationError + Send + Sync + 'static> Erased for E {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl ApiError {
    /// Keeps `error`, an operation's error enum.
    pub(crate) fn new<E: OperationError + Send + Sync + 'static>(error: E) -> Self {
        ApiError(Box::new(error))
    }

    /// The operation's own error enum, when it is `E`.
    pub fn downcast_ref<E: OperationError + 'static>(&self) -> Option<&E> {
        self.0.as_any().downcast_ref()
    }

    /// The operation's own error enum, when it is `E`; else this error back.
    pub fn downcast<E: OperationError + 'static>(self) -> Result<E, Self> {
        if self.0.as_any().is::<E>() {
            match self.0.into_any().downcast() {
                Ok(error) => Ok(*error),
                // `is` said it is an `E`.
                Err(_) => unreachable!("the error was checked to be an E"),
            }
        } else {
            Err(self)
        }
    }
}

impl OperationError for ApiError {
    fn status(&self) -> StatusCode {
        self.0.status()
    }

    fn generic_error(&self) -> Option<&GenericError> {
        self.0.generic_error()
    }

    fn error_body(&self) -> Option<&ErrorGeneric> {
        self.0.error_body()
    }

    #[cfg(feature = "frontend")]
    fn form(&self) -> Option<&crate::models::UiContainer> {
        self.0.form()
    }

    #[cfg(feature = "frontend")]
    fn flow_id(&self) -> Option<&str> {
        self.0.flow_id()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
