//! Checks on JSON Patch documents (RFC 6902) before they are sent.

use serde_json::Value;

/// Why a JSON Patch document cannot be applied, naming the first bad patch
/// by its index: an `op` RFC 6902 does not define, or an operation without
/// the member it needs (`value` for `add`, `replace` and `test`; `from` for
/// `move` and `copy`). Kratos would refuse it; nothing needs to go out.
///
/// It reads the document as written to JSON, so it holds whatever type the
/// generator gave the patches.
pub(crate) fn check(document: &Value) -> Result<(), String> {
    let Some(patches) = document.as_array() else {
        return Err("a JSON Patch document must be a list of patches".into());
    };
    for (i, patch) in patches.iter().enumerate() {
        let op = patch.get("op").and_then(Value::as_str).unwrap_or_default();
        let needs = match op {
            "add" | "replace" | "test" => Some("value"),
            "move" | "copy" => Some("from"),
            "remove" => None,
            other => {
                return Err(format!(
                    "patch {i}: `op` must be add, remove, replace, move, copy or test, not {:?}",
                    crate::error::quote(other, &Default::default(), 32)
                ))
            }
        };
        if let Some(member) = needs.filter(|m| patch.get(m).is_none()) {
            return Err(format!("patch {i}: `{op}` needs `{member}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_six_operations_pass_with_what_they_need() {
        let document = json!([
            {"op": "add", "path": "/traits/name", "value": "Ada"},
            {"op": "remove", "path": "/metadata_public"},
            {"op": "replace", "path": "/state", "value": "inactive"},
            {"op": "move", "from": "/traits/a", "path": "/traits/b"},
            {"op": "copy", "from": "/traits/a", "path": "/traits/c"},
            {"op": "test", "path": "/state", "value": null}
        ]);
        assert_eq!(check(&document), Ok(()));
    }

    #[test]
    fn unknown_operations_and_missing_members_are_named() {
        let bad =
            |patch: Value| check(&json!([{"op": "remove", "path": "/x"}, patch])).unwrap_err();
        assert_eq!(
            bad(json!({"op": "merge", "path": "/x"})),
            "patch 1: `op` must be add, remove, replace, move, copy or test, not \"merge\""
        );
        assert!(bad(json!({"path": "/x"})).contains("not \"\""));
        assert_eq!(
            bad(json!({"op": "add", "path": "/x"})),
            "patch 1: `add` needs `value`"
        );
        assert_eq!(
            bad(json!({"op": "copy", "path": "/x"})),
            "patch 1: `copy` needs `from`"
        );
        assert!(check(&json!({"op": "add"})).is_err());
    }
}
