//! A fake turn detector: a turn is complete when the audio ends in silence.

use async_trait::async_trait;
use genai_core::{
    Error, TurnDetection, TurnDetectionCapabilities, TurnDetectionModel, TurnRequest,
};

/// The end of the audio listened to, in bytes (0.25 s of 16-bit audio at 16 kHz).
const TAIL: usize = 8_000;

/// A fake [`TurnDetectionModel`]: the probability that the turn is complete is the share of
/// silent (zero) bytes in the audio's last 0.25 s; above one half it is complete. Bytes that
/// are not audio are refused before any request.
///
/// ```
/// use genai_core::{Media, TurnDetectionModel, TurnRequest};
/// use genai_testkit::fake::ScriptedTurnDetector;
/// use genai_testkit::fixtures::tone_wav;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedTurnDetector::new("fake/turn");
/// let ended = Media::with_type("audio/wav", tone_wav(1.0, 0.6));
/// assert!(model.detect_turn(&TurnRequest::new(ended)).await.unwrap().is_complete);
/// let cut = Media::with_type("audio/wav", tone_wav(1.0, 0.0));
/// assert!(!model.detect_turn(&TurnRequest::new(cut)).await.unwrap().is_complete);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedTurnDetector {
    pub(super) model: String,
}

impl ScriptedTurnDetector {
    /// A fake turn detector called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedTurnDetector {
            model: model.into(),
        }
    }
}

#[async_trait]
impl TurnDetectionModel for ScriptedTurnDetector {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TurnDetectionCapabilities {
        TurnDetectionCapabilities::default()
    }

    async fn detect_turn(&self, req: &TurnRequest) -> Result<TurnDetection, Error> {
        self.capabilities().check(req)?;
        let data = req.audio.data();
        let tail = &data[data.len().saturating_sub(TAIL)..];
        let silent = tail.iter().filter(|b| **b == 0).count();
        let probability = silent as f64 / tail.len().max(1) as f64;
        Ok(TurnDetection::new(probability > 0.5, probability))
    }
}
