//! A small website whose sign-up, sign-in, settings, recovery and
//! verification pages are rendered on its own server from Kratos's browser
//! flows, with `kratos_client::browser`.
//!
//! ```sh
//! cargo run --example web                  # a built-in mock Kratos; open http://127.0.0.1:4455
//! cargo run --example web -- --url http://127.0.0.1:4433 --listen 127.0.0.1:4455
//! ```
//!
//! Pages: `/` (who is signed in, or links to sign in and up), `/login`,
//! `/registration`, `/settings`, `/recovery`, `/verification`, `/error`,
//! and a sign-out link. Every form posts straight to Kratos as a browser
//! posts (URL-encoded); Kratos answers the browser with redirects back to
//! these pages and sets its cookies, so any HTTP client with a cookie jar
//! can walk the site too.
//!
//! Without `--url` (or `KRATOS_PUBLIC_URL`) it starts
//! `kratos_client::testing::MockKratos` with the site's pages as its UI
//! URLs and a demo user, and `/outbox` shows the emails Kratos would have
//! sent (recovery and verification codes included): a mail catcher for
//! the demo, as Kratos's quickstart ships one. The mock also offers social
//! sign-in with `kratos_client::testing::OidcProvider` (id `test`, "Test
//! provider"), a provider on this machine whose consent page signs a
//! newcomer up and in with no account anywhere.
//!
//! The sign-in and sign-up pages show a button for each provider Kratos
//! offers; against a real Kratos they are its configured providers.
//!
//! Against a real Kratos, its configuration needs the site's pages as
//! `selfservice.flows.<flow>.ui_url` (and `selfservice.flows.error.ui_url`),
//! the site in `selfservice.allowed_return_urls` and as
//! `selfservice.default_browser_return_url`, and the site and Kratos on
//! one cookie domain (the same host, such as 127.0.0.1 on two ports, or
//! `serve.public.cookie.domain` shared by both).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::Parser;

use kratos_client::browser::html::{self, escape};
use kratos_client::browser::{BrowserFlows, FlowKind, FlowPage};
use kratos_client::session::Refusal;
use kratos_client::testing::{MockKratos, OidcProvider, OidcUser};
use kratos_client::FrontendApi;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The demo user of the built-in mock.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "correct horse battery staple";

/// A website with sign-in pages rendered from Kratos's browser flows.
#[derive(Parser, Debug)]
#[command(name = "web")]
pub struct Cli {
    /// Kratos's public URL; without it, a built-in mock Kratos is started.
    #[arg(long, env = "KRATOS_PUBLIC_URL")]
    pub url: Option<String>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:4455")]
    pub listen: SocketAddr,
}

/// The built-in demo: a mock Kratos and the social sign-in provider it
/// offers.
pub struct Demo {
    pub kratos: MockKratos,
    pub provider: OidcProvider,
}

/// What the pages share.
pub struct Site {
    flows: BrowserFlows,
    /// The built-in demo, whose outbox `/outbox` shows.
    demo: Option<Demo>,
}

/// The site's routes.
pub fn app(flows: BrowserFlows, demo: Option<Demo>) -> Router {
    let site = Arc::new(Site { flows, demo });
    Router::new()
        .route("/", get(home))
        .route("/login", get(|s, q, h| flow_page(s, q, h, FlowKind::Login)))
        .route(
            "/registration",
            get(|s, q, h| flow_page(s, q, h, FlowKind::Registration)),
        )
        .route(
            "/settings",
            get(|s, q, h| flow_page(s, q, h, FlowKind::Settings)),
        )
        .route(
            "/recovery",
            get(|s, q, h| flow_page(s, q, h, FlowKind::Recovery)),
        )
        .route(
            "/verification",
            get(|s, q, h| flow_page(s, q, h, FlowKind::Verification)),
        )
        .route("/error", get(error_page))
        .route("/outbox", get(outbox))
        .route("/style.css", get(stylesheet))
        .with_state(site)
}

/// A whole page around `body`.
fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>\
         <header><nav><a href=\"/\">Home</a></nav></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    ))
}

/// The site's own stylesheet (no external assets): Kratos's forms as
/// `kratos_client::browser::html` writes them, by their `kratos-` classes.
const STYLE: &str = "\
:root{color-scheme:light dark;--accent:#4a5bdc;--muted:#6b7280;--line:#d1d5db}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;background:Canvas;color:CanvasText}
header{border-bottom:1px solid var(--line);padding:.75rem 1.5rem}
header a{color:inherit;font-weight:600;text-decoration:none}
main{max-width:26rem;margin:2.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 1.25rem}
a{color:var(--accent)}
form{display:flex;flex-direction:column;gap:.75rem}
.kratos-node{margin:0}
.kratos-label span{display:block;font-size:.875rem;color:var(--muted);margin-bottom:.25rem}
input:not([type=hidden]):not([type=submit]){width:100%;padding:.6rem .75rem;border:1px solid var(--line);border-radius:.5rem;font:inherit;background:Field;color:FieldText}
button{width:100%;padding:.65rem 1rem;border:0;border-radius:.5rem;font:inherit;font-weight:600;cursor:pointer;background:var(--accent);color:#fff}
.kratos-node[data-group=oidc] button{background:transparent;color:inherit;border:1px solid var(--line)}
.kratos-messages{list-style:none;padding:0;margin:0 0 .5rem}
.kratos-message-error{color:#b91c1c}.kratos-message-success{color:#15803d}.kratos-message-info{color:var(--muted)}
#who{font-weight:600}
p a{margin-right:1rem}
";

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// A page that could not ask Kratos.
fn unavailable(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        layout(
            "Try again later",
            &format!("<p>Kratos could not be asked: {}</p>", escape(reason)),
        ),
    )
        .into_response()
}

/// `Set-Cookie` values from Kratos, added to `response`.
fn with_cookies(mut response: Response, cookies: Vec<HeaderValue>) -> Response {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn home(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let outbox = match site.demo {
        Some(_) => "<p><a href=\"/outbox\">Outbox (the demo's mail catcher)</a></p>",
        None => "",
    };
    match site.flows.session(&headers).await {
        Ok(signed_in) => {
            let who = signed_in
                .session
                .identity
                .as_ref()
                .and_then(|i| i.traits.get("email"))
                .and_then(|e| e.as_str())
                .unwrap_or("someone");
            let logout = match site.flows.logout_url(&headers, None).await {
                Ok(Some(url)) => {
                    format!(" <a id=\"sign-out\" href=\"{}\">Sign out</a>", escape(&url))
                }
                Ok(None) => String::new(),
                Err(e) => return unavailable(&e.to_string()),
            };
            let page = format!(
                "<p id=\"who\">Signed in as {}</p><p><a href=\"/settings\">Settings</a> \
                 <a href=\"/verification\">Verify an address</a>{logout}</p>{outbox}",
                escape(who)
            );
            with_cookies(
                layout("Welcome", &page).into_response(),
                signed_in.set_cookie,
            )
        }
        Err(Refusal::Unavailable { reason }) => unavailable(&reason),
        Err(_) => layout(
            "Welcome",
            &format!(
                "<p id=\"who\">Not signed in.</p><p><a id=\"sign-in\" href=\"/login\">Sign in</a> \
                 <a id=\"sign-up\" href=\"/registration\">Sign up</a></p>{outbox}"
            ),
        )
        .into_response(),
    }
}

fn title(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Login => "Sign in",
        FlowKind::Registration => "Sign up",
        FlowKind::Settings => "Settings",
        FlowKind::Recovery => "Recover your account",
        FlowKind::Verification => "Verify your address",
        _ => "Account",
    }
}

fn links(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Login => {
            "<p><a href=\"/registration\">Sign up</a> <a href=\"/recovery\">Forgot your password?</a></p>"
        }
        FlowKind::Registration => "<p><a href=\"/login\">Sign in instead</a></p>",
        _ => "",
    }
}

async fn flow_page(
    State(site): State<Arc<Site>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    kind: FlowKind,
) -> Response {
    let query = query.unwrap_or_default();
    match site.flows.page(kind, &query, &headers).await {
        Ok(FlowPage::Show {
            flow, set_cookie, ..
        }) => {
            let body = format!("{}{}", html::form(flow.ui()), links(kind));
            with_cookies(layout(title(kind), &body).into_response(), set_cookie)
        }
        Ok(FlowPage::Redirect { to, set_cookie, .. }) => match HeaderValue::from_str(&to) {
            Ok(location) => with_cookies(
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
                set_cookie,
            ),
            Err(_) => unavailable("Kratos named an address that is not a valid header"),
        },
        Err(e) => unavailable(&e.to_string()),
    }
}

async fn error_page(State(site): State<Arc<Site>>, RawQuery(query): RawQuery) -> Response {
    let body = match site.flows.error(&query.unwrap_or_default()).await {
        Ok(Some(error)) => {
            let field = |name: &str| {
                error
                    .error
                    .as_ref()
                    .and_then(|e| e.get(name))
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .unwrap_or_default()
            };
            format!(
                "<p id=\"error-id\">{}</p><p>{}</p><p>{}</p>",
                escape(&field("id")),
                escape(&field("message")),
                escape(&field("reason"))
            )
        }
        Ok(None) => "<p>Something went wrong.</p>".to_string(),
        Err(e) => return unavailable(&e.to_string()),
    };
    let body = format!("{body}<p><a href=\"/login\">Sign in again</a></p>");
    layout("Something went wrong", &body).into_response()
}

async fn outbox(State(site): State<Arc<Site>>) -> Response {
    let Some(Demo { kratos: mock, .. }) = &site.demo else {
        return (
            StatusCode::NOT_FOUND,
            layout("Not here", "<p>Only with the built-in mock.</p>"),
        )
            .into_response();
    };
    let mut body = String::from(
        "<p>The demo's mail catcher: the emails Kratos would have sent, newest first. \
         Real users get these by email.</p><ul id=\"outbox\">",
    );
    for message in mock.messages().iter().rev() {
        body.push_str(&format!(
            "<li><strong>{}</strong> to {} (<code>{}</code>): code <code class=\"code\">{}</code></li>",
            escape(&message.subject),
            escape(&message.recipient),
            escape(&message.template_type),
            escape(message.code())
        ));
    }
    body.push_str("</ul>");
    layout("Outbox", &body).into_response()
}

/// Who signs in at the demo's provider.
pub const DEMO_PROVIDER_EMAIL: &str = "provider-demo@example.com";

/// The built-in mock, with the site's pages as its UI URLs, the demo user,
/// and the test provider offered as `test`.
pub async fn demo_kratos(site: &str) -> Demo {
    let provider = OidcProvider::start().await;
    provider.sign_in_as(
        OidcUser::new("demo-provider-user")
            .email(DEMO_PROVIDER_EMAIL)
            .name("Provider Demo"),
    );
    let kratos = MockKratos::builder()
        .ui_urls(site)
        .default_browser_return_url(format!("{site}/"))
        .allowed_return_urls([format!("{site}/")])
        .social_sign_in(provider.social_sign_in("test").label("Test provider"))
        .start()
        .await;
    kratos.add_identity(DEMO_EMAIL, DEMO_PASSWORD, Some("Demo"));
    Demo { kratos, provider }
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let site = format!("http://{}", listener.local_addr()?);
    let (flows, demo) = match &cli.url {
        Some(url) => {
            println!("Kratos: {url}");
            (BrowserFlows::new(FrontendApi::new(url.as_str())?), None)
        }
        None => {
            let demo = demo_kratos(&site).await;
            println!(
                "Kratos: a built-in mock at {}, with {DEMO_EMAIL} / {DEMO_PASSWORD:?}, and a test provider at {} (\"Sign in with Test provider\")",
                demo.kratos.uri(),
                demo.provider.issuer()
            );
            (BrowserFlows::new(demo.kratos.frontend()), Some(demo))
        }
    };
    println!("Open {site}/ (the same host as Kratos, so that the browser shares its cookies)");
    if demo.is_some() {
        println!("Emails Kratos would send: {site}/outbox");
    }
    axum::serve(listener, app(flows, demo))
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
            eprintln!("web: {error}");
            ExitCode::FAILURE
        }
    }
}
