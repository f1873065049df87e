//! [`UnknownValue`]: what a newer server sent where this crate knows a
//! fixed list of values.

use std::fmt;

/// A value of a generated enum (or of [`ErrorId`](crate::ErrorId)) that
/// this version of the crate does not know, kept as the server sent it.
///
/// It is read through the enum's `as_str()`, which gives the same text
/// whether the value is known or not. It has no accessor of its own on
/// purpose: a `match` on its text would silently stop matching the day an
/// upgrade of this crate learns the value as a variant of its own.
///
/// ```
/// use kratos_client::models::AuthenticatorAssuranceLevel;
///
/// let level: AuthenticatorAssuranceLevel = "aal9".parse().unwrap();
/// assert!(matches!(level, AuthenticatorAssuranceLevel::Unknown(_)));
/// assert_eq!(level.as_str(), "aal9");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    pub(crate) fn new(value: &str) -> Self {
        UnknownValue(value.into())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
