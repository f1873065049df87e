//! What only MockKratos offers around a journey: the requests the app sent,
//! as the mock recorded them (the journeys themselves are in
//! `tests/journeys/`, run on the mock and on a real Kratos).

use kratos_client::models::UpdateRegistrationFlowWithPasswordMethod;
use kratos_client::testing::MockKratos;
use serde_json::json;

#[tokio::test]
async fn the_mock_records_what_the_app_sent_and_keeps_tokens_out_of_debug() {
    let kratos = MockKratos::start().await;
    let api = kratos.frontend();
    let flow = api.create_native_registration_flow().send().await.unwrap();
    let traits = json!({"email": "ada@example.com"})
        .as_object()
        .cloned()
        .unwrap();
    let done = api
        .update_registration_flow(
            &flow.id,
            UpdateRegistrationFlowWithPasswordMethod::new("correct horse battery staple", traits),
        )
        .send()
        .await
        .unwrap();
    let token = done.session_token.unwrap();
    let page = api
        .list_my_sessions()
        .page_size(10)
        .session_token(token.as_str())
        .send()
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.is_last());

    let sent = kratos.received_requests().await;
    let list = sent.iter().find(|r| r.url.path() == "/sessions").unwrap();
    assert_eq!(
        (list.method.as_str(), list.query("page_size").as_deref()),
        ("GET", Some("10"))
    );
    assert_eq!(list.header("x-session-token"), Some(token.as_str()));
    let submitted = sent.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(submitted.json().unwrap()["method"], "password");
    let debug = format!("{sent:?}");
    assert!(!debug.contains(&token), "{debug}");
}
