//! Helpers shared by the integration tests.
#![allow(dead_code)] // Each test crate uses its own subset.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The text of a fixture of ours, under `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `../shared/kratos`, the upstream reference data, when it is there (CI has
/// it beside the checkout; a user's clone does not). Otherwise says that
/// `test` is skipped, on the terminal even while output is captured.
pub fn shared_kratos(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/kratos");
    if dir.is_dir() {
        Some(dir)
    } else {
        // Written to the handle directly: the test harness only captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED {test}: {} is absent (it is beside the checkout in CI)",
            dir.display()
        );
        None
    }
}

/// A real Kratos (from `KRATOS_BIN`) for a test that needs one; without a
/// binary, says that `test` is skipped and why, and gives none.
pub async fn real_kratos(test: &str) -> Option<kratos_client::testing::KratosServer> {
    match kratos_client::testing::KratosServer::builder()
        .start()
        .await
    {
        Ok(server) => Some(server),
        Err(kratos_client::testing::KratosServerError::NoBinary) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED {test}: KRATOS_BIN is not set, and it needs a real Kratos"
            );
            None
        }
        Err(error) => panic!("{error}"),
    }
}

/// A mock server answering `GET path` with `status`, `content_type` and `body`.
pub async fn server_answering(
    route: &str,
    status: u16,
    content_type: &str,
    body: &str,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type),
        )
        .mount(&server)
        .await;
    server
}

/// The one request `server` received; fails if there were more or none.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// A request's query, decoded, in order.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub const REGISTRATION_API: &str = "/self-service/registration/api";

/// Checks that re-encoding kept every value of `input` that survived decoding.
///
/// Walks both JSON trees. Where `output` has a key, `input` must have the same
/// value there; where `input` lacks it or has `null`, `output` may hold the
/// empty value the client falls back to (`""`, `[]`, `0`, `false`). Keys of
/// `input` that `output` lacks are returned (with their paths) unless their
/// value was `null`: those are fields the document does not know.
pub fn compare_round_trip(input: &Value, output: &Value) -> BTreeSet<String> {
    let mut dropped = BTreeSet::new();
    walk("", input, output, &mut dropped);
    dropped
}

fn is_empty_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
    }
}

fn walk(at: &str, input: &Value, output: &Value, dropped: &mut BTreeSet<String>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (key, out_value) in o {
                let here = format!("{at}/{key}");
                match i.get(key) {
                    None | Some(Value::Null) => assert!(
                        is_empty_default(out_value),
                        "{here}: absent or null in the input, but re-encoded as {out_value}"
                    ),
                    Some(in_value) => walk(&here, in_value, out_value, dropped),
                }
            }
            for (key, in_value) in i {
                if !o.contains_key(key) && !in_value.is_null() {
                    dropped.insert(format!("{at}/{key}"));
                }
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            assert_eq!(i.len(), o.len(), "{at}: list length changed");
            for (n, (a, b)) in i.iter().zip(o).enumerate() {
                walk(&format!("{at}/{n}"), a, b, dropped);
            }
        }
        _ => assert_eq!(input, output, "{at}: value changed"),
    }
}
pub mod browser;
pub mod raw;

#[cfg(kratos_bundled_spec)]
pub mod accounts;

/// What a call came to, in a form every operation shares: a table of
/// operations can compare outcomes without naming each one's types.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A success, with the `Debug` of the value.
    Ok(String),
    /// A documented error: its status and variant name.
    Api(u16, String),
    /// Anything else, as shown.
    Other(String),
}

/// The [`Outcome`] of a call's result.
pub fn outcome<T: std::fmt::Debug, E: kratos_client::OperationError + std::fmt::Debug>(
    result: Result<T, kratos_client::Error<E>>,
) -> Outcome {
    match result {
        Ok(value) => Outcome::Ok(format!("{value:?}")),
        Err(kratos_client::Error::Api(e)) => {
            let debug = format!("{e:?}");
            let variant = debug
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_string();
            Outcome::Api(e.status().as_u16(), variant)
        }
        Err(other) => Outcome::Other(format!("{other}")),
    }
}
