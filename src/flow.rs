//! Reading a flow's form: its fields, the inputs a method needs, and the
//! messages Kratos attached to the form and to its fields.

use serde_json::Value;

use crate::models::{UiContainer, UiNode, UiNodeAttributes, UiText};

/// An input field of a form, as a user would fill it in.
#[derive(Debug, Clone, PartialEq)]
pub struct FormInput<'a> {
    /// The name to submit its value under, such as `traits.email` or `password`.
    pub name: &'a str,
    /// The HTML input type: `email`, `password`, `text`, `checkbox`, ...
    pub input_type: &'a str,
    /// Whether the form cannot be submitted without it.
    pub required: bool,
    /// The label to show, when Kratos gives one.
    pub label: Option<&'a str>,
    /// The method group the field belongs to (`default`, `password`, ...).
    pub group: &'a str,
    /// The value Kratos filled in, if any (what the user sent last time).
    pub value: Option<&'a Value>,
}

/// A message Kratos attached to a form, or to one of its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct FormMessage<'a> {
    /// The field it is about (`traits.email`), or `None` for the form as a whole.
    pub field: Option<&'a str>,
    /// The message itself: its Kratos text id (such as 4000002 for a missing
    /// field), English text, type and context.
    pub text: &'a UiText,
}

impl FormMessage<'_> {
    /// The message's Kratos text id, stable across languages.
    pub fn id(&self) -> i64 {
        self.text.id
    }

    /// Whether the message reports an error (rather than information or success).
    pub fn is_error(&self) -> bool {
        self.text.r#type.as_str() == "error"
    }
}

/// The `name` of an input node, or the `id` of any other kind of node
/// (known to this crate or not).
fn node_name(node: &UiNode) -> Option<&str> {
    match &node.attributes {
        UiNodeAttributes::Input(input) => Some(&input.name),
        other => other.id(),
    }
}

impl UiContainer {
    /// The node named `name`: an input by its `name`, another node by its `id`.
    pub fn node(&self, name: &str) -> Option<&UiNode> {
        self.nodes.iter().find(|n| node_name(n) == Some(name))
    }

    /// The fields a user fills in to use `method` (`password`, `code`, ...):
    /// those of its own group and of the shared `default` group, without
    /// hidden fields and buttons.
    pub fn inputs_for(&self, method: &str) -> Vec<FormInput<'_>> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.group.as_str(), "default") || n.group.as_str() == method)
            .filter_map(|node| {
                let UiNodeAttributes::Input(input) = &node.attributes else {
                    return None;
                };
                let input_type = input.r#type.as_str();
                if matches!(input_type, "hidden" | "submit" | "button") {
                    return None;
                }
                Some(FormInput {
                    name: &input.name,
                    input_type,
                    required: input.required == Some(true),
                    label: node
                        .meta
                        .label
                        .as_ref()
                        .or(input.label.as_ref())
                        .map(|l| l.text.as_str()),
                    group: node.group.as_str(),
                    value: input.value.as_ref().filter(|v| !v.is_null()),
                })
            })
            .collect()
    }

    /// The methods the form offers, from its submit buttons and the groups
    /// of its fields (`password`, `oidc`, `code`, ...), in form order.
    pub fn methods(&self) -> Vec<&str> {
        let mut methods: Vec<&str> = Vec::new();
        for node in &self.nodes {
            let group = node.group.as_str();
            if !matches!(group, "default" | "captcha") && !methods.contains(&group) {
                methods.push(group);
            }
        }
        methods
    }

    /// Every message on the form: first those about the form as a whole,
    /// then those of each field, in form order.
    pub fn messages(&self) -> Vec<FormMessage<'_>> {
        let form = self
            .messages
            .iter()
            .flatten()
            .map(|text| FormMessage { field: None, text });
        let fields = self.nodes.iter().flat_map(|node| {
            let field = node_name(node);
            node.messages
                .iter()
                .map(move |text| FormMessage { field, text })
        });
        form.chain(fields).collect()
    }

    /// The messages that report errors, such as validation failures.
    pub fn errors(&self) -> Vec<FormMessage<'_>> {
        self.messages()
            .into_iter()
            .filter(FormMessage::is_error)
            .collect()
    }

    /// Whether the form or one of its fields carries an error message.
    pub fn has_errors(&self) -> bool {
        let error = |text: &UiText| text.r#type.as_str() == "error";
        self.messages.iter().flatten().any(error)
            || self
                .nodes
                .iter()
                .any(|node| node.messages.iter().any(error))
    }
}

/// Writes the form helpers on a flow (a type with a `ui` form), each handing
/// over to [`UiContainer`]: one implementation for registration, login,
/// settings, recovery and verification flows. `with state` adds
/// `state_name()` for flows with a `state`.
macro_rules! impl_flow {
    ($flow:ident, with state) => {
        crate::flow::impl_flow!($flow);

        impl $flow {
            /// The flow's state as Kratos names it: `choose_method`,
            /// `sent_email` (a code is on its way), `passed_challenge`; for
            /// settings `show_form` and `success`. A newer server may send
            /// other names.
            pub fn state_name(&self) -> Option<&str> {
                self.state.as_str()
            }
        }
    };
    ($flow:ident) => {
        impl $flow {
            /// The form's node named `name`: an input by its `name`, another
            /// node by its `id`.
            pub fn node(&self, name: &str) -> Option<&crate::models::UiNode> {
                self.ui.node(name)
            }

            /// The fields a user fills in to use `method`; see
            /// [`UiContainer::inputs_for`](crate::models::UiContainer::inputs_for).
            pub fn inputs_for(&self, method: &str) -> Vec<crate::FormInput<'_>> {
                self.ui.inputs_for(method)
            }

            /// Every message on the form and its fields, form first.
            pub fn messages(&self) -> Vec<crate::FormMessage<'_>> {
                self.ui.messages()
            }

            /// The error messages on the form and its fields.
            pub fn errors(&self) -> Vec<crate::FormMessage<'_>> {
                self.ui.errors()
            }

            /// Whether the form carries an error message. A flow that comes
            /// back with a 400 and none is not a failure but the next step of
            /// the same flow (identifier-first login asking for the password, a
            /// code method that has sent its code): show its form.
            pub fn has_errors(&self) -> bool {
                self.ui.has_errors()
            }
        }
    };
}

pub(crate) use impl_flow;

/// The kinds of self-service flow: what a browser walks (module `browser`),
/// what a web hook runs in (module `hooks`), and what the mock plays.
#[cfg(any(feature = "browser", feature = "testing", feature = "hooks"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlowKind {
    /// Signing in.
    Login,
    /// Signing up.
    Registration,
    /// Changing the password, profile and methods of a signed-in user.
    Settings,
    /// Regaining access to an account.
    Recovery,
    /// Proving an address.
    Verification,
}

#[cfg(any(feature = "browser", feature = "testing", feature = "hooks"))]
impl FlowKind {
    /// Every kind.
    pub const ALL: [FlowKind; 5] = [
        FlowKind::Login,
        FlowKind::Registration,
        FlowKind::Settings,
        FlowKind::Recovery,
        FlowKind::Verification,
    ];

    /// The flow's name in Kratos's paths: `login`, `registration`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Settings => "settings",
            FlowKind::Recovery => "recovery",
            FlowKind::Verification => "verification",
        }
    }

    /// The kind named `name` in Kratos's paths.
    pub fn named(name: &str) -> Option<FlowKind> {
        FlowKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind of the flow at `url`, an address Kratos writes for it: its
    /// form's `action` (`/self-service/<kind>?flow=`) or the `request_url`
    /// that started it (`/self-service/<kind>/api`).
    #[cfg(feature = "hooks")]
    pub fn of_url(url: &str) -> Option<FlowKind> {
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let rest = &path[path.find("/self-service/")? + "/self-service/".len()..];
        FlowKind::named(rest.split('/').next().unwrap_or_default())
    }
}

#[cfg(any(feature = "browser", feature = "testing", feature = "hooks"))]
impl std::fmt::Display for FlowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::RegistrationFlow;

    #[cfg(feature = "hooks")]
    #[test]
    fn a_flow_s_kind_is_read_from_the_addresses_kratos_writes_for_it() {
        for (url, kind) in [
            (
                "http://k/self-service/registration?flow=1",
                Some(FlowKind::Registration),
            ),
            ("http://k/self-service/login/api", Some(FlowKind::Login)),
            (
                "https://k/prefix/self-service/settings/browser?x=/self-service/login",
                Some(FlowKind::Settings),
            ),
            ("http://k/self-service/methods/oidc/callback", None),
            ("http://k/registration", None),
        ] {
            assert_eq!(FlowKind::of_url(url), kind, "{url}");
        }
    }

    fn flow() -> RegistrationFlow {
        serde_json::from_str(include_str!("../tests/fixtures/registration_flow.json")).unwrap()
    }

    #[test]
    fn finds_nodes_by_name_or_id() {
        let flow = flow();
        assert_eq!(
            flow.node("password").map(|n| n.group.as_str()),
            Some("password")
        );
        assert_eq!(
            flow.node("webauthn_script").map(|n| n.r#type.as_str()),
            Some("script")
        );
        assert!(flow.node("nope").is_none());
        // A kind of node this crate does not know is found by its `id` too.
        let mut newer = flow;
        newer.ui.nodes[0].attributes = serde_json::from_value(serde_json::json!(
            {"node_type": "qr_scanner", "id": "scanner", "fps": 30}
        ))
        .unwrap();
        assert_eq!(
            newer.node("scanner").map(|n| n.attributes.node_type()),
            Some("qr_scanner")
        );
    }

    #[test]
    fn lists_what_the_password_method_needs() {
        let flow = flow();
        let inputs = flow.inputs_for("password");
        let summary: Vec<(&str, &str, bool)> = inputs
            .iter()
            .map(|i| (i.name, i.input_type, i.required))
            .collect();
        assert_eq!(summary[0], ("traits.email", "email", true));
        assert!(summary.contains(&("password", "password", true)));
        assert!(summary
            .iter()
            .all(|(name, _, _)| *name != "csrf_token" && *name != "method"));
        assert!(summary
            .iter()
            .all(|(name, _, _)| !name.starts_with("webauthn")));
        assert_eq!(
            inputs.iter().find(|i| i.name == "password").unwrap().label,
            Some("Password")
        );
        assert_eq!(
            flow.ui.methods(),
            ["password", "oidc", "code", "passkey", "webauthn", "totp"]
        );
    }

    #[test]
    fn collects_form_and_field_messages_with_their_ids() {
        let mut flow = flow();
        let mut missing = UiText::new(4000002, "Property email is missing.", "error".into());
        missing.context = serde_json::json!({"property": "email"})
            .as_object()
            .cloned();
        let email = flow
            .ui
            .nodes
            .iter_mut()
            .find(|n| node_name(n) == Some("traits.email"))
            .unwrap();
        email.messages.push(missing);
        let messages = flow.messages();
        assert_eq!(messages.len(), 2);
        assert_eq!(
            (messages[0].field, messages[0].id(), messages[0].is_error()),
            (None, 1040009, false)
        );
        assert_eq!(
            (messages[1].field, messages[1].id(), messages[1].is_error()),
            (Some("traits.email"), 4000002, true)
        );
        let errors = flow.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].text.text, "Property email is missing.");
    }

    #[test]
    fn a_flow_without_error_messages_is_the_next_step() {
        let mut flow = flow();
        assert_eq!(flow.state_name(), Some("choose_method"));
        // An info message (the fixture's 1040009) is no error.
        assert!(!flow.messages().is_empty());
        assert!(!flow.has_errors(), "a fresh form, or the next step of one");
        let password = flow
            .ui
            .nodes
            .iter_mut()
            .find(|n| node_name(n) == Some("password"))
            .unwrap();
        password.messages.push(UiText::new(
            4000006,
            "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
            "error".into(),
        ));
        assert!(flow.has_errors());
        flow.state = serde_json::json!("sent_email");
        assert_eq!(flow.state_name(), Some("sent_email"));
        flow.state = serde_json::json!({"unexpected": true});
        assert_eq!(flow.state_name(), None);
    }

    #[test]
    fn finds_the_replacement_flow_at_the_top_or_in_the_details() {
        let at_top: crate::models::ErrorGeneric = serde_json::from_str(
            r#"{"error": {"id": "self_service_flow_expired", "message": "expired"}, "use_flow_id": "new-1"}"#,
        )
        .unwrap();
        let in_details: crate::models::ErrorGeneric = serde_json::from_str(
            r#"{"error": {"message": "expired", "details": {"use_flow_id": "new-2"}}}"#,
        )
        .unwrap();
        let none: crate::models::ErrorGeneric =
            serde_json::from_str(r#"{"error": {"message": "expired"}}"#).unwrap();
        assert_eq!(at_top.replacement_flow_id(), Some("new-1"));
        assert_eq!(in_details.replacement_flow_id(), Some("new-2"));
        assert_eq!(none.replacement_flow_id(), None);
    }
}
