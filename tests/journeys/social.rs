//! Social sign-in to the end, with the test OpenID Connect provider: a
//! native app starts a flow asking for an exchange code, submits the
//! `oidc` method, opens the URL of the 422 in a browser (here a cookie-jar
//! client that presses Allow on the provider's consent page), and trades
//! the code the browser comes back with for a session token. Then the
//! same person signs in again, and the ways it goes wrong: the user
//! denies, the ID token does not verify, the token endpoint fails, a
//! callback is replayed.

use kratos_client::models::{UpdateLoginFlowBody, UpdateRegistrationFlowBody};
use kratos_client::testing::{OidcFault, OidcProvider, OidcUser, TestKratos};
use kratos_client::{
    Error, ExchangeSessionTokenError, UpdateLoginFlowError, UpdateRegistrationFlowError,
};
use serde_json::json;

use crate::common::browser::{query_of, Browser, Trip};
use crate::seen::{on_each, Seen};

const BACK: &str = "myapp://signed-in";

/// The servers with the provider offered as `test`, and `BACK` allowed.
fn with(provider: &OidcProvider) -> kratos_client::testing::TestKratosBuilder {
    TestKratos::builder()
        .social_sign_in(provider.social_sign_in("test").label("Test"))
        .allowed_return_urls([BACK])
}

/// Starts a native registration (or login) flow asking for an exchange
/// code, submits the provider, and returns the flow id, the init code and
/// the URL the 422 says to open.
async fn start(kratos: &TestKratos, seen: &mut Seen, login: bool) -> (String, String, String) {
    let api = kratos.frontend();
    let pick = json!({"method": "oidc", "provider": "test"});
    if login {
        let flow = api
            .create_native_login_flow()
            .return_session_token_exchange_code(true)
            .return_to(BACK)
            .send()
            .await
            .unwrap();
        let body: UpdateLoginFlowBody = serde_json::from_value(pick).unwrap();
        let err = api
            .update_login_flow(&flow.id, body)
            .send()
            .await
            .unwrap_err();
        seen.error("login with the provider", &err);
        let Error::Api(UpdateLoginFlowError::UnprocessableEntity(body)) = &err else {
            panic!("expected 422, got {err:?}")
        };
        let to = body.redirect_browser_to.clone().expect("a URL to open");
        let init = flow.session_token_exchange_code.expect("an init code");
        (flow.id, init, to)
    } else {
        let flow = api
            .create_native_registration_flow()
            .return_session_token_exchange_code(true)
            .return_to(BACK)
            .send()
            .await
            .unwrap();
        seen.flow("registration", &flow);
        let body: UpdateRegistrationFlowBody = serde_json::from_value(pick).unwrap();
        let err = api
            .update_registration_flow(&flow.id, body)
            .send()
            .await
            .unwrap_err();
        seen.error("sign up with the provider", &err);
        let Error::Api(UpdateRegistrationFlowError::UnprocessableEntity(body)) = &err else {
            panic!("expected 422, got {err:?}")
        };
        let to = body.redirect_browser_to.clone().expect("a URL to open");
        let init = flow.session_token_exchange_code.expect("an init code");
        (flow.id, init, to)
    }
}

/// Writes down where the browser went, the provider's address by name.
fn note_trip(seen: &mut Seen, step: &str, provider: &OidcProvider, trip: &Trip) {
    let issuer = provider.issuer();
    let hops: Vec<String> = trip
        .hops
        .iter()
        .map(|h| h.replace(&issuer, "{provider}"))
        .collect();
    seen.note(step, hops.join(" > "));
    let end = trip.end.split('?').next().unwrap_or_default();
    let params: Vec<String> = url::Url::parse(&trip.end)
        .map(|u| u.query_pairs().map(|(k, _)| k.into_owned()).collect())
        .unwrap_or_default();
    seen.note("  ended at", format!("{end} with {params:?}"));
    if let Some(page) = &trip.stopped {
        seen.note("  page", format!("{} {}", page.status, page.body));
    }
}

#[tokio::test]
async fn native_sign_up_and_sign_in_through_a_provider_end_in_a_session_token() {
    let provider = OidcProvider::start().await;
    on_each(
        with(&provider),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            provider.sign_in_as(OidcUser::new("lin-1").email("lin@example.com").name("Lin"));
            let (_, init, to) = start(kratos, seen, false).await;
            assert!(
                to.starts_with(&format!("{}/authorize?", provider.issuer())),
                "{to}"
            );
            seen.note(
                "open",
                to.split('?')
                    .next()
                    .unwrap_or_default()
                    .replace(&provider.issuer(), "{provider}"),
            );

            // Too early: the browser has not come back.
            let early = api
                .exchange_session_token(&init, "not-yet")
                .send()
                .await
                .unwrap_err();
            seen.error("exchange too early", &early);
            assert!(matches!(
                early,
                Error::Api(ExchangeSessionTokenError::NotFound(_))
            ));

            let trip = Browser::new().through_provider(&to, "allow", BACK).await;
            note_trip(seen, "browser", &provider, &trip);
            let code = query_of(&trip.end, "code").expect("the code to exchange");

            let wrong = api
                .exchange_session_token("not-the-init-code", &code)
                .send()
                .await
                .unwrap_err();
            seen.error("exchange with another init code", &wrong);
            let done = api
                .exchange_session_token(&init, &code)
                .send()
                .await
                .unwrap();
            seen.session("exchanged", &done.session);
            let token = done.session_token.clone().expect("a session token");
            let whoami = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("whoami", &whoami);
            let identity = whoami.identity.clone().expect("the identity");
            assert_eq!(
                identity.traits,
                json!({"email": "lin@example.com", "name": "Lin"})
            );
            // Kratos keeps the codes: the same session again.
            let again = api
                .exchange_session_token(&init, &code)
                .send()
                .await
                .unwrap();
            seen.note(
                "exchanged again, same session",
                again.session.id == done.session.id,
            );
            assert_eq!(again.session.id, done.session.id);

            // Signing in again finds the same identity.
            let (_, init, to) = start(kratos, seen, true).await;
            let trip = Browser::new().through_provider(&to, "allow", BACK).await;
            note_trip(seen, "browser, signing in", &provider, &trip);
            let code = query_of(&trip.end, "code").expect("the code to exchange");
            let signed_in = api
                .exchange_session_token(&init, &code)
                .send()
                .await
                .unwrap();
            seen.session("signed in", &signed_in.session);
            let same = signed_in.session.identity.as_ref().map(|i| i.id.clone());
            seen.note(
                "the same identity",
                same.as_deref() == Some(identity.id.as_str()),
            );
            assert_eq!(same, Some(identity.id.clone()));
        },
    )
    .await;
}

#[tokio::test]
async fn a_refused_sign_in_comes_back_without_a_code_and_says_why() {
    let provider = OidcProvider::start().await;
    on_each(
        with(&provider),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            for (what, fault) in [
                ("denied", OidcFault::Deny),
                ("bad signature", OidcFault::BadSignature),
                ("another audience", OidcFault::WrongAudience),
            ] {
                let (flow_id, _, to) = start(kratos, seen, false).await;
                provider.fail_next(fault);
                let trip = Browser::new().through_provider(&to, "allow", BACK).await;
                note_trip(seen, what, &provider, &trip);
                assert!(query_of(&trip.end, "code").is_none(), "{what}: {trip:?}");
                // The app reads why from the flow.
                let flow = api.get_registration_flow(&flow_id).send().await.unwrap();
                seen.flow("  the flow", &flow);
                assert!(
                    flow.ui
                        .messages
                        .as_ref()
                        .is_some_and(|m| m[0].id == 4000001),
                    "{what}"
                );
            }

            // A provider that fails at its token endpoint: Kratos's error.
            let (_, _, to) = start(kratos, seen, false).await;
            provider.fail_next(OidcFault::TokenEndpointFails);
            let trip = Browser::new().through_provider(&to, "allow", BACK).await;
            note_trip(seen, "token endpoint fails", &provider, &trip);
            let page = trip.stopped.as_ref().expect("stopped at Kratos");
            assert_eq!(page.status, 400);

            // A callback seen before: the error page.
            let (_, _, to) = start(kratos, seen, false).await;
            let first = Browser::new().through_provider(&to, "allow", BACK).await;
            assert!(first.stopped.is_none(), "{first:?}");
            let callback = first.visited.last().cloned().unwrap_or_default();
            let replayed = Browser::new().open(&callback).await;
            seen.note(
                "the callback replayed",
                format!("{} {}", replayed.status, replayed.body),
            );
            assert_eq!(replayed.status, 400);

            // A state Kratos never sent: the error page.
            let forged = Browser::new()
                .open(&format!(
                    "{}/self-service/methods/oidc/callback?code=x&state=forged",
                    kratos.uri()
                ))
                .await;
            let location = forged.location.clone().unwrap_or_default();
            seen.note(
                "a forged state",
                format!(
                    "{} {}",
                    forged.status,
                    location.split('?').next().unwrap_or_default()
                ),
            );
            let id = query_of(&location, "id").expect("an error id");
            let error = Browser::new()
                .fetch_json(&format!("{}/self-service/errors?id={id}", kratos.uri()))
                .await;
            seen.note(
                "  error",
                format!(
                    "{} {}",
                    error.body["error"]["code"], error.body["error"]["reason"]
                ),
            );
        },
    )
    .await;
}
