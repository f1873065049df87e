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

/// The failures file's lines: (line number, reason).
fn failures(path: &std::path::Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let failed = &record["_failed"];
            (
                failed["line"].as_u64().unwrap(),
                failed["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_a_thousand_identities_reports_every_failure_by_line() {
    let kratos = MockKratos::start().await;
    let dir = std::env::temp_dir().join(format!("kratos-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut bad = Vec::new();
    for n in 1..=1000u64 {
        let line = match n % 100 {
            // Not JSON.
            7 => "{not json".to_string(),
            // A trait the schema requires is missing: Kratos refuses it.
            42 => r#"{"schema_id": "default", "traits": {}}"#.to_string(),
            // The identifier of line 1 again: already there, not a failure.
            99 => r#"{"schema_id": "default", "traits": {"email": "user0001@example.com"}}"#
                .to_string(),
            // Longer than a line may be.
            55 if n == 555 => format!(r#"{{"traits": {{"email": "{}"}}}}"#, "x".repeat(2 << 20)),
            _ => format!(
                r#"{{"schema_id": "default", "traits": {{"email": "user{n:04}@example.com"}}, "credentials": {{"password": {{"config": {{"password": "correct horse battery"}}}}}}}}"#
            ),
        };
        if matches!(n % 100, 7 | 42) || n == 555 {
            bad.push(n);
        }
        if n == 1000 {
            // The file ends mid-line.
            write!(file, r#"{{"schema_id": "default", "tra"#).unwrap();
            bad.push(n);
        } else {
            writeln!(file, "{line}").unwrap();
        }
    }
    drop(file);
    let started = Instant::now();
    let options = admin::ImportOptions {
        batch: 1000,
        in_flight: 4,
        attempts: 6,
        resume: false,
    };
    let report = admin::import(&kratos.identity(), &path, &options)
        .await
        .unwrap();
    println!(
        "import: 1000 lines in {:.2} s: {} created, {} already there, {} failed",
        started.elapsed().as_secs_f64(),
        report.progress.created,
        report.progress.already_there,
        report.failed()
    );
    let failed = failures(&report.failures);
    let lines: Vec<u64> = failed.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, bad, "every failure, by line, in order");
    assert!(failed[0].1.starts_with("not JSON"), "{:?}", failed[0]);
    assert!(failed[1].1.contains("(400)"), "{:?}", failed[1]);
    let already = 1000 / 100;
    assert_eq!(report.progress.already_there, already);
    assert_eq!(report.failed(), bad.len() as u64);
    assert_eq!(kratos.identity_count(), 1000 - bad.len() - already as usize);

    // A run that resumes from the checkpoint skips what the first one did
    // and keeps its failures file as it was.
    let again = admin::ImportOptions {
        resume: true,
        ..options
    };
    let resumed = admin::import(&kratos.identity(), &path, &again)
        .await
        .unwrap();
    assert_eq!(resumed.progress.done, 0, "nothing left to do");
    assert_eq!(failures(&resumed.failures).len(), bad.len());

    // Gzipped, into an empty server: the same outcomes.
    let gzipped = dir.join("users.jsonl.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gzipped).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&std::fs::read(&path).unwrap()).unwrap();
    encoder.finish().unwrap();
    let empty = MockKratos::start().await;
    let report = admin::import(&empty.identity(), &gzipped, &options)
        .await
        .unwrap();
    let lines: Vec<u64> = failures(&report.failures)
        .iter()
        .map(|(line, _)| *line)
        .collect();
    assert_eq!(lines, bad);
    assert_eq!(empty.identity_count(), 1000 - bad.len() - already as usize);
    let _ = std::fs::remove_dir_all(&dir);
}
