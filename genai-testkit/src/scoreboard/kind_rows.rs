//! Scoreboard rows of models of every kind beyond chat, and the Batch cell of any model.
//!
//! A non-chat model's row is [`ScoreRow::not_chat`] filled with two results: its kind's
//! conformance scenarios judged as [`Scenario::Task`] (the Text column: "the task works"), and,
//! for a model the provider runs through an asynchronous queue, the batch scenarios judged as
//! [`Scenario::AsyncQueue`] (the Batch column). The same Batch result goes on a chat model's
//! sync row.

use genai_core::{ModelInfo, ModelKind, Provider, Support};

use crate::scenarios::{judge, MODEL_CHECK};
use crate::scenarios::{
    run_batch_scenarios, run_classification_scenarios, run_describe_scenarios,
    run_embedding_scenarios, run_guard_scenarios, run_image_scenarios, run_reranking_scenarios,
    run_speech_scenarios, run_summarization_scenarios, run_transcription_scenarios,
    run_translation_scenarios, run_turn_detection_scenarios, Check, Outcome,
};
use crate::scoreboard::{Scenario, ScenarioResult, ScoreRow};

/// Runs the conformance scenarios of `info`'s kind `runs` times and returns its row: the Text
/// cell says whether the task works, the Batch cell whether the queue does (when the model
/// has one). A kind without scenarios keeps the "not measurable" row.
///
/// ```no_run
/// # async fn run(provider: &dyn genai_core::Provider, info: &genai_core::ModelInfo) {
/// let row = genai_testkit::scoreboard::score_task_model(provider, info, 1).await;
/// println!("{}: {:?}", row.model, row.verdict(genai_testkit::scoreboard::Scenario::Task));
/// # }
/// ```
pub async fn score_task_model(provider: &dyn Provider, info: &ModelInfo, runs: u32) -> ScoreRow {
    let mut row = task_row(info);
    let mut all_runs = Vec::new();
    for _ in 0..runs.max(1) {
        match task_checks(provider, info).await {
            Some(checks) => all_runs.push(checks),
            None => break,
        }
    }
    if let Some(result) = judged(Scenario::Task, &all_runs) {
        row.note.clear();
        row.results.push(result);
    }
    if let Some(result) = batch_result(provider, &info.id).await {
        row.results.push(result);
    }
    row
}

/// The row of a non-chat model before any scenario: its task (the catalog's name, else its
/// kind's) and the modalities it declares.
pub(crate) fn task_row(info: &ModelInfo) -> ScoreRow {
    let task = info
        .task
        .clone()
        .unwrap_or_else(|| info.kind.task_name().to_owned());
    ScoreRow::not_chat(
        &info.id,
        task,
        info.capabilities.sync.input,
        info.capabilities.sync.output,
    )
}

/// The Batch result of `model`: `None` when the provider has no queue for it.
pub async fn batch_result(provider: &dyn Provider, model: &str) -> Option<ScenarioResult> {
    let checks = run_batch_scenarios(provider, model).await;
    if checks.is_empty() {
        return None;
    }
    judged(Scenario::AsyncQueue, &[checks])
}

/// The scenarios of `info`'s kind, once; `None` for a kind without scenarios.
async fn task_checks(provider: &dyn Provider, info: &ModelInfo) -> Option<Vec<Check>> {
    let id = info.id.as_str();
    let refused = |e: genai_core::Error| vec![Check::new(MODEL_CHECK, Outcome::Error(e))];
    let checks = match info.kind {
        ModelKind::Embedding => match provider.embedding_model(id) {
            Ok(m) => run_embedding_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::Reranking => match provider.reranking_model(id) {
            Ok(m) => run_reranking_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::TextClassification | ModelKind::ImageClassification => {
            match provider.classification_model(id) {
                Ok(m) => run_classification_scenarios(&*m).await,
                Err(e) => refused(e),
            }
        }
        ModelKind::Translation => match provider.translation_model(id) {
            Ok(m) => run_translation_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::Summarization => match provider.summarization_model(id) {
            Ok(m) => run_summarization_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::TextToSpeech => match provider.speech_model(id) {
            Ok(m) => run_speech_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::SpeechRecognition => match provider.transcription_model(id) {
            Ok(m) => run_transcription_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::TurnDetection => match provider.turn_detection_model(id) {
            Ok(m) => run_turn_detection_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::TextToImage => match provider.image_model(id) {
            Ok(m) => run_image_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        ModelKind::ImageToText => match provider.chat_model(id) {
            Ok(m) => run_describe_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        // A chat model scored here is a safety classifier (Llama Guard): its reply is a verdict.
        ModelKind::Chat => match provider.chat_model(id) {
            Ok(m) => run_guard_scenarios(&*m).await,
            Err(e) => refused(e),
        },
        _ => return None,
    };
    Some(checks)
}

/// Judges the runs of a kind's scenarios as `scenario`, declared supported: `None` when there
/// is no run.
fn judged(scenario: Scenario, runs: &[Vec<Check>]) -> Option<ScenarioResult> {
    (!runs.is_empty()).then(|| judge(scenario, Support::Supported, runs))
}
