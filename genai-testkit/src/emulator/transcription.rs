//! Speech recognition (Whisper, Whisper tiny, Whisper large v3 turbo, Nova 3), each in its
//! real wire form, validating input as the service does. It hears the transcript the
//! fixtures' speech carries (see `crate::fixtures::read_speech`), so a text-to-speech then
//! speech-recognition round trip returns the words, with times spread over the audio's real
//! length.

use serde_json::{json, Value};

use genai_core::{decode_base64, sniff_media_type};

use super::answer::{Answer, Refusal};
use super::input::{object, opt_str, MAX_AUDIO};
use crate::fixtures::{read_speech, WORD_SECONDS};

/// Answers `model` (its full id) if it is a speech recognition model the emulator runs.
pub(crate) fn run(
    model: &str,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Result<Answer, Refusal>> {
    let name = model.rsplit('/').next().unwrap_or(model);
    Some(match name {
        "whisper" | "whisper-tiny-en" => whisper_raw(body),
        "whisper-large-v3-turbo" => whisper_turbo(body),
        "nova-3" => nova(query, content_type, body),
        _ => return None,
    })
}

/// The audio of a Whisper request: the raw body, or the schema's `{"audio": [ints]}`.
fn raw_audio(body: &[u8]) -> Result<Vec<u8>, Refusal> {
    if body.first() == Some(&b'{') {
        let map = object(body)?;
        let ints = map
            .get("audio")
            .and_then(Value::as_array)
            .ok_or_else(|| Refusal::bad_input("required properties at '/' are 'audio'"))?;
        return ints
            .iter()
            .map(|v| v.as_u64().filter(|n| *n <= 255).map(|n| n as u8))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| Refusal::bad_input("'/audio' must be an array of integers 0..255"));
    }
    Ok(body.to_vec())
}

/// Refuses bytes that are not audio, empty or too large.
fn check_audio(audio: &[u8]) -> Result<(), Refusal> {
    if audio.len() > MAX_AUDIO {
        return Err(Refusal::new(413, 3006, "Request is too large"));
    }
    if audio.is_empty() {
        return Err(Refusal::bad_input("the audio is empty"));
    }
    if !sniff_media_type(audio).is_some_and(|t| t.starts_with("audio/")) {
        return Err(Refusal::bad_input(
            "Invalid data found when processing input (not audio)",
        ));
    }
    Ok(())
}

/// What the emulator hears in `audio`: the words and the length in seconds (when the format
/// tells it).
struct Heard {
    text: String,
    duration: Option<f64>,
}

impl Heard {
    fn of(audio: &[u8]) -> Heard {
        let speech = read_speech(audio);
        Heard {
            text: speech.text.unwrap_or_default(),
            duration: speech.seconds,
        }
    }

    /// Each word in an equal slot of the audio, speaking for the first 3/4 of it.
    fn words(&self) -> Vec<(String, f64, f64)> {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let length = self.duration.unwrap_or(words.len() as f64 * WORD_SECONDS);
        let slot = length / words.len().max(1) as f64;
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let start = round(i as f64 * slot);
                (w.to_string(), start, round(start + slot * 0.75))
            })
            .collect()
    }

    /// Sentences (split after `.`, `!`, `?`) with the times of their words.
    fn segments(&self) -> Vec<(String, f64, f64)> {
        let words = self.words();
        let mut out = Vec::new();
        let mut current: Vec<&(String, f64, f64)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            current.push(w);
            if w.0.ends_with(['.', '!', '?']) || i + 1 == words.len() {
                let text = current
                    .iter()
                    .map(|w| w.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push((text, current[0].1, current[current.len() - 1].2));
                current.clear();
            }
        }
        out
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn words_json(heard: &Heard) -> Value {
    Value::Array(
        heard
            .words()
            .into_iter()
            .map(|(word, start, end)| json!({"word": word, "start": start, "end": end}))
            .collect(),
    )
}

fn vtt(heard: &Heard) -> String {
    let mut out = String::from("WEBVTT\n");
    for (text, start, end) in heard.segments() {
        out.push_str(&format!("\n{} --> {}\n{text}\n", stamp(start), stamp(end)));
    }
    out
}

fn stamp(t: f64) -> String {
    let ms = (t * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}.{:03}",
        ms / 60_000,
        (ms / 1000) % 60,
        ms % 1000
    )
}

fn whisper_raw(body: &[u8]) -> Result<Answer, Refusal> {
    let audio = raw_audio(body)?;
    check_audio(&audio)?;
    let heard = Heard::of(&audio);
    Ok(Answer::Json(json!({
        "text": heard.text,
        "word_count": heard.text.split_whitespace().count(),
        "words": words_json(&heard),
        "vtt": vtt(&heard),
    })))
}

fn whisper_turbo(body: &[u8]) -> Result<Answer, Refusal> {
    let map = object(body)?;
    let b64 = match map.get("audio") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(Refusal::bad_input(
                "Type mismatch of '/audio', not a string",
            ))
        }
        None => return Err(Refusal::bad_input("required properties at '/' are 'audio'")),
    };
    opt_str(&map, "task", Some(&["transcribe", "translate"]))?;
    let language = opt_str(&map, "language", None)?.unwrap_or("en");
    opt_str(&map, "initial_prompt", None)?;
    opt_str(&map, "prefix", None)?;
    if map.get("vad_filter").is_some_and(|v| !v.is_boolean()) {
        return Err(Refusal::bad_input(
            "Type mismatch of '/vad_filter', not a boolean",
        ));
    }
    let audio =
        decode_base64(b64).map_err(|_| Refusal::bad_input("'/audio' is not valid base64"))?;
    check_audio(&audio)?;
    let heard = Heard::of(&audio);
    let words = heard.words();
    let segments: Vec<Value> = heard
        .segments()
        .into_iter()
        .map(|(text, start, end)| {
            let inner: Vec<Value> = words
                .iter()
                .filter(|w| w.1 >= start && w.2 <= end)
                .map(|w| json!({"word": format!(" {}", w.0), "start": w.1, "end": w.2}))
                .collect();
            json!({"start": start, "end": end, "text": format!(" {text}"),
                   "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.1,
                   "no_speech_prob": 0.01, "words": inner})
        })
        .collect();
    let duration = heard.duration.map(round);
    Ok(Answer::Json(json!({
        "text": heard.text,
        "word_count": words.len(),
        "segments": segments,
        "transcription_info": {
            "language": language,
            "language_probability": 0.99,
            "duration": duration,
            "duration_after_vad": duration,
        },
        "vtt": vtt(&heard),
    })))
}

fn nova(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Answer, Refusal> {
    let media_type = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !media_type.starts_with("audio/") {
        return Err(Refusal::bad_input(format!(
            "nova-3 needs the raw audio with its audio/* Content-Type, got `{media_type}`"
        )));
    }
    check_audio(body)?;
    let mut smart = false;
    let mut language = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "smart_format" | "punctuate" | "paragraphs" => {
                let on = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(Refusal::bad_input(format!("`{key}` must be true or false"))),
                };
                smart |= on;
            }
            "language" => language = Some(value.to_owned()),
            _ => {}
        }
    }
    let heard = Heard::of(body);
    let words: Vec<Value> = heard
        .words()
        .into_iter()
        .map(|(word, start, end)| {
            let plain: String = word
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase();
            let mut w = json!({"word": plain, "start": start, "end": end, "confidence": 0.97});
            if smart {
                w["punctuated_word"] = json!(word);
            }
            w
        })
        .collect();
    let mut alternative = json!({
        "transcript": heard.text,
        "confidence": if heard.text.is_empty() { 0.0 } else { 0.97 },
        "words": words,
    });
    if smart {
        let sentences: Vec<Value> = heard
            .segments()
            .into_iter()
            .map(|(text, start, end)| json!({"text": text, "start": start, "end": end}))
            .collect();
        alternative["paragraphs"] =
            json!({"transcript": heard.text, "paragraphs": [{"sentences": sentences}]});
    }
    let mut channel = json!({ "alternatives": [alternative] });
    if language.is_none() {
        channel["detected_language"] = json!("en");
    }
    Ok(Answer::Json(json!({
        "metadata": {"duration": heard.duration.map(round), "channels": 1, "models": ["nova-3"]},
        "results": {"channels": [channel]},
    })))
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::speech_mp3;

    #[test]
    fn speech_is_heard_in_sentences_within_its_length() {
        let text = "Hello there. This is a test.";
        let heard = Heard::of(&speech_mp3(text));
        assert_eq!(heard.text, text);
        let duration = heard.duration.unwrap();
        let segments = heard.segments();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].0, "Hello there.");
        assert!(segments[1].2 <= duration);
    }
}
