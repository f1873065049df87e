//! A typed client for the [Ory Kratos](https://www.ory.sh/kratos/) identity
//! server, for native apps, command-line tools and their tests.
//!
//! Every model and operation is generated at build time from the OpenAPI
//! document in `openapi/` (or the one named by `KRATOS_OPENAPI_SPEC`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let api = kratos_client::FrontendApi::new("https://auth.example.com")?;
//! let flow = api
//!     .create_native_registration_flow()
//!     .return_to("myapp://done")
//!     .send()
//!     .await?;
//! println!("registration flow {} has {} form fields", flow.id, flow.ui.nodes.len());
//! # Ok(())
//! # }
//! ```
//!
//! - [`Client`] holds the server's URL, the settings and the connection
//!   pool; [`FrontendApi`] and the other groups are views over one.
//! - Each operation is a builder: one setter per parameter, then `send()`.
//! - [`Error`] tells documented refusals ([`Error::Api`], with the
//!   operation's own enum) from transport, timeout and decoding failures.
//! - [`models`] holds the request and response types; decoded flows have
//!   helpers to read their form ([`models::RegistrationFlow::inputs_for`],
//!   [`models::RegistrationFlow::errors`]).
//! - `testing::MockKratos` (feature `testing`) is a mock Kratos for the tests
//!   of apps using this crate, held to a real Kratos v26.2.0;
//!   `testing::KratosServer` runs a real Kratos binary for them, and
//!   `testing::TestKratos` runs a test on either.
//!
//! The README walks through the whole registration journey, one runnable
//! program per step.

#![cfg_attr(docsrs, feature(doc_cfg))]
// Without any API group (cargo features `frontend`, `identity`, `courier`,
// `metadata`) there is no operation to send, and the machinery for them
// goes unused.
#![cfg_attr(
    not(any(
        feature = "frontend",
        feature = "identity",
        feature = "courier",
        feature = "metadata"
    )),
    allow(unused)
)]

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "browser")]
#[cfg_attr(docsrs, doc(cfg(feature = "browser")))]
pub mod browser;
// Written against our document's API (`create_identity` takes its required
// body), as the examples are: not built from an upstream document.
#[cfg(all(feature = "identity", kratos_bundled_spec))]
#[cfg_attr(docsrs, doc(cfg(feature = "identity")))]
pub mod bulk;
mod client;
#[cfg(feature = "session")]
mod cookies;
mod decode;
mod encode;
mod error;
#[cfg(any(feature = "browser", feature = "testing"))]
mod escape;
#[cfg(feature = "frontend")]
mod flow;
#[cfg(feature = "hooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "hooks")))]
pub mod hooks;
#[cfg(feature = "frontend")]
mod next_step;
mod operation;
mod page;
mod paginate;
mod patch;
mod random;
mod response;
mod retry;
mod secret;
#[cfg(feature = "session")]
#[cfg_attr(docsrs, doc(cfg(feature = "session")))]
pub mod session;
#[cfg(feature = "frontend")]
mod sign_in_again;
#[cfg(feature = "frontend")]
#[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
pub mod social;
#[cfg(feature = "tracing")]
mod trace;
mod unknown;

/// The request and response types, generated from the OpenAPI document.
///
/// Every struct and enum is `#[non_exhaustive]`, as the server keeps adding
/// fields and values: build structs with their `new` constructor (or
/// `Default`) and set fields afterwards. String enums keep values they do
/// not know in an `Unknown` variant instead of failing to decode.
pub mod models {
    // Union variants differ in size (an input node has many more attributes
    // than a text node); boxing them would cost an allocation per node.
    #![allow(clippy::large_enum_variant)]
    include!(concat!(env!("OUT_DIR"), "/models.rs"));
}

/// The request builders and their error enums, generated from the OpenAPI document.
pub mod operations {
    // A 400 answer can carry a whole flow (for validation messages), which
    // makes some error enums lopsided, and so `Error<E>`; boxing it would make
    // matching clumsier, and an error is not on the fast path.
    #![allow(clippy::large_enum_variant, clippy::result_large_err)]
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

include!(concat!(env!("OUT_DIR"), "/exports.rs"));

pub use client::{
    Client, ClientBuilder, ConfigError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
};
pub use error::{AnyError, ApiError, DecodeError, Error, ErrorId, OperationError};
#[cfg(feature = "frontend")]
#[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
pub use flow::{FormInput, FormMessage};
pub use page::Page;
pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use reqwest::StatusCode;
pub use response::Response;
pub use retry::RetryPolicy;
pub use secret::Secret;
#[cfg(feature = "frontend")]
#[cfg_attr(docsrs, doc(cfg(feature = "frontend")))]
pub use sign_in_again::SignInAgain;
pub use unknown::UnknownValue;

#[cfg(feature = "testing")]
pub mod testing;

/// Compiles the README's code examples as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

// The generator is compiled into build.rs; here only for its unit tests.
#[cfg(test)]
#[path = "codegen/mod.rs"]
#[allow(
    dead_code,
    reason = "build.rs runs the whole generator; its unit tests reach only parts"
)]
mod codegen;
