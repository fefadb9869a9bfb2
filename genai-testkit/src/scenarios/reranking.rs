//! The reranking scenarios: the relevant document first, every index valid and present once,
//! `top_k` kept.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_reranking_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::RerankingModel) {
//! for check in run_reranking_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{RerankRequest, RerankingModel};

use crate::scenarios::check::{copy, fail, judged, pass};
use crate::scenarios::{Check, Outcome};

/// Reranking: the relevant document first, every index valid and present once, best first.
pub async fn run_reranking_scenarios(model: &dyn RerankingModel) -> Vec<Check> {
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
            checks.push(Check::new("rerank-relevant-first", Outcome::Error(e)));
            checks.push(Check::new("rerank-indexes", Outcome::Error(again)));
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
            checks.push(Check::new("rerank-relevant-first", first));
            checks.push(Check::new("rerank-indexes", indexes));
        }
    }
    let top = judged(model.rerank(&req.clone().top_k(1)).await, |r| {
        match r.results.as_slice() {
            [only] if only.index == 2 => pass("top_k 1 keeps the relevant document"),
            other => fail(format!("top_k 1 gave {other:?}")),
        }
    });
    checks.push(Check::new("rerank-top-k", top));
    checks
}
