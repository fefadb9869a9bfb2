//! Conformance scenarios for the task models beyond chat, written once and run against any
//! backend through the kind's trait object.
//!
//! Each `run_*_scenarios` function makes a few calls and judges what comes back by its
//! meaning (similar texts closer than unrelated ones, the relevant document first...), so a
//! scoreboard row can say that the task works, is flaky, or fails, and why.
//!
//! ```
//! use std::sync::Arc;
//! use genai_cloudflare::CloudflareChat;
//! use genai_core::Provider;
//! use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
//! use genai_testkit::scenarios::Outcome;
//! use genai_testkit::task_scenarios::run_embedding_scenarios;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
//! let provider = CloudflareChat::builder()
//!     .account_id("0123456789abcdef0123456789abcdef")
//!     .api_token(DEFAULT_TOKEN)
//!     .base_url(emulator.base_url())
//!     .build_provider()?;
//! let model = provider.embedding_model("@cf/baai/bge-small-en-v1.5")?;
//! for check in run_embedding_scenarios(model.as_ref()).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # Ok::<(), genai_core::Error>(())
//! # }).unwrap();
//! ```

use genai_core::{
    cosine, ClassificationModel, ClassifyRequest, EmbedRequest, EmbeddingModel, Error, Media,
    RerankRequest, RerankingModel, SummarizationModel, SummarizeRequest, TranslateRequest,
    TranslationModel,
};

use crate::scenarios::Outcome;

/// One scenario of a task kind and what it showed.
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskCheck {
    /// The scenario, e.g. `embed-similarity`.
    pub name: &'static str,
    /// Pass, fail (with the reason) or error.
    pub outcome: Outcome,
}

impl TaskCheck {
    pub(crate) fn new(name: &'static str, outcome: Outcome) -> Self {
        TaskCheck { name, outcome }
    }

    /// Whether the scenario passed.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Pass { .. })
    }
}

/// A passing outcome with what was seen.
pub(crate) fn pass(detail: impl Into<String>) -> Outcome {
    Outcome::Pass {
        detail: detail.into(),
    }
}

/// A failing outcome with its reason.
pub(crate) fn fail(reason: impl Into<String>) -> Outcome {
    Outcome::Fail {
        reason: reason.into(),
    }
}

/// The same failure again, for the other checks that one failed call decides.
fn copy(e: &Error) -> Error {
    Error::new(e.kind(), e.message().to_owned())
}

fn judged<T>(result: Result<T, Error>, judge: impl FnOnce(T) -> Outcome) -> Outcome {
    match result {
        Ok(v) => judge(v),
        Err(e) => Outcome::Error(e),
    }
}

/// Embeddings: constant dimension, order kept, a similar pair closer than a dissimilar one,
/// and more inputs than one call takes come back whole and in order.
pub async fn run_embedding_scenarios(model: &dyn EmbeddingModel) -> Vec<TaskCheck> {
    let mut checks = Vec::new();
    let texts = [
        "The cat sat on the mat.",
        "A cat was sitting on the mat.",
        "Stock markets fell sharply after the interest rate rise.",
    ];
    let out = model.embed(&EmbedRequest::new(texts)).await;
    let (dims, similarity, order) = match out {
        Err(e) => {
            let (a, b) = (copy(&e), copy(&e));
            (Outcome::Error(e), Outcome::Error(a), Outcome::Error(b))
        }
        Ok(out) => {
            let dims = if out.embeddings.len() != texts.len() {
                fail(format!(
                    "{} texts gave {} vectors",
                    texts.len(),
                    out.embeddings.len()
                ))
            } else if out.dimensions == 0
                || out.embeddings.iter().any(|v| v.len() != out.dimensions)
            {
                fail("vectors of different or zero length")
            } else if model
                .capabilities()
                .dimensions
                .is_some_and(|d| d != out.dimensions)
            {
                fail(format!(
                    "{} dimensions where the model announces {:?}",
                    out.dimensions,
                    model.capabilities().dimensions
                ))
            } else {
                pass(format!("{} dimensions", out.dimensions))
            };
            let similarity = match (out.cosine(0, 1), out.cosine(0, 2)) {
                (Some(near), Some(far)) if near > far => {
                    pass(format!("similar {near:.3} > unrelated {far:.3}"))
                }
                (Some(near), Some(far)) => fail(format!(
                    "the similar pair ({near:.3}) is not closer than the unrelated one ({far:.3})"
                )),
                _ => fail("missing vectors"),
            };
            // Order: each text alone gives (about) the vector it got in the batch.
            let single = model.embed(&EmbedRequest::new([texts[2]])).await;
            let order = judged(single, |one| {
                match (one.embeddings.first(), out.embeddings.get(2)) {
                    (Some(a), Some(b)) if cosine(a, b) > 0.99 => {
                        pass("the third vector is the third text's")
                    }
                    (Some(a), Some(b)) => fail(format!(
                        "the third vector is not the third text's (cosine {:.3})",
                        cosine(a, b)
                    )),
                    _ => fail("missing vectors"),
                }
            });
            (dims, similarity, order)
        }
    };
    checks.push(TaskCheck::new("embed-dimensions", dims));
    checks.push(TaskCheck::new("embed-similarity", similarity));
    checks.push(TaskCheck::new("embed-order", order));

    let per_call = model.capabilities().max_inputs_per_call.unwrap_or(100);
    let n = per_call * 2 + 5;
    let many: Vec<String> = (0..n)
        .map(|i| format!("sentence number {i} about topic {}", i % 7))
        .collect();
    let chunked = judged(model.embed(&EmbedRequest::new(many.clone())).await, |out| {
        if out.embeddings.len() != n {
            return fail(format!("{n} texts gave {} vectors", out.embeddings.len()));
        }
        // Spot-check the order across call boundaries.
        let probes = [0, per_call - 1, per_call, n - 1];
        for i in probes {
            let own = out.embeddings[i].as_slice();
            let best = (0..n)
                .filter(|j| *j != i)
                .all(|j| cosine(own, &out.embeddings[j]) < 0.9999 || many[j] == many[i]);
            if !best {
                return fail(format!("vector {i} duplicates another text's vector"));
            }
        }
        pass(format!(
            "{n} texts, {} vectors in order",
            out.embeddings.len()
        ))
    });
    let chunked = match chunked {
        Outcome::Pass { .. } => {
            // Order across chunks: the last text alone must match the last vector.
            let last = model.embed(&EmbedRequest::new([many[n - 1].clone()])).await;
            match (last, model.embed(&EmbedRequest::new(many)).await) {
                (Ok(one), Ok(all)) => match (one.embeddings.first(), all.embeddings.last()) {
                    (Some(a), Some(b)) if cosine(a, b) > 0.99 => pass(format!(
                        "{n} texts over {} calls, in order",
                        n.div_ceil(per_call)
                    )),
                    _ => fail("the last vector of a chunked request is not the last text's"),
                },
                (Err(e), _) | (_, Err(e)) => Outcome::Error(e),
            }
        }
        other => other,
    };
    checks.push(TaskCheck::new("embed-chunked", chunked));
    checks
}

/// Reranking: the relevant document first, every index valid and present once, best first.
pub async fn run_reranking_scenarios(model: &dyn RerankingModel) -> Vec<TaskCheck> {
    let docs = [
        "Berlin is the largest city in Germany.",
        "Bananas are yellow and rich in potassium.",
        "Paris is the capital of France.",
        "The Pacific is the largest ocean on Earth.",
    ];
    let req = RerankRequest::new("What is the capital of France?", docs);
    let out = model.rerank(&req).await;
    let mut checks = Vec::new();
    match out {
        Err(e) => {
            let again = copy(&e);
            checks.push(TaskCheck::new("rerank-relevant-first", Outcome::Error(e)));
            checks.push(TaskCheck::new("rerank-indexes", Outcome::Error(again)));
        }
        Ok(r) => {
            let first = match r.results.first() {
                Some(top) if top.index == 2 => pass(format!("document 2 first ({:.3})", top.score)),
                Some(top) => fail(format!("document {} ranked first, not 2", top.index)),
                None => fail("no results"),
            };
            let mut idx: Vec<usize> = r.results.iter().map(|d| d.index).collect();
            let sorted = r.results.windows(2).all(|w| w[0].score >= w[1].score);
            idx.sort_unstable();
            let indexes = if idx != [0, 1, 2, 3] {
                fail(format!("indexes {idx:?}, expected each of 0..4 once"))
            } else if !sorted {
                fail("results not best first")
            } else {
                pass("4 valid indexes, best first")
            };
            checks.push(TaskCheck::new("rerank-relevant-first", first));
            checks.push(TaskCheck::new("rerank-indexes", indexes));
        }
    }
    let top = judged(model.rerank(&req.clone().top_k(1)).await, |r| {
        match r.results.as_slice() {
            [only] if only.index == 2 => pass("top_k 1 keeps the relevant document"),
            other => fail(format!("top_k 1 gave {other:?}")),
        }
    });
    checks.push(TaskCheck::new("rerank-top-k", top));
    checks
}

fn judge_labels(c: genai_core::Classification) -> Outcome {
    if c.labels.is_empty() {
        return fail("no labels");
    }
    if let Some(l) = c
        .labels
        .iter()
        .find(|l| !(0.0..=1.0).contains(&l.score) || l.label.is_empty())
    {
        return fail(format!(
            "label {:?} has score {} outside [0, 1]",
            l.label, l.score
        ));
    }
    if !c.labels.windows(2).all(|w| w[0].score >= w[1].score) {
        return fail("labels not best first");
    }
    pass(format!(
        "{} labels, best {}",
        c.labels.len(),
        c.labels[0].label
    ))
}

/// A small PNG (a red square), made here.
fn red_png() -> Vec<u8> {
    // 1x1 RGB PNG, with valid checksums.
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38,
        0x21, 0x27, 0x07, 0x00, 0x02, 0xb6, 0x01, 0x05, 0x34, 0xa6, 0x75, 0xaa, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]
}

/// Classification: scores in `[0, 1]`, best first; for a text model, a clearly positive and
/// a clearly negative sentence get different top labels.
pub async fn run_classification_scenarios(model: &dyn ClassificationModel) -> Vec<TaskCheck> {
    let caps = model.capabilities();
    let mut checks = Vec::new();
    if caps.text {
        let positive = model
            .classify(&ClassifyRequest::text(
                "I love this wonderful film, it is great.",
            ))
            .await;
        let negative = model
            .classify(&ClassifyRequest::text(
                "This was a terrible, boring waste of time.",
            ))
            .await;
        let (scores, tell) = match (positive, negative) {
            (Ok(p), Ok(n)) => {
                let tell = match (p.labels.first(), n.labels.first()) {
                    (Some(a), Some(b)) if a.label != b.label => {
                        pass(format!("{} vs {}", a.label, b.label))
                    }
                    _ => fail("a positive and a negative text got the same top label"),
                };
                (judge_labels(p), tell)
            }
            (Err(e), _) | (_, Err(e)) => {
                let again = copy(&e);
                (Outcome::Error(e), Outcome::Error(again))
            }
        };
        checks.push(TaskCheck::new("classify-scores", scores));
        checks.push(TaskCheck::new("classify-tells-apart", tell));
    }
    if caps.image {
        let image = Media::with_type("image/png", red_png());
        let out = model.classify(&ClassifyRequest::image(image)).await;
        checks.push(TaskCheck::new("classify-image", judged(out, judge_labels)));
    }
    checks
}

/// Translation: a non-empty text that differs from the English original.
pub async fn run_translation_scenarios(model: &dyn TranslationModel) -> Vec<TaskCheck> {
    let source = "Hello, my friend. The weather is beautiful today.";
    // French, or the first language other than English of a model that lists its languages
    // and has no French (IndicTrans2 translates into Indic languages only).
    let languages = model.capabilities().languages;
    let knows = |code: &str| {
        languages.iter().any(|l| {
            l.eq_ignore_ascii_case(code)
                || l.split(['_', '-'])
                    .next()
                    .is_some_and(|p| p.eq_ignore_ascii_case(code))
        })
    };
    let target = if languages.is_empty() || knows("fr") {
        "fr"
    } else {
        languages
            .iter()
            .copied()
            .find(|l| !l.to_ascii_lowercase().starts_with("en"))
            .unwrap_or("fr")
    };
    let out = model
        .translate(&TranslateRequest::new(source, target).from("en"))
        .await;
    let outcome = judged(out, |t| {
        let text = t.text.trim();
        if text.is_empty() {
            fail("empty translation")
        } else if text.eq_ignore_ascii_case(source) {
            fail("the text came back untranslated")
        } else {
            pass(text.to_owned())
        }
    });
    vec![TaskCheck::new("translate-text", outcome)]
}

/// Summarisation: a non-empty text, shorter than the input, within the asked length (counted
/// in words, which are never more than tokens).
pub async fn run_summarization_scenarios(model: &dyn SummarizationModel) -> Vec<TaskCheck> {
    let long: String = (0..30)
        .map(|i| {
            format!("Report {i} says the harvest in the valley was good and the weather mild. ")
        })
        .collect();
    let limit = 40;
    let out = model
        .summarize(&SummarizeRequest::new(long.clone()).max_length(limit))
        .await;
    let outcome = judged(out, |s| {
        let words = s.text.split_whitespace().count();
        if s.text.trim().is_empty() {
            fail("empty summary")
        } else if s.text.len() >= long.len() {
            fail("the summary is not shorter than the text")
        } else if words > limit as usize {
            fail(format!("{words} words, over the asked {limit}"))
        } else {
            pass(format!("{words} words"))
        }
    });
    vec![TaskCheck::new("summarize-within-limit", outcome)]
}
