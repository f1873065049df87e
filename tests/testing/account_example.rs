//! The account example keeps its token in a file only its user can read,
//! uses it against a real server (here a `MockKratos` that outlives each
//! command), and forgets it on logout.

// The example is written against our document: its code login sends no
// `csrf_token`, which upstream's marks required.
#![cfg(kratos_bundled_spec)]

#[path = "../../examples/account.rs"]
#[allow(dead_code)]
mod account;

use clap::Parser;
use kratos_client::models::UpdateLoginFlowWithPasswordMethod;
use kratos_client::testing::MockKratos;

/// A file `name` in a folder of its own (the tests run side by side), which
/// the test removes with [`remove_folder`] when done.
fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("kratos-account-test-{}-{name}", std::process::id()))
        .join(name)
}

fn remove_folder(file: &std::path::Path) {
    if let Some(folder) = file.parent() {
        let _ = std::fs::remove_dir_all(folder);
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_token_file_is_private_used_by_later_commands_and_removed_on_logout() {
    let kratos = MockKratos::start().await;
    kratos.add_identity("ada@example.com", "correct horse battery", None);
    let api = kratos.frontend();
    let flow = api.create_native_login_flow().send().await.unwrap();
    let body = UpdateLoginFlowWithPasswordMethod::new("ada@example.com", "correct horse battery");
    let token = api
        .update_login_flow(&flow.id, body)
        .send()
        .await
        .unwrap()
        .session_token
        .unwrap();

    let file = temp_path("session-token");
    account::write_private(&file, &token).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    let cli = |command: &str| {
        account::Cli::parse_from([
            "account",
            "--url",
            &kratos.uri(),
            "--token-file",
            file.to_str().unwrap(),
            command,
        ])
    };
    account::run(cli("whoami"))
        .await
        .expect("whoami with the saved token");
    account::run(cli("sessions"))
        .await
        .expect("sessions with the saved token");
    account::run(cli("logout")).await.expect("logout");
    assert!(!file.exists(), "logout forgets the token");
    assert!(
        api.to_session().session_token(&token).send().await.is_err(),
        "and revokes it"
    );
    let err = account::run(cli("whoami")).await.unwrap_err();
    assert!(err.to_string().contains("not signed in"), "{err}");
    remove_folder(&file);
}

#[cfg(unix)]
#[test]
fn an_existing_token_file_is_made_private_again() {
    use std::os::unix::fs::PermissionsExt;
    let file = temp_path("loose-token");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    account::write_private(&file, "new").unwrap();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
    remove_folder(&file);
}

#[test]
fn bad_flags_are_refused_with_a_clear_error() {
    let err = account::Cli::try_parse_from(["account", "--bogus", "whoami"])
        .err()
        .expect("an unknown flag is an error");
    assert!(err.to_string().contains("--bogus"), "{err}");
    let err = account::Cli::try_parse_from(["account", "revoke"])
        .err()
        .expect("revoke needs an id or --others");
    assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
}

/// The account example's binary, which `cargo test` builds beside the tests.
fn example_binary(name: &str) -> Option<std::path::PathBuf> {
    let deps = std::env::current_exe().ok()?;
    let path = deps.parent()?.parent()?.join("examples").join(name);
    path.is_file().then_some(path)
}

#[test]
fn a_wrong_password_shows_kratos_s_message_not_a_status() {
    let Some(binary) = example_binary("account") else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: the account example's binary is not built beside the tests"
        );
        return;
    };
    use std::io::Write;
    let mut child = std::process::Command::new(binary)
        .args(["--password-stdin", "login", "--email", "demo@example.com"])
        .env_remove("KRATOS_PUBLIC_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"not the password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("The provided credentials are invalid") && stderr.contains("(4000006)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sign-in refused") && !stderr.contains("HTTP 400"),
        "{stderr}"
    );
}

/// `login --provider` on the embedded default: the demo's test provider,
/// a loopback port, the consent page completed by the tool (no terminal
/// here), and a session token at the end; its process prints who signed
/// in and never the token or the code.
#[test]
fn login_with_a_provider_comes_back_to_a_loopback_port() {
    let Some(binary) = example_binary("account") else {
        eprintln!("SKIPPED: the account example's binary is not built beside the tests");
        return;
    };
    let out = std::process::Command::new(binary)
        .args(["login", "--provider", "test"])
        .env_remove("KRATOS_PUBLIC_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Signed in as provider-demo@example.com with test."),
        "{stdout}"
    );
    assert!(
        stderr.contains("completing the test provider's consent page"),
        "{stderr}"
    );
    assert!(
        !format!("{stdout}{stderr}").contains("ory_st_"),
        "no token shown"
    );
    assert!(
        !stderr.contains("code="),
        "no exchange code shown: {stderr}"
    );
}

/// A browser that never comes back times out with a clear error; a port
/// in use is refused before Kratos is asked.
#[tokio::test]
async fn login_with_a_provider_times_out_and_refuses_a_port_in_use() {
    let provider = kratos_client::testing::OidcProvider::start().await;
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    // A port free now (the tests beside this one take ports of their own).
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let kratos = MockKratos::builder()
        .social_sign_in(provider.social_sign_in("test"))
        .allowed_return_urls([format!("http://127.0.0.1:{free}/callback")])
        .start()
        .await;
    let file = temp_path("provider-token");
    let uri = kratos.uri();
    let cli = |args: &[&str]| {
        let mut all = vec!["account", "--url", uri.as_str(), "--token-file"];
        all.push(file.to_str().unwrap());
        all.extend_from_slice(args);
        account::Cli::parse_from(all)
    };
    let port_text = port.to_string();
    let err = account::run(cli(&["login", "--provider", "test", "--port", &port_text]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pass another --port"), "{err}");

    drop(taken);
    let next = free.to_string();
    let err = account::run(cli(&[
        "login",
        "--provider",
        "test",
        "--port",
        &next,
        "--timeout",
        "1",
    ]))
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("no browser came back") && err.to_string().contains("within 1 s"),
        "{err}"
    );
    assert!(!file.exists(), "no token kept");
    remove_folder(&file);
}

/// `login --provider` against a Kratos given with `--url` (a real one when
/// `KRATOS_BIN` is set) whose allowed return addresses include the
/// loopback port: the test plays the person, opening the address the
/// tool prints and pressing Allow, and the browser coming back.
#[tokio::test]
async fn login_with_a_provider_against_a_given_kratos() {
    let Some(binary) = example_binary("account") else {
        eprintln!("SKIPPED: the account example's binary is not built beside the tests");
        return;
    };
    let provider = kratos_client::testing::OidcProvider::start().await;
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let callback = format!("http://127.0.0.1:{port}/callback");
    let kratos = kratos_client::testing::TestKratos::builder()
        .social_sign_in(provider.social_sign_in("test"))
        .allowed_return_urls([callback.as_str()])
        .start()
        .await
        .unwrap();
    let file = temp_path("given-kratos-token");
    let mut child = std::process::Command::new(binary)
        .args(["--url", &kratos.uri(), "--token-file"])
        .arg(&file)
        .args([
            "login",
            "--provider",
            "test",
            "--port",
            &port.to_string(),
            "--timeout",
            "30",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its stderr read on a thread of its own, to its end; the provider's
    // address sent back as soon as it is printed.
    let stderr = child.stderr.take().unwrap();
    let issuer = provider.issuer();
    let (found, printed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.trim().starts_with(&format!("{issuer}/authorize?")) {
                let _ = found.send(line.trim().to_string());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || {
        printed
            .recv_timeout(std::time::Duration::from_secs(30))
            .ok()
    })
    .await
    .unwrap();
    let url = url.expect("the tool prints the provider's address");
    let back = provider.approve(&url, &callback).await.unwrap();
    kratos_client::Client::new("http://127.0.0.1").unwrap();
    let page = reqwest::get(&back).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("Signed in as ada@example.com with test."),
        "{stdout}"
    );
    let token = std::fs::read_to_string(&file).unwrap();
    let whoami = kratos
        .frontend()
        .to_session()
        .session_token(token.trim())
        .send()
        .await;
    assert!(whoami.is_ok(), "{} accepts the saved token", kratos.name());
    remove_folder(&file);
}
