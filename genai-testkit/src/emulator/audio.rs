//! The audio models: text to speech (Aura, MeloTTS), speech recognition (Whisper, Whisper
//! tiny, Whisper large v3 turbo, Nova 3) and turn detection (smart-turn), each in its real
//! wire form, validating input as the service does.
//!
//! The speech the emulator makes is real, decodable audio: WAV (a RIFF file of 16-bit PCM, or
//! 8-bit mu-law / A-law, one short tone per word) or MP3 (valid, silent MPEG-1 layer III
//! frames). The spoken text travels inside the file, where players ignore it: a `LIST`/`INFO`
//! `ICMT` chunk in WAV, an ID3v2 `TXXX` frame in MP3. The emulator's speech recognition reads
//! it back, so a text-to-speech then speech-recognition round trip returns the words, with
//! times spread over the audio's real length.

use serde_json::{json, Map, Value};

use genai_core::{decode_base64, sniff_media_type, Media};

use crate::fixtures::{read_speech, speech_mp3, speech_wav, WavEncoding, WORD_SECONDS};

/// The largest audio the speech models take (25 MiB).
pub(crate) const MAX_AUDIO: usize = 25 * 1024 * 1024;

/// What an audio model answers.
pub(crate) enum AudioReply {
    /// The `result` of a JSON envelope.
    Json(Value),
    /// Raw media bytes.
    Media {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// An error envelope.
    Refused {
        status: u16,
        code: u32,
        message: String,
    },
}

fn bad(message: impl Into<String>) -> AudioReply {
    AudioReply::Refused {
        status: 400,
        code: 5006,
        message: format!("AiError: Bad input: {}", message.into()),
    }
}

/// Answers `model` if it is an audio model, `None` otherwise.
pub(crate) fn run(
    model: &str,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<AudioReply> {
    let name = model.rsplit('/').next().unwrap_or(model);
    let reply = match name {
        "aura-1" | "aura-2-en" | "aura-2-es" => aura(model, body),
        "melotts" => melotts(body),
        "whisper" | "whisper-tiny-en" => whisper_raw(body),
        "whisper-large-v3-turbo" => whisper_turbo(body),
        "nova-3" => nova(query, content_type, body),
        "smart-turn-v2" => smart_turn(body),
        _ => return None,
    };
    Some(reply)
}

/// A JSON object body, or the service's refusal.
fn object(body: &[u8]) -> Result<Map<String, Value>, AudioReply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("Type mismatch of '/', 'array' not in 'object'")),
        Err(_) => Err(bad("the body is not JSON")),
    }
}

fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    allowed: Option<&[&str]>,
) -> Result<Option<&'a str>, AudioReply> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => match allowed {
            Some(list) if !list.contains(&s.as_str()) => Err(bad(format!(
                "Type mismatch of '/{key}': must be equal to one of the allowed values"
            ))),
            _ => Ok(Some(s)),
        },
        Some(_) => Err(bad(format!("Type mismatch of '/{key}', not a string"))),
    }
}

fn opt_number(map: &Map<String, Value>, key: &str) -> Result<Option<f64>, AudioReply> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| bad(format!("Type mismatch of '/{key}', not a number"))),
    }
}

fn aura(model: &str, body: &[u8]) -> AudioReply {
    // Each Aura model's own speakers (Aura 2 has an English and a Spanish set).
    let speakers = genai_cloudflare::facts::lookup(model).map_or(&[][..], |f| f.voices);
    let run = || -> Result<AudioReply, AudioReply> {
        let map = object(body)?;
        let text = opt_str(&map, "text", None)?
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad("required properties at '/' are 'text'"))?;
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
                return Err(bad(format!(
                    "the emulator does not produce {encoding} in the {} container",
                    container.unwrap_or("default")
                )))
            }
        };
        Ok(AudioReply::Media {
            content_type,
            bytes,
        })
    };
    run().unwrap_or_else(|refused| refused)
}

fn melotts(body: &[u8]) -> AudioReply {
    let run = || -> Result<AudioReply, AudioReply> {
        let map = object(body)?;
        let prompt = opt_str(&map, "prompt", None)?
            .ok_or_else(|| bad("required properties at '/' are 'prompt'"))?;
        if prompt.is_empty() {
            return Err(bad("'/prompt' must NOT have fewer than 1 characters"));
        }
        opt_str(&map, "lang", None)?;
        let audio = Media::with_type("audio/wav", speech_wav(prompt, 44_100, WavEncoding::Pcm16));
        Ok(AudioReply::Json(json!({ "audio": audio.to_base64() })))
    };
    run().unwrap_or_else(|refused| refused)
}

/// The audio of a Whisper request: the raw body, or the schema's `{"audio": [ints]}`.
fn raw_audio(body: &[u8]) -> Result<Vec<u8>, AudioReply> {
    if body.first() == Some(&b'{') {
        let map = object(body)?;
        let ints = map
            .get("audio")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("required properties at '/' are 'audio'"))?;
        return ints
            .iter()
            .map(|v| v.as_u64().filter(|n| *n <= 255).map(|n| n as u8))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| bad("'/audio' must be an array of integers 0..255"));
    }
    Ok(body.to_vec())
}

/// Refuses bytes that are not audio, empty or too large.
fn check_audio(audio: &[u8]) -> Result<(), AudioReply> {
    if audio.len() > MAX_AUDIO {
        return Err(AudioReply::Refused {
            status: 413,
            code: 3006,
            message: "Request is too large".to_owned(),
        });
    }
    if audio.is_empty() {
        return Err(bad("the audio is empty"));
    }
    if !sniff_media_type(audio).is_some_and(|t| t.starts_with("audio/")) {
        return Err(bad("Invalid data found when processing input (not audio)"));
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

fn whisper_raw(body: &[u8]) -> AudioReply {
    let run = || -> Result<AudioReply, AudioReply> {
        let audio = raw_audio(body)?;
        check_audio(&audio)?;
        let heard = Heard::of(&audio);
        Ok(AudioReply::Json(json!({
            "text": heard.text,
            "word_count": heard.text.split_whitespace().count(),
            "words": words_json(&heard),
            "vtt": vtt(&heard),
        })))
    };
    run().unwrap_or_else(|refused| refused)
}

fn whisper_turbo(body: &[u8]) -> AudioReply {
    let run = || -> Result<AudioReply, AudioReply> {
        let map = object(body)?;
        let b64 = match map.get("audio") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(bad("Type mismatch of '/audio', not a string")),
            None => return Err(bad("required properties at '/' are 'audio'")),
        };
        opt_str(&map, "task", Some(&["transcribe", "translate"]))?;
        let language = opt_str(&map, "language", None)?.unwrap_or("en");
        opt_str(&map, "initial_prompt", None)?;
        opt_str(&map, "prefix", None)?;
        if map.get("vad_filter").is_some_and(|v| !v.is_boolean()) {
            return Err(bad("Type mismatch of '/vad_filter', not a boolean"));
        }
        let audio = decode_base64(b64).map_err(|_| bad("'/audio' is not valid base64"))?;
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
        Ok(AudioReply::Json(json!({
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
    };
    run().unwrap_or_else(|refused| refused)
}

fn nova(query: &str, content_type: Option<&str>, body: &[u8]) -> AudioReply {
    let run = || -> Result<AudioReply, AudioReply> {
        let media_type = content_type
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !media_type.starts_with("audio/") {
            return Err(bad(format!(
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
                        _ => return Err(bad(format!("`{key}` must be true or false"))),
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
        Ok(AudioReply::Json(json!({
            "metadata": {"duration": heard.duration.map(round), "channels": 1, "models": ["nova-3"]},
            "results": {"channels": [channel]},
        })))
    };
    run().unwrap_or_else(|refused| refused)
}

fn smart_turn(body: &[u8]) -> AudioReply {
    let run = || -> Result<AudioReply, AudioReply> {
        let map = object(body)?;
        let b64 = match map.get("audio") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(bad("'/audio' must be base64 audio data")),
            None => return Err(bad("required properties at '/' are 'audio'")),
        };
        let dtype =
            opt_str(&map, "dtype", Some(&["uint8", "float32", "float64"]))?.unwrap_or("float32");
        let raw = decode_base64(b64).map_err(|_| bad("'/audio' is not valid base64"))?;
        if raw.is_empty() || raw.len() > MAX_AUDIO {
            return Err(bad("'/audio' is empty or too large"));
        }
        let samples: Vec<f64> = match dtype {
            "uint8" => raw
                .iter()
                .map(|b| (f64::from(*b) - 128.0) / 128.0)
                .collect(),
            "float64" if raw.len() % 8 == 0 => raw
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            "float32" if raw.len() % 4 == 0 => raw
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            _ => {
                return Err(bad(format!(
                    "the audio is not a whole number of {dtype} samples"
                )))
            }
        };
        if samples.iter().any(|s| !s.is_finite()) {
            return Err(bad("the audio has samples that are not numbers"));
        }
        // A turn looks over when the last 0.3 s (at 16 kHz) are much quieter than the rest.
        let tail = samples.len().min(4_800);
        let rms = |s: &[f64]| (s.iter().map(|x| x * x).sum::<f64>() / s.len().max(1) as f64).sqrt();
        let whole = rms(&samples);
        let end = rms(&samples[samples.len() - tail..]);
        let probability = if whole <= 1e-9 {
            0.5
        } else {
            (1.0 - end / whole).clamp(0.0, 1.0)
        };
        let probability = round(probability);
        Ok(AudioReply::Json(
            json!({"is_complete": probability > 0.5, "probability": probability}),
        ))
    };
    run().unwrap_or_else(|refused| refused)
}

#[cfg(test)]
mod tests {
    use super::*;

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
