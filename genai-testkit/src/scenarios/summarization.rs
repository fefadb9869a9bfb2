//! The summarisation scenario: a non-empty summary, shorter than the text, within the asked
//! length.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_summarization_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::SummarizationModel) {
//! for check in run_summarization_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{SummarizationModel, SummarizeRequest};

use crate::scenarios::check::{fail, judged, pass};
use crate::scenarios::Check;

/// Summarisation: a non-empty text, shorter than the input, within the asked length (counted
/// in words, which are never more than tokens).
pub async fn run_summarization_scenarios(model: &dyn SummarizationModel) -> Vec<Check> {
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
    vec![Check::new("summarize-within-limit", outcome)]
}
