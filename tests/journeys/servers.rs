//! What the test servers offer beside the journeys: `clear()`, which a
//! suite calls between tests instead of starting a server for each.

use kratos_client::models::UpdateRecoveryFlowWithCodeMethod;
use kratos_client::testing::{TestKratos, TraitKind};

use crate::common::accounts::sign_in;

/// `clear` empties either server between tests: identities, sessions, flows
/// and messages are gone, the options stay, and the server takes new ones.
#[tokio::test]
async fn clear_empties_either_server_and_keeps_its_options() {
    let servers = TestKratos::builder()
        .identity_trait("email", "E-Mail", TraitKind::Email, true)
        .start_each()
        .await
        .unwrap();
    for kratos in &servers {
        let name = kratos.name();
        let api = kratos.frontend();
        kratos
            .add_identity("ada@example.com", "correct horse battery", None)
            .await
            .unwrap();
        let token = sign_in(&api, "ada@example.com", "correct horse battery")
            .await
            .expect("signed in");
        let recovery = api.create_native_recovery_flow().send().await.unwrap();
        let body = UpdateRecoveryFlowWithCodeMethod::new().email("ada@example.com");
        api.update_recovery_flow(&recovery.id, body)
            .send()
            .await
            .unwrap();
        assert!(!kratos.messages().await.unwrap().is_empty(), "{name}");

        let at = std::time::Instant::now();
        kratos.clear().await.unwrap();
        println!("{name}: cleared in {:?}", at.elapsed());

        let identities = kratos.identity().list_identities().send().await.unwrap();
        assert!(identities.items.is_empty(), "{name}: identities left");
        let whoami = api
            .to_session()
            .session_token(&token)
            .send()
            .await
            .unwrap_err();
        assert_eq!(whoami.status().map(|s| s.as_u16()), Some(401), "{name}");
        let gone = api
            .get_recovery_flow(&recovery.id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            gone.status().map(|s| s.as_u16()),
            Some(404),
            "{name}: {gone:?}"
        );
        assert!(
            kratos.messages().await.unwrap().is_empty(),
            "{name}: messages left"
        );
        // The same options, and room for the same account again.
        let form = api.create_native_registration_flow().send().await.unwrap();
        assert!(
            form.node("traits.email").is_some() && form.node("traits.name").is_none(),
            "{name}"
        );
        kratos
            .add_identity("ada@example.com", "correct horse battery", None)
            .await
            .unwrap();
    }
}
