//! Decoding answers into the generated models: one small JSON reader,
//! compiled once, and a [`Decode`] impl per model that the generator writes.
//!
//! serde's derived deserializers are generic over the deserializer and
//! carry visitors for maps and sequences, a field enum and a wrapper per
//! lenient field; compiled for every model, they were most of this crate's
//! build time (BENCHMARKS.md, "Our own decoders in place of serde's derive"). Here a model's decoder is one
//! plain function: it walks the object's keys through [`Reader::object`],
//! which is not generic, and reads each field with the [`Decode`] impl of
//! its type, which every model with a field of that type shares. The
//! generated decoders are `#[inline]`, like the operations that call them:
//! compiled in the crate that sends an operation reading the model, while
//! the reader is compiled once, here.
//!
//! The rules are serde_json's, and these:
//! unknown fields are skipped, an optional field may be missing or `null`,
//! a required field must be present (a lenient one reads `null` as empty),
//! a struct comes only from a JSON object, nesting stops at 128 levels, and
//! an error says where, with serde_json's categories.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::error::Category;
use serde_json::{Map, Number, Value};

/// Pushes `item`, growing `items` from one slot and doubling, so that the
/// lists of one item answers are full of take one allocation and no spare
/// slot (`Vec::push` starts at four). A decoded list does not grow again,
/// and the caller's `shrink_to_fit` trims the rest: spare capacity would
/// be kept as long as the value is, in a session cache for as long as the
/// session.
#[inline]
fn push_snug<T>(items: &mut Vec<T>, item: T) {
    if items.len() == items.capacity() {
        items.reserve_exact(items.len().max(1));
    }
    items.push(item);
}

/// The index of the first byte at or after `from` that ends a plain run of
/// a JSON string: a quote, a backslash or a control character (or the end
/// of `bytes`). Eight bytes at a time while none of them is one: strings
/// are most of what an answer is made of.
#[inline]
fn plain_run(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `x` is zero: the high bit of that byte is set in the result.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_ne_bytes(chunk);
        let quote = zero(word ^ u64::from_ne_bytes([b'"'; 8]));
        let backslash = zero(word ^ u64::from_ne_bytes([b'\\'; 8]));
        // Below 0x20: the subtraction borrows into the high bit, which a
        // byte of 0x80 or more (UTF-8) already has and so is not counted.
        let control = word.wrapping_sub(u64::from_ne_bytes([0x20; 8])) & !word & HIGHS;
        if quote | backslash | control != 0 {
            break;
        }
        from += 8;
    }
    while let Some(&b) = bytes.get(from) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        from += 1;
    }
    from
}

/// How deep arrays and objects may nest, as in serde_json.
const DEPTH_LIMIT: usize = 128;

/// Why a body did not decode, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub(crate) category: Category,
    /// The byte offset where decoding stopped.
    pub(crate) at: usize,
    pub(crate) message: String,
}

pub(crate) type Result<T> = std::result::Result<T, JsonError>;

/// A type read from JSON by this crate's reader.
pub(crate) trait Decode: Sized {
    fn decode(reader: &mut Reader<'_>) -> Result<Self>;
}

/// Decodes a whole body: one value, then only whitespace.
pub(crate) fn from_slice<T: Decode>(bytes: &[u8]) -> Result<T> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError {
        category: Category::Syntax,
        at: e.valid_up_to(),
        message: "invalid UTF-8".into(),
    })?;
    let mut reader = Reader::new(text);
    let value = T::decode(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// Whether `bytes` is a JSON object whose field `name` is an object: the
/// shape of Kratos's error answer, `{"error": {...}}`.
pub(crate) fn has_object_field(bytes: &[u8], name: &str) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut reader = Reader::new(text);
    let mut found = false;
    let read = reader.object("a map", &mut |r, key| {
        if key == name {
            found = r.peek() == Some(b'{');
        }
        r.skip()
    });
    read.is_ok() && reader.end().is_ok() && found
}

/// Decodes a `Value` by writing it out and reading it back, so that every
/// type has one decoder.
pub(crate) fn from_value<T: Decode>(value: &Value) -> Result<T> {
    let bytes = serde_json::to_vec(value).map_err(|e| JsonError {
        category: Category::Data,
        at: 0,
        message: e.to_string(),
    })?;
    from_slice(&bytes)
}

/// serde's `Deserialize` for a model, for users who keep models in their
/// own JSON: through a `Value`, then the model's one decoder.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Decode,
{
    let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
    from_value(&value).map_err(|e| <D::Error as serde::de::Error>::custom(e.message))
}

/// Writes `impl serde::Deserialize` for models through [`deserialize`].
macro_rules! impl_deserialize {
    ($($name:ident),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::decode::deserialize(deserializer)
            }
        }
    )*};
}
pub(crate) use impl_deserialize;

/// A cursor over a JSON text.
pub(crate) struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            text,
            at: 0,
            depth: 0,
        }
    }

    /// Refuses anything but whitespace after the value.
    fn end(&mut self) -> Result<()> {
        self.skip_whitespace();
        if self.at < self.text.len() {
            return Err(self.error(Category::Syntax, "trailing characters"));
        }
        Ok(())
    }

    fn error(&self, category: Category, message: impl Into<String>) -> JsonError {
        JsonError {
            category,
            at: self.at,
            message: message.into(),
        }
    }

    fn skip_whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte after whitespace, or an end-of-input error.
    fn peek_value(&mut self) -> Result<u8> {
        self.peek()
            .ok_or_else(|| self.error(Category::Eof, "EOF while parsing a value"))
    }

    /// An error for a value of the wrong kind, naming the kind found.
    fn invalid_type(&mut self, expected: &str) -> JsonError {
        let found = match self.peek() {
            None => return self.error(Category::Eof, "EOF while parsing a value"),
            Some(b'"') => Ok("string"),
            Some(b'{') => Ok("map"),
            Some(b'[') => Ok("sequence"),
            Some(b't') => self.word("true", "boolean"),
            Some(b'f') => self.word("false", "boolean"),
            Some(b'n') => self.word("null", "null"),
            Some(b'-' | b'0'..=b'9') => Ok("number"),
            Some(_) => return self.error(Category::Syntax, "expected value"),
        };
        match found {
            Ok(found) => self.error(
                Category::Data,
                format!("invalid type: {found}, expected {expected}"),
            ),
            Err(e) => e,
        }
    }

    /// `kind` if `word` is at the cursor, which stays; else the syntax
    /// error of a word that is not a value.
    fn word(&mut self, word: &str, kind: &'static str) -> Result<&'static str> {
        let at = self.at;
        self.literal(word)?;
        self.at = at;
        Ok(kind)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > DEPTH_LIMIT {
            return Err(self.error(Category::Syntax, "recursion limit exceeded"));
        }
        Ok(())
    }

    /// Whether the next value is `null`; consumes it if so.
    pub(crate) fn null(&mut self) -> Result<bool> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        let rest = &self.text.as_bytes()[self.at..];
        let n = word.len().min(rest.len());
        if rest[..n] != word.as_bytes()[..n] {
            return Err(self.error(Category::Syntax, "expected ident"));
        }
        if n < word.len() {
            self.at += n;
            return Err(self.error(Category::Eof, "EOF while parsing a value"));
        }
        self.at += n;
        Ok(())
    }

    /// Reads the fields of an object, handing each key to `field`, which
    /// must read (or [`skip`](Self::skip)) its value. `what` names the
    /// expected type in an error.
    pub(crate) fn object(
        &mut self,
        what: &str,
        field: &mut dyn FnMut(&mut Reader<'a>, &str) -> Result<()>,
    ) -> Result<()> {
        self.items(b'{', b'}', what, "an object", &mut |r| {
            match r.peek() {
                Some(b'"') => {}
                None => return Err(r.error(Category::Eof, "EOF while parsing an object")),
                Some(_) => return Err(r.error(Category::Syntax, "key must be a string")),
            }
            let key = r.string_token()?;
            match r.peek() {
                Some(b':') => r.at += 1,
                None => return Err(r.error(Category::Eof, "EOF while parsing an object")),
                Some(_) => return Err(r.error(Category::Syntax, "expected `:`")),
            }
            field(r, &key)
        })
    }

    /// Reads the items of an array, calling `item` for each.
    pub(crate) fn array(
        &mut self,
        what: &str,
        item: &mut dyn FnMut(&mut Reader<'a>) -> Result<()>,
    ) -> Result<()> {
        self.items(b'[', b']', what, "a list", item)
    }

    /// What objects and arrays share: the opening bracket (else a type
    /// error naming `what`), the depth, `item` for each member, the commas
    /// between them and the closing bracket. `kind` names the container in
    /// an end-of-input error.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        what: &str,
        kind: &str,
        item: &mut dyn FnMut(&mut Reader<'a>) -> Result<()>,
    ) -> Result<()> {
        if self.peek_value()? != open {
            return Err(self.invalid_type(what));
        }
        self.enter()?;
        self.at += 1;
        if self.peek() != Some(close) {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b) if b == close => break,
                    None => {
                        return Err(self.error(Category::Eof, format!("EOF while parsing {kind}")))
                    }
                    Some(_) => {
                        return Err(self.error(
                            Category::Syntax,
                            format!("expected `,` or `{}`", close as char),
                        ))
                    }
                }
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(())
    }

    /// Skips one value of any kind.
    pub(crate) fn skip(&mut self) -> Result<()> {
        match self.peek_value()? {
            b'{' => self.object("a map", &mut |r, _| r.skip()),
            b'[' => self.array("a sequence", &mut |r| r.skip()),
            b'"' => self.string_token().map(drop),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number_token().map(drop),
        }
    }

    /// Reads a string, with a closure so that an unescaped one is not copied.
    pub(crate) fn str_with<T>(&mut self, what: &str, read: impl FnOnce(&str) -> T) -> Result<T> {
        if self.peek_value()? != b'"' {
            return Err(self.invalid_type(what));
        }
        Ok(read(&self.string_token()?))
    }

    /// Reads a string enum through its `From<&str>`, which keeps unknown values.
    #[cfg_attr(
        not(any(feature = "frontend", feature = "identity", feature = "courier")),
        allow(dead_code, reason = "only these groups' models have enums")
    )]
    pub(crate) fn str_enum<T: for<'s> From<&'s str>>(&mut self) -> Result<T> {
        self.str_with("a string", |s| T::from(s))
    }

    /// Reads a string at the cursor (which is on its opening quote).
    fn string_token(&mut self) -> Result<Cow<'a, str>> {
        let bytes = self.text.as_bytes();
        self.at += 1;
        let start = self.at;
        // The common case: no escapes, borrowed as is.
        loop {
            self.at = plain_run(bytes, self.at);
            match bytes.get(self.at) {
                None => return Err(self.error(Category::Eof, "EOF while parsing a string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.at - 1]));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => {
                    return Err(self.error(
                        Category::Syntax,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
                Some(_) => self.at += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            let run = self.at;
            self.at = plain_run(bytes, self.at);
            out.push_str(&self.text[run..self.at]);
            match bytes.get(self.at) {
                None => return Err(self.error(Category::Eof, "EOF while parsing a string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.error(
                        Category::Syntax,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
            }
        }
    }

    /// Reads one escape (the backslash already read) into `out`.
    fn escape(&mut self, out: &mut String) -> Result<()> {
        let Some(&b) = self.text.as_bytes().get(self.at) else {
            return Err(self.error(Category::Eof, "EOF while parsing a string"));
        };
        self.at += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if !self.text[self.at..].starts_with("\\u") {
                            return Err(self
                                .error(Category::Syntax, "lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self
                                .error(Category::Syntax, "lone leading surrogate in hex escape"));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code).ok_or_else(|| {
                            self.error(Category::Syntax, "invalid unicode code point")
                        })?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(
                            self.error(Category::Syntax, "lone leading surrogate in hex escape")
                        )
                    }
                    code => char::from_u32(code).ok_or_else(|| {
                        self.error(Category::Syntax, "invalid unicode code point")
                    })?,
                }
            }
            _ => return Err(self.error(Category::Syntax, "invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let Some(digits) = self.text.get(self.at..self.at + 4) else {
            self.at = self.text.len();
            return Err(self.error(Category::Eof, "EOF while parsing a string"));
        };
        let code = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error(Category::Syntax, "invalid escape"))?;
        self.at += 4;
        Ok(code)
    }

    /// Reads a number at the cursor: its text, and whether it is an integer.
    fn number_token(&mut self) -> Result<(&'a str, bool)> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        if bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let eof_or = |r: &Self, message: &str| {
            if r.at >= bytes.len() {
                r.error(Category::Eof, "EOF while parsing a value")
            } else {
                r.error(Category::Syntax, message)
            }
        };
        match bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(eof_or(self, "expected value")),
        }
        let mut integer = true;
        if bytes.get(self.at) == Some(&b'.') {
            integer = false;
            self.at += 1;
            if digits(self) == 0 {
                return Err(eof_or(self, "invalid number"));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(self.at) {
            integer = false;
            self.at += 1;
            if let Some(b'+' | b'-') = bytes.get(self.at) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(eof_or(self, "invalid number"));
            }
        }
        Ok((&self.text[start..self.at], integer))
    }

    /// Reads a number as an `f64`.
    fn float(&mut self, what: &str) -> Result<f64> {
        match self.peek_value()? {
            b'-' | b'0'..=b'9' => {}
            _ => return Err(self.invalid_type(what)),
        }
        let (text, _) = self.number_token()?;
        text.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| self.error(Category::Syntax, "number out of range"))
    }

    /// Reads an integer that fits `i128`; fractions and exponents are refused.
    fn integer(&mut self, what: &str) -> Result<i128> {
        match self.peek_value()? {
            b'-' | b'0'..=b'9' => {}
            _ => return Err(self.invalid_type(what)),
        }
        let start = self.at;
        let (text, integer) = self.number_token()?;
        if !integer {
            self.at = start;
            return Err(self.error(
                Category::Data,
                format!("invalid type: floating point, expected {what}"),
            ));
        }
        text.parse::<i128>().map_err(|_| {
            self.error(
                Category::Data,
                format!("invalid value: integer, expected {what}"),
            )
        })
    }

    /// Reads any JSON value.
    pub(crate) fn json(&mut self) -> Result<Value> {
        Ok(match self.peek_value()? {
            b'{' => Value::Object(self.json_object()?),
            b'[' => {
                let mut items = Vec::new();
                self.array("a sequence", &mut |r| {
                    push_snug(&mut items, r.json()?);
                    Ok(())
                })?;
                items.shrink_to_fit();
                Value::Array(items)
            }
            b'"' => Value::String(self.string_token()?.into_owned()),
            b't' => self.literal("true").map(|()| Value::Bool(true))?,
            b'f' => self.literal("false").map(|()| Value::Bool(false))?,
            b'n' => self.literal("null").map(|()| Value::Null)?,
            _ => {
                let (text, integer) = self.number_token()?;
                // serde_json reads `-0` as the float it is.
                let number = if integer && text != "-0" {
                    text.parse::<i64>()
                        .map(Number::from)
                        .or_else(|_| text.parse::<u64>().map(Number::from))
                        .ok()
                } else {
                    None
                };
                match number {
                    Some(number) => Value::Number(number),
                    None => text
                        .parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map(Value::Number)
                        .ok_or_else(|| self.error(Category::Syntax, "number out of range"))?,
                }
            }
        })
    }

    fn json_object(&mut self) -> Result<Map<String, Value>> {
        let mut map = Map::new();
        self.object("a map", &mut |r, key| {
            let value = r.json()?;
            map.insert(key.to_owned(), value);
            Ok(())
        })?;
        Ok(map)
    }

    /// The string value of the field `name` of the object at the cursor,
    /// read ahead without moving the cursor: the tag of a union. `None`
    /// when the object lacks it or it is not a string.
    #[cfg_attr(
        not(feature = "frontend"),
        allow(dead_code, reason = "only the frontend's models have unions")
    )]
    pub(crate) fn tag(&mut self, name: &str, what: &str) -> Result<Option<String>> {
        let (at, depth) = (self.at, self.depth);
        let mut tag = None;
        self.object(what, &mut |r, key| {
            if key == name && tag.is_none() && r.peek() == Some(b'"') {
                tag = Some(r.string_token()?.into_owned());
                Ok(())
            } else {
                r.skip()
            }
        })?;
        (self.at, self.depth) = (at, depth);
        Ok(tag)
    }

    /// Reads a value of type `T`.
    pub(crate) fn read<T: Decode>(&mut self) -> Result<T> {
        T::decode(self)
    }

    /// Reads a field's value that may be `null`, which reads as `T`'s empty
    /// value: real servers send `null` for strings and lists the document
    /// calls required.
    pub(crate) fn lenient<T: Decode + Default>(&mut self) -> Result<T> {
        if self.null()? {
            return Ok(T::default());
        }
        T::decode(self)
    }

    /// The error for the first of a struct's required fields that is
    /// missing: `(name, missing)` for each.
    pub(crate) fn missing(&self, fields: &[(&str, bool)]) -> JsonError {
        let name = fields
            .iter()
            .find(|(_, missing)| *missing)
            .map_or("", |(name, _)| name);
        self.error(Category::Data, format!("missing field `{name}`"))
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.str_with("a string", str::to_owned)
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.peek_value()? {
            b't' => r.literal("true").map(|()| true),
            b'f' => r.literal("false").map(|()| false),
            _ => Err(r.invalid_type("a boolean")),
        }
    }
}

impl Decode for f64 {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.float("f64")
    }
}

macro_rules! decode_integers {
    ($($t:ident)*) => {$(
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self> {
                let start = r.at;
                let n = r.integer(stringify!($t))?;
                $t::try_from(n).map_err(|_| JsonError {
                    category: Category::Data,
                    at: start,
                    message: format!("invalid value: integer out of range, expected {}", stringify!($t)),
                })
            }
        }
    )*};
}
decode_integers!(i64 i32 u64 u32 u16 u8);

impl Decode for Value {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.json()
    }
}

impl Decode for Map<String, Value> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.json_object()
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        if r.null()? {
            return Ok(None);
        }
        T::decode(r).map(Some)
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        T::decode(r).map(Box::new)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let mut items = Vec::new();
        r.array("a sequence", &mut |r| {
            push_snug(&mut items, T::decode(r)?);
            Ok(())
        })?;
        items.shrink_to_fit();
        Ok(items)
    }
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let mut map = BTreeMap::new();
        r.object("a map", &mut |r, key| {
            map.insert(key.to_owned(), T::decode(r)?);
            Ok(())
        })?;
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_eight_byte_scan_stops_where_the_byte_loop_would() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len())
                .find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(bytes.len())
        };
        // Every stop byte at every offset of a 20-byte run of plain text
        // and UTF-8 (bytes of 0x80 and more are never a stop), from every
        // start.
        let plain = "ab\u{e9}cd\u{2603}efghij\u{7f}kl".as_bytes().to_vec();
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..plain.len() {
                let mut bytes = plain.clone();
                bytes[at] = stop;
                for from in 0..bytes.len() {
                    assert_eq!(
                        plain_run(&bytes, from),
                        naive(&bytes, from),
                        "{bytes:?} {from}"
                    );
                }
            }
        }
        assert_eq!(plain_run(&plain, 0), plain.len());
        assert_eq!(plain_run(b"", 0), 0);
    }

    fn error<T: Decode + std::fmt::Debug>(text: &str) -> (Category, String) {
        let e = from_slice::<T>(text.as_bytes()).unwrap_err();
        (e.category, e.message)
    }

    #[test]
    fn any_json_reads_as_serde_json_reads_it() {
        for text in [
            r#"{"a": [1, -2, 3.5, 1e3, 18446744073709551615, 18446744073709551616], "b": {"c": null}}"#,
            r#"["\u00e9\ud83d\ude00\n\"\\\/ \b\f\r\t", "plain", "", "mixed é \u0041 tail"]"#,
            "  true ",
            "false",
            "-0",
            "0.25e-2",
            r#"{"dup": 1, "dup": 2}"#,
        ] {
            let ours = from_slice::<Value>(text.as_bytes()).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    #[test]
    fn malformed_json_fails_in_serde_json_categories() {
        for (text, category) in [
            ("", Category::Eof),
            ("{\"a\": ", Category::Eof),
            ("[1, 2", Category::Eof),
            ("\"abc", Category::Eof),
            ("tru", Category::Eof),
            ("nul x", Category::Syntax),
            ("{'a': 1}", Category::Syntax),
            ("{\"a\" 1}", Category::Syntax),
            ("[1 2]", Category::Syntax),
            ("01", Category::Syntax),
            ("1.", Category::Eof),
            ("1.x", Category::Syntax),
            ("-", Category::Eof),
            ("\"\\x\"", Category::Syntax),
            ("\"\\ud800\"", Category::Syntax),
            ("\"a\u{1}b\"", Category::Syntax),
            ("1e999", Category::Syntax),
            ("{} x", Category::Syntax),
            ("not json", Category::Syntax),
            ("nonsense", Category::Syntax),
        ] {
            assert_eq!(error::<Value>(text).0, category, "{text:?}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
        }
        assert!(from_slice::<Value>(b"\"\xff\"").is_err());
    }

    #[test]
    fn nesting_stops_at_the_limit_without_overflowing() {
        let deep = "[".repeat(100_000);
        let (category, message) = error::<Value>(&deep);
        assert_eq!(
            (category, message.as_str()),
            (Category::Syntax, "recursion limit exceeded")
        );
        let ok = format!("{}{}", "[".repeat(DEPTH_LIMIT), "]".repeat(DEPTH_LIMIT));
        assert!(from_slice::<Value>(ok.as_bytes()).is_ok());
        let skipped = format!("{{\"x\": {}}}", "{\"y\": ".repeat(200));
        let mut r = Reader::new(&skipped);
        assert_eq!(r.skip().unwrap_err().message, "recursion limit exceeded");
        assert!(!has_object_field(skipped.as_bytes(), "x"));
    }

    #[test]
    fn scalars_are_typed_and_name_what_they_expected() {
        assert_eq!(from_slice::<i64>(b"-42").unwrap(), -42);
        assert_eq!(from_slice::<u8>(b"255").unwrap(), 255);
        assert_eq!(
            error::<u8>("256"),
            (
                Category::Data,
                "invalid value: integer out of range, expected u8".into()
            )
        );
        assert_eq!(
            error::<i64>("1.5"),
            (
                Category::Data,
                "invalid type: floating point, expected i64".into()
            )
        );
        assert_eq!(from_slice::<f64>(b"2").unwrap(), 2.0);
        assert_eq!(
            error::<String>("null"),
            (
                Category::Data,
                "invalid type: null, expected a string".into()
            )
        );
        assert_eq!(
            error::<Vec<bool>>("{}"),
            (
                Category::Data,
                "invalid type: map, expected a sequence".into()
            )
        );
        assert_eq!(from_slice::<Option<String>>(b"null").unwrap(), None);
        assert_eq!(
            from_slice::<BTreeMap<String, Vec<String>>>(br#"{"k": ["a\u0062"]}"#).unwrap(),
            BTreeMap::from([("k".to_string(), vec!["ab".to_string()])])
        );
    }

    #[test]
    fn a_tag_is_read_ahead_wherever_it_is() {
        let text = r#"{"a": {"type": "inner"}, "b": [1], "type": "outer", "c": 2}"#;
        let mut r = Reader::new(text);
        assert_eq!(r.tag("type", "x").unwrap().as_deref(), Some("outer"));
        assert_eq!(r.at, 0, "the cursor stays");
        assert_eq!(
            r.json().unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        let mut r = Reader::new(r#"{"type": 1}"#);
        assert_eq!(r.tag("type", "x").unwrap(), None);
        let mut r = Reader::new("[]");
        assert_eq!(r.tag("type", "x").unwrap_err().category, Category::Data);
    }

    /// The reader against serde_json on our fixtures of real answers, each
    /// cut short and changed byte by byte in many ways: both accept the same
    /// texts, read them as the same values, and fail in the same category.
    #[test]
    fn the_reader_agrees_with_serde_json_on_mangled_answers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                texts.push(std::fs::read(path).unwrap());
            }
        }
        assert!(texts.len() >= 5, "found {} fixtures", texts.len());
        // A fixed xorshift, so that a failure can be replayed.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        const BYTES: &[u8] = b"{}[]\",:\\ 0-.eE1tfnu\x01\xff";
        let mut checked = 0;
        for text in &texts {
            for round in 0..400 {
                let mut mangled = text.clone();
                match round % 4 {
                    0 => mangled.truncate(next(text.len() + 1)),
                    1 => mangled[next(text.len())] = BYTES[next(BYTES.len())],
                    2 => {
                        mangled.remove(next(text.len()));
                    }
                    _ => mangled.insert(next(text.len()), BYTES[next(BYTES.len())]),
                }
                let ours = from_slice::<Value>(&mangled);
                let theirs = serde_json::from_slice::<Value>(&mangled);
                match (ours, theirs) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(a), Err(b)) => assert_eq!(
                        a.category,
                        b.classify(),
                        "{} against {b} on {}",
                        a.message,
                        String::from_utf8_lossy(&mangled)
                    ),
                    (a, b) => panic!(
                        "ours {a:?}, serde_json {b:?} on {}",
                        String::from_utf8_lossy(&mangled)
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked >= 2000);
    }

    #[test]
    fn values_decode_through_the_same_reader() {
        let value = json!({"k": ["v"]});
        let map: BTreeMap<String, Vec<String>> = from_value(&value).unwrap();
        assert_eq!(map["k"], ["v"]);
    }
}
