//! Keeping credentials out of logs.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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
#[cfg_attr(
    not(any(feature = "frontend", feature = "identity")),
    allow(dead_code, reason = "only these groups' models have secret fields")
)]
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What generated `Debug` impls print for a free-form JSON field (an
/// identity credential's `config`, metadata, `details`): the JSON with the
/// values of secret-named keys (`initial_access_token`, `hashed_password`,
/// `password`, ...) blanked at any depth, as error bodies are.
#[cfg_attr(
    not(any(feature = "frontend", feature = "identity")),
    allow(dead_code, reason = "only these groups' models have free-form JSON")
)]
pub(crate) struct JsonDebug<'a, T: serde::Serialize>(pub(crate) &'a T);

impl<T: serde::Serialize> fmt::Debug for JsonDebug<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_value(self.0) {
            Ok(mut value) => {
                Redactor::default().json(&mut value);
                fmt::Debug::fmt(&value, f)
            }
            Err(_) => f.write_str("<not JSON>"),
        }
    }
}

/// What generated `Debug` prints for a form node's value: blanked when the
/// node is named like a secret field (`csrf_token`, `password`, `code`,
/// ...), else as [`JsonDebug`] prints it.
#[cfg_attr(
    not(feature = "frontend"),
    allow(dead_code, reason = "only the frontend's models have forms")
)]
pub(crate) struct NodeValue<'a, T: serde::Serialize>(pub(crate) &'a str, pub(crate) Option<&'a T>);

impl<T: serde::Serialize> fmt::Debug for NodeValue<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            None => f.write_str("None"),
            Some(_) if SECRET_FIELDS.contains(&self.0) => write!(f, "Some({REDACTED})"),
            Some(value) => write!(f, "Some({:?})", JsonDebug(value)),
        }
    }
}

/// What stands in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Secrets at least this long are blanked wherever they appear. Shorter ones
/// (a one-time code, a too-short password) are blanked only where they stand
/// alone, between characters that are not letters or digits: otherwise a
/// password such as `word` would blank part of every "password" in the
/// messages that come back with a rejected form.
const ANYWHERE_BYTES: usize = 8;

/// The secrets one request carried (session token, cookies, one-time codes,
/// passwords and other secret fields of its body, API keys), to blank
/// wherever the server sends them back, plus the values of [`SECRET_FIELDS`]
/// wherever they stand.
///
/// Every value of an error that came from the server goes through one: the
/// excerpts, the content type, and the decoded error and flow bodies.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Each secret as sent and as a server would echo it (JSON-escaped,
    /// form-encoded), longest first so that a secret holding another is
    /// blanked whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} forms)", self.secrets.len())
    }
}

impl Redactor {
    /// Blanks `secret` from now on, in the forms a server could echo it in
    /// and the form `Debug` shows a string holding it in.
    pub(crate) fn add(&mut self, secret: &str) {
        let unquote = |quoted: &str| {
            quoted
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .unwrap_or("")
                .to_string()
        };
        let escaped = unquote(&serde_json::to_string(secret).unwrap_or_default());
        let debugged = unquote(&format!("{secret:?}"));
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for form in [secret, &escaped, &debugged, &encoded] {
            if !form.is_empty() && !self.secrets.iter().any(|s| s == form) {
                self.secrets.push(form.to_string());
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Whether there is no secret to blank.
    pub(crate) fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Blanks a `Cookie` header's value, and each cookie's value on its own.
    pub(crate) fn add_cookies(&mut self, header: &str) {
        self.add(header);
        for (_, value) in cookie_pairs(header) {
            self.add(value);
        }
    }

    /// `text` with the secrets blanked, and the values of secret fields
    /// where it holds JSON (or a piece of it).
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.secrets_only(redact_json_text(text))
    }

    /// Whether `text` holds one of the secrets where [`text`](Self::text)
    /// would blank it.
    fn finds_secret_in(&self, text: &str) -> bool {
        matches!(self.secrets_only(Cow::Borrowed(text)), Cow::Owned(_))
    }

    /// `text` with the secrets blanked (and nothing else).
    fn secrets_only<'a>(&self, text: Cow<'a, str>) -> Cow<'a, str> {
        let mut out = text;
        for secret in &self.secrets {
            if !out.contains(secret.as_str()) {
                continue;
            }
            out = Cow::Owned(if secret.len() >= ANYWHERE_BYTES {
                out.replace(secret.as_str(), REDACTED)
            } else {
                replace_standalone(&out, secret)
            });
        }
        out
    }

    /// Blanks secrets in every string and key of `value`, and the string
    /// values of [`SECRET_FIELDS`] at any depth.
    pub(crate) fn json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                if let Cow::Owned(blanked) = self.text(text) {
                    *text = blanked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Value::Object(object) => {
                for (key, mut item) in std::mem::take(object) {
                    if item.is_string() && SECRET_FIELDS.contains(&key.as_str()) {
                        item = Value::from(REDACTED);
                    } else {
                        self.json(&mut item);
                    }
                    object.insert(self.text(&key).into_owned(), item);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// The secrets of a request that the server sent back inside its error
/// answer, kept beside the decoded answer so that its `Debug` (and the
/// `Display` of the error holding it) blanks them, while the values the app
/// reads stay exactly as the server sent them.
///
/// Empty (and free) unless the answer held one of the request's secrets: a
/// real Kratos never sends one back, but a password can be part of a trait
/// (`ada@example.com` holds `example`), and a debugging proxy may echo the
/// whole request.
#[derive(Clone, Default)]
pub(crate) struct Echoed(Option<Arc<Redactor>>);

impl Echoed {
    /// What of `redactor`'s secrets `body` holds: all of them, when it holds any.
    pub(crate) fn of(redactor: &Redactor, body: &[u8]) -> Self {
        match redactor.finds_secret_in(&String::from_utf8_lossy(body)) {
            true => Echoed(Some(Arc::new(redactor.clone()))),
            false => Echoed(None),
        }
    }

    /// `text` with the echoed secrets blanked.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.0 {
            Some(redactor) => redactor.secrets_only(Cow::Borrowed(text)),
            None => Cow::Borrowed(text),
        }
    }

    /// Writes what `debug` writes (pretty with `{:#?}`), the echoed secrets blanked.
    pub(crate) fn debug(
        &self,
        f: &mut fmt::Formatter<'_>,
        debug: impl Fn(&mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        let Some(redactor) = &self.0 else {
            return debug(f);
        };
        struct With<F>(F);
        impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Debug for With<F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                (self.0)(f)
            }
        }
        let shown = match f.alternate() {
            true => format!("{:#?}", With(debug)),
            false => format!("{:?}", With(debug)),
        };
        f.write_str(&redactor.secrets_only(Cow::Owned(shown)))
    }
}

/// Not part of the value: two answers are equal whatever their requests carried.
impl PartialEq for Echoed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The error answers (and Kratos's error object inside them) keep the
/// secrets their request carried when the server sent one back; see [`Echoed`].
pub(crate) trait Echo {
    /// Keeps `echoed` here and in the error objects this holds.
    fn echo(&mut self, echoed: &Echoed);
}

/// `text` with the occurrences of `secret` that stand alone blanked.
fn replace_standalone(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices(secret) {
        let end = at + secret.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if at < last
            || before.is_some_and(char::is_alphanumeric)
            || after.is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(REDACTED);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Blanks the string values of [`SECRET_FIELDS`] in a piece of JSON text,
/// which may be cut short or not be JSON at all.
pub(crate) fn redact_json_text(text: &str) -> Cow<'_, str> {
    if !text.contains('"') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
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
            out.push_str("\":\"");
            out.push_str(REDACTED);
            rest = &value[end..];
            changed = true;
            continue 'scan;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The `name=value` pairs of a `Cookie` header value (`a=1; b=2`), each
/// trimmed: how the redactor finds the values to blank, and how the cookie
/// filters and the mock read a request's cookies.
pub(crate) fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.trim(), value.trim()))
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

    fn redactor(secrets: &[&str]) -> Redactor {
        let mut redactor = Redactor::default();
        secrets.iter().for_each(|s| redactor.add(s));
        redactor
    }

    #[test]
    fn long_secrets_are_blanked_anywhere_short_ones_where_they_stand_alone() {
        let r = redactor(&["ory_st_0123456789", "4829"]);
        assert_eq!(
            r.text("X-Session-Token: ory_st_0123456789, glued:aory_st_0123456789b"),
            "X-Session-Token: <redacted>, glued:a<redacted>b"
        );
        assert_eq!(
            r.text("code=4829&x, code 4829, 48291, a4829"),
            "code=<redacted>&x, code <redacted>, 48291, a4829"
        );
        // A short password does not eat the messages about it.
        let r = redactor(&["word"]);
        assert_eq!(
            r.text("The password is too short: word"),
            "The password is too short: <redacted>"
        );
        assert!(matches!(r.text("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_are_blanked_as_a_server_would_echo_them() {
        let r = redactor(&["pa\"ss wörd&1"]);
        // In a JSON body echoed as text, and in a query string.
        assert_eq!(r.text(r#"{"x":"pa\"ss wörd&1"}"#), r#"{"x":"<redacted>"}"#);
        assert_eq!(r.text("?p=pa%22ss+w%C3%B6rd%261"), "?p=<redacted>");
        let mut cookies = Redactor::default();
        cookies.add_cookies("ory_kratos_session=C00kieValue1; theme=dark");
        assert_eq!(
            cookies.text("session C00kieValue1 in theme dark"),
            "session <redacted> in theme <redacted>"
        );
    }

    #[test]
    fn json_values_are_blanked_at_any_depth_keys_included() {
        let r = redactor(&["ory_st_0123456789"]);
        let mut value = serde_json::json!({
            "message": "you sent ory_st_0123456789",
            "details": {"ory_st_0123456789": [1, "ory_st_0123456789"], "password": "other", "code": 400},
        });
        r.json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "message": "you sent <redacted>",
                "details": {"<redacted>": [1, "<redacted>"], "password": "<redacted>", "code": 400},
            })
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
