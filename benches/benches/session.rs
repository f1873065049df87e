//! What checking sessions costs a backend (`kratos_client::session` and
//! `kratos_client::axum`), against what apps write by hand: a whoami per
//! request with bare reqwest, decoded into the same model.
//! Run: `cd benches && cargo bench --bench session`.
//!
//! 1. the memory a cached session takes (10,000 distinct tokens), with
//!    the default 1,000 kept decoded, all of them, and none (each in a
//!    process of its own: memory one frees would hide the next one's;
//!    `SESSION_BENCH_ENTRIES=100000` for more sessions);
//! 2. one check of a token: by hand, the validator asking every time, the
//!    validator answering from its cache;
//! 3. the cache itself: a cached check among 10,000 entries (one kept
//!    decoded, and all of them in turn, most decoded again), against a
//!    lookup alone in `quick_cache` and in a `Mutex<HashMap>` of the same
//!    keys and values (the floor any cache could reach);
//! 4. 64 requests in flight through an axum router served over TCP: no
//!    session at all, the layer with its cache, the layer asking every
//!    time (its lookups coalesced), and a handler that asks by hand.

#[path = "../../tests/common/raw.rs"]
#[allow(dead_code)]
mod raw;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use kratos_client::axum::{Session, SessionLayer};
use kratos_client::models::Session as SessionModel;
use kratos_client::session::{SessionValidator, DEFAULT_DECODED};
use kratos_client::{FrontendApi, HeaderMap, HeaderValue};
use kratos_client_benches::{compare, keep, Candidate};
use raw::{response, RawServer};

const ENTRIES: usize = 10_000;

fn token_headers(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-session-token", HeaderValue::from_str(token).unwrap());
    headers
}

/// Resident memory of this process, in bytes.
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Our session fixture, made to last.
    let mut session: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/session.json"
        ))
        .unwrap(),
    )
    .unwrap();
    session["expires_at"] = "2999-01-01T00:00:00Z".into();
    let body = serde_json::to_vec(&session).unwrap();
    let server = runtime.block_on(RawServer::keep_alive(response(
        "200 OK",
        "application/json",
        "",
        &body,
    )));
    let uri = server.uri();
    let api = runtime.block_on(async { FrontendApi::new(&uri).unwrap() });
    let whoami = format!("{uri}/sessions/whoami");
    let bare = reqwest::Client::new();
    let by_hand = {
        let bare = bare.clone();
        let whoami = whoami.clone();
        move |token: String| {
            let bare = bare.clone();
            let whoami = whoami.clone();
            async move {
                let response = bare
                    .get(&whoami)
                    .header("accept", "application/json")
                    .header("x-session-token", token)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                let bytes = response.bytes().await.unwrap();
                serde_json::from_slice::<SessionModel>(&bytes).unwrap()
            }
        }
    };

    // 1. Memory per cached session.
    let tokens: Vec<HeaderMap> = (0..ENTRIES)
        .map(|n| token_headers(&format!("ory_st_{n:032}")))
        .collect();
    // SESSION_BENCH_ENTRIES=100000 measures the memory with more sessions.
    let many: usize = std::env::var("SESSION_BENCH_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ENTRIES);
    if let Ok(decoded) = std::env::var("SESSION_BENCH_DECODED") {
        let decoded: usize = decoded.parse().unwrap();
        let tokens: Vec<HeaderMap> = (0..many)
            .map(|n| token_headers(&format!("ory_st_{n:032}")))
            .collect();
        let validator = SessionValidator::builder(api.clone())
            .capacity(many)
            .keep_decoded(decoded)
            .max_ttl(Duration::from_secs(3600))
            .build();
        let before = resident();
        runtime.block_on(async {
            for headers in &tokens {
                validator.check(headers).await.unwrap();
            }
        });
        let after = resident();
        assert_eq!(validator.cached(), many);
        println!(
            "  {decoded:>6} of them decoded: {:.1} MiB resident, {:.0} bytes per session",
            (after.saturating_sub(before)) as f64 / (1024.0 * 1024.0),
            (after.saturating_sub(before)) as f64 / many as f64
        );
        return;
    }
    println!(
        "Memory: {many} cached sessions ({} byte answer each):",
        body.len()
    );
    for decoded in [DEFAULT_DECODED, many, 0] {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .env("SESSION_BENCH_DECODED", decoded.to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }
    println!();
    let full = SessionValidator::builder(api.clone())
        .capacity(ENTRIES)
        .max_ttl(Duration::from_secs(3600))
        .build();
    runtime.block_on(async {
        for headers in &tokens {
            full.check(headers).await.unwrap();
        }
    });

    // 2. One check.
    let cached = SessionValidator::builder(api.clone()).build();
    let uncached = SessionValidator::builder(api.clone())
        .max_ttl(Duration::ZERO)
        .build();
    let encoded = SessionValidator::builder(api.clone())
        .keep_decoded(0)
        .build();
    let token = "ory_st_benchmarkbenchmarkbenchmark0";
    let headers = token_headers(token);
    let mut candidates = vec![
        Candidate::new("by hand: bare reqwest whoami + decode", || {
            keep(runtime.block_on(by_hand(token.to_string())))
        }),
        Candidate::new("SessionValidator, nothing kept (max_ttl 0)", || {
            keep(runtime.block_on(uncached.check(&headers)).unwrap())
        }),
        Candidate::new("SessionValidator, kept", || {
            keep(runtime.block_on(cached.check(&headers)).unwrap())
        }),
        Candidate::new(
            "SessionValidator, kept as JSON only (keep_decoded(0))",
            || keep(runtime.block_on(encoded.check(&headers)).unwrap()),
        ),
    ];
    compare(
        &format!(
            "One check of a session token, {} byte answer, local server",
            body.len()
        ),
        30,
        200,
        &mut candidates,
    );
    drop(candidates);

    // 3. The cache, full.
    let hasher = RandomState::new();
    let one = Arc::new(serde_json::from_slice::<SessionModel>(&body).unwrap());
    let quick: quick_cache::sync::Cache<u128, Arc<SessionModel>> =
        quick_cache::sync::Cache::new(ENTRIES);
    let map: Mutex<HashMap<u128, Arc<SessionModel>>> = Mutex::new(HashMap::new());
    for n in 0..ENTRIES as u128 {
        quick.insert(n, one.clone());
        map.lock().unwrap().insert(n, one.clone());
    }
    let probe = &tokens[ENTRIES / 2];
    let (mut a, mut b, mut c) = (0u128, 0u128, 0usize);
    let mut candidates = vec![
        Candidate::new("Mutex<HashMap<u128, Arc<Session>>> get", || {
            a = (a + 7919) % ENTRIES as u128;
            keep(map.lock().unwrap().get(&a).cloned())
        }),
        Candidate::new("quick_cache::sync::Cache get", || {
            b = (b + 7919) % ENTRIES as u128;
            keep(quick.get(&b))
        }),
        Candidate::new("key hashing alone (SipHash of the token)", || {
            keep(hasher.hash_one(token))
        }),
        Candidate::new("SessionValidator::check, kept (all of it)", || {
            keep(futures_executor_block_on(full.check(probe)).unwrap())
        }),
        Candidate::new(
            "SessionValidator::check, kept, each of the 10,000 in turn (1,000 decoded)",
            || {
                c = (c + 7919) % ENTRIES;
                keep(futures_executor_block_on(full.check(&tokens[c])).unwrap())
            },
        ),
    ];
    compare(
        &format!("A cached answer among {ENTRIES}, no I/O"),
        30,
        20_000,
        &mut candidates,
    );
    drop(candidates);

    // 4. 64 requests in flight through axum.
    let plain = Router::new().route("/me", get(|| async { "ok" }));
    let layered = |validator: SessionValidator| {
        Router::new()
            .route(
                "/me",
                get(|session: Session| async move { session.id.clone() }),
            )
            .layer(SessionLayer::new(validator))
    };
    let hand = {
        let by_hand = by_hand.clone();
        Router::new().route(
            "/me",
            get(move |headers: axum::http::HeaderMap| {
                let by_hand = by_hand.clone();
                async move {
                    let token = headers
                        .get("x-session-token")
                        .and_then(|t| t.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    by_hand(token).await.id
                }
            }),
        )
    };
    let serve = |app: Router| {
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}/me", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            base
        })
    };
    let routes = [
        ("no session at all", serve(plain)),
        (
            "SessionLayer + Session, kept",
            serve(layered(SessionValidator::builder(api.clone()).build())),
        ),
        (
            "SessionLayer + Session, nothing kept (coalesced)",
            serve(layered(
                SessionValidator::builder(api.clone())
                    .max_ttl(Duration::ZERO)
                    .build(),
            )),
        ),
        ("by hand: whoami per request in the handler", serve(hand)),
    ];
    let client = reqwest::Client::new();
    let burst = |url: &str| {
        runtime.block_on(async {
            let requests = (0..64).map(|_| client.get(url).header("x-session-token", token).send());
            for answer in futures_util::future::join_all(requests).await {
                assert!(answer.unwrap().status().is_success());
            }
        })
    };
    let mut candidates: Vec<Candidate> = routes
        .iter()
        .map(|(name, url)| Candidate::new(name, move || burst(url)))
        .collect();
    compare(
        "64 requests in flight through an axum router over TCP (time per burst of 64)",
        20,
        10,
        &mut candidates,
    );
}

/// Runs a future that needs no I/O to completion on this thread.
fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_util::FutureExt::now_or_never(future).expect("a cached check completes at once")
}
