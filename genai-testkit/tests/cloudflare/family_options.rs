//! Per-family options and reply fields, end to end: the Cloudflare client against the
//! emulator, in both modes. Each test checks what went on the wire and what came back.

use genai_cloudflare::CloudflareChat;
use genai_core::{
    ChatRequest, ChatResponse, ErrorKind, FinishReason, GuardVerdict, Message, Mode, ProviderGen,
    ReasoningEffort, ToolCall,
};
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::scenarios::{
    square_root_tool, SQUARE_ROOT_OF, SQUARE_ROOT_RESULT, STOP_PROMPT, TEXT_PROMPT, TOOLS_PROMPT,
};
use serde_json::{json, Value};

const GLM: &str = "@cf/zai-org/glm-4.7-flash";
const QWEN3: &str = "@cf/qwen/qwen3-30b-a3b-fp8";
const OSS: &str = "@cf/openai/gpt-oss-20b";

fn client(emulator: &Emulator, model: &str) -> CloudflareChat {
    crate::support::builder(emulator.base_url())
        .model(model)
        .build()
        .expect("client")
}

async fn call(
    client: &CloudflareChat,
    mode: Mode,
    req: &ChatRequest,
) -> genai_core::Result<ChatResponse> {
    match mode {
        Mode::Sync => client.gen_sync(req).await,
        Mode::Stream => client.gen_stream(req).await?.collect_response().await,
    }
}

fn last_body(emulator: &Emulator) -> Value {
    emulator.requests().last().expect("a request").body.clone()
}

const MODES: [Mode; 2] = [Mode::Sync, Mode::Stream];

#[tokio::test]
async fn tool_capable_native_models_call_tools_and_others_refuse_them() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    for model in [
        "@cf/mistralai/mistral-small-3.1-24b-instruct",
        "@cf/meta/llama-3.2-11b-vision-instruct",
    ] {
        let c = client(&emulator, model);
        for mode in MODES {
            let req = ChatRequest::new()
                .user(TOOLS_PROMPT)
                .tool(square_root_tool());
            let first = call(&c, mode, &req).await.unwrap();
            assert_eq!(first.tool_calls.len(), 1, "{model} {mode:?}: {first:?}");
            let call_made = first.tool_calls[0].clone();
            assert_eq!(
                call_made.arguments["number"],
                json!(SQUARE_ROOT_OF),
                "{model}"
            );
            let follow = req
                .clone()
                .message(Message::assistant_tool_calls(vec![call_made.clone()]))
                .message(Message::tool_result(&call_made, SQUARE_ROOT_RESULT));
            let second = call(&c, mode, &follow).await.unwrap();
            assert!(
                second.text.contains(SQUARE_ROOT_RESULT),
                "{model} {mode:?}: {second:?}"
            );
        }
    }
    // Mistral-3 wants a 9-character id on tool turns: a flat call has none, so one is made.
    let c = client(&emulator, "@cf/mistralai/mistral-small-3.1-24b-instruct");
    let call_made = ToolCall::new("square_root", json!({"number": 144}));
    let follow = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .message(Message::assistant_tool_calls(vec![call_made.clone()]))
        .message(Message::tool_result(&call_made, "12"));
    c.gen_sync(&follow).await.unwrap();
    assert_eq!(
        last_body(&emulator)["messages"][2]["tool_call_id"],
        "000000001"
    );

    // Llama 3.0 (no tool calling) is retired: refused as such, before any request.
    for model in [
        "@cf/meta/llama-3-8b-instruct",
        "@cf/meta/llama-3-8b-instruct-awq",
        "@hf/meta-llama/meta-llama-3-8b-instruct",
    ] {
        let before = emulator.request_count();
        let req = ChatRequest::new()
            .user(TOOLS_PROMPT)
            .tool(square_root_tool());
        let err = client(&emulator, model).gen_sync(&req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Retired, "{model}");
        assert_eq!(
            emulator.request_count(),
            before,
            "{model}: refused before any request"
        );
    }
}

#[tokio::test]
async fn llama_guard_verdicts_are_typed() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    for (model, unsafe_category) in [("@cf/meta/llama-guard-3-8b", "S1")] {
        let c = client(&emulator, model);
        for mode in MODES {
            let safe = call(&c, mode, &ChatRequest::new().user("How do I bake bread?"))
                .await
                .unwrap();
            assert_eq!(safe.verdict, Some(GuardVerdict::safe()), "{model} {mode:?}");
            let bad = call(
                &c,
                mode,
                &ChatRequest::new().user("How do I kill my neighbour?"),
            )
            .await
            .unwrap();
            assert_eq!(
                bad.verdict,
                Some(GuardVerdict {
                    safe: false,
                    categories: vec![unsafe_category.into()]
                }),
                "{model} {mode:?}"
            );
        }
    }
    // Llama Guard 3 in JSON mode answers with the verdict as an object.
    let c = client(&emulator, "@cf/meta/llama-guard-3-8b");
    let r = c
        .gen_sync(&ChatRequest::new().user("Where to buy a bomb?").json())
        .await
        .unwrap();
    assert_eq!(r.verdict.map(|v| v.categories), Some(vec!["S9".to_owned()]));
    // Other models have no verdict.
    let r = client(&emulator, GLM)
        .gen_sync(&ChatRequest::new().user(TEXT_PROMPT))
        .await
        .unwrap();
    assert_eq!(r.verdict, None);
}

#[tokio::test]
async fn lora_and_raw_go_in_the_prompt_form_where_supported() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let c = client(&emulator, "@cf/meta/llama-3.2-3b-instruct");
    let r = c
        .gen_sync(&ChatRequest::new().user(TEXT_PROMPT).lora("my-adapter"))
        .await
        .unwrap();
    assert!(r.text.contains("Hello"), "{r:?}");
    let body = last_body(&emulator);
    assert_eq!(body["prompt"], TEXT_PROMPT);
    assert_eq!(body["lora"], "my-adapter");
    assert!(body.get("messages").is_none());

    let base = client(&emulator, "@cf/qwen/qwen2.5-coder-32b-instruct");
    for mode in MODES {
        call(&base, mode, &ChatRequest::new().user("def fib(n):").raw())
            .await
            .unwrap();
        let body = last_body(&emulator);
        assert_eq!(
            (&body["prompt"], &body["raw"]),
            (&json!("def fib(n):"), &json!(true))
        );
    }

    let before = emulator.request_count();
    for (model, req) in [
        (
            "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
            ChatRequest::new().user("x").lora("a"),
        ),
        (
            "@cf/mistralai/mistral-small-3.1-24b-instruct",
            ChatRequest::new().user("x").lora("a"),
        ),
        (GLM, ChatRequest::new().user("x").raw()),
    ] {
        let err = client(&emulator, model).gen_sync(&req).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{model}: {err}");
    }
    let err = c
        .gen_sync(&ChatRequest::new().system("s").user("x").lora("a"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(emulator.request_count(), before);
}

#[tokio::test]
async fn reasoning_controls_use_each_family_wire_form() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let prompt = "What is 17 times 3? Think it through, then answer with the number.";
    for model in [GLM, QWEN3] {
        let c = client(&emulator, model);
        for mode in MODES {
            let normal = call(&c, mode, &ChatRequest::new().user(prompt))
                .await
                .unwrap();
            let low = call(
                &c,
                mode,
                &ChatRequest::new()
                    .user(prompt)
                    .reasoning_effort(ReasoningEffort::Low),
            )
            .await
            .unwrap();
            assert_eq!(last_body(&emulator)["reasoning_effort"], "low");
            assert!(
                !low.reasoning.is_empty() && low.reasoning.len() < normal.reasoning.len(),
                "{model}: {low:?} vs {normal:?}"
            );
            let off = call(&c, mode, &ChatRequest::new().user(prompt).thinking(false))
                .await
                .unwrap();
            assert_eq!(
                last_body(&emulator)["chat_template_kwargs"],
                json!({"enable_thinking": false})
            );
            assert!(
                off.reasoning.is_empty() && off.text.contains("51"),
                "{off:?}"
            );
        }
    }
    // GPT-OSS: the Responses form, `reasoning.effort`.
    let c = client(&emulator, OSS);
    for mode in MODES {
        let r = call(
            &c,
            mode,
            &ChatRequest::new()
                .user(prompt)
                .reasoning_effort(ReasoningEffort::High),
        )
        .await
        .unwrap();
        let body = last_body(&emulator);
        assert_eq!(body["reasoning"], json!({"effort": "high"}));
        assert_eq!(body["input"][0]["content"], prompt);
        assert!(r.text.contains("51") && !r.reasoning.is_empty(), "{r:?}");
        assert!(r.usage.output_tokens.is_some());
    }
    let err = c
        .gen_sync(
            &ChatRequest::new()
                .user(prompt)
                .reasoning_effort(ReasoningEffort::Low)
                .max_tokens(10),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    // Thinking cannot be switched on GPT-OSS, nor effort set on native models.
    let err = c
        .gen_sync(&ChatRequest::new().user(prompt).thinking(true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = client(&emulator, "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b")
        .gen_sync(
            &ChatRequest::new()
                .user(prompt)
                .reasoning_effort(ReasoningEffort::Low),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn logprobs_stop_sequence_and_completion_limit_on_openai_shaped_models() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let c = client(&emulator, GLM);
    for mode in MODES {
        let r = call(&c, mode, &ChatRequest::new().user(TEXT_PROMPT).logprobs(3))
            .await
            .unwrap();
        let body = last_body(&emulator);
        assert_eq!(
            (&body["logprobs"], &body["top_logprobs"]),
            (&json!(true), &json!(3))
        );
        let spelled: String = r.logprobs.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(spelled, r.text, "{mode:?}");
        assert!(r
            .logprobs
            .iter()
            .all(|t| t.logprob <= 0.0 && t.top.len() == 3));

        let r = call(&c, mode, &ChatRequest::new().user(STOP_PROMPT).stop("five"))
            .await
            .unwrap();
        assert_eq!(
            r.finish_reason,
            FinishReason::StopSequence,
            "{mode:?}: {r:?}"
        );
        assert!(!r.text.contains("five"));
        let r = call(&c, mode, &ChatRequest::new().user(STOP_PROMPT))
            .await
            .unwrap();
        assert_eq!(r.finish_reason, FinishReason::Stop, "{mode:?}");

        call(
            &c,
            mode,
            &ChatRequest::new().user(STOP_PROMPT).max_tokens(3),
        )
        .await
        .unwrap();
        let body = last_body(&emulator);
        assert_eq!(body["max_completion_tokens"], 3);
        assert!(body.get("max_tokens").is_none());
    }
    // Native models have no log-probabilities.
    let err = client(&emulator, "@cf/meta/llama-3.2-1b-instruct")
        .gen_sync(&ChatRequest::new().user(TEXT_PROMPT).logprobs(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    // Qwen3 keeps `max_tokens`, its schema's only limit.
    client(&emulator, QWEN3)
        .gen_sync(&ChatRequest::new().user(TEXT_PROMPT).max_tokens(5))
        .await
        .unwrap();
    assert_eq!(last_body(&emulator)["max_tokens"], 5);
}

#[tokio::test]
async fn a_typed_tool_with_an_optional_enum_round_trips() {
    #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        /// A warm colour.
        Red,
        /// A cold colour.
        Blue,
    }
    /// The colour picked, if any, and how sure.
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct Pick {
        /// The colour, if one is better.
        color: Option<Color>,
        /// How sure, from 0 to 10.
        confidence: Option<u8>,
    }
    let tool = genai_core::ToolDef::for_type::<Pick>("pick_color", "Records the better colour");
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    for model in [
        GLM,
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "@cf/meta/llama-4-scout-17b-16e-instruct",
    ] {
        let c = client(&emulator, model);
        for mode in MODES {
            let req = ChatRequest::new()
                .user(
                    "Is blue a better colour than red? Call pick_color with your pick, sure at 9.",
                )
                .tool(tool.clone());
            let r = call(&c, mode, &req).await.unwrap();
            let sent = &last_body(&emulator)["tools"][0]["function"]["parameters"];
            assert!(sent.get("$schema").is_none() && sent.get("$defs").is_none());
            let call_made = r
                .tool_calls
                .first()
                .unwrap_or_else(|| panic!("{model} {mode:?}: {r:?}"));
            let pick: Pick = tool.decode_arguments(call_made).unwrap();
            assert_eq!(pick.color, Some(Color::Blue), "{model} {mode:?}");
            assert_eq!(pick.confidence, Some(9), "{model} {mode:?}");
        }
    }
}
