//! Text to speech (Aura 1, Aura 2 English and Spanish, MeloTTS): real, decodable speech from
//! the fixtures (WAV or MP3 carrying its transcript, which the emulator's transcription reads
//! back), each model in its wire form, the voices from the facts table.

use serde_json::json;

use genai_core::Media;

use super::answer::{Answer, Refusal};
use super::input::{object, opt_number, opt_str};
use crate::fixtures::{speech_mp3, speech_wav, WavEncoding};

/// Answers `model` (its full id) if it is a speech model the emulator runs.
pub(crate) fn run(model: &str, body: &[u8]) -> Option<Result<Answer, Refusal>> {
    let name = model.rsplit('/').next().unwrap_or(model);
    Some(match name {
        "aura-1" | "aura-2-en" | "aura-2-es" => aura(model, body),
        "melotts" => melotts(body),
        _ => return None,
    })
}

fn aura(model: &str, body: &[u8]) -> Result<Answer, Refusal> {
    // Each Aura model's own speakers (Aura 2 has an English and a Spanish set).
    let speakers = genai_cloudflare::facts::lookup(model).map_or(&[][..], |f| f.voices);
    let map = object(body)?;
    let text = opt_str(&map, "text", None)?
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Refusal::bad_input("required properties at '/' are 'text'"))?;
    opt_str(&map, "speaker", Some(speakers))?;
    let encoding = opt_str(
        &map,
        "encoding",
        Some(&["linear16", "flac", "mulaw", "alaw", "mp3", "opus", "aac"]),
    )?
    .unwrap_or("mp3");
    let container = opt_str(&map, "container", Some(&["none", "wav", "ogg"]))?;
    let rate = opt_number(&map, "sample_rate")?;
    opt_number(&map, "bit_rate")?;
    let (content_type, bytes) = match (encoding, container) {
        ("mp3", None | Some("none")) => ("audio/mpeg", speech_mp3(text)),
        ("linear16" | "mulaw" | "alaw", None | Some("wav")) => {
            let format = match encoding {
                "mulaw" => WavEncoding::MuLaw,
                "alaw" => WavEncoding::ALaw,
                _ => WavEncoding::Pcm16,
            };
            let rate = rate.map_or(24_000, |r| r as u32).clamp(8_000, 48_000);
            ("audio/wav", speech_wav(text, rate, format))
        }
        (encoding, container) => {
            return Err(Refusal::bad_input(format!(
                "the emulator does not produce {encoding} in the {} container",
                container.unwrap_or("default")
            )))
        }
    };
    Ok(Answer::Media {
        content_type,
        bytes,
    })
}

fn melotts(body: &[u8]) -> Result<Answer, Refusal> {
    let map = object(body)?;
    let prompt = opt_str(&map, "prompt", None)?
        .ok_or_else(|| Refusal::bad_input("required properties at '/' are 'prompt'"))?;
    if prompt.is_empty() {
        return Err(Refusal::bad_input(
            "'/prompt' must NOT have fewer than 1 characters",
        ));
    }
    opt_str(&map, "lang", None)?;
    let audio = Media::with_type("audio/wav", speech_wav(prompt, 44_100, WavEncoding::Pcm16));
    Ok(Answer::Json(json!({ "audio": audio.to_base64() })))
}
