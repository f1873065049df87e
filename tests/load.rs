//! 5,000 `create_native_registration_flow` calls, 64 at a time, through one
//! shared client to a local keep-alive server: every call succeeds, the
//! calls share a handful of connections, and memory stays flat.
//!
//! Alone in its test binary, so that the memory it reads is its own.
//! `cargo test --release --test load -- --nocapture` prints the numbers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::raw::{response, RawServer};
use kratos_client::FrontendApi;

const CALLS: usize = 5_000;
const IN_FLIGHT: usize = 64;

/// A keep-alive server answering every request on a connection with the flow.
async fn flow_server() -> RawServer {
    RawServer::keep_alive(response(
        "200 OK",
        "application/json",
        "",
        common::fixture("registration_flow.json").as_bytes(),
    ))
    .await
}

/// Resident memory of this process, in KiB (Linux only).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `calls` calls with `IN_FLIGHT` workers; returns how many failed.
async fn run(api: &FrontendApi, calls: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (api, next, failures) = (api.clone(), next.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < calls {
                match api.create_native_registration_flow().send().await {
                    Ok(flow) => assert_eq!(flow.ui.nodes.len(), 26),
                    Err(e) => {
                        eprintln!("call failed: {e}");
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    failures.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_calls_share_connections_and_memory_stays_flat() {
    let server = flow_server().await;
    let api = FrontendApi::new(server.uri()).unwrap();

    // Warm up: connections open, allocator pools fill.
    let warmup = 1_000;
    assert_eq!(run(&api, warmup).await, 0, "warm-up calls failed");
    let after_warmup = rss_kib();

    let started = Instant::now();
    let failed = run(&api, CALLS).await;
    let took = started.elapsed();
    let after = rss_kib();

    assert_eq!(failed, 0, "every call succeeds");
    assert_eq!(server.requests(), warmup + CALLS);
    let connections = server.connections();
    // One connection per call in flight, and some more: a call can start
    // while the connection another call just finished with is still on its
    // way back to the pool, and then dials a new one (64 to 70 seen here, more
    // on a busy machine). Reuse means thousands of calls over a few dozen.
    assert!(
        connections <= 2 * IN_FLIGHT,
        "{connections} connections for {} calls at {IN_FLIGHT} in flight: not reused",
        warmup + CALLS
    );
    println!(
        "{CALLS} calls, {IN_FLIGHT} in flight: {:.2} s, {:.0} calls/s, {connections} connections in all",
        took.as_secs_f64(),
        CALLS as f64 / took.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (after_warmup, after) {
        let growth = after.saturating_sub(before);
        println!("resident memory: {before} KiB after warm-up, {after} KiB after (+{growth} KiB)");
        // Five times the warm-up's calls; a leak of even 1 KiB a call would
        // show as 5 MiB here.
        assert!(
            growth < 4 * 1024,
            "memory grew by {growth} KiB over {CALLS} calls"
        );
    }
}
