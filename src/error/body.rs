//! Kratos's error object as the app reads it: its id as an [`ErrorId`],
//! the `continue_with` and replacement flow its details name.

use crate::models::{ErrorGeneric, GenericError};

/// The error ids Kratos sends in its error bodies, as a type to match on.
///
/// Read one from an error body with [`GenericError::error_id`] or
/// [`ErrorGeneric::error_id`]. Ids this crate does not know are kept in
/// `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorId {
    /// `session_already_available`: the request carried a valid session, so
    /// there is nothing to register or log in.
    SessionAlreadyAvailable,
    /// `security_csrf_violation`: the CSRF check failed (browser flows).
    SecurityCsrfViolation,
    /// `security_identity_mismatch`: the flow belongs to another identity.
    SecurityIdentityMismatch,
    /// `session_inactive`: no active session was sent.
    SessionInactive,
    /// `session_refresh_required`: the session is too old for this action.
    SessionRefreshRequired,
    /// `session_aal1_required`: the action needs a first-factor session only.
    SessionAal1Required,
    /// `session_aal2_required`: the action needs a second factor.
    SessionAal2Required,
    /// `self_service_flow_expired`: the flow expired; start a new one.
    SelfServiceFlowExpired,
    /// `browser_location_change_required`: the user has to continue in a browser.
    BrowserLocationChangeRequired,
    /// `self_service_flow_disabled`: the server has this flow (registration,
    /// say) switched off.
    SelfServiceFlowDisabled,
    /// `self_service_flow_replaced`: another flow took this one's place.
    SelfServiceFlowReplaced,
    /// `self_service_flow_return_to_forbidden`: `return_to` is not on the
    /// server's list of allowed addresses.
    SelfServiceFlowReturnToForbidden,
    /// `session_verified_address_required`: the identity must verify an
    /// address first.
    SessionVerifiedAddressRequired,
    /// `session_aal_already_fulfilled`: the session already has the
    /// assurance level asked for.
    SessionAalAlreadyFulfilled,
    /// An id this version of the crate does not know, as sent: read it
    /// with [`as_str`](Self::as_str).
    Unknown(crate::UnknownValue),
}

const KNOWN_IDS: &[(&str, ErrorId)] = &[
    (
        "session_already_available",
        ErrorId::SessionAlreadyAvailable,
    ),
    ("security_csrf_violation", ErrorId::SecurityCsrfViolation),
    (
        "security_identity_mismatch",
        ErrorId::SecurityIdentityMismatch,
    ),
    ("session_inactive", ErrorId::SessionInactive),
    ("session_refresh_required", ErrorId::SessionRefreshRequired),
    ("session_aal1_required", ErrorId::SessionAal1Required),
    ("session_aal2_required", ErrorId::SessionAal2Required),
    ("self_service_flow_expired", ErrorId::SelfServiceFlowExpired),
    (
        "browser_location_change_required",
        ErrorId::BrowserLocationChangeRequired,
    ),
    (
        "self_service_flow_disabled",
        ErrorId::SelfServiceFlowDisabled,
    ),
    (
        "self_service_flow_replaced",
        ErrorId::SelfServiceFlowReplaced,
    ),
    (
        "self_service_flow_return_to_forbidden",
        ErrorId::SelfServiceFlowReturnToForbidden,
    ),
    (
        "session_verified_address_required",
        ErrorId::SessionVerifiedAddressRequired,
    ),
    (
        "session_aal_already_fulfilled",
        ErrorId::SessionAalAlreadyFulfilled,
    ),
];

impl ErrorId {
    /// The id as Kratos writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorId::Unknown(id) => id.as_str(),
            known => KNOWN_IDS
                .iter()
                .find(|(_, k)| k == known)
                .map(|(s, _)| *s)
                .unwrap_or(""),
        }
    }
}

impl From<&str> for ErrorId {
    fn from(id: &str) -> Self {
        KNOWN_IDS
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| ErrorId::Unknown(crate::UnknownValue::new(id)))
    }
}

impl std::str::FromStr for ErrorId {
    type Err = std::convert::Infallible;

    /// Never fails: an id this crate does not know is kept in `Unknown`.
    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Ok(ErrorId::from(id))
    }
}

impl std::fmt::Display for ErrorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl GenericError {
    /// The error's id as an [`ErrorId`], when the body has one.
    pub fn error_id(&self) -> Option<ErrorId> {
        self.id.as_deref().map(ErrorId::from)
    }

    #[cfg(feature = "frontend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
    /// The `continue_with` items Kratos put in the error's `details`: with
    /// 403 `session_verified_address_required` on login, the verification
    /// flow it started and sent a code for. Items that do not decode are
    /// left out.
    pub fn continue_with(&self) -> Vec<crate::models::ContinueWith> {
        self.details
            .as_ref()
            .and_then(|details| details.get("continue_with"))
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| crate::decode::from_value(item).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl GenericError {
    /// Where Kratos would send a browser to go on (`details.redirect_browser_to`):
    /// with 403 `session_aal2_required`, the login page for the second
    /// factor.
    pub fn redirect_browser_to(&self) -> Option<&str> {
        self.details.as_ref()?.get("redirect_browser_to")?.as_str()
    }
}

impl ErrorGeneric {
    /// The error's id as an [`ErrorId`], when the body has one.
    pub fn error_id(&self) -> Option<ErrorId> {
        self.error.error_id()
    }
}

/// The id of the flow that replaces an expired one: `use_flow_id` beside the
/// error when the server sent it there (`top`), else in the error's details,
/// where older servers put it.
pub(crate) fn replacement_flow_id<'a>(
    top: Option<&'a str>,
    error: &'a crate::models::GenericError,
) -> Option<&'a str> {
    let details = error.details.as_ref();
    top.or_else(|| details?.get("use_flow_id")?.as_str())
        .or_else(|| {
            // A code submitted too often: the new flow to show
            // (`show_recovery_ui`, `show_verification_ui`, ...).
            details?
                .get("continue_with")?
                .as_array()?
                .iter()
                .filter(|item| {
                    item.get("action")
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|action| {
                            action.starts_with("show_") && action.ends_with("_ui")
                        })
                })
                .find_map(|item| item.pointer("/flow/id")?.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_ids_round_trip_and_keep_unknown_ones() {
        assert_eq!(
            ErrorId::from("session_already_available"),
            ErrorId::SessionAlreadyAvailable
        );
        assert_eq!(
            ErrorId::SecurityCsrfViolation.as_str(),
            "security_csrf_violation"
        );
        assert_eq!(
            "brand_new_id".parse::<ErrorId>(),
            Ok(ErrorId::Unknown(crate::UnknownValue::new("brand_new_id")))
        );
        assert_eq!(ErrorId::from("brand_new_id").to_string(), "brand_new_id");
        for (text, id) in KNOWN_IDS {
            assert_eq!(id.as_str(), *text);
        }
    }
}
