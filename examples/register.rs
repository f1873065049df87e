//! Registers a user with a password, end to end, through Kratos's native
//! (API) registration flow.
//!
//! ```sh
//! cargo run --example register                       # against a built-in mock Kratos
//! cargo run --example register -- --url https://auth.example.com \
//!     --trait email=ada@example.com --password-stdin < password.txt
//! KRATOS_PUBLIC_URL=http://127.0.0.1:4433 cargo run --example register -- --json
//! ```
//!
//! It starts a flow, shows the form, reads the traits and the password (from
//! flags, from prompts on a terminal with the password not echoed, or from
//! stdin), submits, shows Kratos's validation messages and asks again on a
//! 400, and prints the session token on success (`--json` prints the whole
//! answer for scripts).
//!
//! Without `--url` (or `KRATOS_PUBLIC_URL`) it runs against
//! `kratos_client::testing::MockKratos`. Without a terminal, a run against
//! the mock fills in demo values and says so.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use kratos_client::models::{
    RegistrationFlow, SuccessfulNativeRegistration, UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::testing::MockKratos;
use kratos_client::{
    CreateNativeRegistrationFlowError, Error, ErrorId, FormInput, FrontendApi,
    UpdateRegistrationFlowError,
};
use serde_json::{Map, Value};

/// Demo values for a run against the mock without a terminal.
const DEMO_PASSWORD: &str = "correct horse battery staple";

/// Registers a user with a password through a Kratos native registration flow.
#[derive(Parser)]
#[command(name = "register")]
struct Options {
    /// Kratos's public URL (default: a built-in mock Kratos).
    #[arg(long, env = "KRATOS_PUBLIC_URL")]
    url: Option<String>,
    /// A trait of the identity, such as email=ada@example.com (repeatable;
    /// asked for on a terminal when missing).
    #[arg(long = "trait", value_name = "NAME=VALUE", value_parser = parse_trait)]
    traits: Vec<(String, String)>,
    /// The password (visible to other users in `ps`; prefer
    /// --password-stdin or the prompt).
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Where Kratos should send the user afterwards.
    #[arg(long)]
    return_to: Option<String>,
    /// Sign-in token to send (Kratos refuses to register a signed-in user).
    #[arg(long)]
    session_token: Option<String>,
    /// Print Kratos's answer as JSON on stdout, progress on stderr.
    #[arg(long)]
    json: bool,
    /// How many times to submit before giving up.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    attempts: u32,
}

/// `NAME=VALUE` (a leading `traits.` is dropped from the name).
fn parse_trait(pair: &str) -> Result<(String, String), String> {
    let (name, value) = pair
        .split_once('=')
        .ok_or(format!("{pair:?}: expected NAME=VALUE"))?;
    let name = name.strip_prefix("traits.").unwrap_or(name);
    if name.is_empty() {
        return Err(format!("{pair:?}: the name is empty"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Where progress goes: stdout normally, stderr under `--json` so stdout
/// holds only the answer.
struct Out {
    json: bool,
}

impl Out {
    fn say(&self, line: impl std::fmt::Display) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// How the values of the form are found.
enum Source {
    /// A person at a terminal: ask for what the flags did not give.
    Terminal,
    /// The mock without a terminal: fill in demo values.
    Demo,
    /// A script: everything must come from flags and stdin.
    Flags,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut options: Options) -> Result<(), String> {
    let out = Out { json: options.json };
    let mut password = options.password.take();
    if options.password_stdin {
        password = Some(read_line_from_stdin()?);
    }

    // The mock lives as long as this function.
    let mut mock = None;
    let api = match &options.url {
        Some(url) => FrontendApi::new(url).map_err(|e| e.to_string())?,
        None => {
            let kratos = MockKratos::start().await;
            out.say(format_args!(
                "No --url given: using a mock Kratos at {}",
                kratos.uri()
            ));
            let api = kratos.frontend();
            mock = Some(kratos);
            api
        }
    };
    let interactive = std::io::stdin().is_terminal() && !options.password_stdin;
    let source = if interactive {
        Source::Terminal
    } else if mock.is_some() {
        out.say("No terminal: filling the form with demo values.");
        Source::Demo
    } else {
        Source::Flags
    };

    // 1. Start the flow.
    let mut start = api.create_native_registration_flow();
    if let Some(return_to) = &options.return_to {
        start = start.return_to(return_to);
    }
    if let Some(token) = &options.session_token {
        start = start.session_token(token.as_str());
    }
    let mut flow = match start.send().await {
        Ok(flow) => flow,
        Err(Error::Api(CreateNativeRegistrationFlowError::BadRequest(body)))
            if body.error_id() == Some(ErrorId::SessionAlreadyAvailable) =>
        {
            return Err(
                "already signed in: Kratos does not register a user who has a valid session".into(),
            );
        }
        Err(e) => return Err(describe(&e)),
    };

    // 2. Fill it in and submit until Kratos accepts it or we give up.
    let mut traits: Map<String, Value> = Map::new();
    // Optional traits the user left empty, so they are not asked again.
    let mut skipped: Vec<String> = Vec::new();
    for (name, value) in &options.traits {
        set_path(&mut traits, name, Value::String(value.clone()));
    }
    for attempt in 1..=options.attempts {
        show_form(&out, &flow);
        let inputs: Vec<FormInput<'_>> = flow.inputs_for("password");
        fill_traits(&inputs, &mut traits, &mut skipped, &source)?;
        let secret = match password.take() {
            Some(p) => p,
            None => match source {
                Source::Terminal => read_password("Password")?,
                Source::Demo => DEMO_PASSWORD.to_string(),
                Source::Flags => {
                    return Err("no password: pass --password-stdin (or run on a terminal)".into())
                }
            },
        };
        out.say(format_args!(
            "Submitting (attempt {attempt} of {})...",
            options.attempts
        ));
        let body = UpdateRegistrationFlowWithPasswordMethod::new(secret, traits.clone());
        let mut submit = api.update_registration_flow(&flow.id, body);
        if let Some(token) = &options.session_token {
            submit = submit.session_token(token.as_str());
        }
        match submit.send().await {
            Ok(done) => {
                report_success(&out, &done);
                return Ok(());
            }
            // 3. The form did not validate: show why and ask again.
            Err(Error::Api(UpdateRegistrationFlowError::BadRequest(rejected))) => {
                out.say("\nKratos did not accept the form:");
                for message in rejected.errors() {
                    let field = message.field.unwrap_or("form");
                    out.say(format_args!(
                        "  {field}: {} (message {})",
                        message.text.text,
                        message.id()
                    ));
                    if let Some(name) = message.field.and_then(|f| f.strip_prefix("traits.")) {
                        // Ask for this trait again rather than resending it.
                        remove_path(&mut traits, name);
                        skipped.retain(|s| s != name);
                    }
                }
                if !matches!(source, Source::Terminal) {
                    return Err("the form was rejected; fix the values above and run again".into());
                }
                flow = rejected;
            }
            Err(e) if e.error_id() == Some(ErrorId::SelfServiceFlowExpired) => {
                let replacement = e.replacement_flow_id().map(str::to_string);
                out.say("The flow expired; continuing with a new one.");
                flow = match replacement {
                    Some(id) => api
                        .get_registration_flow(id)
                        .send()
                        .await
                        .map_err(|e| describe(&e))?,
                    None => api
                        .create_native_registration_flow()
                        .send()
                        .await
                        .map_err(|e| describe(&e))?,
                };
                password = None;
            }
            Err(Error::Api(UpdateRegistrationFlowError::UnprocessableEntity(redirect))) => {
                return Err(format!(
                    "this sign-up must continue in a browser: {}",
                    redirect
                        .redirect_browser_to
                        .as_deref()
                        .unwrap_or("(no address given)")
                ));
            }
            Err(e) if e.error_id() == Some(ErrorId::SessionAlreadyAvailable) => {
                return Err(
                    "already signed in: Kratos does not register a user who has a valid session"
                        .into(),
                );
            }
            Err(e) => return Err(describe(&e)),
        }
    }
    Err(format!("gave up after {} attempts", options.attempts))
}

/// An error with its HTTP status, when there was one.
fn describe<E: kratos_client::OperationError>(e: &Error<E>) -> String {
    match e.status() {
        Some(status) => format!("{e} (HTTP {})", status.as_u16()),
        None => e.to_string(),
    }
}

fn show_form(out: &Out, flow: &RegistrationFlow) {
    out.say(format_args!(
        "\nRegistration form (flow {}, valid until {})",
        flow.id, flow.expires_at
    ));
    for input in flow.inputs_for("password") {
        out.say(format_args!(
            "  {:<24} {:<9} {:<9} {}",
            input.name,
            input.input_type,
            if input.required {
                "required"
            } else {
                "optional"
            },
            input.label.unwrap_or("")
        ));
    }
    let others: Vec<&str> = flow
        .ui
        .methods()
        .into_iter()
        .filter(|m| *m != "password")
        .collect();
    if !others.is_empty() {
        out.say(format_args!("  (also offered: {})", others.join(", ")));
    }
}

/// Fills the traits the form asks for and `traits` lacks.
fn fill_traits(
    inputs: &[FormInput<'_>],
    traits: &mut Map<String, Value>,
    skipped: &mut Vec<String>,
    source: &Source,
) -> Result<(), String> {
    for input in inputs {
        let Some(name) = input.name.strip_prefix("traits.") else {
            continue;
        };
        if get_path(traits, name).is_some() || skipped.iter().any(|s| s == name) {
            continue;
        }
        let text = match source {
            Source::Terminal => {
                // What the user sent last time, which Kratos fills back in.
                let previous = input.value.and_then(Value::as_str).unwrap_or("");
                let label = input.label.unwrap_or(name);
                let hint = if previous.is_empty() {
                    String::new()
                } else {
                    format!(" [{previous}]")
                };
                let answer = prompt(&format!(
                    "{label}{}{hint}: ",
                    if input.required { "" } else { " (optional)" }
                ))?;
                if answer.is_empty() {
                    previous.to_string()
                } else {
                    answer
                }
            }
            Source::Demo => demo_value(name, input.input_type),
            Source::Flags if input.required => {
                return Err(format!("missing trait: pass --trait {name}=VALUE"));
            }
            Source::Flags => continue,
        };
        if text.is_empty() {
            skipped.push(name.to_string());
            continue;
        }
        set_path(traits, name, typed(&text, input.input_type));
    }
    Ok(())
}

fn demo_value(name: &str, input_type: &str) -> String {
    match (name, input_type) {
        (_, "email") => "ada.lovelace@example.com".into(),
        (n, _) if n.contains("name") => "Ada Lovelace".into(),
        (_, "number") => "1".into(),
        (_, "checkbox") => "true".into(),
        _ => "demo".into(),
    }
}

/// A trait's value as the JSON type its input expects.
fn typed(text: &str, input_type: &str) -> Value {
    match input_type {
        "number" => text
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        "checkbox" => Value::Bool(matches!(text, "true" | "yes" | "y" | "1" | "on")),
        _ => Value::String(text.to_string()),
    }
}

/// Sets `a.b.c` in nested objects, creating them on the way.
fn set_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                set_path(child, rest, value);
            }
        }
    }
}

fn get_path<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    match path.split_once('.') {
        None => map.get(path),
        Some((head, rest)) => map.get(head)?.as_object().and_then(|m| get_path(m, rest)),
    }
}

fn remove_path(map: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => {
            map.remove(path);
        }
        Some((head, rest)) => {
            if let Some(Value::Object(child)) = map.get_mut(head) {
                remove_path(child, rest);
            }
        }
    }
}

fn report_success(out: &Out, done: &SuccessfulNativeRegistration) {
    if out.json {
        match serde_json::to_string_pretty(done) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("error: cannot print the answer: {e}"),
        }
        return;
    }
    println!("\nRegistered identity {}.", done.identity.id);
    match &done.session_token {
        Some(token) => println!("Session token: {token}"),
        None => println!(
            "No session token: this Kratos does not sign users in on registration; log in next."
        ),
    }
    for item in done.continue_with.iter().flatten() {
        println!("Next: {}", item.action());
    }
}

fn prompt(question: &str) -> Result<String, String> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    read_line_from_stdin()
}

fn read_line_from_stdin() -> Result<String, String> {
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    if read == 0 {
        return Err("stdin ended before a value was read".into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Reads a password from the terminal without echoing it (on Windows as
/// well as Unix).
fn read_password(question: &str) -> Result<String, String> {
    rpassword::prompt_password(format!("{question}: "))
        .map_err(|e| format!("cannot read the password: {e}; use --password-stdin"))
}
