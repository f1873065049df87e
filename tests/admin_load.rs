//! The admin API under load against MockKratos: `list_identities().all()`
//! over 10,000 identities (pages of 250) holds no more than the result and
//! a page or two at any time, and an import of 1,000 identities, 16 at a
//! time, reports every failure by its line.
//!
//! Alone in its test binary, so that the allocations it counts are its own
//! (and the mock's, which runs in it). `cargo test --release --test
//! admin_load -- --nocapture` prints the numbers.

//! Needs our document: upstream's leaves `create_identity`'s body optional,
//! so the call is spelled differently there.
#![cfg(kratos_bundled_spec)]

#[path = "../examples/admin.rs"]
#[allow(dead_code)]
mod admin;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kratos_client::testing::MockKratos;

/// Counts the bytes allocated now and at most since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const IDENTITIES: usize = 10_000;
const PAGE: i64 = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_ten_thousand_identities_holds_the_result_and_a_page() {
    let kratos = MockKratos::start().await;
    for n in 0..IDENTITIES {
        kratos.add_identity(
            &format!("user{n:05}@example.com"),
            "correct horse battery",
            None,
        );
    }
    let admin = kratos.identity();
    // One page alone, to know what a page costs at its peak.
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let page = admin
        .list_identities()
        .page_size(PAGE)
        .send()
        .await
        .unwrap();
    let page_peak = PEAK.load(Ordering::Relaxed) - before;
    drop(page);

    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let all = admin.list_identities().page_size(PAGE).all().await.unwrap();
    let took = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let retained = CURRENT.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(all.len(), IDENTITIES);
    println!(
        "list_identities().all(): {IDENTITIES} identities in {:.2} s; result {:.1} MiB, \
         peak {:.1} MiB, one page at its peak {:.1} MiB",
        took.as_secs_f64(),
        retained as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        page_peak as f64 / 1048576.0,
    );
    // Bounded by the result plus about one page (mock and client), never
    // by all the pages at once: 40 pages would be 40 × page_peak.
    assert!(
        peak <= retained + 2 * page_peak,
        "peak {peak} > result {retained} + 2 × page {page_peak}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_a_thousand_identities_reports_every_failure_by_line() {
    let kratos = MockKratos::start().await;
    let path = std::env::temp_dir().join(format!("kratos-import-{}.jsonl", std::process::id()));
    let mut file = std::fs::File::create(&path).unwrap();
    let mut bad = Vec::new();
    for n in 1..=1000 {
        let line = match n % 100 {
            // Not JSON.
            7 => "{not json".to_string(),
            // A trait the schema requires is missing: 400.
            42 => r#"{"schema_id": "default", "traits": {}}"#.to_string(),
            // The identifier of line 1 again: 409.
            99 => r#"{"schema_id": "default", "traits": {"email": "user0001@example.com"}}"#
                .to_string(),
            _ => format!(
                r#"{{"schema_id": "default", "traits": {{"email": "user{n:04}@example.com"}}, "credentials": {{"password": {{"config": {{"password": "correct horse battery"}}}}}}}}"#
            ),
        };
        if matches!(n % 100, 7 | 42 | 99) {
            bad.push(n);
        }
        writeln!(file, "{line}").unwrap();
    }
    drop(file);
    let started = Instant::now();
    let report = admin::import(&kratos.identity(), &path, 16).await.unwrap();
    println!(
        "import: 1000 lines, 16 in flight, in {:.2} s: {} created, {} failed",
        started.elapsed().as_secs_f64(),
        report.created,
        report.failed.len()
    );
    let _ = std::fs::remove_file(&path);
    let failed: Vec<usize> = report.failed.iter().map(|(line, _)| *line).collect();
    assert_eq!(failed, bad, "every failure, by line");
    assert_eq!(report.created, 1000 - bad.len());
    assert_eq!(kratos.identity_count(), 1000 - bad.len());
    let (_, why) = &report.failed[2];
    assert!(why.contains("409"), "{why}");
}
