//! Importing identities into a real Kratos: `kratos_client::bulk::Importer`
//! (batches of 1,000 through `batchPatchIdentities`, 4 in flight) against
//! one `createIdentity` per identity, 16 in flight (the admin example's old
//! way), each identity with an imported bcrypt hash; then exporting them
//! all. Identities per second, and the CPU each side used: this process
//! and the Kratos process (`/proc/PID/stat`). Needs an empty Kratos:
//!
//! `KRATOS_ADMIN_URL=http://127.0.0.1:4434 KRATOS_PID=... IMPORT_N=100000
//! BASELINE_N=20000 cargo bench --bench import`

#[path = "../../tests/common/accounts.rs"]
#[allow(dead_code)]
mod accounts;

use std::time::Instant;

use futures_util::StreamExt;
use kratos_client::bulk::{export, ImportOutcome, Importer};
use kratos_client::models::CreateIdentityBody;

/// bcrypt (cost 4) of "correct horse battery staple": Kratos stores an
/// imported hash as it is.
const HASH: &str = "$2b$04$ApDdyioQAvw49CWCfw94huhF4J1X8JkMcGuVwYz9YwuVe3RGugLRK";

/// An identity with `email` and the imported [`HASH`].
fn person(email: String) -> CreateIdentityBody {
    accounts::identity_body(&email, None, Some(HASH))
}

/// CPU seconds (user + system) of process `pid`.
fn cpu(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime is the 12th,
    // stime the 13th (fields 14 and 15 of the whole line).
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

struct Measured {
    seconds: f64,
    ours: f64,
    kratos: f64,
}

async fn measure<F: std::future::Future<Output = ()>>(kratos_pid: &str, work: F) -> Measured {
    let (ours, kratos) = (cpu("self"), cpu(kratos_pid));
    let started = Instant::now();
    work.await;
    Measured {
        seconds: started.elapsed().as_secs_f64(),
        ours: cpu("self") - ours,
        kratos: cpu(kratos_pid) - kratos,
    }
}

fn report(name: &str, n: usize, m: &Measured) -> f64 {
    let rate = n as f64 / m.seconds;
    println!(
        "  {name:<46} {n:>7} in {:>7.2} s = {rate:>8.0}/s; CPU: ours {:.2} s, Kratos {:.2} s ({:.1}% of Kratos's)",
        m.seconds,
        m.ours,
        m.kratos,
        100.0 * m.ours / m.kratos.max(1e-9)
    );
    rate
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(url) = std::env::var("KRATOS_ADMIN_URL") else {
        println!("SKIPPED: KRATOS_ADMIN_URL is not set (an empty Kratos's admin URL)");
        return;
    };
    let pid = std::env::var("KRATOS_PID").unwrap_or_else(|_| "self".into());
    let n = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (import_n, baseline_n) = (n("IMPORT_N", 100_000), n("BASELINE_N", 20_000));
    let admin = kratos_client::Client::builder(url.as_str())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
        .identity();
    println!("Importing into {url} (Kratos pid {pid}), bcrypt hashes imported:");

    let baseline = measure(&pid, async {
        let failed = futures_util::stream::iter(0..baseline_n)
            .map(|i| {
                let admin = admin.clone();
                async move {
                    admin
                        .create_identity(person(format!("one{i}@bench.example")))
                        .send()
                        .await
                        .is_err()
                }
            })
            .buffer_unordered(16)
            .filter(|failed| std::future::ready(*failed))
            .count()
            .await;
        assert_eq!(failed, 0, "createIdentity failed");
    })
    .await;
    let baseline_rate = report("createIdentity, 16 in flight", baseline_n, &baseline);

    let importer = measure(&pid, async {
        let input = futures_util::stream::iter(
            (0..import_n).map(|i| person(format!("batch{i}@bench.example"))),
        );
        let not_created = Importer::new(admin.clone())
            .import(input)
            .filter(|item| {
                std::future::ready(!matches!(item.outcome, ImportOutcome::Created { .. }))
            })
            .count()
            .await;
        assert_eq!(not_created, 0, "the importer failed some");
    })
    .await;
    let importer_rate = report(
        "bulk::Importer, batches of 1,000, 4 in flight",
        import_n,
        &importer,
    );
    println!(
        "  importer against createIdentity: x{:.1}",
        importer_rate / baseline_rate
    );

    let total = baseline_n + import_n;
    let exported = measure(&pid, async {
        let count = export(&admin, 500, true)
            .filter(|i| std::future::ready(i.is_ok()))
            .count()
            .await;
        assert_eq!(count, total);
    })
    .await;
    report("bulk::export with hashes, pages of 500", total, &exported);
}
