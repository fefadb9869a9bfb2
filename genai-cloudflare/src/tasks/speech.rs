//! Text to speech: Deepgram Aura (`speaker`, encodings; raw audio reply) and MeloTTS
//! (`prompt`, `lang`; `{audio: base64}` reply whose bytes are WAV).

use std::sync::Arc;

use genai_core::http::Deadline;
use genai_core::{
    async_trait, decode_base64, Error, Media, MediaClass, MediaReply, Metered, ModelKind, Result,
    SpeechCapabilities, SpeechModel, SpeechRequest, Support,
};
use serde::Serialize;

use crate::errors::PROVIDER;
use crate::transport::{Body, Transport};

const AURA_ENCODINGS: &[&str] = &["linear16", "flac", "mulaw", "alaw", "mp3", "opus", "aac"];
const AURA_CONTAINERS: &[&str] = &["none", "wav", "ogg"];

/// The two wire shapes of the text-to-speech models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// Deepgram Aura: `{text, speaker, encoding, container, sample_rate, bit_rate}`.
    Aura,
    /// MeloTTS: `{prompt, lang}`.
    Melo,
}

/// A Workers AI text-to-speech model, e.g. `@cf/deepgram/aura-1` or `@cf/myshell-ai/melotts`.
#[derive(Debug, Clone)]
pub struct CloudflareSpeech {
    transport: Arc<Transport>,
    model: String,
    wire: Wire,
}

#[derive(Serialize)]
struct AuraBody<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    speaker: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_rate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bit_rate: Option<u32>,
}

#[derive(Serialize)]
struct MeloBody<'a> {
    prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<&'a str>,
}

impl CloudflareSpeech {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        let wire = if model.contains("melotts") {
            Wire::Melo
        } else {
            Wire::Aura
        };
        CloudflareSpeech {
            transport,
            model,
            wire,
        }
    }
}

#[async_trait]
impl SpeechModel for CloudflareSpeech {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> SpeechCapabilities {
        let known = crate::facts::lookup(&self.model);
        match self.wire {
            Wire::Melo => SpeechCapabilities::new(&[], known.map_or(&[][..], |f| f.languages)),
            Wire::Aura => {
                let voices = known.map_or(&[][..], |f| f.voices);
                let mut caps = SpeechCapabilities::new(voices, &[]);
                caps.encodings = AURA_ENCODINGS;
                caps.containers = AURA_CONTAINERS;
                caps.sample_rate = Support::Supported;
                caps.bit_rate = Support::Supported;
                caps.max_text_chars = Some(2000);
                caps
            }
        }
    }

    async fn speak(&self, req: &SpeechRequest) -> Result<MediaReply> {
        let checked = super::preflight(
            &self.transport,
            || self.capabilities().check(req),
            || req.validate(),
        );
        checked.map_err(|e| super::finish_error(&self.transport, e, "speak"))?;
        // Priced per character spoken (or per request): known before the call.
        let used = Metered::characters(req.text.chars().count() as u64);
        let call = super::Call::new("speak", &self.model, ModelKind::TextToSpeech, used);
        let billed = super::run_metered(&self.transport, call, async {
            let mut body = self.wire_json(req)?;
            if self.transport.metering.reject_if_busy {
                crate::transport::reject_if_busy(&mut body);
            }
            let body = Body::json(&body)?;
            let deadline = Deadline::after(self.transport.options.timeout);
            self.transport
                .run_media(
                    &self.model,
                    &body,
                    deadline,
                    (MediaClass::Audio, raw_audio_type(req)),
                    |result| audio_from_json(result, raw_audio_type(req)),
                )
                .await
        })
        .await?;
        let (reply, cost) = billed.settle(&self.transport, &self.model, &used);
        Ok(reply.with_cost(cost))
    }
}

impl CloudflareSpeech {
    /// The model's wire body for `req` (also an item of a queued batch).
    pub(crate) fn wire_json(&self, req: &SpeechRequest) -> Result<serde_json::Value> {
        let value = match self.wire {
            Wire::Aura => serde_json::to_value(AuraBody {
                text: &req.text,
                speaker: req.voice.as_deref(),
                encoding: req.encoding.as_deref(),
                container: req.container.as_deref(),
                sample_rate: req.sample_rate,
                bit_rate: req.bit_rate,
            }),
            Wire::Melo => serde_json::to_value(MeloBody {
                prompt: &req.text,
                lang: req.language.as_deref(),
            }),
        };
        value.map_err(|e| Error::invalid_request("the request could not be encoded").with_source(e))
    }
}

/// The audio of a JSON reply: `{"audio": "<base64>"}` (MeloTTS), or, in a queued batch's
/// results, the base64 string itself; its type read from the bytes, or, for raw samples that
/// carry no header, `raw_type` (what the request asked for).
pub(crate) fn audio_from_json(
    result: &serde_json::Value,
    raw_type: Option<&'static str>,
) -> Result<Media> {
    let b64 = result
        .as_str()
        .or_else(|| result.get("audio").and_then(|a| a.as_str()))
        .ok_or_else(|| {
            Error::protocol("the speech reply has no `audio` (expected base64 audio)")
                .with_provider(PROVIDER)
        })?;
    let bytes = decode_base64(b64)?;
    if bytes.is_empty() {
        return Err(Error::protocol("the speech reply's `audio` is empty"));
    }
    match (genai_core::sniff_media_type(&bytes), raw_type) {
        (Some(kind), _) if kind.starts_with("audio/") => Ok(Media::with_type(kind, bytes)),
        (Some(kind), _) => Err(Error::protocol(format!(
            "the speech reply's `audio` is {kind}, not audio"
        ))),
        (None, Some(raw)) => Ok(Media::with_type(raw, bytes)),
        (None, None) => Err(Error::protocol(
            "the speech reply's `audio` is not a known audio format",
        )),
    }
}

/// The media type of the headerless samples `req` asks for (Aura's `linear16`, `mulaw` and
/// `alaw` without a container), which no sniffing can recognise.
pub(crate) fn raw_audio_type(req: &SpeechRequest) -> Option<&'static str> {
    if !matches!(req.container.as_deref(), None | Some("none")) {
        return None;
    }
    match req.encoding.as_deref()? {
        "linear16" => Some("audio/L16"),
        "mulaw" => Some("audio/PCMU"),
        "alaw" => Some("audio/PCMA"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::ErrorKind;

    #[test]
    fn json_audio_is_typed_by_its_bytes() {
        let wav = Media::with_type("audio/wav", b"RIFF\x24\0\0\0WAVEfmt ".to_vec());
        let ok = audio_from_json(&serde_json::json!({"audio": wav.to_base64()}), None).unwrap();
        assert_eq!(ok.media_type(), "audio/wav");
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"audio": ""}),
            serde_json::json!({"audio": "aGVsbG8gd29ybGQ="}),
            serde_json::json!({"audio": "***"}),
        ] {
            assert_eq!(
                audio_from_json(&bad, None).unwrap_err().kind(),
                ErrorKind::Protocol,
                "{bad}"
            );
        }
        // Headerless samples take the type the request asked for.
        let req = SpeechRequest::new("hi").encoding("linear16");
        let raw = serde_json::json!({"audio": "AAEAAQ=="});
        let samples = audio_from_json(&raw, raw_audio_type(&req)).unwrap();
        assert_eq!(samples.media_type(), "audio/L16");
        assert_eq!(
            raw_audio_type(
                &SpeechRequest::new("hi")
                    .encoding("linear16")
                    .container("wav")
            ),
            None
        );
    }
}
