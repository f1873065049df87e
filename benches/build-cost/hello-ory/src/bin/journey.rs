//! The journey of `hello-ours/src/bin/journey.rs` written with
//! ory-kratos-client: it signs up, signs in, reads its session and signs
//! out. `build-cost.sh` compiles both (never runs them) to count the code
//! compiled where operations are used as well as the crate itself. Built
//! only with `--features journey`.

use ory_kratos_client::apis::configuration::Configuration;
use ory_kratos_client::apis::frontend_api;
use ory_kratos_client::models;

type Failure = Box<dyn std::error::Error>;

async fn journey(url: &str, email: &str, password: &str) -> Result<(), Failure> {
    let mut config = Configuration::new();
    config.base_path = url.to_string();

    let flow =
        frontend_api::create_native_registration_flow(&config, None, None, None, None).await?;
    let method = models::UpdateRegistrationFlowWithPasswordMethod::new(
        "password".into(),
        password.into(),
        serde_json::json!({ "email": email }),
    );
    let body = models::UpdateRegistrationFlowBody::Password(Box::new(method));
    let registered = frontend_api::update_registration_flow(&config, &flow.id, body, None).await?;
    println!("registered {}", registered.identity.id);

    let flow = frontend_api::create_native_login_flow(
        &config, None, None, None, None, None, None, None, None,
    )
    .await?;
    let method = models::UpdateLoginFlowWithPasswordMethod::new(
        email.into(),
        "password".into(),
        password.into(),
    );
    let body = models::UpdateLoginFlowBody::Password(Box::new(method));
    let signed_in = frontend_api::update_login_flow(&config, &flow.id, body, None, None).await?;
    let token = signed_in.session_token.unwrap_or_default();

    let session = frontend_api::to_session(&config, Some(&token), None, None).await?;
    println!("signed in: {:?}", session.identity.map(|i| i.id));

    let body = models::PerformNativeLogoutBody::new(token);
    frontend_api::perform_native_logout(&config, body).await?;
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
