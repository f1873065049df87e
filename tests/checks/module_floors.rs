//! The hand-written modules are floors that read one way: a module names
//! (as `crate::<module>`) only modules on its own floor or below, so that
//! none depends on one that depends back on it. A new module gets a floor
//! here; a reference upwards fails this test with the line that makes it.

use std::path::Path;

/// Bottom first; modules on one floor may name each other. `models` and
/// `operations` are the generated code: the models are data (the error
/// types `error` reads, the forms `flow` reads, written with `flow`'s
/// macros), the operations sit on the runtime that sends them.
const FLOORS: &[&[&str]] = &[
    &["secret", "secret_fields", "unknown", "random", "escape"],
    &["decode", "encode"],
    &[
        "models",
        "error",
        "flow",
        "next_step",
        "patch",
        "retry",
        "page",
        "response",
        "trace",
    ],
    &["client"],
    &["operation"],
    &["paginate"],
    &["operations"],
    &["sign_in_again", "cookies", "social", "hooks", "bulk"],
    &["session"],
    &["browser"],
    &["axum", "testing"],
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|floor| floor.contains(&module))
}

/// The files of the module `name`: `src/name.rs` and `src/name/**.rs`.
fn files_of(src: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut stack = vec![src.join(name)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_module_names_only_its_floor_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upwards = Vec::new();
    for (level, floor) in FLOORS.iter().enumerate() {
        for module in *floor {
            for file in files_of(&src, module) {
                let text = std::fs::read_to_string(&file).unwrap();
                for (n, line) in text.lines().enumerate() {
                    for (at, _) in line.match_indices("crate::") {
                        let rest = &line[at + "crate::".len()..];
                        let named: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                            .collect();
                        match floor_of(&named) {
                            Some(other) if other > level => upwards.push(format!(
                                "{}:{}: {module} names {named}, a floor above: {}",
                                file.display(),
                                n + 1,
                                line.trim()
                            )),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    assert!(upwards.is_empty(), "{}", upwards.join("\n"));
}

#[test]
fn every_module_has_a_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let missing: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("pub ").unwrap_or(l.trim());
            l.strip_prefix("mod ")?.strip_suffix(';')
        })
        .filter(|m| *m != "codegen" && floor_of(m).is_none())
        .collect();
    assert!(missing.is_empty(), "modules without a floor: {missing:?}");
}
