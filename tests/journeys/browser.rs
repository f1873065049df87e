//! The browser flows, as a browser walks them against each server: the
//! CSRF cookie and token, redirects to the app's pages, a form with errors
//! sent back to its page, signing up and in into the session cookie,
//! whoami by cookie, an error page's content, signing out.

use kratos_client::browser::{html, BrowserFlows, FlowKind, FlowPage};
use kratos_client::testing::TestKratos;
use serde_json::Value;

use crate::common::browser::{csrf_of, query_of, Browser, Page};
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

/// The app whose pages Kratos sends browsers to; nothing listens there.
const SITE: &str = "http://127.0.0.1:4455";

fn builder() -> kratos_client::testing::TestKratosBuilder {
    TestKratos::builder()
        .ui_urls(SITE)
        .default_browser_return_url(format!("{SITE}/"))
        .allowed_return_urls([format!("{SITE}/")])
}

/// One line for what a browser got: status, where to, cookies set.
fn line(page: &Page) -> String {
    let cookies = page.cookie_names();
    let error = page.body["error"]["id"].as_str().unwrap_or("");
    format!(
        "{} to={} cookies=[{}] error={error}",
        page.status,
        page.location.as_deref().unwrap_or("-"),
        cookies.join(",")
    )
}

/// The flow a page for `kind` shows: the app's server fetches it with the
/// browser's cookies.
async fn flow(browser: &mut Browser, kratos: &TestKratos, kind: &str, id: &str) -> Value {
    let page = browser
        .fetch_json(&format!(
            "{}/self-service/{kind}/flows?id={id}",
            kratos.uri()
        ))
        .await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body
}

fn messages(flow: &Value) -> String {
    let mut ids: Vec<String> = flow["ui"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["id"].to_string())
        .collect();
    for node in flow["ui"]["nodes"].as_array().into_iter().flatten() {
        for m in node["messages"].as_array().into_iter().flatten() {
            ids.push(format!(
                "{}:{}",
                node["attributes"]["name"].as_str().unwrap_or(""),
                m["id"]
            ));
        }
    }
    ids.join(",")
}

#[tokio::test]
async fn a_browser_signs_up_signs_out_and_signs_in() {
    on_each(builder(), async |kratos: &TestKratos, seen: &mut Seen| {
        let public = kratos.uri();
        let mut browser = Browser::new();

        // Sign up: Kratos sets its CSRF cookie and sends the browser to the page.
        let start = browser
            .open(&format!("{public}/self-service/registration/browser"))
            .await;
        seen.note("registration/browser", line(&start));
        assert_eq!(start.status, 303);
        let id = query_of(start.location.as_deref().unwrap(), "flow").expect("?flow=");

        // The app's server must forward the browser's cookies.
        let mut cookieless = Browser::new();
        let refused = cookieless
            .fetch_json(&format!("{public}/self-service/registration/flows?id={id}"))
            .await;
        seen.note("flow fetched without the cookie", line(&refused));
        assert_eq!(refused.status, 403);
        let unknown = browser
            .fetch_json(&format!(
                "{public}/self-service/registration/flows?id=00000000-0000-0000-0000-000000000000"
            ))
            .await;
        seen.note("unknown flow", line(&unknown));

        let registration = flow(&mut browser, kratos, "registration", &id).await;
        seen.note("flow type", registration["type"].as_str().unwrap_or(""));
        seen.flow("registration form", &registration);
        let action = registration["ui"]["action"].as_str().unwrap().to_string();
        let csrf = csrf_of(&registration);
        assert!(!csrf.is_empty(), "a browser flow's form carries the token");

        // Without the token: the error page, whose content Kratos keeps.
        let forged = browser
            .post_form(
                &action,
                &[
                    ("method", "password"),
                    ("traits.email", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        seen.note("posted without csrf_token", line(&forged));
        let error_id = query_of(forged.location.as_deref().unwrap_or(""), "id").expect("?id=");
        let error = browser
            .fetch_json(&format!("{public}/self-service/errors?id={error_id}"))
            .await;
        seen.note(
            "the error page's content",
            format!("{} {}", error.status, error.body["error"]["id"]),
        );

        // A password too short: back to the page, the flow says why.
        let short = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("traits.email", EMAIL),
                    ("password", "short"),
                ],
            )
            .await;
        seen.note("a short password", line(&short));
        let again = flow(&mut browser, kratos, "registration", &id).await;
        seen.note("  messages", messages(&again));

        // Signed up: on to the default return address, with the session cookie.
        let done = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("traits.email", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        seen.note("signed up", line(&done));
        assert!(browser.cookies.contains_key("ory_kratos_session"));
        let whoami = browser
            .fetch_json(&format!("{public}/sessions/whoami"))
            .await;
        seen.note(
            "whoami by cookie",
            format!(
                "{} active={} aal={}",
                whoami.status, whoami.body["active"], whoami.body["authenticator_assurance_level"]
            ),
        );

        // Signed in already: the login page sends the browser on.
        let again = browser
            .open(&format!("{public}/self-service/login/browser"))
            .await;
        seen.note("login/browser while signed in", line(&again));

        // Signing out: a URL made for this browser.
        let logout = browser
            .fetch_json(&format!("{public}/self-service/logout/browser"))
            .await;
        seen.note(
            "logout/browser",
            format!(
                "{} {}",
                logout.status,
                logout.body["logout_url"].as_str().unwrap_or("-")
            ),
        );
        let url = logout.body["logout_url"]
            .as_str()
            .expect("a logout URL")
            .to_string();
        let out = browser.open(&url).await;
        seen.note("signed out", line(&out));
        let whoami = browser
            .fetch_json(&format!("{public}/sessions/whoami"))
            .await;
        seen.note("whoami after", whoami.status);
        let logout = browser
            .fetch_json(&format!("{public}/self-service/logout/browser"))
            .await;
        seen.note("logout/browser signed out", line(&logout));
        let settings = browser
            .open(&format!("{public}/self-service/settings/browser"))
            .await;
        seen.note("settings/browser signed out", line(&settings));

        // Signing in: a wrong password goes back to the page; then in.
        let start = browser
            .open(&format!(
                "{public}/self-service/login/browser?return_to={SITE}/welcome"
            ))
            .await;
        seen.note("login/browser", line(&start));
        let id = query_of(start.location.as_deref().unwrap(), "flow").expect("?flow=");
        let login = flow(&mut browser, kratos, "login", &id).await;
        let action = login["ui"]["action"].as_str().unwrap().to_string();
        let csrf = csrf_of(&login);
        let wrong = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("identifier", EMAIL),
                    ("password", "not the password"),
                ],
            )
            .await;
        seen.note("wrong password", line(&wrong));
        let again = flow(&mut browser, kratos, "login", &id).await;
        seen.note("  messages", messages(&again));
        // A page's script asking for JSON gets the flow itself.
        let wrong = browser
            .post_form_json(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("identifier", EMAIL),
                    ("password", "not the password"),
                ],
            )
            .await;
        seen.note(
            "wrong password, as JSON",
            format!("{} {}", wrong.status, messages(&wrong.body)),
        );
        let mismatched = browser
            .post_form_json(
                &action,
                &[
                    ("csrf_token", "not-the-token"),
                    ("method", "password"),
                    ("identifier", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        seen.note("another token, as JSON", line(&mismatched));
        let signed_in = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("identifier", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        seen.note("signed in", line(&signed_in));
        let whoami = browser
            .fetch_json(&format!("{public}/sessions/whoami"))
            .await;
        seen.note("whoami by cookie", whoami.status);
        assert_eq!(whoami.status, 200);
    })
    .await;
}

#[tokio::test]
async fn a_browser_recovers_an_account_then_changes_the_password() {
    on_each(builder(), async |kratos: &TestKratos, seen: &mut Seen| {
        let public = kratos.uri();
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let mut browser = Browser::new();

        let start = browser
            .open(&format!("{public}/self-service/recovery/browser"))
            .await;
        seen.note("recovery/browser", line(&start));
        let id = query_of(start.location.as_deref().unwrap(), "flow").expect("?flow=");
        let recovery = flow(&mut browser, kratos, "recovery", &id).await;
        seen.flow("recovery form", &recovery);
        let action = recovery["ui"]["action"].as_str().unwrap().to_string();
        let csrf = csrf_of(&recovery);
        let sent = browser
            .post_form(
                &action,
                &[("csrf_token", &csrf), ("method", "code"), ("email", EMAIL)],
            )
            .await;
        seen.note("address sent", line(&sent));
        let waiting = flow(&mut browser, kratos, "recovery", &id).await;
        seen.note("  state", waiting["state"].as_str().unwrap_or(""));
        let code = kratos
            .last_code(EMAIL)
            .await
            .unwrap()
            .expect("a code was sent");
        let wrong = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "code"),
                    ("code", "000000"),
                ],
            )
            .await;
        seen.note("a wrong code", line(&wrong));
        let again = flow(&mut browser, kratos, "recovery", &id).await;
        seen.note("  messages", messages(&again));
        let done = browser
            .post_form(
                &action,
                &[("csrf_token", &csrf), ("method", "code"), ("code", &code)],
            )
            .await;
        seen.note("recovered", line(&done));
        assert!(browser.cookies.contains_key("ory_kratos_session"));

        // The settings page the browser was sent to.
        let settings_id = query_of(done.location.as_deref().unwrap_or(""), "flow").expect("?flow=");
        let settings = flow(&mut browser, kratos, "settings", &settings_id).await;
        seen.note(
            "settings flow",
            format!("{} {}", settings["state"], messages(&settings)),
        );
        let action = settings["ui"]["action"].as_str().unwrap().to_string();
        // Kratos renewed the CSRF token with the new session: the form has it.
        let csrf = csrf_of(&settings);
        let changed = browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("password", "a brand new passphrase"),
                ],
            )
            .await;
        seen.note("password changed", line(&changed));
        let after = flow(&mut browser, kratos, "settings", &settings_id).await;
        seen.note(
            "  state",
            format!("{} {}", after["state"], messages(&after)),
        );

        // Verification: a fresh flow, the address, the code.
        let start = browser
            .open(&format!("{public}/self-service/verification/browser"))
            .await;
        seen.note("verification/browser", line(&start));
        let id = query_of(start.location.as_deref().unwrap(), "flow").expect("?flow=");
        let verification = flow(&mut browser, kratos, "verification", &id).await;
        seen.flow("verification form", &verification);
        let action = verification["ui"]["action"].as_str().unwrap().to_string();
        let csrf = csrf_of(&verification);
        let sent = browser
            .post_form(
                &action,
                &[("csrf_token", &csrf), ("method", "code"), ("email", EMAIL)],
            )
            .await;
        seen.note("address sent", line(&sent));
        let waiting = flow(&mut browser, kratos, "verification", &id).await;
        seen.flow("code form", &waiting);
        let code = kratos
            .last_code(EMAIL)
            .await
            .unwrap()
            .expect("a code was sent");
        let done = browser
            .post_form(
                &action,
                &[("csrf_token", &csrf), ("method", "code"), ("code", &code)],
            )
            .await;
        seen.note("verified", line(&done));
        let verified = flow(&mut browser, kratos, "verification", &id).await;
        seen.note(
            "  state",
            format!("{} {}", verified["state"], messages(&verified)),
        );
    })
    .await;
}

/// The request headers the app's server gets from `browser`, with one of
/// the app's own cookies beside Kratos's.
fn headers_of(browser: &Browser) -> kratos_client::HeaderMap {
    let mut headers = kratos_client::HeaderMap::new();
    let cookie = format!("theme=dark; {}", browser.cookie_header());
    headers.insert("cookie", cookie.parse().unwrap());
    headers
}

fn outcome(page: &Result<FlowPage, kratos_client::browser::PageError>) -> String {
    match page {
        Ok(FlowPage::Show { flow, .. }) => format!(
            "show {} flow, {} nodes, csrf {}",
            flow.kind(),
            flow.ui().nodes.len(),
            if html::form(flow.ui()).contains(&format!(
                "name=\"csrf_token\" value=\"{}\"",
                csrf_of(
                    &serde_json::to_value(flow.ui())
                        .map(|ui| serde_json::json!({ "ui": ui }))
                        .unwrap()
                )
            )) {
                "in the form"
            } else {
                "missing"
            }
        ),
        Ok(FlowPage::Redirect { to, because, .. }) => {
            format!("redirect to {to} because {because:?}")
        }
        Err(e) => format!("error {e}"),
    }
}

#[tokio::test]
async fn an_app_server_renders_each_page_with_browser_flows() {
    on_each(builder(), async |kratos: &TestKratos, seen: &mut Seen| {
        let public = kratos.uri();
        let flows = BrowserFlows::new(kratos.frontend());
        let mut browser = Browser::new();

        // No flow yet: start one, keeping return_to (and only what Kratos reads).
        let page = flows.page(FlowKind::Login, "", &headers_of(&browser)).await;
        seen.note("login page, no flow", outcome(&page));
        let query = format!("?return_to={SITE}/welcome&refresh=true&theme=dark");
        let page = flows
            .page(FlowKind::Login, &query, &headers_of(&browser))
            .await;
        seen.note("with return_to", outcome(&page));
        let page = flows
            .page(FlowKind::Registration, &query, &headers_of(&browser))
            .await;
        seen.note("registration with return_to", outcome(&page));

        let start = browser
            .open(&flows.start_url(FlowKind::Registration, None))
            .await;
        let location = start.location.clone().expect("to the page");
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
        let id = query_of(&location, "flow").unwrap();

        // The app's server must send the browser's cookies.
        let page = flows
            .page(
                FlowKind::Registration,
                query,
                &kratos_client::HeaderMap::new(),
            )
            .await;
        seen.note("without the browser's cookies", outcome(&page));
        let page = flows
            .page(FlowKind::Registration, query, &headers_of(&browser))
            .await;
        seen.note("registration page", outcome(&page));
        let Ok(FlowPage::Show { flow, .. }) = page else {
            panic!("the flow: {page:?}");
        };
        let form = html::form(flow.ui());
        assert!(form.contains(&format!(
            "action=\"{public}/self-service/registration?flow={id}\""
        )));
        assert!(form.contains(
            "<button class=\"kratos-button\" type=\"submit\" name=\"method\" value=\"password\""
        ));
        let page = flows
            .page(
                FlowKind::Registration,
                "flow=00000000-0000-0000-0000-000000000000",
                &headers_of(&browser),
            )
            .await;
        seen.note("unknown flow", outcome(&page));
        let page = flows
            .page(
                FlowKind::Login,
                &format!("flow={id}"),
                &headers_of(&browser),
            )
            .await;
        seen.note("a registration id on the login page", outcome(&page));

        // The error page.
        let action = flow.ui().action.clone();
        let forged = browser
            .post_form(
                &action,
                &[
                    ("method", "password"),
                    ("traits.email", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        let error_query = forged
            .location
            .as_deref()
            .and_then(|l| l.split_once('?'))
            .map(|(_, q)| q.to_string())
            .unwrap_or_default();
        let error = flows.error(&error_query).await.unwrap().expect("an error");
        seen.note(
            "error page",
            error
                .error
                .as_ref()
                .and_then(|e| e.get("id"))
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        assert!(flows.error("").await.unwrap().is_none());
        assert!(flows
            .error("id=00000000-0000-0000-0000-000000000000")
            .await
            .unwrap()
            .is_none());

        // Signed up, the pages see the session and offer to sign out.
        let csrf = csrf_of(&serde_json::json!({ "ui": serde_json::to_value(flow.ui()).unwrap() }));
        browser
            .post_form(
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("method", "password"),
                    ("traits.email", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        let session = flows.session(&headers_of(&browser)).await;
        seen.note(
            "session",
            format!("{:?}", session.as_ref().map(|s| s.session.active)),
        );
        assert!(session.is_ok());
        let logout = flows.logout_url(&headers_of(&browser), None).await.unwrap();
        seen.note("logout url", logout.as_deref().unwrap_or("-"));

        // Settings: started, rendered.
        let start = browser
            .open(&flows.start_url(FlowKind::Settings, None))
            .await;
        let location = start.location.clone().expect("to the page");
        let query = location
            .split_once('?')
            .map(|(_, q)| q.to_string())
            .unwrap_or_default();
        let page = flows
            .page(FlowKind::Settings, &query, &headers_of(&browser))
            .await;
        seen.note("settings page", outcome(&page));

        // Signed out: no session, no logout link, and the settings page starts anew.
        browser.open(logout.as_deref().expect("a logout URL")).await;
        let session = flows.session(&headers_of(&browser)).await;
        seen.note(
            "session after",
            format!("{:?}", session.map(|s| s.session.active)),
        );
        let logout = flows.logout_url(&headers_of(&browser), None).await.unwrap();
        seen.note("logout url after", logout.as_deref().unwrap_or("-"));
        let page = flows
            .page(FlowKind::Settings, &query, &headers_of(&browser))
            .await;
        seen.note("settings page after", outcome(&page));
    })
    .await;
}

#[tokio::test]
async fn an_expired_flow_s_page_starts_anew() {
    on_each(
        builder().flow_lifetime(crate::EXPIRING),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let flows = BrowserFlows::new(kratos.frontend());
            let mut browser = Browser::new();
            let start = browser
                .open(&flows.start_url(FlowKind::Login, Some(&format!("{SITE}/welcome"))))
                .await;
            let location = start.location.clone().expect("to the page");
            let query = location
                .split_once('?')
                .map(|(_, q)| q.to_string())
                .unwrap_or_default();
            crate::wait_for_expiry().await;
            // The page's own query keeps return_to when Kratos's redirect has it.
            let query = format!("{query}&return_to={SITE}/welcome");
            let page = flows
                .page(FlowKind::Login, &query, &headers_of(&browser))
                .await;
            seen.note("expired login page", outcome(&page));
        },
    )
    .await;
}
