//! The mock's identity schema and password policy, shared by every flow
//! that shows or changes traits and passwords (registration, settings):
//! the trait fields of a form and Kratos's validation messages for them.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::http::text;
use super::store::{Flow, Store};
use super::{TraitKind, MIN_PASSWORD_LENGTH};

/// The form fields of the schema's traits, in `group`, filled in with
/// `values`.
pub(super) fn trait_nodes(
    store: &Store,
    flow: &Flow,
    group: &str,
    values: &Map<String, Value>,
) -> Vec<Value> {
    store
        .config
        .traits
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
            let label = text(1070002, &t.title, "info", Some(json!({"title": t.title})));
            flow.input(group, attributes, Some(label), &name)
        })
        .collect()
}

/// Kratos's messages for `traits` that do not fit the schema, by field.
pub(super) fn trait_messages(
    store: &Store,
    traits: &Map<String, Value>,
) -> HashMap<String, Vec<Value>> {
    let mut messages: HashMap<String, Vec<Value>> = HashMap::new();
    for t in &store.config.traits {
        let value = traits.get(&t.name).and_then(Value::as_str).unwrap_or("");
        let field = format!("traits.{}", t.name);
        if value.is_empty() {
            if t.required {
                messages.entry(field).or_default().push(text(
                    4000002,
                    &format!("Property {} is missing.", t.name),
                    "error",
                    Some(json!({"property": t.name})),
                ));
            }
        } else if t.kind == TraitKind::Email && !looks_like_email(value) {
            messages.entry(field).or_default().push(text(
                4000040,
                "Enter a valid email address",
                "error",
                None,
            ));
        }
    }
    messages
}

/// Kratos's message for a password its policy refuses, if it does.
pub(super) fn password_message(password: &str) -> Option<Value> {
    let length = password.chars().count();
    (length < MIN_PASSWORD_LENGTH).then(|| {
        text(
            4000032,
            &format!("The password must be at least {MIN_PASSWORD_LENGTH} characters long, but got {length}."),
            "error",
            Some(json!({"min_length": MIN_PASSWORD_LENGTH, "actual_length": length})),
        )
    })
}

/// The identifier trait's value: the first email trait, lower-cased.
pub(super) fn identifier(store: &Store, traits: &Map<String, Value>) -> Option<String> {
    let t = store
        .config
        .traits
        .iter()
        .find(|t| t.kind == TraitKind::Email)?;
    traits
        .get(&t.name)
        .and_then(Value::as_str)
        .map(str::to_lowercase)
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

    #[test]
    fn email_check_is_plausible() {
        assert!(looks_like_email("ada@example.com"));
        assert!(!looks_like_email("ada"));
        assert!(!looks_like_email("ada@localhost"));
        assert!(!looks_like_email("a da@example.com"));
        assert!(!looks_like_email("@example.com"));
    }

    #[test]
    fn short_passwords_get_kratos_message() {
        assert_eq!(password_message("1234567").unwrap()["id"], 4000032);
        assert!(password_message("12345678").is_none());
    }
}
