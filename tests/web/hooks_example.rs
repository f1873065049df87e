//! `examples/hooks.rs` on each test server: its invite-code hook refuses a
//! sign-up with a message on the invite field and lets a good code through
//! into `metadata_admin`, the same on MockKratos and on a real Kratos
//! configured as the example's YAML says.

#[path = "../../examples/hooks.rs"]
#[allow(dead_code)]
mod example;

use kratos_client::testing::{TestKratos, TraitKind};

#[tokio::test]
async fn the_hooks_example_checks_invites_on_each_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, example::app("k3y")).await });
    let [check, told] = example::web_hooks(&base, "k3y");
    let servers = TestKratos::builder()
        .identity_trait("email", "E-Mail", TraitKind::Email, true)
        .identity_trait("invite", "Invite code", TraitKind::Text, false)
        .web_hook(check)
        .web_hook(told)
        .start_each()
        .await
        .expect("the servers start");
    for kratos in &servers {
        let (api, admin) = (kratos.frontend(), kratos.identity());
        let refused = example::sign_up(&api, &admin, "eve@example.com", "nope")
            .await
            .unwrap();
        assert_eq!(
            refused,
            "refused: This invite code is not valid. (traits.invite)",
            "on {}",
            kratos.name()
        );
        let done = example::sign_up(&api, &admin, "ada@example.com", "welcome-2026")
            .await
            .unwrap();
        assert!(
            done.ends_with(
                r#"traits {"email":"ada@example.com"}, metadata_admin {"invite":"welcome-2026"}"#
            ),
            "on {}: {done}",
            kratos.name()
        );
    }
}
