//! One full `create_native_registration_flow` call to a local keep-alive
//! server, against the same request made with bare reqwest and serde_json
//! (decoding into the same model): the SDK's overhead as a ratio.
//! Run: `cd benches && cargo bench --bench call`.

#[path = "../../tests/common/raw.rs"]
#[allow(dead_code)]
mod raw;

use kratos_client::models::RegistrationFlow;
use kratos_client::FrontendApi;
use kratos_client_benches::{compare, keep, Candidate};
use raw::{response, RawServer};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let flow = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/registration_flow.json"
    ))
    .unwrap();
    let server = runtime.block_on(RawServer::keep_alive(response(
        "200 OK",
        "application/json",
        "",
        &flow,
    )));
    let uri = server.uri();

    // Each side gets its own client, built once, as an app would.
    let api = runtime.block_on(async { FrontendApi::new(&uri).unwrap() });
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{uri}/self-service/registration/api");

    let mut candidates = vec![
        Candidate::new("bare reqwest + serde_json::from_slice", || {
            keep(runtime.block_on(async {
                let response = bare
                    .get(&url)
                    .header("accept", "application/json")
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                let bytes = response.bytes().await.unwrap();
                serde_json::from_slice::<RegistrationFlow>(&bytes).unwrap()
            }))
        }),
        Candidate::new("bare reqwest, with the same 30 s timeout", || {
            keep(runtime.block_on(async {
                let response = bare
                    .get(&url)
                    .header("accept", "application/json")
                    .timeout(std::time::Duration::from_secs(30))
                    .send()
                    .await
                    .unwrap();
                let bytes = response.bytes().await.unwrap();
                serde_json::from_slice::<RegistrationFlow>(&bytes).unwrap()
            }))
        }),
        Candidate::new("kratos-client create_native_registration_flow", || {
            keep(
                runtime
                    .block_on(api.create_native_registration_flow().send())
                    .unwrap(),
            )
        }),
    ];
    compare(
        &format!(
            "One call, {} byte answer, local server, keep-alive",
            flow.len()
        ),
        40,
        200,
        &mut candidates,
    );
}
