//! Writing the Rust source of the operations: one API struct per tag, one
//! request builder and one error enum per operation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::kratos::{
    generic_error_path, is_flow, ERROR_OBJECT, ERROR_WRAPPER, FEATURE_TAGS, FORM_TYPE,
    PAGE_TOKEN_PARAMETER, SESSION_TOKEN_HEADER,
};
use super::names;
use super::spec::{Location, MediaType, RawOperation, RawResponse};
use super::types::{Ty, TypeSet, SECRET_FIELDS};
use super::{write_doc, GenError};

/// Builder field and method names the generated code and the runtime's
/// macros use themselves; a parameter of that name gets a `_` after it.
const RESERVED: &[&str] = &[
    "base",
    "body",
    "session_token",
    "send",
    "send_with_response",
    "decode_response",
    "all",
    "items",
];

/// A parameter as the builder holds it.
struct Param {
    /// The name on the wire.
    wire: String,
    /// The builder field and setter name.
    rust: String,
    location: Location,
    required: bool,
    doc: Option<String>,
    ty: Ty,
    /// Kept in a `Secret` (the `Cookie` header, one-time codes).
    secret: bool,
    /// A string the document says is a UUID (`format: uuid`): checked before
    /// anything is sent.
    uuid: bool,
}

impl Param {
    /// The builder field's type.
    fn field_type(&self) -> String {
        let base = if self.secret {
            "crate::Secret".to_string()
        } else {
            self.ty.rust_in_operations()
        };
        if self.required || matches!(self.ty, Ty::Vec(_)) {
            base
        } else {
            format!("Option<{base}>")
        }
    }

    /// The setter's argument type and how to turn the argument into the field's value.
    fn argument(&self) -> (String, String) {
        let name = &self.rust;
        if self.secret {
            return ("impl Into<crate::Secret>".into(), format!("{name}.into()"));
        }
        match &self.ty {
            Ty::String => ("impl Into<String>".into(), format!("{name}.into()")),
            // A list takes any iterator of anything that converts into
            // its items: `["password", "oidc"]` for a list of enums.
            Ty::Vec(inner) => (
                format!(
                    "impl IntoIterator<Item = impl Into<{}>>",
                    inner.rust_in_operations()
                ),
                format!("{name}.into_iter().map(Into::into).collect()"),
            ),
            Ty::Named(n) => (
                format!("impl Into<crate::models::{n}>"),
                format!("{name}.into()"),
            ),
            other => (other.rust_in_operations(), name.clone()),
        }
    }
}

impl Ty {
    /// The type as spelled outside `crate::models`.
    fn rust_in_operations(&self) -> String {
        self.rust_with_models("crate::models")
    }

    /// The type with its models named under `models` (`crate::models`, or
    /// `super::models` inside macro input, where prettyplease would space
    /// out `crate`).
    fn rust_with_models(&self, models: &str) -> String {
        match self {
            Ty::Named(name) => format!("{models}::{name}"),
            Ty::Vec(inner) => format!("Vec<{}>", inner.rust_with_models(models)),
            Ty::Nullable(inner) => format!("Option<{}>", inner.rust_with_models(models)),
            Ty::Map(inner) => format!(
                "std::collections::BTreeMap<String, {}>",
                inner.rust_with_models(models)
            ),
            other => other.rust(),
        }
    }
}

/// How a response's body is read.
#[derive(Clone)]
enum Body {
    None,
    Json(Ty),
    Text,
}

impl Body {
    fn rust(&self) -> Option<String> {
        self.rust_with_models("crate::models")
    }

    /// Its type, with the models named under `models` (see
    /// [`Ty::rust_with_models`]).
    fn rust_with_models(&self, models: &str) -> Option<String> {
        match self {
            Body::None => None,
            Body::Json(ty) => Some(ty.rust_with_models(models)),
            Body::Text => Some("String".into()),
        }
    }

    /// The expression that reads it from `response`, `?` included.
    fn read(&self) -> &'static str {
        match self {
            Body::None => "",
            Body::Json(_) => "response.json()?",
            Body::Text => unreachable!("refused when the operation is read"),
        }
    }

    /// The expression that reads it from an error answer, with the secrets
    /// the request carried blanked.
    fn read_error(&self) -> &'static str {
        match self {
            Body::None => "",
            Body::Json(_) => "response.error_json()?",
            Body::Text => "response.error_text()",
        }
    }
}

struct Outcome {
    status: Option<u16>,
    description: Option<String>,
    body: Body,
}

/// An operation, ready to write.
struct Operation<'a> {
    raw: &'a RawOperation,
    /// `CreateNativeRegistrationFlow`.
    builder: String,
    /// `create_native_registration_flow`.
    method: String,
    params: Vec<Param>,
    /// The request body's type and whether it is required.
    body: Option<(Ty, bool)>,
    successes: Vec<Outcome>,
    errors: Vec<Outcome>,
    default: Option<Outcome>,
    /// For a paginated list (see [`PAGE_TOKEN_PARAMETER`]): what it holds.
    page_item: Option<Ty>,
}

impl Operation<'_> {
    fn error_enum(&self) -> String {
        // `GetFlowError` fetches a flow's error: its own failures are
        // `GetFlowErrorFailure`, not `GetFlowErrorError`.
        match self.builder.ends_with("Error") {
            true => format!("{}Failure", self.builder),
            false => format!("{}Error", self.builder),
        }
    }
}

fn plan<'a>(raw: &'a RawOperation, types: &mut TypeSet) -> Result<Operation<'a>, GenError> {
    let builder = names::pascal(&raw.id);
    let mut params = Vec::new();
    for p in &raw.parameters {
        let lower = p.name.to_ascii_lowercase();
        if p.location == Location::Header && lower == SESSION_TOKEN_HEADER {
            continue;
        }
        let (ty, _) = types.ty(&p.schema, &format!("{}_{}", raw.id, p.name))?;
        // Header parameters (in Kratos's documents, only `Cookie` once the
        // session token is set apart), and one-time codes such as
        // `init_code`, stay out of `Debug` and errors.
        let secret = p.location == Location::Header
            || (ty == Ty::String && SECRET_FIELDS.contains(&p.name.as_str()));
        let ty = match (p.location, ty) {
            // Path segments and headers are text.
            (
                Location::Path | Location::Header,
                Ty::Vec(_) | Ty::Json | Ty::JsonObject | Ty::Map(_),
            ) => Ty::String,
            (_, ty) => ty,
        };
        let mut rust = names::field(p.name.strip_prefix("X-").unwrap_or(&p.name));
        if RESERVED.contains(&rust.as_str()) {
            rust.push('_');
        }
        let uuid = ty == Ty::String
            && p.schema.get("format").and_then(serde_json::Value::as_str) == Some("uuid");
        params.push(Param {
            wire: p.name.clone(),
            rust,
            location: p.location,
            required: p.required,
            doc: p.description.clone(),
            ty,
            secret,
            uuid,
        });
    }
    let body = match &raw.body {
        Some((schema, required)) => {
            Some((types.ty(schema, &format!("{}_body", raw.id))?.0, *required))
        }
        None => None,
    };
    let mut successes = Vec::new();
    let mut errors = Vec::new();
    let mut default = None;
    for r in &raw.responses {
        let outcome = outcome(r, &raw.id, types)?;
        match r.status {
            Some(code) if (200..300).contains(&code) => {
                // None of Kratos's documents answers text on success (only
                // the health checks' errors are text); say so rather than
                // carry a reader for it.
                if matches!(outcome.body, Body::Text) {
                    return Err(GenError(format!(
                        "{}: a text answer on success ({code}) is not supported",
                        raw.id
                    )));
                }
                successes.push(outcome);
            }
            Some(_) => errors.push(outcome),
            None => default = Some(outcome),
        }
    }
    let takes_page_token = params
        .iter()
        .any(|p| p.location == Location::Query && p.wire == PAGE_TOKEN_PARAMETER && !p.required);
    // A list answers with an array, spelled out or named (`identitySchemas`).
    let page_item = match successes.as_slice() {
        [Outcome {
            body: Body::Json(ty),
            ..
        }] if takes_page_token => types.array_item(ty),
        _ => None,
    };
    Ok(Operation {
        raw,
        method: names::snake(&raw.id),
        builder,
        params,
        body,
        successes,
        errors,
        default,
        page_item,
    })
}

fn outcome(r: &RawResponse, op_id: &str, types: &mut TypeSet) -> Result<Outcome, GenError> {
    let label = r
        .status
        .map(names::status_variant)
        .unwrap_or_else(|| "Default".into());
    let body = match &r.body {
        None => Body::None,
        Some((MediaType::Text, _)) => Body::Text,
        Some((MediaType::Json, schema)) => {
            Body::Json(types.ty(schema, &format!("{op_id}_{label}_body"))?.0)
        }
    };
    Ok(Outcome {
        status: r.status,
        description: r.description.clone(),
        body,
    })
}

/// What `send()` returns on success, and the match arms that produce it.
/// The success type (its models named under `models`) and the match arms
/// that read it.
fn success(op: &Operation, models: &str) -> (String, Vec<String>) {
    if let (Some(item), [only]) = (&op.page_item, op.successes.as_slice()) {
        return (
            format!("crate::Page<{}>", item.rust_with_models(models)),
            vec![format!(
                "{} => Ok(response.page()?),",
                only.status.unwrap_or(200)
            )],
        );
    }
    let typed: Vec<&Outcome> = op
        .successes
        .iter()
        .filter(|o| o.body.rust().is_some())
        .collect();
    let mut kinds: Vec<String> = typed
        .iter()
        .filter_map(|o| o.body.rust_with_models(models))
        .collect();
    kinds.dedup();
    let codes = |outcomes: &[&Outcome]| {
        outcomes
            .iter()
            .filter_map(|o| o.status)
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let empty: Vec<&Outcome> = op
        .successes
        .iter()
        .filter(|o| o.body.rust().is_none())
        .collect();
    match kinds.as_slice() {
        [] => {
            let pattern = if empty.is_empty() {
                "200..=299".to_string()
            } else {
                codes(&empty)
            };
            ("()".into(), vec![format!("{pattern} => Ok(()),")])
        }
        [one] => {
            let read = typed[0].body.read();
            if empty.is_empty() {
                (
                    one.clone(),
                    vec![format!("{} => Ok({read}),", codes(&typed))],
                )
            } else {
                (
                    format!("Option<{one}>"),
                    vec![
                        format!("{} => Ok(Some({read})),", codes(&typed)),
                        format!("{} => Ok(None),", codes(&empty)),
                    ],
                )
            }
        }
        _ => {
            // Bodies of different types: hand over the JSON as it is.
            let mut all = typed.clone();
            all.extend(empty);
            (
                "serde_json::Value".into(),
                vec![format!("{} => Ok(response.json()?),", codes(&all))],
            )
        }
    }
}

/// Writes the operations and returns (source of `crate::operations`, the names to re-export at the crate root).
/// What [`operations`] writes: the source, the names the crate root
/// re-exports, and the cargo features each generated item needs.
pub struct Written {
    pub source: String,
    pub exports: Vec<String>,
    /// Item name (an API, builder, error enum or model) → the features any
    /// one of which compiles it. Items not listed are always compiled.
    pub features: BTreeMap<String, BTreeSet<String>>,
}

pub fn operations(
    raw_operations: &[RawOperation],
    tags: &BTreeMap<String, String>,
    types: &mut TypeSet,
) -> Result<Written, GenError> {
    let mut out = String::new();
    let mut exports = Vec::new();
    let mut by_tag: BTreeMap<&str, Vec<Operation>> = BTreeMap::new();
    for raw in raw_operations {
        by_tag
            .entry(raw.tag.as_str())
            .or_default()
            .push(plan(raw, types)?);
    }
    let bodies: Vec<Ty> = by_tag
        .values()
        .flatten()
        .filter_map(|op| op.body.as_ref().map(|(ty, _)| ty.clone()))
        .collect();
    types.requests = types.closure(&bodies);
    types.bodies = bodies
        .iter()
        .filter_map(|ty| match ty {
            Ty::Named(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    types.echoes = by_tag
        .values()
        .flatten()
        .flat_map(|op| op.errors.iter().chain(&op.default))
        .filter_map(|outcome| match &outcome.body {
            Body::Json(Ty::Named(name)) => Some(name.clone()),
            _ => None,
        })
        .chain([ERROR_WRAPPER.to_string(), ERROR_OBJECT.to_string()])
        .collect();
    for (tag, ops) in &by_tag {
        let api = format!("{}Api", names::pascal(tag));
        write_api(&mut out, &api, tag, tags.get(*tag).map(String::as_str), ops);
        exports.push(api.clone());
        for op in ops {
            write_builder(&mut out, &api, op, types);
            write_error(&mut out, op, types);
            exports.push(op.error_enum());
        }
    }
    let features = features(&by_tag, types);
    Ok(Written {
        source: out,
        exports,
        features,
    })
}

/// The features each item needs: an operation's own items its tag's, a
/// model the tags of every operation that reaches it. Items reached by a
/// tag that is no feature, and the error models the runtime itself uses,
/// are always compiled.
fn features(
    by_tag: &BTreeMap<&str, Vec<Operation>>,
    types: &TypeSet,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut always = types.closure(&[
        Ty::Named(ERROR_WRAPPER.into()),
        Ty::Named(super::kratos::ERROR_OBJECT.into()),
    ]);
    for (tag, ops) in by_tag {
        let is_feature = FEATURE_TAGS.contains(tag);
        let api = format!("{}Api", names::pascal(tag));
        let mut items = vec![api];
        let mut roots: Vec<Ty> = Vec::new();
        for op in ops {
            items.push(op.builder.clone());
            items.push(op.error_enum());
            roots.extend(op.params.iter().map(|p| p.ty.clone()));
            roots.extend(op.body.iter().map(|(ty, _)| ty.clone()));
            for outcome in op.successes.iter().chain(&op.errors).chain(&op.default) {
                if let Body::Json(ty) = &outcome.body {
                    roots.push(ty.clone());
                }
            }
        }
        items.extend(types.closure(&roots));
        for item in items {
            if is_feature {
                needs.entry(item).or_default().insert(tag.to_string());
            } else {
                always.insert(item);
            }
        }
    }
    needs.retain(|item, _| !always.contains(item));
    needs
}

fn write_api(out: &mut String, api: &str, tag: &str, description: Option<&str>, ops: &[Operation]) {
    let _ = writeln!(out, "/// The operations tagged `{tag}`.");
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "///");
        write_doc(out, "", Some(d));
    }
    let _ = writeln!(
        out,
        "///\n/// Cheap to clone: clones share the [`Client`](crate::Client) and its connection pool.
#[derive(Debug, Clone)]
pub struct {api} {{
    client: crate::Client,
}}

impl {api} {{
    /// The API of the Kratos server at `base_url`, with default settings.
    ///
    /// Fails if `base_url` is not an absolute `http` or `https` URL.
    /// Use [`Client::builder`](crate::Client::builder) for timeouts and other settings.
    pub fn new(base_url: impl AsRef<str>) -> Result<Self, crate::ConfigError> {{
        crate::Client::new(base_url).map(Self::from_client)
    }}

    /// The API over an existing client, sharing its settings and connections.
    pub fn from_client(client: crate::Client) -> Self {{
        Self {{ client }}
    }}

    /// The client this API sends requests with.
    pub fn client(&self) -> &crate::Client {{
        &self.client
    }}"
    );
    for op in ops {
        let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
        let mut args: Vec<String> = required
            .iter()
            .map(|p| format!("{}: {}", p.rust, p.argument().0))
            .collect();
        if let Some((ty, true)) = &op.body {
            args.push(format!("body: impl Into<{}>", ty.rust_in_operations()));
        }
        let _ = writeln!(out);
        write_doc(
            out,
            "    ",
            op.raw.summary.as_deref().or(op.raw.description.as_deref()),
        );
        let _ = writeln!(
            out,
            "    ///\n    /// `{} {}`. Set optional parameters on the returned [`{}`], then call\n    /// [`send`]({}::send).",
            op.raw.method, op.raw.path, op.builder, op.builder
        );
        let _ = writeln!(
            out,
            "    pub fn {}(&self{}) -> {} {{",
            op.method,
            args.iter().map(|a| format!(", {a}")).collect::<String>(),
            op.builder
        );
        let _ = writeln!(out, "        {} {{", op.builder);
        let _ = writeln!(
            out,
            "            base: crate::operation::Base::new(&self.client),"
        );
        for p in &op.params {
            let value = if p.required {
                p.argument().1
            } else if matches!(p.ty, Ty::Vec(_)) {
                "Vec::new()".into()
            } else {
                "None".into()
            };
            if value == p.rust {
                let _ = writeln!(out, "            {},", p.rust);
            } else {
                let _ = writeln!(out, "            {}: {value},", p.rust);
            }
        }
        match &op.body {
            Some((_, true)) => {
                let _ = writeln!(out, "            body: body.into(),");
            }
            Some((_, false)) => {
                let _ = writeln!(out, "            body: None,");
            }
            None => {}
        }
        let _ = writeln!(out, "        }}\n    }}");
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(
        out,
        "impl crate::Client {{\n    /// The operations tagged `{tag}`, over this client.\n    pub fn {}(&self) -> {api} {{\n        {api}::from_client(self.clone())\n    }}\n}}\n",
        names::field(tag)
    );
}

fn write_builder(out: &mut String, api: &str, op: &Operation, types: &TypeSet) {
    let builder = &op.builder;
    write_doc(out, "", op.raw.summary.as_deref());
    if op.raw.summary.is_some() && op.raw.description.is_some() {
        let _ = writeln!(out, "///");
    }
    write_doc(out, "", op.raw.description.as_deref());
    let _ = writeln!(
        out,
        "///\n/// Made by [`{api}::{}`]. Nothing is sent until [`send`](Self::send) is awaited.",
        op.method
    );
    let _ = writeln!(out, "#[derive(Debug, Clone)]");
    let _ = writeln!(
        out,
        "#[must_use = \"nothing is sent until `.send().await`\"]"
    );
    let _ = writeln!(out, "pub struct {builder} {{");
    let _ = writeln!(out, "    base: crate::operation::Base,");
    for p in &op.params {
        let _ = writeln!(out, "    {}: {},", p.rust, p.field_type());
    }
    match &op.body {
        Some((ty, true)) => {
            let _ = writeln!(out, "    body: {},", ty.rust_in_operations());
        }
        Some((ty, false)) => {
            let _ = writeln!(out, "    body: Option<{}>,", ty.rust_in_operations());
        }
        None => {}
    }
    let _ = writeln!(out, "}}\n");

    let setters: Vec<&Param> = op.params.iter().filter(|p| !p.required).collect();
    let has_body_setter = matches!(op.body, Some((_, false)));
    if !setters.is_empty() || has_body_setter {
        let _ = writeln!(out, "impl {builder} {{");
    }
    for p in setters.iter().copied() {
        write_doc(out, "    ", p.doc.as_deref());
        let (arg, value) = p.argument();
        let _ = writeln!(
            out,
            "    pub fn {0}(mut self, {0}: {arg}) -> Self {{",
            p.rust
        );
        let list = matches!(p.ty, Ty::Vec(_)) && !p.secret;
        if list {
            let _ = writeln!(out, "        self.{} = {value};", p.rust);
        } else {
            let _ = writeln!(out, "        self.{} = Some({value});", p.rust);
        }
        let _ = writeln!(out, "        self\n    }}\n");
        write_option_twin(out, &p.rust, &arg, list);
    }
    if let Some((ty, false)) = &op.body {
        let arg = format!("impl Into<{}>", ty.rust_in_operations());
        let _ = writeln!(
            out,
            "    /// The request body.\n    pub fn body(mut self, body: {arg}) -> Self {{\n        self.body = Some(body.into());\n        self\n    }}\n"
        );
        write_option_twin(out, "body", &arg, false);
    }

    if !setters.is_empty() || has_body_setter {
        let _ = writeln!(out, "}}\n");
    }

    let (success_type, success_arms) = success(op, "crate::models");
    let error = op.error_enum();
    let (id, path) = (&op.raw.id, &op.raw.path);
    let method = op.raw.method.to_uppercase();
    let documented: Vec<String> = op
        .successes
        .iter()
        .chain(&op.errors)
        .filter_map(|o| o.status)
        .map(|c| c.to_string())
        .collect();
    let _ = writeln!(
        out,
        "impl crate::operation::Operation for {builder} {{
    type Output = {success_type};
    type Error = {error};
    const ID: &'static str = {id:?};
    const METHOD: &'static str = {method:?};
    const PATH: &'static str = {path:?};
    const DOCUMENTED: &'static [u16] = &[{}];{}

    fn base(&self) -> &crate::operation::Base {{
        &self.base
    }}
",
        documented.join(", "),
        if op.raw.secured {
            "\n    const AUTHORIZED: bool = true;"
        } else {
            ""
        }
    );
    // `request` and `decode` are `#[inline]`, like `send`'s generic code
    // around them: an operation's own code is compiled in the crate that
    // sends it, and only if it does (BENCHMARKS.md, "Each operation's code
    // compiled where it is used").
    let _ = writeln!(
        out,
        "    #[inline]\n    fn request(&self) -> crate::client::Request {{"
    );
    let segments: Vec<String> = op
        .raw
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| path_segment(segment, &op.params))
        .collect();
    let start = format!(
        "self.base.request(reqwest::Method::{}, &[{}])",
        op.raw.method,
        segments.join(", ")
    );
    // What the parameters and the body add to the request.
    let mut adds = String::new();
    for p in op.params.iter().filter(|p| p.uuid) {
        if p.required {
            let _ = writeln!(
                adds,
                "        request.expect_uuid({:?}, &self.{});",
                p.wire, p.rust
            );
        } else {
            let _ = writeln!(
                adds,
                "        if let Some(value) = &self.{} {{\n            request.expect_uuid({:?}, value);\n        }}",
                p.rust, p.wire
            );
        }
    }
    for p in &op.params {
        let call = |value: &str| match (p.location, p.secret) {
            (Location::Query, false) => format!("request.query({:?}, {value})", p.wire),
            (Location::Query, true) => format!("request.secret_query({:?}, {value})", p.wire),
            // A header parameter is a credential in every Kratos document
            // (`Cookie`, `X-Session-Token`): each is sent as a secret.
            (Location::Header, _) => format!("request.secret_header({:?}, {value})", p.wire),
            (Location::Path, _) => unreachable!("path parameters are in the path"),
        };
        if p.location == Location::Path {
            continue;
        }
        if matches!(p.ty, Ty::Vec(_)) {
            let _ = writeln!(
                adds,
                "        for value in &self.{} {{\n            {};\n        }}",
                p.rust,
                call("value")
            );
        } else if p.required {
            let _ = writeln!(adds, "        {};", call(&format!("&self.{}", p.rust)));
        } else {
            let _ = writeln!(
                adds,
                "        if let Some(value) = &self.{} {{\n            {};\n        }}",
                p.rust,
                call("value")
            );
        }
    }
    let set_body = |ty: &Ty| match ty {
        Ty::Named(name) if name == super::kratos::JSON_PATCH_DOCUMENT => "json_patch",
        _ => "json",
    };
    match &op.body {
        Some((ty, true)) => {
            let _ = writeln!(adds, "        request.{}(&self.body);", set_body(ty));
        }
        Some((ty, false)) => {
            let _ = writeln!(
                adds,
                "        if let Some(body) = &self.body {{\n            request.{}(body);\n        }}",
                set_body(ty)
            );
        }
        None => {}
    }
    if adds.is_empty() {
        let _ = writeln!(out, "        {start}\n    }}\n");
    } else {
        let _ = writeln!(
            out,
            "        let mut request = {start};\n{adds}        request\n    }}\n"
        );
    }

    let _ = writeln!(
        out,
        "    #[inline]\n    fn decode(response: &crate::client::RawResponse) -> Result<Self::Output, crate::Error<Self::Error>> {{"
    );
    if !op.errors.is_empty() || op.default.is_some() {
        let _ = writeln!(out, "        use {error} as E;");
    }
    let _ = writeln!(out, "        match response.status().as_u16() {{");
    for arm in success_arms {
        let _ = writeln!(out, "            {arm}");
    }
    for e in &op.errors {
        let Some(code) = e.status else { continue };
        let variant = names::status_variant(code);
        let value = match e.body {
            Body::None => format!("E::{variant}"),
            _ => format!("E::{variant}({})", e.body.read_error()),
        };
        if let Some(refused) = refused_variant(op, e, types) {
            let _ = writeln!(
                out,
                "            {code} if response.is_error_object() => Err(crate::Error::Api(E::{refused}(response.error_json()?))),"
            );
        }
        let _ = writeln!(
            out,
            "            {code} => Err(crate::Error::Api({value})),"
        );
    }
    if let Some(d) = &op.default {
        let fields = match d.body {
            Body::None => "status: response.status()".to_string(),
            _ => format!("status: response.status(), body: {}", d.body.read_error()),
        };
        let _ = writeln!(
            out,
            "            code if code >= 400 => Err(crate::Error::Api(E::Default {{ {fields} }})),"
        );
    }
    let _ = writeln!(
        out,
        "            _ => Err(response.unexpected_status().into()),"
    );
    let _ = writeln!(out, "        }}\n    }}\n}}\n");
    // The models as `super::models`, not `crate::models`: prettyplease
    // spaces out `crate` inside macro input.
    let output = match &op.page_item {
        Some(item) => format!("pages of {}", item.rust_with_models("super::models")),
        None => success(op, "super::models").0,
    };
    let _ = writeln!(
        out,
        "crate::operation::impl_operation!({builder}, {output}, {error});\n"
    );
    // A list operation also follows its pages: `all()` and `items()`.
    if let Some(item) = &op.page_item {
        let _ = writeln!(
            out,
            "crate::paginate::impl_paginated!({builder}, {}, {error});\n",
            item.rust_with_models("super::models")
        );
    }
}

/// The `Option` twin of the optional setter `name` (`set_{name}`), as
/// aws-sdk-rust has them: `Some` sets what the setter sets, `None` leaves
/// the parameter out (a list empty), so that a value the caller may or may
/// not have takes one call. `arg` is the setter's argument type, an
/// `impl Into<T>` or `impl IntoIterator<Item = impl Into<T>>`; the twin is
/// generic over the same.
pub(super) fn write_option_twin(out: &mut String, name: &str, arg: &str, list: bool) {
    let field = name.trim_start_matches("r#");
    let (generics, param) = match arg.strip_prefix("impl IntoIterator<Item = impl Into<") {
        Some(rest) => {
            let inner = rest.trim_end_matches(">>");
            (
                format!("<I: IntoIterator<Item = T>, T: Into<{inner}>>"),
                "I".to_string(),
            )
        }
        None => match arg.strip_prefix("impl ") {
            Some(bound) => (format!("<T: {bound}>"), "T".to_string()),
            None => (String::new(), arg.to_string()),
        },
    };
    let value = match (list, param.as_str()) {
        (true, _) => format!(
            "{field}.map(|items| items.into_iter().map(Into::into).collect()).unwrap_or_default()"
        ),
        (false, "I") => format!("{field}.map(|items| items.into_iter().map(Into::into).collect())"),
        (false, "T") => format!("{field}.map(Into::into)"),
        (false, _) => field.to_string(),
    };
    let _ = writeln!(
        out,
        "    /// Sets or leaves out `{field}` by an `Option`; see [`{name}`](Self::{name}).\n    pub fn set_{field}{generics}(mut self, {field}: Option<{param}>) -> Self {{\n        self.{name} = {value};\n        self\n    }}\n"
    );
}

/// The variant for Kratos's standard error object sent with `e`'s status in
/// place of its documented body, if the operation gets one (see
/// [`kratos::refused_variant`](super::kratos::refused_variant)).
fn refused_variant(op: &Operation, e: &Outcome, types: &TypeSet) -> Option<String> {
    let default_is_error_answer = op
        .default
        .as_ref()
        .is_some_and(|d| is_wrapper_body(&d.body));
    let body_has_error = match &e.body {
        Body::Json(ty) => generic_error_path(types, ty).is_some(),
        _ => true,
    };
    super::kratos::refused_variant(e.status?, default_is_error_answer, body_has_error)
}

/// Whether a response body is Kratos's standard error answer.
fn is_wrapper_body(body: &Body) -> bool {
    matches!(body, Body::Json(Ty::Named(name)) if name == ERROR_WRAPPER)
}

/// A path segment as a Rust expression: a literal, or the parameter it names.
fn path_segment(segment: &str, params: &[Param]) -> String {
    let Some(start) = segment.find('{') else {
        return format!("{segment:?}");
    };
    let end = segment.find('}').unwrap_or(segment.len());
    let name = &segment[start + 1..end];
    let field = params
        .iter()
        .find(|p| p.location == Location::Path && p.wire == name)
        .map(|p| p.rust.clone())
        .unwrap_or_else(|| names::field(name));
    let text = params
        .iter()
        .any(|p| p.location == Location::Path && p.wire == name && p.ty == Ty::String);
    if start == 0 && end == segment.len() - 1 {
        // A text parameter is a segment as it is; another (a number, an
        // enum) is written out.
        match text {
            true => format!("&self.{field}"),
            false => format!("&self.{field}.to_string()"),
        }
    } else {
        format!(
            "&format!(\"{}{{}}{}\", self.{field})",
            &segment[..start],
            &segment[(end + 1).min(segment.len())..]
        )
    }
}

fn write_error(out: &mut String, op: &Operation, types: &TypeSet) {
    let error = op.error_enum();
    let _ = writeln!(
        out,
        "/// The documented error answers of [`{}`]: one variant per status it lists.",
        op.builder
    );
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq)]");
    let _ = writeln!(out, "#[non_exhaustive]");
    let _ = writeln!(out, "pub enum {error} {{");
    let mut statuses = Vec::new();
    // (pattern, expression) pairs for `generic_error()`.
    let mut generic = Vec::new();
    // Patterns of the variants whose body is the standard error wrapper, for `error_body()`.
    let mut wrapped = Vec::new();
    let error_path = |body: &Body| match body {
        Body::Json(ty) => generic_error_path(types, ty),
        _ => None,
    };
    let is_wrapper = is_wrapper_body;
    for e in &op.errors {
        let Some(code) = e.status else { continue };
        let variant = names::status_variant(code);
        let mut doc = format!("{code}: {}", e.description.as_deref().unwrap_or(""));
        let refused = refused_variant(op, e, types);
        if let Some(refused) = &refused {
            doc.push_str(&format!(
                "\n\nWhen Kratos sends its standard error object with this status instead, the answer is [`Self::{refused}`]."
            ));
        }
        write_doc(out, "    ", Some(&doc));
        match e.body.rust() {
            Some(ty) => {
                let _ = writeln!(out, "    {variant}({ty}),");
                statuses.push(format!(
                    "Self::{variant}(_) => crate::error::status_code({code}),"
                ));
                if let Some(path) = error_path(&e.body) {
                    generic.push((format!("Self::{variant}(body)"), path));
                }
                if is_wrapper(&e.body) {
                    wrapped.push(format!("Self::{variant}(body)"));
                }
            }
            None => {
                let _ = writeln!(out, "    {variant},");
                statuses.push(format!(
                    "Self::{variant} => crate::error::status_code({code}),"
                ));
            }
        }
        if let Some(refused) = refused {
            let what = match &e.body {
                Body::Json(ty) if is_flow(types, ty) => "the flow: the submission was refused outright, not the input in the form (`session_already_available`; a code submitted more often than Kratos allows, whose error names a new flow in `details.continue_with`)",
                _ => "its documented body",
            };
            write_doc(
                out,
                "    ",
                Some(&format!(
                    "{code} with Kratos's error object instead of {what}."
                )),
            );
            let _ = writeln!(out, "    {refused}(crate::models::{ERROR_WRAPPER}),");
            statuses.push(format!(
                "Self::{refused}(_) => crate::error::status_code({code}),"
            ));
            generic.push((
                format!("Self::{refused}(body)"),
                "Some(&body.error)".to_string(),
            ));
            wrapped.push(format!("Self::{refused}(body)"));
        }
    }
    if let Some(d) = &op.default {
        write_doc(
            out,
            "    ",
            Some(&format!(
                "Any other error status: {}",
                d.description.as_deref().unwrap_or("")
            )),
        );
        match d.body.rust() {
            Some(ty) => {
                let _ = writeln!(
                    out,
                    "    Default {{ status: reqwest::StatusCode, body: {ty} }},"
                );
                statuses.push("Self::Default { status, .. } => *status,".to_string());
                if let Some(path) = error_path(&d.body) {
                    generic.push(("Self::Default { body, .. }".to_string(), path));
                }
                if is_wrapper(&d.body) {
                    wrapped.push("Self::Default { body, .. }".to_string());
                }
            }
            None => {
                let _ = writeln!(out, "    Default {{ status: reqwest::StatusCode }},");
                statuses.push("Self::Default { status } => *status,".to_string());
            }
        }
    }
    let _ = writeln!(out, "}}\n");
    // A flow sent back with an error status may be the flow's next step
    // rather than a refusal; the runtime's macro tells them apart.
    for e in &op.errors {
        if let (Some(code), Body::Json(ty)) = (e.status, &e.body) {
            if is_flow(types, ty) {
                let _ = writeln!(
                    out,
                    "crate::next_step::impl_next_step!({error}, {}, {});\n",
                    names::status_variant(code),
                    ty.rust()
                );
            }
        }
    }
    let has_flow = op
        .errors
        .iter()
        .any(|e| matches!((e.status, &e.body), (Some(_), Body::Json(ty)) if is_flow(types, ty)));
    let _ = writeln!(
        out,
        "impl crate::OperationError for {error} {{\n    #[inline]\n    fn status(&self) -> reqwest::StatusCode {{"
    );
    if statuses.is_empty() {
        let _ = writeln!(out, "        match *self {{}}");
    } else {
        let _ = writeln!(out, "        match self {{");
        for s in &statuses {
            let _ = writeln!(out, "            {s}");
        }
        let _ = writeln!(out, "        }}");
    }
    let _ = writeln!(out, "    }}");
    if !generic.is_empty() {
        let _ = writeln!(
            out,
            "\n    #[inline]\n    fn generic_error(&self) -> Option<&crate::models::GenericError> {{\n        match self {{"
        );
        for (pattern, path) in &generic {
            let _ = writeln!(out, "            {pattern} => {path},");
        }
        if generic.len() < statuses.len() {
            let _ = writeln!(out, "            _ => None,");
        }
        let _ = writeln!(out, "        }}\n    }}");
    }
    if has_flow {
        // The flow's form and id through the trait, the same on every
        // flow's update error; `flow()` comes from `impl_next_step!`.
        let _ = writeln!(
            out,
            "\n    #[inline]\n    fn form(&self) -> Option<&crate::models::{FORM_TYPE}> {{\n        self.flow().map(|flow| &flow.ui)\n    }}\n\n    #[inline]\n    fn flow_id(&self) -> Option<&str> {{\n        self.flow().map(|flow| flow.id.as_str())\n    }}"
        );
    }
    if !wrapped.is_empty() {
        let _ = writeln!(
            out,
            "\n    #[inline]\n    fn error_body(&self) -> Option<&crate::models::{ERROR_WRAPPER}> {{\n        match self {{\n            {} => Some(body),",
            wrapped.join(" | ")
        );
        if wrapped.len() < statuses.len() {
            let _ = writeln!(out, "            _ => None,");
        }
        let _ = writeln!(out, "        }}\n    }}");
    }
    let _ = writeln!(out, "}}\n");
}
