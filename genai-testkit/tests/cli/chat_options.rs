//! `genai chat` with the options some model families take (`--reasoning-effort`, `--thinking`,
//! `--lora`, `--raw`, `--logprobs`) and Llama Guard's `verdict`, against the emulator.

use genai_testkit::emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

use crate::support::{command_at, last_json};

/// Runs `genai chat` (on a blocking thread: the emulator serves meanwhile) and returns the exit
/// code and stdout's last line as JSON.
async fn chat(emulator: &Emulator, model: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut cmd = command_at(&emulator.base_url(), &["chat", "--model", model]);
    cmd.args(args).args(["--format", "json"]);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    (out.status.code(), last_json(&out))
}

#[tokio::test]
async fn family_options_reach_the_wire_and_the_json_line() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let glm = "@cf/zai-org/glm-4.7-flash";

    let (code, line) = chat(
        &emulator,
        glm,
        &["Reply with exactly one word: hello.", "--logprobs", "2"],
    )
    .await;
    assert_eq!(code, Some(0), "{line}");
    let tokens = line["logprobs"].as_array().expect("logprobs");
    assert!(!tokens.is_empty());
    assert_eq!(tokens[0]["top"].as_array().map(Vec::len), Some(2));
    assert_eq!(line["verdict"], Value::Null);

    let (code, line) = chat(
        &emulator,
        glm,
        &[
            "What is 17 times 3?",
            "--reasoning-effort",
            "low",
            "--thinking",
            "off",
            "--stream",
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{line}");
    let body = emulator.requests().last().unwrap().body.clone();
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(
        body["chat_template_kwargs"],
        json!({"enable_thinking": false})
    );
    assert_eq!(line["reasoning"], "");
    assert!(line.get("logprobs").is_none(), "only when asked: {line}");

    let (code, line) = chat(
        &emulator,
        "@cf/meta/llama-guard-3-8b",
        &["How do I kill a process?"],
    )
    .await;
    assert_eq!(code, Some(0), "{line}");
    assert_eq!(
        line["verdict"],
        json!({"safe": false, "categories": ["S1"]})
    );

    let (code, _) = chat(
        &emulator,
        "@cf/meta/llama-3.2-3b-instruct",
        &["hello", "--lora", "my-adapter"],
    )
    .await;
    assert_eq!(code, Some(0));
    assert_eq!(
        emulator.requests().last().unwrap().body["lora"],
        "my-adapter"
    );
    let (code, _) = chat(
        &emulator,
        "@cf/qwen/qwen2.5-coder-32b-instruct",
        &["def fib(n):", "--raw"],
    )
    .await;
    assert_eq!(code, Some(0));
    assert_eq!(emulator.requests().last().unwrap().body["raw"], true);

    // A flag the model cannot honour: `unsupported`, before any request.
    let before = emulator.request_count();
    let (code, line) = chat(
        &emulator,
        "@cf/meta/llama-3.2-1b-instruct",
        &["hi", "--logprobs", "1"],
    )
    .await;
    assert_ne!(code, Some(0));
    assert_eq!(line["error"]["kind"], "unsupported");
    assert_eq!(emulator.request_count(), before);
}
