//! Writing the Rust source of the operations: one API struct per tag, one
//! request builder and one error enum per operation.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::kratos::{
    generic_error_path, is_flow, ERROR_OBJECT, ERROR_WRAPPER, FEATURE_TAGS, FORM_TYPE,
    PAGE_TOKEN_PARAMETER, SESSION_TOKEN_HEADER,
};
use super::names;
use super::spec::{Location, MediaType, RawOperation, RawResponse};
use super::tokens::{code, doc, doc_line, ident, number};
use super::types::{Ty, TypeSet, SECRET_FIELDS};
use super::GenError;

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
    fn field_type(&self) -> TokenStream {
        let base = match self.secret {
            true => quote!(crate::Secret),
            false => code(&self.ty.rust_in_operations()),
        };
        if self.required || matches!(self.ty, Ty::Vec(_)) {
            base
        } else {
            quote!(Option<#base>)
        }
    }

    /// The setter's argument and how to turn it into the field's value.
    fn argument(&self) -> (Arg, TokenStream) {
        let name = ident(&self.rust);
        if self.secret {
            return (Arg::Into(quote!(crate::Secret)), quote!(#name.into()));
        }
        match &self.ty {
            // A list takes any iterator of anything that converts into
            // its items: `["password", "oidc"]` for a list of enums.
            Ty::Vec(inner) => (
                Arg::Items(code(&inner.rust_in_operations())),
                quote!(#name.into_iter().map(Into::into).collect()),
            ),
            Ty::String | Ty::Named(_) => (
                Arg::Into(code(&self.ty.rust_in_operations())),
                quote!(#name.into()),
            ),
            other => (
                Arg::Exactly(code(&other.rust_in_operations())),
                quote!(#name),
            ),
        }
    }
}

/// What a setter takes.
pub(super) enum Arg {
    /// `impl Into<T>`.
    Into(TokenStream),
    /// `impl IntoIterator<Item = impl Into<T>>`, for a list of `T`.
    Items(TokenStream),
    /// The type itself.
    Exactly(TokenStream),
}

impl Arg {
    /// The argument's type.
    pub(super) fn ty(&self) -> TokenStream {
        match self {
            Arg::Into(ty) => quote!(impl Into<#ty>),
            Arg::Items(item) => quote!(impl IntoIterator<Item = impl Into<#item>>),
            Arg::Exactly(ty) => ty.clone(),
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

/// What [`operations`] writes: the source of `crate::operations`, the names
/// the crate root re-exports, and the cargo features each generated item
/// needs.
pub struct Written {
    pub source: TokenStream,
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
    let mut out = TokenStream::new();
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
        out.extend(api_struct(
            &api,
            tag,
            tags.get(*tag).map(String::as_str),
            ops,
        ));
        exports.push(api.clone());
        for op in ops {
            out.extend(builder(&api, op, types));
            out.extend(error_enum(op, types));
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

/// The API struct of the operations tagged `tag`, and the method of
/// `Client` that makes it.
fn api_struct(api: &str, tag: &str, description: Option<&str>, ops: &[Operation]) -> TokenStream {
    let api = ident(api);
    let heading = doc_line(format!("The operations tagged `{tag}`."));
    let description = description.filter(|d| !d.is_empty()).map(|d| {
        let doc = doc(Some(d));
        quote!(#[doc = ""] #doc)
    });
    let methods = ops.iter().map(|op| {
        let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
        let mut args: Vec<TokenStream> = required
            .iter()
            .map(|p| {
                let (name, ty) = (ident(&p.rust), p.argument().0.ty());
                quote!(#name: #ty)
            })
            .collect();
        if let Some((ty, true)) = &op.body {
            let ty = code(&ty.rust_in_operations());
            args.push(quote!(body: impl Into<#ty>));
        }
        let summary = doc(op.raw.summary.as_deref().or(op.raw.description.as_deref()));
        let how = [
            doc_line(""),
            doc_line(format!(
                "`{} {}`. Set optional parameters on the returned [`{}`], then call",
                op.raw.method, op.raw.path, op.builder
            )),
            doc_line(format!("[`send`]({}::send).", op.builder)),
        ];
        let (method, builder) = (ident(&op.method), ident(&op.builder));
        let values = op.params.iter().map(|p| {
            let name = ident(&p.rust);
            if p.required {
                // Taken as it is: the field's own name, shorthand.
                match p.argument() {
                    (Arg::Exactly(_), _) => quote!(#name),
                    (_, value) => quote!(#name: #value),
                }
            } else if matches!(p.ty, Ty::Vec(_)) {
                quote!(#name: Vec::new())
            } else {
                quote!(#name: None)
            }
        });
        let body = match &op.body {
            Some((_, true)) => quote!(body: body.into(),),
            Some((_, false)) => quote!(body: None,),
            None => quote!(),
        };
        quote! {
            #summary
            #(#how)*
            pub fn #method(&self #(, #args)*) -> #builder {
                #builder {
                    base: crate::operation::Base::new(&self.client),
                    #(#values,)*
                    #body
                }
            }
        }
    });
    let client_method = ident(&names::field(tag));
    let client_doc = doc_line(format!("The operations tagged `{tag}`, over this client."));
    quote! {
        #heading
        #description
        ///
        /// Cheap to clone: clones share the [`Client`](crate::Client) and its connection pool.
        #[derive(Debug, Clone)]
        pub struct #api {
            client: crate::Client,
        }

        impl #api {
            /// The API of the Kratos server at `base_url`, with default settings.
            ///
            /// Fails if `base_url` is not an absolute `http` or `https` URL.
            /// Use [`Client::builder`](crate::Client::builder) for timeouts and other settings.
            pub fn new(base_url: impl AsRef<str>) -> Result<Self, crate::ConfigError> {
                crate::Client::new(base_url).map(Self::from_client)
            }

            /// The API over an existing client, sharing its settings and connections.
            pub fn from_client(client: crate::Client) -> Self {
                Self { client }
            }

            /// The client this API sends requests with.
            pub fn client(&self) -> &crate::Client {
                &self.client
            }

            #(#methods)*
        }

        impl crate::Client {
            #client_doc
            pub fn #client_method(&self) -> #api {
                #api::from_client(self.clone())
            }
        }
    }
}

/// An operation's request builder: its fields, its setters, and the
/// `Operation` impl that writes its request and reads its answer.
fn builder(api: &str, op: &Operation, types: &TypeSet) -> TokenStream {
    let name = ident(&op.builder);
    let summary = doc(op.raw.summary.as_deref());
    let between = (op.raw.summary.is_some() && op.raw.description.is_some()).then(|| doc_line(""));
    let description = doc(op.raw.description.as_deref());
    let made_by = doc_line(format!(
        "Made by [`{api}::{}`]. Nothing is sent until [`send`](Self::send) is awaited.",
        op.method
    ));
    let param_names: Vec<_> = op.params.iter().map(|p| ident(&p.rust)).collect();
    let param_types = op.params.iter().map(Param::field_type);
    let body_field = match &op.body {
        Some((ty, true)) => {
            let ty = code(&ty.rust_in_operations());
            quote!(body: #ty,)
        }
        Some((ty, false)) => {
            let ty = code(&ty.rust_in_operations());
            quote!(body: Option<#ty>,)
        }
        None => quote!(),
    };
    let mut out = quote! {
        #summary
        #between
        #description
        #[doc = ""]
        #made_by
        #[derive(Debug, Clone)]
        #[must_use = "nothing is sent until `.send().await`"]
        pub struct #name {
            base: crate::operation::Base,
            #(#param_names: #param_types,)*
            #body_field
        }
    };

    let mut setters = TokenStream::new();
    for p in op.params.iter().filter(|p| !p.required) {
        let doc = doc(p.doc.as_deref());
        let (arg, value) = p.argument();
        let (field, param) = (ident(&p.rust), arg.ty());
        let list = matches!(p.ty, Ty::Vec(_)) && !p.secret;
        let value = match list {
            true => value,
            false => quote!(Some(#value)),
        };
        setters.extend(quote! {
            #doc
            pub fn #field(mut self, #field: #param) -> Self {
                self.#field = #value;
                self
            }
        });
        setters.extend(option_twin(&p.rust, &arg, list));
    }
    if let Some((ty, false)) = &op.body {
        let arg = Arg::Into(code(&ty.rust_in_operations()));
        let param = arg.ty();
        setters.extend(quote! {
            /// The request body.
            pub fn body(mut self, body: #param) -> Self {
                self.body = Some(body.into());
                self
            }
        });
        setters.extend(option_twin("body", &arg, false));
    }
    if !setters.is_empty() {
        out.extend(quote! {
            impl #name {
                #setters
            }
        });
    }

    let (success_type, success_arms) = success(op, "crate::models");
    let (success_type, success_arms) = (
        code(&success_type),
        success_arms.iter().map(|arm| code(arm)),
    );
    let error = ident(&op.error_enum());
    let (id, path) = (&op.raw.id, &op.raw.path);
    let method = op.raw.method.to_uppercase();
    let documented = op
        .successes
        .iter()
        .chain(&op.errors)
        .filter_map(|o| o.status)
        .map(number);
    let authorized = op.raw.secured.then(|| {
        quote!(
            const AUTHORIZED: bool = true;
        )
    });
    let request = request_body(op);
    let use_error =
        (!op.errors.is_empty() || op.default.is_some()).then(|| quote!(use #error as E;));
    let error_arms = op.errors.iter().filter_map(|e| {
        let status = number(e.status?);
        let variant = ident(&names::status_variant(e.status?));
        let value = match e.body {
            Body::None => quote!(E::#variant),
            _ => {
                let read = code(e.body.read_error());
                quote!(E::#variant(#read))
            }
        };
        let refused = refused_variant(op, e, types).map(|refused| {
            let refused = ident(&refused);
            quote!(#status if response.is_error_object() => Err(crate::Error::Api(E::#refused(response.error_json()?))),)
        });
        Some(quote! {
            #refused
            #status => Err(crate::Error::Api(#value)),
        })
    });
    let default_arm = op.default.as_ref().map(|d| {
        let fields = match d.body {
            Body::None => quote!(status: response.status()),
            _ => {
                let read = code(d.body.read_error());
                quote!(status: response.status(), body: #read)
            }
        };
        quote!(code if code >= 400 => Err(crate::Error::Api(E::Default { #fields })),)
    });
    // `request` and `decode` are `#[inline]`, like `send`'s generic code
    // around them: an operation's own code is compiled in the crate that
    // sends it, and only if it does (BENCHMARKS.md, "Each operation's code
    // compiled where it is used").
    out.extend(quote! {
        impl crate::operation::Operation for #name {
            type Output = #success_type;
            type Error = #error;
            const ID: &'static str = #id;
            const METHOD: &'static str = #method;
            const PATH: &'static str = #path;
            const DOCUMENTED: &'static [u16] = &[#(#documented),*];
            #authorized

            fn base(&self) -> &crate::operation::Base {
                &self.base
            }

            #[inline]
            fn request(&self) -> crate::client::Request {
                #request
            }

            #[inline]
            fn decode(response: &crate::client::RawResponse) -> Result<Self::Output, crate::Error<Self::Error>> {
                #use_error
                match response.status().as_u16() {
                    #(#success_arms)*
                    #(#error_arms)*
                    #default_arm
                    _ => Err(response.unexpected_status().into()),
                }
            }
        }
    });
    // The models as `super::models`, not `crate::models`: prettyplease
    // spaces out `crate` inside macro input.
    let output = code(&match &op.page_item {
        Some(item) => format!("pages of {}", item.rust_with_models("super::models")),
        None => success(op, "super::models").0,
    });
    out.extend(quote!(crate::operation::impl_operation!(#name, #output, #error);));
    // A list operation also follows its pages: `all()` and `items()`.
    if let Some(item) = &op.page_item {
        let item = code(&item.rust_with_models("super::models"));
        out.extend(quote!(crate::paginate::impl_paginated!(#name, #item, #error);));
    }
    out
}

/// The body of an operation's `request()`: the method and path, then what
/// the parameters and the body add.
fn request_body(op: &Operation) -> TokenStream {
    let method = ident(&op.raw.method);
    let segments = op
        .raw
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| path_segment(segment, &op.params));
    let start = quote!(self.base.request(reqwest::Method::#method, &[#(#segments),*]));
    let mut adds = TokenStream::new();
    for p in op.params.iter().filter(|p| p.uuid) {
        let (wire, field) = (&p.wire, ident(&p.rust));
        adds.extend(match p.required {
            true => quote!(request.expect_uuid(#wire, &self.#field);),
            false => quote! {
                if let Some(value) = &self.#field {
                    request.expect_uuid(#wire, value);
                }
            },
        });
    }
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let (wire, field) = (&p.wire, ident(&p.rust));
        let call = |value: TokenStream| match (p.location, p.secret) {
            (Location::Query, false) => quote!(request.query(#wire, #value)),
            (Location::Query, true) => quote!(request.secret_query(#wire, #value)),
            // A header parameter is a credential in every Kratos document
            // (`Cookie`, `X-Session-Token`): each is sent as a secret.
            (Location::Header, _) => quote!(request.secret_header(#wire, #value)),
            (Location::Path, _) => unreachable!("path parameters are in the path"),
        };
        adds.extend(if matches!(p.ty, Ty::Vec(_)) {
            let call = call(quote!(value));
            quote! {
                for value in &self.#field {
                    #call;
                }
            }
        } else if p.required {
            let call = call(quote!(&self.#field));
            quote!(#call;)
        } else {
            let call = call(quote!(value));
            quote! {
                if let Some(value) = &self.#field {
                    #call;
                }
            }
        });
    }
    let set_body = |ty: &Ty| match ty {
        Ty::Named(name) if name == super::kratos::JSON_PATCH_DOCUMENT => quote!(json_patch),
        _ => quote!(json),
    };
    adds.extend(match &op.body {
        Some((ty, true)) => {
            let set = set_body(ty);
            quote!(request.#set(&self.body);)
        }
        Some((ty, false)) => {
            let set = set_body(ty);
            quote! {
                if let Some(body) = &self.body {
                    request.#set(body);
                }
            }
        }
        None => quote!(),
    });
    if adds.is_empty() {
        start
    } else {
        quote! {
            let mut request = #start;
            #adds
            request
        }
    }
}

/// The `Option` twin of the optional setter `name` (`set_{name}`), as
/// aws-sdk-rust has them: `Some` sets what the setter sets, `None` leaves
/// the parameter out (a list empty), so that a value the caller may or may
/// not have takes one call. It is generic over what the setter takes.
pub(super) fn option_twin(name: &str, arg: &Arg, list: bool) -> TokenStream {
    let field = name.trim_start_matches("r#");
    let doc = doc_line(format!(
        "Sets or leaves out `{field}` by an `Option`; see [`{name}`](Self::{name})."
    ));
    let (method, name, field) = (ident(&format!("set_{field}")), ident(name), ident(field));
    let (generics, param) = match arg {
        Arg::Items(item) => (
            quote!(<I: IntoIterator<Item = T>, T: Into<#item>>),
            quote!(I),
        ),
        Arg::Into(ty) => (quote!(<T: Into<#ty>>), quote!(T)),
        Arg::Exactly(ty) => (quote!(), ty.clone()),
    };
    let value = match (list, arg) {
        (true, _) => {
            quote!(#field.map(|items| items.into_iter().map(Into::into).collect()).unwrap_or_default())
        }
        (false, Arg::Items(_)) => {
            quote!(#field.map(|items| items.into_iter().map(Into::into).collect()))
        }
        (false, Arg::Into(_)) => quote!(#field.map(Into::into)),
        (false, Arg::Exactly(_)) => quote!(#field),
    };
    quote! {
        #doc
        pub fn #method #generics(mut self, #field: Option<#param>) -> Self {
            self.#name = #value;
            self
        }
    }
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
fn path_segment(segment: &str, params: &[Param]) -> TokenStream {
    let Some(start) = segment.find('{') else {
        return quote!(#segment);
    };
    let end = segment.find('}').unwrap_or(segment.len());
    let name = &segment[start + 1..end];
    let field = ident(
        &params
            .iter()
            .find(|p| p.location == Location::Path && p.wire == name)
            .map(|p| p.rust.clone())
            .unwrap_or_else(|| names::field(name)),
    );
    let text = params
        .iter()
        .any(|p| p.location == Location::Path && p.wire == name && p.ty == Ty::String);
    if start == 0 && end == segment.len() - 1 {
        // A text parameter is a segment as it is; another (a number, an
        // enum) is written out.
        match text {
            true => quote!(&self.#field),
            false => quote!(&self.#field.to_string()),
        }
    } else {
        let template = format!(
            "{}{{}}{}",
            &segment[..start],
            &segment[(end + 1).min(segment.len())..]
        );
        quote!(&format!(#template, self.#field))
    }
}

/// An operation's error enum: a variant per documented error status (and
/// one for Kratos's error object where it may come instead), and its
/// `OperationError` impl.
fn error_enum(op: &Operation, types: &TypeSet) -> TokenStream {
    let error = ident(&op.error_enum());
    let heading = doc_line(format!(
        "The documented error answers of [`{}`]: one variant per status it lists.",
        op.builder
    ));
    let mut variants = TokenStream::new();
    let mut statuses: Vec<TokenStream> = Vec::new();
    // (pattern, expression) pairs for `generic_error()`.
    let mut generic: Vec<(TokenStream, TokenStream)> = Vec::new();
    // Patterns of the variants whose body is the standard error wrapper, for `error_body()`.
    let mut wrapped: Vec<TokenStream> = Vec::new();
    let error_path = |body: &Body| match body {
        Body::Json(ty) => generic_error_path(types, ty).map(|path| code(&path)),
        _ => None,
    };
    let wrapper = ident(ERROR_WRAPPER);
    for e in &op.errors {
        let Some(status) = e.status else { continue };
        let number = number(status);
        let variant = ident(&names::status_variant(status));
        let mut text = format!("{status}: {}", e.description.as_deref().unwrap_or(""));
        let refused = refused_variant(op, e, types);
        if let Some(refused) = &refused {
            text.push_str(&format!(
                "\n\nWhen Kratos sends its standard error object with this status instead, the answer is [`Self::{refused}`]."
            ));
        }
        let doc = doc(Some(&text));
        match e.body.rust() {
            Some(ty) => {
                let ty = code(&ty);
                variants.extend(quote!(#doc #variant(#ty),));
                statuses.push(quote!(Self::#variant(_) => crate::error::status_code(#number),));
                if let Some(path) = error_path(&e.body) {
                    generic.push((quote!(Self::#variant(body)), path));
                }
                if is_wrapper_body(&e.body) {
                    wrapped.push(quote!(Self::#variant(body)));
                }
            }
            None => {
                variants.extend(quote!(#doc #variant,));
                statuses.push(quote!(Self::#variant => crate::error::status_code(#number),));
            }
        }
        if let Some(refused) = refused {
            let what = match &e.body {
                Body::Json(ty) if is_flow(types, ty) => "the flow: the submission was refused outright, not the input in the form (`session_already_available`; a code submitted more often than Kratos allows, whose error names a new flow in `details.continue_with`)",
                _ => "its documented body",
            };
            let refused_doc = super::tokens::doc(Some(&format!(
                "{status} with Kratos's error object instead of {what}."
            )));
            let refused = ident(&refused);
            variants.extend(quote!(#refused_doc #refused(crate::models::#wrapper),));
            statuses.push(quote!(Self::#refused(_) => crate::error::status_code(#number),));
            generic.push((quote!(Self::#refused(body)), quote!(Some(&body.error))));
            wrapped.push(quote!(Self::#refused(body)));
        }
    }
    if let Some(d) = &op.default {
        let doc = doc(Some(&format!(
            "Any other error status: {}",
            d.description.as_deref().unwrap_or("")
        )));
        match d.body.rust() {
            Some(ty) => {
                let ty = code(&ty);
                variants.extend(quote!(#doc Default { status: reqwest::StatusCode, body: #ty },));
                statuses.push(quote!(Self::Default { status, .. } => *status,));
                if let Some(path) = error_path(&d.body) {
                    generic.push((quote!(Self::Default { body, .. }), path));
                }
                if is_wrapper_body(&d.body) {
                    wrapped.push(quote!(Self::Default { body, .. }));
                }
            }
            None => {
                variants.extend(quote!(#doc Default { status: reqwest::StatusCode },));
                statuses.push(quote!(Self::Default { status } => *status,));
            }
        }
    }
    let mut out = quote! {
        #heading
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #error {
            #variants
        }
    };
    // A flow sent back with an error status may be the flow's next step
    // rather than a refusal; the runtime's macro tells them apart.
    let mut has_flow = false;
    for e in &op.errors {
        if let (Some(status), Body::Json(ty)) = (e.status, &e.body) {
            if is_flow(types, ty) {
                has_flow = true;
                let variant = ident(&names::status_variant(status));
                let ty = code(&ty.rust());
                out.extend(quote!(crate::next_step::impl_next_step!(#error, #variant, #ty);));
            }
        }
    }
    let status = match statuses.is_empty() {
        true => quote!(match *self {}),
        false => quote!(match self { #(#statuses)* }),
    };
    let others = |listed: usize| (listed < statuses.len()).then(|| quote!(_ => None,));
    let generic_error = (!generic.is_empty()).then(|| {
        let (patterns, paths): (Vec<_>, Vec<_>) = generic.iter().cloned().unzip();
        let others = others(generic.len());
        quote! {
            #[inline]
            fn generic_error(&self) -> Option<&crate::models::GenericError> {
                match self {
                    #(#patterns => #paths,)*
                    #others
                }
            }
        }
    });
    // The flow's form and id through the trait, the same on every flow's
    // update error; `flow()` comes from `impl_next_step!`.
    let form = has_flow.then(|| {
        let form = ident(FORM_TYPE);
        quote! {
            #[inline]
            fn form(&self) -> Option<&crate::models::#form> {
                self.flow().map(|flow| &flow.ui)
            }

            #[inline]
            fn flow_id(&self) -> Option<&str> {
                self.flow().map(|flow| flow.id.as_str())
            }
        }
    });
    let error_body = (!wrapped.is_empty()).then(|| {
        let others = others(wrapped.len());
        quote! {
            #[inline]
            fn error_body(&self) -> Option<&crate::models::#wrapper> {
                match self {
                    #(#wrapped)|* => Some(body),
                    #others
                }
            }
        }
    });
    out.extend(quote! {
        impl crate::OperationError for #error {
            #[inline]
            fn status(&self) -> reqwest::StatusCode {
                #status
            }
            #generic_error
            #form
            #error_body
        }
    });
    out
}
