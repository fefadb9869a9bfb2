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

use crate::fixtures;
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
    match audio.media_type() {
        "audio/wav" => fixtures::check_wav(audio.data()),
        "audio/mpeg" => fixtures::check_mp3(audio.data()),
        other if other.starts_with("audio/") => Ok(format!("{other}, {} bytes", audio.len())),
        other => Err(format!("the reply is {other}, not audio")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::tone_wav;

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
