//! A backend protected by `kratos_client::axum` (the backend example's own
//! router, served over TCP) in front of each server: what its routes answer
//! for each credential, and that Kratos's `Ory-Session-Cache-For` lets the
//! validator keep a session.

#[path = "../../examples/backend.rs"]
#[allow(dead_code)]
mod example;

use std::time::Duration;

use kratos_client::session::SessionValidator;
use kratos_client::testing::TestKratos;
use kratos_client::FrontendApi;

use crate::login::sign_in;
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

/// A step's name, the path asked for, and the header sent.
type Try<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

#[tokio::test]
async fn a_backend_answers_each_credential_as_its_routes_say() {
    let builder = TestKratos::builder().cacheable_sessions(Duration::from_secs(60));
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let identity = kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let token = sign_in(&kratos.frontend(), EMAIL, PASSWORD)
            .await
            .expect("signed in");
        // A validator that would keep a session for an hour; Kratos's
        // header says 60 s.
        let validator = SessionValidator::builder(kratos.frontend())
            .bearer(true)
            .max_ttl(Duration::from_secs(3600))
            .build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = example::app(validator.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        // Building one of the crate's clients (above) installed the TLS
        // provider a bare reqwest client needs.
        FrontendApi::new(base.as_str()).unwrap();
        let client = reqwest::Client::new();

        let bearer = format!("Bearer {token}");
        let tries: [Try; 7] = [
            ("public", "/", None),
            ("no credentials", "/me", None),
            ("token", "/me", Some(("x-session-token", &token))),
            ("bearer", "/me", Some(("authorization", &bearer))),
            (
                "unknown token",
                "/me",
                Some(("x-session-token", "ory_st_unknown")),
            ),
            (
                "aal1 on /secure",
                "/secure",
                Some(("x-session-token", &token)),
            ),
            ("no credentials on /secure", "/secure", None),
        ];
        for (step, path, header) in tries {
            let mut request = client.get(format!("{base}{path}"));
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(!body.contains(&token), "no token in what the app answers");
            if status == 200 && path == "/me" {
                assert!(body.contains(&identity), "{body}");
            }
            seen.note(step, format!("{path} {status} {body}"));
        }
        // Signed in by header and by bearer: one session, kept.
        seen.note("kept", validator.cached());
        assert_eq!(validator.cached(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_backend_passes_on_kratos_s_demand_for_a_second_factor() {
    let builder = TestKratos::builder().second_factor(true);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos.add_identity(EMAIL, PASSWORD, None).await.unwrap();
        let token = sign_in(&kratos.frontend(), EMAIL, PASSWORD)
            .await
            .expect("signed in");
        let validator = example::validator(kratos.frontend(), Duration::from_secs(60));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = example::app(validator);
        tokio::spawn(async move { axum::serve(listener, app).await });
        FrontendApi::new(base.as_str()).unwrap();
        let response = reqwest::Client::new()
            .get(format!("{base}/me"))
            .header("x-session-token", &token)
            .send()
            .await
            .unwrap();
        // Kratos itself refuses the aal1 session (whoami's 403), and the
        // app hands on where Kratos would send a browser.
        assert_eq!(response.status(), 403);
        seen.note("aal1 on /me", response.text().await.unwrap());
    })
    .await;
}
