//! Session tokens, passwords, cookies and one-time codes never show in
//! `Debug`, `Display` or anywhere down an error's `source()` chain: not in the
//! public types that hold them, not in any kind of error, even when a server
//! sends them back. Bodies quoted in errors are cut short.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::raw::{read_request, response, write_counted, Counters, RawServer};
use kratos_client::models::{
    RegistrationFlow, Session, SuccessfulNativeLogin, SuccessfulNativeRegistration,
    UpdateRegistrationFlowBody, UpdateRegistrationFlowWithCodeMethod,
    UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::testing::MockKratos;
use kratos_client::{Client, Error, FrontendApi, OperationError, Secret};
use serde_json::{json, Map, Value};
use tokio::net::TcpStream;

const TOKEN: &str = "ory_st_S3cr3tT0k3nNeverPrinted";
const PASSWORD: &str = "Pa55w0rd-never-printed";
const COOKIE: &str = "ory_kratos_session=C00kieNeverPrinted";
const INIT_CODE: &str = "InitC0deNeverPrinted";
const RETURN_CODE: &str = "ReturnC0deNeverPrinted";
const EXCHANGE_CODE: &str = "ExchangeC0deNeverPrinted";
const OTP: &str = "482913";
const SECRETS: &[&str] = &[
    TOKEN,
    PASSWORD,
    COOKIE,
    "C00kieNeverPrinted",
    INIT_CODE,
    RETURN_CODE,
    EXCHANGE_CODE,
];

/// Everything a value shows: `Debug` and pretty `Debug`.
fn shown<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}\n{value:#?}")
}

/// Everything an error shows: `Display`, `Debug`, and both for each source.
fn shown_error(err: &(dyn std::error::Error + 'static)) -> String {
    let mut all = format!("{err}\n{err:?}\n{err:#?}");
    let mut source = err.source();
    while let Some(s) = source {
        all.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    all
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret:?}:\n{text}");
    }
}

fn traits() -> Map<String, Value> {
    json!({"email": "ada@example.com"})
        .as_object()
        .cloned()
        .unwrap()
}

fn password_body() -> UpdateRegistrationFlowWithPasswordMethod {
    UpdateRegistrationFlowWithPasswordMethod::new(PASSWORD, traits())
}

#[test]
fn types_that_hold_secrets_do_not_show_them() {
    assert_clean("Secret", &shown(&Secret::from(TOKEN)));

    let api = FrontendApi::new("http://127.0.0.1:9").unwrap();
    assert_clean(
        "CreateNativeRegistrationFlow",
        &shown(&api.create_native_registration_flow().session_token(TOKEN)),
    );
    assert_clean(
        "GetRegistrationFlow",
        &shown(
            &api.get_registration_flow("f")
                .session_token(TOKEN)
                .cookie(COOKIE),
        ),
    );
    assert_clean(
        "UpdateRegistrationFlow",
        &shown(
            &api.update_registration_flow("f", password_body())
                .session_token(TOKEN)
                .cookie(COOKIE),
        ),
    );
    assert_clean(
        "ExchangeSessionToken",
        &shown(
            &api.exchange_session_token(INIT_CODE, RETURN_CODE)
                .session_token(TOKEN),
        ),
    );
    assert_clean(
        "ToSession",
        &shown(&api.to_session().session_token(TOKEN).cookie(COOKIE)),
    );

    assert_clean("password method", &shown(&password_body()));
    assert_clean(
        "body",
        &shown(&UpdateRegistrationFlowBody::from(password_body())),
    );
    let mut code = UpdateRegistrationFlowWithCodeMethod::new(traits());
    code.code = Some(OTP.into());
    assert!(!shown(&code).contains(OTP), "{}", shown(&code));

    // Answers that carry tokens.
    let session_json = json!({
        "id": "s1", "tokenized": format!("eyJhbGciOi.{TOKEN}"),
        "identity": {"id": "i1", "schema_id": "default", "schema_url": "u", "traits": {}}
    });
    let session: Session = serde_json::from_value(session_json.clone()).unwrap();
    assert_clean("Session", &shown(&session));
    let registered: SuccessfulNativeRegistration = serde_json::from_value(json!({
        "session_token": TOKEN,
        "session": session_json,
        "identity": {"id": "i1", "schema_id": "default", "schema_url": "u", "traits": {}},
        "continue_with": [{"action": "set_ory_session_token", "ory_session_token": TOKEN}]
    }))
    .unwrap();
    assert_eq!(
        registered.session_token.as_deref(),
        Some(TOKEN),
        "kept, just not shown"
    );
    assert_clean("SuccessfulNativeRegistration", &shown(&registered));
    let login: SuccessfulNativeLogin =
        serde_json::from_value(json!({"session_token": TOKEN, "session": {"id": "s1"}})).unwrap();
    assert_clean("SuccessfulNativeLogin", &shown(&login));

    let mut flow: Value = serde_json::from_str(&common::fixture("registration_flow.json")).unwrap();
    flow["session_token_exchange_code"] = json!(EXCHANGE_CODE);
    let flow: RegistrationFlow = serde_json::from_value(flow).unwrap();
    assert_clean("RegistrationFlow", &shown(&flow));
}

#[tokio::test]
async fn the_mock_and_the_client_do_not_show_secrets() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let done = api
        .update_registration_flow(&flow.id, password_body())
        .send()
        .await
        .unwrap();
    let token = done.session_token.clone().unwrap();
    for text in [
        shown(&kratos),
        shown(&api),
        shown(api.client()),
        shown(&done),
    ] {
        assert!(!text.contains(&token), "{text}");
        assert_clean("mock", &text);
    }
}

/// Sends every operation with every secret it takes to `uri` and returns
/// what each error shows.
async fn every_operation_against(uri: &str) -> Vec<(&'static str, Option<u16>, String)> {
    let api = FrontendApi::from_client(
        Client::builder(uri)
            .timeout(Duration::from_millis(400))
            .build()
            .unwrap(),
    );
    fn row<E: OperationError + 'static>(
        name: &'static str,
        result: Result<impl std::fmt::Debug, Error<E>>,
    ) -> (&'static str, Option<u16>, String) {
        let err = result.expect_err("the server misbehaves");
        let status = err.status().map(|s| s.as_u16());
        (name, status, shown_error(&err))
    }
    vec![
        row(
            "create",
            api.create_native_registration_flow()
                .session_token(TOKEN)
                .send()
                .await,
        ),
        row(
            "get",
            api.get_registration_flow("f")
                .session_token(TOKEN)
                .cookie(COOKIE)
                .send()
                .await,
        ),
        row(
            "update",
            api.update_registration_flow("f", password_body())
                .session_token(TOKEN)
                .cookie(COOKIE)
                .send()
                .await,
        ),
        row(
            "exchange",
            api.exchange_session_token(INIT_CODE, RETURN_CODE)
                .send()
                .await,
        ),
        row(
            "whoami",
            api.to_session()
                .session_token(TOKEN)
                .cookie(COOKIE)
                .send()
                .await,
        ),
    ]
}

/// A body that sends every secret back, under the names Kratos uses for
/// them; its numeric `id` makes it decode as no answer of any operation.
fn echo_body() -> String {
    json!({
        "id": 7,
        "session_token": TOKEN, "password": PASSWORD, "init_code": INIT_CODE,
        "return_to_code": RETURN_CODE, "session_token_exchange_code": EXCHANGE_CODE,
        "ory_session_token": TOKEN, "zz_padding": "x".repeat(5000)
    })
    .to_string()
}

#[tokio::test]
async fn no_error_shows_a_secret_even_when_the_server_sends_it_back() {
    let echo = echo_body();
    let error_echo = json!({"error": {"message": "no", "code": 500}, "session_token": TOKEN, "init_code": INIT_CODE}).to_string();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "decode error (200, not the documented shape)",
            response("200 OK", "application/json", "", echo.as_bytes()),
        ),
        (
            "documented error with secrets beside it",
            response(
                "500 Internal Server Error",
                "application/json",
                "",
                error_echo.as_bytes(),
            ),
        ),
        (
            "unexpected status (redirect)",
            response(
                "302 Found",
                "application/json",
                "location: http://elsewhere.example/\r\n",
                echo.as_bytes(),
            ),
        ),
        (
            "retry later",
            response(
                "429 Too Many Requests",
                "application/json",
                "retry-after: 5\r\n",
                echo.as_bytes(),
            ),
        ),
        (
            "unexpected content type",
            response("502 Bad Gateway", "text/plain", "", echo.as_bytes()),
        ),
        ("cut-off JSON", {
            let mut r = response("200 OK", "application/json", "", echo.as_bytes());
            let keep = r.len() - echo.len() + 40;
            r.truncate(keep);
            r
        }),
        (
            "body too large",
            response(
                "200 OK",
                "application/json",
                "",
                &vec![b' '; 5 * 1024 * 1024],
            ),
        ),
    ];
    for (what, bytes) in cases {
        let server = RawServer::answering(bytes).await;
        for (op, status, text) in every_operation_against(&server.uri()).await {
            assert_clean(&format!("{what}: {op}"), &text);
            assert!(status.is_some(), "{what}: {op} lost the status");
            // Display of the error and its sources stays short however big the body.
            let display = text.lines().next().unwrap_or("");
            assert!(
                display.len() < 600,
                "{what}: {op}: {} bytes: {display}",
                display.len()
            );
        }
    }
}

#[test]
fn decoder_messages_do_not_quote_the_values_they_reject() {
    use kratos_client::operations::{CreateNativeRegistrationFlow, ExchangeSessionToken};
    let mut headers = kratos_client::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let body = json!({"id": "x", "ui": TOKEN, "session": TOKEN}).to_string();
    let errors = [
        CreateNativeRegistrationFlow::decode_response(
            200.try_into().unwrap(),
            &headers,
            body.as_bytes(),
        )
        .map(|_| ())
        .unwrap_err()
        .to_string(),
        ExchangeSessionToken::decode_response(200.try_into().unwrap(), &headers, body.as_bytes())
            .map(|_| ())
            .unwrap_err()
            .to_string(),
    ];
    for err in errors {
        // The decoder's part of the message, before the excerpt.
        let (decoder, _excerpt) = err.split_once("): ").unwrap();
        assert!(decoder.contains("invalid type: string \"…\""), "{decoder}");
        assert_clean("decoder message", decoder);
    }
}

/// Answers with what the request carried (its request line, session token,
/// cookie and body) in a field of no particular name.
async fn echoing_server() -> RawServer {
    RawServer::start(
        |mut stream: TcpStream, _counters: Arc<Counters>| async move {
            use tokio::io::AsyncReadExt;
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") {
                if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                    return;
                }
                request.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&request).to_string();
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with(name)
                            .then(|| l[name.len()..].trim().to_string())
                    })
                    .unwrap_or_default()
            };
            let length: usize = header("content-length:").parse().unwrap_or(0);
            let mut body = vec![0u8; length];
            let _ = stream.read_exact(&mut body).await;
            let note = format!(
                "{} | {} | {} | {}",
                head.lines().next().unwrap_or(""),
                header("x-session-token:"),
                header("cookie:"),
                String::from_utf8_lossy(&body)
            );
            let answer = json!({"id": 7, "note": note}).to_string();
            let _ = write_counted(
                &mut stream,
                &Counters::default(),
                &response("200 OK", "application/json", "", answer.as_bytes()),
            )
            .await;
        },
    )
    .await
}

#[tokio::test]
async fn secrets_a_server_echoes_under_other_names_are_blanked() {
    let server = echoing_server().await;
    for (op, status, text) in every_operation_against(&server.uri()).await {
        assert_clean(&format!("echo: {op}"), &text);
        assert_eq!(status, Some(200));
        assert!(
            text.contains("<redacted>"),
            "{op}: the echo should show, blanked: {text}"
        );
    }
}

#[tokio::test]
async fn transport_errors_and_timeouts_do_not_show_secrets() {
    // Nobody listens: the error names the URL, whose query held the codes.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    for (op, status, text) in every_operation_against(&format!("http://{addr}")).await {
        assert_clean(&format!("refused: {op}"), &text);
        assert_eq!(status, None);
        if op == "exchange" {
            assert!(
                text.contains("token-exchange"),
                "the URL is still there: {text}"
            );
        }
    }
    // A server that never answers.
    let silent = RawServer::start(
        |mut stream: TcpStream, counters: Arc<Counters>| async move {
            read_request(&mut stream, &counters).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    for (op, _, text) in every_operation_against(&silent.uri()).await {
        assert_clean(&format!("timeout: {op}"), &text);
        assert!(text.contains("timed out"), "{op}: {text}");
    }
}

#[tokio::test]
async fn unusable_secrets_are_refused_without_quoting_them() {
    let api = FrontendApi::new("http://127.0.0.1:9").unwrap();
    let bad = format!("{TOKEN}\r\nX-Injected: 1");
    let err = api
        .create_native_registration_flow()
        .session_token(bad.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_clean("invalid token", &shown_error(&err));
    let err = api
        .to_session()
        .cookie(format!("{COOKIE}\n"))
        .send()
        .await
        .unwrap_err();
    assert_clean("invalid cookie", &shown_error(&err));
}
