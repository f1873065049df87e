//! Turning OpenAPI names into Rust names.
//!
//! Schema names (`registrationFlow`, `NullUUID`), property names
//! (`onclickTrigger`, `node_type`) and enum values (`username webauthn`,
//! `current-password`) are split into words, then joined the way Rust spells
//! types, fields and variants.

/// Words written as one though their spelling has two capitals: split
/// apart they would read `web_authn` and `java_script`. Each is (the two
/// halves in lower case, the word as a type name spells it).
const COMPOUNDS: &[(&str, &str, &str)] = &[
    ("web", "authn", "WebAuthn"),
    ("java", "script", "JavaScript"),
];

/// Splits a name into words at separators (anything not alphanumeric), at a
/// lower-to-upper change (`nodeType`) and at the end of an acronym
/// (`UUIDValue` → `UUID`, `Value`). Digits stay with the word before them.
/// The halves of a compound (`WebAuthn`, `JavaScript`) stay one word.
pub fn words(name: &str) -> Vec<String> {
    let split = split_words(name);
    // Join the halves of a compound back into one word.
    let mut words: Vec<String> = Vec::with_capacity(split.len());
    for word in split {
        let joined = words.last().and_then(|last| {
            COMPOUNDS.iter().find(|(first, second, _)| {
                last.eq_ignore_ascii_case(first) && word.eq_ignore_ascii_case(second)
            })
        });
        match joined {
            Some(_) => {
                if let Some(last) = words.last_mut() {
                    last.push_str(&word);
                }
            }
            None => words.push(word),
        }
    }
    words
}

fn split_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let starts_word = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if starts_word {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn capitalize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if let Some((_, _, spelled)) = COMPOUNDS
        .iter()
        .find(|(first, second, _)| lower == format!("{first}{second}"))
    {
        return spelled.to_string();
    }
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `registrationFlow` → `RegistrationFlow`, `NullUUID` → `NullUuid`.
///
/// A word that is a capital letter followed by a lower-case word keeps both
/// capitals (`OAuth2Client` stays `OAuth2Client`), since `Oauth2Client` reads worse.
pub fn pascal(name: &str) -> String {
    let ws = words(name);
    let mut out = String::new();
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        if w.len() == 1 && w.chars().all(|c| c.is_ascii_uppercase()) && i + 1 < ws.len() {
            // "O" + "Auth2" from "OAuth2": keep the pair as written.
            out.push_str(w);
            out.push_str(&capitalize(&ws[i + 1]));
            i += 2;
            continue;
        }
        out.push_str(&capitalize(w));
        i += 1;
    }
    let out = if out.is_empty() {
        "Unnamed".to_string()
    } else {
        out
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{out}")
    } else {
        out
    }
}

/// `onclickTrigger` → `onclick_trigger`, `getIdentityByExternalID` → `get_identity_by_external_id`.
pub fn snake(name: &str) -> String {
    let out = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        "value".to_string()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// A field or parameter name, written as a raw identifier when it is a keyword
/// (`type` → `r#type`), so that it keeps the spec's spelling.
pub fn field(name: &str) -> String {
    let s = snake(name);
    match s.as_str() {
        // These cannot be raw identifiers.
        "self" | "crate" | "super" => format!("{s}_"),
        _ if KEYWORDS.contains(&s.as_str()) => format!("r#{s}"),
        _ => s,
    }
}

/// The name for a variant of a string enum: `username webauthn` → `UsernameWebauthn`,
/// `a` → `A`, `` (empty) → `Empty`.
pub fn variant(value: &str) -> String {
    if value.chars().all(|c| !c.is_ascii_alphanumeric()) {
        return "Empty".to_string();
    }
    let name = pascal(value);
    if name == "Unknown" {
        // Reserved for values the crate does not know.
        "UnknownValue".to_string()
    } else {
        name
    }
}

/// The longest run of whole leading words that every name shares.
fn common_prefix_words(names: &[Vec<String>]) -> usize {
    let Some(first) = names.first() else { return 0 };
    let mut n = 0;
    while n < first.len() && names.iter().all(|ws| ws.len() > n && ws[n] == first[n]) {
        n += 1;
    }
    n
}

fn common_suffix_words(names: &[Vec<String>]) -> usize {
    let reversed: Vec<Vec<String>> = names
        .iter()
        .map(|ws| ws.iter().rev().cloned().collect())
        .collect();
    common_prefix_words(&reversed)
}

/// Variant names for a discriminated union, from the names of its member
/// schemas with the words they all share removed:
/// `uiNodeInputAttributes`, `uiNodeTextAttributes` → `Input`, `Text`.
/// Falls back to the discriminator values where that leaves a name empty or
/// where two variants would be named alike.
pub fn union_variants(schema_names: &[&str], tag_values: &[&str]) -> Vec<String> {
    let split: Vec<Vec<String>> = schema_names.iter().map(|n| words(n)).collect();
    let (pre, suf) = if split.len() > 1 {
        (common_prefix_words(&split), common_suffix_words(&split))
    } else {
        (0, 0)
    };
    let from_schema: Vec<String> = split
        .iter()
        .map(|ws| {
            let end = ws.len().saturating_sub(suf);
            if pre >= end {
                String::new()
            } else {
                pascal(&ws[pre..end].join("_"))
            }
        })
        .collect();
    let unique = from_schema.iter().all(|n| !n.is_empty())
        && from_schema
            .iter()
            .enumerate()
            .all(|(i, n)| !from_schema[..i].contains(n));
    if unique && !from_schema.iter().any(|n| n == "Unknown") {
        from_schema
    } else {
        tag_values.iter().map(|v| variant(v)).collect()
    }
}

/// The variant name for an HTTP status code in an operation's error enum.
pub fn status_variant(code: u16) -> String {
    let name = match code {
        300 => "MultipleChoices",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        423 => "Locked",
        428 => "PreconditionRequired",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return format!("Status{code}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_words_stay_one_word() {
        assert_eq!(snake("getWebAuthnJavaScript"), "get_webauthn_javascript");
        assert_eq!(pascal("getWebAuthnJavaScript"), "GetWebAuthnJavaScript");
        assert_eq!(
            pascal("updateLoginFlowWithWebAuthnMethod"),
            "UpdateLoginFlowWithWebAuthnMethod"
        );
        assert_eq!(
            snake("webauthn_register_displayname"),
            "webauthn_register_displayname"
        );
        // Only the two halves together: "web" alone stays a word.
        assert_eq!(snake("webHook"), "web_hook");
    }

    #[test]
    fn splits_camel_case_acronyms_and_separators() {
        assert_eq!(words("registrationFlow"), ["registration", "Flow"]);
        assert_eq!(words("NullUUID"), ["Null", "UUID"]);
        assert_eq!(words("UUIDValue"), ["UUID", "Value"]);
        assert_eq!(words("username webauthn"), ["username", "webauthn"]);
        assert_eq!(words("X-Session-Token"), ["X", "Session", "Token"]);
        assert_eq!(words("OAuth2Client"), ["O", "Auth2", "Client"]);
    }

    #[test]
    fn type_names_are_pascal_case() {
        assert_eq!(pascal("registrationFlow"), "RegistrationFlow");
        assert_eq!(pascal("uiNodeInputAttributes"), "UiNodeInputAttributes");
        assert_eq!(pascal("NullUUID"), "NullUuid");
        assert_eq!(pascal("ID"), "Id");
        assert_eq!(pascal("OAuth2LoginRequest"), "OAuth2LoginRequest");
        assert_eq!(
            pascal("OAuth2ConsentRequestOpenIDConnectContext"),
            "OAuth2ConsentRequestOpenIdConnectContext"
        );
        assert_eq!(pascal("errorGeneric"), "ErrorGeneric");
        assert_eq!(pascal("2fa"), "V2fa");
    }

    #[test]
    fn field_names_are_snake_case_and_keywords_stay_usable() {
        assert_eq!(field("onclickTrigger"), "onclick_trigger");
        assert_eq!(field("node_type"), "node_type");
        assert_eq!(field("type"), "r#type");
        assert_eq!(field("async"), "r#async");
        assert_eq!(field("self"), "self_");
        assert_eq!(field("AdditionalProperties"), "additional_properties");
        assert_eq!(
            snake("getIdentityByExternalID"),
            "get_identity_by_external_id"
        );
        assert_eq!(
            snake("createNativeRegistrationFlow"),
            "create_native_registration_flow"
        );
    }

    #[test]
    fn enum_values_become_variants() {
        assert_eq!(variant("username webauthn"), "UsernameWebAuthn");
        assert_eq!(variant("current-password"), "CurrentPassword");
        assert_eq!(variant("datetime-local"), "DatetimeLocal");
        assert_eq!(
            variant("oryWebAuthnRegistration"),
            "OryWebAuthnRegistration"
        );
        assert_eq!(variant("a"), "A");
        assert_eq!(variant(""), "Empty");
        assert_eq!(variant("unknown"), "UnknownValue");
    }

    #[test]
    fn union_variants_drop_shared_words() {
        let schemas = [
            "uiNodeInputAttributes",
            "uiNodeTextAttributes",
            "uiNodeImageAttributes",
            "uiNodeAnchorAttributes",
        ];
        let tags = ["input", "text", "img", "a"];
        assert_eq!(
            union_variants(&schemas, &tags),
            ["Input", "Text", "Image", "Anchor"]
        );

        let schemas = [
            "updateRegistrationFlowWithPasswordMethod",
            "updateRegistrationFlowWithWebAuthnMethod",
        ];
        assert_eq!(
            union_variants(&schemas, &["password", "webauthn"]),
            ["Password", "WebAuthn"]
        );
    }

    #[test]
    fn union_variants_fall_back_to_tag_values() {
        // One member: nothing is shared, but a name from the whole schema is long.
        assert_eq!(union_variants(&["someThing"], &["thing"]), ["SomeThing"]);
        // Stripping would leave an empty name.
        assert_eq!(
            union_variants(&["fooBar", "fooBarBaz"], &["x", "y"]),
            ["X", "Y"]
        );
    }

    #[test]
    fn statuses_have_readable_variants() {
        assert_eq!(status_variant(400), "BadRequest");
        assert_eq!(status_variant(410), "Gone");
        assert_eq!(status_variant(422), "UnprocessableEntity");
        assert_eq!(status_variant(499), "Status499");
    }
}
