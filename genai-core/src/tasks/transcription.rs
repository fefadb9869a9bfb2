//! Speech recognition.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::media_file::MediaSource;

/// Audio to transcribe.
///
/// ```
/// use genai_core::{Media, TranscribeRequest};
/// let wav = Media::with_type("audio/wav", b"RIFF\0\0\0\0WAVEfmt ".to_vec());
/// let req = TranscribeRequest::new(wav).language("en").prompt("A weather report.");
/// assert_eq!(req.language.as_deref(), Some("en"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranscribeRequest {
    /// The audio, with its media type: in memory, or a file streamed as it is sent.
    pub audio: MediaSource,
    /// The spoken language, as a code; `None` lets the model detect or assume it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A text that gives the model context (names, spellings, the topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

impl TranscribeRequest {
    /// Transcribes `audio`: a [`Media`] in memory, or a [`MediaFile`](crate::MediaFile)
    /// streamed from disk.
    pub fn new(audio: impl Into<MediaSource>) -> Self {
        TranscribeRequest {
            audio: audio.into(),
            language: None,
            prompt: None,
        }
    }

    /// Sets the spoken language.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets the context prompt.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Refuses empty audio, media that is not audio, and blank options.
    pub fn validate(&self) -> Result<()> {
        check_audio(self.audio.media_type(), self.audio.len(), None)?;
        if let Some(l) = &self.language {
            super::non_blank(l, "the language")?;
        }
        if let Some(p) = &self.prompt {
            super::non_blank(p, "the prompt")?;
        }
        Ok(())
    }
}

/// Refuses empty media, media that is not audio, and audio over `max` bytes.
pub(crate) fn check_audio(media_type: &str, len: u64, max: Option<u64>) -> Result<()> {
    if len == 0 {
        return Err(Error::invalid_request("the audio is empty (0 bytes)"));
    }
    if !media_type.starts_with("audio/") {
        return Err(Error::invalid_request(format!(
            "the input is {media_type}, not audio"
        )));
    }
    if let Some(max) = max {
        if len > max {
            return Err(Error::invalid_request(format!(
                "the audio is {len} bytes; this model takes at most {max}"
            )));
        }
    }
    Ok(())
}

/// A stretch of the transcript with its times in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Segment {
    /// Start, in seconds from the beginning of the audio.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
    /// What was said.
    pub text: String,
}

impl Segment {
    /// A segment.
    pub fn new(start: f64, end: f64, text: impl Into<String>) -> Self {
        Segment {
            start,
            end,
            text: text.into(),
        }
    }
}

/// One recognised word with its times in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Word {
    /// The word.
    pub word: String,
    /// Start, in seconds.
    pub start: f64,
    /// End, in seconds.
    pub end: f64,
}

impl Word {
    /// A word.
    pub fn new(word: impl Into<String>, start: f64, end: f64) -> Self {
        Word {
            word: word.into(),
            start,
            end,
        }
    }
}

/// What was said, in the same shape whatever the model: fields the service did not give are
/// empty or `None`, never invented.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transcript {
    /// The whole text.
    pub text: String,
    /// Timed stretches of the text (empty when the service gave none).
    pub segments: Vec<Segment>,
    /// Timed words (empty when the service gave none).
    pub words: Vec<Word>,
    /// The spoken language, as the service reported it.
    pub language: Option<String>,
    /// The length of the audio in seconds, as the service reported it.
    pub duration: Option<f64>,
    /// The service's confidence in the text, in `[0, 1]`.
    pub confidence: Option<f64>,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Transcript {
    /// A transcript of `text` alone.
    pub fn new(text: impl Into<String>) -> Self {
        Transcript {
            text: text.into(),
            ..Transcript::default()
        }
    }

    /// Sets the segments.
    pub fn with_segments(mut self, segments: Vec<Segment>) -> Self {
        self.segments = segments;
        self
    }

    /// Sets the words.
    pub fn with_words(mut self, words: Vec<Word>) -> Self {
        self.words = words;
        self
    }

    /// Sets the language.
    pub fn with_language(mut self, language: Option<String>) -> Self {
        self.language = language;
        self
    }

    /// Sets the duration.
    pub fn with_duration(mut self, duration: Option<f64>) -> Self {
        self.duration = duration;
        self
    }

    /// Sets the confidence.
    pub fn with_confidence(mut self, confidence: Option<f64>) -> Self {
        self.confidence = confidence;
        self
    }
}

/// What a speech recognition model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranscriptionCapabilities {
    /// A language hint.
    pub language: Support,
    /// A context prompt.
    pub prompt: Support,
    /// The largest audio it takes, in bytes, when known.
    pub max_audio_bytes: Option<u64>,
    /// The only language it knows, for single-language models.
    #[serde(skip)]
    pub only_language: Option<&'static str>,
}

impl TranscriptionCapabilities {
    /// Validates `req` and refuses audio over the size limit and options the model does not
    /// take, before any request.
    ///
    /// ```
    /// use genai_core::{ErrorKind, Media, TranscribeRequest, TranscriptionCapabilities};
    /// let caps = TranscriptionCapabilities::default();
    /// let wav = Media::with_type("audio/wav", vec![1u8; 44]);
    /// assert_eq!(
    ///     caps.check(&TranscribeRequest::new(wav).prompt("names")).unwrap_err().kind(),
    ///     ErrorKind::Unsupported
    /// );
    /// let png = Media::with_type("image/png", vec![1u8; 44]);
    /// assert_eq!(
    ///     caps.check(&TranscribeRequest::new(png)).unwrap_err().kind(),
    ///     ErrorKind::InvalidRequest
    /// );
    /// ```
    pub fn check(&self, req: &TranscribeRequest) -> Result<()> {
        req.validate()?;
        check_audio(
            req.audio.media_type(),
            req.audio.len(),
            self.max_audio_bytes,
        )?;
        if let Some(lang) = &req.language {
            match self.only_language {
                Some(only) if !lang.to_ascii_lowercase().starts_with(only) => {
                    return Err(Error::unsupported(format!(
                        "this model only transcribes `{only}` (asked for `{lang}`)"
                    )));
                }
                Some(_) => {}
                None if !self.language.is_usable() => {
                    return Err(Error::unsupported("this model takes no language hint"));
                }
                None => {}
            }
        }
        if req.prompt.is_some() && !self.prompt.is_usable() {
            return Err(Error::unsupported("this model takes no context prompt"));
        }
        Ok(())
    }
}

/// A model that writes down what is said in audio.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{Media, TranscribeRequest, TranscriptionModel};
///
/// async fn transcribe(model: Arc<dyn TranscriptionModel>, wav: Vec<u8>) -> genai_core::Result<()> {
///     let audio = Media::from_bytes(wav)?; // the type is read from the bytes
///     let transcript = model.transcribe(&TranscribeRequest::new(audio).language("en")).await?;
///     for s in &transcript.segments {
///         println!("{:>6.2}-{:>6.2} {}", s.start, s.end, s.text);
///     }
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait TranscriptionModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> TranscriptionCapabilities;

    /// The transcript.
    async fn transcribe(&self, req: &TranscribeRequest) -> Result<Transcript>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Media;
    use crate::ErrorKind;

    #[test]
    fn refuses_bad_audio_and_unsupported_options() {
        let wav = || Media::with_type("audio/wav", vec![1u8; 100]);
        let caps = TranscriptionCapabilities {
            language: Support::Supported,
            prompt: Support::Unsupported,
            max_audio_bytes: Some(50),
            only_language: None,
        };
        let e = caps.check(&TranscribeRequest::new(wav())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert!(e.message().contains("at most 50"));
        let caps = TranscriptionCapabilities {
            max_audio_bytes: None,
            only_language: Some("en"),
            ..caps
        };
        assert!(caps
            .check(&TranscribeRequest::new(wav()).language("en-US"))
            .is_ok());
        assert_eq!(
            caps.check(&TranscribeRequest::new(wav()).language("fr"))
                .unwrap_err()
                .kind(),
            ErrorKind::Unsupported
        );
        let empty = Media::with_type("audio/wav", Vec::new());
        assert_eq!(
            caps.check(&TranscribeRequest::new(empty))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidRequest
        );
    }
}
