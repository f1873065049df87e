//! Applying a JSON Patch (RFC 6902) to an identity's JSON, for
//! `PATCH /admin/identities/{id}`: every operation in order, the whole
//! patch refused if one fails. Kratos's own rules on top (the operations
//! it takes, the paths it denies) are the admin module's.

use serde_json::Value;

/// `patch` applied to a copy of `document`; an error says which operation
/// failed and why.
pub(super) fn apply(document: &Value, patch: &Value) -> Result<Value, String> {
    // What the client checks before sending one: a list, of known `op`s,
    // each with the `value` or `from` it needs.
    crate::patch::check(patch)?;
    let operations = patch.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut doc = document.clone();
    for (n, op) in operations.iter().enumerate() {
        apply_one(&mut doc, op).map_err(|why| format!("patch {n}: {why}"))?;
    }
    Ok(doc)
}

/// One operation, already checked by `crate::patch::check`.
fn apply_one(doc: &mut Value, op: &Value) -> Result<(), String> {
    let pointer = |name: &str| -> Result<String, String> {
        let p = op
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{name}` is missing"))?;
        if !p.is_empty() && !p.starts_with('/') {
            return Err(format!("`{name}` is not a JSON pointer"));
        }
        Ok(p.to_string())
    };
    let value = op.get("value").cloned().unwrap_or_default();
    let path = pointer("path")?;
    match op.get("op").and_then(Value::as_str).unwrap_or_default() {
        "remove" => remove(doc, &path).map(drop),
        "replace" => {
            *doc.pointer_mut(&path).ok_or("nothing at `path`")? = value;
            Ok(())
        }
        "move" => {
            let from = pointer("from")?;
            if path.starts_with(&format!("{from}/")) {
                return Err("cannot move a value into itself".into());
            }
            let moved = remove(doc, &from)?;
            add(doc, &path, moved)
        }
        "copy" => {
            let copied = doc
                .pointer(&pointer("from")?)
                .cloned()
                .ok_or("nothing at `from`")?;
            add(doc, &path, copied)
        }
        "test" => match doc.pointer(&path) {
            Some(found) if *found == value => Ok(()),
            _ => Err("the test failed".into()),
        },
        // `add`, the only one `check` leaves.
        _ => add(doc, &path, value),
    }
}

/// The parent of what `path` points at, and the last token, unescaped.
fn split(path: &str) -> Result<(&str, String), String> {
    let at = path
        .rfind('/')
        .ok_or("the root cannot be added or removed")?;
    let token = path[at + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..at], token))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, token) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(token, value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let at = match token.as_str() {
                "-" => items.len(),
                index => index_in(index, items.len() + 1)?,
            };
            items.insert(at, value);
            Ok(())
        }
        _ => Err("the parent of `path` is no object or array".into()),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, token) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => map
            .remove(&token)
            .ok_or_else(|| "nothing at the path".into()),
        Some(Value::Array(items)) => {
            let at = index_in(&token, items.len())?;
            Ok(items.remove(at))
        }
        _ => Err("nothing at the path".into()),
    }
}

/// An array index as RFC 6901 spells it (no sign, no leading zero), below `len`.
fn index_in(token: &str, len: usize) -> Result<usize, String> {
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    match token.parse::<usize>() {
        Ok(at) if valid && at < len => Ok(at),
        _ => Err("the array index is out of range".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(doc: Value, patch: Value) -> Result<Value, String> {
        apply(&doc, &patch)
    }

    // The cases of RFC 6902, appendix A, that this mock meets.
    #[test]
    fn the_rfc_examples() {
        let cases = [
            (
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/baz", "value": "qux"}]),
                json!({"baz": "qux", "foo": "bar"}),
            ),
            (
                json!({"foo": ["bar", "baz"]}),
                json!([{"op": "add", "path": "/foo/1", "value": "qux"}]),
                json!({"foo": ["bar", "qux", "baz"]}),
            ),
            (
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "remove", "path": "/baz"}]),
                json!({"foo": "bar"}),
            ),
            (
                json!({"foo": ["bar", "qux", "baz"]}),
                json!([{"op": "remove", "path": "/foo/1"}]),
                json!({"foo": ["bar", "baz"]}),
            ),
            (
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "replace", "path": "/baz", "value": "boo"}]),
                json!({"baz": "boo", "foo": "bar"}),
            ),
            (
                json!({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}),
                json!([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}]),
                json!({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
            ),
            (
                json!({"foo": ["all", "grass", "cows", "eat"]}),
                json!([{"op": "move", "from": "/foo/1", "path": "/foo/3"}]),
                json!({"foo": ["all", "cows", "eat", "grass"]}),
            ),
            (
                json!({"baz": "qux", "foo": ["a", 2, "c"]}),
                json!([{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}]),
                json!({"baz": "qux", "foo": ["a", 2, "c"]}),
            ),
            (
                json!({"foo": ["bar"]}),
                json!([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}]),
                json!({"foo": ["bar", ["abc", "def"]]}),
            ),
            (
                json!({"/": 9, "~1": 10}),
                json!([{"op": "test", "path": "/~01", "value": 10}]),
                json!({"/": 9, "~1": 10}),
            ),
            (
                json!({"foo": "bar"}),
                json!([{"op": "copy", "from": "/foo", "path": "/baz"}]),
                json!({"foo": "bar", "baz": "bar"}),
            ),
        ];
        for (doc, patch, want) in cases {
            assert_eq!(patched(doc, patch.clone()).unwrap(), want, "{patch}");
        }
    }

    #[test]
    fn a_failing_operation_refuses_the_whole_patch() {
        let doc = json!({"baz": "qux", "foo": ["bar"]});
        for (patch, why) in [
            (
                json!([{"op": "test", "path": "/baz", "value": "bar"}]),
                "the test failed",
            ),
            (
                json!([{"op": "add", "path": "/baz/bat", "value": "qux"}]),
                "no object or array",
            ),
            (
                json!([{"op": "remove", "path": "/nope"}]),
                "nothing at the path",
            ),
            (
                json!([{"op": "add", "path": "/foo/01", "value": 1}]),
                "out of range",
            ),
            (
                json!([{"op": "add", "path": "/foo/2", "value": 1}]),
                "out of range",
            ),
            (
                json!([{"op": "replace", "path": "/nope", "value": 1}]),
                "nothing at `path`",
            ),
            (json!([{"op": "add", "path": "/x"}]), "`add` needs `value`"),
            (json!([{"op": "copy", "path": "/x"}]), "`copy` needs `from`"),
            (
                json!([{"op": "frob", "path": "/x"}]),
                "`op` must be add, remove",
            ),
            (
                json!([{"op": "move", "from": "/foo", "path": "/foo/0"}]),
                "into itself",
            ),
            (json!({"op": "add"}), "must be a list of patches"),
        ] {
            let err = patched(doc.clone(), patch.clone()).unwrap_err();
            assert!(err.contains(why), "{patch}: {err}");
        }
        // An earlier operation's change is not kept when a later one fails.
        let patch = json!([{"op": "replace", "path": "/baz", "value": "new"}, {"op": "remove", "path": "/nope"}]);
        assert!(patched(doc.clone(), patch).is_err());
    }
}
