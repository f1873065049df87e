//! The client against servers that misbehave. Each case ends in a distinct
//! error value, with the HTTP status whenever one arrived, within the
//! client's time limits: never a panic, never a hang.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::raw::{read_request, response, write_counted, Counters, RawServer};
use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod;
use kratos_client::{
    Client, CreateNativeRegistrationFlowError, Error, FrontendApi, RetryPolicy, StatusCode,
};
use serde_json::error::Category;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ory_st_H0st1leS3rv3rT0k3nV4lu3";
const FLOW_API: &str = "/self-service/registration/api";

type CreateError = Error<CreateNativeRegistrationFlowError>;

/// A client with short limits, so the slow cases stay fast.
fn api(uri: &str) -> FrontendApi {
    Client::builder(uri)
        .timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_millis(300))
        .max_response_bytes(1024 * 1024)
        .build()
        .expect("valid settings")
        .frontend()
}

/// Calls create_native_registration_flow and times it.
async fn create(api: &FrontendApi) -> (CreateError, Duration) {
    let started = Instant::now();
    let err = api
        .create_native_registration_flow()
        .session_token(TOKEN)
        .send()
        .await
        .expect_err("the server misbehaves");
    (err, started.elapsed())
}

fn status(err: &CreateError) -> Option<u16> {
    err.status().map(|s| s.as_u16())
}

// --- Silence and stalls ----------------------------------------------------

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_without_status() {
    let server = RawServer::start(
        |mut stream: TcpStream, counters: Arc<Counters>| async move {
            read_request(&mut stream, &counters).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    let (err, took) = create(&api(&server.uri())).await;
    assert!(
        matches!(err, Error::Timeout { status: None, .. }),
        "{err:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn headers_then_a_stalled_body_is_a_timeout_with_the_status() {
    let server = RawServer::start(|mut stream: TcpStream, counters: Arc<Counters>| async move {
        if read_request(&mut stream, &counters).await {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"id\":";
            write_counted(&mut stream, &counters, head).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let (err, took) = create(&api(&server.uri())).await;
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(status(&err), Some(200));
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn a_connection_that_cannot_open_is_bounded_by_the_connect_timeout() {
    // A listener that never accepts, with its one-place queue filled: the
    // kernel drops further connection attempts, so they hang in SYN-SENT.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(Ok(stream)) =
        tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
    {
        queued.push(stream);
    }

    let api = FrontendApi::from_client(
        Client::builder(format!("http://{addr}"))
            .connect_timeout(Duration::from_millis(300))
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    );
    let (err, took) = create(&api).await;
    assert!(
        took < Duration::from_secs(3),
        "the 20 s request timeout, not the 300 ms connect timeout, ended it: {took:?}"
    );
    // reqwest reports a connect timeout as a timeout that is also a connect error.
    let Error::Timeout {
        status: None,
        source,
        ..
    } = &err
    else {
        panic!("expected a timeout, got {err:?}")
    };
    assert!(source.is_connect(), "{source:?}");
    drop((listener, queued));
}

// --- Too much, too little ----------------------------------------------------

const FIFTY_MIB: usize = 50 * 1024 * 1024;

#[tokio::test]
async fn a_declared_50_mib_body_is_refused_before_reading_it() {
    let server = RawServer::start(|mut stream: TcpStream, counters: Arc<Counters>| async move {
        if read_request(&mut stream, &counters).await {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {FIFTY_MIB}\r\n\r\n");
            write_counted(&mut stream, &counters, head.as_bytes()).await;
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..FIFTY_MIB / chunk.len() {
                if !write_counted(&mut stream, &counters, &chunk).await {
                    break;
                }
            }
        }
    })
    .await;
    let (err, _) = create(&api(&server.uri())).await;
    assert!(
        matches!(err, Error::BodyTooLarge { status, limit, .. } if status == StatusCode::OK && limit == 1024 * 1024),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server.bytes_written() < FIFTY_MIB / 2,
        "{} bytes went out",
        server.bytes_written()
    );
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_at_the_cap() {
    let server = RawServer::start(|mut stream: TcpStream, counters: Arc<Counters>| async move {
        if read_request(&mut stream, &counters).await {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            write_counted(&mut stream, &counters, head).await;
            let data = vec![b'['; 64 * 1024];
            let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
            chunk.extend_from_slice(&data);
            chunk.extend_from_slice(b"\r\n");
            for _ in 0..FIFTY_MIB / data.len() {
                if !write_counted(&mut stream, &counters, &chunk).await {
                    break;
                }
            }
        }
    })
    .await;
    let (err, took) = create(&api(&server.uri())).await;
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
    assert_eq!(status(&err), Some(200));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The cap is 1 MiB; what the sockets buffered on the way is all the rest.
    let sent = server.bytes_written();
    assert!(
        sent < 16 * 1024 * 1024,
        "{sent} bytes went out before the client stopped reading"
    );
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_a_transport_error_with_the_status() {
    let server = RawServer::start(|mut stream: TcpStream, counters: Arc<Counters>| async move {
        if read_request(&mut stream, &counters).await {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"id\": \"only part";
            write_counted(&mut stream, &counters, head).await;
            // Closing here leaves 980-odd bytes unsent.
        }
    })
    .await;
    let (err, _) = create(&api(&server.uri())).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(status(&err), Some(200));
}

#[tokio::test]
async fn a_connection_dropped_mid_chunk_is_a_transport_error_with_the_status() {
    let server = RawServer::start(|mut stream: TcpStream, counters: Arc<Counters>| async move {
        if read_request(&mut stream, &counters).await {
            let bytes = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n100\r\n{\"error\": {\"message\": \"cut";
            write_counted(&mut stream, &counters, bytes).await;
            let _ = stream.shutdown().await;
        }
    })
    .await;
    let (err, _) = create(&api(&server.uri())).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(status(&err), Some(400));
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_a_transport_error_without_status() {
    let server = RawServer::start(
        |mut stream: TcpStream, counters: Arc<Counters>| async move {
            read_request(&mut stream, &counters).await;
        },
    )
    .await;
    let (err, _) = create(&api(&server.uri())).await;
    assert!(
        matches!(err, Error::Transport { status: None, .. }),
        "{err:?}"
    );
}

// --- Bodies that are not what they should be -----------------------------------

/// Every broken body, as a 200 and as a documented error status (400).
#[tokio::test]
async fn bodies_of_the_wrong_kind_are_decode_or_content_type_errors() {
    // Well-formed, deep inside an object. A flow skips the unknown `error`
    // without recursing; an error body reads `details` and stops at the
    // decoder's recursion limit. Neither overflows the stack.
    let deep = format!(
        "{{\"error\": {{\"message\": \"m\", \"details\": {{\"x\": {}{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let mut not_utf8 = b"{\"id\": \"".to_vec();
    not_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    not_utf8.extend_from_slice(b"\"}");
    // Invalid UTF-8 in a string the decoder reads is a syntax error; in one
    // it skips (an unknown field), the decoder goes on and finds the object
    // incomplete. Either way a decode error.
    let cases: Vec<(&str, &str, Vec<u8>, &[&str])> = vec![
        (
            "html",
            "text/html; charset=utf-8",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
            &["content-type"],
        ),
        (
            "plain text",
            "text/plain",
            b"upstream connect error or disconnect/reset before headers".to_vec(),
            &["content-type"],
        ),
        (
            "invalid UTF-8",
            "application/json",
            not_utf8,
            &["syntax", "data"],
        ),
        (
            "JSON nested 100000 deep",
            "application/json",
            deep.into_bytes(),
            &["syntax", "data"],
        ),
        (
            "an array",
            "application/json",
            b"[{\"id\": \"x\"}]".to_vec(),
            &["data"],
        ),
        ("a number", "application/json", b"42".to_vec(), &["data"]),
        (
            "a string",
            "application/json",
            b"\"ok\"".to_vec(),
            &["data"],
        ),
        ("null", "application/json", b"null".to_vec(), &["data"]),
    ];
    for (what, content_type, body, expected) in cases {
        for status_line in ["200 OK", "400 Bad Request"] {
            let code: u16 = status_line[..3].parse().unwrap();
            let server = RawServer::answering(response(status_line, content_type, "", &body)).await;
            let (err, _) = create(&api(&server.uri())).await;
            let kind = match &err {
                Error::UnexpectedContentType { excerpt, .. } => {
                    assert!(excerpt.len() <= 260, "{what}: long excerpt");
                    "content-type"
                }
                Error::Decode {
                    source, excerpt, ..
                } => {
                    assert!(excerpt.len() <= 260, "{what}: long excerpt");
                    match source.classify() {
                        Category::Syntax => "syntax",
                        Category::Data => "data",
                        Category::Eof => "eof",
                        Category::Io => "io",
                    }
                }
                other => panic!("{what} ({code}): unexpected {other:?}"),
            };
            assert!(expected.contains(&kind), "{what} ({code}): {kind}: {err}");
            if what.starts_with("JSON nested") && code == 400 {
                assert!(err.to_string().contains("recursion limit"), "{err}");
            }
            assert_eq!(status(&err), Some(code), "{what}: the status is kept");
        }
    }
}

// --- Redirects -------------------------------------------------------------------

/// Kratos at `a` redirects to `b`, another host (another port here, which
/// is another origin just the same).
async fn redirecting_pair(code: u16) -> (MockServer, MockServer) {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"{}".to_vec(), "application/json"))
        .mount(&elsewhere)
        .await;
    let kratos = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(code)
                .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
        )
        .mount(&kratos)
        .await;
    (kratos, elsewhere)
}

#[tokio::test]
async fn redirects_are_not_followed_so_tokens_and_cookies_stay_home() {
    for code in [301, 302, 303, 307, 308] {
        let (kratos, elsewhere) = redirecting_pair(code).await;
        let api = api(&kratos.uri());

        let (err, _) = create(&api).await;
        assert!(
            matches!(&err, Error::UnexpectedStatus { status, .. } if status.as_u16() == code),
            "{code}: {err:?}"
        );

        let body =
            UpdateRegistrationFlowWithPasswordMethod::new("pw-not-to-leak", Default::default());
        let err = api
            .update_registration_flow("flow-1", body)
            .session_token(TOKEN)
            .cookie("ory_kratos_session=cookie-not-to-leak")
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(code));

        let sent = kratos.received_requests().await.unwrap();
        assert_eq!(sent.len(), 2, "{code}: both calls reached Kratos");
        assert!(sent
            .iter()
            .all(|r| r.headers.get("x-session-token").is_some()));
        let stolen = elsewhere.received_requests().await.unwrap();
        assert!(
            stolen.is_empty(),
            "{code}: the other host got {} requests",
            stolen.len()
        );
    }
}

/// Kratos's admin port at `admin` answering every GET with `code` and a
/// `Location` of `location(public)`; `public` answers the identity schema list.
async fn admin_sending_to_public(
    code: u16,
    location: impl Fn(&str) -> String,
) -> (MockServer, MockServer) {
    let public = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/schemas"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            br#"[{"id":"default","schema":{}}]"#.to_vec(),
            "application/json",
        ))
        .mount(&public)
        .await;
    let admin = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(code).insert_header("location", location(&public.uri()).as_str()),
        )
        .mount(&admin)
        .await;
    (admin, public)
}

#[tokio::test]
async fn a_get_without_secrets_follows_kratos_to_its_public_url_once() {
    for code in [307, 308] {
        let (admin, public) =
            admin_sending_to_public(code, |public| format!("{public}/schemas?page_size=2")).await;
        let identity = Client::builder(admin.uri()).build().unwrap().identity();
        let page = identity
            .list_identity_schemas()
            .page_size(2)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{code}: {e:?}"));
        // The public answer, decoded (v1.3.1's document has `id` optional).
        let id = serde_json::to_value(&page.items[0]).unwrap()["id"].clone();
        assert_eq!(id, "default");
        let sent = public.received_requests().await.unwrap();
        assert_eq!(sent.len(), 1, "{code}");
        assert_eq!(sent[0].url.query(), Some("page_size=2"));
        assert!(sent[0].headers.get("authorization").is_none());
    }
}

#[tokio::test]
async fn a_redirect_elsewhere_or_of_a_request_with_secrets_is_not_followed() {
    // Another path: not where the operation lives.
    let (admin, public) = admin_sending_to_public(307, |public| format!("{public}/steal")).await;
    let identity = Client::builder(admin.uri()).build().unwrap().identity();
    let err = identity.list_identity_schemas().send().await.unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedStatus { status, .. } if status == 307),
        "{err:?}"
    );
    assert!(public.received_requests().await.unwrap().is_empty());

    // The same operation, but the request carries a session token: it stays home.
    let (admin, public) = admin_sending_to_public(307, |public| {
        format!("{public}/self-service/registration/flows?id=f")
    })
    .await;
    let err = api(&admin.uri())
        .get_registration_flow("f")
        .session_token(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(307), "{err:?}");
    assert!(public.received_requests().await.unwrap().is_empty());
}

// --- Try again later ----------------------------------------------------------------

async fn busy_server(status: u16, retry_after: &str, content_type: &str, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FLOW_API))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("retry-after", retry_after)
                .set_body_raw(body.as_bytes().to_vec(), content_type),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_says_how_long_to_wait() {
    let body = r#"{"error": {"code": 429, "status": "Too Many Requests", "message": "rate limit exceeded"}}"#;
    let server = busy_server(429, "17", "application/json", body).await;
    let (err, _) = create(&api(&server.uri())).await;
    assert_eq!(err.retry_after(), Some(Duration::from_secs(17)), "{err:?}");
    assert_eq!(status(&err), Some(429));
    assert_eq!(
        err.generic_error().map(|e| e.message.as_str()),
        Some("rate limit exceeded")
    );
    assert_eq!(
        err.to_string(),
        "HTTP 429 Too Many Requests: the server asks to try again later (in 17 s): rate limit exceeded"
    );
}

#[tokio::test]
async fn a_503_page_from_a_proxy_with_an_http_date_is_retry_later_too() {
    // A date far ahead, so the wait is long whenever the test runs.
    let server = busy_server(
        503,
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "text/html",
        "<h1>Service Unavailable</h1>",
    )
    .await;
    let (err, _) = create(&api(&server.uri())).await;
    let Error::RetryLater {
        status,
        retry_after,
        error,
        excerpt,
        ..
    } = &err
    else {
        panic!("expected RetryLater, got {err:?}")
    };
    assert_eq!(status.as_u16(), 503);
    let wait = retry_after.expect("the date is read");
    let years = wait.as_secs() / (365 * 86_400);
    assert!((7_900..8_000).contains(&years), "{wait:?} is {years} years");
    assert!(error.is_none());
    assert!(excerpt.contains("Service Unavailable"));
}

#[tokio::test]
async fn an_unreadable_retry_after_is_none_not_an_error() {
    let server = busy_server(503, "after lunch", "application/json", "{}").await;
    let (err, _) = create(&api(&server.uri())).await;
    assert!(
        matches!(
            err,
            Error::RetryLater {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
}

/// Answers `busy` times with 503 (`Retry-After: 0`), then with a flow.
async fn busy_then_fine(busy: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FLOW_API))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(busy)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FLOW_API))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            crate::common::fixture("registration_flow.json").into_bytes(),
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

fn retrying(uri: &str, policy: RetryPolicy) -> FrontendApi {
    Client::builder(uri)
        .retry(policy)
        .build()
        .unwrap()
        .frontend()
}

#[tokio::test]
async fn the_retry_policy_retries_gets_until_they_succeed() {
    let server = busy_then_fine(2).await;
    let api = retrying(&server.uri(), RetryPolicy::new(3));
    let flow = api
        .create_native_registration_flow()
        .send()
        .await
        .expect("third time lucky");
    assert_eq!(flow.r#type, "api");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_retry_policy_gives_up_after_its_attempts() {
    let server = busy_then_fine(5).await;
    let api = retrying(&server.uri(), RetryPolicy::new(2));
    let err = api
        .create_native_registration_flow()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RetryLater { .. }), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_retry_policy_does_not_wait_longer_than_its_cap() {
    let server = busy_server(429, "3600", "application/json", "{}").await;
    let api = retrying(
        &server.uri(),
        RetryPolicy::new(5).max_backoff(Duration::from_secs(2)),
    );
    let started = Instant::now();
    let err = api
        .create_native_registration_flow()
        .send()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_retry_policy_never_resends_a_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let api = retrying(&server.uri(), RetryPolicy::new(5));
    let body = UpdateRegistrationFlowWithPasswordMethod::new("pw", Default::default());
    let err = api
        .update_registration_flow("f", body)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RetryLater { .. }), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_policy_of_zero_attempts_is_refused() {
    let err = Client::builder("http://localhost")
        .retry(RetryPolicy::new(0))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("retry"), "{err}");
}

#[tokio::test]
async fn the_retry_policy_retries_connections_that_could_not_open() {
    // Nothing listens on the port for the first attempts; a server appears.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let api = retrying(
        &format!("http://{addr}"),
        RetryPolicy::new(20)
            .initial_backoff(Duration::from_millis(50))
            .max_backoff(Duration::from_millis(100)),
    );
    let flow = crate::common::fixture("registration_flow.json");
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let counters = Counters::default();
        let (mut stream, _) = listener.accept().await.unwrap();
        if read_request(&mut stream, &counters).await {
            write_counted(
                &mut stream,
                &counters,
                &response("200 OK", "application/json", "", flow.as_bytes()),
            )
            .await;
        }
        counters.requests.load(Ordering::SeqCst)
    });
    let got = api.create_native_registration_flow().send().await;
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(server.await.unwrap(), 1);
}

#[tokio::test]
async fn an_https_url_to_a_server_without_tls_is_a_transport_error() {
    // Builds a TLS client (the default rustls-ring feature installs its
    // crypto provider) and fails the handshake cleanly.
    let server = RawServer::start(
        |mut stream: TcpStream, counters: Arc<Counters>| async move {
            let _ =
                write_counted(&mut stream, &counters, b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        },
    )
    .await;
    let api = api(&format!("https://{}", server.addr));
    let (err, _) = create(&api).await;
    assert!(
        matches!(err, Error::Transport { status: None, .. }),
        "{err:?}"
    );
}
