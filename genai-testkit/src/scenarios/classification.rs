//! The classification scenarios (text and image): scores in `[0, 1]`, best first; a positive
//! and a negative text told apart.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_classification_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::ClassificationModel) {
//! for check in run_classification_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{ClassificationModel, ClassifyRequest, Media};

use crate::scenarios::check::{copy, fail, judged, pass};
use crate::scenarios::{Check, Outcome};

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

/// Classification: scores in `[0, 1]`, best first; for a text model, a clearly positive and
/// a clearly negative sentence get different top labels.
pub async fn run_classification_scenarios(model: &dyn ClassificationModel) -> Vec<Check> {
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
        checks.push(Check::new("classify-scores", scores));
        checks.push(Check::new("classify-tells-apart", tell));
    }
    if caps.image {
        let image = Media::with_type("image/png", crate::fixtures::solid_png(1, 1, [200, 30, 30]));
        let out = model.classify(&ClassifyRequest::image(image)).await;
        checks.push(Check::new("classify-image", judged(out, judge_labels)));
    }
    checks
}
