//! Documents and fallback end to end through the `genai` binary: a PDF made here goes through
//! `genai chat --file` and its text reaches the model; `genai convert` keeps a failed file's
//! error with that file; `--fallback` falls over on capacity and unavailability, stops at once
//! on an invalid request, and never falls over once a stream has started.

use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genai_testkit::emulator::{Emulator, EmulatorConfig, Fault, DEFAULT_TOKEN};
use genai_testkit::fixtures::pdf_with_text;
use genai_testkit::loopback::{json_error, reply, sse_events, ScriptedServer, SseTail};
use serde_json::Value;

use crate::support::{command, command_at, last_json, run, temp_dir, CHAT};

const A: &str = "@cf/meta/llama-3.2-1b-instruct";
const B: &str = "@cf/meta/llama-3.1-8b-instruct";
const C: &str = "@cf/meta/llama-3.2-3b-instruct";
const OK_SYNC: &str = r#"{"result":{"response":"hello from C","usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}},"success":true,"errors":[],"messages":[]}"#;

/// Runs `genai ARGS --base-url URL` with `token` in the environment.
fn genai(base_url: &str, token: &str, args: &[&str]) -> Output {
    command(args)
        .args(["--base-url", base_url])
        .env("CLOUDFLARE_API_TOKEN", token)
        .output()
        .expect("the genai binary runs")
}

#[test]
fn chat_file_puts_a_pdf_text_layer_before_the_model() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let dir = temp_dir("chat");
    let memo = dir.join("memo.pdf");
    std::fs::write(
        &memo,
        pdf_with_text(&["Internal memo (draft)", "The code word is Quackiland."]),
    )
    .unwrap();
    let memo = memo.to_string_lossy().into_owned();
    let args = [
        "chat",
        "--model",
        CHAT,
        "--file",
        &memo,
        "What is the code word?",
        "--format",
        "json",
    ];
    let out = genai(&emulator.base_url(), DEFAULT_TOKEN, &args);
    assert!(out.status.success(), "{out:?}");
    let reply = last_json(&out);
    assert_eq!(reply["model"], CHAT);
    let requests = emulator.requests();
    let conversions = requests
        .iter()
        .filter(|r| r.path.ends_with("/ai/tomarkdown"))
        .count();
    assert_eq!(conversions, 1, "{requests:?}");
    let chat = requests
        .iter()
        .find(|r| r.path.contains("/ai/run/"))
        .expect("a chat request");
    let sent = chat.body.to_string();
    assert!(sent.contains("The code word is Quackiland."), "{sent}");
    assert!(sent.contains("Internal memo (draft)"), "{sent}");
    assert!(sent.contains("What is the code word?"), "{sent}");
    assert!(sent.contains("document name=\\\"memo.pdf\\\""), "{sent}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn convert_keeps_a_failed_file_error_with_that_file() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let dir = temp_dir("convert");
    let html = dir.join("page.html");
    std::fs::write(
        &html,
        "<html><body><h1>Report</h1><p>Revenue grew 12%.</p></body></html>",
    )
    .unwrap();
    let docx = dir.join("broken.docx");
    std::fs::write(&docx, b"PK\x03\x04 not really a document").unwrap();
    let csv = dir.join("t.csv");
    std::fs::write(&csv, "city,population\nParis,2100000\n").unwrap();
    let memo = dir.join("memo.pdf");
    std::fs::write(&memo, pdf_with_text(&["Quarterly figures"])).unwrap();
    let paths: Vec<String> = [&html, &docx, &csv, &memo]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["convert"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--format", "json"]);
    let out = genai(&emulator.base_url(), DEFAULT_TOKEN, &args);
    assert!(
        !out.status.success(),
        "a failed file fails the run: {out:?}"
    );
    let files = last_json(&out)["files"].as_array().cloned().unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(files[0]["name"], "page.html");
    assert_eq!(files[0]["format"], "markdown");
    assert!(files[0]["text"]
        .as_str()
        .unwrap()
        .contains("# Report\n\nRevenue grew 12%."));
    assert_eq!(files[1]["name"], "broken.docx");
    assert_eq!(files[1]["error"]["kind"], "invalid_request");
    assert!(files[1].get("text").is_none());
    assert!(files[2]["text"]
        .as_str()
        .unwrap()
        .contains("| Paris | 2100000 |"));
    assert_eq!(files[3]["text"], "Quarterly figures");
    assert!(files[3]["tokens"].as_u64().unwrap() > 0);

    // Text output with --out writes one Markdown file per converted document, and --text
    // asks for plain text.
    let out_dir = dir.join("md");
    let out_dir_arg = out_dir.to_string_lossy().into_owned();
    let args = [
        "convert",
        &paths[0],
        &paths[2],
        "--out",
        &out_dir_arg,
        "--text",
    ];
    let out = genai(&emulator.base_url(), DEFAULT_TOKEN, &args);
    assert!(out.status.success(), "{out:?}");
    let page = std::fs::read_to_string(out_dir.join("page.md")).unwrap();
    assert_eq!(page, "Report\n\nRevenue grew 12%.");
    assert!(out_dir.join("t.md").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// A scripted server answering per model, recording the model of each run request.
async fn per_model<F>(answer: F) -> (ScriptedServer, Arc<Mutex<Vec<String>>>)
where
    F: Fn(&str) -> axum::response::Response + Clone + Send + Sync + 'static,
{
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = ScriptedServer::start(move |_, req| {
        let path = req.path.replace("%40", "@");
        let model = path
            .split("/ai/run/")
            .nth(1)
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_owned();
        log.lock().unwrap().push(model.clone());
        let reply = answer(&model);
        async move { reply }
    })
    .await
    .unwrap();
    (server, seen)
}

async fn run_chat(server: &ScriptedServer, extra: &[&str]) -> Output {
    let base = server.base_url();
    let mut args = vec![
        "chat",
        "--model",
        A,
        "hi",
        "--format",
        "json",
        "--max-retries",
        "0",
    ];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        genai(&base, "test-token", &args)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn fallback_falls_over_on_capacity_and_unavailability() {
    let (server, seen) = per_model(|model| match model {
        A => json_error(
            429,
            3040,
            "Capacity temporarily exceeded, please try again.",
        ),
        B => reply(503, "text/plain", "Service Unavailable"),
        _ => reply(200, "application/json", OK_SYNC),
    })
    .await;
    let out = run_chat(&server, &["--fallback", B, "--fallback", C]).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(j["served_by"], C);
    assert_eq!(j["model"], C);
    assert_eq!(j["text"], "hello from C");
    let attempts = j["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{j}");
    assert_eq!(attempts[0]["model"], A);
    assert_eq!(attempts[0]["error"]["code"], 3040);
    assert_eq!(attempts[1]["model"], B);
    assert_eq!(attempts[1]["error"]["kind"], "unavailable");
    assert_eq!(*seen.lock().unwrap(), [A, B, C]);
}

#[tokio::test]
async fn fallback_stops_at_once_on_an_invalid_request() {
    let (server, seen) = per_model(|model| match model {
        A => json_error(
            400,
            5006,
            "Type mismatch of '/messages/0/content', 'array' not in 'string'",
        ),
        _ => reply(200, "application/json", OK_SYNC),
    })
    .await;
    let out = run_chat(&server, &["--fallback", B]).await;
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(last_json(&out)["error"]["kind"], "invalid_request");
    assert_eq!(*seen.lock().unwrap(), [A]);
}

#[tokio::test]
async fn a_stream_that_breaks_after_its_first_event_does_not_fall_over() {
    let (server, seen) = per_model(|model| match model {
        A => sse_events(
            vec!["data: {\"response\":\"Hel\"}\n\n".to_owned()],
            Duration::from_millis(10),
            SseTail::Break,
        ),
        _ => reply(200, "application/json", OK_SYNC),
    })
    .await;
    let out = run_chat(&server, &["--fallback", B, "--stream"]).await;
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(*seen.lock().unwrap(), [A]);
    // A stream refused before its first event falls over.
    let (server, seen) = per_model(|model| match model {
        A => json_error(
            429,
            3040,
            "Capacity temporarily exceeded, please try again.",
        ),
        _ => sse_events(
            vec![
                "data: {\"response\":\"Hello\"}\n\n".to_owned(),
                "data: [DONE]\n\n".to_owned(),
            ],
            Duration::from_millis(1),
            SseTail::End,
        ),
    })
    .await;
    let out = run_chat(&server, &["--fallback", B, "--stream"]).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(
        (j["served_by"].as_str(), j["text"].as_str()),
        (Some(B), Some("Hello"))
    );
    assert_eq!(*seen.lock().unwrap(), [A, B]);
}

#[tokio::test]
async fn task_commands_fall_over_too() {
    const M2M: &str = "@cf/meta/m2m100-1.2b";
    const OTHER: &str = "@cf/example/other-translator";
    let (server, seen) = per_model(|model| match model {
        M2M => json_error(
            429,
            3040,
            "Capacity temporarily exceeded, please try again.",
        ),
        _ => reply(
            200,
            "application/json",
            r#"{"result":{"translated_text":"Bonjour"},"success":true,"errors":[]}"#,
        ),
    })
    .await;
    let base = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        let args = [
            "translate",
            "Hello",
            "--to",
            "fr",
            "--fallback",
            OTHER,
            "--format",
            "json",
            "--max-retries",
            "0",
        ];
        genai(&base, "test-token", &args)
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(j["text"], "Bonjour");
    assert_eq!(j["served_by"], OTHER);
    assert_eq!(j["attempts"][0]["model"], M2M);
    assert_eq!(*seen.lock().unwrap(), [M2M, OTHER]);
}

#[tokio::test]
async fn documents_over_the_size_limit_are_refused_before_any_upload() {
    let (server, _) = per_model(|_| reply(200, "application/json", OK_SYNC)).await;
    let dir = temp_dir("big");
    let big = dir.join("big.pdf");
    // A sparse file: its size is what counts, nothing is read before the refusal.
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(genai_cloudflare::MAX_DOCUMENT_BYTES + 1)
        .unwrap();
    let big_arg = big.to_string_lossy().into_owned();
    let base = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        genai(
            &base,
            "test-token",
            &["convert", &big_arg, "--format", "json"],
        )
    })
    .await
    .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let e = &last_json(&out)["error"];
    assert_eq!(e["kind"], "invalid_request");
    assert!(e["message"].as_str().unwrap().contains("big.pdf"), "{e}");
    assert_eq!(server.hits(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_document_can_come_from_standard_input() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let cmd = command_at(&emulator.base_url(), &["convert", "-", "--format", "json"]);
    let out = run(cmd, Some(&pdf_with_text(&["Piped figures"])));
    assert!(out.status.success(), "{out:?}");
    let files = last_json(&out)["files"].as_array().cloned().unwrap();
    assert_eq!(files[0]["name"], "stdin");
    assert_eq!(files[0]["text"], "Piped figures");
}

#[tokio::test]
async fn a_chain_whose_first_model_is_busy_and_second_retired_is_served_by_the_third() {
    const RETIRED: &str = "@cf/meta/llama-3-8b-instruct";
    let (server, seen) = per_model(|model| match model {
        A => json_error(
            429,
            3040,
            "Capacity temporarily exceeded, please try again.",
        ),
        _ => reply(200, "application/json", OK_SYNC),
    })
    .await;
    let out = run_chat(&server, &["--fallback", RETIRED, "--fallback", C]).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(j["served_by"], C);
    let attempts = j["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{j}");
    assert_eq!(attempts[0]["model"], A);
    assert_eq!(attempts[0]["error"]["code"], 3040);
    assert_eq!(attempts[1]["model"], RETIRED);
    assert_eq!(attempts[1]["error"]["kind"], "retired");
    // The retired model is refused before any request: the service saw A, then C.
    assert_eq!(*seen.lock().unwrap(), [A, C]);
}

#[tokio::test]
async fn a_retired_first_model_falls_over_to_the_next_before_any_request() {
    const RETIRED: &str = "@cf/meta/llama-3-8b-instruct";
    let (server, seen) = per_model(|_| reply(200, "application/json", OK_SYNC)).await;
    let base = server.base_url();
    let out = tokio::task::spawn_blocking(move || {
        genai(
            &base,
            "test-token",
            &[
                "chat",
                "--model",
                RETIRED,
                "--fallback",
                C,
                "hi",
                "--format",
                "json",
                "--max-retries",
                "0",
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(j["served_by"], C);
    let attempts = j["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{j}");
    assert_eq!(attempts[0]["model"], RETIRED);
    assert_eq!(attempts[0]["error"]["kind"], "retired");
    // The retired model never reaches the service.
    assert_eq!(*seen.lock().unwrap(), [C]);
}

/// A model id retired on 2026-05-30: refused before any request, whatever the kind asked for.
const RETIRED_IMAGE_TO_TEXT: &str = "@cf/unum/uform-gen2-qwen-500m";
const RETIRED_SUMMARIZER: &str = "@cf/facebook/bart-large-cnn";

/// Runs `genai ARGS --format json --max-retries 0` against `base` off the async runtime.
async fn run_json(base: String, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--format", "json", "--max-retries", "0"]);
        genai(&base, DEFAULT_TOKEN, &args)
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `served_by` and each attempt's model and error kind (with the code when there is one).
fn chain_of(j: &Value) -> (String, Vec<(String, String, Value)>) {
    let attempts = j["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("no attempts in {j}"))
        .iter()
        .map(|a| {
            (
                a["model"].as_str().unwrap_or_default().to_owned(),
                a["error"]["kind"].as_str().unwrap_or_default().to_owned(),
                a["error"]["code"].clone(),
            )
        })
        .collect();
    (
        j["served_by"].as_str().unwrap_or_default().to_owned(),
        attempts,
    )
}

/// The emulator, whose first request is refused for capacity (3040).
fn busy_first() -> Emulator {
    Emulator::start(EmulatorConfig::default().faults([Fault::Capacity])).expect("emulator")
}

/// The chain [`chain_of`] reads when `answer` served a call after `first` was busy (3040)
/// and `retired` was refused.
fn busy_then_retired(
    first: &str,
    retired: &str,
    answer: &str,
) -> (String, Vec<(String, String, Value)>) {
    let busy = (
        first.to_owned(),
        "unavailable".to_owned(),
        Value::from(3040),
    );
    let refused = (retired.to_owned(), "retired".to_owned(), Value::Null);
    (answer.to_owned(), vec![busy, refused])
}

/// Runs `command` with `--model first --fallback retired --fallback answer` against an
/// emulator whose first request is refused for capacity, and checks the chain: `answer`
/// served it after `first` was busy and `retired` was refused, and the service saw only two
/// requests (the retired model is refused before any). Returns the command's JSON line.
async fn falls_over_to(command: &[&str], first: &str, retired: &str, answer: &str) -> Value {
    let emulator = busy_first();
    let mut args = command.to_vec();
    args.extend([
        "--model",
        first,
        "--fallback",
        retired,
        "--fallback",
        answer,
    ]);
    let out = run_json(emulator.base_url(), strings(&args)).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(
        chain_of(&j),
        busy_then_retired(first, retired, answer),
        "{args:?}"
    );
    assert_eq!(j["model"], answer);
    assert_eq!(emulator.request_count(), 2, "{args:?}");
    j
}

#[tokio::test]
async fn image_speak_and_transcribe_fall_over_from_busy_past_retired_to_an_answer() {
    let dir = temp_dir("media-fallback");
    let pic = dir.join("pic").to_string_lossy().into_owned();
    let j = falls_over_to(
        &["image", "a red fox", "--out", &pic],
        "@cf/black-forest-labs/flux-1-schnell",
        RETIRED_IMAGE_TO_TEXT,
        "@cf/bytedance/stable-diffusion-xl-lightning",
    )
    .await;
    let written = std::fs::read(j["path"].as_str().unwrap()).unwrap();
    assert_eq!(j["bytes"], written.len());

    let audio = dir.join("hello").to_string_lossy().into_owned();
    let j = falls_over_to(
        &["speak", "Hello there", "--out", &audio],
        "@cf/deepgram/aura-1",
        RETIRED_SUMMARIZER,
        "@cf/myshell-ai/melotts",
    )
    .await;
    let spoken = j["path"].as_str().unwrap().to_owned();

    // The emulator's transcription reads back its own speech.
    let j = falls_over_to(
        &["transcribe", &spoken],
        "@cf/openai/whisper-large-v3-turbo",
        RETIRED_SUMMARIZER,
        "@cf/openai/whisper",
    )
    .await;
    assert!(
        j["text"].as_str().unwrap().to_lowercase().contains("hello"),
        "{j}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn image_speak_and_transcribe_stop_at_once_on_an_invalid_request() {
    const FIRST_IMAGE: &str = "@cf/black-forest-labs/flux-1-schnell";
    const FIRST_SPEECH: &str = "@cf/deepgram/aura-1";
    const FIRST_EARS: &str = "@cf/openai/whisper-large-v3-turbo";
    let dir = temp_dir("media-stop");
    let wav = dir.join("a.wav");
    std::fs::write(&wav, genai_testkit::fixtures::tone_wav(0.2, 0.0)).unwrap();
    let wav = wav.to_string_lossy().into_owned();
    let out_file = dir.join("out").to_string_lossy().into_owned();
    let cases: [(&str, &str, Vec<&str>); 3] = [
        (
            FIRST_IMAGE,
            "@cf/bytedance/stable-diffusion-xl-lightning",
            vec!["image", "a fox", "--out", &out_file],
        ),
        (
            FIRST_SPEECH,
            "@cf/myshell-ai/melotts",
            vec!["speak", "Hello", "--out", &out_file],
        ),
        (FIRST_EARS, "@cf/openai/whisper", vec!["transcribe", &wav]),
    ];
    for (first, second, mut args) in cases {
        let (server, seen) =
            per_model(|_| json_error(400, 5006, "Type mismatch of '/prompt'")).await;
        args.extend(["--model", first, "--fallback", second]);
        let out = run_json(server.base_url(), strings(&args)).await;
        assert!(!out.status.success(), "{out:?}");
        assert_eq!(
            last_json(&out)["error"]["kind"],
            "invalid_request",
            "{args:?}"
        );
        assert_eq!(*seen.lock().unwrap(), [first], "{args:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn batch_takes_the_next_model_when_its_first_submission_is_refused() {
    const FIRST: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    const RETIRED: &str = "@cf/meta/llama-3-8b-instruct";
    const SCOUT: &str = "@cf/meta/llama-4-scout-17b-16e-instruct";
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .faults([Fault::Capacity])
            .queue_timing(Duration::from_millis(10), Duration::from_millis(20)),
    )
    .expect("emulator");
    let dir = temp_dir("batch-fallback");
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"prompt\":\"Say hello.\"}\n{\"id\":\"b\",\"prompt\":\"Say bye.\"}\n",
    )
    .unwrap();
    let (input, output) = (
        input.to_string_lossy().into_owned(),
        dir.join("out.jsonl").to_string_lossy().into_owned(),
    );
    let args = [
        "batch",
        "--model",
        FIRST,
        "--input",
        &input,
        "--out",
        &output,
        "--fallback",
        RETIRED,
        "--fallback",
        SCOUT,
    ];
    let out = run_json(emulator.base_url(), strings(&args)).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(chain_of(&j), busy_then_retired(FIRST, RETIRED, SCOUT));
    assert_eq!(
        (j["model"].as_str(), j["lines"].as_u64()),
        (Some(SCOUT), Some(2))
    );
    let lines = std::fs::read_to_string(&output).unwrap();
    for line in lines.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["result"]["model"], SCOUT, "{line}");
    }
    // Run again: the state names the model that took the run, and nothing is submitted.
    let before = emulator.request_count();
    let out = run_json(emulator.base_url(), strings(&args)).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(last_json(&out)["model"], SCOUT);
    assert_eq!(emulator.request_count(), before);
    // A fallback model of another kind than the lines is refused before any request.
    let args = [
        "batch",
        "--model",
        FIRST,
        "--input",
        &input,
        "--out",
        &output,
        "--restart",
        "--fallback",
        "@cf/baai/bge-base-en-v1.5",
    ];
    let out = run_json(emulator.base_url(), strings(&args)).await;
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(last_json(&out)["error"]["kind"], "invalid_request");
    assert_eq!(emulator.request_count(), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn text_task_commands_count_a_retired_model_as_an_attempt() {
    const FIRST: &str = "@cf/meta/llama-3.1-8b-instruct-fp8";
    const THIRD: &str = "@cf/meta/llama-3.2-3b-instruct";
    let text = "The quarterly report shows revenue grew twelve percent while costs stayed flat.";
    falls_over_to(&["summarize", text], FIRST, RETIRED_SUMMARIZER, THIRD).await;
    // A retired first model gives way before any request.
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let args = [
        "summarize",
        "Costs stayed flat.",
        "--model",
        RETIRED_SUMMARIZER,
        "--fallback",
        FIRST,
    ];
    let out = run_json(emulator.base_url(), strings(&args)).await;
    assert!(out.status.success(), "{out:?}");
    let j = last_json(&out);
    assert_eq!(j["served_by"], FIRST);
    assert_eq!(j["attempts"][0]["error"]["kind"], "retired");
    assert_eq!(emulator.request_count(), 1);
}
