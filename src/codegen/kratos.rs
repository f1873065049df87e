//! What the generator knows about Kratos rather than about OpenAPI: every
//! rule that would not hold for another API lives here (the secret field
//! names, shared with the runtime, are in `src/secret_fields.rs`).

use super::names;
use super::types::{Field, Item, Ty, TypeSet};

/// The header that carries a session token. Every builder has a
/// `session_token` setter for it, documented by the operation or not.
pub const SESSION_TOKEN_HEADER: &str = "x-session-token";

/// The Rust name of Kratos's standard error answer (`errorGeneric`): the
/// error object plus, for expired flows, the replacement flow's id.
pub const ERROR_WRAPPER: &str = "ErrorGeneric";

/// The Rust name of Kratos's error object (`genericError`): `id`,
/// `message`, `reason`, `details`, ...
pub const ERROR_OBJECT: &str = "GenericError";

/// The query parameter of Kratos's paginated lists. An operation that takes
/// it and answers with an array is a list: its answer is a `Page`, whose
/// next token Kratos sends only in the `Link` header.
pub const PAGE_TOKEN_PARAMETER: &str = "page_token";

/// A flow is a schema with a required `ui` property holding the form
/// (`uiContainer`): it gets the form helpers of `crate::flow::impl_flow!`,
/// and `state_name()` when it has a `state`.
pub const FLOW_FORM_FIELD: &str = "ui";

/// The Rust name of the form schema (`uiContainer`).
pub const FORM_TYPE: &str = "UiContainer";

/// The property holding a flow's state.
pub const FLOW_STATE_FIELD: &str = "state";

/// The property of Kratos's error answer naming the flow that replaces an
/// expired one. Only our document declares it (upstream's does not), so the
/// generated `replacement_flow_id()` reads it only where it exists.
pub const REPLACEMENT_FLOW_FIELD: &str = "use_flow_id";

/// The tags whose operations are cargo features of the crate, named after
/// the tag: an operation, and a model only such operations reach, is
/// compiled only with its feature (or one of its features). Operations of
/// any other tag are always compiled.
pub const FEATURE_TAGS: &[&str] = &["frontend", "identity", "courier", "metadata"];

/// The Rust name of the JSON Patch document (`jsonPatchDocument`). A body
/// of this type is checked before it is sent (`Request::json_patch`): an
/// `op` RFC 6902 does not define, or a patch without its `value` or `from`,
/// is refused.
pub const JSON_PATCH_DOCUMENT: &str = "JsonPatchDocument";

/// The Rust name of a form's input node attributes (`uiNodeInputAttributes`):
/// its `value` is as secret as its `name` says (the `csrf_token` node of a
/// browser flow carries the token, a refused form may carry back a `code`),
/// so its `Debug` blanks the value of a node named like a secret field.
pub const NAMED_INPUT: &str = "UiNodeInputAttributes";

/// An expression of type `Option<&GenericError>` that reaches Kratos's
/// error object inside a value named `body` of type `ty`, if it holds one:
/// the object itself, or an `error` field holding it (or holding an
/// envelope that does, as upstream documents the 422 body).
pub fn generic_error_path(types: &TypeSet, ty: &Ty) -> Option<String> {
    const TARGET: &str = ERROR_OBJECT;
    let Ty::Named(name) = ty else { return None };
    if name == TARGET {
        return Some("Some(body)".into());
    }
    let error_field = |struct_name: &str| -> Option<&Field> {
        match types.items.get(struct_name) {
            Some(Item::Struct { fields, .. }) => fields.iter().find(|f| f.json == "error"),
            _ => None,
        }
    };
    let outer = error_field(name)?;
    let Ty::Named(outer_ty) = &outer.ty else {
        return None;
    };
    let outer_expr = if types.is_optional(outer) {
        "body.error.as_ref()".to_string()
    } else {
        "Some(&body.error)".to_string()
    };
    if outer_ty == TARGET {
        return Some(outer_expr);
    }
    let inner = error_field(outer_ty)?;
    match (&inner.ty, types.is_optional(inner)) {
        (Ty::Named(t), false) if t == TARGET => Some(format!("{outer_expr}.map(|e| &e.error)")),
        (Ty::Named(t), true) if t == TARGET => {
            Some(format!("{outer_expr}.and_then(|e| e.error.as_ref())"))
        }
        _ => None,
    }
}

/// Whether the struct `fields` is a Kratos flow: a required form
/// (see [`FLOW_FORM_FIELD`]).
pub fn is_flow_fields(fields: &[Field]) -> bool {
    fields
        .iter()
        .any(|f| f.json == FLOW_FORM_FIELD && f.required && f.ty == Ty::Named(FORM_TYPE.into()))
}

/// Whether `ty` names a Kratos flow (see [`is_flow_fields`]).
pub fn is_flow(types: &TypeSet, ty: &Ty) -> bool {
    match ty {
        Ty::Named(name) => {
            matches!(types.items.get(name), Some(Item::Struct { fields, .. }) if is_flow_fields(fields))
        }
        _ => false,
    }
}

/// The variant for Kratos's standard error object sent with the error
/// status `code` in place of its documented body, if the operation gets
/// one: `Refused` for a 400, `{Status}Refused` for another status.
///
/// Kratos answers some documented error statuses with its standard error
/// object instead of the body the document names (a 400 that should be the
/// flow is `session_already_available` when a session was sent, or a code
/// submitted too often). Where the operation's default answer is that
/// object (`default_is_error_answer`), such a body gets a variant of its
/// own rather than a decode error. A documented body that reaches an
/// `error` object of its own (`body_has_error`: the 422 redirect answer)
/// is left alone.
pub fn refused_variant(
    code: u16,
    default_is_error_answer: bool,
    body_has_error: bool,
) -> Option<String> {
    (default_is_error_answer && code >= 400 && !body_has_error).then(|| match code {
        400 => "Refused".to_string(),
        _ => format!("{}Refused", names::status_variant(code)),
    })
}
