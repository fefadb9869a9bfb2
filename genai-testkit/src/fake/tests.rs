//! Every kind's conformance scenarios, run on the fake: each must pass, directly on the kind's
//! fake and through the fake provider (the scoreboard's row of the model).

use std::sync::Arc;

use genai_core::{Mode, ModelKind, Provider};

use super::*;
use crate::scenarios::{
    run_agent_scenarios, run_batch_scenarios, run_classification_scenarios, run_describe_scenarios,
    run_embedding_scenarios, run_image_scenarios, run_reranking_scenarios, run_round_trip,
    run_speech_scenarios, run_suite, run_summarization_scenarios, run_transcription_scenarios,
    run_translation_scenarios, run_turn_detection_scenarios, Check, SuiteConfig,
};
use crate::scoreboard::{score_task_model, Scenario, Verdict};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
        .block_on(f)
}

#[track_caller]
fn assert_all_pass(what: &str, checks: &[Check]) {
    assert!(!checks.is_empty(), "{what}: no check ran");
    for c in checks {
        assert!(c.passed(), "{what}: {}: {:?}", c.name, c.outcome);
    }
}

#[test]
fn the_chat_suite_passes_on_the_fake_chat_model() {
    block_on(async {
        let rows = run_suite(&ScriptedChat::new("fake/chat"), &SuiteConfig::default()).await;
        assert_eq!(rows.len(), 2);
        for row in &rows {
            for r in &row.results {
                assert!(
                    !r.verdict.is_problem(),
                    "{:?} {}: {}",
                    row.mode,
                    r.scenario,
                    r.note
                );
            }
        }
        assert_all_pass(
            "agent",
            &run_agent_scenarios(Arc::new(ScriptedChat::new("fake/chat"))).await,
        );
    });
}

#[test]
fn every_kind_passes_its_scenarios_on_its_fake() {
    block_on(async {
        assert_all_pass(
            "embedding",
            &run_embedding_scenarios(&ScriptedEmbedder::new("e")).await,
        );
        assert_all_pass(
            "reranking",
            &run_reranking_scenarios(&ScriptedReranker::new("r")).await,
        );
        let classifier = ScriptedClassifier::new("c");
        let checks = run_classification_scenarios(&classifier).await;
        assert_eq!(checks.len(), 3, "text and image: {checks:?}");
        assert_all_pass("classification", &checks);
        assert_all_pass(
            "translation",
            &run_translation_scenarios(&ScriptedTranslator::new("t")).await,
        );
        assert_all_pass(
            "summarization",
            &run_summarization_scenarios(&ScriptedSummarizer::new("s")).await,
        );
        assert_all_pass(
            "image",
            &run_image_scenarios(&ScriptedImageModel::new("i")).await,
        );
        let speech = ScriptedSpeech::new("sp");
        let listener = ScriptedTranscriber::new("tr");
        assert_all_pass("speech", &run_speech_scenarios(&speech).await);
        assert_all_pass(
            "transcription",
            &run_transcription_scenarios(&listener).await,
        );
        assert_all_pass("round trip", &run_round_trip(&speech, &listener).await);
        assert_all_pass(
            "turn",
            &run_turn_detection_scenarios(&ScriptedTurnDetector::new("tu")).await,
        );
    });
}

#[test]
fn the_fake_describes_pictures_through_chat() {
    block_on(async {
        let provider = ScriptedCatalog::every_kind("fake");
        let describer = provider.chat_model("fake/image-to-text").unwrap();
        let checks = run_describe_scenarios(describer.as_ref()).await;
        assert_all_pass("image to text", &checks);
        assert!(
            matches!(&checks[0].outcome, crate::scenarios::Outcome::Pass { detail } if detail.contains("red")),
            "{checks:?}"
        );
        // A chat model that does not read images refuses the picture before any request.
        let blind = provider.chat_model("fake/chat").unwrap();
        assert!(!run_describe_scenarios(blind.as_ref()).await[0].passed());
    });
}

#[test]
fn every_kind_of_the_fake_provider_scores_supported() {
    block_on(async {
        let provider = ScriptedCatalog::every_kind("fake");
        let models = provider.list_models().await.unwrap();
        assert_eq!(models.len(), 11);
        for info in models.iter().filter(|m| m.kind != ModelKind::Chat) {
            let row = score_task_model(&provider, info, 2).await;
            let task = row.result(Scenario::Task).expect("a task result");
            assert_eq!(
                (task.verdict, task.runs, task.passed),
                (Verdict::Supported, 2, 2),
                "{}: {}",
                info.id,
                task.note
            );
            let queued = row.result(Scenario::AsyncQueue);
            assert_eq!(queued.is_some(), info.batch, "{}", info.id);
            if let Some(q) = queued {
                assert_eq!(q.verdict, Verdict::Supported, "{}: {}", info.id, q.note);
            }
        }
    });
}

#[test]
fn every_kind_the_queue_takes_passes_the_batch_scenarios() {
    block_on(async {
        let provider = ScriptedCatalog::every_kind("fake");
        for model in [
            "fake/chat",
            "fake/embedding",
            "fake/translation",
            "fake/speech",
            "fake/turn",
        ] {
            let checks = run_batch_scenarios(&provider, model).await;
            assert_eq!(checks.len(), 2, "{model}: {checks:?}");
            assert_all_pass(model, &checks);
        }
        // The other kinds have no queue: the Batch column does not apply.
        assert!(run_batch_scenarios(&provider, "fake/reranking")
            .await
            .is_empty());
        let without = ScriptedCatalog::new("fake").with_model(ScriptedChat::new("m"));
        assert!(run_batch_scenarios(&without, "m").await.is_empty());
    });
}

#[test]
fn the_fake_provider_hands_out_a_model_as_its_own_kind_only() {
    let provider = ScriptedCatalog::every_kind("fake");
    let e = provider.chat_model("fake/embedding").unwrap_err();
    assert_eq!(e.kind(), genai_core::ErrorKind::Unsupported);
    assert!(e.message().contains("embedding"), "{e}");
    assert!(provider.speech_model("fake/transcription").is_err());
    assert_eq!(
        provider.embedding_model("nope").unwrap_err().kind(),
        genai_core::ErrorKind::NotFound
    );
    assert_eq!(provider.kind_of("fake/turn"), ModelKind::TurnDetection);
    assert_eq!(provider.kind_of("nope"), ModelKind::Unknown);
    let caps = provider
        .chat_model("fake/image-to-text")
        .unwrap()
        .capabilities();
    assert!(caps.mode(Mode::Sync).input.image);
}

#[test]
fn the_fake_converter_converts_text_documents() {
    use genai_core::{ConvertRequest, Document, ErrorKind};
    block_on(async {
        let converter = ScriptedCatalog::every_kind("fake")
            .document_converter()
            .unwrap();
        let page = Document::from_bytes("a.html", "<p>Hello <b>there</b></p>").unwrap();
        let notes = Document::from_bytes("b.txt", "plain words").unwrap();
        let out = converter
            .convert(&ConvertRequest::new([page, notes]))
            .await
            .unwrap();
        let texts: Vec<String> = out
            .into_texts()
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(texts, ["Hello there", "plain words"]);
        let pdf = Document::from_bytes("c.pdf", crate::fixtures::pdf_with_text(&["x"])).unwrap();
        let refused = converter
            .convert(&ConvertRequest::new([pdf]))
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Unsupported);
    });
}
