//! The app's web hooks, called by each server: a registration hook, served
//! by an axum router with the crate's `KratosHook` extractor, that stops a
//! registration with a message on the email field, and lets another one
//! through with a name it adds to the traits.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use kratos_client::hooks::axum::KratosHook;
use kratos_client::hooks::{HookAnswer, HookCaller, IdentityChange, Interrupt};
use kratos_client::testing::{TestKratos, WebHook};
use serde_json::json;

use crate::registration::password_body;
use crate::seen::{on_each, Seen};

/// What the hook saw: the flow's kind and the email of each call.
type Calls = Arc<Mutex<Vec<String>>>;

#[derive(Clone)]
struct Hook {
    caller: HookCaller,
    calls: Calls,
}

impl axum::extract::FromRef<Hook> for HookCaller {
    fn from_ref(hook: &Hook) -> HookCaller {
        hook.caller.clone()
    }
}

async fn registration(State(hook): State<Hook>, request: KratosHook) -> HookAnswer {
    let context = request.context;
    let email = context.trait_str("email").unwrap_or_default().to_string();
    let kind = context.flow.kind().map(|k| k.as_str()).unwrap_or("?");
    hook.calls.lock().unwrap().push(format!("{kind} {email}"));
    match email.ends_with("@invited.example") {
        true => HookAnswer::ChangeIdentity(
            IdentityChange::new().traits(json!({"email": email, "name": "Invited"})),
        ),
        false => HookAnswer::Interrupt(Interrupt::new().field_error(
            "traits.email",
            4000001,
            "Only invited addresses may sign up.",
        )),
    }
}

/// The app's hook server on loopback: its URL, and what it was called with.
async fn hook_server() -> (String, Calls) {
    let calls = Calls::default();
    let app = Router::new()
        .route("/hooks/registration", post(registration))
        .with_state(Hook {
            caller: HookCaller::api_key_header("X-Hook-Key", "hook-s3cret"),
            calls: calls.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/registration",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn a_registration_hook_stops_one_sign_up_with_a_field_message_and_changes_another() {
    let (url, calls) = hook_server().await;
    let hook = WebHook::after_registration(url).api_key_header("X-Hook-Key", "hook-s3cret");
    on_each(
        TestKratos::builder().web_hook(hook),
        async |kratos: &TestKratos, seen: &mut Seen| {
            calls.lock().unwrap().clear();
            let api = kratos.frontend();
            let flow = api.create_native_registration_flow().send().await.unwrap();
            let refused = api
                .update_registration_flow(
                    &flow.id,
                    password_body("eve@example.com", "correct horse battery"),
                )
                .send()
                .await
                .unwrap_err();
            seen.error("not invited", &refused);
            assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));

            let done = api
                .update_registration_flow(
                    &flow.id,
                    password_body("ada@invited.example", "correct horse battery"),
                )
                .send()
                .await
                .unwrap();
            seen.session("invited", done.session.as_ref().unwrap());
            assert_eq!(
                done.identity.traits,
                json!({"email": "ada@invited.example", "name": "Invited"})
            );
            let calls = calls.lock().unwrap().clone();
            seen.note("the hook was called for", format!("{calls:?}"));
        },
    )
    .await;
}
