//! Chat requests through an AI Gateway reach `{gateway}/{account}/{id}/workers-ai/{model}`.

use std::sync::{Arc, Mutex};

use genai_cloudflare::Cloudflare;
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
    let client = Cloudflare::builder()
        .account_id("0123456789abcdef0123456789abcdef")
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
