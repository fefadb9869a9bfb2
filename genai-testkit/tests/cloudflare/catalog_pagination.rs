//! The model catalog's pagination is unreliable; listing must end whatever the pages say.

use std::collections::BTreeMap;

use genai_testkit::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
use genai_testkit::replay::MatchMode;
use serde_json::json;

fn page(n: u32, ids: &[&str], total: u64) -> Interaction {
    let result: Vec<_> = ids
        .iter()
        .map(|id| json!({"name": id, "task": {"name": "Text Generation"}, "properties": []}))
        .collect();
    Interaction {
        request: RecordedRequest {
            method: "GET".into(),
            url: format!("https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/models/search?page={n}&per_page=100&hide_experimental=false"),
            headers: BTreeMap::new(),
            body: String::new(),
            body_base64: None,
        },
        response: RecordedResponse {
            status: 200,
            headers: BTreeMap::from([("content-type".to_owned(), "application/json".to_owned())]),
            body: json!({"success": true, "result": result, "errors": [], "messages": [],
                "result_info": {"count": ids.len(), "page": n, "per_page": 100, "total_count": total}})
            .to_string(),
            body_base64: None,
        },
    }
}

async fn list(pages: Vec<Interaction>) -> (Vec<String>, usize) {
    let mut cassette = Cassette::new("written by the catalog pagination test");
    cassette.interactions = pages;
    let server = crate::support::replay(cassette, MatchMode::Strict).await;
    let provider = crate::support::provider(server.base_url());
    let models = genai_core::Provider::list_models(&provider)
        .await
        .expect("listing");
    (
        models.into_iter().map(|m| m.id).collect(),
        server.requests().len(),
    )
}

#[tokio::test]
async fn an_overstated_total_ends_at_the_first_empty_page() {
    let (ids, requests) = list(vec![
        page(1, &["@cf/a/one", "@cf/a/two"], 50),
        page(2, &[], 50),
    ])
    .await;
    assert_eq!(ids, ["@cf/a/one", "@cf/a/two"]);
    assert_eq!(requests, 2);
}

#[tokio::test]
async fn a_service_that_ignores_the_page_number_is_asked_twice_not_fifty_times() {
    let same = ["@cf/a/one", "@cf/a/two"];
    let (ids, requests) = list(vec![page(1, &same, 50), page(2, &same, 50)]).await;
    assert_eq!(ids, same);
    assert_eq!(requests, 2);
}

#[tokio::test]
async fn a_reached_total_needs_no_further_page() {
    let (ids, requests) = list(vec![page(1, &["@cf/a/one"], 1)]).await;
    assert_eq!(ids, ["@cf/a/one"]);
    assert_eq!(requests, 1);
}
