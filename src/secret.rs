//! Keeping credentials out of logs.

use std::fmt;

include!("secret_fields.rs");

/// A credential such as a session token: its text is never shown by `Debug`.
///
/// Operation builders take one for `session_token(...)`; anything that turns
/// into a `String` turns into a `Secret`.
///
/// ```
/// let token = kratos_client::Secret::from("ory_st_abc");
/// assert_eq!(format!("{token:?}"), "Secret(<redacted>)");
/// assert_eq!(token.expose(), "ory_st_abc");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's text, for when it has to be sent or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Secret(value.clone())
    }
}

/// What generated `Debug` impls print in place of a secret field's value.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Blanks the string values of [`SECRET_FIELDS`] in a piece of JSON text,
/// which may be cut short or not be JSON at all.
pub(crate) fn redact_json_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..=quote]);
        rest = &rest[quote + 1..];
        for key in SECRET_FIELDS {
            let Some(after_key) = rest.strip_prefix(key).and_then(|r| r.strip_prefix('"')) else {
                continue;
            };
            let after_colon = after_key.trim_start();
            let Some(after_colon) = after_colon.strip_prefix(':') else {
                continue;
            };
            let Some(value) = after_colon.trim_start().strip_prefix('"') else {
                continue;
            };
            // Skip to the closing quote, minding escapes; a cut-off value runs to the end.
            let mut end = value.len();
            let mut escaped = false;
            for (i, c) in value.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = i;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            out.push_str(key);
            out.push_str("\":\"<redacted>");
            rest = &value[end..];
            continue 'scan;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_blanked_in_json_text() {
        let text =
            r#"{"session_token": "ory_st_X\"Y", "identity": {"id": "1"}, "password":"hunter2"}"#;
        let redacted = redact_json_text(text);
        assert_eq!(
            redacted,
            r#"{"session_token":"<redacted>", "identity": {"id": "1"}, "password":"<redacted>"}"#
        );
    }

    #[test]
    fn cut_off_secrets_are_blanked_too() {
        assert_eq!(
            redact_json_text(r#"{"code":"12345"#),
            r#"{"code":"<redacted>"#
        );
        assert_eq!(
            redact_json_text("<html>not json</html>"),
            "<html>not json</html>"
        );
        // A key that merely starts like a secret one is left alone.
        assert_eq!(redact_json_text(r#"{"codes":"x"}"#), r#"{"codes":"x"}"#);
    }
}
