//! Social sign-in to the end, with the test OpenID Connect provider: a
//! native app starts a flow asking for an exchange code, submits the
//! `oidc` method, opens the URL of the 422 in a browser (here a cookie-jar
//! client that presses Allow on the provider's consent page), and trades
//! the code the browser comes back with for a session token. Then the
//! same person signs in again, and the ways it goes wrong: the user
//! denies, the ID token does not verify, the token endpoint fails, a
//! callback is replayed.

use kratos_client::social::{ProviderSignIn, ProviderSignInError};
use kratos_client::testing::{OidcFault, OidcProvider, OidcUser, TestKratos};
use kratos_client::{Error, ExchangeSessionTokenError};
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
/// code and submits the provider, as an app does with the crate's helpers.
async fn start(
    kratos: &TestKratos,
    provider: &OidcProvider,
    seen: &mut Seen,
    login: bool,
) -> ProviderSignIn {
    let api = kratos.frontend();
    let sign_in = if login {
        let flow = api
            .create_native_login_flow()
            .return_session_token_exchange_code(true)
            .return_to(BACK)
            .send()
            .await
            .unwrap();
        api.sign_in_with_provider(&flow, "test").await
    } else {
        let flow = api
            .create_native_registration_flow()
            .return_session_token_exchange_code(true)
            .return_to(BACK)
            .send()
            .await
            .unwrap();
        seen.flow("registration", &flow);
        api.sign_up_with_provider(&flow, "test").await
    };
    let sign_in = sign_in.expect("a browser address");
    let open = sign_in
        .browser_url()
        .split('?')
        .next()
        .unwrap_or_default()
        .replace(&provider.issuer(), "{provider}");
    seen.note(
        if login {
            "sign in, open"
        } else {
            "sign up, open"
        },
        open,
    );
    sign_in
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
            let sign_in = start(kratos, &provider, seen, false).await;
            assert!(
                sign_in
                    .browser_url()
                    .starts_with(&format!("{}/authorize?", provider.issuer())),
                "{sign_in:?}"
            );
            // Too early: the browser has not come back.
            let early = sign_in.finish(&api, &format!("{BACK}?code=not-yet")).await;
            let status = match &early {
                Err(ProviderSignInError::Kratos(e)) => e.status().map(|s| s.as_u16()),
                _ => None,
            };
            seen.note("finished too early, Kratos answers", format!("{status:?}"));
            assert!(
                matches!(early, Err(ProviderSignInError::Kratos(_))),
                "{early:?}"
            );

            let trip = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
            note_trip(seen, "browser", &provider, &trip);
            assert!(sign_in.is_return(&trip.end));
            let code = query_of(&trip.end, "code").expect("the code to exchange");
            let wrong = api
                .exchange_session_token("not-the-init-code", &code)
                .send()
                .await
                .unwrap_err();
            seen.error("exchange with another init code", &wrong);
            assert!(matches!(
                wrong,
                Error::Api(ExchangeSessionTokenError::NotFound(_))
            ));

            let done = sign_in.finish(&api, &trip.end).await.unwrap();
            seen.session("finished", &done.session);
            let token = done.session_token.clone().expect("a session token");
            let whoami = api.to_session().session_token(&token).send().await.unwrap();
            seen.session("whoami", &whoami);
            let identity = whoami.identity.clone().expect("the identity");
            assert_eq!(
                identity.traits,
                json!({"email": "lin@example.com", "name": "Lin"})
            );
            // Kratos keeps the codes: the same session again.
            let again = sign_in.finish(&api, &trip.end).await.unwrap();
            seen.note(
                "finished again, same session",
                again.session.id == done.session.id,
            );
            assert_eq!(again.session.id, done.session.id);

            // Signing in again finds the same identity.
            let sign_in = start(kratos, &provider, seen, true).await;
            let trip = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
            note_trip(seen, "browser, signing in", &provider, &trip);
            let signed_in = sign_in.finish(&api, &trip.end).await.unwrap();
            seen.session("signed in", &signed_in.session);
            let same = signed_in.session.identity.as_ref().map(|i| i.id.clone());
            seen.note(
                "the same identity",
                same.as_deref() == Some(identity.id.as_str()),
            );
            assert_eq!(same, Some(identity.id.clone()));

            // A flow not started for the exchange is refused before anything is sent.
            let plain = api.create_native_login_flow().send().await.unwrap();
            let refused = api.sign_in_with_provider(&plain, "test").await.unwrap_err();
            seen.note("a flow without an exchange code", &refused);
            assert!(matches!(
                refused,
                ProviderSignInError::NotForExchange { .. }
            ));
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
                let sign_in = start(kratos, &provider, seen, false).await;
                provider.fail_next(fault);
                let trip = Browser::new()
                    .through_provider(sign_in.browser_url(), "allow", BACK)
                    .await;
                note_trip(seen, what, &provider, &trip);
                assert!(query_of(&trip.end, "code").is_none(), "{what}: {trip:?}");
                // Finishing reads why from the flow.
                let refused = sign_in.finish(&api, &trip.end).await.unwrap_err();
                seen.note("  finished", &refused);
                let ProviderSignInError::Refused { messages } = &refused else {
                    panic!("{what}: {refused:?}")
                };
                assert_eq!(messages[0].id, 4000001, "{what}");
                let flow = api
                    .get_registration_flow(sign_in.flow_id())
                    .send()
                    .await
                    .unwrap();
                seen.flow("  the flow", &flow);
            }

            // A provider that fails at its token endpoint: Kratos's error.
            let sign_in = start(kratos, &provider, seen, false).await;
            provider.fail_next(OidcFault::TokenEndpointFails);
            let trip = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
            note_trip(seen, "token endpoint fails", &provider, &trip);
            let page = trip.stopped.as_ref().expect("stopped at Kratos");
            assert_eq!(page.status, 400);

            // A callback seen before: the provider refuses its used code.
            let sign_in = start(kratos, &provider, seen, false).await;
            let first = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
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
            let page = location.split('?').next().unwrap_or_default();
            seen.note("a forged state", format!("{} {page}", forged.status));
            let id = query_of(&location, "id").expect("an error id");
            let error = Browser::new()
                .fetch_json(&format!("{}/self-service/errors?id={id}", kratos.uri()))
                .await;
            let (code, reason) = (&error.body["error"]["code"], &error.body["error"]["reason"]);
            seen.note("  error", format!("{code} {reason}"));
        },
    )
    .await;
}

#[tokio::test]
async fn a_provider_email_of_an_existing_account_is_linked_after_signing_in_to_it() {
    let provider = OidcProvider::start().await;
    on_each(
        with(&provider),
        async |kratos: &TestKratos, seen: &mut Seen| {
            let api = kratos.frontend();
            kratos
                .add_identity(crate::EMAIL, crate::PASSWORD, None)
                .await
                .unwrap();
            provider.sign_in_as(OidcUser::new("ada-at-provider").email(crate::EMAIL));
            let sign_in = start(kratos, &provider, seen, true).await;
            let trip = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
            note_trip(seen, "browser", &provider, &trip);
            let refused = sign_in.finish(&api, &trip.end).await.unwrap_err();
            seen.note("finished", &refused);
            let ProviderSignInError::AccountExists { login_flow_id, .. } = &refused else {
                panic!("expected AccountExists, got {refused:?}")
            };
            let flow = api.get_login_flow(login_flow_id).send().await.unwrap();
            seen.flow("the login flow to link on", &flow);

            // Signing in to the account there links the provider.
            let body = kratos_client::models::UpdateLoginFlowWithPasswordMethod::new(
                crate::EMAIL,
                crate::PASSWORD,
            );
            let linked = api
                .update_login_flow(login_flow_id, body)
                .send()
                .await
                .unwrap();
            seen.session("signed in with the password", &linked.session);
            let account = linked.session.identity.as_ref().map(|i| i.id.clone());

            // From now on the provider signs in to the same account.
            let sign_in = start(kratos, &provider, seen, true).await;
            let trip = Browser::new()
                .through_provider(sign_in.browser_url(), "allow", BACK)
                .await;
            note_trip(seen, "browser, again", &provider, &trip);
            let done = sign_in.finish(&api, &trip.end).await.unwrap();
            seen.session("signed in with the provider", &done.session);
            let same = done.session.identity.as_ref().map(|i| i.id.clone());
            seen.note("the same account", same == account);
            assert_eq!(same, account);

            // And the password still signs in on its own.
            let flow = api.create_native_login_flow().send().await.unwrap();
            let body = kratos_client::models::UpdateLoginFlowWithPasswordMethod::new(
                crate::EMAIL,
                crate::PASSWORD,
            );
            let by_password = api.update_login_flow(&flow.id, body).send().await.unwrap();
            seen.session("signed in with the password alone", &by_password.session);
            let same = by_password.session.identity.as_ref().map(|i| i.id.clone());
            assert_eq!(same, account);
        },
    )
    .await;
}

#[tokio::test]
async fn a_flow_that_expires_while_the_user_is_at_the_provider_ends_on_the_error_page() {
    let provider = OidcProvider::start().await;
    let builder = with(&provider).flow_lifetime(crate::EXPIRING);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let api = kratos.frontend();
        let sign_in = start(kratos, &provider, seen, false).await;
        crate::wait_for_expiry().await;
        let trip = Browser::new()
            .through_provider(sign_in.browser_url(), "allow", BACK)
            .await;
        note_trip(seen, "browser, late", &provider, &trip);
        assert!(!sign_in.is_return(&trip.end), "{trip:?}");
        let id = query_of(&trip.end, "id").expect("the error page's id");
        let error = Browser::new()
            .fetch_json(&format!("{}/self-service/errors?id={id}", kratos.uri()))
            .await;
        let body = &error.body["error"];
        seen.note(
            "  error",
            format!(
                "{} {} {} {}",
                body["code"], body["id"], body["message"], body["reason"]
            ),
        );
        let finished = sign_in.finish(&api, &trip.end).await.unwrap_err();
        seen.note("finished with the error page's address", &finished);
        assert!(matches!(finished, ProviderSignInError::ErrorPage { .. }));
    })
    .await;
}

#[tokio::test]
async fn settings_unlink_a_provider_only_while_another_way_to_sign_in_remains() {
    let provider = OidcProvider::start().await;
    let second = OidcProvider::start().await;
    let builder = with(&provider).social_sign_in(second.social_sign_in("second"));
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let api = kratos.frontend();
        provider.sign_in_as(OidcUser::new("max-1").email("max@example.com"));
        let sign_in = start(kratos, &provider, seen, false).await;
        let back = provider.approve(sign_in.browser_url(), BACK).await.unwrap();
        let token = sign_in
            .finish(&api, &back)
            .await
            .unwrap()
            .session_token
            .expect("a session token");
        let settings = |token: String| {
            let api = api.clone();
            async move {
                api.create_native_settings_flow()
                    .session_token(token.as_str())
                    .send()
                    .await
                    .unwrap()
            }
        };
        let unlink: kratos_client::models::UpdateSettingsFlowBody =
            serde_json::from_value(json!({"method": "oidc", "unlink": "test"})).unwrap();

        // The provider is the only way to sign in: no unlink, and Kratos
        // refuses it when asked.
        let flow = settings(token.clone()).await;
        seen.flow("settings", &flow);
        let err = api
            .update_settings_flow(&flow.id, unlink.clone())
            .session_token(token.as_str())
            .send()
            .await
            .unwrap_err();
        seen.error("unlink the last way to sign in", &err);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400));

        // Linking another from a native app sends a browser to the provider,
        // whose way back to Kratos carries no session: the error page.
        let flow = settings(token.clone()).await;
        let link: kratos_client::models::UpdateSettingsFlowBody =
            serde_json::from_value(json!({"method": "oidc", "link": "second"})).unwrap();
        let err = api
            .update_settings_flow(&flow.id, link)
            .session_token(token.as_str())
            .send()
            .await
            .unwrap_err();
        seen.error("link another from the app", &err);
        let kratos_client::Error::Api(kratos_client::UpdateSettingsFlowError::UnprocessableEntity(
            body,
        )) = &err
        else {
            panic!("expected 422, got {err:?}")
        };
        let to = body.redirect_browser_to.clone().unwrap_or_default();
        let trip = Browser::new().through_provider(&to, "allow", BACK).await;
        let issuer = second.issuer();
        let hops: Vec<String> = trip
            .hops
            .iter()
            .map(|h| h.replace(&issuer, "{second}"))
            .collect();
        seen.note("browser", hops.join(" > "));
        let id = query_of(&trip.end, "id").expect("the error page's id");
        let error = Browser::new()
            .fetch_json(&format!("{}/self-service/errors?id={id}", kratos.uri()))
            .await;
        let e = &error.body["error"];
        seen.note(
            "  error",
            format!("{} {} {}", e["code"], e["id"], e["reason"]),
        );

        // With a password too, the provider can go.
        let flow = settings(token.clone()).await;
        let password = kratos_client::models::UpdateSettingsFlowWithPasswordMethod::new(
            "a long enough new password",
        );
        let saved = api
            .update_settings_flow(&flow.id, password)
            .session_token(token.as_str())
            .send()
            .await
            .unwrap();
        seen.note("password set", saved.state_name().unwrap_or_default());
        let flow = settings(token.clone()).await;
        seen.flow("settings with a password", &flow);
        let done = api
            .update_settings_flow(&flow.id, unlink)
            .session_token(token.as_str())
            .send()
            .await
            .unwrap();
        seen.flow("unlinked", &done);
    })
    .await;
}

/// The app whose pages Kratos sends browsers to; nothing listens there.
const SITE: &str = "http://127.0.0.1:4455";

/// A browser's answer in one line: status, where to (the provider and
/// Kratos by name, no query), cookies set.
fn browser_line(
    page: &crate::common::browser::Page,
    provider: &OidcProvider,
    kratos: &TestKratos,
) -> String {
    let to = page
        .location
        .as_deref()
        .map(|l| {
            let path = l.split('?').next().unwrap_or_default().to_string();
            let flow = query_of(l, "flow")
                .map(|_| "?flow={id}")
                .unwrap_or_default();
            format!(
                "{}{flow}",
                path.replace(&provider.issuer(), "{provider}")
                    .replace(&kratos.uri(), "{public}")
            )
        })
        .unwrap_or_else(|| "-".into());
    let mut cookies = page.cookie_names();
    cookies.sort();
    format!("{} to={to} cookies=[{}]", page.status, cookies.join(","))
}

#[tokio::test]
async fn a_browser_signs_up_through_a_provider_into_the_session_cookie() {
    let provider = OidcProvider::start().await;
    let builder = with(&provider)
        .ui_urls(SITE)
        .default_browser_return_url(format!("{SITE}/"))
        .allowed_return_urls([format!("{SITE}/"), BACK.to_string()]);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let public = kratos.uri();
        for (what, decision) in [("denied", "deny"), ("allowed", "allow")] {
            provider.sign_in_as(OidcUser::new("web-1").email("web@example.com"));
            let mut browser = Browser::new();
            let (posted, id) = post_browser_form(
                &mut browser,
                &public,
                "registration",
                &[("method", "oidc"), ("provider", "test")],
            )
            .await;
            seen.note(
                &format!("{what}: posted the provider"),
                browser_line(&posted, &provider, kratos),
            );
            let to = posted.location.clone().unwrap_or_default();
            let consent = browser.open(&to).await;
            let request = consent
                .body
                .as_str()
                .unwrap_or_default()
                .split("name=\"request\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_string();
            let decided = browser
                .post_form(
                    &format!("{}/authorize", provider.issuer()),
                    &[("request", &request), ("decision", decision)],
                )
                .await;
            let callback = decided.location.clone().unwrap_or_default();
            let back = browser.open(&callback).await;
            seen.note("  the callback", browser_line(&back, &provider, kratos));
            if decision == "deny" {
                let again = browser
                    .fetch_json(&format!("{public}/self-service/registration/flows?id={id}"))
                    .await
                    .body;
                seen.flow("  the registration page's flow", &again);
                continue;
            }
            let whoami = browser
                .fetch_json(&format!("{public}/sessions/whoami"))
                .await;
            seen.note(
                "  whoami by cookie",
                format!("{} {}", whoami.status, whoami.body["identity"]["traits"]),
            );
            assert_eq!(whoami.status, 200, "{:?}", whoami.body);
        }
    })
    .await;
}

/// Walks a browser's form of the flow `kind`: starts the flow, fetches it
/// with the browser's cookies, posts `fields` with its CSRF token; the
/// answer, and the flow's id.
async fn post_browser_form(
    browser: &mut Browser,
    public: &str,
    kind: &str,
    fields: &[(&str, &str)],
) -> (crate::common::browser::Page, String) {
    let start = browser
        .open(&format!("{public}/self-service/{kind}/browser"))
        .await;
    let id = query_of(start.location.as_deref().unwrap_or_default(), "flow").expect("?flow=");
    let flow = browser
        .fetch_json(&format!("{public}/self-service/{kind}/flows?id={id}"))
        .await
        .body;
    let action = flow["ui"]["action"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let csrf = crate::common::browser::csrf_of(&flow);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    (browser.post_form(&action, &all).await, id)
}

#[tokio::test]
async fn a_browser_links_a_second_provider_in_settings_and_unlinks_it() {
    let provider = OidcProvider::start().await;
    let second = OidcProvider::start().await;
    let builder = with(&provider)
        .social_sign_in(second.social_sign_in("second"))
        .ui_urls(SITE)
        .default_browser_return_url(format!("{SITE}/"))
        .allowed_return_urls([format!("{SITE}/")]);
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        let public = kratos.uri();
        provider.sign_in_as(OidcUser::new("kim-1").email("kim@example.com"));
        second.sign_in_as(OidcUser::new("kim-at-second").email("kim@example.com"));
        // Signed up through the first provider, in this browser.
        let mut browser = Browser::new();
        let (posted, _) = post_browser_form(
            &mut browser,
            &public,
            "registration",
            &[("provider", "test")],
        )
        .await;
        let trip = browser
            .through_provider(
                posted.location.as_deref().unwrap_or_default(),
                "allow",
                SITE,
            )
            .await;
        seen.note("signed up, back at", trip.end.replace(SITE, "{site}"));

        // Link the second provider from the settings page.
        let (posted, flow_id) =
            post_browser_form(&mut browser, &public, "settings", &[("link", "second")]).await;
        seen.note("link posted", browser_line(&posted, &second, kratos));
        let trip = browser
            .through_provider(
                posted.location.as_deref().unwrap_or_default(),
                "allow",
                SITE,
            )
            .await;
        let issuer = second.issuer();
        let hops: Vec<String> = trip
            .hops
            .iter()
            .map(|h| h.replace(&issuer, "{second}"))
            .collect();
        seen.note("  browser", hops.join(" > "));
        let end = trip.end.replace(SITE, "{site}").replace(&flow_id, "{flow}");
        seen.note("  back at", end.split("flow=").next().unwrap_or_default());
        let settings = browser
            .fetch_json(&format!(
                "{public}/self-service/settings/flows?id={flow_id}"
            ))
            .await
            .body;
        seen.flow("  the settings flow", &settings);

        // Unlink it again.
        let (posted, flow_id) =
            post_browser_form(&mut browser, &public, "settings", &[("unlink", "second")]).await;
        seen.note("unlink posted", browser_line(&posted, &second, kratos));
        let settings = browser
            .fetch_json(&format!(
                "{public}/self-service/settings/flows?id={flow_id}"
            ))
            .await
            .body;
        seen.flow("  the settings flow", &settings);
    })
    .await;
}
