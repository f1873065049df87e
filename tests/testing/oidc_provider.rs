//! The test OpenID Connect provider on its own, as a client of it sees
//! it: discovery and keys, the consent page, codes traded once for an ID
//! token that verifies against the published key, and each refusal and
//! fault a test can ask for.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use kratos_client::testing::{OidcFault, OidcProvider, OidcUser};
use serde_json::Value;

use crate::common::browser::{query_of, Browser};

const CALLBACK: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-verifier-of-enough-length-for-pkce-0123456789";

fn challenge() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, VERIFIER.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn authorize_url(provider: &OidcProvider, client_id: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "the-state")
        .append_pair("nonce", "the-nonce")
        .append_pair("code_challenge", &challenge())
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}/authorize?{query}", provider.issuer())
}

/// Signs in at the provider as a browser does, Allow pressed: the code.
async fn code(provider: &OidcProvider) -> String {
    let trip = Browser::new()
        .through_provider(
            &authorize_url(provider, "kratos-client-test"),
            "allow",
            CALLBACK,
        )
        .await;
    assert_eq!(query_of(&trip.end, "state").as_deref(), Some("the-state"));
    query_of(&trip.end, "code").expect("a code")
}

/// Trades `code` at the token endpoint with HTTP Basic client credentials.
async fn token(provider: &OidcProvider, code: &str, secret: &str, verifier: &str) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("code_verifier", verifier)
        .finish();
    let answer = reqwest::Client::new()
        .post(format!("{}/token", provider.issuer()))
        .header(
            "authorization",
            format!(
                "Basic {}",
                STANDARD.encode(format!("kratos-client-test:{secret}"))
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap(),
    )
}

async fn get_json(url: &str) -> Value {
    serde_json::from_slice(&reqwest::get(url).await.unwrap().bytes().await.unwrap()).unwrap()
}

/// The ID token's claims, when its ES256 signature verifies against the
/// key the provider publishes.
async fn verified_claims(provider: &OidcProvider, id_token: &str) -> Option<Value> {
    let jwks = get_json(&format!("{}/jwks", provider.issuer())).await;
    let key = &jwks["keys"][0];
    let mut point = vec![4u8];
    for part in ["x", "y"] {
        point.extend(URL_SAFE_NO_PAD.decode(key[part].as_str().unwrap()).unwrap());
    }
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(signed.as_bytes(), &signature)
        .ok()?;
    let claims = signed.split('.').nth(1).unwrap();
    Some(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap())
}

#[tokio::test]
async fn a_code_is_traded_once_for_an_id_token_that_verifies() {
    kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
    let provider = OidcProvider::start().await;
    provider.sign_in_as(
        OidcUser::new("user-7")
            .email("ada@example.com")
            .name("Ada")
            .claim("locale", "en"),
    );
    let issuer = provider.issuer();
    let discovery = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(discovery["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(discovery["code_challenge_methods_supported"][0], "S256");

    let code = code(&provider).await;
    let (status, tokens) = token(&provider, &code, "kratos-client-test-secret", VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = verified_claims(&provider, tokens["id_token"].as_str().unwrap())
        .await
        .expect("the signature verifies");
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], "kratos-client-test");
    assert_eq!(claims["sub"], "user-7");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "the-nonce");
    assert_eq!(claims["locale"], "en");
    let userinfo: Value = reqwest::Client::new()
        .get(format!("{issuer}/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(userinfo["sub"], "user-7");
    assert_eq!(provider.sign_ins(), 1);

    // Once only.
    let (status, again) = token(&provider, &code, "kratos-client-test-secret", VERIFIER).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_provider_refuses_what_a_provider_refuses() {
    kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
    let provider = OidcProvider::start().await;

    // An unknown client gets a page, never a redirect.
    let page = Browser::new()
        .open(&authorize_url(&provider, "someone-else"))
        .await;
    assert_eq!((page.status, page.location.as_deref()), (400, None));

    // A wrong secret, a wrong PKCE verifier, a code never issued.
    let code = code(&provider).await;
    let (status, body) = token(&provider, &code, "wrong", VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token(&provider, &code, "kratos-client-test-secret", "not-it").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = token(&provider, &code, "kratos-client-test-secret", VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code that failed once is gone"
    );

    // Deny, on the page and as a fault.
    let trip = Browser::new()
        .through_provider(
            &authorize_url(&provider, "kratos-client-test"),
            "deny",
            CALLBACK,
        )
        .await;
    assert_eq!(
        query_of(&trip.end, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_of(&trip.end, "state").as_deref(), Some("the-state"));
    provider.fail_next(OidcFault::Deny);
    let page = Browser::new()
        .open(&authorize_url(&provider, "kratos-client-test"))
        .await;
    let location = page.location.expect("sent back at once");
    assert_eq!(
        query_of(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(provider.sign_ins(), 0);
}

#[tokio::test]
async fn each_fault_is_played_once() {
    kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
    let provider = OidcProvider::start().await;
    let secret = "kratos-client-test-secret";

    provider.fail_next(OidcFault::TokenEndpointFails);
    let (status, body) = token(&provider, &code(&provider).await, secret, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (500, Some("server_error"))
    );

    provider.fail_next(OidcFault::BadSignature);
    let (_, tokens) = token(&provider, &code(&provider).await, secret, VERIFIER).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert!(verified_claims(&provider, id_token).await.is_none());

    provider.fail_next(OidcFault::WrongAudience);
    let (_, tokens) = token(&provider, &code(&provider).await, secret, VERIFIER).await;
    let claims = verified_claims(&provider, tokens["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_ne!(claims["aud"], "kratos-client-test");

    provider.fail_next(OidcFault::WrongNonce);
    let (_, tokens) = token(&provider, &code(&provider).await, secret, VERIFIER).await;
    let claims = verified_claims(&provider, tokens["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_ne!(claims["nonce"], "the-nonce");

    // And then none.
    let (_, tokens) = token(&provider, &code(&provider).await, secret, VERIFIER).await;
    let claims = verified_claims(&provider, tokens["id_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (claims["aud"].as_str(), claims["nonce"].as_str()),
        (Some("kratos-client-test"), Some("the-nonce"))
    );
}

#[tokio::test]
async fn the_client_secret_stays_out_of_debug() {
    let provider = OidcProvider::builder()
        .client_secret("s3cret-value")
        .start()
        .await;
    let shown = format!(
        "{provider:?} {:?} {:?} {:?}",
        OidcProvider::builder().client_secret("s3cret-value"),
        provider.social_sign_in("test"),
        provider.client_secret()
    );
    assert!(!shown.contains("s3cret-value"), "{shown}");
    assert_eq!(provider.client_secret().expose(), "s3cret-value");
}

/// What one social sign-in takes on each server, from starting the flow to
/// the session token (BENCHMARKS.md): `KRATOS_BIN=... cargo test --test
/// testing oidc_provider::time -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn time_of_one_sign_in_on_each_server() {
    let provider = OidcProvider::builder().consent_page(false).start().await;
    let servers = kratos_client::testing::TestKratos::builder()
        .social_sign_in(provider.social_sign_in("test"))
        .allowed_return_urls(["myapp://back"])
        .start_each()
        .await
        .unwrap();
    for kratos in &servers {
        let api = kratos.frontend();
        let mut times = Vec::new();
        for n in 0..21 {
            provider.sign_in_as(OidcUser::new(format!("u{n}")).email(format!("u{n}@example.com")));
            let at = std::time::Instant::now();
            let flow = api
                .create_native_login_flow()
                .return_session_token_exchange_code(true)
                .return_to("myapp://back")
                .send()
                .await
                .unwrap();
            let sign_in = api.sign_in_with_provider(&flow, "test").await.unwrap();
            let back = provider
                .approve(sign_in.browser_url(), "myapp://back")
                .await
                .unwrap();
            sign_in.finish(&api, &back).await.unwrap();
            times.push(at.elapsed());
        }
        times.sort();
        println!(
            "{}: one sign-in through the provider, median of 21: {:?} (fastest {:?}, slowest {:?})",
            kratos.name(),
            times[10],
            times[0],
            times[20]
        );
    }
}
