//! An app that sends requests: it signs up, signs in, reads its session and
//! signs out, six operations in all. `build-cost.sh` compiles it beside the
//! same journey written with ory-kratos-client, so that the code compiled
//! where operations are used is counted as well as the crate itself.
//! Built only with `--features journey`; never run by the script.

use kratos_client::models::{
    PerformNativeLogoutBody, UpdateLoginFlowWithPasswordMethod,
    UpdateRegistrationFlowWithPasswordMethod,
};
use kratos_client::FrontendApi;

type Failure = Box<dyn std::error::Error>;

async fn journey(url: &str, email: &str, password: &str) -> Result<(), Failure> {
    let api = FrontendApi::new(url)?;

    let flow = api.create_native_registration_flow().send().await?;
    let mut traits = serde_json::Map::new();
    traits.insert("email".into(), email.into());
    let body = UpdateRegistrationFlowWithPasswordMethod::new(password, traits);
    let registered = api.update_registration_flow(&flow.id, body).send().await?;
    println!("registered {}", registered.identity.id);

    let flow = api.create_native_login_flow().send().await?;
    let body = UpdateLoginFlowWithPasswordMethod::new(email, password);
    let signed_in = api.update_login_flow(&flow.id, body).send().await?;
    let token = signed_in.session_token.unwrap_or_default();

    let session = api
        .to_session()
        .session_token(token.as_str())
        .send()
        .await?;
    println!("signed in: {:?}", session.identity.map(|i| i.id));

    let body = PerformNativeLogoutBody::new(token);
    api.perform_native_logout(body).send().await?;
    Ok(())
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(email), Some(password)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: journey URL EMAIL PASSWORD".into());
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(journey(&url, &email, &password))
}
