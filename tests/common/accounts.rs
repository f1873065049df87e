//! Accounts for the admin tests: identities to create, patches to send, and
//! signing in to check what they allow. Needs our document (the body and
//! login calls are spelled differently with upstream's).

use kratos_client::models::{
    CreateIdentityBody, IdentityWithCredentials, IdentityWithCredentialsPassword,
    IdentityWithCredentialsPasswordConfig, JsonPatch, JsonPatchOp,
    UpdateLoginFlowWithPasswordMethod,
};
use kratos_client::FrontendApi;
use serde_json::{json, Value};

/// An identity of the default schema with `email`, signing in with a
/// cleartext `password` or an imported `hash`.
pub fn identity_body(
    email: &str,
    password: Option<&str>,
    hash: Option<&str>,
) -> CreateIdentityBody {
    let traits = json!({"email": email})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut body = CreateIdentityBody::new("default", traits);
    let mut config = IdentityWithCredentialsPasswordConfig::default();
    config.password = password.map(str::to_string);
    config.hashed_password = hash.map(str::to_string);
    let credential = IdentityWithCredentialsPassword::new().config(config);
    let credentials = IdentityWithCredentials::new().password(credential);
    body.credentials = Some(credentials);
    body
}

/// One JSON Patch operation.
pub fn patch(op: JsonPatchOp, path: &str, value: Option<Value>) -> JsonPatch {
    let mut patch = JsonPatch::new(op, path);
    patch.value = value;
    patch
}

/// Signs in by password; the session token, or `None` when refused.
pub async fn sign_in(api: &FrontendApi, email: &str, password: &str) -> Option<String> {
    let flow = api.create_native_login_flow().send().await.ok()?;
    let body = UpdateLoginFlowWithPasswordMethod::new(email, password);
    api.update_login_flow(&flow.id, body)
        .send()
        .await
        .ok()?
        .session_token
}
