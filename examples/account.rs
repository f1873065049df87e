//! A small account tool for the command line: sign in, see who is signed
//! in, list and revoke sessions, change the password, recover an account,
//! sign out, through Kratos's native (API) flows.
//!
//! ```sh
//! cargo run --example account -- login                 # against a built-in mock Kratos
//! cargo run --example account -- login --provider test  # social sign-in through a browser
//! cargo run --example account -- --url https://auth.example.com login --email ada@example.com
//! KRATOS_PUBLIC_URL=http://127.0.0.1:4433 cargo run --example account -- sessions
//! cargo run --example account -- --help
//! ```
//!
//! Against a real server the session token is kept in a file only its user
//! can read (mode 0600 on Unix), `~/.config/kratos-client/session-token` or
//! `--token-file` / `$KRATOS_TOKEN_FILE`; it is printed only with
//! `login --show-token`. Passwords are read with a hidden prompt on a
//! terminal, or from stdin with `--password-stdin`.
//!
//! `login --provider ID` signs in with a social sign-in provider as command
//! line tools do (RFC 8252): it listens on `127.0.0.1:PORT` (`--port`,
//! default 8765), asks Kratos for a native login flow with
//! `return_to=http://127.0.0.1:PORT/callback`, prints the provider's
//! address (and opens it when run at a terminal), waits for the browser to
//! come back (`--timeout`, default 300 seconds), and trades the code for
//! the session token. Against a real Kratos, its
//! `selfservice.allowed_return_urls` must include
//! `http://127.0.0.1:8765/callback` (or the port you pass).
//!
//! Without `--url` (or `KRATOS_PUBLIC_URL`) it runs against
//! `kratos_client::testing::MockKratos`, seeded with a demo account, and
//! says so. That mock lives only as long as one command, so each command
//! signs the demo account in first and no token file is touched; without a
//! terminal it uses the demo values, so every command runs on a fresh
//! machine.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kratos_client::models::{
    ContinueWith, UpdateLoginFlowWithCodeMethod, UpdateLoginFlowWithPasswordMethod,
    UpdateRecoveryFlowWithCodeMethod, UpdateSettingsFlowWithPasswordMethod,
};
use kratos_client::testing::{MockKratos, OidcProvider, OidcUser};
use kratos_client::{FormMessage, FrontendApi, SignInAgain};

const DEMO_EMAIL: &str = "demo@example.com";
/// Who the demo's test provider signs in.
const DEMO_PROVIDER_EMAIL: &str = "provider-demo@example.com";
/// How many times a refused password is asked for again.
const MAX_ATTEMPTS: usize = 3;
const DEMO_PASSWORD: &str = "correct horse battery staple";
const DEMO_NEW_PASSWORD: &str = "a brand new battery staple";

#[path = "shared/failure.rs"]
mod failure;
pub(crate) use failure::Failure;

#[derive(Parser)]
#[command(
    name = "account",
    about = "Sign in to Ory Kratos and manage your sessions and password."
)]
pub(crate) struct Cli {
    /// Kratos's public URL. Without it (and without $KRATOS_PUBLIC_URL) a
    /// built-in mock Kratos with a demo account answers.
    #[arg(long, env = "KRATOS_PUBLIC_URL", global = true)]
    url: Option<String>,
    /// Where the session token is kept (readable by you only).
    #[arg(long, env = "KRATOS_TOKEN_FILE", global = true)]
    token_file: Option<PathBuf>,
    /// Read passwords from stdin, one per line, instead of prompting.
    #[arg(long, global = true)]
    password_stdin: bool,
    /// Have the mock require a second factor (a code it "emails").
    #[arg(long, global = true, hide = true)]
    mock_second_factor: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in with email and password (and a second factor if the server
    /// asks), or with a social sign-in provider in a browser (--provider).
    Login {
        #[arg(long, conflicts_with = "provider")]
        email: Option<String>,
        /// Sign in with this social sign-in provider in a browser instead
        /// (the built-in mock offers `test`).
        #[arg(long)]
        provider: Option<String>,
        /// The loopback port the browser comes back to (with --provider;
        /// Kratos must allow http://127.0.0.1:PORT/callback). Default: 8765,
        /// or any free port against the built-in mock.
        #[arg(long)]
        port: Option<u16>,
        /// How long to wait for the browser, in seconds (with --provider).
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Print the session token (it is saved to the token file either way).
        #[arg(long)]
        show_token: bool,
    },
    /// Show who is signed in.
    Whoami,
    /// List your other sessions.
    Sessions,
    /// End one of your other sessions, or all of them.
    Revoke {
        /// The session's id, as `sessions` lists it.
        #[arg(required_unless_present = "others", conflicts_with = "others")]
        id: Option<String>,
        /// End every session but this one.
        #[arg(long)]
        others: bool,
    },
    /// Change your password (signing in again first if Kratos asks).
    Password,
    /// Recover an account by a code sent to its email, then set a new password.
    Recover {
        #[arg(long)]
        email: Option<String>,
    },
    /// Sign out: revoke the session token and forget it.
    Logout,
}

/// Where commands run: Kratos's API and, for the demo, the mock itself.
struct Target {
    api: FrontendApi,
    mock: Option<MockKratos>,
    /// The demo's social sign-in provider, offered by the mock as `test`.
    provider: Option<OidcProvider>,
    token_file: PathBuf,
    password_stdin: bool,
}

impl Target {
    fn is_demo(&self) -> bool {
        self.mock.is_some()
    }

    /// A line from the user: the flag's value, a prompt on a terminal, or
    /// the demo value against the mock.
    fn ask(&self, what: &str, given: Option<String>, demo: &str) -> Result<String, Failure> {
        if let Some(value) = given {
            return Ok(value);
        }
        if std::io::stdin().is_terminal() {
            eprint!("{what}: ");
            std::io::stderr().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            return Ok(line.trim().to_string());
        }
        if self.is_demo() {
            eprintln!("(no terminal: {what} = {demo}, the demo value)");
            return Ok(demo.to_string());
        }
        Err(format!("{what} is needed: pass it as a flag or run on a terminal").into())
    }

    /// A password: from stdin with --password-stdin, a hidden prompt on a
    /// terminal, or the demo value against the mock.
    /// Whether a refused answer can be asked for again: a person at a
    /// terminal, not a password read once from stdin or a demo value.
    fn can_ask_again(&self) -> bool {
        !self.password_stdin && std::io::stdin().is_terminal()
    }

    fn password(&self, prompt: &str, demo: &str) -> Result<String, Failure> {
        if self.password_stdin {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            return Ok(line.trim_end_matches(['\r', '\n']).to_string());
        }
        if std::io::stdin().is_terminal() {
            return Ok(rpassword::prompt_password(format!("{prompt}: "))?);
        }
        if self.is_demo() {
            eprintln!("(no terminal: using the demo password)");
            return Ok(demo.to_string());
        }
        Err("a password is needed: run on a terminal or pass --password-stdin".into())
    }

    /// The session token: the saved one, or against the mock a fresh
    /// sign-in of the demo account.
    async fn token(&self) -> Result<String, Failure> {
        if self.is_demo() {
            eprintln!(
                "(demo: signing in {DEMO_EMAIL} first; the mock forgets sessions between runs)"
            );
            return sign_in(self, DEMO_EMAIL, DEMO_PASSWORD).await;
        }
        match std::fs::read_to_string(&self.token_file) {
            Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
            _ => Err(format!(
                "not signed in (no token in {}): run `account login` first",
                self.token_file.display()
            )
            .into()),
        }
    }

    /// Keeps the token for the next command (not against the mock).
    fn save(&self, token: &str) -> Result<(), Failure> {
        if self.is_demo() {
            return Ok(());
        }
        write_private(&self.token_file, token)?;
        eprintln!("session token saved to {}", self.token_file.display());
        Ok(())
    }

    fn forget(&self) -> Result<(), Failure> {
        match std::fs::remove_file(&self.token_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Writes `contents` to `path`, readable and writable by its owner only.
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its mode on open: set it again.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())
    }
    #[cfg(not(unix))]
    {
        // On Windows a file under the user's profile is private to them.
        options.open(path)?.write_all(contents.as_bytes())
    }
}

fn default_token_file() -> PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".config/kratos-client/session-token")
}

fn show(messages: &[FormMessage<'_>]) {
    for m in messages {
        match m.field {
            Some(field) => eprintln!("  {field}: {} ({})", m.text.text, m.id()),
            None => eprintln!("  {} ({})", m.text.text, m.id()),
        }
    }
}

/// Signs in by password, completing a second factor by code when the
/// server asks, and returns the session token.
async fn sign_in(target: &Target, email: &str, password: &str) -> Result<String, Failure> {
    let api = &target.api;
    let flow = api.create_native_login_flow().send().await?;
    let mut password = password.to_string();
    let mut attempts = 1;
    let done = loop {
        let body = UpdateLoginFlowWithPasswordMethod::new(email, password.as_str());
        match api.update_login_flow(&flow.id, body).send().await {
            Ok(done) => break done,
            // Kratos refused the input and sent the flow back with why
            // (4000006 for a wrong password): show it and ask again, on the
            // same flow, while a person is there to answer.
            Err(e) if e.flow().is_some_and(|f| f.has_errors()) => {
                if let Some(refused) = e.flow() {
                    show(&refused.messages());
                }
                if attempts >= MAX_ATTEMPTS || !target.can_ask_again() {
                    return Err("sign-in refused".into());
                }
                attempts += 1;
                password = target.password("Password", DEMO_PASSWORD)?;
            }
            Err(e) => return Err(format!("sign-in refused: {e}").into()),
        }
    };
    let token = done
        .session_token
        .clone()
        .ok_or("the server answered without a session token")?;
    if done.needs_second_factor() {
        eprintln!("The server asks for a second factor: a code sent to {email}.");
        let flow = SignInAgain::SecondFactor
            .login_flow(api, token.as_str())
            .send()
            .await?;
        let ask = UpdateLoginFlowWithCodeMethod::new().address(email);
        match api
            .update_login_flow(&flow.id, ask)
            .session_token(token.as_str())
            .send()
            .await
        {
            Ok(_) => return Err("the server signed in without a code".into()),
            Err(e) => show(&e.into_next_step()?.messages()),
        }
        let demo = target
            .mock
            .as_ref()
            .and_then(|m| m.last_code(email))
            .unwrap_or_default();
        let answer = UpdateLoginFlowWithCodeMethod::new().code(target.ask(
            "Code from the email",
            None,
            &demo,
        )?);
        api.update_login_flow(&flow.id, answer)
            .session_token(token.as_str())
            .send()
            .await?;
    }
    Ok(token)
}

/// The loopback port a provider sign-in comes back to against a real
/// Kratos, whose `allowed_return_urls` must name it.
const DEFAULT_PORT: u16 = 8765;

/// Where the browser comes back to: `http://127.0.0.1:PORT/callback`.
fn callback_url(listener: &tokio::net::TcpListener) -> Result<String, Failure> {
    Ok(format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    ))
}

/// Signs in with the social sign-in `provider` through a browser (RFC
/// 8252): a native login flow whose `return_to` is the loopback
/// `listener`, the provider's address printed (and opened at a terminal),
/// the browser waited for, the code traded for the session token. Returns
/// the token and the identity's email.
async fn sign_in_with_provider(
    target: &Target,
    provider: &str,
    listener: tokio::net::TcpListener,
    timeout: std::time::Duration,
) -> Result<(String, String), Failure> {
    let api = &target.api;
    let return_to = callback_url(&listener)?;
    let flow = api
        .create_native_login_flow()
        .return_session_token_exchange_code(true)
        .return_to(return_to.as_str())
        .send()
        .await?;
    let sign_in = api.sign_in_with_provider(&flow, provider).await?;
    eprintln!(
        "Open this address in a browser to sign in with {provider}:\n\n  {}\n",
        sign_in.browser_url()
    );
    match &target.provider {
        // The demo's provider, with no one at a terminal: the tool presses
        // Allow on its consent page itself, then comes back as a browser.
        Some(test) if !std::io::stdin().is_terminal() => {
            eprintln!(
                "(no terminal: completing the test provider's consent page for the demo user)"
            );
            let back = test.approve(sign_in.browser_url(), &return_to).await?;
            tokio::spawn(async move {
                let _ = reqwest_get(&back).await;
            });
        }
        _ if std::io::stdout().is_terminal() => open_in_browser(sign_in.browser_url()),
        _ => {}
    }
    eprintln!(
        "Waiting up to {} s for the browser to come back to {return_to} ...",
        timeout.as_secs()
    );
    let came_back = tokio::time::timeout(timeout, wait_for_callback(&listener))
        .await
        .map_err(|_| {
            format!(
                "no browser came back to {return_to} within {} s",
                timeout.as_secs()
            )
        })??;
    let done = sign_in.finish(api, &came_back).await?;
    let token = done
        .session_token
        .clone()
        .ok_or("the server answered without a session token")?;
    let email = done
        .session
        .identity
        .as_ref()
        .and_then(|i| i.traits.get("email"))
        .and_then(|e| e.as_str())
        .unwrap_or("(no email)")
        .to_string();
    Ok((token, email))
}

/// Opens `url` in the system's browser, if it has a way; says so if not.
fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_err()
    {
        eprintln!("(could not start {opener}: open the address yourself)");
    }
}

/// Fetches `url` as the browser does when it comes back (the demo's).
async fn reqwest_get(url: &str) -> Result<(), Failure> {
    kratos_client::Client::new("http://127.0.0.1")?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    client.get(url).send().await?;
    Ok(())
}

/// Answers requests on `listener` until one comes to `/callback`: the
/// address the browser came back to, with its query. Each gets a small
/// page; nothing of the request is printed (its query holds the code).
async fn wait_for_callback(listener: &tokio::net::TcpListener) -> Result<String, Failure> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = listener.local_addr()?.port();
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        let text = String::from_utf8_lossy(&head);
        let target = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        let found = target == "/callback" || target.starts_with("/callback?");
        let (status, page) = match found {
            true => (
                "200 OK",
                "Signed in. You can close this tab and go back to the terminal.",
            ),
            false => ("404 Not Found", "Not here."),
        };
        let body = format!("<!doctype html><title>account</title><p>{page}</p>\n");
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        if found {
            return Ok(format!("http://127.0.0.1:{port}{target}"));
        }
    }
}

pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let token_file = cli.token_file.unwrap_or_else(default_token_file);
    // A social sign-in's browser comes back to a loopback port, bound
    // before Kratos is asked so that a port in use fails first.
    let listener = match &cli.command {
        Command::Login {
            provider: Some(_),
            port,
            ..
        } => {
            let port = port.unwrap_or(if cli.url.is_some() { DEFAULT_PORT } else { 0 });
            Some(
                tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .map_err(|e| {
                        format!("cannot listen on 127.0.0.1:{port} ({e}): pass another --port")
                    })?,
            )
        }
        _ => None,
    };
    let (api, mock, provider) = match &cli.url {
        Some(url) => (FrontendApi::new(url)?, None, None),
        None => {
            let provider = OidcProvider::start().await;
            // Its own person: the demo account's email is a password account,
            // which a provider sign-in would have to link first.
            provider.sign_in_as(
                OidcUser::new("demo-provider-user")
                    .email(DEMO_PROVIDER_EMAIL)
                    .name("Demo Provider User"),
            );
            let mut builder = MockKratos::builder()
                .second_factor(cli.mock_second_factor)
                .social_sign_in(provider.social_sign_in("test").label("Test provider"));
            if let Some(listener) = &listener {
                builder = builder.allowed_return_urls([callback_url(listener)?]);
            }
            let mock = builder.start().await;
            mock.add_identity(DEMO_EMAIL, DEMO_PASSWORD, Some("Demo User"));
            eprintln!(
                "No --url or KRATOS_PUBLIC_URL: using a built-in mock Kratos with the demo account {DEMO_EMAIL}."
            );
            (mock.frontend(), Some(mock), Some(provider))
        }
    };
    let target = Target {
        api,
        mock,
        provider,
        token_file,
        password_stdin: cli.password_stdin,
    };
    let api = &target.api;
    if target.is_demo() && !cli.mock_second_factor {
        // The demo account is also signed in on another device, so that
        // `sessions` and `revoke` have something to show.
        sign_in(&target, DEMO_EMAIL, DEMO_PASSWORD).await?;
    }
    match cli.command {
        Command::Login {
            provider: Some(provider),
            timeout,
            show_token,
            ..
        } => {
            let listener = listener.ok_or("no loopback port to come back to")?;
            let timeout = std::time::Duration::from_secs(timeout);
            let (token, email) =
                sign_in_with_provider(&target, &provider, listener, timeout).await?;
            target.save(&token)?;
            println!("Signed in as {email} with {provider}.");
            if show_token {
                println!("{token}");
            }
        }
        Command::Login {
            email, show_token, ..
        } => {
            let email = target.ask("Email", email, DEMO_EMAIL)?;
            let password = target.password("Password", DEMO_PASSWORD)?;
            let token = sign_in(&target, &email, &password).await?;
            target.save(&token)?;
            println!("Signed in as {email}.");
            if show_token {
                println!("{token}");
            }
        }
        Command::Whoami => {
            let token = target.token().await?;
            let session = api.to_session().session_token(token).send().await?;
            let identity = session
                .identity
                .as_ref()
                .ok_or("the session has no identity")?;
            let email = identity.traits.get("email").and_then(|v| v.as_str());
            println!("identity {} ({})", identity.id, email.unwrap_or("no email"));
            if let Some(aal) = &session.authenticator_assurance_level {
                println!("assurance level {}", aal.as_str());
            }
            if let Some(at) = &session.authenticated_at {
                println!("signed in at {at}");
            }
        }
        Command::Sessions => {
            let token = target.token().await?;
            let sessions = api.list_my_sessions().session_token(token).all().await?;
            if sessions.is_empty() {
                println!("No other sessions.");
            }
            for s in sessions {
                let device = s
                    .devices
                    .as_ref()
                    .and_then(|d| d.first())
                    .and_then(|d| d.user_agent.clone())
                    .unwrap_or_default();
                let at = s.authenticated_at.clone().unwrap_or_default();
                println!("{}  signed in {at}  {device}", s.id);
            }
        }
        Command::Revoke { id, others } => {
            let token = target.token().await?;
            if others {
                let ended = api
                    .disable_my_other_sessions()
                    .session_token(token)
                    .send()
                    .await?;
                println!("Ended {} other session(s).", ended.count.unwrap_or(0));
            } else if let Some(id) = id {
                api.disable_my_session(&id)
                    .session_token(token)
                    .send()
                    .await?;
                println!("Ended session {id}.");
            }
        }
        Command::Password => {
            let token = target.token().await?;
            change_password(&target, &token).await?;
        }
        Command::Recover { email } => {
            let email = target.ask("Email", email, DEMO_EMAIL)?;
            let flow = api.create_native_recovery_flow().send().await?;
            let address = UpdateRecoveryFlowWithCodeMethod::new().email(email.clone());
            let sent = api.update_recovery_flow(&flow.id, address).send().await?;
            show(&sent.messages());
            let demo = target
                .mock
                .as_ref()
                .and_then(|m| m.last_code(&email))
                .unwrap_or_default();
            let code = UpdateRecoveryFlowWithCodeMethod::new().code(target.ask(
                "Code from the email",
                None,
                &demo,
            )?);
            let done = match api.update_recovery_flow(&flow.id, code).send().await {
                Ok(done) => done,
                Err(e) => {
                    if let Some(flow) = e.next_step() {
                        show(&flow.messages());
                    }
                    return Err(format!("recovery refused: {e}").into());
                }
            };
            let items = done.continue_with.unwrap_or_default();
            let token = ContinueWith::session_token(&items)
                .ok_or("the recovery ended without a session")?
                .to_string();
            target.save(&token)?;
            println!("Recovered and signed in as {email}. Now set a new password.");
            let settings = ContinueWith::in_order(&items)
                .into_iter()
                .find_map(|item| item.flow_id())
                .map(str::to_string);
            new_password(&target, &token, settings).await?;
        }
        Command::Logout => {
            let token = target.token().await?;
            api.perform_native_logout(token).send().await?;
            target.forget()?;
            println!("Signed out.");
        }
    }
    Ok(())
}

/// Changes the password in a new settings flow, signing in again first
/// when Kratos answers `session_refresh_required`.
async fn change_password(target: &Target, token: &str) -> Result<(), Failure> {
    new_password(target, token, None).await
}

/// Sets a new password in the settings flow `flow_id` (or a new one).
async fn new_password(
    target: &Target,
    token: &str,
    flow_id: Option<String>,
) -> Result<(), Failure> {
    let api = &target.api;
    let flow_id = match flow_id {
        Some(id) => id,
        None => {
            api.create_native_settings_flow()
                .session_token(token)
                .send()
                .await?
                .id
        }
    };
    let password = target.password("New password", DEMO_NEW_PASSWORD)?;
    let change = UpdateSettingsFlowWithPasswordMethod::new(password);
    let result = api
        .update_settings_flow(&flow_id, change.clone())
        .session_token(token)
        .send()
        .await;
    let saved = match result {
        Err(e) if e.sign_in_again() == Some(SignInAgain::Refresh) => {
            eprintln!("Kratos asks you to sign in again before changing the password.");
            let session = api.to_session().session_token(token).send().await?;
            let email = session
                .identity
                .as_ref()
                .and_then(|i| i.traits.get("email"))
                .and_then(|v| v.as_str())
                .unwrap_or(DEMO_EMAIL)
                .to_string();
            let current = target.password("Current password", DEMO_PASSWORD)?;
            let login = SignInAgain::Refresh.login_flow(api, token).send().await?;
            let body = UpdateLoginFlowWithPasswordMethod::new(email, current);
            api.update_login_flow(&login.id, body)
                .session_token(token)
                .send()
                .await?;
            api.update_settings_flow(&flow_id, change)
                .session_token(token)
                .send()
                .await
        }
        other => other,
    };
    match saved {
        Ok(flow) => {
            show(&flow.messages());
            println!("Password changed.");
            Ok(())
        }
        Err(e) => {
            if let Some(flow) = e.next_step() {
                show(&flow.messages());
            } else if let kratos_client::Error::Api(
                kratos_client::UpdateSettingsFlowError::BadRequest(flow),
            ) = &e
            {
                show(&flow.errors());
            }
            Err(format!("password not changed: {e}").into())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
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

/// What to try next after Kratos refused, read from the error's id and
/// status rather than its text.
fn hint(error: &kratos_client::AnyError) -> Option<&'static str> {
    if error.sign_in_again().is_some()
        || error.status() == Some(kratos_client::StatusCode::UNAUTHORIZED)
    {
        return Some("Your session has ended or needs renewing: run `account login` again.");
    }
    error
        .retry_after()
        .map(|_| "Kratos is busy: try again in a moment.")
}
