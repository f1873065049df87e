//! The `tracing` feature: one span per operation with its id, method, path
//! template, status, duration and retries; events for retries and for
//! answers that do not decode; and nowhere a token, cookie, key, code, id
//! from the path or body. A layer of the test's own records every span
//! field and event.

// Needs our document: it takes the recovery code's body positionally
// (upstream's marks that body optional).
#![cfg(kratos_bundled_spec)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kratos_client::models::UpdateLoginFlowWithPasswordMethod;
use kratos_client::testing::MockKratos;
use kratos_client::{Client, RetryPolicy};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// What a span or event carried: its name and every field as text.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: String,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Visit for Seen {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields
            .push((field.name().to_string(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name().to_string(), value.to_string()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields
            .push((field.name().to_string(), value.to_string()));
    }
}

#[derive(Clone, Default)]
struct Capture {
    spans: Arc<Mutex<Vec<(u64, Seen)>>>,
    events: Arc<Mutex<Vec<Seen>>>,
}

// The capture of the test running on this thread, if any.
thread_local! {
    static CURRENT: std::cell::RefCell<Option<Capture>> = const { std::cell::RefCell::new(None) };
}

/// The process's one subscriber, which hands what it sees to the capture
/// of the test on the thread. A global subscriber rather than one set per
/// test: with `set_default`, a callsite first met on another test's thread
/// could be cached as wanted by nobody, and a test then saw no span.
struct ToCurrent;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ToCurrent {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        CURRENT.with(|c| {
            if let Some(capture) = &*c.borrow() {
                let mut seen = Seen {
                    name: attrs.metadata().name().to_string(),
                    ..Seen::default()
                };
                attrs.record(&mut seen);
                capture.spans.lock().unwrap().push((id.into_u64(), seen));
            }
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        CURRENT.with(|c| {
            if let Some(capture) = &*c.borrow() {
                let mut spans = capture.spans.lock().unwrap();
                if let Some((_, seen)) = spans.iter_mut().rev().find(|(i, _)| *i == id.into_u64()) {
                    values.record(seen);
                }
            }
        });
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        CURRENT.with(|c| {
            if let Some(capture) = &*c.borrow() {
                let mut seen = Seen {
                    name: event.metadata().name().to_string(),
                    ..Seen::default()
                };
                event.record(&mut seen);
                capture.events.lock().unwrap().push(seen);
            }
        });
    }
}

/// Records what this thread's operations trace until it is dropped.
struct Capturing(Capture);

impl Drop for Capturing {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

/// Starts recording this thread's spans and events.
fn capture() -> Capturing {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(ToCurrent))
            .expect("no other global subscriber in this test binary");
    });
    let capture = Capture::default();
    CURRENT.with(|c| *c.borrow_mut() = Some(capture.clone()));
    Capturing(capture)
}

impl Capture {
    fn spans(&self) -> Vec<Seen> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s)| s.clone())
            .collect()
    }

    fn everything(&self) -> String {
        format!("{:?} {:?}", self.spans(), self.events.lock().unwrap())
    }
}

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";
const API_KEY: &str = "ory_pat_verysecretkey";

#[tokio::test]
async fn every_operation_has_a_span_with_its_template_and_outcome_and_no_secret() {
    let capturing = capture();
    let capture = &capturing.0;

    let kratos = MockKratos::builder().api_key(API_KEY).start().await;
    let id = kratos.add_identity(EMAIL, PASSWORD, None);
    let api = kratos.frontend();
    let flow = api.create_native_login_flow().send().await.unwrap();
    let token = api
        .update_login_flow(
            &flow.id,
            UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
        )
        .send()
        .await
        .unwrap()
        .session_token
        .unwrap();
    api.to_session()
        .session_token(token.as_str())
        .send()
        .await
        .unwrap();
    let cookie = format!("ory_kratos_session={token}");
    api.to_session()
        .cookie(cookie.as_str())
        .send()
        .await
        .unwrap();
    api.to_session()
        .session_token("ory_st_unknown")
        .send()
        .await
        .unwrap_err();
    let admin = Client::builder(kratos.admin_uri())
        .api_key(API_KEY)
        .build()
        .unwrap()
        .identity();
    admin.get_identity(&id).send().await.unwrap();
    let recovery = admin
        .create_recovery_code_for_identity(&id)
        .send()
        .await
        .unwrap();

    let spans = capture.spans();
    let ops: Vec<&Seen> = spans
        .iter()
        .filter(|s| s.name == "kratos_client.operation")
        .collect();
    let line = |s: &Seen| {
        format!(
            "{} {} {} {}",
            s.field("operation").unwrap_or("-"),
            s.field("http.method").unwrap_or("-"),
            s.field("path").unwrap_or("-"),
            s.field("status").unwrap_or("-"),
        )
    };
    let lines: Vec<String> = ops.iter().map(|s| line(s)).collect();
    assert_eq!(
        lines,
        [
            "createNativeLoginFlow GET /self-service/login/api 200",
            "updateLoginFlow POST /self-service/login 200",
            "toSession GET /sessions/whoami 200",
            "toSession GET /sessions/whoami 200",
            "toSession GET /sessions/whoami 401",
            "getIdentity GET /admin/identities/{id} 200",
            "createRecoveryCodeForIdentity POST /admin/recovery/code 201",
        ]
    );
    for span in &ops {
        assert!(span.field("duration_ms").is_some(), "{span:?}");
    }
    let everything = capture.everything();
    for secret in [
        token.as_str(),
        API_KEY,
        PASSWORD,
        id.as_str(),
        flow.id.as_str(),
        recovery.recovery_code.as_str(),
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} appears in {everything}"
        );
    }
}

#[tokio::test]
async fn retries_and_undecodable_answers_are_events() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let capturing = capture();
    let capture = &capturing.0;

    let server = MockServer::start().await;
    // Twice 503 with Retry-After, then an answer that is not a session.
    Mock::given(method("GET"))
        .and(path("/sessions/whoami"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/sessions/whoami"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"id": 42, "secret": "ory_st_leakedtoken"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let api = Client::builder(server.uri())
        .retry(RetryPolicy::new(3).initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap()
        .frontend();
    let err = api
        .to_session()
        .session_token("ory_st_mytoken")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, kratos_client::Error::Decode { .. }),
        "{err:?}"
    );

    let span = capture
        .spans()
        .into_iter()
        .find(|s| s.name == "kratos_client.operation")
        .expect("a span");
    assert_eq!(span.field("retries"), Some("2"));
    assert_eq!(span.field("status"), Some("200"));
    let events = capture.events.lock().unwrap().clone();
    let retries: Vec<&Seen> = events
        .iter()
        .filter(|e| e.field("message") == Some("retrying"))
        .collect();
    assert_eq!(retries.len(), 2, "{events:?}");
    assert_eq!(retries[0].field("attempt"), Some("2"));
    let decode = events
        .iter()
        .find(|e| e.field("message") == Some("the answer could not be decoded"))
        .expect("a decode event");
    assert_eq!(decode.field("status"), Some("200"));
    let everything = capture.everything();
    assert!(!everything.contains("ory_st_mytoken"), "{everything}");
    assert!(!everything.contains("leakedtoken"), "{everything}");
}
