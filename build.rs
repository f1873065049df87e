//! Generates the crate's models and operations from an OpenAPI document.
//!
//! The document is `openapi/kratos.json`, or the file named by the
//! environment variable `KRATOS_OPENAPI_SPEC`. The generator lives in
//! `src/codegen/`; it writes `models.rs`, `operations.rs` and `exports.rs`
//! into `OUT_DIR`, which `src/lib.rs` includes.

#[path = "src/codegen/mod.rs"]
mod codegen;

use std::path::PathBuf;

const BUNDLED: &str = "openapi/kratos.json";

fn main() {
    println!("cargo::rerun-if-env-changed=KRATOS_OPENAPI_SPEC");
    println!("cargo::rerun-if-changed={BUNDLED}");
    println!("cargo::rerun-if-changed=src/codegen");
    println!("cargo::rerun-if-changed=src/secret_fields.rs");
    println!("cargo::rustc-check-cfg=cfg(kratos_bundled_spec)");
    println!("cargo::rustc-check-cfg=cfg(docsrs)");

    let custom = std::env::var_os("KRATOS_OPENAPI_SPEC").filter(|v| !v.is_empty());
    let path = match &custom {
        Some(path) => {
            let path = PathBuf::from(path);
            println!("cargo::rerun-if-changed={}", path.display());
            path
        }
        None => {
            // Tests that rely on details of our own document check this cfg.
            println!("cargo::rustc-cfg=kratos_bundled_spec");
            PathBuf::from(BUNDLED)
        }
    };
    let document = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "kratos-client: cannot read the OpenAPI document {}: {e}",
            path.display()
        )
    });
    let generated = codegen::generate(&document).unwrap_or_else(|e| {
        panic!(
            "kratos-client: cannot generate code from {}: {e}",
            path.display()
        )
    });
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, source) in [
        ("models.rs", &generated.models),
        ("operations.rs", &generated.operations),
        ("exports.rs", &generated.exports),
    ] {
        std::fs::write(out.join(name), source)
            .unwrap_or_else(|e| panic!("kratos-client: cannot write {name}: {e}"));
    }
}
