//! Reading an OpenAPI 3.0 document: its schemas and its operations.

use std::collections::BTreeMap;

use serde_json::Value;

use super::GenError;

/// The parts of an OpenAPI document the generator uses.
pub struct Spec {
    pub schemas: BTreeMap<String, Value>,
    pub operations: Vec<RawOperation>,
    /// Tag name → description.
    pub tags: BTreeMap<String, String>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone)]
pub struct RawParameter {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub description: Option<String>,
    pub schema: Value,
}

/// A response as documented: its status (`None` for `default`), description,
/// and body schema with its media type, if it has a body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: Option<u16>,
    pub description: Option<String>,
    pub body: Option<(MediaType, Value)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    Text,
}

#[derive(Debug, Clone)]
pub struct RawOperation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub parameters: Vec<RawParameter>,
    /// The JSON request body's schema and whether it is required.
    pub body: Option<(Value, bool)>,
    pub responses: Vec<RawResponse>,
    /// Whether a security requirement applies (its own `security`, else
    /// the document's): the operation sends the client's API key.
    pub secured: bool,
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

impl Spec {
    pub fn parse(text: &str) -> Result<Spec, GenError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| GenError(format!("the document is not valid JSON: {e}")))?;
        Spec::from_value(doc)
    }

    pub fn from_value(doc: Value) -> Result<Spec, GenError> {
        match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0") => {}
            other => {
                return Err(GenError(format!(
                    "expected an OpenAPI 3.0 document, found `openapi: {other:?}`"
                )))
            }
        }
        let schemas: BTreeMap<String, Value> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default();
        let tags = doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| {
                        Some((
                            t.get("name")?.as_str()?.to_string(),
                            t.get("description")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut operations = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let shared: Vec<Value> = item
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for method in METHODS {
                    if let Some(op) = item.get(*method) {
                        operations.push(read_operation(&doc, path, method, op, &shared)?);
                    }
                }
            }
        }
        operations.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Spec {
            schemas,
            operations,
            tags,
        })
    }

    /// `#/components/schemas/uiNode` → `uiNode`.
    pub fn ref_name(reference: &str) -> &str {
        reference.rsplit('/').next().unwrap_or(reference)
    }

    pub fn schema(&self, name: &str) -> Result<&Value, GenError> {
        self.schemas
            .get(name)
            .ok_or_else(|| GenError(format!("unknown schema `{name}`")))
    }
}

/// Follows a local `$ref` (`#/components/...`) to what it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, GenError> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').ok_or_else(|| {
                GenError(format!("only local references are supported: {reference}"))
            })?;
            doc.pointer(pointer)
                .ok_or_else(|| GenError(format!("dangling reference {reference}")))
        }
        None => Ok(value),
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn read_operation(
    doc: &Value,
    path: &str,
    method: &str,
    op: &Value,
    shared: &[Value],
) -> Result<RawOperation, GenError> {
    let id = text(op, "operationId").ok_or_else(|| {
        GenError(format!(
            "{} {path} has no operationId",
            method.to_uppercase()
        ))
    })?;
    let mut parameters: Vec<RawParameter> = Vec::new();
    let own = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for raw in shared.iter().chain(own.iter()) {
        let p = resolve(doc, raw)?;
        let name =
            text(p, "name").ok_or_else(|| GenError(format!("{id}: a parameter has no name")))?;
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            // Cookies are the browser's business; an API client sends none.
            Some("cookie") => continue,
            other => return Err(GenError(format!("{id}: parameter {name} is in {other:?}"))),
        };
        let parameter = RawParameter {
            required: location == Location::Path
                || p.get("required").and_then(Value::as_bool).unwrap_or(false),
            description: text(p, "description"),
            schema: p.get("schema").cloned().unwrap_or(Value::Null),
            name,
            location,
        };
        // An operation's own parameter replaces a path-level one of the same name.
        parameters.retain(|q| !(q.name == parameter.name && q.location == parameter.location));
        parameters.push(parameter);
    }
    let body = match op.get("requestBody") {
        Some(raw) => {
            let body = resolve(doc, raw)?;
            let schema = body
                .pointer("/content/application~1json/schema")
                .cloned()
                .ok_or_else(|| {
                    GenError(format!(
                        "{id}: the request body has no application/json form"
                    ))
                })?;
            let required = body
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some((schema, required))
        }
        None => None,
    };
    let mut responses = Vec::new();
    if let Some(map) = op.get("responses").and_then(Value::as_object) {
        for (code, raw) in map {
            let status = if code == "default" {
                None
            } else {
                Some(code.parse::<u16>().map_err(|_| {
                    GenError(format!("{id}: response code {code} is not supported"))
                })?)
            };
            let r = resolve(doc, raw)?;
            let body = if let Some(s) = r.pointer("/content/application~1json/schema") {
                Some((MediaType::Json, s.clone()))
            } else {
                r.pointer("/content/text~1plain/schema")
                    .map(|s| (MediaType::Text, s.clone()))
            };
            responses.push(RawResponse {
                status,
                description: text(r, "description"),
                body,
            });
        }
    }
    let tag = op
        .get("tags")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    // An empty list (or only empty requirements) means "no authentication".
    let requires = |security: &Value| {
        security.as_array().is_some_and(|list| {
            list.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        })
    };
    let secured = match op.get("security") {
        Some(own) => requires(own),
        None => doc.get("security").is_some_and(requires),
    };
    Ok(RawOperation {
        id,
        method: method.to_uppercase(),
        path: path.to_string(),
        tag,
        summary: text(op, "summary"),
        description: text(op, "description"),
        parameters,
        body,
        responses,
        secured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_operations_parameters_and_responses() {
        let spec = Spec::from_value(json!({
            "openapi": "3.0.3",
            "paths": {"/things/{id}": {
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                "get": {
                    "operationId": "getThing",
                    "tags": ["things"],
                    "parameters": [
                        {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "session", "in": "cookie", "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"$ref": "#/components/responses/thing"},
                        "404": {"description": "missing"},
                        "default": {"description": "other", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    }
                }
            }},
            "components": {"responses": {"thing": {"description": "a thing", "content": {
                "application/json": {"schema": {"type": "object"}}
            }}}}
        }))
        .unwrap();
        let [op] = spec.operations.as_slice() else {
            panic!()
        };
        assert_eq!(
            (op.id.as_str(), op.method.as_str(), op.tag.as_str()),
            ("getThing", "GET", "things")
        );
        let params: Vec<(&str, Location, bool)> = op
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p.location, p.required))
            .collect();
        assert_eq!(
            params,
            [
                ("id", Location::Path, true),
                ("verbose", Location::Query, false)
            ]
        );
        let responses: Vec<(Option<u16>, Option<MediaType>)> = op
            .responses
            .iter()
            .map(|r| (r.status, r.body.as_ref().map(|b| b.0)))
            .collect();
        assert_eq!(
            responses,
            [
                (Some(200), Some(MediaType::Json)),
                (Some(404), None),
                (None, Some(MediaType::Text))
            ]
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert!(Spec::parse("{").is_err());
        assert!(Spec::from_value(json!({"swagger": "2.0"})).is_err());
        let no_id = json!({"openapi": "3.0.0", "paths": {"/x": {"get": {"responses": {}}}}});
        let err = Spec::from_value(no_id).err().unwrap();
        assert!(err.0.contains("operationId"), "{}", err.0);
    }
}
