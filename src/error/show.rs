//! How an error shows what a server sent: short, printable, secret-free.
//!
//! Excerpts of bodies, quoted texts and Kratos's message in `Display`; a
//! `Debug` writer that bounds whatever an answer holds.

use std::fmt::{self, Write as _};
use std::time::Duration;

use reqwest::StatusCode;

use crate::models::GenericError;
use crate::secret::Redactor;

pub(super) fn status_suffix(status: Option<StatusCode>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

pub(super) fn retry_suffix(wait: Option<Duration>) -> String {
    match wait {
        Some(wait) => format!(" (in {} s)", wait.as_secs_f64().ceil()),
        None => String::new(),
    }
}

/// Kratos's message when the body is its error object, else the excerpt.
pub(super) fn retry_detail(error: Option<&GenericError>, excerpt: &str) -> String {
    match error {
        Some(error) => summary(Some(error)),
        None => format!(": {excerpt}"),
    }
}

/// ` (id)` for the `Display` of the session check's and the browser
/// flows' refusals, or nothing without an id.
#[cfg(feature = "session")]
pub(crate) fn id_suffix(id: Option<&crate::ErrorId>) -> String {
    id.map(|id| format!(" ({id})")).unwrap_or_default()
}

/// Kratos's message and id for `Display`, as `: message (id)`, or nothing
/// without an error object. A long message is cut short, and the secrets
/// of the request that the server sent back in it are blanked.
pub(crate) fn summary(error: Option<&GenericError>) -> String {
    let Some(error) = error else {
        return String::new();
    };
    let shown = |text: &str, max| quote(&error.echoed.text(text), &Redactor::default(), max);
    let message = shown(&error.message, SUMMARY_BYTES);
    let id = error.id.as_deref().map(|id| shown(id, SUMMARY_ID_BYTES));
    match (message.is_empty(), id) {
        (false, Some(id)) => format!(": {message} ({id})"),
        (false, None) => format!(": {message}"),
        (true, Some(id)) => format!(": {id}"),
        (true, None) => String::new(),
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary), marking the cut with `…`.
pub(super) fn cut_short(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

/// How much of Kratos's error message `Display` shows at most.
const SUMMARY_BYTES: usize = 200;

/// How much of Kratos's error id `Display` shows at most (the longest id
/// Kratos has is under 40 bytes).
const SUMMARY_ID_BYTES: usize = 64;

/// How many bytes of a body an error quotes at most.
const EXCERPT_BYTES: usize = 256;

/// How many bytes of a `Content-Type` an error quotes at most.
pub(crate) const CONTENT_TYPE_BYTES: usize = 128;

/// The start of a body as text for an error message: at most
/// [`EXCERPT_BYTES`], invalid UTF-8 replaced, control characters escaped,
/// the secrets `redactor` knows and the values of secret fields blanked.
pub(crate) fn excerpt(body: &[u8], redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".to_string();
    }
    // Look at a little more than we quote, so that a secret cut at the end of
    // the excerpt is still recognised and blanked.
    let window = &body[..body.len().min(EXCERPT_BYTES * 4)];
    let mut out = quote(&String::from_utf8_lossy(window), redactor, EXCERPT_BYTES);
    if window.len() < body.len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// `text` as an error shows it: secrets blanked, control characters
/// escaped, cut to about `max` bytes (marked with `…`).
pub(crate) fn quote(text: &str, redactor: &Redactor, max: usize) -> String {
    let text = redactor.text(text);
    let mut out = String::new();
    for c in text.chars() {
        if out.len() >= max {
            out.push('…');
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most `Debug` output an [`Error`] writes, in bytes (the `…` that marks a
/// cut aside); see [`Bounded`]. A 400 answer's flow with 26 form nodes takes
/// 12 KB, 34 KB pretty-printed: the bound is for hostile answers, not for those.
pub(crate) const DEBUG_BYTES: usize = 64 * 1024;

/// The most of each string that the `Debug` output of an [`Error`] shows, in bytes.
pub(crate) const DEBUG_STRING_BYTES: usize = 256;

/// A writer for `Debug` output that keeps it bounded whatever the server
/// sent: each string literal is cut to [`DEBUG_STRING_BYTES`] and the whole
/// to [`DEBUG_BYTES`], each cut marked with `…`.
struct Bounded {
    out: String,
    /// Inside a `"..."` literal: how many bytes of it were seen.
    string: Option<usize>,
    escaped: bool,
    full: bool,
}

impl Bounded {
    fn new() -> Self {
        Bounded {
            out: String::new(),
            string: None,
            escaped: false,
            full: false,
        }
    }

    fn push(&mut self, c: char) {
        if self.full {
            return;
        }
        if self.out.len() + c.len_utf8() > DEBUG_BYTES {
            self.out.push('…');
            self.full = true;
            return;
        }
        self.out.push(c);
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match self.string {
                None => {
                    if c == '"' {
                        self.string = Some(0);
                    }
                    self.push(c);
                }
                Some(seen) if c == '"' && !self.escaped => {
                    if seen > DEBUG_STRING_BYTES {
                        self.push('…');
                    }
                    self.string = None;
                    self.push(c);
                }
                Some(seen) => {
                    self.escaped = c == '\\' && !self.escaped;
                    let seen = seen + c.len_utf8();
                    self.string = Some(seen);
                    if seen <= DEBUG_STRING_BYTES {
                        self.push(c);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Writes what `debug` writes into `f`, bounded as [`Bounded`] says, keeping
/// `{:#?}` pretty.
pub(crate) fn bounded_debug(
    f: &mut fmt::Formatter<'_>,
    debug: impl Fn(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    struct With<F>(F);
    impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Debug for With<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (self.0)(f)
        }
    }
    let mut bounded = Bounded::new();
    if f.alternate() {
        write!(bounded, "{:#?}", With(debug))?;
    } else {
        write!(bounded, "{:?}", With(debug))?;
    }
    f.write_str(&bounded.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt_of(body: &[u8]) -> String {
        excerpt(body, &Redactor::default())
    }

    #[test]
    fn excerpts_are_short_printable_and_secret_free() {
        assert_eq!(excerpt_of(b""), "(empty body)");
        assert_eq!(excerpt_of(b"<html>\n<h1>502</h1>"), "<html>\\n<h1>502</h1>");
        let long = vec![b'a'; 10_000];
        let e = excerpt_of(&long);
        assert!(e.ends_with('…') && e.len() < 300, "{e}");
        assert_eq!(excerpt_of(&[0xff, b'x']), "\u{fffd}x");
        let with_token = br#"{"session_token":"ory_st_supersecret","identity":{}}"#;
        assert!(!excerpt_of(with_token).contains("supersecret"));
        let echoed = br#"{"note": "you sent ory_st_abc123"}"#;
        let mut sent = Redactor::default();
        sent.add("ory_st_abc123");
        assert_eq!(excerpt(echoed, &sent), r#"{"note": "you sent <redacted>"}"#);
    }

    #[test]
    fn summaries_show_message_and_id_only() {
        let error: GenericError = serde_json::from_value(serde_json::json!(
            {"id": "session_inactive", "message": "No session", "debug": "secret stuff"}
        ))
        .unwrap();
        assert_eq!(summary(Some(&error)), ": No session (session_inactive)");
        assert_eq!(summary(None), "");
        let long: GenericError =
            serde_json::from_value(serde_json::json!({"message": "é".repeat(500)})).unwrap();
        assert!(summary(Some(&long)).len() <= SUMMARY_BYTES + 6);
    }
}
