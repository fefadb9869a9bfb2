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

/// The largest audio the speech models take (25 MiB).
pub(crate) const MAX_AUDIO: usize = 25 * 1024 * 1024;

/// The tag that marks the emulator's transcript inside a file.
const TAG: &str = "genai-transcript";

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
            ("mp3", None | Some("none")) => ("audio/mpeg", mp3(text)),
            ("linear16" | "mulaw" | "alaw", None | Some("wav")) => {
                let format = match encoding {
                    "mulaw" => WavFormat::MuLaw,
                    "alaw" => WavFormat::ALaw,
                    _ => WavFormat::Pcm16,
                };
                let rate = rate.map_or(24_000, |r| r as u32).clamp(8_000, 48_000);
                ("audio/wav", wav(text, rate, format))
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
        let audio = Media::with_type("audio/wav", wav(prompt, 44_100, WavFormat::Pcm16));
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
        let (text, duration) = if audio.starts_with(b"RIFF") {
            read_wav(audio)
        } else if sniff_media_type(audio) == Some("audio/mpeg") {
            read_mp3(audio)
        } else {
            (None, None)
        };
        Heard {
            text: text.unwrap_or_default(),
            duration,
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

// ---------- making audio ----------

/// Seconds per spoken word: a 0.3 s tone then 0.1 s of silence.
const WORD_SECONDS: f64 = 0.4;

#[derive(Clone, Copy)]
enum WavFormat {
    Pcm16,
    MuLaw,
    ALaw,
}

/// The samples of `text` spoken: one 0.3 s tone per word (its pitch from the word), then
/// 0.1 s of silence, plus 0.2 s of silence at the end.
fn samples(text: &str, rate: u32) -> Vec<i16> {
    let rate_f = f64::from(rate);
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let pitch = 180.0 + (word.bytes().map(u32::from).sum::<u32>() % 200) as f64;
        let tone = (rate_f * 0.3) as usize;
        for i in 0..tone {
            let t = i as f64 / rate_f;
            let fade = (i.min(tone - i) as f64 / (rate_f * 0.01)).min(1.0);
            out.push((8_000.0 * fade * (std::f64::consts::TAU * pitch * t).sin()) as i16);
        }
        out.extend(std::iter::repeat_n(0, (rate_f * 0.1) as usize));
    }
    out.extend(std::iter::repeat_n(0, (rate_f * 0.2) as usize));
    out
}

fn wav(text: &str, rate: u32, format: WavFormat) -> Vec<u8> {
    let pcm = samples(text, rate);
    let (tag, bits, data): (u16, u16, Vec<u8>) = match format {
        WavFormat::Pcm16 => (1, 16, pcm.iter().flat_map(|s| s.to_le_bytes()).collect()),
        WavFormat::MuLaw => (7, 8, pcm.iter().map(|s| mulaw(*s)).collect()),
        WavFormat::ALaw => (6, 8, pcm.iter().map(|s| alaw(*s)).collect()),
    };
    let block = bits / 8;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&1u16.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    let mut comment = format!("{TAG}: {text}").into_bytes();
    comment.push(0);
    let mut info = b"INFO".to_vec();
    push_chunk(&mut info, b"ICMT", &comment);
    let mut body = b"WAVE".to_vec();
    push_chunk(&mut body, b"fmt ", &fmt);
    push_chunk(&mut body, b"LIST", &info);
    push_chunk(&mut body, b"data", &data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn push_chunk(out: &mut Vec<u8>, id: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

/// G.711 mu-law.
fn mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = (s + BIAS).min(32_635 + BIAS);
    let exponent = (7 - (s >> 7).leading_zeros().saturating_sub(24).min(7)) as i32;
    let exponent = exponent.clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// G.711 A-law.
fn alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample) >> 3;
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    let mut segment = 0;
    while segment < 8 && s > (0x20 << segment) - 1 {
        segment += 1;
    }
    let value = if segment >= 8 {
        0x7f
    } else if segment < 2 {
        ((s >> 1) & 0x0f) as u8
    } else {
        ((segment << 4) as u8) | ((s >> segment) & 0x0f) as u8
    };
    (sign | value) ^ 0x55
}

/// MPEG-1 layer III, 32 kb/s, 32 kHz, mono: 144-byte frames of 1152 samples (36 ms).
const MP3_HEADER: [u8; 4] = [0xff, 0xfb, 0x18, 0xc4];
const MP3_FRAME: usize = 144;
const MP3_FRAME_SECONDS: f64 = 1152.0 / 32_000.0;

/// An MP3 of `text`: an ID3v2.4 tag with the text in a `TXXX` frame, then silent frames (all
/// side information zero: no bits, silence when decoded) as long as the speech.
fn mp3(text: &str) -> Vec<u8> {
    let seconds = text.split_whitespace().count() as f64 * WORD_SECONDS + 0.2;
    let frames = (seconds / MP3_FRAME_SECONDS).ceil() as usize;
    let mut frame = vec![0u8; MP3_FRAME];
    frame[..4].copy_from_slice(&MP3_HEADER);
    let mut txxx = vec![3u8]; // UTF-8
    txxx.extend_from_slice(TAG.as_bytes());
    txxx.push(0);
    txxx.extend_from_slice(text.as_bytes());
    let mut tag_body = b"TXXX".to_vec();
    tag_body.extend_from_slice(&synchsafe(txxx.len()));
    tag_body.extend_from_slice(&[0, 0]);
    tag_body.extend_from_slice(&txxx);
    let mut out = b"ID3\x04\x00\x00".to_vec();
    out.extend_from_slice(&synchsafe(tag_body.len()));
    out.extend_from_slice(&tag_body);
    for _ in 0..frames {
        out.extend_from_slice(&frame);
    }
    out
}

fn synchsafe(n: usize) -> [u8; 4] {
    [
        ((n >> 21) & 0x7f) as u8,
        ((n >> 14) & 0x7f) as u8,
        ((n >> 7) & 0x7f) as u8,
        (n & 0x7f) as u8,
    ]
}

// ---------- hearing audio ----------

/// The transcript in a WAV's `ICMT` chunk and the length from `fmt ` and `data`.
fn read_wav(b: &[u8]) -> (Option<String>, Option<f64>) {
    let mut text = None;
    let mut byte_rate = None;
    let mut duration = None;
    let mut at = 12;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let data = &b[at + 8..b.len().min(at + 8 + len)];
        match id {
            b"fmt " if data.len() >= 16 => {
                byte_rate = Some(u32::from_le_bytes([data[8], data[9], data[10], data[11]]));
            }
            b"LIST" if data.starts_with(b"INFO") => {
                let mut i = 4;
                while i + 8 <= data.len() {
                    let sub = &data[i..i + 4];
                    let n = u32::from_le_bytes([data[i + 4], data[i + 5], data[i + 6], data[i + 7]])
                        as usize;
                    let value = &data[i + 8..data.len().min(i + 8 + n)];
                    if sub == b"ICMT" {
                        let value = String::from_utf8_lossy(value);
                        let value = value.trim_end_matches('\0');
                        if let Some(t) = value.strip_prefix(&format!("{TAG}: ")) {
                            text = Some(t.to_owned());
                        }
                    }
                    i += 8 + n + (n & 1);
                }
            }
            b"data" => {
                duration = byte_rate
                    .filter(|r| *r > 0)
                    .map(|r| data.len() as f64 / f64::from(r));
            }
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    (text, duration)
}

/// The transcript in an ID3v2 `TXXX` frame and the length from counting MPEG frames.
fn read_mp3(b: &[u8]) -> (Option<String>, Option<f64>) {
    let mut text = None;
    let mut at = 0;
    if b.starts_with(b"ID3") && b.len() >= 10 {
        let size = |s: &[u8]| {
            s.iter()
                .fold(0usize, |acc, x| (acc << 7) | usize::from(*x & 0x7f))
        };
        let tag_len = size(&b[6..10]);
        let end = b.len().min(10 + tag_len);
        let mut i = 10;
        while i + 10 <= end {
            let id = &b[i..i + 4];
            let n = size(&b[i + 4..i + 8]);
            let value = &b[i + 10..end.min(i + 10 + n)];
            if id == b"TXXX" && value.len() > 1 {
                let mut parts = value[1..].splitn(2, |c| *c == 0);
                if parts.next() == Some(TAG.as_bytes()) {
                    text = parts
                        .next()
                        .map(|t| String::from_utf8_lossy(t).into_owned());
                }
            }
            if n == 0 {
                break;
            }
            i += 10 + n;
        }
        at = end;
    }
    let mut seconds = 0.0;
    let mut frames = 0;
    while at + 4 <= b.len() && b[at] == 0xff && (b[at + 1] & 0xe0) == 0xe0 {
        let Some((len, secs)) = mp3_frame(&b[at..at + 4]) else {
            break;
        };
        seconds += secs;
        frames += 1;
        at += len;
    }
    (text, (frames > 0).then_some(seconds))
}

/// The length in bytes and seconds of an MPEG-1 layer III frame from its header.
fn mp3_frame(h: &[u8]) -> Option<(usize, f64)> {
    const KBPS: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const RATES: [u32; 3] = [44_100, 48_000, 32_000];
    if h[1] & 0xfe != 0xfa {
        return None; // not MPEG-1 layer III
    }
    let kbps = *KBPS.get(usize::from(h[2] >> 4))?;
    let rate = *RATES.get(usize::from((h[2] >> 2) & 3))?;
    if kbps == 0 {
        return None;
    }
    let padding = usize::from((h[2] >> 1) & 1);
    let len = (144 * kbps * 1000 / rate) as usize + padding;
    Some((len, 1152.0 / f64::from(rate)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_carries_its_text_and_length() {
        let text = "Hello there. This is a test.";
        let w = wav(text, 16_000, WavFormat::Pcm16);
        assert_eq!(sniff_media_type(&w), Some("audio/wav"));
        let (heard, duration) = read_wav(&w);
        assert_eq!(heard.as_deref(), Some(text));
        assert!((duration.unwrap() - (6.0 * 0.4 + 0.2)).abs() < 0.01);
        let m = mp3(text);
        assert_eq!(sniff_media_type(&m), Some("audio/mpeg"));
        let (heard, duration) = read_mp3(&m);
        assert_eq!(heard.as_deref(), Some(text));
        assert!((duration.unwrap() - 2.6).abs() < 0.04);
        let h = Heard {
            text: text.to_owned(),
            duration,
        };
        let segments = h.segments();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].0, "Hello there.");
        assert!(segments[1].2 <= duration.unwrap());
    }

    #[test]
    fn g711_encoders_match_known_values() {
        assert_eq!(mulaw(0), 0xff);
        assert_eq!(mulaw(-1), 0x7f);
        assert_eq!(mulaw(i16::MAX), 0x80);
        assert_eq!(alaw(0), 0xd5);
        assert_eq!(alaw(i16::MAX), 0xaa);
    }
}
