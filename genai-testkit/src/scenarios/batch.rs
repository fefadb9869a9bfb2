//! Conformance scenarios of the asynchronous batch queue (the scoreboard's Batch column): a
//! few requests of the model's kind go through the queue, come back in order with their
//! references, and are results of the same kind as the synchronous call's.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_batch_scenarios, Outcome};
//! # async fn run(provider: &dyn genai_core::Provider) {
//! let checks = run_batch_scenarios(provider, "@cf/meta/llama-3.3-70b-instruct-fp8-fast").await;
//! // Empty for a model without the queue (the column shows it does not apply).
//! assert!(checks.iter().all(|c| matches!(c.outcome, Outcome::Pass { .. })), "{checks:?}");
//! # }
//! ```

use genai_core::{
    BatchItem, BatchOutput, BatchResult, ChatRequest, EmbedRequest, Error, ErrorKind, Media,
    ModelKind, Provider, SpeechRequest, TranslateRequest, TurnRequest,
};

use super::speech::check_audio;
use crate::fixtures::tone_wav;
use crate::scenarios::{Check, Outcome};

fn pass(name: &'static str, detail: impl Into<String>) -> Check {
    Check {
        name,
        outcome: Outcome::Pass {
            detail: detail.into(),
        },
    }
}

fn fail(name: &'static str, reason: impl Into<String>) -> Check {
    Check {
        name,
        outcome: Outcome::Fail {
            reason: reason.into(),
        },
    }
}

fn error(name: &'static str, e: Error) -> Check {
    Check {
        name,
        outcome: Outcome::Error(e),
    }
}

/// Runs the batch scenarios of `model`: `batch_round_trip` (three requests through the queue
/// come back in order, each with its reference and a result) and `batch_matches_sync` (a
/// result is of the same kind and shape as the synchronous call's). Empty when the provider
/// refuses to batch the model as `unsupported` (the model has no queue): the Batch column
/// does not apply to it.
pub async fn run_batch_scenarios(provider: &dyn Provider, model: &str) -> Vec<Check> {
    let batch = match provider.batch_model(model) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::Unsupported => return Vec::new(),
        Err(e) => return vec![error("batch_round_trip", e)],
    };
    let kind = batch.capabilities().kind;
    let items: Vec<BatchItem> = match kind {
        ModelKind::Chat => [
            "Reply with exactly one word: hello.",
            "What is 6 times 7? Reply with the number only.",
            "Name the capital of France in one word.",
        ]
        .iter()
        .map(|p| BatchItem::chat(ChatRequest::new().user(*p).max_tokens(64)))
        .collect(),
        ModelKind::Embedding => vec![
            BatchItem::embed(EmbedRequest::new(["a cat", "a kitten"])),
            BatchItem::embed(EmbedRequest::new(["a car"])),
            BatchItem::embed(EmbedRequest::new(["the weather is nice today"])),
        ],
        ModelKind::Translation => ["Good morning", "Thank you", "Where is the station?"]
            .iter()
            .map(|t| BatchItem::translate(TranslateRequest::new(*t, "fr").from("en")))
            .collect(),
        ModelKind::TextToSpeech => ["Good morning.", "Thank you.", "Where is the station?"]
            .iter()
            .map(|t| BatchItem::speak(SpeechRequest::new(*t)))
            .collect(),
        ModelKind::TurnDetection => [(0.6, 0.05), (0.6, 1.0), (1.2, 0.3)]
            .iter()
            .map(|(tone, silence)| {
                let wav = Media::with_type("audio/wav", tone_wav(*tone, *silence));
                BatchItem::detect_turn(TurnRequest::new(wav))
            })
            .collect(),
        other => {
            return vec![fail(
                "batch_round_trip",
                format!("no batch scenario for {} models", other.as_str()),
            )]
        }
    };
    let items: Vec<BatchItem> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| item.reference(format!("check-{i}")))
        .collect();
    let results = match batch.run(&items).await {
        Ok(r) => r,
        Err(e) => return vec![error("batch_round_trip", e)],
    };
    let round_trip = judge_round_trip(&items, &results);
    let first = results.into_iter().next().and_then(|r| r.outcome.ok());
    let matches = match first {
        Some(out) => compare_with_sync(provider, model, &items[0], out).await,
        None => fail(
            "batch_matches_sync",
            "the first request of the batch failed",
        ),
    };
    vec![round_trip, matches]
}

fn judge_round_trip(items: &[BatchItem], results: &[BatchResult]) -> Check {
    const NAME: &str = "batch_round_trip";
    if results.len() != items.len() {
        return fail(
            NAME,
            format!("{} results for {} requests", results.len(), items.len()),
        );
    }
    for (i, (item, r)) in items.iter().zip(results).enumerate() {
        if r.index != i {
            return fail(NAME, format!("result {i} has index {}", r.index));
        }
        if r.external_reference != item.external_reference {
            return fail(
                NAME,
                format!(
                    "result {i} has reference {:?}, sent {:?}",
                    r.external_reference, item.external_reference
                ),
            );
        }
        match &r.outcome {
            Err(e) => return fail(NAME, format!("request {i} failed: {e}")),
            Ok(BatchOutput::Chat(c)) if c.text.trim().is_empty() && c.tool_calls.is_empty() => {
                return fail(NAME, format!("request {i}: an empty reply"))
            }
            Ok(BatchOutput::Translation(t)) if t.text.trim().is_empty() => {
                return fail(NAME, format!("request {i}: an empty translation"))
            }
            Ok(BatchOutput::Speech(audio)) => {
                if let Err(why) = check_audio(audio) {
                    return fail(NAME, format!("request {i}: {why}"));
                }
            }
            Ok(_) => {}
        }
    }
    pass(
        NAME,
        format!("{} requests, in order, references carried", items.len()),
    )
}

async fn compare_with_sync(
    provider: &dyn Provider,
    model: &str,
    item: &BatchItem,
    out: BatchOutput,
) -> Check {
    const NAME: &str = "batch_matches_sync";
    match (&item.request, out) {
        (genai_core::BatchRequest::Chat(req), BatchOutput::Chat(b)) => {
            let sync = match provider.chat_model(model) {
                Ok(m) => m.gen_sync(req).await,
                Err(e) => Err(e),
            };
            match sync {
                Err(e) => error(NAME, e),
                Ok(s) => {
                    let hello = |t: &str| t.to_lowercase().contains("hello");
                    if hello(&s.text) == hello(&b.text) {
                        pass(NAME, format!("sync {:?}, batch {:?}", s.text, b.text))
                    } else {
                        fail(NAME, format!("sync {:?} but batch {:?}", s.text, b.text))
                    }
                }
            }
        }
        (genai_core::BatchRequest::Embed(req), BatchOutput::Embeddings(b)) => {
            let sync = match provider.embedding_model(model) {
                Ok(m) => m.embed(req).await,
                Err(e) => Err(e),
            };
            match sync {
                Err(e) => error(NAME, e),
                Ok(s)
                    if s.dimensions == b.dimensions && s.embeddings.len() == b.embeddings.len() =>
                {
                    let similarity = genai_core::cosine(&s.embeddings[0], &b.embeddings[0]);
                    pass(
                        NAME,
                        format!(
                            "{} vectors of {} dimensions both ways (cosine {similarity:.3})",
                            b.embeddings.len(),
                            b.dimensions
                        ),
                    )
                }
                Ok(s) => fail(
                    NAME,
                    format!(
                        "sync: {} vectors of {}; batch: {} vectors of {}",
                        s.embeddings.len(),
                        s.dimensions,
                        b.embeddings.len(),
                        b.dimensions
                    ),
                ),
            }
        }
        (genai_core::BatchRequest::Translate(req), BatchOutput::Translation(b)) => {
            let sync = match provider.translation_model(model) {
                Ok(m) => m.translate(req).await,
                Err(e) => Err(e),
            };
            match sync {
                Err(e) => error(NAME, e),
                Ok(s) if !s.text.trim().is_empty() => {
                    pass(NAME, format!("sync {:?}, batch {:?}", s.text, b.text))
                }
                Ok(_) => fail(NAME, "the sync translation is empty"),
            }
        }
        (genai_core::BatchRequest::Speak(req), BatchOutput::Speech(b)) => {
            let sync = match provider.speech_model(model) {
                Ok(m) => match m.speak(req).await {
                    Ok(reply) => reply.collect().await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match sync {
                Err(e) => error(NAME, e),
                Ok(s) if s.media_type() == b.media_type() => pass(
                    NAME,
                    format!(
                        "{} both ways ({} bytes sync, {} batch)",
                        b.media_type(),
                        s.len(),
                        b.len()
                    ),
                ),
                Ok(s) => fail(
                    NAME,
                    format!("sync {} but batch {}", s.media_type(), b.media_type()),
                ),
            }
        }
        (genai_core::BatchRequest::DetectTurn(req), BatchOutput::Turn(b)) => {
            let sync = match provider.turn_detection_model(model) {
                Ok(m) => m.detect_turn(req).await,
                Err(e) => Err(e),
            };
            match sync {
                Err(e) => error(NAME, e),
                Ok(s) if s.is_complete == b.is_complete => pass(
                    NAME,
                    format!(
                        "complete: {} both ways (p {:.2} sync, {:.2} batch)",
                        b.is_complete, s.probability, b.probability
                    ),
                ),
                Ok(s) => fail(
                    NAME,
                    format!(
                        "sync says complete: {}, batch {}",
                        s.is_complete, b.is_complete
                    ),
                ),
            }
        }
        (_, out) => fail(NAME, format!("a result of another kind came back: {out:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::{BatchResult, ChatResponse};

    #[test]
    fn round_trip_judges_order_references_and_failures() {
        let items: Vec<BatchItem> = (0..2)
            .map(|i| BatchItem::chat(ChatRequest::new().user("x")).reference(format!("r{i}")))
            .collect();
        let ok = |i: usize, r: &str| {
            BatchResult::new(
                i,
                Some(r.into()),
                Ok(BatchOutput::Chat(ChatResponse::new("hi"))),
            )
        };
        assert!(matches!(
            judge_round_trip(&items, &[ok(0, "r0"), ok(1, "r1")]).outcome,
            Outcome::Pass { .. }
        ));
        assert!(matches!(
            judge_round_trip(&items, &[ok(0, "r0"), ok(1, "zz")]).outcome,
            Outcome::Fail { .. }
        ));
        assert!(matches!(
            judge_round_trip(&items, &[ok(0, "r0")]).outcome,
            Outcome::Fail { .. }
        ));
        let failed = BatchResult::new(1, Some("r1".into()), Err(Error::protocol("x")));
        assert!(matches!(
            judge_round_trip(&items, &[ok(0, "r0"), failed]).outcome,
            Outcome::Fail { .. }
        ));
    }
}
