//! The mock's own requests to other servers (a social sign-in provider,
//! the app's web hooks), sent while it answers one: its server answers on
//! wiremock's thread, which must not wait on itself. One client and one
//! small runtime of their own serve every mock in the process: building a
//! client (its TLS roots) took ~20 ms per request, more than a real Kratos
//! takes to call a hook.

use std::future::Future;
use std::sync::OnceLock;

use serde_json::Value;

/// The client and the runtime the mock's requests run on (a runtime of
/// one thread, driven by a thread of its own for the process's life);
/// `None` when either could not be made.
fn shared() -> Option<&'static (tokio::runtime::Handle, reqwest::Client)> {
    static SHARED: OnceLock<Option<(tokio::runtime::Handle, reqwest::Client)>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let (started, handle) = std::sync::mpsc::sync_channel(1);
            std::thread::Builder::new()
                .name("mock-kratos-outbound".into())
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    match runtime {
                        Ok(runtime) => {
                            let _ = started.send(Some(runtime.handle().clone()));
                            runtime.block_on(std::future::pending::<()>());
                        }
                        Err(_) => {
                            let _ = started.send(None);
                        }
                    }
                })
                .ok()?;
            let handle = handle.recv().ok()??;
            let client = crate::client::bare_client().ok()?;
            Some((handle, client))
        })
        .as_ref()
}

/// The client for the mock's own requests (no redirects followed).
pub(super) fn client() -> Option<reqwest::Client> {
    shared().map(|(_, client)| client.clone())
}

/// Runs `future` on the mock's runtime and waits for it, from a thread
/// that may itself be inside a runtime. `None` when it could not run.
pub(super) fn wait<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let (runtime, _) = shared()?;
    let (done, result) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = done.send(future.await);
    });
    result.recv().ok()
}

/// The status and JSON body of `request`, sent from the mock's runtime
/// and waited for. `None` when it gets no answer.
pub(super) fn blocking(request: reqwest::RequestBuilder) -> Option<(u16, Value)> {
    wait(async move {
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.ok()?;
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    })
    .flatten()
}
