//! Writing the Rust source of the model types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::emit_operations::{option_twin, Arg};
use super::kratos::{
    is_flow_fields, ERROR_WRAPPER, FLOW_STATE_FIELD, NAMED_INPUT, REPLACEMENT_FLOW_FIELD,
};
use super::tokens::{code, doc, doc_line, ident};
use super::types::{Field, Item, Ty, TypeSet, UnionVariant};

/// The source of every item in `types`, meant for `crate::models`.
pub fn models(types: &TypeSet) -> TokenStream {
    let mut out = TokenStream::new();
    for (name, item) in &types.items {
        out.extend(match item {
            Item::Struct { doc, fields } => model_struct(types, name, doc.as_deref(), fields),
            Item::Enum { doc, values } => string_enum(name, doc.as_deref(), values),
            Item::Union { doc, tag, variants } => {
                let mut union = tagged_union(name, doc.as_deref(), tag, variants);
                union.extend(shared_accessors(types, name, tag, variants));
                union
            }
            Item::Alias { doc: text, ty, .. } => {
                let (doc, name, ty) = (doc(text.as_deref()), ident(name), code(&ty.rust()));
                quote! {
                    #doc
                    pub type #name = #ty;
                }
            }
        });
    }
    out
}

/// The type a field is declared with.
fn field_type(types: &TypeSet, f: &Field) -> TokenStream {
    let ty = code(&f.ty.rust());
    let inner = if f.boxed { quote!(Box<#ty>) } else { ty };
    if optional(types, f) {
        quote!(Option<#inner>)
    } else {
        inner
    }
}

fn optional(types: &TypeSet, f: &Field) -> bool {
    types.is_optional(f)
}

/// A chaining setter for the optional field `f` of a request body: the
/// value itself (anything that converts into it; a list from any iterator
/// of such values), not an `Option`; then its `Option` twin.
fn setter(f: &Field) -> TokenStream {
    let method = ident(&f.rust);
    let doc = doc_line(
        f.doc
            .as_deref()
            .and_then(|d| d.lines().next())
            .filter(|d| !d.is_empty())
            .map(|d| format!("Sets `{}`: {}.", f.json, d.trim_end_matches('.')))
            .unwrap_or_else(|| format!("Sets `{}`.", f.json)),
    );
    let (arg, value) = match &f.ty {
        Ty::Vec(inner) => (
            Arg::Items(code(&inner.rust())),
            quote!(#method.into_iter().map(Into::into).collect()),
        ),
        ty => (Arg::Into(code(&ty.rust())), quote!(#method.into())),
    };
    let value = if f.boxed {
        quote!(Box::new(#value))
    } else {
        value
    };
    let param = arg.ty();
    let setter = quote! {
        #doc
        pub fn #method(mut self, #method: #param) -> Self {
            self.#method = Some(#value);
            self
        }
    };
    // A boxed field (a type that holds itself) keeps the one setter.
    if f.boxed {
        return setter;
    }
    let twin = option_twin(&f.rust, &arg, false);
    quote!(#setter #twin)
}

/// `From` the value of a request body's one required field, so that an
/// operation taking `impl Into<Body>` takes the value itself: text from a
/// `String` or `&str`, anything else from its own type.
fn from_value(types: &TypeSet, name: &str, only: &Field) -> TokenStream {
    let name = ident(name);
    let doc = doc_line(format!(
        "A body of its one required field, `{}`.",
        only.json
    ));
    let sources = match &only.ty {
        Ty::String => vec![
            (quote!(String), quote!(value)),
            (quote!(&str), quote!(value.to_string())),
            (quote!(&String), quote!(value.to_string())),
        ],
        _ => vec![(field_type(types, only), quote!(value))],
    };
    sources
        .into_iter()
        .map(|(source, value)| {
            quote! {
                impl From<#source> for #name {
                    #doc
                    fn from(value: #source) -> Self {
                        Self::new(#value)
                    }
                }
            }
        })
        .collect()
}

/// How a struct is written with serde: its fields, in order, into a map,
/// optional ones only when set (`crate::encode`).
fn fields_impl(name: &str, fields: &[Field]) -> TokenStream {
    let name = ident(name);
    let map = match fields.is_empty() {
        true => format_ident!("_map"),
        false => format_ident!("map"),
    };
    let entries = fields.iter().map(|f| {
        let (json, field) = (&f.json, ident(&f.rust));
        match f.required {
            true => quote!(map.serialize_entry(#json, &self.#field)?;),
            false => quote!(crate::encode::optional(map, #json, &self.#field)?;),
        }
    });
    quote! {
        impl crate::encode::Fields for #name {
            fn fields<M: serde::ser::SerializeMap>(&self, #map: &mut M) -> Result<(), M::Error> {
                #(#entries)*
                Ok(())
            }
        }

        crate::encode::impl_serialize!(#name);
    }
}

/// How a struct's decoder reads a field.
#[derive(Debug, PartialEq)]
enum Read {
    /// Not required: missing or `null` is `None`.
    Optional,
    /// Required, with `null` read as empty (`None` where the document allows
    /// null). Real servers do send `null` for required strings and lists.
    Lenient,
    /// Required and strict about `null` too: a required object, or any JSON
    /// object would pass for a flow.
    Strict,
}

fn read_of(types: &TypeSet, f: &Field) -> Read {
    if !f.required {
        Read::Optional
    } else if optional(types, f) || (types.has_default(&f.ty) && !types.is_struct(&f.ty)) {
        Read::Lenient
    } else {
        Read::Strict
    }
}

/// The decoder of a struct: one pass over the object's keys, each field
/// read by its type's `Decode`; unknown keys skipped; a missing required
/// field is an error.
///
/// `#[inline]`, so that, like the operations reading answers with it, it
/// is compiled in the crate that uses it, and only if it does. The reader
/// it calls is compiled once, in this crate.
fn decode_impl(types: &TypeSet, name: &str, fields: &[Field], echo: bool) -> TokenStream {
    let what = format!("struct {name}");
    let name = ident(name);
    let slot = |f: &Field| format_ident!("field_{}", f.rust.trim_start_matches("r#"));
    let slots: Vec<_> = fields.iter().map(slot).collect();
    let read_keys = if fields.is_empty() {
        quote! {
            r.object(#what, &mut |r, _| {
                r.skip()
            })?;
        }
    } else {
        let arms = fields.iter().map(|f| {
            let (json, slot) = (&f.json, slot(f));
            let read = match read_of(types, f) {
                Read::Optional => quote!(r.read()?),
                Read::Lenient => quote!(Some(r.lenient()?)),
                Read::Strict => quote!(Some(r.read()?)),
            };
            quote!(#json => #slot = #read,)
        });
        quote! {
            r.object(#what, &mut |r, key| {
                match key {
                    #(#arms)*
                    _ => r.skip()?,
                }
                Ok(())
            })?;
        }
    };
    // Every required field is checked at once, so that a missing one
    // leaves one path that drops what was read, not one per field.
    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| read_of(types, f) != Read::Optional)
        .collect();
    let check_required = match required.as_slice() {
        [] => quote!(),
        [f] => {
            let (json, slot) = (&f.json, slot(f));
            quote! {
                let Some(#slot) = #slot else {
                    return Err(r.missing(&[(#json, true)]));
                };
            }
        }
        _ => {
            let jsons = required.iter().map(|f| &f.json);
            let names: Vec<_> = required.iter().map(|f| slot(f)).collect();
            quote! {
                let missing = [#((#jsons, #names.is_none())),*];
                let (#(Some(#names)),*) = (#(#names),*) else {
                    return Err(r.missing(&missing));
                };
            }
        }
    };
    let fields = fields.iter().map(|f| ident(&f.rust));
    let echoed = echo.then(|| quote!(echoed: Default::default(),));
    quote! {
        impl crate::decode::Decode for #name {
            #[inline]
            fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {
                #(let mut #slots = None;)*
                #read_keys
                #check_required
                Ok(Self {
                    #(#fields: #slots,)*
                    #echoed
                })
            }
        }

        crate::decode::impl_deserialize!(#name);
    }
}

fn model_struct(types: &TypeSet, name: &str, text: Option<&str>, fields: &[Field]) -> TokenStream {
    // Secret fields, and free-form JSON that may hold secrets under any
    // key, get a `Debug` of their own.
    let free_json = |f: &Field| !f.secret && types.holds_free_json(&f.ty);
    // A form node's value: secret when the node's name is.
    let named_input = name == NAMED_INPUT
        && fields
            .iter()
            .any(|f| f.json == "name" && f.ty == Ty::String);
    let node_value = |f: &Field| named_input && f.json == "value";
    let has_secret = fields
        .iter()
        .any(|f| f.secret || free_json(f) || node_value(f));
    // An error answer keeps the secrets its request carried when the
    // server sent one back, for its `Debug` to blank.
    let echo = types.echoes.contains(name);
    let all_default = types.has_default(&Ty::Named(name.to_string()));
    let mut derives = vec![quote!(Clone), quote!(PartialEq)];
    if !has_secret && !echo {
        derives.insert(0, quote!(Debug));
    }
    if all_default {
        derives.push(quote!(Default));
    }
    let type_name = ident(name);
    let doc = doc(text);
    let field_docs = fields.iter().map(|f| super::tokens::doc(f.doc.as_deref()));
    let field_names: Vec<_> = fields.iter().map(|f| ident(&f.rust)).collect();
    let field_types = fields.iter().map(|f| field_type(types, f));
    let echoed_field = echo.then(|| quote!(pub(crate) echoed: crate::secret::Echoed,));
    let mut out = quote! {
        #doc
        #[derive(#(#derives),*)]
        #[non_exhaustive]
        pub struct #type_name {
            #(
                #field_docs
                pub #field_names: #field_types,
            )*
            #echoed_field
        }
    };
    out.extend(decode_impl(types, name, fields, echo));
    if echo {
        out.extend(echo_impl(types, name, fields));
    }
    out.extend(fields_impl(name, fields));

    // A constructor taking the required fields; the others start empty.
    // Request bodies always get one (empty when nothing is required),
    // chaining setters for the optional fields, and, when one field is
    // required, a `From` its value, so that a call takes the value itself.
    let request = types.requests.contains(name);
    let required: Vec<&Field> = fields.iter().filter(|f| !optional(types, f)).collect();
    if !required.is_empty() || request {
        let doc = match required.is_empty() {
            true => quote!(
                /// Creates one with every field unset; set them with the methods below.
            ),
            false => quote!(
                /// Creates one from its required fields; the optional ones start unset.
            ),
        };
        let many = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        let params = required.iter().map(|f| {
            let name = ident(&f.rust);
            match f.ty {
                Ty::String => quote!(#name: impl Into<String>),
                _ => {
                    let ty = field_type(types, f);
                    quote!(#name: #ty)
                }
            }
        });
        let values = fields.iter().map(|f| {
            let name = ident(&f.rust);
            if optional(types, f) {
                quote!(#name: None)
            } else if f.ty == Ty::String {
                quote!(#name: #name.into())
            } else {
                quote!(#name)
            }
        });
        let echoed = echo.then(|| quote!(echoed: Default::default(),));
        let setters = fields
            .iter()
            .filter(|f| request && optional(types, f))
            .map(setter);
        out.extend(quote! {
            impl #type_name {
                #doc
                #many
                pub fn new(#(#params),*) -> Self {
                    Self {
                        #(#values,)*
                        #echoed
                    }
                }

                #(#setters)*
            }
        });
        if let ([only], true) = (required.as_slice(), types.bodies.contains(name)) {
            out.extend(from_value(types, name, only));
        }
    }

    // Kratos's error answer: the id of the flow that replaces an expired
    // one, from `use_flow_id` when the document has it, else from the details.
    if name == ERROR_WRAPPER {
        let top = match fields.iter().find(|f| f.json == REPLACEMENT_FLOW_FIELD) {
            Some(f) if f.ty == Ty::String => {
                let field = ident(&f.rust);
                quote!(self.#field.as_deref())
            }
            _ => quote!(None),
        };
        out.extend(quote! {
            impl #type_name {
                /// The id of the new flow Kratos made to continue with, when it made one: for an expired or replaced flow (410), from `use_flow_id` (older servers put it in the error's `details`); for a code submitted too often (400), from the `show_..._ui` item of `details.continue_with`.
                pub fn replacement_flow_id(&self) -> Option<&str> {
                    crate::error::replacement_flow_id(#top, &self.error)
                }
            }
        });
    }

    // A Kratos flow: one line for the form helpers, which live in the runtime.
    if is_flow_fields(fields) {
        let state = fields
            .iter()
            .any(|f| f.json == FLOW_STATE_FIELD && f.ty == Ty::Json);
        let with_state = state.then(|| quote!(, with state));
        out.extend(quote!(crate::flow::impl_flow!(#type_name #with_state);));
    }

    if has_secret || echo {
        // Secrets stay out of logs: `Debug` shows that they are set, not
        // what they are, and free-form JSON with its secret-named values
        // blanked; an error answer blanks the secrets its request carried.
        let shown = fields.iter().map(|f| {
            let label = f.rust.trim_start_matches("r#");
            let field = ident(&f.rust);
            let value = if f.secret {
                match optional(types, f) {
                    true => quote!(&self.#field.as_ref().map(|_| crate::secret::Redacted)),
                    false => quote!(&crate::secret::Redacted),
                }
            } else if node_value(f) {
                let value = match optional(types, f) {
                    true => quote!(self.#field.as_ref()),
                    false => quote!(Some(&self.#field)),
                };
                quote!(&crate::secret::NodeValue(&self.name, #value))
            } else if free_json(f) {
                match optional(types, f) {
                    true => quote!(&self.#field.as_ref().map(crate::secret::JsonDebug)),
                    false => quote!(&crate::secret::JsonDebug(&self.#field)),
                }
            } else {
                quote!(&self.#field)
            };
            quote!(.field(#label, #value))
        });
        let debug = quote! {
            f.debug_struct(#name)
                #(#shown)*
                .finish()
        };
        let body = match echo {
            true => quote!(self.echoed.debug(f, |f| { #debug })),
            false => debug,
        };
        out.extend(quote! {
            impl std::fmt::Debug for #type_name {
                #[inline]
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    #body
                }
            }
        });
    }
    out
}

/// Keeping the secrets a request carried (`crate::secret::Echo`) in an
/// error answer and in the error answers it holds.
fn echo_impl(types: &TypeSet, name: &str, fields: &[Field]) -> TokenStream {
    let name = ident(name);
    let nested = |f: &&Field| matches!(&f.ty, Ty::Named(inner) if types.echoes.contains(inner));
    let inner = fields.iter().filter(nested).map(|f| {
        let field = ident(&f.rust);
        match (optional(types, f), f.boxed) {
            (true, boxed) => {
                let place = match boxed {
                    true => quote!(&mut **inner),
                    false => quote!(inner),
                };
                quote! {
                    if let Some(inner) = &mut self.#field {
                        crate::secret::Echo::echo(#place, echoed);
                    }
                }
            }
            (false, true) => quote!(crate::secret::Echo::echo(&mut *self.#field, echoed);),
            (false, false) => quote!(crate::secret::Echo::echo(&mut self.#field, echoed);),
        }
    });
    quote! {
        impl crate::secret::Echo for #name {
            fn echo(&mut self, echoed: &crate::secret::Echoed) {
                self.echoed = echoed.clone();
                #(#inner)*
            }
        }
    }
}

fn string_enum(name: &str, text: Option<&str>, values: &[(String, String)]) -> TokenStream {
    let name = ident(name);
    let doc = doc(text);
    let variants: Vec<_> = values.iter().map(|(variant, _)| ident(variant)).collect();
    let json: Vec<&String> = values.iter().map(|(_, value)| value).collect();
    let variant_docs = json.iter().map(|value| doc_line(format!("`{value}`")));
    quote! {
        #doc
        ///
        /// Values a newer server sends that this crate does not know are kept in `Unknown`:
        /// read them with `as_str()`, never by matching `Unknown`'s payload.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #variant_docs
                #variants,
            )*
            /// A value this version of the crate does not know, as the server sent it.
            Unknown(crate::UnknownValue),
        }

        impl #name {
            /// The value as it is written in JSON.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #json,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }

        impl From<&str> for #name {
            #[inline]
            fn from(value: &str) -> Self {
                match value {
                    #(#json => Self::#variants,)*
                    other => Self::Unknown(crate::UnknownValue::new(other)),
                }
            }
        }

        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;

            /// Never fails: a value this crate does not know is kept in `Unknown`.
            #[inline]
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl std::fmt::Display for #name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl crate::decode::Decode for #name {
            #[inline]
            fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {
                r.str_enum()
            }
        }

        crate::decode::impl_deserialize!(#name);
    }
}

/// For each text property that two or more of a union's variants have
/// (the `id` of most kinds of form node, say), an accessor on the union:
/// `Some` for those variants and for an unknown variant that has it as a
/// string, `None` for the others. Code reading the union then needs no name
/// of a variant a document may lack.
fn shared_accessors(
    types: &TypeSet,
    name: &str,
    tag: &str,
    variants: &[UnionVariant],
) -> TokenStream {
    // JSON name → (the variants having it, its field in each).
    let mut shared: std::collections::BTreeMap<&str, Vec<(&UnionVariant, &Field)>> =
        std::collections::BTreeMap::new();
    for variant in variants {
        let Some(Item::Struct { fields, .. }) = types.items.get(&variant.ty) else {
            continue;
        };
        for field in fields {
            if field.ty == Ty::String && field.json != tag && !field.boxed {
                shared
                    .entry(&field.json)
                    .or_default()
                    .push((variant, field));
            }
        }
    }
    shared.retain(|_, having| having.len() >= 2);
    if shared.is_empty() {
        return TokenStream::new();
    }
    let accessors = shared.into_iter().map(|(json, having)| {
        let doc = doc_line(format!(
            "The `{json}` of the variants that have one (an unknown variant's too, when it is text)."
        ));
        let method = ident(&super::names::field(json));
        let arms = having.iter().map(|(variant, field)| {
            let (variant, field_name) = (ident(&variant.name), ident(&field.rust));
            let value = match optional(types, field) {
                true => quote!(value.#field_name.as_deref()),
                false => quote!(Some(&value.#field_name)),
            };
            quote!(Self::#variant(value) => #value,)
        });
        let others = (having.len() < variants.len()).then(|| quote!(_ => None,));
        quote! {
            #doc
            #[inline]
            pub fn #method(&self) -> Option<&str> {
                match self {
                    #(#arms)*
                    Self::Unknown(object) => object.get(#json).and_then(serde_json::Value::as_str),
                    #others
                }
            }
        }
    });
    let name = ident(name);
    quote! {
        impl #name {
            #(#accessors)*
        }
    }
}

fn tagged_union(
    name: &str,
    text: Option<&str>,
    tag: &str,
    variants: &[UnionVariant],
) -> TokenStream {
    let what = format!("union {name}");
    let type_name = ident(name);
    let doc = doc(text);
    let told_apart = [
        doc_line(""),
        doc_line(format!(
            "Told apart by the `{tag}` property. An object whose `{tag}` this crate does not"
        )),
        doc_line("know is kept whole in `Unknown`."),
    ];
    let names: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
    let types: Vec<_> = variants.iter().map(|v| ident(&v.ty)).collect();
    let tags: Vec<&String> = variants.iter().map(|v| &v.tag).collect();
    let variant_docs = tags.iter().map(|t| doc_line(format!("`{tag}: {t}`")));
    let unknown_doc = doc_line(format!(
        "An object whose `{tag}` this version of the crate does not know, kept as sent."
    ));
    let accessor_doc = doc_line(format!("The `{tag}` value that tells the variants apart."));
    let accessor = ident(super::names::field(tag).trim_start_matches("r#"));
    let mut seen: Vec<&str> = Vec::new();
    let froms = variants.iter().filter_map(|v| {
        if seen.contains(&v.ty.as_str()) {
            return None;
        }
        seen.push(&v.ty);
        let (variant, ty) = (ident(&v.name), ident(&v.ty));
        Some(quote! {
            impl From<#ty> for #type_name {
                fn from(value: #ty) -> Self {
                    Self::#variant(value)
                }
            }
        })
    });
    let froms: Vec<_> = froms.collect();
    // Serializing writes the tag once, then the variant's own fields.
    // Decoding reads the tag ahead, wherever it is in the object, then
    // decodes the object as the variant it names, or keeps it as `Unknown`.
    quote! {
        #doc
        #(#told_apart)*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #type_name {
            #(
                #variant_docs
                #names(#types),
            )*
            #unknown_doc
            Unknown(serde_json::Map<String, serde_json::Value>),
        }

        impl #type_name {
            #accessor_doc
            #[inline]
            pub fn #accessor(&self) -> &str {
                match self {
                    #(Self::#names(_) => #tags,)*
                    Self::Unknown(object) => object.get(#tag).and_then(serde_json::Value::as_str).unwrap_or(""),
                }
            }
        }

        #(#froms)*

        impl serde::Serialize for #type_name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#names(value) => crate::encode::tagged::<#types, S>(serializer, #tag, #tags, value),)*
                    Self::Unknown(object) => object.serialize(serializer),
                }
            }
        }

        impl crate::decode::Decode for #type_name {
            #[inline]
            fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {
                Ok(match r.tag(#tag, #what)?.as_deref() {
                    #(Some(#tags) => Self::#names(r.read()?),)*
                    _ => Self::Unknown(r.read()?),
                })
            }
        }

        crate::decode::impl_deserialize!(#type_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::spec::Spec;
    use serde_json::json;

    /// What the templates wrote for `root` and the schemas it reaches: the
    /// tokens, and the source laid out.
    struct Written {
        tokens: String,
        formatted: String,
    }

    fn generate(schemas: serde_json::Value, root: &str) -> Written {
        let spec = Spec::from_value(
            json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas}}),
        )
        .unwrap();
        let mut types = TypeSet::new(&spec);
        types.component(root).unwrap();
        let tokens = models(&types).to_string();
        let formatted =
            crate::codegen::format_source("models", &tokens, &Default::default()).unwrap();
        Written { tokens, formatted }
    }

    /// Whether `source` holds `code`, however either is laid out.
    fn has(source: &str, code: &str) -> bool {
        crate::codegen::tests::squashed(source).contains(&crate::codegen::tests::squashed(code))
    }

    /// The line of the field `name` and the attribute line above it.
    fn field_lines<'a>(source: &'a str, name: &str) -> (&'a str, &'a str) {
        let lines: Vec<&str> = source.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("pub {name}:")))
            .unwrap_or_else(|| panic!("no field {name} in\n{source}"));
        (lines[at - 1].trim(), lines[at].trim())
    }

    #[test]
    fn required_scalars_tolerate_null_but_required_objects_do_not() {
        let source = generate(
            json!({
                "flow": {"type": "object", "required": ["id", "nodes", "ui"], "properties": {
                    "id": {"type": "string"},
                    "nodes": {"type": "array", "items": {"type": "string"}},
                    "ui": {"$ref": "#/components/schemas/ui"},
                    "note": {"type": "string"}
                }},
                "ui": {"type": "object", "properties": {"action": {"type": "string"}}}
            }),
            "flow",
        );
        // A missing required field fails to decode; `null` reads as empty,
        // except for a required object.
        for line in [
            r#""id" => field_id = Some(r.lenient()?),"#,
            r#""nodes" => field_nodes = Some(r.lenient()?),"#,
            r#""ui" => field_ui = Some(r.read()?),"#,
            r#""note" => field_note = r.read()?,"#,
            r#"let missing = [("id", field_id.is_none()), ("nodes", field_nodes.is_none()), ("ui", field_ui.is_none())];"#,
            "let (Some(field_id), Some(field_nodes), Some(field_ui)) = (field_id, field_nodes, field_ui) else {",
            "return Err(r.missing(&missing));",
            "id: field_id,",
            "note: field_note,",
            "_ => r.skip()?,",
        ] {
            assert!(
                has(&source.tokens, line),
                "no line {line} in\n{}", source.formatted
            );
        }
        assert_eq!(
            field_lines(&source.formatted, "id"),
            ("pub struct Flow {", "pub id: String,")
        );
        // Written with serde: a required field always, an optional one when set.
        for line in [
            r#"map.serialize_entry("id", &self.id)?;"#,
            r#"crate::encode::optional(map, "note", &self.note)?;"#,
        ] {
            assert!(
                has(&source.tokens, line),
                "no line {line} in\n{}",
                source.formatted
            );
        }
        assert!(has(
            &source.tokens,
            "pub fn new(id: impl Into<String>, nodes: Vec<String>, ui: Ui) -> Self {"
        ));
    }

    #[test]
    fn enums_keep_unknown_values_and_unions_write_their_tag_once() {
        let source = generate(
            json!({
                "attrs": {
                    "oneOf": [{"$ref": "#/components/schemas/attrsText"}],
                    "discriminator": {"propertyName": "node_type", "mapping": {"text": "#/components/schemas/attrsText"}}
                },
                "attrsText": {"type": "object", "properties": {
                    "node_type": {"type": "string"},
                    "level": {"type": "string", "enum": ["info", "error"]}
                }}
            }),
            "attrs",
        );
        assert!(
            has(&source.tokens, "    Unknown(crate::UnknownValue),"),
            "{}",
            source.formatted
        );
        assert!(has(
            &source.tokens,
            "            other => Self::Unknown(crate::UnknownValue::new(other)),"
        ));
        assert!(
            has(
                &source.tokens,
                r#"Self::AttrsText(value) => crate::encode::tagged::<AttrsText, S>(serializer, "node_type", "text", value),"#
            ),
            "{}",
            source.formatted
        );
        assert!(has(
            &source.tokens,
            "        Ok(match r.tag(\"node_type\", \"union Attrs\")?.as_deref() {"
        ));
        assert!(has(
            &source.tokens,
            "            Some(\"text\") => Self::AttrsText(r.read()?),"
        ));
        assert!(has(
            &source.tokens,
            "            _ => Self::Unknown(r.read()?),"
        ));
        assert!(has(&source.tokens, "        r.str_enum()"));
        assert!(
            !has(&source.tokens, "pub node_type:"),
            "the member does not store the tag"
        );
    }

    #[test]
    fn unions_reach_text_their_variants_share() {
        let source = generate(
            json!({
                "attrs": {
                    "oneOf": [{"$ref": "#/components/schemas/a"}, {"$ref": "#/components/schemas/b"}, {"$ref": "#/components/schemas/c"}],
                    "discriminator": {"propertyName": "kind", "mapping": {
                        "a": "#/components/schemas/a", "b": "#/components/schemas/b", "c": "#/components/schemas/c"
                    }}
                },
                "a": {"type": "object", "required": ["id"], "properties": {"kind": {"type": "string"}, "id": {"type": "string"}, "only_a": {"type": "string"}}},
                "b": {"type": "object", "properties": {"kind": {"type": "string"}, "id": {"type": "string"}}},
                "c": {"type": "object", "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}}}
            }),
            "attrs",
        );
        assert!(
            has(&source.tokens, "    pub fn id(&self) -> Option<&str> {"),
            "{}",
            source.formatted
        );
        assert!(has(
            &source.tokens,
            "            Self::A(value) => Some(&value.id),"
        ));
        assert!(has(
            &source.tokens,
            "            Self::B(value) => value.id.as_deref(),"
        ));
        assert!(has(&source.tokens, "            Self::Unknown(object) => object.get(\"id\").and_then(serde_json::Value::as_str),"));
        assert!(has(&source.tokens, "            _ => None,"));
        assert!(
            !has(&source.tokens, "pub fn only_a("),
            "one variant's field stays its own"
        );
        assert!(
            !has(&source.tokens, "pub fn kind(&self) -> Option"),
            "the tag has its own accessor"
        );
    }

    #[test]
    fn flows_get_the_form_helpers_in_one_line() {
        let form = json!({"type": "object", "properties": {"action": {"type": "string"}}});
        let source = generate(
            json!({
                "loginFlow": {"type": "object", "required": ["ui", "state"], "properties": {
                    "ui": {"$ref": "#/components/schemas/uiContainer"}, "state": {}
                }},
                "uiContainer": form
            }),
            "loginFlow",
        );
        assert!(
            has(
                &source.tokens,
                "crate::flow::impl_flow!(LoginFlow, with state);"
            ),
            "{}",
            source.formatted
        );
        let source = generate(
            json!({
                "stateless": {"type": "object", "required": ["ui"], "properties": {
                    "ui": {"$ref": "#/components/schemas/uiContainer"},
                    "draft": {"$ref": "#/components/schemas/optionalUi"}
                }},
                "optionalUi": {"type": "object", "properties": {
                    "ui": {"$ref": "#/components/schemas/uiContainer"}
                }},
                "uiContainer": form
            }),
            "stateless",
        );
        assert!(
            has(&source.tokens, "crate::flow::impl_flow!(Stateless);"),
            "{}",
            source.formatted
        );
        assert!(has(&source.tokens, "pub struct OptionalUi {"));
        assert!(
            !has(&source.tokens, "impl_flow!(OptionalUi"),
            "an optional form is no flow"
        );
    }

    #[test]
    fn every_decoder_is_compiled_where_it_is_used() {
        let source = generate(
            json!({
                "node": {"type": "object", "required": ["attributes"], "properties": {
                    "attributes": {"$ref": "#/components/schemas/attrs"},
                    "state": {"type": "string", "enum": ["choose", "sent"]}
                }},
                "attrs": {
                    "oneOf": [{"$ref": "#/components/schemas/attrsText"}],
                    "discriminator": {"propertyName": "node_type", "mapping": {"text": "#/components/schemas/attrsText"}}
                },
                "attrsText": {"type": "object", "properties": {"text": {"type": "string"}}}
            }),
            "node",
        );
        // The line after each `impl Decode for ...`: a struct, a union, its
        // variant's struct and an enum.
        let first_lines: Vec<&str> = source
            .formatted
            .split("impl crate::decode::Decode for ")
            .skip(1)
            .map(|rest| rest.lines().nth(1).unwrap_or("").trim())
            .collect();
        assert_eq!(first_lines.len(), 4, "{}", source.formatted);
        assert!(
            first_lines.iter().all(|line| *line == "#[inline]"),
            "{}",
            source.formatted
        );
    }

    #[test]
    fn secret_fields_are_left_out_of_debug() {
        let source = generate(
            json!({"login": {"type": "object", "required": ["password"], "properties": {
                "password": {"type": "string"}, "identifier": {"type": "string"}
            }}}),
            "login",
        );
        assert!(has(&source.tokens, "#[derive(Clone, PartialEq"));
        assert!(
            !has(&source.tokens, "serde::Serialize,"),
            "no derive: {}",
            source.formatted
        );
        assert!(has(
            &source.tokens,
            "crate::decode::impl_deserialize!(Login);"
        ));
        assert!(has(
            &source.tokens,
            "crate::encode::impl_serialize!(Login);"
        ));
        assert!(has(
            &source.tokens,
            ".field(\"password\", &crate::secret::Redacted)"
        ));
        assert!(has(
            &source.tokens,
            ".field(\"identifier\", &self.identifier)"
        ));
    }
}
