//! The API key: sent as `Authorization: Bearer <key>` on the operations the
//! document puts under its security scheme and on no others, refused at
//! build time when it cannot be a header, and never shown: not in `Debug`
//! of the client, not in any error, even when a server sends it back.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use crate::common::raw::{read_whole_request, response, write_counted, Counters, RawServer};
use kratos_client::{Client, ConfigError, Error, OperationError};
use serde_json::json;
use tokio::net::TcpStream;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "ory_pat_K3yNeverPrinted0123456789";

fn client(uri: &str) -> Client {
    Client::builder(uri).api_key(KEY).build().unwrap()
}

#[tokio::test]
async fn the_key_goes_with_admin_operations_and_with_no_frontend_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/admin/identities"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/sessions/whoami"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            json!({"error": {"code": 401, "message": "no session"}}).to_string(),
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    let page = client.identity().list_identities().send().await.unwrap();
    assert!(page.items.is_empty());
    let _ = client.frontend().to_session().send().await;
    // The health endpoints are not under the security scheme either.
    let _ = client.metadata().is_alive().send().await;

    let requests = server.received_requests().await.unwrap();
    let authorized: Vec<_> = requests
        .iter()
        .map(|r| {
            (
                r.url.path().to_string(),
                r.headers.contains_key("authorization"),
            )
        })
        .collect();
    assert_eq!(
        authorized,
        [
            ("/admin/identities".to_string(), true),
            ("/sessions/whoami".to_string(), false),
            ("/health/alive".to_string(), false),
        ]
    );

    // Without a key, admin operations go out without the header (self-hosted
    // Kratos serves the admin API on a port of its own).
    let plain = Client::new(server.uri()).unwrap();
    let _ = plain.identity().list_identities().send().await;
    let last = server.received_requests().await.unwrap().pop().unwrap();
    assert!(!last.headers.contains_key("authorization"));
}

#[tokio::test]
async fn a_key_that_cannot_be_a_header_is_refused_before_anything_is_sent() {
    for bad in ["line\nbreak", "", "tab\there\r"] {
        let err = Client::builder("http://127.0.0.1:9")
            .api_key(bad)
            .build()
            .unwrap_err();
        let ConfigError::InvalidSetting { setting, .. } = &err else {
            panic!("expected InvalidSetting, got {err:?}");
        };
        assert_eq!(*setting, "api_key");
        let shown = format!("{err} {err:?}");
        if !bad.is_empty() {
            assert!(!shown.contains(bad), "{shown}");
        }
    }
}

#[test]
fn the_client_does_not_show_its_key() {
    let client = client("http://127.0.0.1:9");
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains(KEY), "{shown}");
}

/// A server answering every request with `status` and Kratos's error object
/// holding the raw request (headers included) in every text field.
async fn echoing(status: &'static AtomicU16, content_type: &'static str) -> RawServer {
    RawServer::start(
        move |mut stream: TcpStream, counters: Arc<Counters>| async move {
            let Some(request) = read_whole_request(&mut stream, &counters).await else {
                return;
            };
            let request = String::from_utf8_lossy(&request).into_owned();
            let code = status.load(Ordering::SeqCst);
            let body = json!({
                "error": {"id": "echo", "code": code, "message": request, "reason": request,
                          "debug": request, "details": {"request": request}},
                "redirect_browser_to": request, "authorization": request
            })
            .to_string();
            let line = format!(
                "{code} {}",
                kratos_client::StatusCode::from_u16(code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Echo")
            );
            let extra = if code == 429 {
                "retry-after: 1\r\n"
            } else {
                ""
            };
            let _ = write_counted(
                &mut stream,
                &counters,
                &response(&line, content_type, extra, body.as_bytes()),
            )
            .await;
        },
    )
    .await
}

fn shown<E: OperationError + std::fmt::Debug + 'static>(err: &Error<E>) -> String {
    let mut text = format!("{err} {err:?} {err:#?}");
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    if let Some(e) = err.generic_error() {
        text.push_str(&format!(" {e:?}"));
    }
    text
}

#[tokio::test]
async fn no_error_shows_the_key_even_when_the_server_sends_it_back() {
    static STATUS: AtomicU16 = AtomicU16::new(0);
    for content_type in ["application/json", "text/html"] {
        let server = echoing(&STATUS, content_type).await;
        let client = client(&server.uri());
        for status in [200, 302, 400, 401, 404, 409, 429, 500, 503] {
            STATUS.store(status, Ordering::SeqCst);
            let what = format!("{status} {content_type}");
            let identity = client.identity();
            let shows = [
                shown(&identity.list_identities().send().await.unwrap_err()),
                shown(
                    &identity
                        .get_identity("4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f")
                        .send()
                        .await
                        .unwrap_err(),
                ),
                shown(
                    &identity
                        .delete_identity("4d7f4a1e-1c2b-4c3d-9e8f-0a1b2c3d4e5f")
                        .send()
                        .await
                        .unwrap_err(),
                ),
                shown(&identity.list_sessions().send().await.unwrap_err()),
                shown(
                    &client
                        .courier()
                        .list_courier_messages()
                        .send()
                        .await
                        .unwrap_err(),
                ),
            ];
            for text in shows {
                assert!(!text.contains(KEY), "{what}: the key shows: {text}");
                assert!(
                    text.contains("HTTP") || text.contains("status"),
                    "{what}: the status is kept: {text}"
                );
            }
        }
    }
}
