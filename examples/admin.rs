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
//! `identities import FILE` streams JSON lines (gzipped too), one identity
//! each in the shape of `CreateIdentityBody` (traits, `schema_id`,
//! credentials with a cleartext password, an imported hash or
//! `use_password_migration_hook`), through Kratos's batch endpoint
//! (`--batch`, 1,000 by default; `--in-flight` batches at once, 4; each sent
//! up to `--attempts` times, 6, while Kratos is unreachable). Memory
//! stays the same whatever the file's length. Each line that is not
//! imported (not JSON, not an identity, over 1 MiB, refused by Kratos) is
//! written with its line number and reason to `FILE.failed.jsonl`, as the
//! identity itself with a `_failed` member: fix the lines and import that
//! file again (the importer ignores `_failed`). The run exits non-zero when
//! any line failed. On a terminal it shows a progress bar with the rate
//! and the time left.
//!
//! `--resume` carries on a run that stopped: every 1,000 lines it writes
//! `FILE.checkpoint` (the last line done, and how far the failures file
//! had got), and a resumed run skips to there. Lines after the checkpoint
//! that the stopped run had already sent come back as "already there" (or
//! "present"): nothing is created twice either way.
//!
//! `identities export [--credentials]` writes every identity as a JSON
//! line that `identities import` reads back, with its password hash when
//! `--credentials` is given.
//!
//! Without a URL it runs against `kratos_client::testing::MockKratos`
//! seeded with demo identities, and says so.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use kratos_client::bulk::{export, ImportOutcome, ImportProgress, Importer};
use kratos_client::models::{CreateIdentityBody, Identity};
use kratos_client::testing::MockKratos;
use kratos_client::{AnyError, Client, IdentityApi, RetryPolicy, StatusCode};
use serde_json::{json, Value};

#[path = "shared/failure.rs"]
mod failure;
pub(crate) use failure::Failure;

/// An import's batches: identities per request, requests at once.
const BATCH: usize = 1000;
const IN_FLIGHT: usize = 4;
const ATTEMPTS: u32 = 6;
/// The longest line an import reads.
const LINE_LIMIT: usize = 1 << 20;

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
    /// Create identities from a file of JSON lines (gzipped too).
    Import {
        file: PathBuf,
        /// Identities per request (at most 1,000).
        #[arg(long, default_value_t = BATCH)]
        batch: usize,
        /// Requests at once: each keeps about one of Kratos's cores busy.
        #[arg(long, default_value_t = IN_FLIGHT)]
        in_flight: usize,
        /// Times a batch is sent while Kratos cannot be reached (or answers
        /// 5xx, 429) before its lines go to the failures file.
        #[arg(long, default_value_t = ATTEMPTS)]
        attempts: u32,
        /// Carry on from FILE.checkpoint, written by an earlier run.
        #[arg(long)]
        resume: bool,
    },
    /// Write every identity as a JSON line that `import` reads back.
    Export {
        /// With each password's hash.
        #[arg(long)]
        credentials: bool,
        /// Identities per request (at most 500).
        #[arg(long, default_value_t = 500)]
        page_size: i64,
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
        Command::Identities(Identities::Import {
            file,
            batch,
            in_flight,
            attempts,
            resume,
        }) => {
            let options = ImportOptions {
                batch,
                in_flight,
                attempts,
                resume,
            };
            let report = import(admin, &file, &options).await?;
            let p = &report.progress;
            println!(
                "{} created, {} already there, {} present after a lost answer, {} failed ({} of them unreadable lines), {:.0} a second",
                p.created,
                p.already_there,
                p.present,
                report.failed(),
                report.unreadable,
                p.per_second()
            );
            if report.failed() > 0 {
                let lines = match report.failed() {
                    1 => "1 line was".to_string(),
                    n => format!("{n} lines were"),
                };
                return Err(
                    format!("{lines} not imported: see {}", report.failures.display()).into(),
                );
            }
        }
        Command::Identities(Identities::Export {
            credentials,
            page_size,
        }) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let identities = export(admin, page_size, credentials);
            futures_util::pin_mut!(identities);
            while let Some(identity) = identities.next().await {
                writeln!(out, "{}", serde_json::to_string(&identity?)?)?;
            }
            out.flush()?;
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

/// How an import runs.
pub(crate) struct ImportOptions {
    pub(crate) batch: usize,
    pub(crate) in_flight: usize,
    pub(crate) attempts: u32,
    pub(crate) resume: bool,
}

/// What an import did.
#[derive(Debug)]
pub(crate) struct Report {
    /// The outcomes of the lines sent.
    pub(crate) progress: ImportProgress,
    /// Lines never sent: not JSON, not an identity, too long.
    pub(crate) unreadable: u64,
    /// Where the failed lines are, with their numbers and reasons.
    pub(crate) failures: PathBuf,
}

impl Report {
    /// Lines not imported.
    pub(crate) fn failed(&self) -> u64 {
        self.progress.failures() + self.unreadable
    }
}

/// `FILE.failed.jsonl` and `FILE.checkpoint`, beside `file`.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The failures file: each failed line as the identity it held (or its
/// text), with `_failed: {line, reason}`.
struct Failures {
    out: std::io::BufWriter<std::fs::File>,
    written: u64,
}

impl Failures {
    fn write(&mut self, line: u64, reason: &str, held: Value) -> std::io::Result<()> {
        let mut record = match held {
            Value::Object(object) => Value::Object(object),
            other => json!({ "text": other }),
        };
        record["_failed"] = json!({"line": line, "reason": reason});
        let text = format!("{record}\n");
        self.out.write_all(text.as_bytes())?;
        self.written += text.len() as u64;
        Ok(())
    }
}

/// Where a run got to: every line up to `line` is done, and the failures
/// file was `failures_bytes` long then.
fn read_checkpoint(path: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    Some((value["line"].as_u64()?, value["failures_bytes"].as_u64()?))
}

fn write_checkpoint(path: &Path, line: u64, failures_bytes: u64) -> std::io::Result<()> {
    let next = beside(path, ".new");
    std::fs::write(
        &next,
        json!({"line": line, "failures_bytes": failures_bytes}).to_string(),
    )?;
    std::fs::rename(next, path)
}

/// Counts the bytes read through it: the progress of a (gzipped) file.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The lines of `reader` with their numbers (from 1): each its text, or
/// why it cannot be read (over `LINE_LIMIT`, not UTF-8, a read error).
fn numbered_lines(
    mut reader: Box<dyn BufRead + Send>,
) -> impl Iterator<Item = (u64, Result<String, String>)> + Send {
    let mut number = 0u64;
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        let read = (&mut reader)
            .take(LINE_LIMIT as u64 + 1)
            .read_until(b'\n', &mut line);
        match read {
            Ok(0) => return None,
            Err(error) => {
                number += 1;
                return Some((number, Err(format!("could not be read: {error}"))));
            }
            Ok(_) => {}
        }
        number += 1;
        if line.len() > LINE_LIMIT && !line.ends_with(b"\n") {
            // The rest of the line is not kept.
            let mut rest = Vec::new();
            let _ = reader.read_until(b'\n', &mut rest);
            return Some((number, Err(format!("longer than {LINE_LIMIT} bytes"))));
        }
        Some((
            number,
            String::from_utf8(line).map_err(|_| "not UTF-8".to_string()),
        ))
    })
}

/// The identity a line holds: a `CreateIdentityBody`, whose `schema_id`
/// may be left out (Kratos then uses its default schema, as for an empty
/// one). Else why not, and the line.
fn identity_of(line: &str) -> Result<CreateIdentityBody, (String, String)> {
    let mut value: Value =
        serde_json::from_str(line).map_err(|e| (format!("not JSON: {e}"), line.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.entry("schema_id").or_insert_with(|| Value::from(""));
    }
    serde_json::from_value(value).map_err(|e| (format!("not an identity: {e}"), line.to_string()))
}

/// Imports the JSON lines of `file` (gzipped or not) in batches, writing
/// each line that failed to `FILE.failed.jsonl` and a checkpoint every
/// 1,000 lines to `FILE.checkpoint`.
pub(crate) async fn import(
    admin: &IdentityApi,
    file: &Path,
    options: &ImportOptions,
) -> Result<Report, Failure> {
    let failures_path = beside(file, ".failed.jsonl");
    let checkpoint_path = beside(file, ".checkpoint");
    let (skip, failures_bytes) = match options.resume {
        true => read_checkpoint(&checkpoint_path).ok_or_else(|| {
            format!(
                "--resume: no checkpoint at {} (a run writes one every 1,000 lines)",
                checkpoint_path.display()
            )
        })?,
        false => (0, 0),
    };
    // A resumed run keeps the failures written up to its checkpoint.
    let failures_file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(!options.resume)
        .open(&failures_path)?;
    failures_file.set_len(failures_bytes)?;
    let mut failures_file = failures_file;
    std::io::Seek::seek(&mut failures_file, std::io::SeekFrom::End(0))?;
    let failures = Arc::new(Mutex::new(Failures {
        out: std::io::BufWriter::new(failures_file),
        written: failures_bytes,
    }));

    let size = std::fs::metadata(file)?.len();
    let read = Arc::new(AtomicU64::new(0));
    let mut buffered = std::io::BufReader::new(Counted {
        inner: std::fs::File::open(file)?,
        read: read.clone(),
    });
    let gzipped = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> = match gzipped {
        true => Box::new(std::io::BufReader::new(
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        false => Box::new(buffered),
    };

    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(size)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} of the file, {eta} left  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    // The lines read and not yet reported, in order: each one sent (its
    // identity, answered in turn by the importer) or unreadable (why, and
    // its text). Bounded by the batches in flight; reporting in line order
    // keeps the failures file and the checkpoint in step.
    type Line = (u64, Result<CreateIdentityBody, (String, String)>);
    let read_lines: Arc<Mutex<VecDeque<Line>>> = Arc::default();
    let last_line = Arc::new(AtomicU64::new(skip));
    let input = {
        let (read_lines, last_line) = (read_lines.clone(), last_line.clone());
        futures_util::stream::iter(numbered_lines(reader))
            .filter(move |(number, _)| std::future::ready(*number > skip))
            .filter_map(move |(number, line)| {
                last_line.store(number, Ordering::Relaxed);
                let parsed = match line {
                    Err(why) => Some(Err((why, String::new()))),
                    Ok(line) if line.trim().is_empty() => None,
                    Ok(line) => Some(identity_of(line.trim_end())),
                };
                let mut queue = read_lines
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let item = match parsed {
                    Some(Ok(body)) => {
                        queue.push_back((number, Ok(body.clone())));
                        Some(body)
                    }
                    Some(Err(why)) => {
                        queue.push_back((number, Err(why)));
                        None
                    }
                    None => None,
                };
                std::future::ready(item)
            })
    };

    let mut progress = ImportProgress::new();
    let unreadable = std::cell::Cell::new(0u64);
    // Writes the unreadable lines at the head of the queue; the next sent
    // line's number and identity, if one is there.
    let report_unreadable =
        |failures: &mut Failures| -> Result<Option<(u64, CreateIdentityBody)>, Failure> {
            let mut queue = read_lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while let Some((number, line)) = queue.pop_front() {
                match line {
                    Ok(body) => return Ok(Some((number, body))),
                    Err((why, text)) => {
                        unreadable.set(unreadable.get() + 1);
                        bar.suspend(|| eprintln!("line {number}: {why}"));
                        let held = serde_json::from_str(&text).unwrap_or(Value::String(text));
                        failures.write(number, &why, held)?;
                    }
                }
            }
            Ok(None)
        };
    let outcomes = Importer::new(admin.clone())
        .batch_size(options.batch)
        .in_flight(options.in_flight)
        .retry(RetryPolicy::new(options.attempts))
        .import(input);
    futures_util::pin_mut!(outcomes);
    while let Some(item) = outcomes.next().await {
        progress.add(&item.outcome);
        let mut failures = failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (number, body) = report_unreadable(&mut failures)?
            .ok_or("the importer answered a line that was not sent")?;
        let reason = match &item.outcome {
            ImportOutcome::Refused { status, reason, .. } => {
                Some(format!("Kratos refused it ({status}): {reason}"))
            }
            ImportOutcome::Failed { reason } => Some(reason.clone()),
            _ => None,
        };
        if let Some(reason) = reason {
            bar.suspend(|| eprintln!("line {number}: {reason}"));
            failures.write(number, &reason, serde_json::to_value(&body)?)?;
        }
        if progress.done % 1000 == 0 {
            failures.out.flush()?;
            write_checkpoint(&checkpoint_path, number, failures.written)?;
        }
        bar.set_position(read.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{} done, {} failed, {:.0}/s",
            progress.done,
            progress.failures() + unreadable.get(),
            progress.per_second()
        ));
    }
    // Unreadable lines after the last one sent.
    {
        let mut failures = failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        report_unreadable(&mut failures)?;
    }
    bar.finish_and_clear();
    let mut failures = failures
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    failures.out.flush()?;
    write_checkpoint(
        &checkpoint_path,
        last_line.load(Ordering::Relaxed),
        failures.written,
    )?;
    Ok(Report {
        progress,
        unreadable: unreadable.get(),
        failures: failures_path,
    })
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
