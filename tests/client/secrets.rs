//! Session tokens, passwords, cookies and one-time codes never show in
//! `Debug`, `Display` or anywhere down an error's `source()` chain: not in the
//! public types that hold them, not in any kind of error, even when a server
//! sends them back. Bodies quoted in errors are cut short.

use std::sync::Arc;
use std::time::Duration;

use crate::common::raw::{
    read_request, read_whole_request, response, write_counted, Counters, RawServer,
};
use kratos_client::models::{
    RegistrationFlow, Session, SuccessfulNativeLogin, SuccessfulNativeRegistration,
    UpdateRegistrationFlowBody, UpdateRegistrationFlowWithCodeMethod,
    UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::testing::MockKratos;
use kratos_client::{
    Client, Error, FrontendApi, OperationError, Secret, UpdateRegistrationFlowError,
};
use serde_json::{json, Map, Value};
use tokio::net::TcpStream;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

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

    let mut flow: Value =
        serde_json::from_str(&crate::common::fixture("registration_flow.json")).unwrap();
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

/// What one operation's error showed.
struct Row {
    op: &'static str,
    status: Option<u16>,
    /// `Display`, `Debug`, `{:#?}`, the source chain, and the accessors.
    shown: String,
    display_len: usize,
    debug_len: usize,
    /// Kratos's message as `err.generic_error()` gives it, when there is one.
    message: Option<String>,
}

/// The most `Display` of an error may write: README's "Errors" section.
const DISPLAY_BOUND: usize = 1024;
/// The most `Debug` (and `{:#?}`) of an error may write, the `…` of a cut included.
const DEBUG_BOUND: usize = 64 * 1024 + 3;

/// Checks that an error's `Display` and `Debug` stay within the README's bounds.
#[track_caller]
fn assert_bounded(what: &str, row: &Row) {
    assert!(
        row.display_len <= DISPLAY_BOUND,
        "{what}: Display of {} bytes",
        row.display_len
    );
    assert!(
        row.debug_len <= DEBUG_BOUND,
        "{what}: Debug of {} bytes",
        row.debug_len
    );
}

fn row<E: OperationError + std::fmt::Debug + 'static>(
    op: &'static str,
    result: Result<impl std::fmt::Debug, Error<E>>,
) -> Row {
    let err = result.expect_err("the server misbehaves");
    let mut all = shown_error(&err);
    // Every accessor that hands out something the server sent.
    all.push_str(&shown(&err.generic_error()));
    all.push_str(&shown(&err.api()));
    all.push_str(&format!("{:?}", err.error_id()));
    all.push_str(&format!("{:?}", err.replacement_flow_id()));
    if let Some(e) = err.api() {
        all.push_str(&format!("{e}"));
        all.push_str(&shown(&e.error_body()));
    }
    Row {
        op,
        status: err.status().map(|s| s.as_u16()),
        display_len: err.to_string().len(),
        debug_len: format!("{err:?}").len().max(format!("{err:#?}").len()),
        message: err.generic_error().map(|e| e.message.clone()),
        shown: all,
    }
}

/// Sends every operation with every secret it takes to `uri` and returns
/// what each error shows.
async fn every_operation_against(uri: &str) -> Vec<Row> {
    let api = FrontendApi::from_client(
        Client::builder(uri)
            .timeout(Duration::from_millis(400))
            .build()
            .unwrap(),
    );
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
                .session_token(TOKEN)
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
        row(
            "list sessions",
            api.list_my_sessions()
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
        for row in every_operation_against(&server.uri()).await {
            let op = row.op;
            assert_clean(&format!("{what}: {op}"), &row.shown);
            assert!(row.status.is_some(), "{what}: {op} lost the status");
            // Display of the error stays short however big the body.
            assert!(
                row.display_len < 600,
                "{what}: {op}: {} bytes: {}",
                row.display_len,
                row.shown
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
        assert!(
            decoder.contains("invalid type: string, expected"),
            "{decoder}"
        );
        assert_clean("decoder message", decoder);
    }
}

/// A server that answers every request with `answer(request)`, where
/// `request` is the raw request it received (request line, headers with
/// the session token and cookie, body with the password), as text.
async fn echoing_server(answer: fn(&str) -> Vec<u8>) -> RawServer {
    RawServer::start(
        move |mut stream: TcpStream, counters: Arc<Counters>| async move {
            let Some(request) = read_whole_request(&mut stream, &counters).await else {
                return;
            };
            let request = String::from_utf8_lossy(&request).into_owned();
            let _ = write_counted(&mut stream, &counters, &answer(&request)).await;
        },
    )
    .await
}

/// The reason phrase that goes with a status, for a response's status line.
fn status_line(code: u16) -> String {
    let reason = kratos_client::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    format!("{code} {reason}")
}

/// Kratos's error object with the raw request in `message`, `reason`,
/// `debug` and `details` (nested), as a debugging proxy or a Kratos in dev
/// mode might send it.
fn error_object_echoing(code: u16, request: &str) -> String {
    json!({
        "error": {
            "id": "echo", "code": code, "status": "Echo",
            "message": request, "reason": request, "debug": request,
            "details": {"request": request, "nested": {"deeper": [request, {"headers": request}]}}
        },
        "redirect_browser_to": request
    })
    .to_string()
}

/// The error statuses each operation documents (its `DOCUMENTED` list, but
/// for 200), then an undocumented one (the default answer) and the two
/// "try again later" ones.
const STATUSES: &[(&str, &[u16])] = &[
    ("create", &[400, 500, 429, 503]),
    ("get", &[403, 404, 410, 500, 429, 503]),
    ("update", &[303, 400, 410, 422, 500, 429, 503]),
    ("exchange", &[403, 404, 410, 500, 429, 503]),
    ("whoami", &[401, 403, 500, 429, 503]),
    ("list sessions", &[400, 401, 500, 429, 503]),
];

#[tokio::test]
async fn error_objects_echoing_the_request_show_no_secret_at_any_status() {
    for status in [303, 400, 401, 403, 404, 410, 422, 500, 429, 503] {
        static CODE: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        CODE.store(status, std::sync::atomic::Ordering::SeqCst);
        let server = echoing_server(|request| {
            let code = CODE.load(std::sync::atomic::Ordering::SeqCst);
            let body = error_object_echoing(code, request);
            response(&status_line(code), "application/json", "", body.as_bytes())
        })
        .await;
        for row in every_operation_against(&server.uri()).await {
            let (_, documented) = STATUSES.iter().find(|(op, _)| *op == row.op).unwrap();
            if !documented.contains(&status) {
                continue;
            }
            let what = format!("{} answered {status}", row.op);
            assert_eq!(row.status, Some(status), "{what}");
            assert_clean(&what, &row.shown);
            assert_bounded(&what, &row);
            // The echo did arrive, as sent (it is the server's data), and
            // showed blanked; only a 303 carries no body.
            if status != 303 {
                let message = row
                    .message
                    .unwrap_or_else(|| panic!("{what}: no error object: {}", row.shown));
                assert!(
                    message.contains("HTTP/1.1") && message.contains(TOKEN),
                    "{what}: the echo is kept as sent: {message}"
                );
                assert!(row.shown.contains("<redacted>"), "{what}: {}", row.shown);
            }
        }
    }
}

#[tokio::test]
async fn a_flow_sent_back_with_the_request_in_its_messages_shows_no_secret() {
    let server = echoing_server(|request| {
        let mut flow: Value = serde_json::from_str(&crate::common::fixture("registration_flow.json")).unwrap();
        flow["ui"]["messages"] = json!([{"id": 4000001, "type": "error", "text": request, "context": {"reason": request}}]);
        let node = &mut flow["ui"]["nodes"][0];
        node["messages"] = json!([{"id": 4000001, "type": "error", "text": request}]);
        node["attributes"]["value"] = json!(request);
        response("400 Bad Request", "application/json", "", flow.to_string().as_bytes())
    })
    .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let result = api
        .update_registration_flow("f", password_body())
        .session_token(TOKEN)
        .cookie(COOKIE)
        .send()
        .await;
    let Err(Error::Api(UpdateRegistrationFlowError::BadRequest(flow))) = &result else {
        panic!("expected the flow back: {result:?}")
    };
    // The flow is the server's data, kept as sent; showing it blanks what
    // the request carried.
    let messages = flow.messages();
    assert!(!messages.is_empty());
    for message in &messages {
        assert!(
            message.text.text.contains(PASSWORD),
            "{}",
            message.text.text
        );
    }
    assert_clean("flow", &shown(flow));
    assert!(shown(flow).contains("<redacted>"));
    let row = row("update", result);
    assert_clean("flow error", &row.shown);
    assert_bounded("flow error", &row);
}

#[tokio::test]
async fn a_content_type_echoing_the_request_shows_no_secret_and_stays_short() {
    let server = echoing_server(|request| {
        let flat = request.replace("\r\n", " | ");
        let content_type = format!("text/html; charset=utf-8; echo=\"{flat}\"");
        response(
            "502 Bad Gateway",
            &content_type,
            "",
            b"<html>bad gateway</html>",
        )
    })
    .await;
    for row in every_operation_against(&server.uri()).await {
        let what = format!("{}: content type", row.op);
        assert_eq!(row.status, Some(502), "{what}");
        assert_clean(&what, &row.shown);
        assert!(
            row.shown.contains("text/html; charset=utf-8; echo="),
            "{what}: {}",
            row.shown
        );
        assert_bounded(&what, &row);
    }
}

#[tokio::test]
async fn long_values_from_the_server_leave_errors_short() {
    let long = "L".repeat(200 * 1024);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("long content type", response("502 Bad Gateway", &format!("text/html; x={long}"), "", b"<html></html>")),
        ("long message", response("500 Internal Server Error", "application/json", "",
            json!({"error": {"code": 500, "message": long, "id": long}}).to_string().as_bytes())),
        ("long reason", response("500 Internal Server Error", "application/json", "",
            json!({"error": {"code": 500, "message": "m", "reason": long, "debug": long}}).to_string().as_bytes())),
        ("long details", response("500 Internal Server Error", "application/json", "",
            json!({"error": {"code": 500, "message": "m", "details": {"a": long, "b": vec!["x".repeat(300); 2000]}}}).to_string().as_bytes())),
        ("long retry-later message", response("429 Too Many Requests", "application/json", "",
            json!({"error": {"code": 429, "message": long}}).to_string().as_bytes())),
    ];
    for (what, bytes) in cases {
        let server = RawServer::answering(bytes).await;
        for row in every_operation_against(&server.uri()).await {
            let what = format!("{what}: {}", row.op);
            assert!(row.status.is_some(), "{what}");
            assert_bounded(&what, &row);
        }
    }
}

/// Answers 200 with what the request carried, under a field of no
/// particular name: the excerpt of the decode error shows it, blanked.
#[tokio::test]
async fn secrets_a_server_echoes_under_other_names_are_blanked() {
    let server = echoing_server(|request| {
        let answer = json!({"id": 7, "note": request}).to_string();
        response("200 OK", "application/json", "", answer.as_bytes())
    })
    .await;
    for row in every_operation_against(&server.uri()).await {
        assert_clean(&format!("echo: {}", row.op), &row.shown);
        assert_eq!(row.status, Some(200));
        assert!(
            row.shown.contains("<redacted>"),
            "{}: the echo should show, blanked: {}",
            row.op,
            row.shown
        );
    }
}

#[tokio::test]
async fn transport_errors_and_timeouts_do_not_show_secrets() {
    // Nobody listens: the error names the URL, whose query held the codes.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    for row in every_operation_against(&format!("http://{addr}")).await {
        assert_clean(&format!("refused: {}", row.op), &row.shown);
        assert_eq!(row.status, None);
        if row.op == "exchange" {
            assert!(
                row.shown.contains("token-exchange"),
                "the URL is still there: {}",
                row.shown
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
    for row in every_operation_against(&silent.uri()).await {
        assert_clean(&format!("timeout: {}", row.op), &row.shown);
        assert!(row.shown.contains("timed out"), "{}: {}", row.op, row.shown);
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

/// A 400 that sends the registration form back with `password` in the
/// values the app reads: the trait the user typed, a node's label, a
/// message's text.
async fn form_holding(password: &str, email: &str) -> (MockServer, Value) {
    let mut flow: Value =
        serde_json::from_str(&crate::common::fixture("registration_flow.json")).unwrap();
    flow["ui"]["messages"] = json!([{"id": 4000007, "type": "error",
        "text": format!("An account with the same identifier ({email}) exists already. The password is fine.")}]);
    let nodes = flow["ui"]["nodes"].as_array_mut().unwrap();
    let email_node = nodes
        .iter_mut()
        .find(|n| n["attributes"]["name"] == "traits.email")
        .unwrap();
    email_node["attributes"]["value"] = json!(email);
    email_node["meta"]["label"]["text"] = json!(format!("E-Mail ({password} and more)"));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(&flow))
        .mount(&server)
        .await;
    (server, flow)
}

#[tokio::test]
async fn a_password_inside_the_values_of_a_refused_form_leaves_them_as_sent() {
    let cases = [
        // A substring of the trait, standing between dots and at-signs.
        ("example", "ada@example.com"),
        // A substring of message texts ("The password is fine.").
        ("password", "ada@example.com"),
        ("is fine", "ada@example.com"),
        // Equal to the trait.
        ("ada@example.com", "ada@example.com"),
        // One character long.
        ("a", "ada@example.com"),
        // Characters JSON and URL encoding change.
        ("p\"ä &+/%", "p\"ä &+/%@example.com"),
    ];
    for (password, email) in cases {
        let (server, sent) = form_holding(password, email).await;
        let mut traits = Map::new();
        traits.insert("email".into(), json!(email));
        let body = UpdateRegistrationFlowWithPasswordMethod::new(password, traits);
        let api = FrontendApi::new(server.uri()).unwrap();
        let err = api
            .update_registration_flow("f", body)
            .send()
            .await
            .expect_err("the form comes back");
        let what = format!("password {password:?}");
        let Error::Api(UpdateRegistrationFlowError::BadRequest(flow)) = &err else {
            panic!("{what}: {err:?}")
        };
        // Every value is the one the server sent: the flow re-encodes to it.
        let input = flow
            .inputs_for("password")
            .into_iter()
            .find(|input| input.name == "traits.email")
            .expect("the email field");
        assert_eq!(input.value, Some(&json!(email)), "{what}");
        assert_eq!(
            input.label,
            Some(&*format!("E-Mail ({password} and more)")),
            "{what}"
        );
        assert_eq!(
            serde_json::to_value(flow).unwrap()["ui"],
            sent["ui"],
            "{what}: the form is not as sent"
        );
        assert_eq!(
            flow.errors()[0].text.text,
            sent["ui"]["messages"][0]["text"].as_str().unwrap(),
            "{what}"
        );
        // Showing the error blanks the password where it stands alone (as in
        // the label), and anywhere once it is 8 bytes or longer; a shorter
        // one inside a word is left (else "word" would eat every "password").
        let error_shows = shown_error(&err);
        let alone = format!("({password} and more)");
        assert!(!error_shows.contains(&alone), "{what} shows: {error_shows}");
        assert!(!shown(flow).contains(&alone), "{what}");
        if password.len() >= 8 {
            assert!(
                !error_shows.contains(password),
                "{what} shows: {error_shows}"
            );
        }
    }
}
