//! Turn detection (`smart-turn-v2`): `{audio: base64 samples, dtype}` to
//! `{is_complete, probability}`.

use std::sync::Arc;

use base64::Engine as _;
use genai_core::{
    async_trait, Error, Metered, ModelKind, Result, TurnDetection, TurnDetectionCapabilities,
    TurnDetectionModel, TurnRequest, Wav, WAV_FORMAT_FLOAT, WAV_FORMAT_PCM,
};
use serde::{Deserialize, Serialize};

use super::transcription::MAX_AUDIO_BYTES;
use super::{finish_error, run_json, Call};
use crate::errors::PROVIDER;
use crate::metering::wav_seconds;
use crate::transport::Transport;

/// A Workers AI turn detection model, e.g. `@cf/pipecat-ai/smart-turn-v2`.
///
/// It reads mono PCM samples: a WAV request is unpacked and its first channel sent as
/// `float32` samples.
#[derive(Debug, Clone)]
pub struct CloudflareTurnDetector {
    transport: Arc<Transport>,
    model: String,
}

#[derive(Serialize)]
struct TurnBody<'a> {
    audio: &'a str,
    dtype: &'static str,
}

#[derive(Deserialize)]
pub(crate) struct TurnOut {
    is_complete: bool,
    probability: f64,
}

impl CloudflareTurnDetector {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareTurnDetector { model, transport }
    }
}

#[async_trait]
impl TurnDetectionModel for CloudflareTurnDetector {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TurnDetectionCapabilities {
        let mut caps = TurnDetectionCapabilities::default();
        caps.max_audio_bytes = Some(MAX_AUDIO_BYTES);
        caps
    }

    async fn detect_turn(&self, req: &TurnRequest) -> Result<TurnDetection> {
        let body = self
            .capabilities()
            .check(req)
            .and_then(|()| turn_body(req))
            .map_err(|e| finish_error(&self.transport, e, "detect_turn"))?;
        let seconds = wav_seconds(req.audio.data());
        let used = seconds.map_or_else(|| Metered::requests(1), Metered::audio);
        let call = Call::new("detect_turn", &self.model, ModelKind::TurnDetection, used);
        let billed = run_json::<TurnOut>(&self.transport, call, &body).await?;
        let rate_limit = billed.rate_limit();
        let (out, cost) = billed.settle(&self.transport, &self.model, &used);
        let mut verdict = out
            .into_verdict()
            .map_err(|e| finish_error(&self.transport, e, "detect_turn"))?;
        verdict.cost = cost;
        verdict.rate_limit = rate_limit;
        Ok(verdict)
    }
}

/// The wire body: the first channel's samples as base64 `float32` (also an item of a queued
/// batch).
pub(crate) fn turn_body(req: &TurnRequest) -> Result<serde_json::Value> {
    let prepared = wav_to_f32(req.audio.data())?;
    let audio = base64::engine::general_purpose::STANDARD.encode(&prepared);
    serde_json::to_value(TurnBody {
        audio: &audio,
        dtype: "float32",
    })
    .map_err(|e| Error::invalid_request("the request could not be encoded").with_source(e))
}

impl TurnOut {
    /// The verdict, its probability checked.
    pub(crate) fn into_verdict(self) -> Result<TurnDetection> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(Error::protocol(format!(
                "the turn probability {} is outside [0, 1]",
                self.probability
            )));
        }
        Ok(TurnDetection::new(self.is_complete, self.probability))
    }
}

/// Decodes a turn detection reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_turn(status: u16, body: &[u8]) -> Result<TurnDetection> {
    crate::transport::decode_envelope::<TurnOut>(status, body).and_then(TurnOut::into_verdict)
}

/// The first channel of a PCM WAV file as little-endian `float32` samples in `[-1, 1]`.
pub(crate) fn wav_to_f32(wav: &[u8]) -> Result<Vec<u8>> {
    let bad =
        |why: &str| Error::invalid_request(format!("turn detection needs PCM WAV audio: {why}"));
    let header = Wav::parse(wav).map_err(|e| bad(&e.to_string()))?;
    let (format, bits) = (header.format, header.bits_per_sample);
    let width = usize::from(bits / 8);
    let frame = width * usize::from(header.channels.max(1));
    if width == 0 || header.data.len() < frame {
        return Err(bad("no samples"));
    }
    let mut out = Vec::with_capacity(header.data.len() / frame * 4);
    for f in header.data.chunks_exact(frame) {
        let s = &f[..width];
        let v = match (format, bits) {
            (WAV_FORMAT_PCM, 8) => (f32::from(s[0]) - 128.0) / 128.0,
            (WAV_FORMAT_PCM, 16) => f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0,
            (WAV_FORMAT_PCM, 32) => {
                i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f32 / 2_147_483_648.0
            }
            (WAV_FORMAT_FLOAT, 32) => f32::from_le_bytes([s[0], s[1], s[2], s[3]]),
            _ => {
                return Err(bad(&format!(
                    "format {format} with {bits} bits is not read"
                )))
            }
        };
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_samples_become_float32() {
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.extend_from_slice(&16u32.to_le_bytes());
        for v in [1u16, 1] {
            wav.extend_from_slice(&v.to_le_bytes());
        }
        wav.extend_from_slice(&16000u32.to_le_bytes());
        wav.extend_from_slice(&32000u32.to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&4u32.to_le_bytes());
        wav.extend_from_slice(&i16::MIN.to_le_bytes());
        wav.extend_from_slice(&0i16.to_le_bytes());
        let out = wav_to_f32(&wav).unwrap();
        assert_eq!(out.len(), 8);
        assert_eq!(f32::from_le_bytes([out[0], out[1], out[2], out[3]]), -1.0);
        assert!(wav_to_f32(b"ID3 not a wav").is_err());
    }
}
