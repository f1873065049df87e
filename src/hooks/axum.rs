//! Kratos's web hooks in an axum app: [`KratosHook`] checks the caller and
//! reads the context, and every [`HookAnswer`] is a response.
//!
//! ```no_run
//! use axum::{routing::post, Router};
//! use kratos_client::hooks::axum::KratosHook;
//! use kratos_client::hooks::{HookAnswer, HookCaller, Interrupt};
//!
//! async fn registration(hook: KratosHook) -> HookAnswer {
//!     match hook.context.trait_str("invite") {
//!         Some("welcome") => HookAnswer::Proceed,
//!         _ => HookAnswer::Interrupt(
//!             Interrupt::new().field_error("traits.invite", 4000001, "This invite code is not valid."),
//!         ),
//!     }
//! }
//!
//! let app: Router = Router::new()
//!     .route("/hooks/registration", post(registration))
//!     .with_state(HookCaller::api_key_header("X-Hook-Key", "s3cret"));
//! ```

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{HookAnswer, HookCaller, HookContext, HookRejection, PasswordMigration};

/// A hook request from Kratos: the caller checked against the app's
/// [`HookCaller`] (from the router's state) before the body is read, the
/// body read up to its limit as Kratos's context.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KratosHook {
    /// What Kratos sent.
    pub context: HookContext,
}

impl<S> FromRequest<S> for KratosHook
where
    HookCaller: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = checked_body(request, &HookCaller::from_ref(state)).await?;
        Ok(KratosHook {
            context: HookContext::from_slice(&body)?,
        })
    }
}

/// The body of `request` once `caller` has checked its headers, read up to
/// the caller's limit.
async fn checked_body(
    request: Request,
    caller: &HookCaller,
) -> Result<axum::body::Bytes, HookRejection> {
    caller.check(request.headers())?;
    let limit = caller.limit();
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| HookRejection::TooLarge { limit })
}

/// A password migration request from Kratos: the caller checked against
/// the app's [`HookCaller`] (from the router's state) before the body is
/// read, the body read as the identifier and the password.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KratosPasswordMigration {
    /// What Kratos sent; `Debug` hides the password.
    pub request: PasswordMigration,
}

impl<S> FromRequest<S> for KratosPasswordMigration
where
    HookCaller: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = checked_body(request, &HookCaller::from_ref(state)).await?;
        Ok(KratosPasswordMigration {
            request: PasswordMigration::from_slice(&body)?,
        })
    }
}

impl IntoResponse for HookAnswer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::OK);
        match self.body() {
            Some(body) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body.to_string(),
            )
                .into_response(),
            None => status.into_response(),
        }
    }
}

impl IntoResponse for HookRejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body().to_string(),
        )
            .into_response()
    }
}
