//! Conformance scenarios of the audio kinds: text to speech, speech recognition and turn
//! detection, each a plain async function over the kind's trait, judged on what comes back.
//!
//! ```
//! use genai_cloudflare::Cloudflare;
//! use genai_testkit::audio_scenarios::{run_round_trip, run_speech_scenarios};
//! use genai_testkit::emulator::{Emulator, EmulatorConfig};
//! use genai_testkit::scenarios::Outcome;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
//! let provider = Cloudflare::builder()
//!     .account_id("0123456789abcdef0123456789abcdef")
//!     .api_token("test-token")
//!     .base_url(emulator.base_url())
//!     .build_provider()
//!     .unwrap();
//! let aura = provider.speech("@cf/deepgram/aura-1").unwrap();
//! let whisper = provider.transcriber("@cf/openai/whisper-large-v3-turbo").unwrap();
//! for check in run_speech_scenarios(&aura).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! for check in run_round_trip(&aura, &whisper).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{
    ErrorKind, Media, SpeechModel, SpeechRequest, TranscribeRequest, Transcript,
    TranscriptionModel, TurnDetectionModel, TurnRequest,
};

use crate::fixtures::{self, tone_wav};
use crate::scenarios::Outcome;

pub use crate::task_scenarios::TaskCheck;
use crate::task_scenarios::{fail, pass};

/// The sentence the speech scenarios speak.
pub const SPOKEN: &str = "Hello there. This is a test of the speech models.";

/// Text-to-speech scenarios: the audio decodes as the type it is stated to be; a voice the
/// model does not have is refused before any request.
pub async fn run_speech_scenarios(model: &dyn SpeechModel) -> Vec<TaskCheck> {
    let mut checks = Vec::new();
    let decodes = match speak(model, SPOKEN).await {
        Ok(audio) => match check_audio(&audio) {
            Ok(detail) => pass(detail),
            Err(reason) => fail(reason),
        },
        Err(outcome) => outcome,
    };
    checks.push(TaskCheck {
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
    checks.push(TaskCheck {
        name: "an unknown voice is refused before any request",
        outcome: refused,
    });
    checks
}

async fn speak(model: &dyn SpeechModel, text: &str) -> Result<Media, Outcome> {
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

/// Speech recognition scenarios that need no speech model: a WAV file is transcribed (a text
/// comes back, timings consistent), and bytes that are not audio are refused before any
/// request.
pub async fn run_transcription_scenarios(model: &dyn TranscriptionModel) -> Vec<TaskCheck> {
    let mut checks = Vec::new();
    let outcome = match Media::from_bytes(tone_wav(1.0, 0.5)) {
        Err(e) => Outcome::Error(e),
        Ok(audio) => match model.transcribe(&TranscribeRequest::new(audio)).await {
            Ok(t) => match check_timings(&t) {
                Ok(()) => pass(format!("text {:?}", t.text)),
                Err(reason) => fail(reason),
            },
            Err(e) => Outcome::Error(e),
        },
    };
    checks.push(TaskCheck {
        name: "a WAV file is transcribed",
        outcome,
    });
    let png = Media::with_type("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec());
    let outcome = match model.transcribe(&TranscribeRequest::new(png)).await {
        Ok(_) => fail("an image was accepted as audio"),
        Err(e) if e.kind() == ErrorKind::InvalidRequest && e.status().is_none() => {
            pass("refused before any request")
        }
        Err(e) => fail(format!("refused, but not before the request: {e}")),
    };
    checks.push(TaskCheck {
        name: "bytes that are not audio are refused before any request",
        outcome,
    });
    checks
}

/// Segments and words are ordered, each ends after it starts, and none ends after the audio.
fn check_timings(t: &Transcript) -> Result<(), String> {
    let limit = t.duration.map_or(f64::INFINITY, |d| d + 0.05);
    let spans = t
        .segments
        .iter()
        .map(|s| (s.start, s.end, s.text.as_str()))
        .chain(t.words.iter().map(|w| (w.start, w.end, w.word.as_str())));
    for (start, end, what) in spans {
        if !(start >= 0.0 && end >= start && end <= limit) {
            return Err(format!(
                "`{what}` spans {start}..{end}, outside the audio (duration {:?})",
                t.duration
            ));
        }
    }
    for pair in t.segments.windows(2) {
        if pair[1].start < pair[0].start {
            return Err("segments out of order".into());
        }
    }
    for pair in t.words.windows(2) {
        if pair[1].start < pair[0].start {
            return Err("words out of order".into());
        }
    }
    Ok(())
}

/// The words of `text`, lower case, without punctuation.
fn plain_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Speaks [`SPOKEN`] with `speaker` and transcribes it with `listener`: the words come back,
/// with a timing for them (segments or words) consistent with the audio's length.
pub async fn run_round_trip(
    speaker: &dyn SpeechModel,
    listener: &dyn TranscriptionModel,
) -> Vec<TaskCheck> {
    let transcript = match speak(speaker, SPOKEN).await {
        Err(outcome) => Err(outcome),
        Ok(audio) => listener
            .transcribe(&TranscribeRequest::new(audio))
            .await
            .map_err(Outcome::Error),
    };
    let (words, timed) = match transcript {
        Err(outcome) => {
            let why = match &outcome {
                Outcome::Error(e) => format!("the round trip failed: {e}"),
                other => format!("the round trip failed: {other:?}"),
            };
            (outcome, fail(why))
        }
        Ok(t) => {
            let heard = plain_words(&t.text);
            let said = plain_words(SPOKEN);
            let missing: Vec<&String> = said.iter().filter(|w| !heard.contains(w)).collect();
            let words = if missing.is_empty() {
                pass(format!("heard {:?}", t.text))
            } else {
                fail(format!("heard {:?}; missing {missing:?}", t.text))
            };
            let timed = if t.segments.is_empty() && t.words.is_empty() {
                fail("no segments and no words")
            } else {
                match check_timings(&t) {
                    Ok(()) => pass(format!(
                        "{} segments, {} words, duration {:?}",
                        t.segments.len(),
                        t.words.len(),
                        t.duration
                    )),
                    Err(reason) => fail(reason),
                }
            };
            (words, timed)
        }
    };
    vec![
        TaskCheck {
            name: "speak then transcribe returns the words",
            outcome: words,
        },
        TaskCheck {
            name: "the transcript is timed (segments or words)",
            outcome: timed,
        },
    ]
}

/// Turn detection scenarios: a turn that ends in silence and one cut mid-sound both get a
/// probability in `[0, 1]`.
pub async fn run_turn_detection_scenarios(model: &dyn TurnDetectionModel) -> Vec<TaskCheck> {
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
        checks.push(TaskCheck { name, outcome });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

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
