//! The web example in a real browser: headless Chromium, driven over the
//! WebDriver protocol by `chromedriver`, signs up, out and in, sees a
//! wrong password refused on the page, and recovers the account with a
//! code from the demo's outbox; then the same in front of a real Kratos
//! configured for the site, when `KRATOS_BIN` names one (the code then
//! comes from Kratos's courier). Every step is what a user sees: the
//! page's address and text.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them); `CHROMEDRIVER` and `CHROMIUM` name other binaries. Without them
//! the test says SKIPPED. `WEB_EXAMPLE_SCREENSHOTS=<folder>` keeps a
//! screenshot of each step.

#[path = "../../examples/web.rs"]
#[allow(dead_code)]
mod web;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kratos_client::browser::BrowserFlows;
use kratos_client::testing::{KratosServer, KratosServerBuilder, TestKratos};
use serde_json::{json, Value};

/// The key WebDriver names elements under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn binary(variable: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    path.is_file().then_some(path)
}

/// A browser session through chromedriver.
struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    shots: Option<PathBuf>,
    step: usize,
}

impl Browser {
    async fn start(driver: PathBuf, chromium: PathBuf) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // Building one of the crate's clients installs the TLS provider a
        // bare reqwest client needs.
        kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver never answered"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,1000"],
            },
        }}});
        let answer = json_of(
            http.post(format!("{base}/session"))
                .header("content-type", "application/json")
                .body(capabilities.to_string()),
        )
        .await;
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            driver: child,
            shots: std::env::var_os("WEB_EXAMPLE_SCREENSHOTS").map(PathBuf::from),
            step: 0,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_call(method, path, body).await {
            Ok(value) => value,
            Err(error) => panic!("WebDriver {path}: {error}"),
        }
    }

    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let answer = json_of(request).await;
        match answer["value"].get("error") {
            Some(_) => Err(answer["value"].clone()),
            None => Ok(answer["value"].clone()),
        }
    }

    /// Waits until `check` holds for what `read` gives (pages load after a
    /// click returns), and gives that.
    async fn until<T: std::fmt::Debug>(
        &self,
        what: &str,
        read: impl AsyncFn(&Self) -> Option<T>,
        check: impl Fn(&T) -> bool,
    ) -> T {
        let started = Instant::now();
        loop {
            let seen = read(self).await;
            match seen {
                Some(value) if check(&value) => return value,
                _ if started.elapsed() > Duration::from_secs(10) => {
                    panic!("waited 10 s for {what}; last saw {seen:?}")
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The page's address once `check` holds for it.
    async fn url_when(&self, check: impl Fn(&String) -> bool) -> String {
        self.until("the address", async |b: &Self| Some(b.url().await), check)
            .await
    }

    /// The text of `css` once the element is there and `check` holds.
    async fn text_when(&self, css: &str, check: impl Fn(&String) -> bool) -> String {
        let read = async |b: &Self| {
            let found = b
                .try_call(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await
                .ok()?;
            let id = found[ELEMENT].as_str()?.to_string();
            let text = b
                .try_call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                .await
                .ok()?;
            text.as_str().map(str::to_string)
        };
        self.until(css, read, check).await
    }

    async fn open(&mut self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
        self.shot().await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn fill(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn click(&mut self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
        self.shot().await;
    }

    async fn shot(&mut self) {
        let Some(folder) = &self.shots else { return };
        self.step += 1;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = decode_base64(png.as_str().unwrap_or_default());
        let _ = std::fs::create_dir_all(folder);
        let _ = std::fs::write(folder.join(format!("step-{:02}.png", self.step)), bytes);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The JSON chromedriver answers `request` with.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    let bytes = request
        .send()
        .await
        .expect("chromedriver answers")
        .bytes()
        .await
        .expect("a body");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    digits
        .chunks(4)
        .flat_map(|c| {
            let n = c.iter().fold(0u32, |n, d| n << 6 | u32::from(*d)) << (6 * (4 - c.len()));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(c.len().saturating_sub(1))
        })
        .collect()
}

/// chromedriver and Chromium, or `None` after saying `SKIPPED` for `test`.
fn chromium_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    match (
        binary("CHROMEDRIVER", "/usr/bin/chromedriver"),
        binary("CHROMIUM", "/usr/bin/chromium"),
    ) {
        (Some(driver), Some(chromium)) => Some((driver, chromium)),
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: {test}: no chromedriver or chromium (apt install chromium chromium-driver)"
            );
            None
        }
    }
}

/// The site and its built-in demo, as `cargo run --example web` starts
/// them: the site's address.
async fn serve_demo() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let demo = web::demo_kratos(&site).await;
    let app = web::app(BrowserFlows::new(demo.kratos.frontend()), Some(demo));
    tokio::spawn(async move { axum::serve(listener, app).await });
    site
}

/// The site in front of a real Kratos configured for it (`configure`
/// adds to the pages, return address and cookies it needs).
async fn serve_real(
    configure: impl FnOnce(KratosServerBuilder) -> KratosServerBuilder,
) -> (String, KratosServer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let builder = KratosServer::builder()
        .ui_urls(&site)
        .default_browser_return_url(format!("{site}/"))
        .allowed_return_urls([format!("{site}/")]);
    let kratos = configure(builder).start().await.expect("Kratos starts");
    let app = web::app(BrowserFlows::new(kratos.frontend()), None);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (site, kratos)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_out_and_in_and_recovers_the_account_in_chromium() {
    let Some((driver, chromium)) = chromium_or_skip("the web example in a browser") else {
        return;
    };
    walk(&driver, &chromium, &serve_demo().await, None).await;
    if !TestKratos::real_available() {
        return;
    }
    let (site, kratos) = serve_real(|builder| builder).await;
    walk(&driver, &chromium, &site, Some(&kratos)).await;
}

/// The user's walk through the site at `site`; the recovery code comes
/// from the site's outbox, or from `real`'s courier.
async fn walk(driver: &Path, chromium: &Path, site: &str, real: Option<&KratosServer>) {
    let mut browser = Browser::start(driver.to_path_buf(), chromium.to_path_buf()).await;
    // Element lookups wait for the page a click led to.
    browser
        .call(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({"implicit": 5000})),
        )
        .await;
    browser.open(&format!("{site}/")).await;
    assert_eq!(browser.text("#who").await, "Not signed in.");

    // Sign up.
    browser.click("#sign-up").await;
    let registration = format!("{site}/registration?flow=");
    browser.url_when(|u| u.starts_with(&registration)).await;
    browser
        .fill("input[name='traits.email']", "ada@example.com")
        .await;
    browser
        .fill("input[name='password']", "correct horse battery")
        .await;
    browser
        .click("button[name='method'][value='password']")
        .await;
    browser.url_when(|u| *u == format!("{site}/")).await;
    browser
        .text_when("#who", |t| t == "Signed in as ada@example.com")
        .await;

    // Sign out.
    browser.click("#sign-out").await;
    browser.text_when("#who", |t| t == "Not signed in.").await;
    assert_eq!(browser.url().await, format!("{site}/"));

    // A wrong password is refused on the page, with Kratos's message.
    browser.click("#sign-in").await;
    let login = browser
        .url_when(|u| u.starts_with(&format!("{site}/login?flow=")))
        .await;
    browser
        .fill("input[name='identifier']", "ada@example.com")
        .await;
    browser
        .fill("input[name='password']", "not my password")
        .await;
    browser
        .click("button[name='method'][value='password']")
        .await;
    let refusal = browser
        .text_when("[data-id='4000006']", |t| !t.is_empty())
        .await;
    assert!(refusal.contains("credentials are invalid"), "{refusal}");
    assert_eq!(browser.url().await, login, "back to the same flow");
    browser
        .fill("input[name='password']", "correct horse battery")
        .await;
    browser
        .click("button[name='method'][value='password']")
        .await;
    browser
        .text_when("#who", |t| t == "Signed in as ada@example.com")
        .await;

    // Recovery, with the code from the demo's outbox.
    browser.click("#sign-out").await;
    browser.text_when("#who", |t| t == "Not signed in.").await;
    browser.open(&format!("{site}/recovery")).await;
    let recovery = browser
        .url_when(|u| u.starts_with(&format!("{site}/recovery?flow=")))
        .await;
    browser.fill("input[name='email']", "ada@example.com").await;
    browser.click("button[name='method'][value='code']").await;
    // The page now asks for the code.
    browser.element("input[name='code']").await;
    let code = match real {
        Some(kratos) => kratos
            .last_code("ada@example.com")
            .await
            .expect("the courier answers")
            .expect("a code was sent"),
        None => {
            browser.open(&format!("{site}/outbox")).await;
            browser.text("#outbox li:first-child .code").await
        }
    };
    assert_eq!(code.len(), 6, "{code}");
    browser.open(&recovery).await;
    browser.fill("input[name='code']", &code).await;
    browser.click("button[name='method'][value='code']").await;
    browser
        .url_when(|u| u.starts_with(&format!("{site}/settings?flow=")))
        .await;
    let success = browser
        .text_when(".kratos-message-success", |t| !t.is_empty())
        .await;
    assert!(success.contains("successfully recovered"), "{success}");

    // A new password, saved.
    browser
        .fill("input[name='password']", "a brand new passphrase")
        .await;
    browser
        .click("button[name='method'][value='password']")
        .await;
    let saved = browser
        .text_when("[data-id='1050001']", |t| !t.is_empty())
        .await;
    assert!(saved.contains("saved"), "{saved}");
    browser.open(&format!("{site}/")).await;
    assert_eq!(browser.text("#who").await, "Signed in as ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_and_in_through_the_test_provider_in_chromium() {
    let Some((driver, chromium)) = chromium_or_skip("the web example's provider sign-in") else {
        return;
    };
    let site = serve_demo().await;
    walk_with_provider(&driver, &chromium, &site, web::DEMO_PROVIDER_EMAIL).await;
    if !TestKratos::real_available() {
        return;
    }
    // A real Kratos with a test provider of its own.
    let provider = kratos_client::testing::OidcProvider::start().await;
    provider
        .sign_in_as(kratos_client::testing::OidcUser::new("real-user").email("lin@example.com"));
    let social = provider.social_sign_in("test").label("Test provider");
    let (site, _kratos) = serve_real(|builder| builder.social_sign_in(social)).await;
    walk_with_provider(&driver, &chromium, &site, "lin@example.com").await;
}

/// Signs up through the provider's button and consent page, signs out,
/// signs in through it again, then denies at the provider and reads
/// Kratos's message on the sign-up page.
async fn walk_with_provider(driver: &Path, chromium: &Path, site: &str, email: &str) {
    let mut browser = Browser::start(driver.to_path_buf(), chromium.to_path_buf()).await;
    browser
        .call(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({"implicit": 5000})),
        )
        .await;
    let provider_button = "button[name='provider'][value='test']";
    let signed_in = format!("Signed in as {email}");
    browser.open(&format!("{site}/")).await;

    // Sign up: the button, the provider's consent page, Allow.
    browser.click("#sign-up").await;
    browser
        .url_when(|u| u.contains("/registration?flow="))
        .await;
    let label = browser.text(provider_button).await;
    assert_eq!(label, "Sign up with Test provider");
    browser.click(provider_button).await;
    browser
        .text_when("h1", |t| t == "Sign in with the test provider")
        .await;
    browser
        .click("button[name='decision'][value='allow']")
        .await;
    browser.url_when(|u| *u == format!("{site}/")).await;
    browser.text_when("#who", |t| *t == signed_in).await;

    // Sign out, and in again through the provider.
    browser.click("#sign-out").await;
    browser.text_when("#who", |t| t == "Not signed in.").await;
    browser.click("#sign-in").await;
    browser.url_when(|u| u.contains("/login?flow=")).await;
    assert_eq!(
        browser.text(provider_button).await,
        "Sign in with Test provider"
    );
    browser.click(provider_button).await;
    browser
        .text_when("h1", |t| t == "Sign in with the test provider")
        .await;
    browser
        .click("button[name='decision'][value='allow']")
        .await;
    browser.text_when("#who", |t| *t == signed_in).await;

    // Deny: back on the sign-up page with Kratos's message.
    browser.click("#sign-out").await;
    browser.text_when("#who", |t| t == "Not signed in.").await;
    browser.click("#sign-up").await;
    browser
        .url_when(|u| u.contains("/registration?flow="))
        .await;
    browser.click(provider_button).await;
    browser
        .text_when("h1", |t| t == "Sign in with the test provider")
        .await;
    browser.click("button[name='decision'][value='deny']").await;
    let message = browser
        .text_when("[data-id='4000001']", |t| !t.is_empty())
        .await;
    assert!(message.contains("access_denied"), "{message}");
    assert!(browser.url().await.contains("/registration?flow="));
}

/// Follows redirects as a browser does, keeping cookies; the last page.
async fn follow(
    browser: &mut crate::common::browser::Browser,
    mut page: crate::common::browser::Page,
) -> (String, crate::common::browser::Page) {
    let mut at = String::new();
    for _ in 0..10 {
        let Some(to) = page
            .location
            .clone()
            .filter(|_| (300..400).contains(&page.status))
        else {
            return (at, page);
        };
        at = to.clone();
        page = browser.open(&to).await;
    }
    panic!("a redirect loop");
}

fn field<'a>(page: &'a str, name: &str) -> &'a str {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    &rest[..rest.find('"').unwrap_or(0)]
}

fn action(page: &str) -> String {
    let at = page.find("action=\"").expect("a form");
    let rest = &page[at + 8..];
    rest[..rest.find('"').unwrap_or(0)].replace("&amp;", "&")
}

#[tokio::test]
async fn any_http_client_with_a_cookie_jar_walks_the_site() {
    let site = serve_demo().await;
    let mut browser = crate::common::browser::Browser::new();

    // Sign in as the demo user: the site sends the browser through Kratos.
    let first = browser.open(&format!("{site}/login")).await;
    let (at, page) = follow(&mut browser, first).await;
    assert!(at.starts_with(&format!("{site}/login?flow=")), "{at}");
    let html = page.body.as_str().unwrap_or_default().to_string();
    let posted = browser
        .post_form(
            &action(&html),
            &[
                ("csrf_token", field(&html, "csrf_token")),
                ("method", "password"),
                ("identifier", web::DEMO_EMAIL),
                ("password", web::DEMO_PASSWORD),
            ],
        )
        .await;
    let (at, page) = follow(&mut browser, posted).await;
    assert_eq!(at, format!("{site}/"));
    let home = page.body.as_str().unwrap_or_default();
    assert!(home.contains("Signed in as demo@example.com"), "{home}");

    // The outbox is labelled as the demo's mail catcher.
    let outbox = browser.open(&format!("{site}/outbox")).await;
    assert!(outbox
        .body
        .as_str()
        .unwrap_or_default()
        .contains("mail catcher"));
    // An unknown flow id starts the flow anew instead of showing an error.
    let stale = browser
        .open(&format!(
            "{site}/registration?flow=00000000-0000-0000-0000-000000000000"
        ))
        .await;
    assert_eq!(stale.status, 303);
    assert!(stale
        .location
        .unwrap()
        .ends_with("/self-service/registration/browser"));
}
