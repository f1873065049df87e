//! One full `create_native_registration_flow` call to a local keep-alive
//! server, against the same request made with bare reqwest and decoded by
//! the same decoder (the operation's `decode_response`): what the client
//! adds around the HTTP call and the decoding (URL, headers, redaction,
//! limits, the timeout), as a ratio and in µs per call. A second line
//! decodes with serde's derive instead, for reference: it compares the
//! decoders, not the client.
//! Run: `cd benches && cargo bench --bench call`.

#[path = "../../tests/common/raw.rs"]
#[allow(dead_code)]
mod raw;

use kratos_client::models::RegistrationFlow;
use kratos_client::operations::CreateNativeRegistrationFlow;
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

    // The call by hand, decoded by the operation's own decoder.
    let by_hand = |timeout: Option<std::time::Duration>| {
        runtime.block_on(async {
            let mut request = bare.get(&url).header("accept", "application/json");
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.unwrap();
            CreateNativeRegistrationFlow::decode_response(status, &headers, &bytes).unwrap()
        })
    };
    let mut candidates = vec![
        Candidate::new("bare reqwest + the same decoder (decode_response)", || {
            keep(by_hand(None))
        }),
        Candidate::new(
            "bare reqwest + serde_json::from_slice (serde's derive)",
            || {
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
            },
        ),
        Candidate::new("bare reqwest + the same decoder, 30 s timeout", || {
            keep(by_hand(Some(std::time::Duration::from_secs(30))))
        }),
        Candidate::new("kratos-client create_native_registration_flow", || {
            keep(
                runtime
                    .block_on(api.create_native_registration_flow().send())
                    .unwrap(),
            )
        }),
    ];
    let timings = compare(
        &format!(
            "One call, {} byte answer, local server, keep-alive",
            flow.len()
        ),
        40,
        200,
        &mut candidates,
    );
    let micros = |i: usize| timings[i].median().as_secs_f64() * 1e6;
    println!(
        "  the client's overhead per call: {:+.2} µs against the same work, {:+.2} µs against it with the same timeout",
        micros(3) - micros(0),
        micros(3) - micros(2)
    );
}
