//! `kratos_client::axum` in a real axum router served over TCP: what each
//! extractor answers for each outcome (status, JSON body, redirect), the
//! session cookie Kratos refreshes reaching the browser, one whoami for
//! many requests, and failing closed when Kratos is down. The backend
//! example's own router is the one under test where it fits.

#[path = "../../examples/backend.rs"]
#[allow(dead_code)]
mod backend;

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use kratos_client::axum::{Session, SessionLayer, SessionRejection};
use kratos_client::session::{Refusal, SessionValidator};
use kratos_client::testing::MockKratos;
use kratos_client::FrontendApi;
use serde_json::{json, Value};
use url::Url;

/// Serves `app` on a free port of 127.0.0.1; its address.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    // Building one of the crate's clients installs the TLS provider a bare
    // reqwest client needs.
    FrontendApi::new("http://127.0.0.1").unwrap();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_with(base: &str, path: &str, header: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = client().get(format!("{base}{path}"));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The backend example on a mock with its demo user signed in; the mock,
/// the example's address and the demo user's token.
async fn example() -> (MockKratos, String, String) {
    let kratos = MockKratos::start().await;
    let token = backend::demo_session(&kratos).await.unwrap();
    let validator = backend::validator(kratos.frontend(), Duration::from_secs(60));
    let base = serve(backend::app(validator)).await;
    (kratos, base, token)
}

#[tokio::test]
async fn the_example_answers_each_route_for_each_credential() {
    let (kratos, base, token) = example().await;
    let session = kratos
        .frontend()
        .to_session()
        .session_token(token.as_str())
        .send()
        .await
        .unwrap();
    let me = json!({
        "identity_id": session.identity.as_ref().unwrap().id,
        "session_id": session.id,
        "aal": "aal1",
    });
    let calls = kratos.whoami_calls();

    let (status, body) = get_with(&base, "/", None).await;
    assert_eq!((status, body), (200, json!("public: no session needed\n")));

    for header in [
        ("x-session-token", token.clone()),
        ("authorization", format!("Bearer {token}")),
        ("cookie", format!("theme=dark; ory_kratos_session={token}")),
    ] {
        let (status, body) = get_with(&base, "/me", Some((header.0, &header.1))).await;
        assert_eq!((status, &body), (200, &me), "by {}", header.0);
    }

    let (status, body) = get_with(&base, "/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["id"], "session_inactive");
    assert_eq!(body["error"]["code"], 401);
    let (status, body) = get_with(&base, "/me", Some(("x-session-token", "ory_st_unknown"))).await;
    assert_eq!(
        (status, &body["error"]["id"]),
        (401, &json!("session_inactive"))
    );
    let (status, body) = get_with(&base, "/me", Some(("cookie", "theme=dark"))).await;
    assert_eq!(status, 401, "the app's own cookies are no session: {body}");

    // The demo user signed in with a password only.
    let (status, body) = get_with(&base, "/secure", Some(("x-session-token", &token))).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["id"], "session_aal2_required");
    assert_eq!(
        body["redirect_browser_to"],
        format!("{}/self-service/login/browser?aal=aal2", kratos.uri())
    );
    assert_eq!(
        body["error"]["details"]["redirect_browser_to"],
        body["redirect_browser_to"]
    );
    let (status, _) = get_with(&base, "/secure", None).await;
    assert_eq!(status, 401);

    // One whoami per credential: the token (by header, as a bearer and for
    // /secure), the cookie, the unknown token.
    assert_eq!(kratos.whoami_calls() - calls, 3);
}

#[tokio::test]
async fn kratos_unavailable_is_a_503_on_every_route_that_reads_the_session() {
    let (kratos, base, token) = example().await;
    kratos.set_unavailable(true);
    for path in ["/me", "/secure"] {
        let (status, body) = get_with(&base, path, Some(("x-session-token", &token))).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["error"]["code"], 503);
        assert!(body["error"].get("id").is_none(), "not one of Kratos's ids");
        assert!(!body.to_string().contains(&token), "no token in {body}");
    }
    // A public route does not depend on Kratos.
    assert_eq!(get_with(&base, "/", None).await.0, 200);
    // Nothing was cached while it was down.
    kratos.set_unavailable(false);
    assert_eq!(
        get_with(&base, "/me", Some(("x-session-token", &token)))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn kratos_slower_than_the_timeout_is_a_503() {
    let kratos = MockKratos::start().await;
    let token = backend::demo_session(&kratos).await.unwrap();
    kratos.set_delay(Some(Duration::from_secs(2)));
    let validator = SessionValidator::builder(kratos.frontend())
        .timeout(Duration::from_millis(200))
        .build();
    let base = serve(backend::app(validator)).await;
    let started = std::time::Instant::now();
    let (status, _) = get_with(&base, "/me", Some(("x-session-token", &token))).await;
    assert_eq!(status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_requests_in_flight_with_one_token_send_one_whoami() {
    let kratos = MockKratos::start().await;
    let token = backend::demo_session(&kratos).await.unwrap();
    kratos.set_delay(Some(Duration::from_millis(300)));
    let validator = backend::validator(kratos.frontend(), Duration::from_secs(60));
    let base = serve(backend::app(validator)).await;
    let requests = (0..64).map(|_| get_with(&base, "/me", Some(("x-session-token", &token))));
    let answers = futures_util::future::join_all(requests).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert_eq!(kratos.whoami_calls(), 1);
}

/// A stand-in Kratos whose whoami answers a live session and refreshes the
/// session cookie, as Kratos does when the browser's cookie expires before
/// the session.
async fn refreshing_kratos() -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    let session = json!({
        "id": "8f3b0c2e-1111-4b8e-9a51-1d2b3c4d5e6f",
        "active": true,
        "authenticator_assurance_level": "aal2",
        "expires_at": "2999-01-01T00:00:00Z",
        "identity": {
            "id": "0a1b2c3d-2222-4e5f-8a9b-0c1d2e3f4a5b",
            "schema_id": "default",
            "schema_url": "http://127.0.0.1/schemas/ZGVmYXVsdA",
            "traits": {"email": "ada@example.com"}
        }
    });
    wiremock::Mock::given(method("GET"))
        .and(path("/sessions/whoami"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(session)
                .append_header(
                    "set-cookie",
                    "ory_kratos_session=refreshed; Path=/; HttpOnly; SameSite=Lax",
                ),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_cookie_kratos_refreshes_reaches_the_browser_once() {
    let kratos = refreshing_kratos().await;
    let validator = SessionValidator::builder(FrontendApi::new(kratos.uri()).unwrap()).build();
    let base = serve(backend::app(validator)).await;
    let ask = || async {
        client()
            .get(format!("{base}/secure"))
            .header("cookie", "ory_kratos_session=old")
            .send()
            .await
            .unwrap()
    };
    let first = ask().await;
    assert_eq!(first.status(), 200, "an aal2 session passes /secure");
    let cookies: Vec<_> = first.headers().get_all("set-cookie").iter().collect();
    assert_eq!(
        cookies,
        ["ory_kratos_session=refreshed; Path=/; HttpOnly; SameSite=Lax"]
    );
    // The cached answer has no refresh of its own to relay.
    let second = ask().await;
    assert_eq!(second.status(), 200);
    assert!(second.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn a_redirecting_layer_sends_browsers_to_sign_in_with_return_to() {
    let kratos = MockKratos::start().await;
    let token = backend::demo_session(&kratos).await.unwrap();
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let login = Url::parse("https://app.example.com/login?source=nav").unwrap();
    let site = Url::parse("https://app.example.com/").unwrap();
    let pages = SessionLayer::new(validator.clone()).redirect_to_login(login, site);
    let app = Router::new()
        .route("/account", get(|s: Session| async move { s.id.clone() }))
        .route(
            "/vault",
            get(|s: kratos_client::axum::Aal2Session| async move { s.id.clone() }),
        )
        .layer(pages);
    let base = serve(app).await;

    let response = client()
        .get(format!("{base}/account?tab=keys&x=a%20b"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://app.example.com/login?source=nav&return_to=https%3A%2F%2Fapp.example.com%2Faccount%3Ftab%3Dkeys%26x%3Da%2520b"
    );

    let response = client()
        .get(format!("{base}/vault"))
        .header("x-session-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "below aal2");
    assert_eq!(
        response.headers()["location"],
        format!(
            "{}/self-service/login/browser?aal=aal2&return_to=https%3A%2F%2Fapp.example.com%2Fvault",
            kratos.uri()
        )
        .as_str()
    );

    kratos.set_unavailable(true);
    let response = client()
        .get(format!("{base}/account"))
        .header("x-session-token", "ory_st_other")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "an outage is not a sign-in page");
}

#[tokio::test]
async fn nested_layers_check_once_and_the_inner_one_decides_the_answer() {
    let kratos = MockKratos::start().await;
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let login = Url::parse("https://app.example.com/login").unwrap();
    let site = Url::parse("https://app.example.com/").unwrap();
    let pages = Router::new()
        .route("/page", get(|s: Session| async move { s.id.clone() }))
        .route_layer(SessionLayer::new(validator.clone()).redirect_to_login(login, site));
    let app = Router::new()
        .route("/api", get(|s: Session| async move { s.id.clone() }))
        .merge(pages)
        .layer(SessionLayer::new(validator));
    let base = serve(app).await;
    let unknown = Some(("x-session-token", "ory_st_unknown"));
    assert_eq!(get_with(&base, "/api", unknown).await.0, 401);
    assert_eq!(get_with(&base, "/page", unknown).await.0, 303);
    assert_eq!(
        kratos.whoami_calls(),
        2,
        "one whoami per request, not per layer"
    );
}

#[tokio::test]
async fn optional_and_fallible_extractors() {
    let kratos = MockKratos::start().await;
    let token = backend::demo_session(&kratos).await.unwrap();
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let app =
        Router::new()
            .route(
                "/optional",
                get(|s: Option<Session>| async move {
                    s.map_or("anonymous".to_string(), |s| s.id.clone())
                }),
            )
            .route(
                "/option",
                get(|s: Option<Session>| async move { s.is_some().to_string() }),
            )
            .route(
                "/result",
                get(|s: Result<Session, SessionRejection>| async move {
                    match s {
                        Ok(_) => "signed in".to_string(),
                        Err(rejection) => match rejection.refusal() {
                            Some(Refusal::NoCredentials) => "no credentials".into(),
                            Some(Refusal::Refused { .. }) => "refused".into(),
                            Some(Refusal::Unavailable { .. }) => "unavailable".into(),
                            other => format!("{other:?}"),
                        },
                    }
                }),
            )
            .layer(SessionLayer::new(validator));
    let base = serve(app).await;
    let text = |path: &'static str, token: Option<&str>| {
        let base = base.clone();
        let token = token.map(str::to_string);
        async move {
            let mut request = client().get(format!("{base}{path}"));
            if let Some(token) = token {
                request = request.header("x-session-token", token);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(text("/optional", None).await, (200, "anonymous".into()));
    assert_eq!(
        text("/optional", Some("ory_st_unknown")).await,
        (200, "anonymous".into())
    );
    assert_eq!(text("/optional", Some(&token)).await.0, 200);
    assert_ne!(text("/optional", Some(&token)).await.1, "anonymous");
    assert_eq!(text("/option", None).await, (200, "false".into()));
    assert_eq!(text("/option", Some(&token)).await, (200, "true".into()));
    assert_eq!(text("/result", None).await, (200, "no credentials".into()));
    assert_eq!(
        text("/result", Some("ory_st_unknown")).await,
        (200, "refused".into())
    );
    assert_eq!(
        text("/result", Some(&token)).await,
        (200, "signed in".into())
    );

    // Kratos down: optional extractors do not pretend the user is signed out.
    kratos.set_unavailable(true);
    let other = "ory_st_not_cached";
    assert_eq!(text("/optional", Some(other)).await.0, 503);
    assert_eq!(text("/option", Some(other)).await.0, 503);
    assert_eq!(
        text("/result", Some(other)).await,
        (200, "unavailable".into())
    );
    // Without credentials there is nothing to ask Kratos.
    assert_eq!(text("/optional", None).await, (200, "anonymous".into()));
}

#[tokio::test]
async fn an_extractor_without_the_layer_fails_closed_with_500() {
    let app = Router::new().route("/me", get(|s: Session| async move { s.id.clone() }));
    let base = serve(app).await;
    let (status, body) = get_with(&base, "/me", Some(("x-session-token", "ory_st_x"))).await;
    assert_eq!(status, 500);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SessionLayer"));
}

#[tokio::test]
async fn a_rejection_s_debug_leaves_out_the_page_s_query() {
    let kratos = MockKratos::start().await;
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = seen.clone();
    let app = Router::new()
        .route(
            "/verify",
            get(move |s: Result<Session, SessionRejection>| {
                let kept = kept.clone();
                async move {
                    *kept.lock().unwrap() = format!("{:?}", s.err());
                    "ok"
                }
            }),
        )
        .layer(SessionLayer::new(validator));
    let base = serve(app).await;
    get_with(&base, "/verify?code=493817&token=ory_lo_secret", None).await;
    let debug = seen.lock().unwrap().clone();
    assert!(debug.contains("\"/verify\""), "{debug}");
    assert!(
        !debug.contains("493817") && !debug.contains("ory_lo_secret"),
        "{debug}"
    );
}
