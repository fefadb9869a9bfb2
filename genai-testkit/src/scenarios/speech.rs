//! The text-to-speech scenarios: the audio decodes as the type it is stated to be; a voice the
//! model does not have is refused before any request.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_speech_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::SpeechModel) {
//! for check in run_speech_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{ErrorKind, Media, SpeechModel, SpeechRequest};

use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// The sentence the speech scenarios speak.
pub const SPOKEN: &str = "Hello there. This is a test of the speech models.";

/// Text-to-speech scenarios: the audio decodes as the type it is stated to be; a voice the
/// model does not have is refused before any request.
pub async fn run_speech_scenarios(model: &dyn SpeechModel) -> Vec<Check> {
    let mut checks = Vec::new();
    let decodes = match speak(model, SPOKEN).await {
        Ok(audio) => match check_audio(&audio) {
            Ok(detail) => pass(detail),
            Err(reason) => fail(reason),
        },
        Err(outcome) => outcome,
    };
    checks.push(Check {
        name: "audio decodes as the stated type",
        outcome: decodes,
    });
    let caps = model.capabilities();
    let bogus = SpeechRequest::new(SPOKEN).voice("no-such-voice-x");
    let refused = match model.speak(&bogus).await {
        Ok(_) => fail("a voice the model does not have was accepted"),
        Err(e) if caps.voices.is_empty() && e.kind() == ErrorKind::Unsupported => {
            pass("a voice choice is refused as unsupported")
        }
        Err(e) if e.kind() == ErrorKind::InvalidRequest && e.status().is_none() => {
            pass(format!("refused before any request: {}", e.message()))
        }
        Err(e) => fail(format!("refused, but not before the request: {e}")),
    };
    checks.push(Check {
        name: "an unknown voice is refused before any request",
        outcome: refused,
    });
    checks
}

pub(super) async fn speak(model: &dyn SpeechModel, text: &str) -> Result<Media, Outcome> {
    let reply = model
        .speak(&SpeechRequest::new(text))
        .await
        .map_err(Outcome::Error)?;
    reply.collect().await.map_err(Outcome::Error)
}

/// Checks that `audio` is well formed for its media type (WAV: a RIFF file whose `fmt ` and
/// `data` chunks are consistent; MP3: an optional ID3 tag then a chain of valid MPEG audio
/// frames to the end); returns what was seen.
pub fn check_audio(audio: &Media) -> Result<String, String> {
    let b = audio.data();
    match audio.media_type() {
        "audio/wav" => {
            if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WAVE" {
                return Err("not a RIFF/WAVE file".into());
            }
            let riff = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
            if riff + 8 != b.len() {
                return Err(format!(
                    "the RIFF size says {} bytes, the file has {}",
                    riff + 8,
                    b.len()
                ));
            }
            let (mut at, mut block, mut rate, mut samples) = (12, 0usize, 0u32, None);
            while at + 8 <= b.len() {
                let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
                if at + 8 + len > b.len() {
                    return Err(format!("a chunk runs past the end at byte {at}"));
                }
                let data = &b[at + 8..at + 8 + len];
                match &b[at..at + 4] {
                    b"fmt " if len >= 16 => {
                        rate = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
                        block = usize::from(u16::from_le_bytes([data[12], data[13]]));
                    }
                    b"data" if block > 0 => {
                        if len % block != 0 {
                            return Err("the data is not a whole number of frames".into());
                        }
                        samples = Some(len / block);
                    }
                    _ => {}
                }
                at += 8 + len + (len & 1);
            }
            match samples {
                Some(n) if n > 0 && rate > 0 => Ok(format!(
                    "WAV, {n} frames at {rate} Hz ({:.2} s)",
                    n as f64 / f64::from(rate)
                )),
                _ => Err("no `fmt ` and non-empty `data` chunk".into()),
            }
        }
        "audio/mpeg" => {
            let mut at = 0;
            if b.starts_with(b"ID3") && b.len() >= 10 {
                let size = b[6..10]
                    .iter()
                    .fold(0usize, |acc, x| (acc << 7) | usize::from(*x & 0x7f));
                at = 10 + size;
            }
            let mut frames = 0;
            while at + 4 <= b.len() {
                let h = &b[at..at + 4];
                let Some(len) = mpeg_frame_len(h) else {
                    return Err(format!("no valid MPEG frame header at byte {at}"));
                };
                at += len;
                frames += 1;
            }
            if frames == 0 || at != b.len() {
                return Err(format!("{frames} frames, ending at {at} of {}", b.len()));
            }
            Ok(format!("MP3, {frames} frames"))
        }
        other if other.starts_with("audio/") => Ok(format!("{other}, {} bytes", b.len())),
        other => Err(format!("the reply is {other}, not audio")),
    }
}

/// The length of an MPEG audio layer III frame from its header (MPEG 1, 2 and 2.5).
fn mpeg_frame_len(h: &[u8]) -> Option<usize> {
    if h[0] != 0xff || h[1] & 0xe0 != 0xe0 || (h[1] >> 1) & 3 != 1 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3 = MPEG 1, 2 = MPEG 2, 0 = MPEG 2.5
    let index = usize::from(h[2] >> 4);
    let v1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    let v2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = *if version == 3 { &v1 } else { &v2 }.get(index)?;
    let base = [44_100u32, 48_000, 32_000].get(usize::from((h[2] >> 2) & 3))?;
    let rate = match version {
        3 => *base,
        2 => base / 2,
        0 => base / 4,
        _ => return None,
    };
    if kbps == 0 {
        return None;
    }
    let per = if version == 3 { 144 } else { 72 };
    Some((per * kbps * 1000 / rate) as usize + usize::from((h[2] >> 1) & 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::tone_wav;

    #[test]
    fn audio_checks_catch_broken_files() {
        let wav = Media::with_type("audio/wav", tone_wav(0.1, 0.1));
        assert!(check_audio(&wav).is_ok());
        let mut cut = tone_wav(0.1, 0.1);
        cut.truncate(cut.len() - 10);
        assert!(check_audio(&Media::with_type("audio/wav", cut)).is_err());
        let mut mp3 = vec![0u8; 144 * 3];
        for f in 0..3 {
            mp3[f * 144..f * 144 + 4].copy_from_slice(&[0xff, 0xfb, 0x18, 0xc4]);
        }
        assert!(check_audio(&Media::with_type("audio/mpeg", mp3.clone())).is_ok());
        mp3.truncate(300);
        assert!(check_audio(&Media::with_type("audio/mpeg", mp3)).is_err());
        assert!(check_audio(&Media::with_type("image/png", vec![1u8])).is_err());
    }
}
