//! Chat requests through an AI Gateway reach `{gateway}/{account}/{id}/workers-ai/{model}`.

use std::sync::{Arc, Mutex};

use genai_cloudflare::CloudflareChat;
use genai_core::{ChatRequest, ProviderGen};
use genai_testkit::loopback::{reply, ScriptedServer};

#[tokio::test]
async fn chat_goes_through_the_gateway_path() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let server = ScriptedServer::start(move |_, req| {
        s.lock().unwrap().push((req.path.clone(), req.header("authorization").to_owned()));
        async {
            reply(
                200,
                "application/json",
                r#"{"result":{"response":"via the gateway","usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}},"success":true,"errors":[],"messages":[]}"#,
            )
        }
    })
    .await
    .unwrap();
    let client = CloudflareChat::builder()
        .account_id(crate::support::ACCOUNT)
        .api_token("gw-token")
        .model("@cf/meta/llama-3.2-1b-instruct")
        .ai_gateway_at(format!("http://{}/v1", server.addr()), "my-gateway")
        .build()
        .unwrap();
    let reply = client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap();
    assert_eq!(reply.text, "via the gateway");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0].0,
        "/v1/0123456789abcdef0123456789abcdef/my-gateway/workers-ai/@cf/meta/llama-3.2-1b-instruct"
    );
    assert_eq!(seen[0].1, "Bearer gw-token");
}

/// A gateway that caches replies must never answer a queue call from its cache: a poll asks
/// the same `{"request_id"}` until the job is done, and a resent chunk must make a new job.
#[tokio::test]
async fn batch_calls_bypass_the_gateway_cache() {
    use genai_core::{BatchItem, BatchModel, TranslateRequest};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let server = ScriptedServer::start(move |n, req| {
        s.lock().unwrap().push((
            req.header("cf-aig-cache-ttl").to_owned(),
            req.header("cf-aig-skip-cache").to_owned(),
        ));
        async move {
            let body = match n {
                0 => r#"{"result":{"status":"queued","request_id":"job-1"},"success":true,"errors":[],"messages":[]}"#,
                _ => r#"{"result":{"responses":[{"id":0,"success":true,"result":{"translated_text":"Bonjour"}}]},"success":true,"errors":[],"messages":[]}"#,
            };
            reply(200, "application/json", body)
        }
    })
    .await
    .unwrap();
    let provider = CloudflareChat::builder()
        .account_id(crate::support::ACCOUNT)
        .api_token("gw-token")
        .ai_gateway_at(format!("http://{}/v1", server.addr()), "my-gateway")
        .gateway_cache_ttl(std::time::Duration::from_secs(600))
        .build_provider()
        .unwrap();
    let batch = provider.batch("@cf/meta/m2m100-1.2b").unwrap();
    let items = [BatchItem::translate(TranslateRequest::new("Hello", "fr"))];
    let job = batch.submit(&items, 0).await.unwrap();
    let status = batch.status(&job, &items).await.unwrap();
    assert!(matches!(status, genai_core::BatchStatus::Done(_)));
    let seen = seen.lock().unwrap();
    // Neither the submission (a resent chunk must make a new job) nor the poll comes from
    // the cache.
    assert_eq!(seen[0], (String::new(), "true".to_owned()));
    assert_eq!(seen[1], (String::new(), "true".to_owned()));
}
