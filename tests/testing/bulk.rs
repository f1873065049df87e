//! `kratos_client::bulk` on each test server: the importer's outcomes in
//! input order (created, already there, refused), Kratos's limits kept
//! (1,000 a batch, 200 cleartext passwords), a connection that breaks after
//! Kratos stored a batch (nothing lost, nothing created twice), and an
//! export imported into another server signing in with the same passwords.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use kratos_client::bulk::{export, ImportOutcome, ImportProgress, Importer};
use kratos_client::models::CreateIdentityBody;
use kratos_client::testing::TestKratos;
use kratos_client::{Client, IdentityApi, RetryPolicy};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::accounts::{identity_body, sign_in};

/// An identity with `email`, and a password (cleartext or a hash) or none.
fn person(email: &str, password: Option<&str>, hash: Option<&str>) -> CreateIdentityBody {
    let mut body = identity_body(email, password, hash);
    if password.is_none() && hash.is_none() {
        body.credentials = None;
    }
    body
}

async fn servers() -> Vec<TestKratos> {
    TestKratos::builder()
        .start_each()
        .await
        .expect("the servers start")
}

async fn count(api: &IdentityApi) -> usize {
    api.list_identities()
        .page_size(500)
        .all()
        .await
        .unwrap()
        .len()
}

async fn import(importer: Importer, items: Vec<CreateIdentityBody>) -> Vec<ImportOutcome> {
    let outcomes: Vec<_> = importer
        .import(futures_util::stream::iter(items))
        .collect()
        .await;
    for (n, item) in outcomes.iter().enumerate() {
        assert_eq!(item.index, n as u64, "outcomes in input order");
    }
    outcomes.into_iter().map(|i| i.outcome).collect()
}

#[tokio::test]
async fn the_importer_gives_each_item_its_outcome_in_order() {
    let hash = bcrypt::hash("an imported battery", 4).unwrap();
    for kratos in servers().await {
        let admin = kratos.identity();
        kratos
            .add_identity("taken@example.com", "a battery", None)
            .await
            .unwrap();
        // 2,300 identities: three batches of at most 1,000, with a taken
        // one, one its schema refuses, and the same address twice.
        let mut items: Vec<CreateIdentityBody> = (0..2300)
            .map(|n| person(&format!("p{n}@example.com"), None, Some(&hash)))
            .collect();
        items[5] = person("taken@example.com", None, Some(&hash));
        items[1500] = person("not-an-email", None, Some(&hash));
        items[2200] = person("p2199@example.com", None, Some(&hash));
        let outcomes = import(Importer::new(admin.clone()).in_flight(2), items).await;
        let mut progress = ImportProgress::new();
        outcomes.iter().for_each(|o| progress.add(o));
        assert_eq!(
            outcomes[5],
            ImportOutcome::AlreadyThere,
            "on {}",
            kratos.name()
        );
        assert!(
            matches!(&outcomes[1500], ImportOutcome::Refused { status: 400, reason, .. } if reason.contains("not-an-email")),
            "on {}: {:?}",
            kratos.name(),
            outcomes[1500]
        );
        // The address again, later in the input: already there.
        assert_eq!(outcomes[2200], ImportOutcome::AlreadyThere);
        assert_eq!(
            (
                progress.created,
                progress.already_there,
                progress.refused,
                progress.failed
            ),
            (2297, 2, 1, 0),
            "on {}",
            kratos.name()
        );
        assert_eq!(count(&admin).await, 2298);
    }
}

#[tokio::test]
async fn batches_keep_to_kratos_s_limit_of_200_cleartext_passwords() {
    for kratos in servers().await {
        let admin = kratos.identity();
        let items: Vec<CreateIdentityBody> = (0..450)
            .map(|n| {
                person(
                    &format!("c{n}@example.com"),
                    Some("a cleartext battery"),
                    None,
                )
            })
            .collect();
        let outcomes = import(Importer::new(admin.clone()), items).await;
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, ImportOutcome::Created { .. })),
            "on {}: {:?}",
            kratos.name(),
            outcomes
                .iter()
                .find(|o| !matches!(o, ImportOutcome::Created { .. }))
        );
    }
}

/// A proxy in front of `upstream` that passes everything through, except
/// that it breaks the connection of the `nth` batch request (from 1) once
/// the server starts answering it: the server stored the batch, the
/// client never hears so.
async fn breaking_proxy(upstream: String, nth: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let batches = Arc::new(AtomicUsize::new(0));
    let seen = batches.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let doomed = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let marked = doomed.clone();
                let up = tokio::spawn(async move {
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        let Ok(n) = client_read.read(&mut buffer).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        let chunk = &buffer[..n];
                        if chunk.windows(24).any(|w| w == b"PATCH /admin/identities ")
                            && seen.fetch_add(1, Ordering::SeqCst) + 1 == nth
                        {
                            marked.store(true, Ordering::SeqCst);
                        }
                        if server_write.write_all(chunk).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = server_read.read(&mut buffer).await {
                    if n == 0 || doomed.load(Ordering::SeqCst) {
                        // The answer to the doomed batch never reaches the
                        // client: the connection just closes.
                        break;
                    }
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    (address, batches)
}

#[tokio::test]
async fn a_connection_that_breaks_after_kratos_stored_a_batch_loses_and_doubles_nothing() {
    for kratos in servers().await {
        let (proxy, batches) = breaking_proxy(kratos.admin_uri(), 2).await;
        let admin = Client::builder(proxy.as_str()).build().unwrap().identity();
        let items: Vec<CreateIdentityBody> = (0..1200)
            .map(|n| person(&format!("b{n}@example.com"), None, None))
            .collect();
        let importer = Importer::new(admin)
            .batch_size(300)
            .in_flight(1)
            .retry(RetryPolicy::new(4).initial_backoff(std::time::Duration::from_millis(20)));
        let started = std::time::Instant::now();
        let outcomes = import(importer, items).await;
        // The lost batch costs one request, not a lookup per identity.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "on {}: {:?}",
            kratos.name(),
            started.elapsed()
        );
        let mut progress = ImportProgress::new();
        outcomes.iter().for_each(|o| progress.add(o));
        // The second batch (items 300 to 599) was stored, its answer lost:
        // sent again, each of its identities clashes with itself.
        assert!(
            outcomes[300..600]
                .iter()
                .all(|o| *o == ImportOutcome::Present),
            "on {}: {:?}",
            kratos.name(),
            &outcomes[300]
        );
        assert_eq!(
            (progress.created, progress.present, progress.failures()),
            (900, 300, 0)
        );
        // Four batches, the lost one sent twice.
        assert_eq!(batches.load(Ordering::SeqCst), 5);
        assert_eq!(
            count(&kratos.identity()).await,
            1200,
            "on {}",
            kratos.name()
        );
    }
}

#[tokio::test]
async fn an_export_imported_into_another_server_signs_in_with_the_same_passwords() {
    let hash = bcrypt::hash("an imported battery", 4).unwrap();
    let from = servers().await;
    let to = servers().await;
    for (from, to) in from.iter().zip(&to) {
        let mut items: Vec<CreateIdentityBody> = (0..1500)
            .map(|n| person(&format!("e{n}@example.com"), None, Some(&hash)))
            .collect();
        items[7] = person("cleartext@example.com", Some("a cleartext battery"), None);
        let mut with_metadata = person("meta@example.com", None, Some(&hash));
        with_metadata.metadata_admin = Some(json!({"plan": "pro"}));
        with_metadata.external_id = Some("crm-7".into());
        items[8] = with_metadata;
        import(Importer::new(from.identity()), items).await;

        let exported: Vec<CreateIdentityBody> = export(&from.identity(), 250, true)
            .map(|item| item.expect("an exported identity"))
            .collect()
            .await;
        assert_eq!(exported.len(), 1500, "from {}", from.name());
        // As JSON lines and back.
        let lines: Vec<String> = exported
            .iter()
            .map(|b| serde_json::to_string(b).unwrap())
            .collect();
        let read: Vec<CreateIdentityBody> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let outcomes = import(Importer::new(to.identity()), read).await;
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, ImportOutcome::Created { .. })),
            "into {}",
            to.name()
        );

        let api = to.frontend();
        for (email, password) in [
            ("e0@example.com", "an imported battery"),
            ("cleartext@example.com", "a cleartext battery"),
        ] {
            assert!(
                sign_in(&api, email, password).await.is_some(),
                "{email} signs in on {}",
                to.name()
            );
        }
        let meta = to
            .identity()
            .get_identity_by_external_id("crm-7")
            .send()
            .await
            .unwrap();
        assert_eq!(meta.metadata_admin, Some(json!({"plan": "pro"})));
    }
}

/// Imports 3,000 identities while `away` takes the server away for a
/// moment and back: every one is in Kratos at the end, once.
async fn import_through_an_outage(
    admin: IdentityApi,
    count_on: IdentityApi,
    away: impl std::future::Future<Output = ()>,
) -> ImportProgress {
    let items: Vec<CreateIdentityBody> = (0..3000)
        .map(|n| person(&format!("o{n}@example.com"), None, None))
        .collect();
    let importer = Importer::new(admin).batch_size(100).in_flight(2).retry(
        RetryPolicy::new(10)
            .initial_backoff(std::time::Duration::from_millis(100))
            .max_backoff(std::time::Duration::from_secs(2)),
    );
    let (outcomes, ()) = tokio::join!(import(importer, items), away);
    let mut progress = ImportProgress::new();
    outcomes.iter().for_each(|o| progress.add(o));
    assert_eq!(
        progress.failures(),
        0,
        "{:?}",
        outcomes.iter().find(|o| !o.is_in_kratos())
    );
    assert_eq!(progress.created + progress.present, 3000);
    assert_eq!(count(&count_on).await, 3000, "none lost, none twice");
    progress
}

#[tokio::test]
async fn a_kratos_that_restarts_mid_import_loses_and_doubles_nothing() {
    let Some(server) = crate::common::real_kratos("the importer through a Kratos restart").await
    else {
        return;
    };
    let restart = async {
        // Once the import is under way.
        while count(&server.identity()).await < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        server.restart().await.expect("Kratos comes back");
    };
    let progress = import_through_an_outage(server.identity(), server.identity(), restart).await;
    println!(
        "through a restart: {} created, {} present",
        progress.created, progress.present
    );
}

#[tokio::test]
async fn a_mock_that_is_unavailable_for_a_while_mid_import_loses_nothing() {
    let kratos = kratos_client::testing::MockKratos::start().await;
    let away = async {
        while kratos.identity_count() < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // 503 on every call, then back.
        kratos.set_unavailable(true);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        kratos.set_unavailable(false);
    };
    let progress = import_through_an_outage(kratos.identity(), kratos.identity(), away).await;
    // 503 means nothing was stored: sent again, created.
    assert_eq!(progress.present, 0);
}
