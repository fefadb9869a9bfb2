//! The embedding scenarios: constant dimensions, a similar pair closer than an unrelated one,
//! order kept, and more inputs than one call takes.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_embedding_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::EmbeddingModel) {
//! for check in run_embedding_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{cosine, EmbedRequest, EmbeddingModel};

use crate::scenarios::check::{copy, fail, judged, pass};
use crate::scenarios::{Check, Outcome};

/// Embeddings: constant dimension, order kept, a similar pair closer than a dissimilar one,
/// and more inputs than one call takes come back whole and in order.
pub async fn run_embedding_scenarios(model: &dyn EmbeddingModel) -> Vec<Check> {
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
    checks.push(Check::new("embed-dimensions", dims));
    checks.push(Check::new("embed-similarity", similarity));
    checks.push(Check::new("embed-order", order));

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
    checks.push(Check::new("embed-chunked", chunked));
    checks
}
