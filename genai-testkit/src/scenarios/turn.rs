//! The turn detection scenarios: a turn that ends in silence and one cut mid-sound both get a
//! probability in `[0, 1]`.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_turn_detection_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::TurnDetectionModel) {
//! for check in run_turn_detection_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{Media, TurnDetectionModel, TurnRequest};

use crate::fixtures::tone_wav;
use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// Turn detection scenarios: a turn that ends in silence and one cut mid-sound both get a
/// probability in `[0, 1]`.
pub async fn run_turn_detection_scenarios(model: &dyn TurnDetectionModel) -> Vec<Check> {
    let mut checks = Vec::new();
    for (name, wav) in [
        (
            "a finished turn gets a probability in [0, 1]",
            tone_wav(1.0, 0.6),
        ),
        (
            "a cut turn gets a probability in [0, 1]",
            tone_wav(1.5, 0.0),
        ),
    ] {
        let outcome = match Media::from_bytes(wav) {
            Err(e) => Outcome::Error(e),
            Ok(audio) => match model.detect_turn(&TurnRequest::new(audio)).await {
                Ok(v) if (0.0..=1.0).contains(&v.probability) => pass(format!(
                    "complete: {}, probability {}",
                    v.is_complete, v.probability
                )),
                Ok(v) => fail(format!("probability {} is outside [0, 1]", v.probability)),
                Err(e) => Outcome::Error(e),
            },
        };
        checks.push(Check { name, outcome });
    }
    checks
}
