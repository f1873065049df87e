//! From JSON schemas to Rust types.
//!
//! [`TypeSet`] walks the schemas an operation reaches and records one [`Item`]
//! per Rust type to generate: a struct for an object, an enum for a string
//! enum, a tagged enum for a `oneOf` with a discriminator, an alias for the
//! rest. Inline schemas get a name from where they stand (`registrationFlow` →
//! `active` gives `RegistrationFlowActive`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::names;
use super::spec::Spec;
use super::GenError;

/// A Rust type as a field or parameter uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    /// An integer type by its Rust name: `i64`, `i32`, `u8`, ...
    Int(&'static str),
    F64,
    /// Anything at all: `serde_json::Value`.
    Json,
    /// Any JSON object: `serde_json::Map<String, serde_json::Value>`.
    JsonObject,
    Vec(Box<Ty>),
    /// An array item the document marks `nullable` (Kratos writes `null` for
    /// some entries of a list): `Option` of the item.
    Nullable(Box<Ty>),
    /// An object whose values all have one type, keyed by string.
    Map(Box<Ty>),
    /// A type this generator writes, by its Rust name.
    Named(String),
}

impl Ty {
    /// How the type is spelled in generated code (inside `crate::models`).
    pub fn rust(&self) -> String {
        match self {
            Ty::String => "String".into(),
            Ty::Bool => "bool".into(),
            Ty::Int(name) => (*name).into(),
            Ty::F64 => "f64".into(),
            Ty::Json => "serde_json::Value".into(),
            Ty::JsonObject => "serde_json::Map<String, serde_json::Value>".into(),
            Ty::Vec(inner) => format!("Vec<{}>", inner.rust()),
            Ty::Nullable(inner) => format!("Option<{}>", inner.rust()),
            Ty::Map(inner) => format!("std::collections::BTreeMap<String, {}>", inner.rust()),
            Ty::Named(name) => name.clone(),
        }
    }
}

/// One property of a generated struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The property name in JSON.
    pub json: String,
    /// The Rust field name (`r#type` for `type`).
    pub rust: String,
    pub doc: Option<String>,
    pub ty: Ty,
    pub required: bool,
    /// The value may be JSON `null`.
    pub nullable: bool,
    /// Stored behind a `Box` because the type contains itself.
    pub boxed: bool,
    /// Hidden from `Debug` output.
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct UnionVariant {
    pub name: String,
    pub tag: String,
    /// The struct the variant holds.
    pub ty: String,
}

/// A Rust type to generate.
#[derive(Debug, Clone)]
pub enum Item {
    Struct {
        doc: Option<String>,
        fields: Vec<Field>,
    },
    /// A string enum: (variant name, JSON value) pairs.
    Enum {
        doc: Option<String>,
        values: Vec<(String, String)>,
    },
    /// A `oneOf` told apart by the string property `tag`.
    Union {
        doc: Option<String>,
        tag: String,
        variants: Vec<UnionVariant>,
    },
    Alias {
        doc: Option<String>,
        ty: Ty,
        nullable: bool,
    },
}

include!("../secret_fields.rs");

/// The Rust types reached from a document's operations, by Rust name.
pub struct TypeSet<'a> {
    spec: &'a Spec,
    pub items: BTreeMap<String, Item>,
    /// Component schema name → Rust name, for components already taken in.
    components: HashMap<String, String>,
    /// Component schema name → the discriminator property of a union it belongs to.
    union_members: HashMap<String, String>,
    /// The types a request body is made of (the bodies and what they
    /// hold): these get constructors, chaining setters and `From`s.
    pub requests: BTreeSet<String>,
    /// The types operations take as their body: these also get a `From`
    /// the value of their one required field.
    pub bodies: BTreeSet<String>,
    /// The types of error answers, and Kratos's error object: these keep
    /// the secrets a request carried when the server sends one back, so
    /// that their `Debug` blanks them (`crate::secret::Echoed`).
    pub echoes: BTreeSet<String>,
    /// Inline schemas named by their `title`, with the schema: a second
    /// inline schema of the same title and shape is the same type.
    titled: HashMap<String, (Value, String)>,
}

impl<'a> TypeSet<'a> {
    pub fn new(spec: &'a Spec) -> Self {
        let mut union_members = HashMap::new();
        for schema in spec.schemas.values() {
            if let (Some(members), Some(tag)) = (
                schema.get("oneOf").and_then(Value::as_array),
                schema
                    .pointer("/discriminator/propertyName")
                    .and_then(Value::as_str),
            ) {
                for member in members {
                    if let Some(name) = member.get("$ref").and_then(Value::as_str) {
                        union_members.insert(Spec::ref_name(name).to_string(), tag.to_string());
                    }
                }
            }
        }
        TypeSet {
            spec,
            items: BTreeMap::new(),
            components: HashMap::new(),
            union_members,
            requests: BTreeSet::new(),
            bodies: BTreeSet::new(),
            echoes: BTreeSet::new(),
            titled: HashMap::new(),
        }
    }

    /// A Rust name not taken yet, starting from `wanted`.
    fn claim(&mut self, wanted: String) -> String {
        let mut name = wanted.clone();
        let mut n = 2;
        while self.items.contains_key(&name) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        // A placeholder until the item is built, so that cycles terminate.
        self.items.insert(
            name.clone(),
            Item::Alias {
                doc: None,
                ty: Ty::Json,
                nullable: false,
            },
        );
        name
    }

    /// The type of `schema`, where an inline object or enum is named `hint`.
    /// Returns the type and whether the value may be `null`.
    pub fn ty(&mut self, schema: &Value, hint: &str) -> Result<(Ty, bool), GenError> {
        let nullable = schema
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = Spec::ref_name(reference).to_string();
            let target = self.spec.schema(&name)?;
            let target_nullable = target
                .get("nullable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            return Ok((
                Ty::Named(self.component(&name)?),
                nullable || target_nullable,
            ));
        }
        if let Some(all_of) = schema.get("allOf").and_then(Value::as_array) {
            if let [only] = all_of.as_slice() {
                let (ty, inner_nullable) = self.ty(only, hint)?;
                return Ok((ty, nullable || inner_nullable));
            }
            return Err(GenError(format!(
                "{hint}: allOf with {} members is not supported",
                all_of.len()
            )));
        }
        if schema.get("enum").is_some() || schema.get("oneOf").is_some() || has_properties(schema) {
            // An inline schema with a `title` is named after what it is,
            // not after where it appears (`getVersion` 200 → `Version`).
            let title = schema.get("title").and_then(Value::as_str);
            if let Some((seen, name)) = title.and_then(|t| self.titled.get(t)) {
                if seen == schema {
                    return Ok((Ty::Named(name.clone()), nullable));
                }
            }
            let name = self.claim(names::pascal(title.unwrap_or(hint)));
            let item = self.item(schema, &name, None)?;
            self.items.insert(name.clone(), item);
            if let Some(title) = title {
                self.titled
                    .insert(title.to_string(), (schema.clone(), name.clone()));
            }
            return Ok((Ty::Named(name), nullable));
        }
        let ty = match schema.get("type").and_then(Value::as_str) {
            Some("string") => Ty::String,
            Some("boolean") => Ty::Bool,
            Some("number") => Ty::F64,
            Some("integer") => Ty::Int(match schema.get("format").and_then(Value::as_str) {
                Some("int32") => "i32",
                Some("uint8") => "u8",
                Some("uint16") => "u16",
                Some("uint32") => "u32",
                Some("uint64") => "u64",
                _ => "i64",
            }),
            Some("array") => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let (inner, nullable_item) = self.ty(&items, &format!("{hint}Item"))?;
                match nullable_item {
                    true => Ty::Vec(Box::new(Ty::Nullable(Box::new(inner)))),
                    false => Ty::Vec(Box::new(inner)),
                }
            }
            Some("object") => match schema.get("additionalProperties") {
                // A schema for the values: a map. `{}`, `true`, `false` or
                // nothing: any object (the server fills objects declared
                // empty, see genericError.details).
                Some(values @ Value::Object(inner)) if !inner.is_empty() => {
                    let (inner, _) = self.ty(values, &format!("{hint}Value"))?;
                    Ty::Map(Box::new(inner))
                }
                _ => Ty::JsonObject,
            },
            _ => Ty::Json,
        };
        Ok((ty, nullable))
    }

    /// The Rust name of a component schema, generating its item on first use.
    pub fn component(&mut self, schema_name: &str) -> Result<String, GenError> {
        if let Some(name) = self.components.get(schema_name) {
            return Ok(name.clone());
        }
        let name = self.claim(names::pascal(schema_name));
        self.components
            .insert(schema_name.to_string(), name.clone());
        let schema = self.spec.schema(schema_name)?.clone();
        // A union member does not store its tag: the union writes it.
        let tag = self.union_members.get(schema_name).cloned();
        let item = if schema.get("enum").is_some()
            || schema.get("oneOf").is_some()
            || has_properties(&schema)
        {
            self.item(&schema, &name, tag.as_deref())?
        } else {
            let (ty, nullable) = self.ty(&schema, &name)?;
            Item::Alias {
                doc: doc_of(&schema),
                ty,
                nullable,
            }
        };
        self.items.insert(name.clone(), item);
        Ok(name)
    }

    /// The item for an enum, a union or an object schema named `name`;
    /// `tag` is a property to leave out (the tag of a union it belongs to).
    fn item(&mut self, schema: &Value, name: &str, tag: Option<&str>) -> Result<Item, GenError> {
        let doc = doc_of(schema);
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for value in values {
                let Some(value) = value.as_str() else {
                    return Err(GenError(format!("{name}: only string enums are supported")));
                };
                let mut variant = names::variant(value);
                while pairs.iter().any(|(v, _)| *v == variant) {
                    variant.push('_');
                }
                pairs.push((variant, value.to_string()));
            }
            return Ok(Item::Enum { doc, values: pairs });
        }
        if let Some(members) = schema.get("oneOf").and_then(Value::as_array) {
            return self.union(schema, members, name, doc);
        }
        self.object(schema, name, doc, tag)
    }

    fn union(
        &mut self,
        schema: &Value,
        members: &[Value],
        name: &str,
        doc: Option<String>,
    ) -> Result<Item, GenError> {
        let Some(tag) = schema
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
        else {
            // Without a discriminator there is no reliable way to tell the
            // members apart: keep the value as JSON.
            return Ok(Item::Alias {
                doc,
                ty: Ty::Json,
                nullable: false,
            });
        };
        let mapping = schema
            .pointer("/discriminator/mapping")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut schema_names = Vec::new();
        let mut tags = Vec::new();
        for member in members {
            let Some(reference) = member.get("$ref").and_then(Value::as_str) else {
                return Err(GenError(format!("{name}: union members must be $refs")));
            };
            let member_name = Spec::ref_name(reference).to_string();
            // The mapping names the tag; without one, the schema name is the tag.
            let tag_value = mapping
                .iter()
                .find(|(_, target)| target.as_str() == Some(reference))
                .map(|(tag, _)| tag.clone())
                .unwrap_or_else(|| member_name.clone());
            schema_names.push(member_name);
            tags.push(tag_value);
        }
        let schema_refs: Vec<&str> = schema_names.iter().map(String::as_str).collect();
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        let variant_names = names::union_variants(&schema_refs, &tag_refs);
        let mut variants = Vec::new();
        for ((member, tag_value), variant) in schema_names.iter().zip(tags).zip(variant_names) {
            variants.push(UnionVariant {
                name: variant,
                tag: tag_value,
                ty: self.component(member)?,
            });
        }
        Ok(Item::Union {
            doc,
            tag: tag.to_string(),
            variants,
        })
    }

    fn object(
        &mut self,
        schema: &Value,
        name: &str,
        doc: Option<String>,
        tag: Option<&str>,
    ) -> Result<Item, GenError> {
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields: Vec<Field> = Vec::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (json, property) in properties {
                if tag == Some(json.as_str()) {
                    continue;
                }
                let (ty, nullable) = self.ty(property, &format!("{name}_{json}"))?;
                let mut rust = names::field(json);
                while fields.iter().any(|f| f.rust == rust) {
                    rust.push('_');
                }
                // Only text can be a credential (`code` is also an HTTP status).
                let secret = ty == Ty::String && SECRET_FIELDS.contains(&json.as_str());
                fields.push(Field {
                    json: json.clone(),
                    rust,
                    doc: doc_of(property),
                    ty,
                    required: required.contains(json.as_str()),
                    nullable,
                    boxed: false,
                    secret,
                });
            }
        }
        Ok(Item::Struct { doc, fields })
    }

    /// Marks the fields that must be boxed because their type contains the
    /// struct they belong to. Call once every item is in.
    pub fn box_recursive_fields(&mut self) {
        let names: Vec<String> = self.items.keys().cloned().collect();
        for name in names {
            let Some(Item::Struct { fields, .. }) = self.items.get(&name) else {
                continue;
            };
            let to_box: Vec<usize> = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| match &f.ty {
                    Ty::Named(target) => self.contains_inline(target, &name, &mut BTreeSet::new()),
                    _ => false,
                })
                .map(|(i, _)| i)
                .collect();
            if let Some(Item::Struct { fields, .. }) = self.items.get_mut(&name) {
                for i in to_box {
                    fields[i].boxed = true;
                }
            }
        }
    }

    /// Whether a value of type `from` holds a `target` without a heap
    /// indirection (a `Vec` or map is one).
    fn contains_inline(&self, from: &str, target: &str, seen: &mut BTreeSet<String>) -> bool {
        if from == target {
            return true;
        }
        if !seen.insert(from.to_string()) {
            return false;
        }
        let next: Vec<String> = match self.items.get(from) {
            Some(Item::Struct { fields, .. }) => fields
                .iter()
                .filter_map(|f| match &f.ty {
                    Ty::Named(n) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
            Some(Item::Union { variants, .. }) => variants.iter().map(|v| v.ty.clone()).collect(),
            Some(Item::Alias {
                ty: Ty::Named(n), ..
            }) => vec![n.clone()],
            _ => Vec::new(),
        };
        next.iter().any(|n| self.contains_inline(n, target, seen))
    }

    /// Whether `ty` has a natural empty value (`""`, `0`, `false`, empty list
    /// or map, a struct whose fields all have one), which the generated code
    /// falls back to when the server omits or nulls a required field.
    pub fn has_default(&self, ty: &Ty) -> bool {
        self.has_default_within(ty, &mut BTreeSet::new())
    }

    fn has_default_within(&self, ty: &Ty, seen: &mut BTreeSet<String>) -> bool {
        let Ty::Named(name) = ty else { return true };
        // A type that contains itself gets no default (it would never end).
        if !seen.insert(name.clone()) {
            return false;
        }
        match self.items.get(name) {
            Some(Item::Alias { ty, nullable, .. }) => {
                *nullable || self.has_default_within(ty, seen)
            }
            Some(Item::Struct { fields, .. }) => fields.iter().all(|f| {
                !f.required || f.nullable || self.has_default_within(&f.ty, &mut seen.clone())
            }),
            _ => false,
        }
    }

    /// Whether a field is an `Option`: when not required, or when it may be null.
    pub fn is_optional(&self, f: &Field) -> bool {
        !f.required || f.nullable || self.is_nullable_alias(&f.ty)
    }

    /// The generated types `roots` reach, directly or through fields,
    /// union members, aliases, arrays and maps.
    pub fn closure<'t>(&self, roots: impl IntoIterator<Item = &'t Ty>) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack: Vec<Ty> = roots.into_iter().cloned().collect();
        while let Some(ty) = stack.pop() {
            match ty {
                Ty::Vec(inner) | Ty::Nullable(inner) | Ty::Map(inner) => stack.push(*inner),
                Ty::Named(name) => {
                    if !found.insert(name.clone()) {
                        continue;
                    }
                    match self.items.get(&name) {
                        Some(Item::Struct { fields, .. }) => {
                            stack.extend(fields.iter().map(|f| f.ty.clone()))
                        }
                        Some(Item::Union { variants, .. }) => {
                            stack.extend(variants.iter().map(|v| Ty::Named(v.ty.clone())))
                        }
                        Some(Item::Alias { ty, .. }) => stack.push(ty.clone()),
                        Some(Item::Enum { .. }) | None => {}
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// The item type of `ty` when it is an array, directly or through
    /// (non-nullable) aliases.
    pub fn array_item(&self, ty: &Ty) -> Option<Ty> {
        match ty {
            Ty::Vec(item) => Some((**item).clone()),
            Ty::Named(name) => match self.items.get(name) {
                Some(Item::Alias {
                    ty,
                    nullable: false,
                    ..
                }) => self.array_item(ty),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether a value of `ty` is free-form JSON (directly, in an array or
    /// map, or through an alias), which may hold secrets under any key.
    pub fn holds_free_json(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Json | Ty::JsonObject => true,
            Ty::Vec(inner) | Ty::Nullable(inner) | Ty::Map(inner) => self.holds_free_json(inner),
            Ty::Named(name) => match self.items.get(name) {
                Some(Item::Alias { ty, .. }) => self.holds_free_json(ty),
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether `ty` is a generated struct (directly or through an alias).
    pub fn is_struct(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(name) => match self.items.get(name) {
                Some(Item::Struct { .. }) => true,
                Some(Item::Alias { ty, .. }) => self.is_struct(ty),
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether a value of `ty` may be `null` in JSON (through an alias).
    pub fn is_nullable_alias(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Named(name) if matches!(self.items.get(name), Some(Item::Alias { nullable: true, .. })))
    }
}

fn has_properties(schema: &Value) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

/// The documentation of a schema: its title, then its description.
pub fn doc_of(schema: &Value) -> Option<String> {
    let title = schema.get("title").and_then(Value::as_str);
    let description = schema.get("description").and_then(Value::as_str);
    match (title, description) {
        (Some(t), Some(d)) => Some(format!("{t}\n\n{d}")),
        (Some(t), None) => Some(t.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(schemas: Value) -> Spec {
        Spec::from_value(
            json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas}}),
        )
        .unwrap()
    }

    #[test]
    fn objects_become_structs_with_required_and_optional_fields() {
        let spec = spec(json!({
            "thing": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "count": {"type": "integer", "format": "int32"},
                "type": {"type": "string", "enum": ["a", "b"]}
            }}
        }));
        let mut set = TypeSet::new(&spec);
        assert_eq!(set.component("thing").unwrap(), "Thing");
        let Some(Item::Struct { fields, .. }) = set.items.get("Thing") else {
            panic!("not a struct: {:?}", set.items.get("Thing"))
        };
        let summary: Vec<(&str, String, bool)> = fields
            .iter()
            .map(|f| (f.rust.as_str(), f.ty.rust(), f.required))
            .collect();
        assert_eq!(
            summary,
            [
                ("count", "i32".to_string(), false),
                ("id", "String".to_string(), true),
                ("r#type", "ThingType".to_string(), false),
            ]
        );
        let Some(Item::Enum { values, .. }) = set.items.get("ThingType") else {
            panic!("inline enum not generated")
        };
        assert_eq!(values[0], ("A".to_string(), "a".to_string()));
    }

    #[test]
    fn discriminated_union_members_do_not_store_the_tag() {
        let spec = spec(json!({
            "attrs": {
                "oneOf": [{"$ref": "#/components/schemas/attrsInput"}, {"$ref": "#/components/schemas/attrsText"}],
                "discriminator": {"propertyName": "node_type", "mapping": {
                    "input": "#/components/schemas/attrsInput",
                    "text": "#/components/schemas/attrsText"
                }}
            },
            "attrsInput": {"type": "object", "required": ["node_type", "name"], "properties": {
                "node_type": {"type": "string", "enum": ["input"]}, "name": {"type": "string"}
            }},
            "attrsText": {"type": "object", "properties": {
                "node_type": {"type": "string"}, "text": {"type": "string"}
            }}
        }));
        let mut set = TypeSet::new(&spec);
        set.component("attrs").unwrap();
        let Some(Item::Union { tag, variants, .. }) = set.items.get("Attrs") else {
            panic!("not a union")
        };
        assert_eq!(tag, "node_type");
        let variants: Vec<(&str, &str, &str)> = variants
            .iter()
            .map(|v| (v.name.as_str(), v.tag.as_str(), v.ty.as_str()))
            .collect();
        assert_eq!(
            variants,
            [
                ("Input", "input", "AttrsInput"),
                ("Text", "text", "AttrsText")
            ]
        );
        let Some(Item::Struct { fields, .. }) = set.items.get("AttrsInput") else {
            panic!("member not generated")
        };
        assert!(fields.iter().all(|f| f.json != "node_type"), "{fields:?}");
        assert!(
            !set.items.contains_key("AttrsInputNodeType"),
            "the tag's enum should not be generated"
        );
    }

    #[test]
    fn empty_objects_are_free_form_and_nullable_refs_are_seen() {
        let spec = spec(json!({
            "err": {"type": "object", "properties": {
                "details": {"type": "object", "additionalProperties": false},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "org": {"$ref": "#/components/schemas/NullUUID"},
                "state": {}
            }},
            "NullUUID": {"type": "string", "nullable": true}
        }));
        let mut set = TypeSet::new(&spec);
        set.component("err").unwrap();
        let Some(Item::Struct { fields, .. }) = set.items.get("Err") else {
            panic!()
        };
        let by_name = |n: &str| fields.iter().find(|f| f.json == n).unwrap();
        assert_eq!(by_name("details").ty, Ty::JsonObject);
        assert_eq!(by_name("labels").ty, Ty::Map(Box::new(Ty::String)));
        assert_eq!(by_name("state").ty, Ty::Json);
        assert_eq!(by_name("org").ty, Ty::Named("NullUuid".into()));
        assert!(by_name("org").nullable);
    }

    #[test]
    fn self_containing_structs_are_boxed() {
        let spec = spec(json!({
            "node": {"type": "object", "properties": {
                "parent": {"$ref": "#/components/schemas/node"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/node"}}
            }}
        }));
        let mut set = TypeSet::new(&spec);
        set.component("node").unwrap();
        set.box_recursive_fields();
        let Some(Item::Struct { fields, .. }) = set.items.get("Node") else {
            panic!()
        };
        let boxed: Vec<(&str, bool)> = fields.iter().map(|f| (f.json.as_str(), f.boxed)).collect();
        assert_eq!(boxed, [("children", false), ("parent", true)]);
    }

    #[test]
    fn secrets_are_marked() {
        let spec = spec(json!({
            "login": {"type": "object", "properties": {
                "password": {"type": "string"}, "identifier": {"type": "string"},
                "code": {"type": "integer"}
            }}
        }));
        let mut set = TypeSet::new(&spec);
        set.component("login").unwrap();
        let Some(Item::Struct { fields, .. }) = set.items.get("Login") else {
            panic!()
        };
        let secret: Vec<(&str, bool)> =
            fields.iter().map(|f| (f.json.as_str(), f.secret)).collect();
        assert_eq!(
            secret,
            [("code", false), ("identifier", false), ("password", true)]
        );
    }
}
