//! A web backend protected by Kratos sessions: an axum service whose routes
//! need a signed-in caller, checked with `kratos_client::axum`.
//!
//! ```sh
//! cargo run --example backend                         # a built-in mock Kratos with a signed-in demo user
//! cargo run --example backend -- --url http://127.0.0.1:4433 --max-ttl 10
//! KRATOS_PUBLIC_URL=https://auth.example.com cargo run --example backend -- --listen 0.0.0.0:8080
//! ```
//!
//! Routes:
//! - `GET /`: public, 200;
//! - `GET /me`: the caller's identity, session and assurance level for a
//!   live session (the session cookie, `X-Session-Token`, or
//!   `Authorization: Bearer`); 401 JSON otherwise, 503 JSON when Kratos
//!   cannot be asked;
//! - `GET /secure`: as `/me`, but 403 `session_aal2_required` for a
//!   session without a second factor.
//!
//! Without `--url` (or `KRATOS_PUBLIC_URL`) it starts
//! `kratos_client::testing::MockKratos`, signs a demo user in, and prints
//! the `curl` lines that try each answer with the demo user's token.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use serde_json::{json, Value};

use kratos_client::axum::{Aal2Session, Session, SessionLayer};
use kratos_client::models::UpdateLoginFlowWithPasswordMethod;
use kratos_client::session::SessionValidator;
use kratos_client::testing::MockKratos;
use kratos_client::FrontendApi;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The demo user the built-in mock signs in.
pub const DEMO_EMAIL: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "correct horse battery staple";

/// An axum service whose routes need a Kratos session.
#[derive(Parser, Debug)]
#[command(name = "backend")]
pub struct Cli {
    /// Kratos's public URL; without it, a built-in mock Kratos is started.
    #[arg(long, env = "KRATOS_PUBLIC_URL")]
    pub url: Option<String>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The longest, in seconds, a session is kept before Kratos is asked
    /// again (a revoked session counts as signed in for at most this long).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub max_ttl: u64,
}

/// The service's routes, behind a layer that checks sessions with
/// `validator`.
pub fn app(validator: SessionValidator) -> Router {
    Router::new()
        .route("/", get(public))
        .route("/me", get(me))
        .route("/secure", get(secure))
        .layer(SessionLayer::new(validator))
}

/// The validator the service uses: cookie, `X-Session-Token` and bearer
/// tokens all count.
pub fn validator(api: FrontendApi, max_ttl: Duration) -> SessionValidator {
    SessionValidator::builder(api)
        .bearer(true)
        .max_ttl(max_ttl)
        .build()
}

async fn public() -> &'static str {
    "public: no session needed\n"
}

fn describe(session: &Session) -> Value {
    json!({
        "identity_id": session.identity_id(),
        "session_id": session.id,
        "aal": session.aal().map(|aal| aal.as_str()),
    })
}

async fn me(session: Session) -> Json<Value> {
    Json(describe(&session))
}

async fn secure(Aal2Session(session): Aal2Session) -> Json<Value> {
    Json(describe(&session))
}

/// Signs the demo user in on `kratos`; the session token.
pub async fn demo_session(kratos: &MockKratos) -> Result<String, BoxError> {
    kratos.add_identity(DEMO_EMAIL, DEMO_PASSWORD, Some("Demo"));
    let api = kratos.frontend();
    let flow = api.create_native_login_flow().send().await?;
    let signed_in = api
        .update_login_flow(
            &flow.id,
            UpdateLoginFlowWithPasswordMethod::new(DEMO_EMAIL, DEMO_PASSWORD),
        )
        .send()
        .await?;
    signed_in
        .session_token
        .ok_or_else(|| "the mock answered without a session token".into())
}

fn print_tries(base: &str, token: Option<&str>) {
    println!("Try:");
    println!("  curl -i {base}/                                   # 200, public");
    println!("  curl -i {base}/me                                 # 401, no session");
    match token {
        Some(token) => {
            println!("  curl -i {base}/me -H 'X-Session-Token: {token}'    # 200");
            println!("  curl -i {base}/me -H 'Authorization: Bearer {token}'    # 200");
            println!("  curl -i {base}/me -b 'ory_kratos_session={token}'    # 200 (the mock's cookie is the token)");
            println!("  curl -i {base}/secure -H 'X-Session-Token: {token}'    # 403, aal1 only");
            println!("  curl -i {base}/me -H 'X-Session-Token: ory_st_wrong'    # 401");
        }
        None => {
            println!("  curl -i {base}/me -H 'X-Session-Token: <a session token>'  # 200 for a live session");
            println!("  (a token: cargo run --example account -- --url <Kratos URL> login)");
        }
    }
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    let max_ttl = Duration::from_secs(cli.max_ttl);
    // The mock, when there is one, lives as long as the service.
    let (api, token, _mock) = match &cli.url {
        Some(url) => (FrontendApi::new(url.as_str())?, None, None),
        None => {
            let kratos = MockKratos::start().await;
            let token = demo_session(&kratos).await?;
            println!(
                "Kratos: a built-in mock at {}, with {DEMO_EMAIL} signed in",
                kratos.uri()
            );
            (kratos.frontend(), Some(token), Some(kratos))
        }
    };
    if let Some(url) = &cli.url {
        println!("Kratos: {url}");
    }
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        "Listening on {base} (sessions kept at most {}s)",
        cli.max_ttl
    );
    print_tries(&base, token.as_deref());
    axum::serve(listener, app(validator(api, max_ttl)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("backend: {error}");
            ExitCode::FAILURE
        }
    }
}
