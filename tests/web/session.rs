//! `SessionValidator`: each outcome, which credential reaches Kratos, how
//! long answers are kept, one lookup for many checks, failing closed when
//! Kratos is down or slow, and no credential in what it prints.

use std::sync::Arc;
use std::time::Duration;

use kratos_client::models::UpdateLoginFlowWithPasswordMethod;
use kratos_client::session::{Refusal, SessionValidator};
use kratos_client::testing::MockKratos;
use kratos_client::{FrontendApi, HeaderMap, HeaderValue};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

async fn sign_in(api: &FrontendApi) -> String {
    sign_in_as(api, EMAIL).await
}

async fn sign_in_as(api: &FrontendApi, email: &str) -> String {
    let flow = api.create_native_login_flow().send().await.unwrap();
    api.update_login_flow(
        &flow.id,
        UpdateLoginFlowWithPasswordMethod::new(email, PASSWORD),
    )
    .send()
    .await
    .unwrap()
    .session_token
    .unwrap()
}

fn with(name: &'static str, value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(name, HeaderValue::from_str(value).unwrap());
    headers
}

async fn signed_in(kratos: &MockKratos) -> String {
    kratos.add_identity(EMAIL, PASSWORD, None);
    sign_in(&kratos.frontend()).await
}

#[tokio::test]
async fn each_outcome() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    let validator = SessionValidator::builder(kratos.frontend()).build();

    let ok = validator
        .check(&with("x-session-token", &token))
        .await
        .unwrap();
    let identity = ok.session.identity.as_ref().expect("the identity");
    assert_eq!(identity.traits["email"], EMAIL);
    // The mock's session cookie carries the token; the validator forwards it.
    let by_cookie = validator
        .check(&with(
            "cookie",
            &format!("theme=dark; ory_kratos_session={token}"),
        ))
        .await
        .unwrap();
    assert_eq!(by_cookie.session.id, ok.session.id);

    assert_eq!(
        validator.check(&HeaderMap::new()).await.unwrap_err(),
        Refusal::NoCredentials
    );
    assert_eq!(
        validator
            .check(&with("cookie", "theme=dark"))
            .await
            .unwrap_err(),
        Refusal::NoCredentials,
        "the app's own cookies are no credential"
    );
    let refused = validator
        .check(&with("x-session-token", "ory_st_unknown"))
        .await;
    assert!(
        matches!(refused, Err(Refusal::Refused { error_id: None })),
        "{refused:?}"
    );

    let strict = MockKratos::builder().second_factor(true).start().await;
    let token = signed_in(&strict).await;
    let validator = SessionValidator::builder(strict.frontend()).build();
    match validator.check(&with("x-session-token", &token)).await {
        Err(Refusal::Aal2Required {
            redirect_browser_to,
        }) => {
            assert!(redirect_browser_to.is_some_and(|to| to.contains("aal=aal2")));
        }
        other => panic!("expected aal2 to be required, got {other:?}"),
    }
}

#[tokio::test]
async fn only_the_allowed_cookies_reach_kratos() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let cookie =
        format!("theme=dark; ory_kratos_session={token}; analytics=abc123; ory_session_acme=x");
    validator.check(&with("cookie", &cookie)).await.unwrap();
    let requests = kratos.received_requests().await;
    let whoami = requests
        .iter()
        .find(|r| r.url.path() == "/sessions/whoami")
        .expect("a whoami");
    assert_eq!(
        whoami.header("cookie"),
        Some(format!("ory_kratos_session={token}; ory_session_acme=x").as_str())
    );
    assert!(whoami.header("x-session-token").is_none());
}

#[tokio::test]
async fn answers_are_kept_for_the_least_of_the_header_and_the_maximum() {
    let kratos = MockKratos::builder()
        .cacheable_sessions(Duration::from_secs(1))
        .start()
        .await;
    let token = signed_in(&kratos).await;
    let request = with("x-session-token", &token);

    // Kratos says one second; the validator's maximum is a minute.
    let validator = SessionValidator::builder(kratos.frontend()).build();
    for _ in 0..5 {
        validator.check(&request).await.unwrap();
    }
    assert_eq!(kratos.whoami_calls(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    validator.check(&request).await.unwrap();
    assert_eq!(
        kratos.whoami_calls(),
        2,
        "asked again once Kratos's time was up"
    );

    // The maximum is shorter: it wins.
    let validator = SessionValidator::builder(kratos.frontend())
        .max_ttl(Duration::from_millis(200))
        .build();
    validator.check(&request).await.unwrap();
    validator.check(&request).await.unwrap();
    assert_eq!(kratos.whoami_calls(), 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    validator.check(&request).await.unwrap();
    assert_eq!(kratos.whoami_calls(), 4);

    // Zero keeps nothing.
    let validator = SessionValidator::builder(kratos.frontend())
        .max_ttl(Duration::ZERO)
        .build();
    validator.check(&request).await.unwrap();
    validator.check(&request).await.unwrap();
    assert_eq!(kratos.whoami_calls(), 6);
}

#[tokio::test]
async fn a_cached_session_no_longer_kept_decoded_is_the_same_session_without_asking_kratos() {
    let kratos = MockKratos::start().await;
    let emails = ["ada@example.com", "bob@example.com", "cy@example.com"];
    let mut requests = Vec::new();
    for email in emails {
        kratos.add_identity(email, PASSWORD, None);
        let token = sign_in_as(&kratos.frontend(), email).await;
        requests.push(with("x-session-token", &token));
    }
    // One session kept decoded: checking the three in turn decodes the
    // other two from what the cache kept of them.
    let validator = SessionValidator::builder(kratos.frontend())
        .keep_decoded(1)
        .build();
    let mut first = Vec::new();
    for request in &requests {
        first.push(validator.check(request).await.unwrap().session);
    }
    assert_eq!(kratos.whoami_calls(), 3);
    for _ in 0..3 {
        for (request, from_kratos) in requests.iter().zip(&first) {
            let cached = validator.check(request).await.unwrap();
            assert_eq!(
                *cached.session, **from_kratos,
                "the same session, every field"
            );
            assert!(cached.set_cookie.is_empty());
        }
    }
    assert_eq!(kratos.whoami_calls(), 3, "all from the cache");
    let traits = |s: &Arc<kratos_client::models::Session>| {
        s.identity.as_ref().unwrap().traits["email"].clone()
    };
    assert_eq!(traits(&first[1]), emails[1]);
    // None kept decoded: the same.
    let validator = SessionValidator::builder(kratos.frontend())
        .keep_decoded(0)
        .build();
    let from_kratos = validator.check(&requests[0]).await.unwrap().session;
    let again = validator.check(&requests[0]).await.unwrap().session;
    assert_eq!(*again, *from_kratos);
    assert!(!Arc::ptr_eq(&again, &from_kratos), "decoded again");
    assert_eq!(kratos.whoami_calls(), 4);
}

#[tokio::test]
async fn a_revoked_session_counts_until_its_entry_expires_or_is_invalidated() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    let request = with("x-session-token", &token);
    let validator = SessionValidator::builder(kratos.frontend())
        .max_ttl(Duration::from_millis(300))
        .build();
    validator.check(&request).await.unwrap();
    let other = sign_in(&kratos.frontend()).await;
    kratos
        .frontend()
        .disable_my_other_sessions()
        .session_token(other.as_str())
        .send()
        .await
        .unwrap();
    assert!(validator.check(&request).await.is_ok(), "still cached");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        validator.check(&request).await,
        Err(Refusal::Refused { .. })
    ));
    // Refusals are not kept: a new sign-in is seen at once.
    let fresh = sign_in(&kratos.frontend()).await;
    let fresh = with("x-session-token", &fresh);
    validator.check(&fresh).await.unwrap();
    validator.invalidate(&fresh);
    assert_eq!(validator.cached(), 0);
    let calls = kratos.whoami_calls();
    validator.check(&fresh).await.unwrap();
    assert_eq!(
        kratos.whoami_calls(),
        calls + 1,
        "asked again after invalidate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_checks_of_one_credential_send_one_whoami() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    // Slow enough that every check starts while the first lookup waits.
    kratos.set_delay(Some(Duration::from_millis(300)));
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let request = Arc::new(with("x-session-token", &token));
    let checks: Vec<_> = (0..1000)
        .map(|_| {
            let (validator, request) = (validator.clone(), request.clone());
            tokio::spawn(async move { validator.check(&request).await })
        })
        .collect();
    for check in checks {
        assert!(check.await.unwrap().is_ok());
    }
    assert_eq!(kratos.whoami_calls(), 1);
}

#[tokio::test]
async fn kratos_down_or_slow_is_unavailable_never_a_session_and_not_kept() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    let request = with("x-session-token", &token);
    let validator = SessionValidator::builder(kratos.frontend())
        .timeout(Duration::from_millis(200))
        .cache_refusals(Duration::from_secs(60))
        .build();

    kratos.set_unavailable(true);
    let down = validator.check(&request).await;
    assert!(matches!(down, Err(Refusal::Unavailable { .. })), "{down:?}");
    kratos.set_unavailable(false);
    kratos.set_delay(Some(Duration::from_millis(500)));
    let slow = validator.check(&request).await;
    assert!(matches!(slow, Err(Refusal::Unavailable { .. })), "{slow:?}");
    kratos.set_delay(None);
    assert!(
        validator.check(&request).await.is_ok(),
        "an outage is not kept"
    );

    // Nothing listens: unavailable too.
    let gone = FrontendApi::new("http://127.0.0.1:9").unwrap();
    let validator = SessionValidator::builder(gone).build();
    assert!(matches!(
        validator.check(&request).await,
        Err(Refusal::Unavailable { .. })
    ));
}

#[tokio::test]
async fn no_credential_in_what_the_validator_prints() {
    let kratos = MockKratos::start().await;
    let token = signed_in(&kratos).await;
    let validator = SessionValidator::builder(kratos.frontend()).build();
    let cookie = format!("ory_kratos_session={token}");
    let ok = validator.check(&with("cookie", &cookie)).await.unwrap();
    let refused = validator
        .check(&with("x-session-token", "ory_st_secretvalue123"))
        .await
        .unwrap_err();
    kratos.set_unavailable(true);
    let down = validator
        .check(&with("x-session-token", "ory_st_secretvalue456"))
        .await
        .unwrap_err();
    let printed = format!("{ok:?} {refused} {refused:?} {down} {down:?} {validator:?}");
    for secret in [
        token.as_str(),
        "ory_st_secretvalue123",
        "ory_st_secretvalue456",
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }
}
