//! Paginated lists: `send()` gives one `Page` with the next token read from
//! the `Link` header as Kratos writes it; `all()` and `items()` follow the
//! pages, sending each token back; a broken `Link` is an error, not a loop;
//! a token that comes back a second time ends the list.

use futures_util::StreamExt;
use kratos_client::{Error, FrontendApi, ListMySessionsError, Page};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Page tokens as Kratos makes them: base64 with `=` and `+`, which the
/// `Link` URL carries percent-encoded.
const SECOND: &str = "eyJrIjoic2Vzc2lvbi0yIn0=+";
const THIRD: &str = "eyJrIjoic2Vzc2lvbi00In0=";

fn sessions(ids: &[&str]) -> String {
    json!(ids
        .iter()
        .map(|id| json!({"id": id, "active": true}))
        .collect::<Vec<_>>())
    .to_string()
}

/// A `Link` header value as Kratos v1.1 onward writes it: `first`, then
/// `next` when there is one.
fn link(next: Option<&str>) -> String {
    let encode = |t: &str| url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
    let mut value = "</sessions?page_size=2&page_token=first-token>; rel=\"first\"".to_string();
    if let Some(next) = next {
        value.push_str(&format!(
            ",</sessions?page_size=2&page_token={}>; rel=\"next\"",
            encode(next)
        ));
    }
    value
}

fn page_of(ids: &[&str], next: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("link", link(next).as_str())
        .set_body_raw(sessions(ids), "application/json")
}

/// A server listing five sessions two at a time, by page token.
async fn five_sessions() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sessions"))
        .respond_with(|request: &Request| {
            let token = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "page_token")
                .map(|(_, v)| v.into_owned());
            match token.as_deref() {
                None => page_of(&["s0", "s1"], Some(SECOND)),
                Some(SECOND) => page_of(&["s2", "s3"], Some(THIRD)),
                Some(THIRD) => page_of(&["s4"], None),
                Some(other) => ResponseTemplate::new(400).set_body_raw(
                    json!({"error": {"code": 400, "message": format!("unknown token {other}")}})
                        .to_string(),
                    "application/json",
                ),
            }
        })
        .mount(&server)
        .await;
    server
}

/// The `page_token` of each request `server` received, in order.
async fn tokens_sent(server: &MockServer) -> Vec<Option<String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "page_token")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

fn ids(page: &[kratos_client::models::Session]) -> Vec<&str> {
    page.iter().map(|s| s.id.as_str()).collect()
}

#[tokio::test]
async fn one_page_carries_the_decoded_token_of_the_next() {
    let server = five_sessions().await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let first: Page<_> = api.list_my_sessions().page_size(2).send().await.unwrap();
    assert_eq!(ids(&first.items), ["s0", "s1"]);
    assert_eq!(first.next_page_token(), Some(SECOND), "percent-decoded");
    let second = api
        .list_my_sessions()
        .page_size(2)
        .page_token(first.next_page_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&second.items), ["s2", "s3"]);
    let request = &server.received_requests().await.unwrap()[1];
    assert!(
        request
            .url
            .query()
            .unwrap()
            .contains("page_token=eyJrIjoic2Vzc2lvbi0yIn0%3D%2B"),
        "the token goes back encoded: {}",
        request.url
    );
    let last = api
        .list_my_sessions()
        .page_token(THIRD)
        .send()
        .await
        .unwrap();
    assert!(last.is_last());
    // The headers are there too, for the callers that want them.
    let response = api.list_my_sessions().send_with_response().await.unwrap();
    assert!(response.header("link").unwrap().contains("rel=\"next\""));
}

#[tokio::test]
async fn all_follows_every_page_in_order() {
    let server = five_sessions().await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let all = api.list_my_sessions().page_size(2).all().await.unwrap();
    assert_eq!(ids(&all), ["s0", "s1", "s2", "s3", "s4"]);
    assert_eq!(
        tokens_sent(&server).await,
        [None, Some(SECOND.to_string()), Some(THIRD.to_string())]
    );
}

#[tokio::test]
async fn items_streams_across_pages_fetching_each_when_needed() {
    let server = five_sessions().await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let mut items = std::pin::pin!(api.list_my_sessions().page_size(2).items());
    let first = items.next().await.unwrap().unwrap();
    assert_eq!(first.id, "s0");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "one page fetched so far"
    );
    let rest: Vec<String> = items.map(|s| s.unwrap().id).collect().await;
    assert_eq!(rest, ["s1", "s2", "s3", "s4"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

async fn answering(templates: Vec<ResponseTemplate>) -> (MockServer, FrontendApi) {
    let server = MockServer::start().await;
    for template in templates {
        Mock::given(method("GET"))
            .and(path("/sessions"))
            .respond_with(template)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    let api = FrontendApi::new(server.uri()).unwrap();
    (server, api)
}

#[tokio::test]
async fn an_empty_page_and_a_page_without_link_are_last_pages() {
    let (_server, api) = answering(vec![
        ResponseTemplate::new(200).set_body_raw("[]", "application/json")
    ])
    .await;
    let page = api.list_my_sessions().send().await.unwrap();
    assert!(page.items.is_empty() && page.is_last());

    let (server, api) = answering(vec![
        ResponseTemplate::new(200).set_body_raw(sessions(&["a"]), "application/json")
    ])
    .await;
    assert_eq!(ids(&api.list_my_sessions().all().await.unwrap()), ["a"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // An empty page that still names a next one ends the list: Kratos
    // v26.2.0 names a next page after an empty list of sessions, and
    // another after that one, without end.
    let (server, api) = answering(vec![page_of(&[], Some("more")), page_of(&["b"], None)]).await;
    assert!(api.list_my_sessions().all().await.unwrap().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn links_in_separate_headers_are_read_too() {
    let template = ResponseTemplate::new(200)
        .append_header("link", "</sessions?page_token=one>; rel=\"first\"")
        .append_header(
            "link",
            "</sessions?page_size=2&page_token=two>; rel=\"next\"",
        )
        .set_body_raw(sessions(&["a"]), "application/json");
    let (_server, api) = answering(vec![template]).await;
    let page = api.list_my_sessions().send().await.unwrap();
    assert_eq!(page.next_page_token(), Some("two"));
}

#[tokio::test]
async fn a_next_link_without_a_token_is_an_error_not_a_loop() {
    let broken = ResponseTemplate::new(200)
        .insert_header("link", "</sessions?page_size=2>; rel=\"next\"")
        .set_body_raw(sessions(&["a"]), "application/json");
    let (server, api) = answering(vec![broken.clone(), broken]).await;
    let err = api.list_my_sessions().send().await.unwrap_err();
    match &err {
        Error::InvalidLink { status, link, .. } => {
            assert_eq!(*status, 200);
            assert!(link.contains("rel=\"next\""), "{link}");
        }
        other => panic!("expected InvalidLink, got {other:?}"),
    }
    assert!(err.to_string().contains("Link header"), "{err}");
    let err = api.list_my_sessions().all().await.unwrap_err();
    assert!(matches!(err, Error::InvalidLink { .. }), "{err:?}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "one request each, no retry"
    );
}

#[tokio::test]
async fn a_token_that_comes_back_ends_the_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/sessions"))
        .respond_with(page_of(&["again"], Some("same")))
        .mount(&server)
        .await;
    let api = FrontendApi::new(server.uri()).unwrap();
    let all = api.list_my_sessions().all().await.unwrap();
    assert_eq!(ids(&all), ["again", "again"]);
    assert_eq!(tokens_sent(&server).await, [None, Some("same".to_string())]);
    let streamed: Vec<_> = api.list_my_sessions().items().collect().await;
    assert_eq!(streamed.len(), 2);
}

#[tokio::test]
async fn an_error_on_a_later_page_ends_the_stream_after_its_items() {
    let refusal = ResponseTemplate::new(401).set_body_raw(
        json!({"error": {"code": 401, "id": "session_inactive", "message": "No active session was found."}}).to_string(),
        "application/json",
    );
    let (_server, api) = answering(vec![page_of(&["a", "b"], Some("next")), refusal]).await;
    let results: Vec<_> = api.list_my_sessions().items().collect().await;
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(matches!(
        &results[2],
        Err(Error::Api(ListMySessionsError::Unauthorized(_)))
    ));
    let (_server, api) = answering(vec![
        page_of(&["a"], Some("next")),
        ResponseTemplate::new(500),
    ])
    .await;
    assert!(
        api.list_my_sessions().all().await.is_err(),
        "all() keeps no half list"
    );
}
