//! `KratosServer` on bad input and faults: a binary that is missing, not
//! executable or not Kratos; a Kratos that exits during start-up, never
//! gets ready, or finds its port taken; a Kratos that exits mid-test; a
//! test binary that ends without stopping its server. Each gives an error
//! naming the cause, with the end of Kratos's log and its secrets blanked,
//! and leaves no process running.
//!
//! Most faults are played by a stand-in for Kratos, a small Python script
//! that answers `version` and `migrate` as Kratos does and does what the
//! test asks on `serve` (skipped, saying so, without `/usr/bin/python3`).
//! The rest need a real Kratos in `KRATOS_BIN`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kratos_client::testing::{KratosServer, KratosServerError};

const PYTHON: &str = "/usr/bin/python3";

/// The stand-in: `serve` reads its behaviour from `mode` beside it.
const STAND_IN: &str = r#"
import http.server, json, os, sys, threading, time
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
if args[:1] == ["version"]:
    print("Version:\t\t\tv0.0.0-stand-in\nBuild Commit:\tnone")
    sys.exit(0)
if args[:1] == ["migrate"]:
    print("Successfully applied migrations!")
    sys.exit(0)
mode = open(os.path.join(here, "mode")).read().strip()
config = json.load(open(args[args.index("-c") + 1]))
with open(os.path.join(here, "pid"), "w") as f:
    f.write(str(os.getpid()))
with open(os.path.join(here, "env"), "w") as f:
    f.write("\n".join(sorted(os.environ)))
sys.stdout.flush()
if mode == "exit":
    print("level=info msg=starting secrets=" + json.dumps(config["secrets"]))
    print("level=error msg=unable to open database file: out of memory (14)")
    print("level=info msg=request query:flow=1&code=123456 token ory_st_SecretToken1")
    sys.exit(3)
if mode == "port":
    port = config["serve"]["public"]["port"]
    print("listen tcp 127.0.0.1:%d: bind: address already in use" % port)
    sys.exit(1)
if mode == "hang":
    time.sleep(300)
if mode == "serve":
    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"ok"}')
        def log_message(self, *a):
            pass
    for api in ("public", "admin"):
        port = config["serve"][api]["port"]
        server = http.server.HTTPServer(("127.0.0.1", port), Ready)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(300)
"#;

/// A folder with the stand-in set to `mode`, or `None` (having said why)
/// without Python.
fn stand_in(mode: &str) -> Option<PathBuf> {
    if !Path::new(PYTHON).exists() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: {PYTHON} is absent; the stand-in for Kratos needs it"
        );
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "kratos-stand-in-{}-{mode}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("kratos");
    std::fs::write(&script, format!("#!{PYTHON}\n{STAND_IN}")).unwrap();
    make_executable(&script, true);
    std::fs::write(dir.join("mode"), mode).unwrap();
    Some(dir)
}

#[cfg(unix)]
fn make_executable(path: &Path, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_: &Path, _: bool) {}

/// Whether the process `pid` still runs (Linux).
fn alive(pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // A zombie ("Z") has ended; only its parent has yet to read its status.
    status
        .rsplit(')')
        .next()
        .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
}

/// Waits up to five seconds for `pid` to end.
fn ends(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn pid_in(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("pid"))
        .expect("the stand-in wrote its pid")
        .trim()
        .parse()
        .unwrap()
}

/// Removes a kept server folder once its test has read the log in it.
fn remove_kept(error: &KratosServerError) {
    let log = error.log_path().expect("a kept log");
    assert_eq!(log.file_name().and_then(|n| n.to_str()), Some("kratos.log"));
    let dir = log.parent().expect("the log is in the server's folder");
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert!(name.starts_with("kratos-server-"), "{}", dir.display());
    std::fs::remove_dir_all(dir).unwrap();
}

fn real_kratos(test: &str) -> Option<PathBuf> {
    let bin = std::env::var_os("KRATOS_BIN").filter(|v| !v.is_empty());
    if bin.is_none() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED {test}: KRATOS_BIN is not set"
        );
    }
    bin.map(PathBuf::from)
}

#[tokio::test]
async fn no_binary_missing_and_not_executable_are_named() {
    // `binary` wins over KRATOS_BIN, so these hold whatever the environment says.
    let missing = Path::new("/nonexistent/kratos");
    let err = KratosServer::builder()
        .binary(missing)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KratosServerError::Missing { path } if path == missing),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("/nonexistent/kratos does not exist"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("kratos-not-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kratos");
    std::fs::write(&file, "#!/bin/sh\necho hi\n").unwrap();
    make_executable(&file, false);
    let err = KratosServer::builder()
        .binary(&file)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, KratosServerError::NotExecutable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("is not executable"), "{err}");
    let err = KratosServer::builder()
        .binary(&dir)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, KratosServerError::NotExecutable { .. }),
        "{err:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_binary_that_is_not_kratos_is_refused_before_anything_starts() {
    let err = KratosServer::builder()
        .binary("/bin/ls")
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KratosServerError::NotKratos { path, .. } if path == Path::new("/bin/ls")),
        "{err:?}"
    );
    assert!(err.to_string().contains("/bin/ls is not Kratos"), "{err}");
    assert!(err.log_path().is_none(), "nothing was started");
}

#[tokio::test]
async fn kratos_exiting_during_start_up_is_reported_with_its_log_secrets_blanked() {
    let Some(dir) = stand_in("exit") else { return };
    let err = KratosServer::builder()
        .binary(dir.join("kratos"))
        .start()
        .await
        .unwrap_err();
    let KratosServerError::Exited {
        status,
        log,
        log_path,
    } = &err
    else {
        panic!("expected an exit during start-up, got {err:?}");
    };
    assert!(status.contains('3'), "{status}");
    let shown = err.to_string();
    assert!(shown.contains("unable to open database file"), "{shown}");
    assert!(shown.contains(&log_path.display().to_string()), "{shown}");
    // The server's own secrets, read back from the configuration it was given.
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(log_path.parent().unwrap().join("kratos.json")).unwrap(),
    )
    .unwrap();
    for secret in ["cookie", "cipher", "default"] {
        let value = config["secrets"][secret][0].as_str().unwrap();
        assert!(!log.contains(value), "the {secret} secret leaked: {log}");
    }
    assert!(
        !log.contains("123456") && !log.contains("SecretToken1"),
        "{log}"
    );
    assert!(log.contains("code=<redacted>"), "{log}");
    // Kratos's environment was cleared: nothing of this test process's.
    let env = std::fs::read_to_string(dir.join("env")).unwrap();
    assert!(!env.contains("CARGO"), "{env}");
    assert!(ends(pid_in(&dir)));
    remove_kept(&err);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_taken_port_is_named_and_a_server_that_never_gets_ready_is_stopped() {
    let Some(dir) = stand_in("port") else { return };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = KratosServer::builder()
        .binary(dir.join("kratos"))
        .ports(port, 1)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KratosServerError::PortTaken { port: p, .. } if *p == port),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("port {port} on 127.0.0.1 was taken")),
        "{err}"
    );
    remove_kept(&err);

    std::fs::write(dir.join("mode"), "hang").unwrap();
    let err = KratosServer::builder()
        .binary(dir.join("kratos"))
        .start_timeout(Duration::from_millis(800))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, KratosServerError::NotReady { .. }), "{err:?}");
    assert!(
        ends(pid_in(&dir)),
        "the server that never got ready was stopped"
    );
    remove_kept(&err);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_server_stops_when_dropped_and_removes_its_folder() {
    let Some(dir) = stand_in("serve") else { return };
    let server = KratosServer::builder()
        .binary(dir.join("kratos"))
        .start()
        .await
        .unwrap();
    assert_eq!(server.version(), "v0.0.0-stand-in");
    assert!(server.uri().starts_with("http://127.0.0.1:"));
    assert_ne!(server.uri(), server.admin_uri());
    let pid = server.pid();
    assert_eq!(pid, pid_in(&dir));
    let folder = server.folder().to_path_buf();
    assert!(folder.join("kratos.json").exists());
    assert!(server.running().is_ok());
    drop(server);
    assert!(ends(pid));
    assert!(!folder.exists(), "the folder goes with the server");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Helper for the test below: run in a process of its own, it starts a
/// server, says its pid, and ends without dropping it.
#[tokio::test]
async fn leak_a_server_then_end() {
    let Some(bin) = std::env::var_os("KRATOS_SERVER_LEAK") else {
        return;
    };
    let server = KratosServer::builder().binary(bin).start().await.unwrap();
    println!("pid={} folder={}", server.pid(), server.folder().display());
    std::mem::forget(server);
    std::process::exit(0);
}

#[tokio::test]
async fn a_server_outlives_no_test_binary_that_forgot_it() {
    let Some(dir) = stand_in("serve") else { return };
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kratos_server::leak_a_server_then_end",
            "--nocapture",
        ])
        .env("KRATOS_SERVER_LEAK", dir.join("kratos"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let pid: u32 = stdout
        .split("pid=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout}"));
    assert!(
        ends(pid),
        "the watchdog stopped Kratos when its test binary ended"
    );
    // And removed its folder, which nothing dropped.
    let folder = stdout
        .split("folder=")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the folder");
    assert!(folder.contains("kratos-server-"), "{folder}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(folder).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!Path::new(folder).exists(), "{folder} is still there");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_real_kratos_that_exits_mid_test_is_named_as_the_cause() {
    let Some(bin) = real_kratos("a_real_kratos_that_exits_mid_test_is_named_as_the_cause") else {
        return;
    };
    let server = KratosServer::builder().binary(bin).start().await.unwrap();
    // A release says its tag (`v26.2.0`); a build from source says `master`.
    let version = server.version();
    assert!(version.starts_with('v') || version == "master", "{version}");
    server
        .add_identity("ada@example.com", "correct horse battery", None)
        .await
        .unwrap();
    let status = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    let err = server.running().unwrap_err();
    assert!(matches!(err, KratosServerError::Stopped { .. }), "{err:?}");
    assert!(err.to_string().starts_with("Kratos has exited"), "{err}");
    let err = server
        .add_identity("bo@example.com", "correct horse battery", None)
        .await
        .unwrap_err();
    assert!(matches!(err, KratosServerError::Stopped { .. }), "{err:?}");
}

#[tokio::test]
async fn a_real_kratos_on_a_taken_port_says_so() {
    let Some(bin) = real_kratos("a_real_kratos_on_a_taken_port_says_so") else {
        return;
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = free.local_addr().unwrap().port();
    drop(free);
    let err = KratosServer::builder()
        .binary(bin)
        .ports(other, port)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, KratosServerError::PortTaken { port: p, .. } if *p == port),
        "{err:?}"
    );
    remove_kept(&err);
}

/// Measures a start and a stop of a real Kratos, five times, for
/// BENCHMARKS.md (`KRATOS_BIN=... cargo test --release --test testing
/// -- --ignored --nocapture start_up_time`).
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn start_up_time() {
    let Some(bin) = real_kratos("start_up_time") else {
        return;
    };
    let mut starts = Vec::new();
    let mut stops = Vec::new();
    for _ in 0..5 {
        let at = Instant::now();
        let server = KratosServer::builder().binary(&bin).start().await.unwrap();
        starts.push(at.elapsed());
        let at = Instant::now();
        drop(server);
        stops.push(at.elapsed());
    }
    starts.sort();
    stops.sort();
    println!(
        "start (migrations included): median {:?}, min {:?}, max {:?}; stop: median {:?}",
        starts[2], starts[0], starts[4], stops[2]
    );
}

/// One real Kratos for the whole test binary: started once, on a thread of
/// its own, by the first test that asks; each test then runs on its own
/// runtime against it. The watchdog stops it when the binary ends.
fn shared_kratos() -> Option<&'static KratosServer> {
    static SERVER: std::sync::OnceLock<Option<KratosServer>> = std::sync::OnceLock::new();
    SERVER
        .get_or_init(|| {
            let bin = real_kratos("the tests of a shared KratosServer")?;
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(KratosServer::builder().binary(bin).start())
            })
            .join()
            .unwrap()
            .ok()
        })
        .as_ref()
}

#[tokio::test]
async fn a_shared_server_serves_one_test() {
    let Some(kratos) = shared_kratos() else {
        return;
    };
    kratos
        .add_identity("one@example.com", "correct horse battery", None)
        .await
        .unwrap();
    let flow = kratos.frontend().create_native_login_flow().send().await;
    assert!(flow.is_ok(), "{flow:?}");
}

#[tokio::test]
async fn a_shared_server_serves_another_test_on_another_runtime() {
    let Some(kratos) = shared_kratos() else {
        return;
    };
    kratos
        .add_identity("two@example.com", "correct horse battery", None)
        .await
        .unwrap();
    assert!(!kratos
        .messages()
        .await
        .unwrap()
        .iter()
        .any(|m| m.code().is_empty()));
}

/// A deployment's own configuration (`tests/fixtures/own-kratos/`): the
/// real Kratos runs it, with the addresses, database, courier and secrets
/// a test owns written over it, and the options a test sets; the mock
/// refuses it by name.
#[tokio::test]
async fn a_real_kratos_runs_the_users_own_configuration() {
    use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod as Password;
    use kratos_client::testing::TestKratos;
    use kratos_client::{Error, UpdateRegistrationFlowError};

    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/own-kratos/kratos.yml");
    let refused = TestKratos::builder()
        .binary("/nonexistent/kratos-not-needed")
        .config_file(&own)
        .start_each()
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            KratosServerError::NotForMock {
                option: "config_file"
            }
        ),
        "{refused}"
    );
    assert!(refused
        .to_string()
        .contains("MockKratos cannot play config_file"));

    let Some(bin) = real_kratos("a_real_kratos_runs_the_users_own_configuration") else {
        return;
    };
    let kratos = KratosServer::builder()
        .binary(bin)
        .config_file(&own)
        // An option the test sets goes over the deployment's (login flows
        // of 30 minutes there).
        .flow_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    assert!(kratos.uri().starts_with("http://127.0.0.1:"));
    let api = kratos.frontend();
    // The deployment's schema: its traits, with its titles.
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let mut fields: Vec<&str> = flow.inputs_for("password").iter().map(|i| i.name).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["password", "traits.email", "traits.nickname"]);
    let label = flow
        .inputs_for("password")
        .into_iter()
        .find(|i| i.name == "traits.nickname");
    assert_eq!(label.and_then(|i| i.label), Some("Nickname"));
    // Its password policy: 12 characters at least.
    let traits = serde_json::json!({"email": "ada@example.com", "nickname": "ada"});
    let traits = traits.as_object().cloned().unwrap();
    let short = Password::new("eleven char", traits.clone());
    let err = api
        .update_registration_flow(&flow.id, short)
        .send()
        .await
        .unwrap_err();
    let Error::Api(UpdateRegistrationFlowError::BadRequest(again)) = &err else {
        panic!("expected the form back: {err:?}")
    };
    assert_eq!(again.errors()[0].id(), 4000032, "{:?}", again.errors());
    let done = api
        .update_registration_flow(&flow.id, Password::new("twelve chars!", traits))
        .send()
        .await
        .unwrap();
    assert_eq!(done.identity.schema_id, "member");
    // The courier is the test's: the verification code is queued, readable.
    assert!(kratos.last_code("ada@example.com").await.unwrap().is_some());
    let login = api.create_native_login_flow().send().await.unwrap();
    let at = |t: &str| humantime::parse_rfc3339_weak(t).unwrap();
    let lifespan = at(&login.expires_at)
        .duration_since(at(&login.issued_at))
        .unwrap();
    assert!(lifespan.as_secs().abs_diff(120) <= 1, "{lifespan:?}");
    drop(kratos);

    // Schemas of the test's own in place of the configuration's: the first
    // is the default.
    let member = own.with_file_name("member.schema.json");
    let kratos = KratosServer::builder()
        .binary(real_kratos("a_real_kratos_runs_the_users_own_configuration").unwrap())
        .config_file(&own)
        .identity_schema_file("guest", &member)
        .start()
        .await
        .unwrap();
    let traits = serde_json::json!({"email": "grace@example.com", "nickname": "grace"});
    let flow = kratos
        .frontend()
        .create_native_registration_flow()
        .send()
        .await
        .unwrap();
    let body = Password::new("twelve chars!", traits.as_object().cloned().unwrap());
    let done = kratos
        .frontend()
        .update_registration_flow(&flow.id, body)
        .send()
        .await
        .unwrap();
    assert_eq!(done.identity.schema_id, "guest");
}
