//! `kratos_client::browser` on MockKratos: which cookies reach Kratos, what
//! a page does when Kratos is down, and the HTML of a form (escaped, field
//! messages in place, no password written back, every node type).
//! Their journeys against a real Kratos are in `tests/journeys/browser.rs`.

use crate::common::browser::{csrf_of, query_of, Browser};
use kratos_client::browser::{html, BrowserFlows, FlowKind, FlowPage};
use kratos_client::models::UiContainer;
use kratos_client::testing::MockKratos;
use kratos_client::{Error, HeaderMap};
use serde_json::json;

const SITE: &str = "http://127.0.0.1:4455";

async fn mock() -> MockKratos {
    MockKratos::builder()
        .ui_urls(SITE)
        .allowed_return_urls([format!("{SITE}/")])
        .start()
        .await
}

fn headers(cookie: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    headers
}

#[tokio::test]
async fn only_kratos_s_cookies_reach_kratos_and_none_of_the_app_s() {
    let kratos = mock().await;
    let flows = BrowserFlows::new(kratos.frontend());
    let mut browser = Browser::new();
    let start = browser.open(&flows.start_url(FlowKind::Login, None)).await;
    let id = query_of(start.location.as_deref().unwrap(), "flow").unwrap();
    let cookie = format!(
        "theme=dark; {}; analytics=abc; ory_kratos_continuity=c",
        browser.cookie_header()
    );
    let page = flows
        .page(FlowKind::Login, &format!("?flow={id}"), &headers(&cookie))
        .await
        .unwrap();
    assert!(matches!(page, FlowPage::Show { .. }), "{page:?}");
    let requests = kratos.received_requests().await;
    let fetch = requests
        .iter()
        .rev()
        .find(|r| r.url.path() == "/self-service/login/flows")
        .unwrap();
    let sent = fetch.header("cookie").unwrap();
    assert!(sent.starts_with("csrf_token_"), "{sent}");
    assert!(sent.ends_with("; ory_kratos_continuity=c"), "{sent}");
    assert!(
        !sent.contains("theme") && !sent.contains("analytics"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_page_fails_when_kratos_is_down_and_never_restarts_in_a_loop() {
    let kratos = mock().await;
    let flows = BrowserFlows::new(kratos.frontend());
    kratos.set_unavailable(true);
    let page = flows
        .page(
            FlowKind::Login,
            "flow=8f3b0c2e-1111-4b8e-9a51-1d2b3c4d5e6f",
            &HeaderMap::new(),
        )
        .await;
    assert!(matches!(page, Err(Error::RetryLater { .. })), "{page:?}");
    // Without a flow id nothing is asked: the page starts the flow.
    let page = flows
        .page(FlowKind::Login, "", &HeaderMap::new())
        .await
        .unwrap();
    assert!(matches!(page, FlowPage::Redirect { because: None, .. }));
}

#[tokio::test]
async fn a_rendered_form_escapes_what_the_user_sent_and_never_writes_back_a_password() {
    let kratos = mock().await;
    let flows = BrowserFlows::new(kratos.frontend());
    let mut browser = Browser::new();
    let start = browser
        .open(&flows.start_url(FlowKind::Registration, None))
        .await;
    let id = query_of(start.location.as_deref().unwrap(), "flow").unwrap();
    let FlowPage::Show { flow, .. } = flows
        .page(
            FlowKind::Registration,
            &format!("flow={id}"),
            &headers(&browser.cookie_header()),
        )
        .await
        .unwrap()
    else {
        panic!("a flow");
    };
    let ui = serde_json::to_value(flow.ui()).unwrap();
    let csrf = csrf_of(&json!({ "ui": ui }));
    let hostile = "\"><script>alert(1)</script>";
    browser
        .post_form(
            &flow.ui().action,
            &[
                ("csrf_token", &csrf),
                ("method", "password"),
                ("traits.email", "not-an-address"),
                ("traits.name", hostile),
                ("password", "secret-password-1"),
            ],
        )
        .await;
    let FlowPage::Show { flow, .. } = flows
        .page(
            FlowKind::Registration,
            &format!("flow={id}"),
            &headers(&browser.cookie_header()),
        )
        .await
        .unwrap()
    else {
        panic!("a flow");
    };
    let form = html::form(flow.ui());
    assert!(!form.contains("<script>alert"), "{form}");
    assert!(
        form.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{form}"
    );
    assert!(!form.contains("secret-password-1"));
    // The message for the address sits with its field.
    let email = form.split("name=\"traits.email\"").nth(1).unwrap();
    let next_field = email
        .find("<div class=\"kratos-node\"")
        .unwrap_or(email.len());
    assert!(
        email[..next_field].contains("kratos-message-error\" data-id=\"4000"),
        "{form}"
    );
    assert!(form.contains(&format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">"
    )));
}

#[test]
fn every_node_type_renders_and_unknown_ones_are_left_out() {
    let ui: UiContainer = serde_json::from_value(json!({
        "action": "https://auth.example.com/self-service/settings?flow=1&x=<y>",
        "method": "POST",
        "messages": [{"id": 1050001, "text": "Saved & done", "type": "success"}],
        "nodes": [
            {"type": "img", "group": "totp", "attributes": {"node_type": "img", "id": "totp_qr", "src": "data:image/png;base64,AAAA", "width": 256, "height": 256}, "messages": [], "meta": {"label": {"id": 1050005, "text": "Authenticator app QR code", "type": "info"}}},
            {"type": "text", "group": "lookup_secret", "attributes": {"node_type": "text", "id": "lookup_secret_codes", "text": {"id": 1050015, "text": "a1b2, c3d4", "type": "info", "context": {"secrets": [{"id": 1050009, "text": "a1b2", "type": "info"}, {"id": 1050009, "text": "c3d4", "type": "info"}]}}}, "messages": [], "meta": {}},
            {"type": "a", "group": "code", "attributes": {"node_type": "a", "id": "continue", "href": "https://app.example.com/?a=1&b=2", "title": {"id": 1070009, "text": "Continue", "type": "info"}}, "messages": [], "meta": {}},
            {"type": "script", "group": "webauthn", "attributes": {"node_type": "script", "id": "webauthn_script", "src": "https://auth.example.com/.well-known/ory/webauthn.js", "type": "text/javascript", "integrity": "sha512-x", "crossorigin": "anonymous", "referrerpolicy": "no-referrer", "nonce": "n", "async": true}, "messages": [], "meta": {}},
            {"type": "input", "group": "profile", "attributes": {"node_type": "input", "name": "traits.newsletter", "type": "checkbox", "value": true, "disabled": false}, "messages": [], "meta": {"label": {"id": 1070002, "text": "Newsletter", "type": "info"}}},
            {"type": "input", "group": "oidc", "attributes": {"node_type": "input", "name": "provider", "type": "submit", "value": "google", "disabled": false}, "messages": [], "meta": {"label": {"id": 1040002, "text": "Sign up with Google", "type": "info"}}},
            {"type": "input", "group": "password", "attributes": {"node_type": "input", "name": "method", "type": "submit", "value": "password", "disabled": false}, "messages": [], "meta": {"label": {"id": 1040001, "text": "Sign up", "type": "info"}}},
            {"type": "div", "group": "captcha", "attributes": {"node_type": "div", "id": "captcha", "class": "box", "data": {"sitekey": "k\"1"}}, "messages": [], "meta": {}},
            {"type": "hologram", "group": "future", "attributes": {"node_type": "hologram", "id": "h"}, "messages": [], "meta": {}}
        ]
    }))
    .unwrap();
    let form = html::form(&ui);
    assert!(form.starts_with("<form class=\"kratos-form\" action=\"https://auth.example.com/self-service/settings?flow=1&amp;x=&lt;y&gt;\" method=\"POST\">"), "{form}");
    assert!(form.contains("<li class=\"kratos-message kratos-message-success\" data-id=\"1050001\">Saved &amp; done</li>"));
    assert!(form.contains("<img id=\"totp_qr\" src=\"data:image/png;base64,AAAA\" width=\"256\" height=\"256\" alt=\"Authenticator app QR code\">"));
    assert!(form.contains("<li><code>a1b2</code></li><li><code>c3d4</code></li>"));
    assert!(form.contains("<a class=\"kratos-link\" id=\"continue\" href=\"https://app.example.com/?a=1&amp;b=2\">Continue</a>"));
    assert!(form.contains("integrity=\"sha512-x\"") && form.contains(" async></script>"));
    assert!(form.contains(
        "<input type=\"checkbox\" name=\"traits.newsletter\" value=\"true\" checked> Newsletter"
    ));
    assert!(
        form.contains("<div id=\"captcha\" class=\"box\" data-sitekey=\"k&quot;1\"></div>"),
        "{form}"
    );
    assert!(!form.contains("hologram") && !form.contains("id=\"h\""));
    // A provider's button submits without the form's required fields.
    assert!(form.contains(
        "<button class=\"kratos-button\" type=\"submit\" name=\"provider\" value=\"google\" formnovalidate>Sign up with Google</button>"
    ), "{form}");
    assert!(form.contains(
        "<button class=\"kratos-button\" type=\"submit\" name=\"method\" value=\"password\">Sign up</button>"
    ));
    assert!(form.ends_with("</form>"));
}

#[tokio::test]
async fn a_page_s_debug_shows_no_csrf_token_or_cookie() {
    let kratos = mock().await;
    let flows = BrowserFlows::new(kratos.frontend());
    let mut browser = Browser::new();
    let start = browser.open(&flows.start_url(FlowKind::Login, None)).await;
    let id = query_of(start.location.as_deref().unwrap(), "flow").unwrap();
    let cookie = browser.cookie_header();
    let page = flows
        .page(FlowKind::Login, &format!("flow={id}"), &headers(&cookie))
        .await
        .unwrap();
    let FlowPage::Show { flow, .. } = &page else {
        panic!("a flow");
    };
    let csrf = csrf_of(&json!({ "ui": serde_json::to_value(flow.ui()).unwrap() }));
    assert!(!csrf.is_empty());
    let debug = format!("{page:?} {flows:?}");
    assert!(!debug.contains(&csrf), "{debug}");
    let value = cookie.split('=').nth(1).unwrap_or_default();
    assert!(!debug.contains(value), "{debug}");
}
