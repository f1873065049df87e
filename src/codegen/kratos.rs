//! What the generator knows about Kratos rather than about OpenAPI: every
//! rule that would not hold for another API lives here (the secret field
//! names, shared with the runtime, are in `src/secret_fields.rs`).

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
