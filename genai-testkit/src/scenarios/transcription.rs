//! The speech recognition scenarios: a WAV file is transcribed with consistent timings, bytes
//! that are not audio are refused before any request, and a round trip (speak, then
//! transcribe) gives the words back.
//!
//! ```no_run
//! use genai_testkit::scenarios::{run_transcription_scenarios, Outcome};
//! # async fn run(model: &dyn genai_core::TranscriptionModel) {
//! for check in run_transcription_scenarios(model).await {
//!     assert!(matches!(check.outcome, Outcome::Pass { .. }), "{}: {:?}", check.name, check.outcome);
//! }
//! # }
//! ```

use genai_core::{
    ErrorKind, Media, SpeechModel, TranscribeRequest, Transcript, TranscriptionModel,
};

use super::speech::{speak, SPOKEN};
use crate::fixtures::tone_wav;
use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// Speech recognition scenarios that need no speech model: a WAV file is transcribed (a text
/// comes back, timings consistent), and bytes that are not audio are refused before any
/// request.
pub async fn run_transcription_scenarios(model: &dyn TranscriptionModel) -> Vec<Check> {
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
    checks.push(Check {
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
    checks.push(Check {
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
) -> Vec<Check> {
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
        Check {
            name: "speak then transcribe returns the words",
            outcome: words,
        },
        Check {
            name: "the transcript is timed (segments or words)",
            outcome: timed,
        },
    ]
}
