//! The model families added to Workers AI in 2026, replayed from fixtures we wrote from each
//! model's published input and output schema (the shapes, never the service's text): the
//! client sends each model's own request form and reads its reply, sync and stream.

use std::collections::BTreeMap;

use genai_cloudflare::WorkersAi;
use genai_core::{
    ChatRequest, EmbedRequest, EmbeddingModel, FinishReason, ImageModel, ImageRequest, Media,
    Message, ProviderGen, SummarizationModel, SummarizeRequest, TranslateRequest, TranslationModel,
};
use genai_testkit::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
use genai_testkit::replay::{MatchMode, ReplayServer};
use serde_json::{json, Value};

/// One exchange: `model` asked with `request`, answered with `status` and `body` of
/// `content_type`.
fn exchange(model: &str, request: Value, content_type: &str, body: String) -> Interaction {
    Interaction {
        request: RecordedRequest {
            method: "POST".into(),
            url: format!("https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/{model}"),
            headers: BTreeMap::new(),
            body: request.to_string(),
            body_base64: None,
        },
        response: RecordedResponse {
            status: 200,
            headers: BTreeMap::from([("content-type".to_owned(), content_type.to_owned())]),
            body,
            body_base64: None,
        },
    }
}

/// A 1x1 PNG image.
fn tiny_png() -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
               1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082";
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn envelope(result: Value) -> String {
    json!({"result": result, "success": true, "errors": [], "messages": []}).to_string()
}

/// An SSE body of these `data:` payloads, then `[DONE]`.
fn sse(events: &[Value]) -> String {
    let mut out: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

async fn serve(interactions: Vec<Interaction>) -> ReplayServer {
    let mut cassette = Cassette::new("written from the published schemas");
    cassette.interactions = interactions;
    crate::support::replay(cassette, MatchMode::Loose).await
}

fn provider(server: &ReplayServer) -> WorkersAi {
    crate::support::provider(server.base_url())
}

fn body_of(server: &ReplayServer, n: usize) -> Value {
    serde_json::from_str(&server.requests()[n].body).expect("a JSON request body")
}

/// A `chat.completion` as the 2026 OpenAI-shaped schemas give it, the reasoning under
/// `reasoning_key`.
fn completion(model: &str, reasoning_key: &str, text: &str) -> Value {
    let mut message = json!({"role": "assistant", "content": text, "refusal": null,
        "annotations": [], "tool_calls": []});
    message[reasoning_key] = json!("Adding the digits first.");
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1_780_000_000,
        "model": model, "service_tier": "default",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
                  "completion_tokens_details": {"reasoning_tokens": 5}}})
}

fn chunks(model: &str, reasoning_key: &str, text: &str) -> Vec<Value> {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_780_000_000,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut reasoning = json!({});
    reasoning[reasoning_key] = json!("Adding the digits first.");
    vec![
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(reasoning, Value::Null),
        chunk(json!({"content": text}), Value::Null),
        chunk(json!({}), json!("stop")),
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_780_000_000,
            "model": model, "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}),
    ]
}

/// Kimi K2.6 replies in `reasoning` and takes `chat_template_kwargs.thinking`; GLM 5.2,
/// DeepSeek V4, Nemotron and Gemma 4 reply in `reasoning_content` and take `enable_thinking`.
#[tokio::test]
async fn new_chat_families_use_their_own_reasoning_fields_sync_and_stream() {
    let cases = [
        ("@cf/moonshotai/kimi-k2.6", "reasoning", "thinking"),
        (
            "@cf/zai-org/glm-5.2",
            "reasoning_content",
            "enable_thinking",
        ),
        (
            "@cf/deepseek-ai/deepseek-v4-pro-0813",
            "reasoning_content",
            "enable_thinking",
        ),
        (
            "@cf/nvidia/nemotron-3-120b-a12b",
            "reasoning_content",
            "enable_thinking",
        ),
        (
            "@cf/google/gemma-4-26b-a4b-it",
            "reasoning_content",
            "enable_thinking",
        ),
    ];
    for (model, reasoning_key, thinking_key) in cases {
        let prompt = "What is 17 times 3?";
        let streams = !model.contains("kimi");
        let mut interactions = vec![exchange(
            model,
            json!({"messages": [{"role": "user", "content": prompt}]}),
            "application/json",
            envelope(completion(model, reasoning_key, "17 times 3 is 51.")),
        )];
        interactions.push(if streams {
            exchange(
                model,
                json!({"messages": [{"role": "user", "content": prompt}], "stream": true}),
                "text/event-stream",
                sse(&chunks(model, reasoning_key, "17 times 3 is 51.")),
            )
        } else {
            // Kimi answers `stream: true` with the plain reply: the client asks for it so.
            exchange(
                model,
                json!({"messages": [{"role": "user", "content": prompt}]}),
                "application/json",
                envelope(completion(model, reasoning_key, "17 times 3 is 51.")),
            )
        });
        let server = serve(interactions).await;
        let chat = provider(&server).chat(model).unwrap();
        let req = ChatRequest::new().user(prompt).thinking(true);
        let sync = chat
            .gen_sync(&req)
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(sync.text, "17 times 3 is 51.", "{model}");
        assert_eq!(sync.reasoning, "Adding the digits first.", "{model}");
        assert_eq!(sync.finish_reason, FinishReason::Stop);
        assert_eq!(sync.usage.input_tokens, Some(12));
        let streamed = chat
            .gen_stream(&req)
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"))
            .collect_response()
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(streamed.text, sync.text, "{model}");
        assert_eq!(streamed.reasoning, sync.reasoning, "{model}");
        // The thinking switch went under the model's own key.
        let sent = body_of(&server, 0);
        assert_eq!(
            sent["chat_template_kwargs"],
            json!({ thinking_key: true }),
            "{model}"
        );
        assert!(sent.get("messages").is_some(), "{model}: {sent}");
    }
}

/// Granite 4 and SEA-LION v4: chat completions with `reasoning_content` and no switch.
#[tokio::test]
async fn granite_and_sea_lion_speak_chat_completions() {
    for model in [
        "@cf/ibm-granite/granite-4.0-h-micro",
        "@cf/aisingapore/gemma-sea-lion-v4-27b-it",
    ] {
        let prompt = "Say hello.";
        let mut reply = completion(model, "reasoning_content", "Hello!");
        reply["choices"][0]["message"]["reasoning_content"] = Value::Null;
        let server = serve(vec![
            exchange(
                model,
                json!({"messages": [{"role": "user", "content": prompt}]}),
                "application/json",
                envelope(reply),
            ),
            exchange(
                model,
                json!({"messages": [{"role": "user", "content": prompt}], "stream": true}),
                "text/event-stream",
                sse(&chunks(model, "reasoning_content", "Hello!")[2..]),
            ),
        ])
        .await;
        let chat = provider(&server).chat(model).unwrap();
        let req = ChatRequest::new().user(prompt);
        let sync = chat.gen_sync(&req).await.unwrap();
        assert_eq!(
            (sync.text.as_str(), sync.reasoning.as_str()),
            ("Hello!", "")
        );
        let streamed = chat
            .gen_stream(&req)
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(streamed.text, "Hello!", "{model}");
        // Thinking cannot be switched on these models: refused before any request.
        let err = chat
            .gen_sync(&req.clone().thinking(false))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            genai_core::ErrorKind::Unsupported,
            "{model}: {err}"
        );
        assert_eq!(server.requests().len(), 2);
    }
}

/// EmbeddingGemma and PLaMo answer `{shape, data}` without pooling; Qwen3 Embedding takes at
/// most 32 texts a call, so 40 texts are two calls.
#[tokio::test]
async fn new_embedding_models_follow_their_schemas() {
    let vectors = |n: usize, dims: usize| -> Value {
        json!({"shape": [n, dims], "data": (0..n).map(|i| vec![i as f32 / 10.0; dims]).collect::<Vec<_>>()})
    };
    for (model, dims) in [
        ("@cf/google/embeddinggemma-300m", 768),
        ("@cf/pfnet/plamo-embedding-1b", 2048),
    ] {
        let server = serve(vec![exchange(
            model,
            json!({"text": ["one", "two"]}),
            "application/json",
            envelope(vectors(2, dims)),
        )])
        .await;
        let embedder = provider(&server).embedder(model).unwrap();
        let out = embedder
            .embed(&EmbedRequest::new(["one", "two"]))
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(out.embeddings.len(), 2);
        assert_eq!(out.embeddings[0].len(), dims);
        assert_eq!(
            body_of(&server, 0),
            json!({"text": ["one", "two"]}),
            "{model}"
        );
        // These schemas have no `pooling`: asking for it is refused before any request.
        let pooled = EmbedRequest::new(["x"]).pooling(genai_core::Pooling::Cls);
        assert!(embedder.embed(&pooled).await.is_err());
        assert_eq!(server.requests().len(), 1);
    }
    let model = "@cf/qwen/qwen3-embedding-0.6b";
    let texts: Vec<String> = (0..40).map(|i| format!("text {i}")).collect();
    let server = serve(vec![
        exchange(
            model,
            json!({"text": texts[..32]}),
            "application/json",
            envelope(vectors(32, 1024)),
        ),
        exchange(
            model,
            json!({"text": texts[32..]}),
            "application/json",
            envelope(vectors(8, 1024)),
        ),
    ])
    .await;
    let embedder = provider(&server).embedder(model).unwrap();
    assert_eq!(embedder.capabilities().max_inputs_per_call, Some(32));
    let out = embedder
        .embed(&EmbedRequest::new(texts.clone()))
        .await
        .unwrap();
    assert_eq!(out.embeddings.len(), 40);
    let sizes: Vec<usize> = (0..2)
        .map(|n| body_of(&server, n)["text"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [32, 8]);
}

/// IndicTrans2: `{text, target_language}` with a FLORES-200 code (an ISO code is mapped),
/// English in only, `{translations}` out.
#[tokio::test]
async fn indictrans2_translates_into_flores_codes() {
    let model = "@cf/ai4bharat/indictrans2-en-indic-1B";
    let server = serve(vec![exchange(
        model,
        json!({"text": "Good morning", "target_language": "hin_Deva"}),
        "application/json",
        envelope(json!({"translations": ["सुप्रभात"]})),
    )])
    .await;
    let translator = provider(&server).translator(model).unwrap();
    let out = translator
        .translate(&TranslateRequest::new("Good morning", "hi").from("en"))
        .await
        .unwrap();
    assert_eq!(out.text, "सुप्रभात");
    assert_eq!(
        body_of(&server, 0),
        json!({"text": "Good morning", "target_language": "hin_Deva"})
    );
    for bad in [
        TranslateRequest::new("Bonjour", "hi").from("fr"),
        TranslateRequest::new("Good morning", "fr"),
    ] {
        let err = translator.translate(&bad).await.unwrap_err();
        assert_eq!(err.kind(), genai_core::ErrorKind::InvalidRequest, "{err}");
    }
    assert_eq!(server.requests().len(), 1);
}

/// FLUX.2: a multipart form in, `{image: base64}` out.
#[tokio::test]
async fn flux_2_sends_a_multipart_form() {
    let png = tiny_png();
    for model in [
        "@cf/black-forest-labs/flux-2-dev",
        "@cf/black-forest-labs/flux-2-klein-4b",
    ] {
        let reply =
            envelope(json!({"image": Media::with_type("image/png", png.clone()).to_base64()}));
        let server = serve(vec![exchange(
            model,
            json!(null),
            "application/json",
            reply,
        )])
        .await;
        let flux = provider(&server).image_generator(model).unwrap();
        let out = flux
            .generate(&ImageRequest::new("a red square").size(512, 512).seed(3))
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let image = out.reply.collect().await.unwrap();
        assert_eq!(image.media_type(), "image/png");
        let sent = &server.requests()[0].body;
        assert!(
            sent.contains("name=\"prompt\"\r\n\r\na red square\r\n"),
            "{sent}"
        );
        assert!(sent.contains("name=\"width\"\r\n\r\n512\r\n"), "{sent}");
        assert!(sent.contains("name=\"seed\"\r\n\r\n3\r\n"), "{sent}");
    }
}

/// Moondream: `{task, image: data URI, question, stream: false}` in, `{answer, metrics}` out.
#[tokio::test]
async fn moondream_answers_a_question_about_an_image() {
    let model = "@cf/moondream/moondream3.1-9B-A2B";
    let png = tiny_png();
    let server = serve(vec![exchange(
        model,
        json!({"task": "query", "stream": false}),
        "application/json",
        envelope(json!({"answer": "A blue square.", "finish_reason": "stop",
            "metrics": {"input_tokens": 729, "output_tokens": 4, "prefill_time_ms": 1.0,
                        "decode_time_ms": 1.0, "ttft_ms": 1.0}})),
    )])
    .await;
    let chat = provider(&server).chat(model).unwrap();
    let mut req = ChatRequest::new();
    req.messages.push(Message::user_with_media(
        "What colour is it?",
        vec![Media::with_type("image/png", png)],
    ));
    let out = chat.gen_sync(&req).await.unwrap();
    assert_eq!(out.text, "A blue square.");
    let sent = body_of(&server, 0);
    assert_eq!(sent["task"], "query");
    assert_eq!(sent["question"], "What colour is it?");
    assert_eq!(sent["stream"], false);
    assert!(sent["image"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
}

/// Summaries after bart-large-cnn: a chat model is prompted, `max_length` bounds the reply,
/// and the summary names its model.
#[tokio::test]
async fn summaries_are_written_by_a_prompted_chat_model() {
    let model = genai_cloudflare::DEFAULT_SUMMARY_MODEL;
    let text = "The harvest was good. The weather was mild. Prices fell.";
    let server = serve(vec![exchange(
        model,
        json!({"messages": [{"role": "user", "content": text}]}),
        "application/json",
        envelope(json!({"response": "A good harvest in mild weather.",
            "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}})),
    )])
    .await;
    let summarizer = provider(&server).summarizer(model).unwrap();
    let out = summarizer
        .summarize(&SummarizeRequest::new(text).max_length(40))
        .await
        .unwrap();
    assert_eq!(out.text, "A good harvest in mild weather.");
    assert_eq!(out.model.as_deref(), Some(model));
    let sent = body_of(&server, 0);
    assert_eq!(sent["max_tokens"], 40);
    assert_eq!(sent["messages"][0]["role"], "system");
    assert!(sent["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("30 words"));
}
