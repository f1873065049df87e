//! Writing the Rust source of the model types.

use std::fmt::Write;

use super::kratos::{
    is_flow_fields, ERROR_WRAPPER, FLOW_STATE_FIELD, NAMED_INPUT, REPLACEMENT_FLOW_FIELD,
};
use super::types::{Field, Item, Ty, TypeSet, UnionVariant};
use super::write_doc;

/// The source of every item in `types`, meant for `crate::models`.
pub fn models(types: &TypeSet) -> String {
    let mut out = String::new();
    for (name, item) in &types.items {
        match item {
            Item::Struct { doc, fields } => {
                write_struct(&mut out, types, name, doc.as_deref(), fields)
            }
            Item::Enum { doc, values } => write_enum(&mut out, name, doc.as_deref(), values),
            Item::Union { doc, tag, variants } => {
                write_union(&mut out, name, doc.as_deref(), tag, variants);
                write_shared_accessors(&mut out, types, name, tag, variants);
            }
            Item::Alias { doc, ty, .. } => {
                write_doc(&mut out, "", doc.as_deref());
                let _ = writeln!(out, "pub type {name} = {};\n", ty.rust());
            }
        }
    }
    out
}

/// The type a field is declared with.
fn field_type(types: &TypeSet, f: &Field) -> String {
    let inner = if f.boxed {
        format!("Box<{}>", f.ty.rust())
    } else {
        f.ty.rust()
    };
    if optional(types, f) {
        format!("Option<{inner}>")
    } else {
        inner
    }
}

fn optional(types: &TypeSet, f: &Field) -> bool {
    types.is_optional(f)
}

/// A chaining setter for the optional field `f` of a request body: the
/// value itself (anything that converts into it; a list from any iterator
/// of such values), not an `Option`.
fn write_setter(out: &mut String, f: &Field) {
    let method = &f.rust;
    let doc = f
        .doc
        .as_deref()
        .and_then(|d| d.lines().next())
        .filter(|d| !d.is_empty())
        .map(|d| format!("Sets `{}`: {}", f.json, d.trim_end_matches('.')))
        .unwrap_or_else(|| format!("Sets `{}`", f.json));
    let _ = writeln!(out, "\n    /// {doc}.");
    let (param, value) = match &f.ty {
        Ty::Vec(inner) => (
            format!("impl IntoIterator<Item = impl Into<{}>>", inner.rust()),
            format!("{method}.into_iter().map(Into::into).collect()"),
        ),
        ty => (
            format!("impl Into<{}>", ty.rust()),
            format!("{method}.into()"),
        ),
    };
    let value = if f.boxed {
        format!("Box::new({value})")
    } else {
        value
    };
    let _ = writeln!(
        out,
        "    pub fn {method}(mut self, {method}: {param}) -> Self {{\n        self.{method} = Some({value});\n        self\n    }}"
    );
    // Its `Option` twin, `set_{name}`; a boxed field (a type that holds
    // itself) keeps the one setter.
    if !f.boxed {
        let _ = writeln!(out);
        super::emit_operations::write_option_twin(out, method, &param, false);
    }
}

/// `From` the value of a request body's one required field, so that an
/// operation taking `impl Into<Body>` takes the value itself: text from a
/// `String` or `&str`, anything else from its own type.
fn write_from_value(out: &mut String, types: &TypeSet, name: &str, only: &Field) {
    let sources: Vec<String> = match &only.ty {
        Ty::String => vec!["String".into(), "&str".into(), "&String".into()],
        _ => vec![field_type(types, only)],
    };
    for source in sources {
        let value = match source.as_str() {
            "&str" | "&String" => "value.to_string()",
            _ => "value",
        };
        let _ = writeln!(
            out,
            "impl From<{source}> for {name} {{\n    /// A body of its one required field, `{}`.\n    fn from(value: {source}) -> Self {{\n        Self::new({value})\n    }}\n}}\n",
            only.json
        );
    }
}

/// How a struct is written with serde: its fields, in order, into a map,
/// optional ones only when set (`crate::encode`).
fn write_fields(out: &mut String, name: &str, fields: &[Field]) {
    let map = if fields.is_empty() { "_map" } else { "map" };
    let _ = writeln!(
        out,
        "impl crate::encode::Fields for {name} {{
    fn fields<M: serde::ser::SerializeMap>(&self, {map}: &mut M) -> Result<(), M::Error> {{"
    );
    for f in fields {
        let _ = if f.required {
            writeln!(
                out,
                "        map.serialize_entry({:?}, &self.{})?;",
                f.json, f.rust
            )
        } else {
            writeln!(
                out,
                "        crate::encode::optional(map, {:?}, &self.{})?;",
                f.json, f.rust
            )
        };
    }
    let _ = writeln!(
        out,
        "        Ok(())\n    }}\n}}\n\ncrate::encode::impl_serialize!({name});\n"
    );
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

/// Before each model's `decode`: `#[inline]`, so that, like the operations
/// reading answers with it, it is compiled in the crate that uses it, and
/// only if it does. The reader it calls is compiled once, in this crate.
fn write_inline(out: &mut String) {
    let _ = writeln!(out, "    #[inline]");
}

/// The decoder of a struct: one pass over the object's keys, each field
/// read by its type's `Decode`; unknown keys skipped; a missing required
/// field is an error.
fn write_decode(out: &mut String, types: &TypeSet, name: &str, fields: &[Field], echo: bool) {
    let slot = |f: &Field| format!("field_{}", f.rust.trim_start_matches("r#"));
    let _ = writeln!(out, "impl crate::decode::Decode for {name} {{");
    write_inline(out);
    let _ = writeln!(
        out,
        "    fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {{"
    );
    for f in fields {
        let _ = writeln!(out, "        let mut {} = None;", slot(f));
    }
    let key = if fields.is_empty() { "_" } else { "key" };
    let _ = writeln!(
        out,
        "        r.object(\"struct {name}\", &mut |r, {key}| {{"
    );
    if fields.is_empty() {
        let _ = writeln!(out, "            r.skip()");
    } else {
        let _ = writeln!(out, "            match key {{");
        for f in fields {
            let read = match read_of(types, f) {
                Read::Optional => "r.read()?".to_string(),
                Read::Lenient => "Some(r.lenient()?)".to_string(),
                Read::Strict => "Some(r.read()?)".to_string(),
            };
            let _ = writeln!(out, "                {:?} => {} = {read},", f.json, slot(f));
        }
        let _ = writeln!(out, "                _ => r.skip()?,");
        let _ = writeln!(out, "            }}\n            Ok(())");
    }
    let _ = writeln!(out, "        }})?;");
    // Every required field is checked at once, so that a missing one
    // leaves one path that drops what was read, not one per field.
    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| read_of(types, f) != Read::Optional)
        .collect();
    match required.as_slice() {
        [] => {}
        [f] => {
            let _ = writeln!(
                out,
                "        let Some({slot}) = {slot} else {{\n            return Err(r.missing(&[({:?}, true)]));\n        }};",
                f.json,
                slot = slot(f)
            );
        }
        _ => {
            let names: Vec<String> = required.iter().map(|f| slot(f)).collect();
            let checks: Vec<String> = required
                .iter()
                .map(|f| format!("({:?}, {}.is_none())", f.json, slot(f)))
                .collect();
            let somes: Vec<String> = names.iter().map(|n| format!("Some({n})")).collect();
            let _ = writeln!(out, "        let missing = [{}];", checks.join(", "));
            let _ = writeln!(
                out,
                "        let ({}) = ({}) else {{\n            return Err(r.missing(&missing));\n        }};",
                somes.join(", "),
                names.join(", ")
            );
        }
    }
    let _ = writeln!(out, "        Ok(Self {{");
    for f in fields {
        let _ = writeln!(out, "            {}: {},", f.rust, slot(f));
    }
    if echo {
        let _ = writeln!(out, "            echoed: Default::default(),");
    }
    let _ = writeln!(out, "        }})\n    }}\n}}\n");
    let _ = writeln!(out, "crate::decode::impl_deserialize!({name});\n");
}

fn write_struct(
    out: &mut String,
    types: &TypeSet,
    name: &str,
    doc: Option<&str>,
    fields: &[Field],
) {
    write_doc(out, "", doc);
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
    let mut derives = vec!["Clone", "PartialEq"];
    if !has_secret && !echo {
        derives.insert(0, "Debug");
    }
    if all_default {
        derives.push("Default");
    }
    let _ = writeln!(out, "#[derive({})]", derives.join(", "));
    let _ = writeln!(out, "#[non_exhaustive]");
    let _ = writeln!(out, "pub struct {name} {{");
    for f in fields {
        write_doc(out, "    ", f.doc.as_deref());
        let _ = writeln!(out, "    pub {}: {},", f.rust, field_type(types, f));
    }
    if echo {
        let _ = writeln!(out, "    pub(crate) echoed: crate::secret::Echoed,");
    }
    let _ = writeln!(out, "}}\n");
    write_decode(out, types, name, fields, echo);
    if echo {
        write_echo(out, types, name, fields);
    }
    write_fields(out, name, fields);

    // A constructor taking the required fields; the others start empty.
    // Request bodies always get one (empty when nothing is required),
    // chaining setters for the optional fields, and, when one field is
    // required, a `From` its value, so that a call takes the value itself.
    let request = types.requests.contains(name);
    let required: Vec<&Field> = fields.iter().filter(|f| !optional(types, f)).collect();
    if !required.is_empty() || request {
        let _ = writeln!(out, "impl {name} {{");
        if required.is_empty() {
            let _ = writeln!(
                out,
                "    /// Creates one with every field unset; set them with the methods below."
            );
        } else {
            let _ = writeln!(
                out,
                "    /// Creates one from its required fields; the optional ones start unset."
            );
        }
        if required.len() > 7 {
            let _ = writeln!(out, "    #[allow(clippy::too_many_arguments)]");
        }
        let params: Vec<String> = required
            .iter()
            .map(|f| match (&f.ty, f.boxed) {
                (Ty::String, _) => format!("{}: impl Into<String>", f.rust),
                _ => format!("{}: {}", f.rust, field_type(types, f)),
            })
            .collect();
        let _ = writeln!(out, "    pub fn new({}) -> Self {{", params.join(", "));
        let _ = writeln!(out, "        Self {{");
        for f in fields {
            let value = if optional(types, f) {
                "None".to_string()
            } else if f.ty == Ty::String {
                format!("{}.into()", f.rust)
            } else {
                f.rust.clone()
            };
            if value == f.rust {
                let _ = writeln!(out, "            {},", f.rust);
            } else {
                let _ = writeln!(out, "            {}: {value},", f.rust);
            }
        }
        if echo {
            let _ = writeln!(out, "            echoed: Default::default(),");
        }
        let _ = writeln!(out, "        }}\n    }}");
        if request {
            for f in fields.iter().filter(|f| optional(types, f)) {
                write_setter(out, f);
            }
        }
        let _ = writeln!(out, "}}\n");
        if let ([only], true) = (required.as_slice(), types.bodies.contains(name)) {
            write_from_value(out, types, name, only);
        }
    }

    // Kratos's error answer: the id of the flow that replaces an expired
    // one, from `use_flow_id` when the document has it, else from the details.
    if name == ERROR_WRAPPER {
        let top = match fields.iter().find(|f| f.json == REPLACEMENT_FLOW_FIELD) {
            Some(f) if f.ty == Ty::String => format!("self.{}.as_deref()", f.rust),
            _ => "None".to_string(),
        };
        let _ = writeln!(
            out,
            "impl {name} {{
    /// The id of the new flow Kratos made to continue with, when it made one: for an expired or replaced flow (410), from `use_flow_id` (older servers put it in the error's `details`); for a code submitted too often (400), from the `show_..._ui` item of `details.continue_with`.
    pub fn replacement_flow_id(&self) -> Option<&str> {{
        crate::error::replacement_flow_id({top}, &self.error)
    }}
}}
"
        );
    }

    // A Kratos flow: one line for the form helpers, which live in the runtime.
    if is_flow_fields(fields) {
        let state = fields
            .iter()
            .any(|f| f.json == FLOW_STATE_FIELD && f.ty == Ty::Json);
        let with_state = if state { ", with state" } else { "" };
        let _ = writeln!(out, "crate::flow::impl_flow!({name}{with_state});\n");
    }

    if has_secret || echo {
        // Secrets stay out of logs: `Debug` shows that they are set, not
        // what they are, and free-form JSON with its secret-named values
        // blanked; an error answer blanks the secrets its request carried.
        let _ = writeln!(out, "impl std::fmt::Debug for {name} {{");
        let _ = writeln!(
            out,
            "    #[inline]\n    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{"
        );
        if echo {
            let _ = writeln!(out, "        self.echoed.debug(f, |f| {{");
        }
        let _ = writeln!(out, "        f.debug_struct({name:?})");
        for field in fields {
            let label = field.rust.trim_start_matches("r#");
            if field.secret {
                let redacted = if optional(types, field) {
                    format!(
                        "&self.{}.as_ref().map(|_| crate::secret::Redacted)",
                        field.rust
                    )
                } else {
                    "&crate::secret::Redacted".to_string()
                };
                let _ = writeln!(out, "            .field({label:?}, {redacted})");
            } else if node_value(field) {
                let value = if optional(types, field) {
                    format!("self.{}.as_ref()", field.rust)
                } else {
                    format!("Some(&self.{})", field.rust)
                };
                let _ = writeln!(
                    out,
                    "            .field({label:?}, &crate::secret::NodeValue(&self.name, {value}))"
                );
            } else if free_json(field) {
                let shown = if optional(types, field) {
                    format!(
                        "&self.{}.as_ref().map(crate::secret::JsonDebug)",
                        field.rust
                    )
                } else {
                    format!("&crate::secret::JsonDebug(&self.{})", field.rust)
                };
                let _ = writeln!(out, "            .field({label:?}, {shown})");
            } else {
                let _ = writeln!(out, "            .field({label:?}, &self.{})", field.rust);
            }
        }
        let _ = writeln!(out, "            .finish()");
        if echo {
            let _ = writeln!(out, "        }})");
        }
        let _ = writeln!(out, "    }}\n}}\n");
    }
}

/// Keeping the secrets a request carried (`crate::secret::Echo`) in an
/// error answer and in the error answers it holds.
fn write_echo(out: &mut String, types: &TypeSet, name: &str, fields: &[Field]) {
    let _ = writeln!(out, "impl crate::secret::Echo for {name} {{");
    let _ = writeln!(
        out,
        "    fn echo(&mut self, echoed: &crate::secret::Echoed) {{"
    );
    let _ = writeln!(out, "        self.echoed = echoed.clone();");
    let nested = |f: &&Field| matches!(&f.ty, Ty::Named(inner) if types.echoes.contains(inner));
    for f in fields.iter().filter(nested) {
        let place = if f.boxed { "&mut **inner" } else { "inner" };
        if optional(types, f) {
            let _ = writeln!(
                out,
                "        if let Some(inner) = &mut self.{} {{\n            crate::secret::Echo::echo({place}, echoed);\n        }}",
                f.rust
            );
        } else {
            let place = if f.boxed { "&mut *self." } else { "&mut self." };
            let _ = writeln!(
                out,
                "        crate::secret::Echo::echo({place}{}, echoed);",
                f.rust
            );
        }
    }
    let _ = writeln!(out, "    }}\n}}\n");
}

fn write_enum(out: &mut String, name: &str, doc: Option<&str>, values: &[(String, String)]) {
    write_doc(out, "", doc);
    let _ = writeln!(
        out,
        "///\n/// Values a newer server sends that this crate does not know are kept in `Unknown`:\n/// read them with `as_str()`, never by matching `Unknown`'s payload."
    );
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq, Eq, Hash)]");
    let _ = writeln!(out, "#[non_exhaustive]");
    let _ = writeln!(out, "pub enum {name} {{");
    for (variant, value) in values {
        let _ = writeln!(out, "    /// `{value}`");
        let _ = writeln!(out, "    {variant},");
    }
    let _ = writeln!(
        out,
        "    /// A value this version of the crate does not know, as the server sent it."
    );
    let _ = writeln!(out, "    Unknown(crate::UnknownValue),");
    let _ = writeln!(out, "}}\n");

    let _ = writeln!(out, "impl {name} {{");
    let _ = writeln!(out, "    /// The value as it is written in JSON.");
    let _ = writeln!(out, "    #[inline]\n    pub fn as_str(&self) -> &str {{");
    let _ = writeln!(out, "        match self {{");
    for (variant, value) in values {
        let _ = writeln!(out, "            Self::{variant} => {value:?},");
    }
    let _ = writeln!(out, "            Self::Unknown(value) => value.as_str(),");
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    let _ = writeln!(out, "impl From<&str> for {name} {{");
    let _ = writeln!(out, "    #[inline]\n    fn from(value: &str) -> Self {{");
    let _ = writeln!(out, "        match value {{");
    for (variant, value) in values {
        let _ = writeln!(out, "            {value:?} => Self::{variant},");
    }
    let _ = writeln!(
        out,
        "            other => Self::Unknown(crate::UnknownValue::new(other)),"
    );
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    let _ = writeln!(
        out,
        "impl std::str::FromStr for {name} {{
    type Err = std::convert::Infallible;

    /// Never fails: a value this crate does not know is kept in `Unknown`.
    #[inline]
    fn from_str(value: &str) -> Result<Self, Self::Err> {{
        Ok(Self::from(value))
    }}
}}
"
    );

    let _ = writeln!(
        out,
        "impl std::fmt::Display for {name} {{
    #[inline]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        f.write_str(self.as_str())
    }}
}}

impl serde::Serialize for {name} {{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        serializer.serialize_str(self.as_str())
    }}
}}

impl crate::decode::Decode for {name} {{
    #[inline]
    fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {{
        r.str_enum()
    }}
}}

crate::decode::impl_deserialize!({name});
"
    );
}

/// For each text property that two or more of a union's variants have
/// (the `id` of most kinds of form node, say), an accessor on the union:
/// `Some` for those variants and for an unknown variant that has it as a
/// string, `None` for the others. Code reading the union then needs no name
/// of a variant a document may lack.
fn write_shared_accessors(
    out: &mut String,
    types: &TypeSet,
    name: &str,
    tag: &str,
    variants: &[UnionVariant],
) {
    // JSON name → (Rust field name, the variants having it, optional in each).
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
        return;
    }
    let _ = writeln!(out, "impl {name} {{");
    for (json, having) in shared {
        let method = super::names::field(json);
        let _ = writeln!(
            out,
            "    /// The `{json}` of the variants that have one (an unknown variant's too, when it is text)."
        );
        let _ = writeln!(
            out,
            "    #[inline]\n    pub fn {method}(&self) -> Option<&str> {{"
        );
        let _ = writeln!(out, "        match self {{");
        for (variant, field) in &having {
            let value = if optional(types, field) {
                format!("value.{}.as_deref()", field.rust)
            } else {
                format!("Some(&value.{})", field.rust)
            };
            let _ = writeln!(out, "            Self::{}(value) => {value},", variant.name);
        }
        let _ = writeln!(
            out,
            "            Self::Unknown(object) => object.get({json:?}).and_then(serde_json::Value::as_str),"
        );
        if having.len() < variants.len() {
            let _ = writeln!(out, "            _ => None,");
        }
        let _ = writeln!(out, "        }}\n    }}\n");
    }
    let _ = writeln!(out, "}}\n");
}

fn write_union(
    out: &mut String,
    name: &str,
    doc: Option<&str>,
    tag: &str,
    variants: &[UnionVariant],
) {
    write_doc(out, "", doc);
    let _ = writeln!(
        out,
        "///\n/// Told apart by the `{tag}` property. An object whose `{tag}` this crate does not\n/// know is kept whole in `Unknown`."
    );
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq)]");
    let _ = writeln!(out, "#[non_exhaustive]");
    let _ = writeln!(out, "pub enum {name} {{");
    for v in variants {
        let _ = writeln!(out, "    /// `{tag}: {}`", v.tag);
        let _ = writeln!(out, "    {}({}),", v.name, v.ty);
    }
    let _ = writeln!(
        out,
        "    /// An object whose `{tag}` this version of the crate does not know, kept as sent."
    );
    let _ = writeln!(
        out,
        "    Unknown(serde_json::Map<String, serde_json::Value>),"
    );
    let _ = writeln!(out, "}}\n");

    let accessor = super::names::field(tag);
    let _ = writeln!(out, "impl {name} {{");
    let _ = writeln!(
        out,
        "    /// The `{tag}` value that tells the variants apart."
    );
    let _ = writeln!(
        out,
        "    #[inline]\n    pub fn {}(&self) -> &str {{",
        accessor.trim_start_matches("r#")
    );
    let _ = writeln!(out, "        match self {{");
    for v in variants {
        let _ = writeln!(out, "            Self::{}(_) => {:?},", v.name, v.tag);
    }
    let _ = writeln!(
        out,
        "            Self::Unknown(object) => object.get({tag:?}).and_then(serde_json::Value::as_str).unwrap_or(\"\"),"
    );
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    let mut seen: Vec<&str> = Vec::new();
    for v in variants {
        if seen.contains(&v.ty.as_str()) {
            continue;
        }
        seen.push(&v.ty);
        let _ = writeln!(
            out,
            "impl From<{ty}> for {name} {{\n    fn from(value: {ty}) -> Self {{\n        Self::{variant}(value)\n    }}\n}}\n",
            ty = v.ty,
            variant = v.name
        );
    }

    // Serializing writes the tag once, then the variant's own fields.
    let _ = writeln!(out, "impl serde::Serialize for {name} {{");
    let _ = writeln!(out, "    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{");
    let _ = writeln!(out, "        match self {{");
    for v in variants {
        let _ = writeln!(
            out,
            "            Self::{}(value) => crate::encode::tagged::<{}, S>(serializer, {tag:?}, {:?}, value),",
            v.name, v.ty, v.tag
        );
    }
    let _ = writeln!(
        out,
        "            Self::Unknown(object) => object.serialize(serializer),"
    );
    let _ = writeln!(out, "        }}\n    }}\n}}\n");

    // Decoding reads the tag ahead, wherever it is in the object, then
    // decodes the object as the variant it names, or keeps it as `Unknown`.
    let _ = writeln!(out, "impl crate::decode::Decode for {name} {{");
    write_inline(out);
    let _ = writeln!(
        out,
        "    fn decode(r: &mut crate::decode::Reader<'_>) -> crate::decode::Result<Self> {{"
    );
    let _ = writeln!(
        out,
        "        Ok(match r.tag({tag:?}, \"union {name}\")?.as_deref() {{"
    );
    for v in variants {
        let _ = writeln!(
            out,
            "            Some({:?}) => Self::{}(r.read()?),",
            v.tag, v.name
        );
    }
    let _ = writeln!(out, "            _ => Self::Unknown(r.read()?),");
    let _ = writeln!(out, "        }})\n    }}\n}}\n");
    let _ = writeln!(out, "crate::decode::impl_deserialize!({name});\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::spec::Spec;
    use serde_json::json;

    fn generate(schemas: serde_json::Value, root: &str) -> String {
        let spec = Spec::from_value(
            json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas}}),
        )
        .unwrap();
        let mut types = TypeSet::new(&spec);
        types.component(root).unwrap();
        models(&types)
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
                source.lines().any(|l| l.trim() == line),
                "no line {line} in\n{source}"
            );
        }
        assert_eq!(
            field_lines(&source, "id"),
            ("pub struct Flow {", "pub id: String,")
        );
        // Written with serde: a required field always, an optional one when set.
        for line in [
            r#"map.serialize_entry("id", &self.id)?;"#,
            r#"crate::encode::optional(map, "note", &self.note)?;"#,
        ] {
            assert!(
                source.lines().any(|l| l.trim() == line),
                "no line {line} in\n{source}"
            );
        }
        assert!(source
            .contains("pub fn new(id: impl Into<String>, nodes: Vec<String>, ui: Ui) -> Self {"));
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
            source.contains("    Unknown(crate::UnknownValue),"),
            "{source}"
        );
        assert!(
            source.contains("            other => Self::Unknown(crate::UnknownValue::new(other)),")
        );
        assert!(source.contains(
            r#"Self::AttrsText(value) => crate::encode::tagged::<AttrsText, S>(serializer, "node_type", "text", value),"#
        ), "{source}");
        assert!(
            source.contains("        Ok(match r.tag(\"node_type\", \"union Attrs\")?.as_deref() {")
        );
        assert!(source.contains("            Some(\"text\") => Self::AttrsText(r.read()?),"));
        assert!(source.contains("            _ => Self::Unknown(r.read()?),"));
        assert!(source.contains("        r.str_enum()"));
        assert!(
            !source.contains("pub node_type:"),
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
            source.contains("    pub fn id(&self) -> Option<&str> {"),
            "{source}"
        );
        assert!(source.contains("            Self::A(value) => Some(&value.id),"));
        assert!(source.contains("            Self::B(value) => value.id.as_deref(),"));
        assert!(source.contains("            Self::Unknown(object) => object.get(\"id\").and_then(serde_json::Value::as_str),"));
        assert!(source.contains("            _ => None,"));
        assert!(
            !source.contains("pub fn only_a("),
            "one variant's field stays its own"
        );
        assert!(
            !source.contains("pub fn kind(&self) -> Option"),
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
            source.contains("crate::flow::impl_flow!(LoginFlow, with state);"),
            "{source}"
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
            source.contains("crate::flow::impl_flow!(Stateless);"),
            "{source}"
        );
        assert!(source.contains("pub struct OptionalUi {"));
        assert!(
            !source.contains("impl_flow!(OptionalUi"),
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
            .split("impl crate::decode::Decode for ")
            .skip(1)
            .map(|rest| rest.lines().nth(1).unwrap_or("").trim())
            .collect();
        assert_eq!(first_lines.len(), 4, "{source}");
        assert!(
            first_lines.iter().all(|line| *line == "#[inline]"),
            "{source}"
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
        assert!(source.contains("#[derive(Clone, PartialEq"));
        assert!(!source.contains("serde::Serialize,"), "no derive: {source}");
        assert!(source.contains("crate::decode::impl_deserialize!(Login);"));
        assert!(source.contains("crate::encode::impl_serialize!(Login);"));
        assert!(source.contains(".field(\"password\", &crate::secret::Redacted)"));
        assert!(source.contains(".field(\"identifier\", &self.identifier)"));
    }
}
