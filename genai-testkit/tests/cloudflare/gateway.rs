//! AI Gateway options, tags and session affinity reach the wire on every kind of request, and
//! the gateway's errors are mapped.

use std::future::Ready;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::Response;
use genai_cloudflare::CloudflareChat;
use genai_core::{BatchItem, ChatRequest, ErrorKind, Provider, ProviderGen, TranslateRequest};
use genai_testkit::loopback::{reply, ScriptedRequest, ScriptedServer};

use crate::support::ACCOUNT;

type Seen = Arc<Mutex<Vec<ScriptedRequest>>>;

/// Records every request and answers `status` with `body`.
fn recorder(
    body: &'static str,
    status: u16,
) -> (
    Seen,
    impl Fn(usize, ScriptedRequest) -> Ready<Response> + Clone + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let script = move |_, req: ScriptedRequest| {
        s.lock().unwrap().push(req);
        std::future::ready(reply(status, "application/json", body))
    };
    (seen, script)
}

fn builder(server: &ScriptedServer) -> genai_cloudflare::CloudflareBuilder {
    CloudflareChat::builder()
        .account_id(ACCOUNT)
        .api_token("api-token")
        .ai_gateway_at(format!("http://{}/v1", server.addr()), "gw")
        .gateway_cache_ttl(Duration::from_secs(600))
        .gateway_skip_cache(true)
        .gateway_metadata(
            serde_json::json!({"user": "u-42", "tier": 2})
                .as_object()
                .unwrap()
                .clone(),
        )
        .gateway_token("gw-secret")
        .tags(["nightly", "team:search", "nightly"])
        .max_retries(0)
}

fn assert_gateway_headers(req: &ScriptedRequest) {
    assert_eq!(req.header("cf-aig-cache-ttl"), "600");
    assert_gateway_headers_but_the_cache(req);
}

/// The gateway's headers a queue call keeps: it always skips the cache, so it sends no TTL.
fn assert_gateway_headers_but_the_cache(req: &ScriptedRequest) {
    assert_eq!(req.header("cf-aig-skip-cache"), "true");
    let meta: serde_json::Value = serde_json::from_str(req.header("cf-aig-metadata")).unwrap();
    assert_eq!(meta, serde_json::json!({"user": "u-42", "tier": 2}));
    assert_eq!(req.header("cf-aig-authorization"), "Bearer gw-secret");
    assert_eq!(req.header("authorization"), "Bearer api-token");
}

#[tokio::test]
async fn chat_carries_the_gateway_headers_tags_and_session_affinity() {
    let (seen, script) = recorder(
        r#"{"result":{"response":"hi"},"success":true,"errors":[]}"#,
        200,
    );
    let server = ScriptedServer::start(script).await.unwrap();
    let client = builder(&server)
        .model("@cf/meta/llama-3.2-1b-instruct")
        .build()
        .unwrap()
        .with_session_affinity("conv-7")
        .unwrap();
    client
        .gen_sync(&ChatRequest::new().user("hi"))
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0].path,
        format!(
            "/v1/{ACCOUNT}/gw/workers-ai/@cf/meta/llama-3.2-1b-instruct?tags=nightly,team:search"
        )
    );
    assert_gateway_headers(&seen[0]);
    assert_eq!(seen[0].header("x-session-affinity"), "conv-7");
}

#[tokio::test]
async fn task_and_batch_calls_go_through_the_gateway_too() {
    let (seen, script) = recorder(
        r#"{"result":{"translated_text":"Bonjour","status":"queued","request_id":"r-1"},"success":true,"errors":[]}"#,
        200,
    );
    let server = ScriptedServer::start(script).await.unwrap();
    let provider = builder(&server).build_provider().unwrap();
    let t = provider.translation_model("@cf/meta/m2m100-1.2b").unwrap();
    assert_eq!(
        t.translate(&TranslateRequest::new("Hello", "fr"))
            .await
            .unwrap()
            .text,
        "Bonjour"
    );
    let batch = provider.batch_model("@cf/meta/m2m100-1.2b").unwrap();
    let items = [BatchItem::translate(TranslateRequest::new("Hello", "fr"))];
    let job = batch.submit(&items, 0).await.unwrap();
    assert_eq!(job.request_id, "r-1");
    let seen = seen.lock().unwrap();
    let base = format!("/v1/{ACCOUNT}/gw/workers-ai/@cf/meta/m2m100-1.2b?tags=nightly,team:search");
    assert_eq!(seen[0].path, base);
    assert_eq!(seen[1].path, format!("{base}&queueRequest=true"));
    assert_gateway_headers(&seen[0]);
    assert_gateway_headers_but_the_cache(&seen[1]);
    assert_eq!(seen[1].header("cf-aig-cache-ttl"), "");
    for req in seen.iter() {
        assert_eq!(req.header("x-session-affinity"), "");
    }
}

#[tokio::test]
async fn gateway_errors_are_mapped() {
    let cases: [(u16, &'static str, ErrorKind, i64); 3] = [
        (
            400,
            r#"{"success":false,"result":[],"messages":[],"error":[{"code":2001,"message":"Please configure AI Gateway in the Cloudflare dashboard"}]}"#,
            ErrorKind::NotFound,
            2001,
        ),
        (
            401,
            r#"{"success":false,"result":[],"messages":[],"error":[{"code":2009,"message":"Unauthorized"}]}"#,
            ErrorKind::Unauthenticated,
            2009,
        ),
        (
            424,
            r#"{"success":false,"error":{"code":2016,"message":"Prompt blocked due to security configurations"}}"#,
            ErrorKind::PermissionDenied,
            2016,
        ),
    ];
    for (status, body, kind, code) in cases {
        let (_, script) = recorder(body, status);
        let server = ScriptedServer::start(script).await.unwrap();
        let client = builder(&server).build().unwrap();
        let e = client
            .gen_sync(&ChatRequest::new().user("hi"))
            .await
            .unwrap_err();
        assert_eq!((e.kind(), e.code()), (kind, Some(code)), "{e}");
        assert!(!format!("{e:?}").contains("gw-secret"));
    }
}

#[test]
fn gateway_options_are_checked_at_build() {
    let b = || CloudflareChat::builder().account_id(ACCOUNT).api_token("t");
    let e = b().gateway_skip_cache(true).build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let six: serde_json::Map<_, _> = (0..6).map(|i| (format!("k{i}"), i.into())).collect();
    assert!(b().ai_gateway("g").gateway_metadata(six).build().is_err());
    assert!(b().tags(["has space"]).build().is_err());
    assert!(b().tags(["a", "b", "c", "d", "e", "f"]).build().is_err());
    let client = b()
        .ai_gateway("g")
        .gateway_token("gw-secret")
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("gw-secret"));
}
