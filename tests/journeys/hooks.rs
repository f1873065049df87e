//! The app's web hooks, called by each server. The app's hook server is an
//! axum router on loopback with the crate's extractors (`KratosHook`,
//! `KratosPasswordMigration`); each journey writes down what Kratos
//! answered the app and what the hook was told.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use kratos_client::hooks::axum::{KratosHook, KratosPasswordMigration};
use kratos_client::hooks::{HookAnswer, HookCaller, HookContext, IdentityChange, Interrupt};
use kratos_client::models::{
    CreateIdentityBody, IdentityWithCredentialsPasswordConfig, UpdateLoginFlowWithPasswordMethod,
    UpdateSettingsFlowWithProfileMethod,
};
use kratos_client::testing::{FlowKind, TestKratos, WebHook};
use serde_json::json;

use crate::common::accounts::{identity_body, sign_in};
use crate::registration::{password_body, traits};
use crate::seen::{on_each, Seen};
use crate::{EMAIL, PASSWORD};

/// The key Kratos sends the app's hooks.
const KEY: &str = "hook-s3cret";

/// The app's hook server: what each hook was told, one line per call.
#[derive(Clone, Default)]
struct Hooks {
    calls: Arc<Mutex<Vec<String>>>,
    /// Calls of `/slow-once`: the first one answers after Kratos gave up.
    slow: Arc<AtomicUsize>,
}

impl axum::extract::FromRef<Hooks> for HookCaller {
    fn from_ref(_: &Hooks) -> HookCaller {
        HookCaller::api_key_header("X-Hook-Key", KEY)
    }
}

impl Hooks {
    /// Writes down a call of `hook` with what the context held.
    fn told(&self, hook: &str, context: &HookContext) {
        let kind = context.flow.kind().map_or("?", FlowKind::as_str);
        let email = context.trait_str("email").unwrap_or("-");
        let identity_id = match context.identity.as_ref().map(|i| i.id.as_str()) {
            Some("00000000-0000-0000-0000-000000000000") => "not yet",
            Some(_) => "an id",
            None => "none",
        };
        let line = format!(
            "{hook}: {kind} flow, {} {}, identity {email} ({identity_id}), session {}",
            context.request_method,
            context.request_url.split('?').next().unwrap_or_default(),
            if context.session.is_some() {
                "yes"
            } else {
                "no"
            },
        );
        self.calls.lock().unwrap().push(line);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    /// Waits until `count` calls were written down (hooks Kratos calls
    /// without waiting for them).
    async fn wait_for(&self, count: usize) {
        for _ in 0..100 {
            if self.calls.lock().unwrap().len() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Registration, before the identity is saved: invited addresses get a
/// name, metadata and an external id; others are refused with a message
/// on the email field and one above the form.
async fn invite(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("invite", &hook.context);
    let email = hook
        .context
        .trait_str("email")
        .unwrap_or_default()
        .to_string();
    match email.ends_with("@invited.example") {
        true => HookAnswer::ChangeIdentity(
            IdentityChange::new()
                .traits(json!({"email": email, "name": "Invited"}))
                .metadata_public(json!({"plan": "free"}))
                .metadata_admin(json!({"invited_by": "hook"}))
                .external_id(&format!("crm-{}", email.len())),
        ),
        false => HookAnswer::Interrupt(
            Interrupt::new()
                .field_error(
                    "traits.email",
                    4000001,
                    "Only invited addresses may sign up.",
                )
                .form_error(4000002, "Ask a member for an invitation."),
        ),
    }
}

/// Told of a step, goes on.
async fn told(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("told", &hook.context);
    HookAnswer::Proceed
}

/// Login: `blocked@` addresses are refused with a message on the
/// identifier.
async fn login(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("login", &hook.context);
    match hook.context.trait_str("email") {
        Some(email) if email.starts_with("blocked@") => HookAnswer::Interrupt(
            Interrupt::new().field_error("identifier", 4000003, "This account is on hold."),
        ),
        _ => HookAnswer::Proceed,
    }
}

/// Settings, before the change is saved: the name `Mallory` is refused;
/// other changes are marked in the public metadata.
async fn settings(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("settings", &hook.context);
    match hook.context.trait_str("name") {
        Some("Mallory") => HookAnswer::Interrupt(Interrupt::new().field_error(
            "traits.name",
            4000004,
            "Pick another name.",
        )),
        _ => HookAnswer::ChangeIdentity(
            IdentityChange::new().metadata_public(json!({"profile_checked": true})),
        ),
    }
}

/// Always fails.
async fn fail(State(hooks): State<Hooks>, hook: KratosHook) -> axum::http::StatusCode {
    hooks.told("fail", &hook.context);
    axum::http::StatusCode::INTERNAL_SERVER_ERROR
}

/// Answers its first call after Kratos's 30 seconds, the others at once.
async fn slow_once(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("slow-once", &hook.context);
    if hooks.slow.fetch_add(1, Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_secs(31)).await;
    }
    HookAnswer::Proceed
}

/// Changes the identity with more than the 5 MiB Kratos reads.
async fn huge(State(hooks): State<Hooks>, hook: KratosHook) -> HookAnswer {
    hooks.told("huge", &hook.context);
    HookAnswer::ChangeIdentity(
        IdentityChange::new().metadata_public(json!({"padding": "x".repeat(6 << 20)})),
    )
}

/// The old system's password check.
async fn migrate(State(hooks): State<Hooks>, hook: KratosPasswordMigration) -> HookAnswer {
    let request = hook.request;
    let matches = request.password.expose() == "the old system's password";
    hooks.calls.lock().unwrap().push(format!(
        "migrate: {} -> {}",
        request.identifier,
        if matches { "match" } else { "no match" }
    ));
    match matches {
        true => HookAnswer::PasswordMatch,
        false => HookAnswer::PasswordMismatch,
    }
}

/// The app's hook server on loopback: its address, and what it was told.
async fn hook_server() -> (String, Hooks) {
    let hooks = Hooks::default();
    let app = Router::new()
        .route("/invite", post(invite))
        .route("/told", post(told))
        .route("/login", post(login))
        .route("/settings", post(settings))
        .route("/fail", post(fail))
        .route("/slow-once", post(slow_once))
        .route("/huge", post(huge))
        .route("/migrate", post(migrate))
        .with_state(hooks.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hooks)
}

/// Signs `EMAIL` up by password on a new native registration flow: the
/// answer, or the error the hooks made of it.
async fn sign_up(
    api: &kratos_client::FrontendApi,
) -> Result<
    kratos_client::models::SuccessfulNativeRegistration,
    kratos_client::Error<kratos_client::UpdateRegistrationFlowError>,
> {
    let flow = api.create_native_registration_flow().send().await.unwrap();
    api.update_registration_flow(&flow.id, password_body(EMAIL, PASSWORD))
        .send()
        .await
}

/// The app's record of its hooks' calls.
fn note_calls(seen: &mut Seen, hooks: &Hooks) {
    for call in hooks.take() {
        seen.note("hook", call);
    }
}

#[tokio::test]
async fn a_registration_hook_refuses_with_messages_then_changes_the_identity_it_lets_through() {
    let (base, hooks) = hook_server().await;
    let hook = WebHook::after_registration(format!("{base}/invite"))
        .parse_response()
        .api_key_header("X-Hook-Key", KEY);
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            hooks.take();
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            let refused = api
                .update_registration_flow(&flow.id, password_body("eve@example.com", PASSWORD))
                .send()
                .await
                .unwrap_err();
            seen.error("not invited", &refused);
            assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
            assert!(kratos
                .identity()
                .list_identities()
                .send()
                .await
                .unwrap()
                .items
                .is_empty());

            let done = api
                .update_registration_flow(&flow.id, password_body("ada@invited.example", PASSWORD))
                .send()
                .await
                .unwrap();
            seen.session("invited", done.session.as_ref().unwrap());
            assert_eq!(
                done.identity.traits,
                json!({"email": "ada@invited.example", "name": "Invited"})
            );
            let saved = kratos
                .identity()
                .get_identity(&done.identity.id)
                .send()
                .await
                .unwrap();
            seen.note(
                "saved",
                format!(
                    "metadata_public={} metadata_admin={} external_id={:?}",
                    json!(saved.metadata_public),
                    json!(saved.metadata_admin),
                    saved.external_id
                ),
            );
            assert_eq!(saved.metadata_admin, Some(json!({"invited_by": "hook"})));
            note_calls(seen, &hooks);
        },
    )
    .await;
}

#[tokio::test]
async fn hooks_after_a_registration_are_told_of_the_saved_identity_waited_for_or_not() {
    let (base, hooks) = hook_server().await;
    let builder = TestKratos::builder()
        .web_hook(
            WebHook::after_registration(format!("{base}/told")).api_key_header("X-Hook-Key", KEY),
        )
        .web_hook(
            WebHook::after_registration(format!("{base}/told"))
                .ignore_response()
                .api_key_header("X-Hook-Key", KEY),
        )
        .web_hook(
            WebHook::before(FlowKind::Registration, format!("{base}/told"))
                .api_key_header("X-Hook-Key", KEY),
        );
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        hooks.take();
        let api = kratos.frontend();
        let done = sign_up(&api).await.unwrap();
        seen.session("signed up", done.session.as_ref().unwrap());
        // The hook Kratos does not wait for is called all the same.
        hooks.wait_for(3).await;
        let mut calls = hooks.take();
        // Which of the last two comes first is up to the threads.
        calls[1..].sort();
        for call in calls {
            seen.note("hook", call);
        }
    })
    .await;
}

#[tokio::test]
async fn a_login_hook_refuses_one_account_with_a_message_on_the_identifier() {
    let (base, hooks) = hook_server().await;
    let hook = WebHook::after_login(format!("{base}/login"))
        .parse_response()
        .api_key_header("X-Hook-Key", KEY);
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            kratos
                .add_identity(EMAIL, PASSWORD, Some("Ada"))
                .await
                .unwrap();
            kratos
                .add_identity("blocked@example.com", PASSWORD, Some("Bob"))
                .await
                .unwrap();
            hooks.take();
            let api = kratos.frontend();
            let flow = api.create_native_login_flow().send().await.unwrap();
            let refused = api
                .update_login_flow(
                    &flow.id,
                    UpdateLoginFlowWithPasswordMethod::new("blocked@example.com", PASSWORD),
                )
                .send()
                .await
                .unwrap_err();
            seen.error("on hold", &refused);
            let signed_in = api
                .update_login_flow(
                    &flow.id,
                    UpdateLoginFlowWithPasswordMethod::new(EMAIL, PASSWORD),
                )
                .send()
                .await
                .unwrap();
            seen.session("signed in", &signed_in.session);
            note_calls(seen, &hooks);
            // Bob's session was not given.
            let sessions = kratos.identity().list_sessions().send().await.unwrap();
            seen.note("sessions", sessions.items.len());
        },
    )
    .await;
}

#[tokio::test]
async fn settings_hooks_run_at_each_step_refuse_a_name_and_mark_the_saved_profile() {
    let (base, hooks) = hook_server().await;
    let builder = TestKratos::builder()
        .web_hook(
            WebHook::before(FlowKind::Settings, format!("{base}/told"))
                .api_key_header("X-Hook-Key", KEY),
        )
        .web_hook(
            WebHook::after_settings(format!("{base}/settings"))
                .parse_response()
                .api_key_header("X-Hook-Key", KEY),
        );
    on_each(builder, async |kratos: &TestKratos, seen: &mut Seen| {
        kratos
            .add_identity(EMAIL, PASSWORD, Some("Ada"))
            .await
            .unwrap();
        let api = kratos.frontend();
        let token = sign_in(&api, EMAIL, PASSWORD).await.expect("signed in");
        hooks.take();
        let flow = api
            .create_native_settings_flow()
            .session_token(&token)
            .send()
            .await
            .unwrap();
        let profile = |name: &str| {
            UpdateSettingsFlowWithProfileMethod::new(traits(json!({"email": EMAIL, "name": name})))
        };
        let refused = api
            .update_settings_flow(&flow.id, profile("Mallory"))
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        seen.error("Mallory", &refused);
        let saved = api
            .update_settings_flow(&flow.id, profile("Ada L."))
            .session_token(&token)
            .send()
            .await
            .unwrap();
        seen.flow("Ada L.", &saved);
        let identity = kratos
            .identity()
            .get_identity(&saved.identity.id)
            .send()
            .await
            .unwrap();
        seen.note(
            "saved",
            format!(
                "traits={} metadata_public={}",
                identity.traits,
                json!(identity.metadata_public)
            ),
        );
        note_calls(seen, &hooks);
    })
    .await;
}

/// Signs up through `hook` (of the hook server at `base`), which does not
/// let it through: what Kratos answered, whether the identity was saved
/// all the same, and the hook's calls.
async fn refused_sign_up(base: &str, hook: WebHook, hooks: &Hooks) {
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            seen.shape(base, "{hooks}");
            hooks.take();
            let api = kratos.frontend();
            let refused = sign_up(&api).await.unwrap_err();
            seen.error("registration", &refused);
            let identities = kratos.identity().list_identities().send().await.unwrap();
            // A hook after the identity is saved fails the answer, not the
            // registration.
            seen.note("identities", identities.items.len());
            note_calls(seen, hooks);
        },
    )
    .await;
}

/// A hook at `path` of the hook server, called after a registration with
/// `key`.
fn after_registration(base: &str, path: &str, key: &str) -> WebHook {
    WebHook::after_registration(format!("{base}{path}")).api_key_header("X-Hook-Key", key)
}

#[tokio::test]
async fn a_hook_that_fails_is_tried_three_times_and_the_registration_refused() {
    let (base, hooks) = hook_server().await;
    let hook = after_registration(&base, "/fail", KEY).parse_response();
    refused_sign_up(&base, hook, &hooks).await;
}

#[tokio::test]
async fn a_parsing_hook_with_the_wrong_key_fails_the_registration() {
    let (base, hooks) = hook_server().await;
    // The app refuses the call before reading it: the hook records nothing.
    let hook = after_registration(&base, "/invite", "not-the-key").parse_response();
    refused_sign_up(&base, hook, &hooks).await;
}

#[tokio::test]
async fn a_hook_told_after_saving_with_the_wrong_key_is_kratos_s_502_with_the_identity_saved() {
    let (base, hooks) = hook_server().await;
    refused_sign_up(
        &base,
        after_registration(&base, "/told", "not-the-key"),
        &hooks,
    )
    .await;
}

#[tokio::test]
async fn an_answer_over_five_mib_is_cut_and_fails_the_registration() {
    let (base, hooks) = hook_server().await;
    let hook = after_registration(&base, "/huge", KEY).parse_response();
    refused_sign_up(&base, hook, &hooks).await;
}

#[tokio::test]
async fn a_hook_that_answers_too_late_is_called_again() {
    let (base, hooks) = hook_server().await;
    let hook = WebHook::after_registration(format!("{base}/slow-once"))
        .parse_response()
        .api_key_header("X-Hook-Key", KEY);
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            hooks.take();
            hooks.slow.store(0, Ordering::SeqCst);
            // Longer than the 30 seconds Kratos gives the hook.
            let api = kratos_client::Client::builder(kratos.uri())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap()
                .frontend();
            let started = std::time::Instant::now();
            let done = sign_up(&api).await.unwrap();
            seen.session("signed up", done.session.as_ref().unwrap());
            let waited = started.elapsed();
            assert!(waited >= Duration::from_secs(30), "{waited:?}");
            seen.note("waited at least", "30 s");
            note_calls(seen, &hooks);
        },
    )
    .await;
}

#[tokio::test]
async fn a_hook_before_registration_that_refuses_stops_the_flow_from_starting() {
    let (base, hooks) = hook_server().await;
    let hook = WebHook::before(FlowKind::Registration, format!("{base}/invite"))
        .parse_response()
        .api_key_header("X-Hook-Key", KEY);
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            hooks.take();
            let api = kratos.frontend();
            let refused = api
                .create_native_registration_flow()
                .send()
                .await
                .unwrap_err();
            seen.error("start", &refused);
            note_calls(seen, &hooks);
        },
    )
    .await;
}

/// An identity imported from an old system whose hashes cannot be moved.
fn imported(email: &str) -> CreateIdentityBody {
    let mut body = identity_body(email, None, None);
    if let Some(password) = body.credentials.as_mut().and_then(|c| c.password.as_mut()) {
        let mut config = IdentityWithCredentialsPasswordConfig::default();
        config.use_password_migration_hook = Some(true);
        password.config = Some(config);
    }
    body
}

#[tokio::test]
async fn the_password_migration_hook_checks_the_first_sign_in_and_never_again() {
    let (base, hooks) = hook_server().await;
    let hook =
        WebHook::password_migration(format!("{base}/migrate")).api_key_header("X-Hook-Key", KEY);
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            hooks.take();
            let created = kratos
                .identity()
                .create_identity(imported(EMAIL))
                .send()
                .await;
            seen.outcome("imported", &created);
            let api = kratos.frontend();
            let attempt = async |password: &str| {
                let flow = api.create_native_login_flow().send().await.unwrap();
                api.update_login_flow(
                    &flow.id,
                    UpdateLoginFlowWithPasswordMethod::new(EMAIL, password),
                )
                .send()
                .await
            };
            match attempt("not the password").await {
                Err(error) => seen.error("wrong password", &error),
                Ok(_) => panic!("signed in with the wrong password"),
            }
            let first = attempt("the old system's password").await.unwrap();
            seen.session("first sign-in", &first.session);
            let second = attempt("the old system's password").await.unwrap();
            seen.session("second sign-in", &second.session);
            note_calls(seen, &hooks);
        },
    )
    .await;
}
