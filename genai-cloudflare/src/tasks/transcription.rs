//! Speech recognition: Whisper and Whisper tiny (raw audio body), Whisper large v3 turbo
//! (JSON with base64 audio), Deepgram Nova 3 (raw audio with its `audio/*` type, options in the
//! query). Every reply is normalised to one [`Transcript`].
//!
//! The audio is never sent as the schemas' int array (`{"audio":[0..255,...]}`), which is
//! about 4 times larger: raw bytes share the caller's buffer, and base64 is written once into
//! the body.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use genai_core::http::Deadline;
use genai_core::{
    async_trait, Error, MediaSource, Metered, ModelKind, Result, Segment, Support,
    TranscribeRequest, Transcript, TranscriptionCapabilities, TranscriptionModel, Word,
};
use serde::Deserialize;

use crate::errors::PROVIDER;
use crate::metering::{audio_seconds_ceiling, wav_seconds, ReplyMeta};
use crate::transport::{decode_envelope, Body, Transport};

/// The largest audio the speech models take, in bytes (25 MiB).
pub const MAX_AUDIO_BYTES: u64 = 25 * 1024 * 1024;

/// The three wire shapes of the speech recognition models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// Raw audio body; `{text, word_count, words, vtt}`.
    WhisperRaw { english_only: bool },
    /// `{audio: base64, language, initial_prompt}`; segments and `transcription_info`.
    WhisperJson,
    /// Raw audio with its type, options in the query; Deepgram's reply.
    Deepgram,
}

impl Wire {
    /// The wire shape of `model`.
    fn of(model: &str) -> Wire {
        let name = model.rsplit('/').next().unwrap_or(model);
        if name.starts_with("nova") || model.starts_with("@cf/deepgram/") {
            Wire::Deepgram
        } else if name.contains("large-v3") {
            Wire::WhisperJson
        } else {
            Wire::WhisperRaw {
                english_only: name.ends_with("-en"),
            }
        }
    }
}

/// Decodes a transcription reply of the given wire shape.
fn decode_transcript(wire: Wire, status: u16, bytes: &[u8]) -> Result<Transcript> {
    match wire {
        Wire::WhisperRaw { .. } => {
            decode_envelope::<WhisperOut>(status, bytes).map(WhisperOut::into_transcript)
        }
        Wire::WhisperJson => {
            decode_envelope::<TurboOut>(status, bytes).map(TurboOut::into_transcript)
        }
        Wire::Deepgram => {
            decode_envelope::<DeepgramOut>(status, bytes).and_then(DeepgramOut::into_transcript)
        }
    }
}

/// Decodes a transcription reply of `model` as the client does (for fuzzers and property
/// tests).
pub(crate) fn decode_transcription(model: &str, status: u16, bytes: &[u8]) -> Result<Transcript> {
    decode_transcript(Wire::of(model), status, bytes)
}

/// A Workers AI speech recognition model, e.g. `@cf/openai/whisper-large-v3-turbo`.
#[derive(Debug, Clone)]
pub struct CloudflareTranscriber {
    transport: Arc<Transport>,
    model: String,
    wire: Wire,
}

impl CloudflareTranscriber {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareTranscriber {
            transport,
            wire: Wire::of(&model),
            model,
        }
    }
}

#[async_trait]
impl TranscriptionModel for CloudflareTranscriber {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TranscriptionCapabilities {
        let mut caps = TranscriptionCapabilities::default();
        caps.max_audio_bytes = Some(MAX_AUDIO_BYTES);
        match self.wire {
            Wire::WhisperRaw { english_only } => {
                caps.only_language = english_only.then_some("en");
            }
            Wire::WhisperJson => {
                caps.language = Support::Supported;
                caps.prompt = Support::Supported;
            }
            Wire::Deepgram => caps.language = Support::Supported,
        }
        caps
    }

    async fn transcribe(&self, req: &TranscribeRequest) -> Result<Transcript> {
        let checked = super::preflight(
            &self.transport,
            || self.capabilities().check(req),
            || req.validate(),
        );
        checked.map_err(|e| super::finish_error(&self.transport, e, "transcribe"))?;
        // Priced per audio minute: a WAV file's length is in its header; for other formats
        // the worst case assumes the lowest speech bit rate.
        let seconds = match &req.audio {
            MediaSource::Memory(media) => wav_seconds(media.data()),
            _ => None,
        };
        let worst =
            Metered::audio(seconds.unwrap_or_else(|| audio_seconds_ceiling(req.audio.len())));
        let call = super::Call::new(
            "transcribe",
            &self.model,
            ModelKind::SpeechRecognition,
            worst,
        );
        let billed = super::run_metered(&self.transport, call, async {
            let deadline = Deadline::after(self.transport.options.timeout);
            let (url, body) = match self.wire {
                Wire::WhisperRaw { .. } => (self.transport.run_url(&self.model), raw_body(req)?),
                Wire::WhisperJson => (self.transport.run_url(&self.model), turbo_body(req)?),
                Wire::Deepgram => (
                    self.transport
                        .run_url_with(&self.model, &deepgram_query(req)),
                    raw_body(req)?,
                ),
            };
            let resp = self
                .transport
                .post(&url, &body, "application/json", &deadline)
                .await?;
            let meta = ReplyMeta::of(resp.headers());
            let status = resp.status().as_u16();
            let bytes = self.transport.read(resp, &deadline).await?;
            let transcript = decode_transcript(self.wire, status, &bytes)?;
            Ok((transcript, meta))
        })
        .await?;
        // The service's duration when it reports one, else the length read from the file.
        let used = billed
            .value
            .duration
            .or(seconds)
            .map_or_else(|| Metered::requests(1), Metered::audio);
        let rate_limit = billed.rate_limit();
        let (mut transcript, cost) = billed.settle(&self.transport, &self.model, &used);
        transcript.cost = cost;
        transcript.rate_limit = rate_limit;
        Ok(transcript)
    }
}

/// The audio as the whole body, with its media type: the bytes shared, not copied, or the
/// file streamed from disk.
fn raw_body(req: &TranscribeRequest) -> Result<Body> {
    match &req.audio {
        MediaSource::Memory(media) => Body::raw(media.data().clone(), media.media_type()),
        MediaSource::File(file) => Body::raw_file(file.clone()),
        other => Err(unknown_source(other)),
    }
}

/// `{"audio":"<base64>","language":..,"initial_prompt":..}`: the base64 written once straight
/// into the body, or encoded from the file while it is sent.
fn turbo_body(req: &TranscribeRequest) -> Result<Body> {
    let mut rest = String::from("\"");
    for (key, value) in [("language", &req.language), ("initial_prompt", &req.prompt)] {
        if let Some(value) = value {
            rest.push_str(&format!(
                ",\"{key}\":{}",
                serde_json::Value::from(value.as_str())
            ));
        }
    }
    rest.push('}');
    const HEAD: &str = "{\"audio\":\"";
    match &req.audio {
        MediaSource::Memory(media) => {
            let data = media.data();
            let mut text =
                String::with_capacity(data.len().div_ceil(3) * 4 + HEAD.len() + rest.len());
            text.push_str(HEAD);
            base64::engine::general_purpose::STANDARD.encode_string(data, &mut text);
            text.push_str(&rest);
            Ok(Body::json_bytes(Bytes::from(text)))
        }
        MediaSource::File(file) => Ok(Body::json_with_base64_file(
            Bytes::from_static(HEAD.as_bytes()),
            file.clone(),
            Bytes::from(rest),
        )),
        other => Err(unknown_source(other)),
    }
}

/// A media source this backend does not know how to send.
fn unknown_source(source: &MediaSource) -> Error {
    Error::unsupported(format!(
        "this kind of media source ({}) cannot be sent to Workers AI",
        source.media_type()
    ))
}

/// `smart_format=true[&language=..]` (joined to the run URL's own query, if any).
fn deepgram_query(req: &TranscribeRequest) -> String {
    let mut query = String::from("smart_format=true");
    if let Some(lang) = &req.language {
        query.push_str("&language=");
        query.push_str(&crate::transport::percent_encode(lang));
    }
    query
}

#[derive(Deserialize)]
struct WireWord {
    word: String,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
}

impl WireWord {
    fn into_word(self) -> Word {
        Word::new(self.word.trim(), self.start, self.end)
    }
}

#[derive(Deserialize)]
struct WhisperOut {
    text: String,
    #[serde(default)]
    words: Vec<WireWord>,
}

impl WhisperOut {
    fn into_transcript(self) -> Transcript {
        Transcript::new(self.text.trim())
            .with_words(self.words.into_iter().map(WireWord::into_word).collect())
    }
}

#[derive(Deserialize)]
struct TurboOut {
    text: String,
    #[serde(default)]
    segments: Vec<TurboSegment>,
    #[serde(default)]
    transcription_info: Option<TurboInfo>,
}

#[derive(Deserialize)]
struct TurboSegment {
    start: f64,
    end: f64,
    text: String,
    #[serde(default)]
    words: Vec<WireWord>,
}

#[derive(Deserialize)]
struct TurboInfo {
    language: Option<String>,
    duration: Option<f64>,
}

impl TurboOut {
    fn into_transcript(self) -> Transcript {
        let mut words = Vec::new();
        let mut segments = Vec::with_capacity(self.segments.len());
        for s in self.segments {
            words.extend(s.words.into_iter().map(WireWord::into_word));
            segments.push(Segment::new(s.start, s.end, s.text.trim()));
        }
        let (language, duration) = self
            .transcription_info
            .map(|i| (i.language, i.duration))
            .unwrap_or_default();
        Transcript::new(self.text.trim())
            .with_segments(segments)
            .with_words(words)
            .with_language(language)
            .with_duration(duration)
    }
}

#[derive(Deserialize)]
struct DeepgramOut {
    results: DeepgramResults,
    #[serde(default)]
    metadata: Option<DeepgramMetadata>,
}

#[derive(Deserialize)]
struct DeepgramMetadata {
    duration: Option<f64>,
}

#[derive(Deserialize)]
struct DeepgramResults {
    channels: Vec<DeepgramChannel>,
}

#[derive(Deserialize)]
struct DeepgramChannel {
    alternatives: Vec<DeepgramAlternative>,
    #[serde(default)]
    detected_language: Option<String>,
}

#[derive(Deserialize)]
struct DeepgramAlternative {
    transcript: String,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    words: Vec<DeepgramWord>,
    #[serde(default)]
    paragraphs: Option<DeepgramParagraphs>,
}

#[derive(Deserialize)]
struct DeepgramWord {
    word: String,
    #[serde(default)]
    punctuated_word: Option<String>,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
}

#[derive(Deserialize)]
struct DeepgramParagraphs {
    #[serde(default)]
    paragraphs: Vec<DeepgramParagraph>,
}

#[derive(Deserialize)]
struct DeepgramParagraph {
    #[serde(default)]
    sentences: Vec<DeepgramSentence>,
}

#[derive(Deserialize)]
struct DeepgramSentence {
    text: String,
    start: f64,
    end: f64,
}

impl DeepgramOut {
    fn into_transcript(self) -> Result<Transcript> {
        let duration = self.metadata.and_then(|m| m.duration);
        let channel = self.results.channels.into_iter().next().ok_or_else(|| {
            Error::protocol("the Deepgram reply has no channel").with_provider(PROVIDER)
        })?;
        let language = channel.detected_language;
        let best = channel.alternatives.into_iter().next().ok_or_else(|| {
            Error::protocol("the Deepgram reply has no alternative").with_provider(PROVIDER)
        })?;
        let words = best
            .words
            .into_iter()
            .map(|w| Word::new(w.punctuated_word.unwrap_or(w.word), w.start, w.end))
            .collect();
        let segments = best
            .paragraphs
            .map(|p| {
                p.paragraphs
                    .into_iter()
                    .flat_map(|p| p.sentences)
                    .map(|s| Segment::new(s.start, s.end, s.text))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Transcript::new(best.transcript.trim())
            .with_words(words)
            .with_segments(segments)
            .with_language(language)
            .with_duration(duration)
            .with_confidence(best.confidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::Media;

    #[test]
    fn the_turbo_body_is_base64_json_never_an_int_array() {
        let req = TranscribeRequest::new(Media::with_type("audio/wav", vec![1u8, 2, 3]))
            .language("en")
            .prompt("say \"hi\"");
        let body = turbo_body(&req).unwrap();
        let v: serde_json::Value = serde_json::from_slice(body.bytes().unwrap()).unwrap();
        assert_eq!(v["audio"], "AQID");
        assert_eq!(v["language"], "en");
        assert_eq!(v["initial_prompt"], "say \"hi\"");
        let raw = raw_body(&req).unwrap();
        let MediaSource::Memory(audio) = &req.audio else {
            panic!("in memory")
        };
        assert_eq!(
            raw.bytes().unwrap().as_ptr(),
            audio.data().as_ptr(),
            "shared, not copied"
        );
        assert_eq!(raw.content_type, "audio/wav");
        assert_eq!(deepgram_query(&req), "smart_format=true&language=en");
        // 4/3 of the audio plus the field names: no int-array inflation.
        let big = TranscribeRequest::new(Media::with_type("audio/wav", vec![200u8; 30_000]));
        assert!(turbo_body(&big).unwrap().len() <= 40_000 + 32);
    }

    #[tokio::test]
    async fn a_file_is_streamed_with_the_same_bytes_and_length() {
        let path = std::env::temp_dir().join(format!("genai-turbo-{}.wav", std::process::id()));
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.extend((0..100_001u32).map(|i| (i % 251) as u8));
        std::fs::write(&path, &wav).unwrap();
        let file = genai_core::MediaFile::open(&path).await.unwrap();
        let in_memory =
            TranscribeRequest::new(Media::with_type("audio/wav", wav.clone())).language("en");
        let on_disk = TranscribeRequest::new(file).language("en");
        let streamed = turbo_body(&on_disk).unwrap();
        assert!(streamed.bytes().is_none(), "streamed, not read whole");
        assert_eq!(streamed.len(), turbo_body(&in_memory).unwrap().len());
        let raw = raw_body(&on_disk).unwrap();
        assert!(raw.bytes().is_none());
        assert_eq!(raw.len(), wav.len() as u64);
        assert_eq!(raw.content_type, "audio/wav");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn replies_normalise_to_one_transcript() {
        let whisper: WhisperOut = serde_json::from_value(serde_json::json!({
            "text": " hello world", "word_count": 2, "vtt": "WEBVTT",
            "words": [{"word": "hello", "start": 0.0, "end": 0.4}, {"word": "world", "start": 0.5, "end": 0.9}]
        }))
        .unwrap();
        let t = whisper.into_transcript();
        assert_eq!(t.text, "hello world");
        assert_eq!(t.words.len(), 2);
        assert_eq!((t.language, t.duration), (None, None));

        let turbo: TurboOut = serde_json::from_value(serde_json::json!({
            "text": "hello world",
            "segments": [{"start": 0.0, "end": 0.9, "text": " hello world",
                          "words": [{"word": " hello", "start": 0.0, "end": 0.4}]}],
            "transcription_info": {"language": "en", "duration": 1.25}
        }))
        .unwrap();
        let t = turbo.into_transcript();
        assert_eq!(t.segments, vec![Segment::new(0.0, 0.9, "hello world")]);
        assert_eq!(t.words, vec![Word::new("hello", 0.0, 0.4)]);
        assert_eq!(
            (t.language.as_deref(), t.duration),
            (Some("en"), Some(1.25))
        );

        let nova: DeepgramOut = serde_json::from_value(serde_json::json!({
            "metadata": {"duration": 2.0},
            "results": {"channels": [{"alternatives": [{
                "transcript": "Hello world.", "confidence": 0.98,
                "words": [{"word": "hello", "punctuated_word": "Hello", "start": 0.1, "end": 0.5, "confidence": 0.99}],
                "paragraphs": {"paragraphs": [{"sentences": [{"text": "Hello world.", "start": 0.1, "end": 0.9}]}]}
            }]}]}
        }))
        .unwrap();
        let t = nova.into_transcript().unwrap();
        assert_eq!(t.text, "Hello world.");
        assert_eq!(t.words[0].word, "Hello");
        assert_eq!(t.confidence, Some(0.98));
        assert_eq!(t.duration, Some(2.0));
        assert_eq!(t.segments.len(), 1);
        let empty: DeepgramOut =
            serde_json::from_value(serde_json::json!({"results": {"channels": []}})).unwrap();
        assert_eq!(
            empty.into_transcript().unwrap_err().kind(),
            genai_core::ErrorKind::Protocol
        );
    }
}
