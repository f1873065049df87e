//! Kratos's web hooks in an axum backend: sign-up needs an invite code,
//! checked by a hook before the identity is saved, and a second hook is
//! told of each new identity.
//!
//! ```sh
//! cargo run --example hooks                      # a built-in mock Kratos calls the hooks; two sign-ups shown
//! cargo run --example hooks -- --serve --listen 0.0.0.0:8080 --api-key "$HOOK_KEY"   # for a real Kratos
//! ```
//!
//! Routes (each refuses a caller without the API key in `X-Hook-Key`, 401,
//! before reading the body):
//! - `POST /hooks/registration`: the context of a registration about to be
//!   saved; an unknown `traits.invite` stops it with a message on that
//!   field, a known one is kept in `metadata_admin` and the code removed
//!   from the traits;
//! - `POST /hooks/registered`: told of the saved identity; logs its id.
//!
//! Without `--serve` it starts `kratos_client::testing::MockKratos` with
//! both hooks configured, signs up twice (a wrong invite code, then a
//! good one), prints what happened and the YAML that points a real Kratos
//! at the hooks, and exits.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use clap::Parser;
use std::future::IntoFuture;

use serde_json::{json, Value};

use kratos_client::hooks::axum::KratosHook;
use kratos_client::hooks::{
    FlowKind, HookAnswer, HookCaller, HookRejection, IdentityChange, Interrupt,
};
use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod;
use kratos_client::testing::{MockKratos, TraitKind, WebHook};
use kratos_client::{FrontendApi, IdentityApi};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The invite codes the demo accepts.
const INVITES: [&str; 2] = ["welcome-2026", "friends-and-family"];

/// A backend serving Kratos's registration hooks.
#[derive(Parser, Debug)]
#[command(name = "hooks")]
struct Cli {
    /// Keep serving the hooks (for a real Kratos) instead of the demo.
    #[arg(long)]
    serve: bool,
    /// The address to listen on (port 0: any free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The API key Kratos sends in `X-Hook-Key`.
    #[arg(long, env = "HOOK_API_KEY", default_value = "demo-hook-key")]
    api_key: String,
}

/// The routes, with the caller check every hook shares.
pub fn app(api_key: &str) -> Router {
    Router::new()
        .route("/hooks/registration", post(registration))
        .route("/hooks/registered", post(registered))
        .with_state(HookCaller::api_key_header("X-Hook-Key", api_key))
}

/// Before the identity is saved: the invite code decides. A call from
/// another flow (the hook configured at the wrong place) is refused.
async fn registration(
    State(_): State<HookCaller>,
    hook: KratosHook,
) -> Result<HookAnswer, HookRejection> {
    let context = hook.context;
    context.expect(FlowKind::Registration)?;
    let code = context.trait_str("invite").unwrap_or_default().to_string();
    if !INVITES.contains(&code.as_str()) {
        return Ok(HookAnswer::Interrupt(Interrupt::new().field_error(
            "traits.invite",
            4000001,
            "This invite code is not valid.",
        )));
    }
    // Keep the code where only admins see it, not in the traits.
    let mut traits = context
        .identity
        .map(|identity| identity.traits)
        .unwrap_or(Value::Null);
    if let Some(traits) = traits.as_object_mut() {
        traits.remove("invite");
    }
    Ok(HookAnswer::ChangeIdentity(
        IdentityChange::new()
            .traits(traits)
            .metadata_admin(json!({ "invite": code })),
    ))
}

/// After the identity is saved: told of it.
async fn registered(State(_): State<HookCaller>, hook: KratosHook) -> HookAnswer {
    if let Some(identity) = &hook.context.identity {
        println!("  [hook] new identity {}", identity.id);
    }
    HookAnswer::Proceed
}

/// The configuration that points a real Kratos at the hooks on `base`.
fn kratos_yaml(base: &str, api_key: &str) -> String {
    let hook = |path: &str, parse: bool| {
        let response = if parse {
            "\n                response: { parse: true }"
        } else {
            ""
        };
        format!(
            "            - hook: web_hook
              config:
                url: {base}{path}
                method: POST
                body: base64://ZnVuY3Rpb24oY3R4KSBjdHg=   # function(ctx) ctx{response}
                auth: {{ type: api_key, config: {{ name: X-Hook-Key, value: {api_key}, in: header }} }}
"
        )
    };
    format!(
        "# The identity schema needs an optional text trait `invite`, beside the email.
selfservice:
  flows:
    registration:
      after:
        password:
          hooks:
{}            - hook: session
{}",
        hook("/hooks/registration", true),
        hook("/hooks/registered", false),
    )
}

/// Signs up with `invite` through `api` (a Kratos calling the hooks);
/// what the app saw, with the saved identity read through `admin`.
pub async fn sign_up(
    api: &FrontendApi,
    admin: &IdentityApi,
    email: &str,
    invite: &str,
) -> Result<String, BoxError> {
    let flow = api.create_native_registration_flow().send().await?;
    let traits = json!({"email": email, "invite": invite});
    let body = UpdateRegistrationFlowWithPasswordMethod::new(
        "correct horse battery staple",
        traits.as_object().cloned().unwrap_or_default(),
    );
    Ok(
        match api.update_registration_flow(&flow.id, body).send().await {
            Ok(done) => {
                let saved = admin.get_identity(&done.identity.id).send().await?;
                format!(
                    "signed up as {}; traits {}, metadata_admin {}",
                    done.identity.id,
                    done.identity.traits,
                    saved.metadata_admin.unwrap_or(Value::Null),
                )
            }
            Err(error) => match error.flow() {
                Some(flow) => {
                    let messages: Vec<String> = flow
                        .ui
                        .errors()
                        .iter()
                        .map(|m| format!("{} ({})", m.text.text, m.field.unwrap_or("form")))
                        .collect();
                    format!("refused: {}", messages.join("; "))
                }
                None => format!("refused: {error}"),
            },
        },
    )
}

/// The two hooks, at `base`, as a test server takes them.
pub fn web_hooks(base: &str, api_key: &str) -> [WebHook; 2] {
    [
        WebHook::after_registration(format!("{base}/hooks/registration"))
            .parse_response()
            .api_key_header("X-Hook-Key", api_key),
        WebHook::after_registration(format!("{base}/hooks/registered"))
            .api_key_header("X-Hook-Key", api_key),
    ]
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app(&cli.api_key)).into_future());
    println!("Hooks on {base}");
    if cli.serve {
        println!(
            "\nAdd to Kratos's configuration:\n\n{}",
            kratos_yaml(&base, &cli.api_key)
        );
        tokio::signal::ctrl_c().await?;
        server.abort();
        return Ok(());
    }

    let [check, told] = web_hooks(&base, &cli.api_key);
    let kratos = MockKratos::builder()
        .identity_trait("email", "E-Mail", TraitKind::Email, true)
        .identity_trait("invite", "Invite code", TraitKind::Text, false)
        .web_hook(check)
        .web_hook(told)
        .start()
        .await;
    println!(
        "Kratos: a built-in mock at {}, calling both hooks\n",
        kratos.uri()
    );
    for (email, invite) in [
        ("eve@example.com", "let-me-in"),
        ("ada@example.com", "welcome-2026"),
    ] {
        println!("Sign-up of {email} with invite {invite:?}:");
        let seen = sign_up(&kratos.frontend(), &kratos.identity(), email, invite).await?;
        println!("  {seen}");
    }
    println!(
        "\nTo use these hooks from a real Kratos, run with --serve and add:\n\n{}",
        kratos_yaml(&base, &cli.api_key)
    );
    server.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hooks: {error}");
            ExitCode::FAILURE
        }
    }
}
