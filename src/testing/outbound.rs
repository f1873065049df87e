//! The mock's own requests to other servers (a social sign-in provider,
//! the app's web hooks), sent while it answers one: its server answers on
//! wiremock's thread, which must not wait on itself.

use serde_json::Value;

/// The status and JSON body of a request sent from inside the mock, whose
/// server answers on a thread of its own: sent from another thread with a
/// runtime of its own, and waited for. `None` when it gets no answer.
pub(super) fn blocking(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send,
) -> Option<(u16, Value)> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let response = request.await.ok()?;
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await.ok()?;
                    Some((
                        status,
                        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    ))
                })
            })
            .join()
            .ok()
            .flatten()
    })
}
