//! Record a cassette per task with the emulator standing in for the service, then replay each
//! one (strict matching) through the library and the `genai` CLI and get the same result.

use std::path::PathBuf;

use genai_cloudflare::WorkersAi;
use genai_core::{
    ClassificationModel, ClassifyRequest, EmbedRequest, EmbeddingModel, Media, RerankRequest,
    RerankingModel, SummarizationModel, SummarizeRequest, TranslateRequest, TranslationModel,
};
use genai_testkit::cassette::Cassette;
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::replay::{MatchMode, RecordingProxy};
use serde_json::{json, Value};

use crate::support::ACCOUNT;

use crate::support::provider;

/// A GIF of one pixel, made here.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// A value as the CLI prints it (`f32` in its shortest form, not widened to `f64`).
fn v<T: serde::Serialize>(x: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(x).unwrap()).unwrap()
}

/// The task calls, each as the JSON object `genai --format json` prints for it.
async fn run_task(p: &WorkersAi, task: &str) -> Value {
    match task {
        "embed" => {
            let m = p.embedder("@cf/baai/bge-small-en-v1.5").unwrap();
            let out = m
                .embed(&EmbedRequest::new(["a cat sat", "a dog ran"]))
                .await
                .unwrap();
            json!({"model": m.model(), "dimensions": out.dimensions, "embeddings": v(&out.embeddings)})
        }
        "rerank" => {
            let m = p.reranker("@cf/baai/bge-reranker-base").unwrap();
            let req = RerankRequest::new(
                "capital of France",
                ["Cats purr.", "Paris is the capital of France."],
            );
            let out = m.rerank(&req).await.unwrap();
            let results: Vec<Value> = out
                .results
                .iter()
                .map(|r| json!({"index": r.index, "score": v(&r.score)}))
                .collect();
            json!({"model": m.model(), "results": results})
        }
        "classify" | "classify-image" => {
            let (model, req) = if task == "classify" {
                (
                    "@cf/huggingface/distilbert-sst-2-int8",
                    ClassifyRequest::text("I love this wonderful film"),
                )
            } else {
                (
                    "@cf/microsoft/resnet-50",
                    ClassifyRequest::image(Media::from_bytes(GIF.to_vec()).unwrap()),
                )
            };
            let m = p.classifier(model).unwrap();
            let out = m.classify(&req).await.unwrap();
            let labels: Vec<Value> = out
                .labels
                .iter()
                .map(|l| json!({"label": l.label, "score": v(&l.score)}))
                .collect();
            json!({"model": m.model(), "labels": labels})
        }
        "translate" => {
            let m = p.translator("@cf/meta/m2m100-1.2b").unwrap();
            let out = m
                .translate(&TranslateRequest::new("Hello, my friend", "fr").from("en"))
                .await
                .unwrap();
            json!({"model": m.model(), "text": out.text})
        }
        "summarize" => {
            let m = p
                .summarizer(genai_cloudflare::DEFAULT_SUMMARY_MODEL)
                .unwrap();
            let long = "The harvest was good. The weather was mild. The river ran high. ".repeat(4);
            let out = m
                .summarize(&SummarizeRequest::new(long).max_length(20))
                .await
                .unwrap();
            json!({"model": m.model(), "text": out.text})
        }
        other => panic!("no task {other}"),
    }
}

/// The same call through the CLI against `base`.
fn run_cli(task: &str, base: &str) -> Value {
    let args: Vec<&str> = match task {
        "embed" => vec![
            "embed",
            "--model",
            "@cf/baai/bge-small-en-v1.5",
            "a cat sat",
            "a dog ran",
        ],
        "rerank" => vec![
            "rerank",
            "--query",
            "capital of France",
            "Cats purr.",
            "Paris is the capital of France.",
        ],
        "classify" => vec!["classify", "I love this wonderful film"],
        "translate" => vec![
            "translate",
            "--to",
            "fr",
            "--from",
            "en",
            "Hello, my friend",
        ],
        _ => return Value::Null,
    };
    let out = crate::support::command(&args)
        .args(["--base-url", base, "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{task}: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut line: Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    if let Some(o) = line.as_object_mut() {
        o.remove("usage");
    }
    line
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("genai-task-cassettes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cassette_per_task_replays_to_the_same_result() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let proxy = RecordingProxy::start(&emulator.base_url(), ACCOUNT, crate::support::TOKEN)
        .await
        .unwrap();
    let recorded = provider(proxy.base_url());
    let dir = scratch_dir();
    let tasks = [
        "embed",
        "rerank",
        "classify",
        "classify-image",
        "translate",
        "summarize",
    ];
    let mut expected = Vec::new();
    for task in tasks {
        let result = run_task(&recorded, task).await;
        let path = dir.join(format!("{task}.json"));
        assert_eq!(
            proxy.save_to(&path).unwrap(),
            1,
            "{task}: one exchange recorded"
        );
        expected.push((task, path, result));
    }
    drop(emulator); // the replays below cannot reach it

    for (task, path, result) in expected {
        let cassette = Cassette::load(&path).unwrap();
        assert!(
            !cassette.contains_secret(crate::support::TOKEN),
            "{task}: token in the cassette"
        );
        let server = crate::support::replay(cassette.clone(), MatchMode::Strict).await;
        let replayed = run_task(&provider(server.base_url()), task).await;
        assert_eq!(
            replayed, result,
            "{task}: the library replays the recorded result"
        );
        assert!(
            server.unmatched().is_empty(),
            "{task}: {:?}",
            server.unmatched()
        );
        assert!(server.unused().is_empty(), "{task}: the recording was used");

        // Each recorded exchange is served once: the CLI gets a server of its own.
        let cli_server = crate::support::replay(cassette, MatchMode::Strict).await;
        let base = cli_server.base_url();
        let cli = tokio::task::spawn_blocking({
            let task = task.to_owned();
            move || run_cli(&task, &base)
        })
        .await
        .unwrap();
        if !cli.is_null() {
            // The CLI adds the call's cost (documented in docs/cost.md) to the result.
            let mut cli = cli;
            if let Some(obj) = cli.as_object_mut() {
                assert!(
                    obj.remove("cost").is_some(),
                    "{task}: the CLI prints the cost"
                );
            }
            assert_eq!(cli, result, "{task}: the CLI replays the recorded result");
            assert!(
                cli_server.unused().is_empty(),
                "{task}: the CLI used the recording"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
