//! The mock's identity schema and password policy, shared by every flow
//! that shows or changes traits and passwords (registration, settings):
//! the trait fields of a form and Kratos's validation messages for them.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::http::{property_missing, text};
use super::options::{identifier_trait, Trait};
use super::store::{Flow, Store};
use super::TraitKind;

/// The form field of each of the schema's traits, in `group`, filled in with
/// `values` (a value is shown once the user has sent one, even empty).
pub(super) fn trait_nodes(
    store: &Store,
    flow: &Flow,
    group: &str,
    values: &Map<String, Value>,
) -> Vec<Value> {
    // The schema of the identity the flow is for (settings), else the one
    // the flow was started with (registration).
    let schema_id = flow
        .identity_id
        .as_deref()
        .and_then(|id| store.identity(id))
        .map_or(flow.schema_id.as_str(), |identity| {
            identity.schema_id.as_str()
        });
    traits_of(store, schema_id)
        .iter()
        .map(|t| {
            let name = format!("traits.{}", t.name);
            let mut attributes =
                json!({"name": name, "type": "text", "disabled": false, "node_type": "input"});
            if t.kind == TraitKind::Email {
                attributes["type"] = json!("email");
                attributes["autocomplete"] = json!("email");
            }
            if t.required {
                attributes["required"] = json!(true);
            }
            if let Some(value) = values.get(&t.name) {
                attributes["value"] = value.clone();
            }
            flow.input(group, attributes, Some(trait_label(&name, &t.title)), &name)
        })
        .collect()
}

/// The label Kratos gives a trait's field: its title, with the field's name.
pub(super) fn trait_label(name: &str, title: &str) -> Value {
    text(
        1070002,
        title,
        "info",
        Some(json!({"name": name, "title": title})),
    )
}

/// Kratos's messages for `traits` that do not fit the schema, by field.
/// A missing identifier is shown empty in the form again (`values` gets
/// `""` for it), as Kratos shows it; another missing trait gets no value.
pub(super) fn trait_messages(
    store: &Store,
    schema_id: &str,
    traits: &Map<String, Value>,
) -> HashMap<String, Vec<Value>> {
    trait_messages_filling(store, schema_id, traits, &mut Map::new())
}

/// The traits of the schema `schema_id` (none for a schema the server
/// does not have).
pub(super) fn traits_of<'a>(store: &'a Store, schema_id: &str) -> &'a [Trait] {
    store.config.schema(schema_id).unwrap_or_default()
}

/// [`trait_messages`], and what the form shows again for missing traits.
pub(super) fn trait_messages_filling(
    store: &Store,
    schema_id: &str,
    traits: &Map<String, Value>,
    values: &mut Map<String, Value>,
) -> HashMap<String, Vec<Value>> {
    let mut messages: HashMap<String, Vec<Value>> = HashMap::new();
    let schema = traits_of(store, schema_id);
    let identifier = identifier_trait(schema).map(|t| t.name.as_str());
    for t in schema {
        let field = format!("traits.{}", t.name);
        let message = match (traits.get(&t.name).and_then(Value::as_str), t.kind) {
            (None, _) if t.required => {
                if identifier == Some(t.name.as_str()) {
                    values.insert(t.name.clone(), json!(""));
                }
                property_missing(&t.name)
            }
            // The format check reads an empty string as no address at all.
            (Some(""), TraitKind::Email) => {
                let reason = r#""" is not valid "email""#;
                text(4000001, reason, "error", Some(json!({"reason": reason})))
            }
            (Some(value), TraitKind::Email) if !looks_like_email(value) => text(
                4000040,
                "Enter a valid email address",
                "error",
                Some(json!({"value": value})),
            ),
            _ => continue,
        };
        messages.entry(field).or_default().push(message);
    }
    messages
}

/// Kratos's message for a password its policy refuses, if it does: shorter
/// than `min` (counted in bytes, as Kratos counts), or too like the identifier.
pub(super) fn password_message(
    password: &str,
    identifier: Option<&str>,
    min: usize,
) -> Option<Value> {
    let length = password.len();
    if length < min {
        return Some(text(
            4000032,
            &format!("The password must be at least {min} characters long, but got {length}."),
            "error",
            Some(json!({"min_length": min, "actual_length": length})),
        ));
    }
    let identifier = identifier.filter(|i| !i.is_empty())?;
    let (identifier, password) = (identifier.to_lowercase(), password.to_lowercase());
    let substring = longest_common_substring(&identifier, &password) as f32 / password.len() as f32;
    (levenshtein(&identifier, &password) < 5 || substring > 0.5).then(|| {
        text(
            4000031,
            "The password can not be used because it is too similar to the identifier.",
            "error",
            None,
        )
    })
}

/// The length of the longest run of bytes `a` and `b` share.
fn longest_common_substring(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous = vec![0usize; b.len() + 1];
    let mut longest = 0;
    for x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                current[j + 1] = previous[j] + 1;
                longest = longest.max(current[j + 1]);
            }
        }
        previous = current;
    }
    longest
}

/// The edit distance between `a` and `b`, in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(x != *y));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The identifier trait's value (the schema's first email trait), lower-cased.
pub(super) fn identifier(
    store: &Store,
    schema_id: &str,
    traits: &Map<String, Value>,
) -> Option<String> {
    let t = identifier_trait(traits_of(store, schema_id))?;
    traits
        .get(&t.name)
        .and_then(Value::as_str)
        .map(str::to_lowercase)
}

/// Why Kratos's admin API refuses `traits` for the schema `schema_id`, in
/// the words of its JSON Schema validator (`I[instance] S[schema] ...`):
/// `None` when they follow the schema. The checks come in the validator's
/// order: the schema, the required traits, traits the schema does not
/// know, each trait's type, then its format.
pub(super) fn schema_refusal(
    store: &Store,
    schema_id: &str,
    traits: &Map<String, Value>,
) -> Option<String> {
    let Some(schema) = store.config.schema(schema_id) else {
        return Some(format!("Unable to find JSON Schema ID: {schema_id}"));
    };
    let quoted = |names: Vec<&str>| {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing: Vec<&str> = schema
        .iter()
        .filter(|t| t.required && !traits.contains_key(&t.name))
        .map(|t| t.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "I[#/traits] S[#/properties/traits/required] missing properties: {}",
            quoted(missing)
        ));
    }
    let unknown: Vec<&str> = traits
        .keys()
        .map(String::as_str)
        .filter(|name| !schema.iter().any(|t| t.name == *name))
        .collect();
    if !unknown.is_empty() {
        return Some(format!(
            "I[#/traits] S[#/properties/traits/additionalProperties] additionalProperties {} not allowed",
            quoted(unknown)
        ));
    }
    for t in schema {
        let (instance, at) = (
            format!("#/traits/{}", t.name),
            format!("#/properties/traits/properties/{}", t.name),
        );
        let value = match traits.get(&t.name) {
            None => continue,
            Some(Value::String(value)) => value,
            Some(other) => {
                let kind = match other {
                    Value::Null => "null",
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    Value::Array(_) => "array",
                    _ => "object",
                };
                return Some(format!(
                    "I[{instance}] S[{at}/type] expected string, but got {kind}"
                ));
            }
        };
        if t.kind == TraitKind::Email && !looks_like_email(value) {
            // The validator names the failed format twice under its summary.
            let format = format!("I[{instance}] S[{at}/format] {value:?} is not valid \"email\"");
            return Some(format!(
                "I[{instance}] S[{at}] validation failed\n  {format}\n  {format}"
            ));
        }
    }
    None
}

fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MIN_PASSWORD_LENGTH;

    #[test]
    fn email_check_is_plausible() {
        assert!(looks_like_email("ada@example.com"));
        assert!(!looks_like_email("ada"));
        assert!(!looks_like_email("ada@localhost"));
        assert!(!looks_like_email("a da@example.com"));
        assert!(!looks_like_email("@example.com"));
    }

    #[test]
    fn the_password_policy_is_kratos_default() {
        assert_eq!(
            password_message("1234567", None, MIN_PASSWORD_LENGTH).unwrap()["id"],
            4000032
        );
        assert!(password_message("12345678", None, MIN_PASSWORD_LENGTH).is_none());
        // Multibyte characters count by their bytes, as in Kratos.
        assert!(password_message("ééééé", None, MIN_PASSWORD_LENGTH).is_none());
        let too_like = password_message("ada@example.com1", Some("ada@example.com"), 8);
        assert_eq!(too_like.unwrap()["id"], 4000031);
        assert!(password_message("correct horse battery", Some("ada@example.com"), 8).is_none());
    }

    #[test]
    fn distances_are_counted_as_kratos_counts_them() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(
            longest_common_substring("ada@example.com", "xxexamplexx"),
            7
        );
    }
}
