//! What a hook answers Kratos: a status and a body in the shape Kratos
//! parses.

use serde_json::{json, Map, Value};

/// A hook's answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HookAnswer {
    /// Let the flow go on (204).
    Proceed,
    /// Stop the flow with messages for the form and its fields: Kratos
    /// answers the flow's 400 with them (400 with Kratos's `messages`).
    Interrupt(Interrupt),
    /// Change the identity before Kratos saves it: for a hook `after`
    /// registration or settings with `response.parse: true`, placed before
    /// the `session` hook (200 with `{"identity": ...}`).
    ChangeIdentity(IdentityChange),
    /// The password migration hook: the password is the one the old
    /// system has; Kratos hashes and keeps it (200
    /// `{"status": "password_match"}`).
    PasswordMatch,
    /// The password migration hook: not the password (403).
    PasswordMismatch,
}

impl HookAnswer {
    /// The status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            HookAnswer::Proceed => 204,
            HookAnswer::Interrupt(_) => 400,
            HookAnswer::ChangeIdentity(_) | HookAnswer::PasswordMatch => 200,
            HookAnswer::PasswordMismatch => 403,
        }
    }

    /// The JSON body to answer with, if any.
    pub fn body(&self) -> Option<Value> {
        match self {
            HookAnswer::Proceed | HookAnswer::PasswordMismatch => None,
            HookAnswer::Interrupt(interrupt) => Some(interrupt.to_json()),
            HookAnswer::ChangeIdentity(change) => Some(json!({ "identity": change.0 })),
            HookAnswer::PasswordMatch => Some(json!({"status": "password_match"})),
        }
    }
}

/// Messages that stop a flow: for its form, and for its fields by name
/// (`traits.email`), each with an id, a text and a type, as Kratos shows
/// its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interrupt {
    /// (JSON pointer of the field, `#/` for the form; messages).
    messages: Vec<(String, Vec<Value>)>,
}

impl Interrupt {
    /// No messages yet.
    pub fn new() -> Self {
        Interrupt::default()
    }

    /// An error for the field `name` (as the form names it:
    /// `traits.email`), with the message id `id`.
    pub fn field_error(self, name: &str, id: i64, text: &str) -> Self {
        self.field_message(name, id, text, "error", None)
    }

    /// A message of `kind` (`error`, `info`, `success`) for the field
    /// `name`, with its `context`.
    pub fn field_message(
        mut self,
        name: &str,
        id: i64,
        text: &str,
        kind: &str,
        context: Option<Value>,
    ) -> Self {
        let pointer = format!("#/{}", name.replace('.', "/"));
        self.push(pointer, id, text, kind, context);
        self
    }

    /// An error for the whole form, shown above its fields (`instance_ptr`
    /// `#/`; Kratos would show `#` as a new field named `#`).
    pub fn form_error(mut self, id: i64, text: &str) -> Self {
        self.push("#/".to_string(), id, text, "error", None);
        self
    }

    fn push(&mut self, pointer: String, id: i64, text: &str, kind: &str, context: Option<Value>) {
        let mut message = json!({"id": id, "text": text, "type": kind});
        if let Some(context) = context {
            message["context"] = context;
        }
        match self.messages.iter_mut().find(|(p, _)| *p == pointer) {
            Some((_, messages)) => messages.push(message),
            None => self.messages.push((pointer, vec![message])),
        }
    }

    /// Kratos's shape: `{"messages": [{"instance_ptr", "messages": [...]}]}`.
    fn to_json(&self) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|(pointer, messages)| json!({"instance_ptr": pointer, "messages": messages}))
            .collect();
        json!({ "messages": messages })
    }
}

/// What a pre-persist hook changes on the identity; what it leaves out,
/// Kratos keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityChange(Map<String, Value>);

impl IdentityChange {
    /// No change yet.
    pub fn new() -> Self {
        IdentityChange::default()
    }

    /// The traits, whole.
    pub fn traits(mut self, traits: Value) -> Self {
        self.0.insert("traits".into(), traits);
        self
    }

    /// `metadata_public`.
    pub fn metadata_public(mut self, metadata: Value) -> Self {
        self.0.insert("metadata_public".into(), metadata);
        self
    }

    /// `metadata_admin`.
    pub fn metadata_admin(mut self, metadata: Value) -> Self {
        self.0.insert("metadata_admin".into(), metadata);
        self
    }

    /// `state`: `active` or `inactive`.
    pub fn state(mut self, state: &str) -> Self {
        self.0.insert("state".into(), Value::from(state));
        self
    }

    /// `external_id`.
    pub fn external_id(mut self, id: &str) -> Self {
        self.0.insert("external_id".into(), Value::from(id));
        self
    }

    /// `schema_id`: the identity schema the identity follows.
    pub fn schema_id(mut self, id: &str) -> Self {
        self.0.insert("schema_id".into(), Value::from(id));
        self
    }

    /// `verifiable_addresses`, whole (Kratos ignores an empty list).
    pub fn verifiable_addresses(mut self, addresses: Value) -> Self {
        self.0.insert("verifiable_addresses".into(), addresses);
        self
    }

    /// `recovery_addresses`, whole (Kratos ignores an empty list).
    pub fn recovery_addresses(mut self, addresses: Value) -> Self {
        self.0.insert("recovery_addresses".into(), addresses);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_in_kratos_s_shapes() {
        let interrupt = Interrupt::new()
            .field_error("traits.invite", 4000001, "Not a valid invite.")
            .field_message(
                "traits.invite",
                1,
                "Ask a friend.",
                "info",
                Some(json!({"x": 1})),
            )
            .form_error(4000002, "Try again.");
        let answer = HookAnswer::Interrupt(interrupt);
        assert_eq!(answer.status(), 400);
        assert_eq!(
            answer.body().unwrap(),
            json!({"messages": [
                {"instance_ptr": "#/traits/invite", "messages": [
                    {"id": 4000001, "text": "Not a valid invite.", "type": "error"},
                    {"id": 1, "text": "Ask a friend.", "type": "info", "context": {"x": 1}}
                ]},
                {"instance_ptr": "#/", "messages": [{"id": 4000002, "text": "Try again.", "type": "error"}]}
            ]})
        );
        let change = HookAnswer::ChangeIdentity(
            IdentityChange::new()
                .traits(json!({"email": "a@b.c"}))
                .metadata_admin(json!({"plan": "pro"}))
                .schema_id("customer")
                .recovery_addresses(json!([{"value": "a@b.c", "via": "email"}])),
        );
        assert_eq!(change.status(), 200);
        assert_eq!(
            change.body().unwrap(),
            json!({"identity": {
                "traits": {"email": "a@b.c"},
                "metadata_admin": {"plan": "pro"},
                "schema_id": "customer",
                "recovery_addresses": [{"value": "a@b.c", "via": "email"}],
            }})
        );
        assert_eq!(HookAnswer::Proceed.status(), 204);
        assert_eq!(HookAnswer::Proceed.body(), None);
        assert_eq!(
            HookAnswer::PasswordMatch.body().unwrap(),
            json!({"status": "password_match"})
        );
        assert_eq!(HookAnswer::PasswordMismatch.status(), 403);
    }
}
