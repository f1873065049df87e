//! A flow's form as HTML, for pages rendered on the server: every node in
//! Kratos's order (hidden fields such as `csrf_token`, inputs with their
//! labels and messages, one submit button per method, images, texts,
//! links and scripts), the form's own messages first. Every text and
//! attribute is escaped. Class names start with `kratos-`, for the app's
//! stylesheet.

use std::fmt::Write;

use serde_json::Value;

use crate::models::{UiContainer, UiNode, UiNodeAttributes, UiNodeInputAttributes, UiText};

pub use crate::escape::escape;

/// Messages as a list, each with its type as a class and its Kratos id
/// (`data-id`); empty when there are none.
pub fn messages(texts: &[UiText]) -> String {
    if texts.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"kratos-messages\">");
    for text in texts {
        let _ = write!(
            out,
            "<li class=\"kratos-message kratos-message-{}\" data-id=\"{}\">{}</li>",
            escape(text.r#type.as_str()),
            text.id,
            escape(&text.text)
        );
    }
    out.push_str("</ul>");
    out
}

/// The form of a flow: `<form action=... method=...>`, its messages, its
/// nodes.
pub fn form(ui: &UiContainer) -> String {
    let mut out = format!(
        "<form class=\"kratos-form\" action=\"{}\" method=\"{}\">",
        escape(&ui.action),
        escape(&ui.method)
    );
    if let Some(texts) = &ui.messages {
        out.push_str(&messages(texts));
    }
    for node in ui.nodes.iter() {
        out.push_str(&self::node(node));
    }
    out.push_str("</form>");
    out
}

/// One node of a form.
pub fn node(node: &UiNode) -> String {
    let group = escape(node.group.as_str());
    let label = node
        .meta
        .label
        .as_ref()
        .map(|l| escape(&l.text))
        .unwrap_or_default();
    let notes = messages(&node.messages);
    let body = match &node.attributes {
        UiNodeAttributes::Input(input) => return self::input(input, &group, &label, &notes),
        UiNodeAttributes::Text(text) => {
            let mut body = format!(
                "<p class=\"kratos-text\" id=\"{}\">{}</p>",
                escape(&text.id),
                escape(&text.text.text)
            );
            // Lookup secrets come as a list in the text's context.
            let secrets = text
                .text
                .context
                .as_ref()
                .and_then(|c| c.get("secrets"))
                .and_then(Value::as_array);
            if let Some(secrets) = secrets {
                body.push_str("<ul class=\"kratos-secrets\">");
                for secret in secrets {
                    let shown = secret
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let _ = write!(body, "<li><code>{}</code></li>", escape(shown));
                }
                body.push_str("</ul>");
            }
            body
        }
        UiNodeAttributes::Image(image) => format!(
            "<img id=\"{}\" src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{label}\">",
            escape(&image.id),
            escape(&image.src),
            image.width,
            image.height
        ),
        UiNodeAttributes::Anchor(anchor) => format!(
            "<a class=\"kratos-link\" id=\"{}\" href=\"{}\">{}</a>",
            escape(&anchor.id),
            escape(&anchor.href),
            escape(&anchor.title.text)
        ),
        UiNodeAttributes::Script(script) => format!(
            "<script id=\"{}\" src=\"{}\" type=\"{}\" integrity=\"{}\" crossorigin=\"{}\" referrerpolicy=\"{}\" nonce=\"{}\"{}></script>",
            escape(&script.id),
            escape(&script.src),
            escape(&script.r#type),
            escape(&script.integrity),
            escape(&script.crossorigin),
            escape(&script.referrerpolicy),
            escape(&script.nonce),
            if script.r#async { " async" } else { "" }
        ),
        // A division (Kratos v26 has them; older documents do not, so it is
        // read from its JSON, whatever variant holds it).
        other => match serde_json::to_value(other) {
            Ok(attributes) if attributes["node_type"] == "div" => division(&attributes),
            // A kind of node this version of the crate does not know: left
            // out rather than guessed at.
            _ => return String::new(),
        },
    };
    format!("<div class=\"kratos-node\" data-group=\"{group}\">{body}{notes}</div>")
}

/// A `div` node from its attributes: `id`, `class`, `data`.
fn division(attributes: &Value) -> String {
    let text = |name: &str| attributes[name].as_str().unwrap_or_default().to_string();
    let mut body = format!("<div id=\"{}\"", escape(&text("id")));
    if let Some(class) = attributes["class"].as_str() {
        let _ = write!(body, " class=\"{}\"", escape(class));
    }
    for (name, value) in attributes["data"].as_object().into_iter().flatten() {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let value = value.as_str().unwrap_or_default();
        let _ = write!(body, " data-{name}=\"{}\"", escape(value));
    }
    body.push_str("></div>");
    body
}

/// A value as an attribute: strings as they are, numbers and booleans as
/// JSON writes them.
fn value_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn input(input: &UiNodeInputAttributes, group: &str, label: &str, notes: &str) -> String {
    let kind = input.r#type.as_str();
    let name = escape(&input.name);
    let value = value_text(input.value.as_ref()).map(|v| escape(&v));
    let disabled = if input.disabled { " disabled" } else { "" };
    if kind == "hidden" {
        return format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            value.unwrap_or_default()
        );
    }
    let onclick = input
        .onclick
        .as_deref()
        .map(|js| format!(" onclick=\"{}\"", escape(js)))
        .unwrap_or_default();
    // A social sign-in button, or one that sends a code again, submits
    // without the form's other fields: the browser must not hold it back
    // for an empty required field.
    let novalidate =
        match kind == "submit" && (matches!(group, "oidc" | "saml") || input.name == "resend") {
            true => " formnovalidate",
            false => "",
        };
    let field = match kind {
        "submit" | "button" => format!(
            "<button class=\"kratos-button\" type=\"{}\" name=\"{name}\" value=\"{}\"{disabled}{novalidate}{onclick}>{label}</button>",
            escape(kind),
            value.unwrap_or_default()
        ),
        "checkbox" => {
            let checked = matches!(input.value, Some(Value::Bool(true)));
            format!(
                "<label class=\"kratos-label\"><input type=\"checkbox\" name=\"{name}\" value=\"true\"{}{}{disabled}> {label}</label>",
                if checked { " checked" } else { "" },
                if input.required == Some(true) { " required" } else { "" },
            )
        }
        _ => {
            let mut field = format!(
                "<label class=\"kratos-label\"><span>{label}</span><input type=\"{}\" name=\"{name}\"",
                escape(kind)
            );
            // A password is never written back into the page.
            if let Some(value) = value.filter(|_| kind != "password") {
                let _ = write!(field, " value=\"{value}\"");
            }
            if input.required == Some(true) {
                field.push_str(" required");
            }
            if let Some(autocomplete) = &input.autocomplete {
                let _ = write!(field, " autocomplete=\"{}\"", escape(autocomplete.as_str()));
            }
            if let Some(pattern) = &input.pattern {
                let _ = write!(field, " pattern=\"{}\"", escape(pattern));
            }
            if let Some(max) = input.maxlength {
                let _ = write!(field, " maxlength=\"{max}\"");
            }
            let _ = write!(field, "{disabled}{onclick}></label>");
            field
        }
    };
    format!("<div class=\"kratos-node\" data-group=\"{group}\">{field}{notes}</div>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_kratos_sends_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
