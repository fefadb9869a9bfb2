//! Turn detection: whether a speaker has finished their turn.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::transcription::check_audio;
use crate::cost::Cost;
use crate::error::Result;
use crate::limits::RateLimit;
use crate::media::Media;

/// Audio whose end may be the end of a speaker's turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TurnRequest {
    /// The audio (WAV, or raw PCM samples typed `audio/pcm`).
    pub audio: Media,
}

impl TurnRequest {
    /// Judges `audio`.
    pub fn new(audio: Media) -> Self {
        TurnRequest { audio }
    }
}

/// Whether the speaker has finished their turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TurnDetection {
    /// Whether the turn is over.
    pub is_complete: bool,
    /// How likely the turn is over, in `[0, 1]`.
    pub probability: f64,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl TurnDetection {
    /// A verdict.
    pub fn new(is_complete: bool, probability: f64) -> Self {
        TurnDetection {
            is_complete,
            probability,
            cost: None,
            rate_limit: None,
        }
    }
}

/// What a turn detection model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TurnDetectionCapabilities {
    /// The largest audio it takes, in bytes, when known.
    pub max_audio_bytes: Option<u64>,
}

impl TurnDetectionCapabilities {
    /// Refuses empty audio, media that is not audio, and audio over the limit.
    pub fn check(&self, req: &TurnRequest) -> Result<()> {
        check_audio(
            req.audio.media_type(),
            req.audio.len() as u64,
            self.max_audio_bytes,
        )
    }
}

/// A model that tells whether a speaker has finished their turn.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{Media, TurnDetectionModel, TurnRequest};
///
/// async fn done(model: Arc<dyn TurnDetectionModel>, wav: Vec<u8>) -> genai_core::Result<bool> {
///     Ok(model.detect_turn(&TurnRequest::new(Media::from_bytes(wav)?)).await?.is_complete)
/// }
/// ```
#[async_trait]
pub trait TurnDetectionModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> TurnDetectionCapabilities;

    /// The verdict.
    async fn detect_turn(&self, req: &TurnRequest) -> Result<TurnDetection>;
}
