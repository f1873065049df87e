//! Our OpenAPI document (`openapi/kratos.json`) against the upstream Kratos
//! v26.2.0 document, structurally: operations, parameters, responses, and
//! every schema they reach, compared on names, types, formats, enums,
//! required lists, nullability and discriminators. Descriptions are ours and
//! are not compared. Each difference must be listed as a correction in
//! `openapi/README.md`, and each listed correction must still be a difference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// Keys that carry structure; everything else (descriptions, titles,
/// examples, `x-` extensions) is prose.
const STRUCTURAL: &[&str] = &[
    "type",
    "format",
    "enum",
    "nullable",
    "required",
    "properties",
    "items",
    "$ref",
    "additionalProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "discriminator",
];

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Records every structural difference between two schemas under `at`.
fn compare_schema(at: &str, ours: &Value, theirs: &Value, diffs: &mut BTreeSet<String>) {
    let (Some(o), Some(t)) = (ours.as_object(), theirs.as_object()) else {
        if ours != theirs {
            diffs.insert(at.to_string());
        }
        return;
    };
    for key in STRUCTURAL {
        let here = format!("{at}/{key}");
        match (o.get(*key), t.get(*key)) {
            (None, None) => {}
            (Some(a), Some(b)) => match *key {
                "properties" => compare_map(&here, a, b, diffs),
                "required" | "enum" => {
                    let set = |v: &Value| -> BTreeSet<String> {
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .map(|x| x.to_string())
                            .collect()
                    };
                    if set(a) != set(b) {
                        diffs.insert(here);
                    }
                }
                "oneOf" | "anyOf" | "allOf" => {
                    let (a, b) = (
                        a.as_array().cloned().unwrap_or_default(),
                        b.as_array().cloned().unwrap_or_default(),
                    );
                    if a.len() != b.len() {
                        diffs.insert(here);
                    } else {
                        for (n, (x, y)) in a.iter().zip(&b).enumerate() {
                            compare_schema(&format!("{here}/{n}"), x, y, diffs);
                        }
                    }
                }
                "items" | "additionalProperties" => compare_schema(&here, a, b, diffs),
                _ => {
                    if a != b {
                        diffs.insert(here);
                    }
                }
            },
            _ => {
                diffs.insert(here);
            }
        }
    }
}

/// Compares two maps of named schemas (properties): the same names, each alike.
fn compare_map(at: &str, ours: &Value, theirs: &Value, diffs: &mut BTreeSet<String>) {
    let empty = serde_json::Map::new();
    let o = ours.as_object().unwrap_or(&empty);
    let t = theirs.as_object().unwrap_or(&empty);
    for name in o.keys().chain(t.keys()).collect::<BTreeSet<_>>() {
        let here = format!("{at}/{name}");
        match (o.get(name), t.get(name)) {
            (Some(a), Some(b)) => compare_schema(&here, a, b, diffs),
            _ => {
                diffs.insert(here);
            }
        }
    }
}

/// The component schemas `value` refers to, followed transitively.
fn reachable(doc: &Value, value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        if found.insert(name.to_string()) {
                            reachable(doc, &doc["components"]["schemas"][name], found);
                        }
                    }
                    // A shared response: follow it to the schemas it names.
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/responses/"))
                    {
                        reachable(doc, &doc["components"]["responses"][name], found);
                    }
                } else {
                    reachable(doc, v, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| reachable(doc, v, found)),
        _ => {}
    }
}

fn parameters(op: &Value) -> BTreeMap<String, Value> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                format!(
                    "{}/{}",
                    p["in"].as_str().unwrap_or("?"),
                    p["name"].as_str().unwrap_or("?")
                ),
                p.clone(),
            )
        })
        .collect()
}

/// A response, through its `$ref` to `#/components/responses` when it has one.
fn response<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response.get("$ref").and_then(Value::as_str) {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(response),
        None => response,
    }
}

fn compare_operation(
    at: &str,
    (ours, our_doc): (&Value, &Value),
    (theirs, their_doc): (&Value, &Value),
    diffs: &mut BTreeSet<String>,
) {
    for key in ["operationId", "tags", "security"] {
        if ours[key] != theirs[key] {
            diffs.insert(format!("{at} {key}"));
        }
    }
    let (o, t) = (parameters(ours), parameters(theirs));
    for name in o.keys().chain(t.keys()).collect::<BTreeSet<_>>() {
        let here = format!("{at} parameters/{name}");
        match (o.get(name), t.get(name)) {
            (Some(a), Some(b)) => {
                if a.get("required") != b.get("required") {
                    diffs.insert(format!("{here}/required"));
                }
                compare_schema(&format!("{here}/schema"), &a["schema"], &b["schema"], diffs);
            }
            _ => {
                diffs.insert(here);
            }
        }
    }
    let (ob, tb) = (&ours["requestBody"], &theirs["requestBody"]);
    if ob["required"] != tb["required"] {
        diffs.insert(format!("{at} requestBody/required"));
    }
    compare_content(&format!("{at} requestBody"), ob, tb, diffs);
    let empty = serde_json::Map::new();
    let o = ours["responses"].as_object().unwrap_or(&empty);
    let t = theirs["responses"].as_object().unwrap_or(&empty);
    for code in o.keys().chain(t.keys()).collect::<BTreeSet<_>>() {
        let here = format!("{at} responses/{code}");
        match (o.get(code), t.get(code)) {
            (Some(a), Some(b)) => {
                let (a, b) = (response(our_doc, a), response(their_doc, b));
                // Headers: the same names (ours declares the `Link` of lists).
                let names = |v: &Value| -> BTreeSet<String> {
                    v["headers"]
                        .as_object()
                        .map(|h| h.keys().map(|k| k.to_ascii_lowercase()).collect())
                        .unwrap_or_default()
                };
                for name in names(a).symmetric_difference(&names(b)) {
                    diffs.insert(format!("{here}/headers/{name}"));
                }
                let media = |v: &Value| -> BTreeSet<String> {
                    v["content"]
                        .as_object()
                        .map(|c| c.keys().cloned().collect())
                        .unwrap_or_default()
                };
                if media(a) != media(b) {
                    diffs.insert(format!("{here}/content"));
                }
                for m in media(a).intersection(&media(b)) {
                    compare_schema(
                        &format!("{here}/{m}"),
                        &a["content"][m]["schema"],
                        &b["content"][m]["schema"],
                        diffs,
                    );
                }
            }
            _ => {
                diffs.insert(here);
            }
        }
    }
}

/// Compares the media types of a request body or response and their schemas.
fn compare_content(at: &str, ours: &Value, theirs: &Value, diffs: &mut BTreeSet<String>) {
    let media = |v: &Value| -> BTreeSet<String> {
        v["content"]
            .as_object()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    };
    if ours.get("$ref") != theirs.get("$ref") {
        diffs.insert(format!("{at}/$ref"));
    }
    if media(ours) != media(theirs) {
        diffs.insert(format!("{at}/content"));
    }
    for m in media(ours).intersection(&media(theirs)) {
        compare_schema(
            &format!("{at}/{m}"),
            &ours["content"][m]["schema"],
            &theirs["content"][m]["schema"],
            diffs,
        );
    }
}

/// The table rows of the section of `openapi/README.md` headed `heading`.
fn readme_rows(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/README.md"),
    )
    .expect("openapi/README.md lists the corrections");
    readme
        .split("\n## ")
        .find(|section| section.starts_with(heading))
        .unwrap_or_else(|| panic!("openapi/README.md has a section `## {heading}`"))
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(str::to_string)
        .collect()
}

/// The first code span of each row of the corrections table: the places
/// where our document knowingly differs from upstream in structure.
fn listed_corrections() -> BTreeSet<String> {
    readme_rows("Corrections")
        .iter()
        .filter_map(|row| row.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

/// The rows of the table of text corrections: an operation (`METHOD path`)
/// and the phrase our description of it says, quoted in the third column.
fn listed_text_corrections() -> Vec<(String, String)> {
    readme_rows("Behaviour the upstream text gets wrong")
        .iter()
        .map(|row| {
            let columns: Vec<&str> = row.split(" | ").collect();
            let at = columns[0].trim_start_matches("| ").trim_matches('`');
            let phrase = columns[2].split('"').nth(1).expect("a quoted phrase");
            (at.to_string(), phrase.to_string())
        })
        .collect()
}

fn structural_differences(ours: &Value, upstream: &Value) -> BTreeSet<String> {
    let mut diffs = BTreeSet::new();
    let mut schemas_ours = BTreeSet::new();
    let mut schemas_upstream = BTreeSet::new();
    for (path, item) in ours["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{} {path}", method.to_uppercase());
            let theirs = &upstream["paths"][path][method];
            if theirs.is_null() {
                diffs.insert(format!("{at} (not upstream)"));
                continue;
            }
            compare_operation(&at, (op, ours), (theirs, upstream), &mut diffs);
            reachable(ours, op, &mut schemas_ours);
            reachable(upstream, theirs, &mut schemas_upstream);
        }
    }
    // Every upstream operation is ours too.
    for (path, item) in upstream["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ours["paths"][path][method].is_null() {
                diffs.insert(format!(
                    "{} {path} (missing from ours)",
                    method.to_uppercase()
                ));
            }
        }
    }
    for name in schemas_ours.union(&schemas_upstream) {
        let (a, b) = (
            &ours["components"]["schemas"][name],
            &upstream["components"]["schemas"][name],
        );
        match (a.is_null(), b.is_null()) {
            (false, false) => compare_schema(name, a, b, &mut diffs),
            (true, _) => {
                diffs.insert(format!("{name} (missing from ours)"));
            }
            (_, true) => {
                diffs.insert(format!("{name} (not upstream)"));
            }
        }
    }
    diffs
}

#[test]
fn our_document_matches_upstream_v26_2_0_but_for_listed_corrections() {
    let Some(shared) = crate::common::shared_kratos(
        "our_document_matches_upstream_v26_2_0_but_for_listed_corrections",
    ) else {
        return;
    };
    let ours = load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/kratos.json"));
    let upstream = load(shared.join("api-v26.2.0.json"));
    let diffs = structural_differences(&ours, &upstream);
    let listed = listed_corrections();
    let unlisted: Vec<&String> = diffs.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&diffs).collect();
    assert!(
        unlisted.is_empty(),
        "differences from upstream not listed in openapi/README.md:\n  {}",
        unlisted
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        stale.is_empty(),
        "corrections listed in openapi/README.md that are no longer differences: {stale:?}"
    );
}

#[test]
fn our_descriptions_say_what_the_server_does_where_upstream_text_does_not() {
    let ours = load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/kratos.json"));
    let rows = listed_text_corrections();
    assert!(
        rows.len() >= 4,
        "the text corrections table is read: {rows:?}"
    );
    for (at, phrase) in rows {
        let (method, path) = at.split_once(' ').expect("`METHOD path`");
        let description = ours["paths"][path][method.to_lowercase()]["description"]
            .as_str()
            .unwrap_or_else(|| panic!("{at} is in our document, with a description"));
        assert!(
            description.contains(&phrase),
            "our description of {at} no longer says {phrase:?}"
        );
    }
}

#[test]
fn the_comparison_notices_a_changed_enum_and_a_missing_property() {
    let Some(shared) = crate::common::shared_kratos(
        "the_comparison_notices_a_changed_enum_and_a_missing_property",
    ) else {
        return;
    };
    let upstream = load(shared.join("api-v26.2.0.json"));
    let mut ours = load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/kratos.json"));
    let before = structural_differences(&ours, &upstream);
    ours["components"]["schemas"]["uiText"]["properties"]["type"]["enum"] =
        serde_json::json!(["info", "error"]);
    ours["components"]["schemas"]["uiNode"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("meta");
    let after = structural_differences(&ours, &upstream);
    let new: BTreeSet<&String> = after.difference(&before).collect();
    assert_eq!(
        new,
        BTreeSet::from([
            &"uiText/properties/type/enum".to_string(),
            &"uiNode/properties/meta".to_string()
        ])
    );
}
