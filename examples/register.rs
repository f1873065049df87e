//! Starts a native registration flow and prints the form a user would fill.
//!
//! ```sh
//! cargo run --example register                      # against a built-in mock Kratos
//! cargo run --example register -- --url https://auth.example.com
//! KRATOS_PUBLIC_URL=http://127.0.0.1:4433 cargo run --example register
//! ```
//!
//! Options: `--url URL` (or `KRATOS_PUBLIC_URL`), `--return-to URL`,
//! `--session-token TOKEN` (to see how Kratos answers a signed-in user).

use std::process::ExitCode;

use kratos_client::models::{RegistrationFlow, UiNodeAttributes};
use kratos_client::{CreateNativeRegistrationFlowError, Error, ErrorId, FrontendApi};

struct Options {
    url: Option<String>,
    return_to: Option<String>,
    session_token: Option<String>,
}

const USAGE: &str = "usage: register [--url URL] [--return-to URL] [--session-token TOKEN]

Starts a Kratos native registration flow and prints its form.
Without --url (or KRATOS_PUBLIC_URL) it runs against a built-in mock server.";

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        url: std::env::var("KRATOS_PUBLIC_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        return_to: None,
        session_token: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--url" => options.url = Some(value("--url")?),
            "--return-to" => options.return_to = Some(value("--return-to")?),
            "--session-token" => options.session_token = Some(value("--session-token")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("error: {problem}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Keep the mock server alive for as long as we use it.
    let (_mock, url) = match options.url {
        Some(url) => (None, url),
        None => {
            let server = mock::start().await;
            let url = server.uri();
            println!("No --url given: using a mock Kratos at {url}\n");
            (Some(server), url)
        }
    };

    let api = match FrontendApi::new(&url) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut request = api.create_native_registration_flow();
    if let Some(return_to) = options.return_to {
        request = request.return_to(return_to);
    }
    if let Some(token) = options.session_token {
        request = request.session_token(token);
    }

    match request.send().await {
        Ok(flow) => {
            print_form(&flow);
            ExitCode::SUCCESS
        }
        Err(Error::Api(CreateNativeRegistrationFlowError::BadRequest(body)))
            if body.error_id() == Some(ErrorId::SessionAlreadyAvailable) =>
        {
            println!("You are already signed in: Kratos does not start a registration for a valid session.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(status) = e.status() {
                eprintln!("(HTTP status {status})");
            }
            ExitCode::FAILURE
        }
    }
}

fn print_form(flow: &RegistrationFlow) {
    println!("Registration flow {}", flow.id);
    println!("  expires at {}", flow.expires_at);
    println!("  submit to  {} {}", flow.ui.method, flow.ui.action);
    for message in flow.ui.messages.iter().flatten() {
        println!("  message    {} ({})", message.text, message.id);
    }

    println!("\nFields to fill in:");
    println!("  {:<30} {:<10} {:<9} label", "name", "type", "required");
    let mut methods: Vec<String> = Vec::new();
    for node in &flow.ui.nodes {
        let UiNodeAttributes::Input(input) = &node.attributes else {
            continue;
        };
        let kind = input.r#type.as_str();
        let label = node
            .meta
            .label
            .as_ref()
            .or(input.label.as_ref())
            .map(|l| l.text.as_str())
            .unwrap_or("");
        match kind {
            "hidden" => {}
            "submit" | "button" => {
                if !methods.iter().any(|m| m == label) {
                    methods.push(label.to_string());
                }
            }
            _ => println!(
                "  {:<30} {:<10} {:<9} {label}",
                input.name,
                kind,
                if input.required == Some(true) {
                    "yes"
                } else {
                    "no"
                },
            ),
        }
    }
    println!("\nWays to sign up: {}", methods.join(", "));
    if flow.session_token_exchange_code.is_some() {
        println!("(The flow carries a session token exchange code; it is not printed.)");
    }
}

/// A stand-in for Kratos's public API, enough for this example.
mod mock {
    use wiremock::matchers::{header_exists, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const FLOW: &str = include_str!("../tests/fixtures/registration_flow.json");
    const ALREADY_SIGNED_IN: &str =
        include_str!("../tests/fixtures/error_session_already_available.json");

    pub async fn start() -> MockServer {
        let server = MockServer::start().await;
        let json = |status: u16, body: &str| {
            ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
        };
        // Like Kratos, refuse to start a registration for a signed-in user.
        Mock::given(method("GET"))
            .and(path("/self-service/registration/api"))
            .and(header_exists("x-session-token"))
            .respond_with(json(400, ALREADY_SIGNED_IN))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/self-service/registration/api"))
            .respond_with(json(200, FLOW))
            .mount(&server)
            .await;
        server
    }
}
