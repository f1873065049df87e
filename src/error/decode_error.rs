//! [`DecodeError`]: why a body did not decode, safe to show.

/// Why a body did not decode, as the JSON decoder said it, made safe to show:
/// the string values it quotes are left out (they are the server's data, and
/// can be long or secret) and the message is cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
    message: String,
}

/// The longest [`DecodeError`] message, in bytes.
const DECODE_MESSAGE_BYTES: usize = 200;

impl DecodeError {
    /// An empty or cut-off body (`Eof`), invalid JSON (`Syntax`), or JSON of
    /// another shape (`Data`).
    pub fn classify(&self) -> serde_json::error::Category {
        self.category
    }

    /// The line of the body where decoding stopped, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column of that line where decoding stopped, from 1.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl DecodeError {
    /// Where and why `body` did not decode. The reader's messages name
    /// types and fields, never the values it read.
    pub(crate) fn new(error: crate::decode::JsonError, body: &[u8]) -> Self {
        let before = &body[..error.at.min(body.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        let mut message = format!("{} at line {line} column {column}", error.message);
        super::show::cut_short(&mut message, DECODE_MESSAGE_BYTES);
        DecodeError {
            category: error.category,
            line,
            column,
            message,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::GenericError;

    #[test]
    fn decode_errors_say_where_and_leave_out_values() {
        let long = format!(
            r#"{{"name":
 "ory_st_{}"}}"#,
            "x".repeat(5000)
        );
        let source = crate::decode::from_slice::<GenericError>(long.as_bytes());
        let err = DecodeError::new(source.unwrap_err(), long.as_bytes());
        assert_eq!(
            err.to_string(),
            "missing field `message` at line 2 column 5012"
        );
        assert_eq!(err.classify(), serde_json::error::Category::Data);
        assert_eq!((err.line(), err.column()), (2, 5012));
        let typed = r#"{"code": "ory_st_secret", "message": ""}"#;
        let source = crate::decode::from_slice::<GenericError>(typed.as_bytes());
        let err = DecodeError::new(source.unwrap_err(), typed.as_bytes());
        assert_eq!(
            err.to_string(),
            "invalid type: string, expected i64 at line 1 column 10"
        );
        let huge = crate::decode::JsonError {
            category: serde_json::error::Category::Data,
            at: 0,
            message: "y".repeat(1000),
        };
        let err = DecodeError::new(huge, b"");
        assert!(err.to_string().len() <= DECODE_MESSAGE_BYTES + '…'.len_utf8());
    }
}
