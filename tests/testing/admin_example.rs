//! The admin example's `identities import` through what goes wrong when
//! users are moved: lines that are not JSON, not an identity, too long, an
//! identity Kratos refuses, a file that ends mid-line, and Kratos going away
//! in the middle and coming back. Each failed line is reported with its
//! number and reason, the run carries on and exits with an error, and
//! importing its failures file completes the import: counted on the
//! server, every identity there once. On a real Kratos (stopped for two
//! seconds) and on MockKratos (answering 503 for two).

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use kratos_client::IdentityApi;
use serde_json::Value;

use super::admin;

const GOOD: usize = 3000;
/// A bcrypt hash (cost 4), as an export from another system holds.
const HASH: &str = "$2b$04$ApDdyioQAvw49CWCfw94huhF4J1X8JkMcGuVwYz9YwuVe3RGugLRK";

/// The lines that cannot be imported, by line number, and what the reason
/// given for each starts with or holds.
const BAD: [(u64, &str); 5] = [
    (100, "not JSON"),
    (200, "not an identity"),
    (300, "Kratos refused it (400)"),
    (400, "longer than"),
    // The last line: the file ends in the middle of it.
    (3005, "not JSON"),
];

fn temp_folder(name: &str) -> PathBuf {
    let folder =
        std::env::temp_dir().join(format!("kratos-admin-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("a temp folder");
    folder
}

/// 3,000 identities with imported hashes, and the bad lines of [`BAD`].
fn write_file(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("the file"));
    let mut good = 0;
    for line in 1..=3005u64 {
        match line {
            100 => writeln!(out, "this is not JSON"),
            200 => writeln!(out, r#"{{"schema_id": "default", "traits": "ada"}}"#),
            300 => writeln!(
                out,
                r#"{{"schema_id": "default", "traits": {{"email": "not an address"}}}}"#
            ),
            400 => writeln!(
                out,
                r#"{{"traits": {{"email": "big@example.com", "pad": "{}"}}}}"#,
                "x".repeat(1 << 20)
            ),
            3005 => write!(out, r#"{{"schema_id": "default", "traits": {{"em"#),
            _ => {
                good += 1;
                writeln!(
                    out,
                    r#"{{"schema_id":"default","traits":{{"email":"m{good}@example.com"}},"credentials":{{"password":{{"config":{{"hashed_password":"{HASH}"}}}}}}}}"#
                )
            }
        }
        .expect("written");
    }
    assert_eq!(good, GOOD);
}

/// Runs `admin --url URL identities import FILE`, as a user would.
async fn import(url: &str, file: &Path) -> Result<(), String> {
    let cli = admin::Cli::parse_from([
        "admin",
        "--url",
        url,
        "identities",
        "import",
        file.to_str().expect("a UTF-8 path"),
        "--batch",
        "100",
        "--in-flight",
        "2",
        "--attempts",
        "4",
    ]);
    admin::run(cli).await.map_err(|failure| failure.to_string())
}

/// Each line of a failures file: its line number and reason.
fn failures(path: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(path)
        .expect("the failures file")
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("a JSON line");
            let failed = &record["_failed"];
            (
                failed["line"].as_u64().expect("a line number"),
                failed["reason"].as_str().expect("a reason").to_string(),
            )
        })
        .collect()
}

/// How many identities have each email, on the server.
async fn on_server(admin: &IdentityApi) -> HashMap<String, usize> {
    let mut emails = HashMap::new();
    for identity in admin
        .list_identities()
        .page_size(500)
        .all()
        .await
        .expect("listed")
    {
        let email = identity.traits["email"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *emails.entry(email).or_default() += 1;
    }
    emails
}

/// Imports the file while `away` takes the server away and back; then the
/// failures file; and checks what each run said against the server.
async fn import_through_an_outage(
    name: &str,
    url: &str,
    admin: IdentityApi,
    away: impl Future<Output = ()>,
) {
    let folder = temp_folder(name);
    let file = folder.join("users.jsonl");
    write_file(&file);

    let (first, ()) = tokio::join!(import(url, &file), away);
    let error = first.expect_err("lines failed, so the run fails");
    assert!(error.contains("lines were not imported"), "{error}");
    let failed = failures(&folder.join("users.jsonl.failed.jsonl"));
    for (line, reason) in BAD {
        let found = failed.iter().find(|(at, _)| *at == line);
        assert!(
            found.is_some_and(|(_, why)| why.contains(reason)),
            "line {line}: {found:?}"
        );
    }
    let outage: Vec<_> = failed
        .iter()
        .filter(|(line, _)| !BAD.iter().any(|(bad, _)| bad == line))
        .collect();
    assert!(!outage.is_empty(), "the outage failed some batches");
    let stored = on_server(&admin).await;
    assert!(stored.values().all(|&n| n == 1), "no identity twice");
    // Every good line is on the server or in the failures file (both, when
    // Kratos stored a batch whose answer was lost).
    assert!(stored.len() + outage.len() >= GOOD);
    assert!(stored.len() < GOOD);
    // Sending each batch four times takes a second or two: the batches
    // after those lost to the outage went in once the server was back.
    assert!(
        stored.contains_key(&format!("m{GOOD}@example.com")),
        "the run carried on after the outage"
    );
    println!(
        "{name}: first run: {} on the server, {} lines failed in the outage ({:?}), {} bad lines",
        stored.len(),
        outage.len(),
        outage.first().map(|(_, why)| why),
        BAD.len()
    );

    // The failures file, imported as it is: the outage's lines go in, the
    // bad ones fail again, each with the line number of that file.
    let again = folder.join("users.jsonl.failed.jsonl");
    let second = import(url, &again).await;
    assert!(second.is_err(), "the bad lines fail again");
    assert_eq!(
        failures(&folder.join("users.jsonl.failed.jsonl.failed.jsonl")).len(),
        BAD.len()
    );
    let stored = on_server(&admin).await;
    assert_eq!(stored.len(), GOOD, "every identity imported");
    assert!(stored.values().all(|&n| n == 1), "none twice");
    for n in 1..=GOOD {
        assert!(stored.contains_key(&format!("m{n}@example.com")), "m{n}");
    }
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test]
async fn an_import_through_a_kratos_that_goes_away_reports_each_line_and_is_completed_by_its_failures_file(
) {
    let Some(server) = crate::common::real_kratos("the admin tool through a stopped Kratos").await
    else {
        return;
    };
    let admin = server.identity();
    let away = async {
        while on_server(&admin).await.len() < 500 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
            .restart_after(Duration::from_secs(2))
            .await
            .expect("Kratos comes back");
    };
    let url = server.admin_uri();
    import_through_an_outage("kratos", &url, server.identity(), away).await;
}

#[tokio::test]
async fn an_import_through_a_mock_that_answers_503_for_a_while_reports_each_line_and_is_completed_by_its_failures_file(
) {
    let kratos = kratos_client::testing::MockKratos::start().await;
    let away = async {
        while kratos.identity_count() < 500 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        kratos.set_unavailable(true);
        tokio::time::sleep(Duration::from_secs(2)).await;
        kratos.set_unavailable(false);
    };
    import_through_an_outage("mock", &kratos.uri(), kratos.identity(), away).await;
}
