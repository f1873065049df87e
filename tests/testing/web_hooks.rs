//! What the app's web hooks cost a registration on each test server
//! (BENCHMARKS.md): `KRATOS_BIN=... cargo test --test testing
//! web_hooks::time -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use kratos_client::hooks::axum::KratosHook;
use kratos_client::hooks::{HookAnswer, HookCaller};
use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod;
use kratos_client::testing::{TestKratos, WebHook};
use serde_json::json;

/// The median, fastest and slowest of `count` registrations on `kratos`.
async fn registrations(kratos: &TestKratos, count: usize, tag: &str) -> [Duration; 3] {
    let api = kratos.frontend();
    let mut times = Vec::new();
    for n in 0..count {
        let at = Instant::now();
        let flow = api.create_native_registration_flow().send().await.unwrap();
        let traits = json!({"email": format!("{tag}{n}@example.com")});
        let body = UpdateRegistrationFlowWithPasswordMethod::new(
            "correct horse battery",
            traits.as_object().cloned().unwrap_or_default(),
        );
        api.update_registration_flow(&flow.id, body)
            .send()
            .await
            .unwrap();
        times.push(at.elapsed());
    }
    times.sort();
    [times[count / 2], times[0], times[count - 1]]
}

#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn time_a_hook_adds_to_a_registration_on_each_server() {
    async fn proceed(_: KratosHook) -> HookAnswer {
        HookAnswer::Proceed
    }
    let app = Router::new()
        .route("/hook", post(proceed))
        .with_state(HookCaller::api_key_header("X-Hook-Key", "k"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let plain = TestKratos::builder().start_each().await.unwrap();
    let hooked = TestKratos::builder()
        .web_hook(
            WebHook::after_registration(url)
                .parse_response()
                .api_key_header("X-Hook-Key", "k"),
        )
        .start_each()
        .await
        .unwrap();
    for (plain, hooked) in plain.iter().zip(&hooked) {
        // Interleaved rounds, so that both see the same machine.
        let (mut without, mut with) = (Vec::new(), Vec::new());
        for round in 0..3 {
            without.push(registrations(plain, 21, &format!("p{round}-")).await);
            with.push(registrations(hooked, 21, &format!("h{round}-")).await);
        }
        let median = |rounds: &Vec<[Duration; 3]>| {
            let mut m: Vec<Duration> = rounds.iter().map(|r| r[0]).collect();
            m.sort();
            m[1]
        };
        println!(
            "{}: one registration, median of 3 rounds of 21: without a hook {:?}, with a parsing hook {:?} (+{:?}); rounds {:?} / {:?}",
            plain.name(),
            median(&without),
            median(&with),
            median(&with).saturating_sub(median(&without)),
            without.iter().map(|r| r[0]).collect::<Vec<_>>(),
            with.iter().map(|r| r[0]).collect::<Vec<_>>(),
        );
    }
}
