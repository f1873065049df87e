//! How long the generator takes, as `build.rs` runs it (read the document,
//! generate, write three files), on our document and on each upstream one.
//! Compiled optimized here; `build-cost.sh` also times the real build script
//! as cargo compiles it (unoptimized). Run: `cd benches && cargo bench --bench generate`.

// Benchmarks build with cfg(test), which brings in the generator's unit
// test modules without their harness.
#[path = "../../src/codegen/mod.rs"]
#[allow(dead_code, unused_imports)]
mod codegen;

use std::path::PathBuf;

use kratos_client_benches::{compare, keep, Candidate};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut documents = vec![(
        "our openapi/kratos.json".to_string(),
        root.join("openapi/kratos.json"),
    )];
    for name in [
        "api-v1.3.1.json",
        "api-v26.2.0.json",
        "api-master-2026-07-29.json",
    ] {
        let path = root.join("../shared/kratos").join(name);
        if path.is_file() {
            documents.push((format!("upstream {name}"), path));
        }
    }
    let out = std::env::temp_dir().join("kratos-client-generate-bench");
    std::fs::create_dir_all(&out).unwrap();
    let mut candidates: Vec<Candidate> = documents
        .iter()
        .map(|(name, path)| {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let out = out.clone();
            let path = path.clone();
            let label: &'static str =
                Box::leak(format!("{name} ({} KB)", size / 1000).into_boxed_str());
            Candidate::new(label, move || {
                let document = std::fs::read_to_string(&path).unwrap();
                let generated = codegen::generate(&document).unwrap();
                for (file, text) in [
                    ("models.rs", &generated.models),
                    ("operations.rs", &generated.operations),
                    ("exports.rs", &generated.exports),
                ] {
                    std::fs::write(out.join(file), text).unwrap();
                }
                keep(generated);
            })
        })
        .collect();
    compare(
        "build.rs work: read, generate, write (optimized)",
        20,
        5,
        &mut candidates,
    );
}
