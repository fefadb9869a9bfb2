//! The translation scenario: a non-empty text that differs from the English original.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_translation_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::TranslationModel) {
//! for check in run_translation_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{TranslateRequest, TranslationModel};

use crate::scenarios::check::{fail, judged, pass};
use crate::scenarios::Check;

/// Translation: a non-empty text that differs from the English original.
pub async fn run_translation_scenarios(model: &dyn TranslationModel) -> Vec<Check> {
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
    vec![Check::new("translate-text", outcome)]
}
