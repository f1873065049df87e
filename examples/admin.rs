//! An operator's tool for Kratos's admin API: list, show, import and delete
//! identities, end an identity's sessions, hand out a recovery code, check
//! that Kratos is up.
//!
//! ```sh
//! cargo run --example admin -- identities list          # against a built-in mock Kratos
//! cargo run --example admin -- --url http://127.0.0.1:4434 identities list --all --json
//! ORY_API_KEY=... cargo run --example admin -- --url https://PROJECT.projects.oryapis.com \
//!     --api-key-env ORY_API_KEY identities import users.jsonl
//! cargo run --example admin -- --help
//! ```
//!
//! `--url` (or `KRATOS_ADMIN_URL`) is the admin URL: the admin port of a
//! self-hosted Kratos, which needs no key, or an Ory Network project, whose
//! API key `--api-key-env NAME` reads from the environment variable `NAME`
//! (never from the command line, where other users could see it).
//!
//! `identities import FILE` reads JSON lines, one identity each in the shape
//! of `CreateIdentityBody` (traits, `schema_id`, credentials with a
//! cleartext password or an imported hash, ...), creates them 16 at a time,
//! reports each failure with its line number and carries on; on a terminal
//! it shows a progress bar.
//!
//! Without a URL it runs against `kratos_client::testing::MockKratos`
//! seeded with demo identities, and says so.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use kratos_client::models::{CreateIdentityBody, Identity};
use kratos_client::testing::MockKratos;
use kratos_client::{AnyError, Client, IdentityApi, StatusCode};

#[path = "shared/failure.rs"]
mod failure;
pub(crate) use failure::Failure;

/// How many identities an import creates at once.
const IN_FLIGHT: usize = 16;

#[derive(Parser)]
#[command(
    name = "admin",
    about = "Manage Ory Kratos identities through the admin API."
)]
pub(crate) struct Cli {
    /// The admin URL. Without it (and without $KRATOS_ADMIN_URL) a built-in
    /// mock Kratos with demo identities answers.
    #[arg(long, env = "KRATOS_ADMIN_URL", global = true)]
    url: Option<String>,
    /// The environment variable holding an API key (Ory Network).
    #[arg(long, value_name = "NAME", global = true)]
    api_key_env: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Identities: list, get, import, delete.
    #[command(subcommand)]
    Identities(Identities),
    /// Sessions of an identity.
    #[command(subcommand)]
    Sessions(Sessions),
    /// Create a recovery code (and link) for an identity, for a support agent.
    RecoveryCode {
        /// The identity's id.
        identity: String,
    },
    /// Check that Kratos is up and ready.
    Health,
}

#[derive(Subcommand)]
enum Identities {
    /// List identities: a table, or JSON lines with --json.
    List {
        /// Every page, not just the first.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Identities per page.
        #[arg(long, default_value_t = 250)]
        page_size: i64,
    },
    /// Show one identity as JSON.
    Get { id: String },
    /// Create identities from a file of JSON lines.
    Import {
        file: PathBuf,
        /// How many to create at once.
        #[arg(long, default_value_t = IN_FLIGHT)]
        in_flight: usize,
    },
    /// Delete an identity (its sessions end with it).
    Delete { id: String },
}

#[derive(Subcommand)]
enum Sessions {
    /// End every session of an identity.
    Revoke { identity: String },
}

/// The admin API to use, and the mock behind it when there is no URL.
pub(crate) struct Target {
    pub(crate) admin: IdentityApi,
    pub(crate) client: Client,
    _mock: Option<MockKratos>,
}

async fn target(cli: &Cli) -> Result<Target, Failure> {
    let key = match &cli.api_key_env {
        Some(name) => {
            Some(std::env::var(name).map_err(|_| format!("--api-key-env: ${name} is not set"))?)
        }
        None => None,
    };
    match &cli.url {
        Some(url) => {
            let builder = Client::builder(url.as_str());
            let client = match key {
                Some(key) => builder.api_key(key),
                None => builder,
            }
            .build()?;
            Ok(Target {
                admin: client.identity(),
                client,
                _mock: None,
            })
        }
        None => {
            let mock = MockKratos::start().await;
            for (email, name) in [
                ("ada@example.com", "Ada Lovelace"),
                ("grace@example.com", "Grace Hopper"),
                ("margaret@example.com", "Margaret Hamilton"),
            ] {
                mock.add_identity(email, "correct horse battery staple", Some(name));
            }
            eprintln!("No --url or KRATOS_ADMIN_URL: using a built-in mock Kratos with 3 demo identities.");
            let client = mock.client();
            Ok(Target {
                admin: mock.identity(),
                client,
                _mock: Some(mock),
            })
        }
    }
}

fn email(identity: &Identity) -> &str {
    identity
        .traits
        .get("email")
        .and_then(|v| v.as_str())
        .unwrap_or("-")
}

pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let target = target(&cli).await?;
    let admin = &target.admin;
    match cli.command {
        Command::Identities(Identities::List {
            all,
            json,
            page_size,
        }) => {
            let list = admin.list_identities().page_size(page_size);
            let identities = if all {
                list.all().await?
            } else {
                let page = list.send().await?;
                if page.next_page_token().is_some() {
                    eprintln!("(more on the next pages: --all lists them)");
                }
                page.items
            };
            for identity in &identities {
                if json {
                    println!("{}", serde_json::to_string(identity)?);
                } else {
                    let state = identity.state.as_ref().map(|s| s.as_str()).unwrap_or("-");
                    println!("{}  {:<8}  {}", identity.id, state, email(identity));
                }
            }
        }
        Command::Identities(Identities::Get { id }) => {
            let identity = admin.get_identity(&id).send().await?;
            println!("{}", serde_json::to_string_pretty(&identity)?);
        }
        Command::Identities(Identities::Import { file, in_flight }) => {
            let report = import(admin, &file, in_flight.max(1)).await?;
            println!("{} created, {} failed", report.created, report.failed.len());
            if !report.failed.is_empty() {
                return Err(format!("{} identities were not imported", report.failed.len()).into());
            }
        }
        Command::Identities(Identities::Delete { id }) => {
            admin.delete_identity(&id).send().await?;
            println!("Deleted {id}.");
        }
        Command::Sessions(Sessions::Revoke { identity }) => {
            admin.delete_identity_sessions(&identity).send().await?;
            println!("Ended every session of {identity}.");
        }
        Command::RecoveryCode { identity } => {
            let code = admin
                .create_recovery_code_for_identity(identity)
                .send()
                .await?;
            println!("code {}", code.recovery_code);
            println!("link {}", code.recovery_link);
            if let Some(at) = &code.expires_at {
                println!("valid until {at}");
            }
        }
        Command::Health => {
            let metadata = target.client.metadata();
            let alive = metadata.is_alive().send().await?;
            let ready = metadata.is_ready().send().await?;
            let version = metadata.get_version().send().await?;
            println!(
                "alive: {}, ready: {}, version {}",
                alive.status, ready.status, version.version
            );
        }
    }
    Ok(())
}

/// What an import did: how many identities were created, and each line
/// that failed with why.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) created: usize,
    pub(crate) failed: Vec<(usize, String)>,
}

/// Creates an identity for each JSON line of `file`, `in_flight` at a time,
/// reporting each failure with its line number and carrying on.
pub(crate) async fn import(
    admin: &IdentityApi,
    file: &std::path::Path,
    in_flight: usize,
) -> Result<Report, Failure> {
    let reader = std::io::BufReader::new(std::fs::File::open(file)?);
    let mut lines = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            lines.push((n + 1, line));
        }
    }
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(lines.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut report = Report::default();
    let mut results = futures_util::stream::iter(lines)
        .map(|(n, line)| async move {
            let body: CreateIdentityBody = match serde_json::from_str(&line) {
                Ok(body) => body,
                Err(e) => return (n, Err(format!("not an identity: {e}"))),
            };
            (
                n,
                admin
                    .create_identity(body)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            )
        })
        .buffer_unordered(in_flight);
    while let Some((n, result)) = results.next().await {
        match result {
            Ok(()) => report.created += 1,
            Err(why) => {
                bar.suspend(|| eprintln!("line {n}: {why}"));
                report.failed.push((n, why));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    report.failed.sort();
    Ok(report)
}

/// What to try next after Kratos refused, read from the error's status and
/// headers rather than its text.
fn hint(error: &AnyError) -> Option<String> {
    if let Some(wait) = error.retry_after() {
        return Some(format!(
            "Kratos asks to wait {} s before trying again.",
            wait.as_secs()
        ));
    }
    match error.status()? {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Some("The admin API refused the key: check --api-key-env.".into())
        }
        StatusCode::NOT_FOUND => {
            Some("No identity has that id: `identities list` shows them.".into())
        }
        _ => None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.kratos().and_then(hint) {
                eprintln!("{hint}");
            }
            ExitCode::FAILURE
        }
    }
}
