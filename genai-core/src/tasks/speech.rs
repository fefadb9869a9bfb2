//! Text to speech.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::error::{Error, Result};
use crate::media_reply::MediaReply;

/// A text to read aloud, with the voice, the language and the audio format wanted.
///
/// ```
/// use genai_core::SpeechRequest;
/// let req = SpeechRequest::new("Hello there").voice("luna").encoding("mp3");
/// assert_eq!(req.voice.as_deref(), Some("luna"));
/// assert!(SpeechRequest::new("  ").validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpeechRequest {
    /// The text.
    pub text: String,
    /// The voice (speaker) name; `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// The language of the text, as a code (`en`, `fr`...); `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The audio encoding (`mp3`, `linear16`, `flac`...); `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The container (`none`, `wav`, `ogg`); `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Samples per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    /// Bits per second of a compressed encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<u32>,
}

impl SpeechRequest {
    /// Reads `text` aloud with the model's defaults.
    pub fn new(text: impl Into<String>) -> Self {
        SpeechRequest {
            text: text.into(),
            ..SpeechRequest::default()
        }
    }

    /// Sets the voice.
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// Sets the language.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets the encoding.
    pub fn encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = Some(encoding.into());
        self
    }

    /// Sets the container.
    pub fn container(mut self, container: impl Into<String>) -> Self {
        self.container = Some(container.into());
        self
    }

    /// Sets the sample rate.
    pub fn sample_rate(mut self, hz: u32) -> Self {
        self.sample_rate = Some(hz);
        self
    }

    /// Sets the bit rate.
    pub fn bit_rate(mut self, bps: u32) -> Self {
        self.bit_rate = Some(bps);
        self
    }

    /// Refuses an empty text, blank names and zero rates.
    pub fn validate(&self) -> Result<()> {
        super::non_blank(&self.text, "the text")?;
        for (value, what) in [
            (&self.voice, "the voice"),
            (&self.language, "the language"),
            (&self.encoding, "the encoding"),
            (&self.container, "the container"),
        ] {
            if let Some(v) = value {
                super::non_blank(v, what)?;
            }
        }
        if self.sample_rate == Some(0) || self.bit_rate == Some(0) {
            return Err(Error::invalid_request(
                "the sample rate and the bit rate must be above 0",
            ));
        }
        Ok(())
    }
}

/// What a text-to-speech model can do. Empty lists mean the model takes no such choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpeechCapabilities {
    /// The voices it has (the first is its default).
    #[serde(skip)]
    pub voices: &'static [&'static str],
    /// The language codes it reads.
    #[serde(skip)]
    pub languages: &'static [&'static str],
    /// The encodings it can produce.
    #[serde(skip)]
    pub encodings: &'static [&'static str],
    /// The containers it can wrap the audio in.
    #[serde(skip)]
    pub containers: &'static [&'static str],
    /// A choice of sample rate.
    pub sample_rate: Support,
    /// A choice of bit rate.
    pub bit_rate: Support,
    /// The longest text it reads, in characters, when known.
    pub max_text_chars: Option<usize>,
}

impl SpeechCapabilities {
    /// A model with these voices (the first is the default) and languages.
    pub fn new(voices: &'static [&'static str], languages: &'static [&'static str]) -> Self {
        SpeechCapabilities {
            voices,
            languages,
            ..SpeechCapabilities::default()
        }
    }

    /// Validates `req` and refuses a voice, language, encoding or option the model does not
    /// have, before any request.
    ///
    /// ```
    /// use genai_core::{ErrorKind, SpeechCapabilities, SpeechRequest};
    /// let caps = SpeechCapabilities::new(&["angus", "luna"], &[]);
    /// assert!(caps.check(&SpeechRequest::new("Hi").voice("luna")).is_ok());
    /// let e = caps.check(&SpeechRequest::new("Hi").voice("nova")).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    /// assert!(e.message().contains("angus"));
    /// let e = caps.check(&SpeechRequest::new("Hi").language("fr")).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Unsupported);
    /// ```
    pub fn check(&self, req: &SpeechRequest) -> Result<()> {
        req.validate()?;
        if let Some(max) = self.max_text_chars {
            let n = req.text.chars().count();
            if n > max {
                return Err(Error::invalid_request(format!(
                    "the text has {n} characters; this model reads at most {max}"
                )));
            }
        }
        one_of(req.voice.as_deref(), self.voices, "voice")?;
        one_of(req.language.as_deref(), self.languages, "language")?;
        one_of(req.encoding.as_deref(), self.encodings, "encoding")?;
        one_of(req.container.as_deref(), self.containers, "container")?;
        if req.sample_rate.is_some() && !self.sample_rate.is_usable() {
            return Err(Error::unsupported("this model does not take a sample rate"));
        }
        if req.bit_rate.is_some() && !self.bit_rate.is_usable() {
            return Err(Error::unsupported("this model does not take a bit rate"));
        }
        Ok(())
    }
}

/// Refuses `value` when the model offers no choice of `what` (unsupported) or when it is not
/// in the list (invalid).
fn one_of(value: Option<&str>, list: &[&str], what: &str) -> Result<()> {
    let Some(value) = value else {
        return Ok(());
    };
    if list.is_empty() {
        return Err(Error::unsupported(format!(
            "this model takes no choice of {what} (asked for `{value}`)"
        )));
    }
    let base = value.split(['-', '_']).next().unwrap_or(value);
    if list.iter().any(|v| {
        v.eq_ignore_ascii_case(value) || (what == "language" && v.eq_ignore_ascii_case(base))
    }) {
        return Ok(());
    }
    Err(Error::invalid_request(format!(
        "this model has no {what} `{value}`; it has: {}",
        list.join(", ")
    )))
}

/// A model that reads text aloud.
///
/// The audio comes back as a [`MediaReply`]: stream it to a file with
/// [`MediaReply::save`] (nothing is left behind if the reply is cut) or collect it.
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use genai_core::{SpeechModel, SpeechRequest};
///
/// async fn say(model: Arc<dyn SpeechModel>) -> genai_core::Result<()> {
///     let audio = model.speak(&SpeechRequest::new("Good morning").voice("luna")).await?;
///     let written = audio.save(Path::new("hello.mp3")).await?;
///     println!("{} bytes of {}", written.bytes, written.media_type);
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait SpeechModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> SpeechCapabilities;

    /// The audio, as it arrives.
    async fn speak(&self, req: &SpeechRequest) -> Result<MediaReply>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn checks_every_choice_against_the_lists() {
        let mut caps = SpeechCapabilities::new(&["angus", "luna"], &["en", "fr"]);
        caps.encodings = &["mp3", "linear16"];
        caps.max_text_chars = Some(10);
        let cases = [
            (SpeechRequest::new("hi"), None),
            (SpeechRequest::new("hi").voice("LUNA"), None),
            (SpeechRequest::new("hi").language("fr-CA"), None),
            (
                SpeechRequest::new("hi").voice("nova"),
                Some(ErrorKind::InvalidRequest),
            ),
            (
                SpeechRequest::new("hi").encoding("wma"),
                Some(ErrorKind::InvalidRequest),
            ),
            (
                SpeechRequest::new("hi").container("wav"),
                Some(ErrorKind::Unsupported),
            ),
            (
                SpeechRequest::new("hi").sample_rate(8000),
                Some(ErrorKind::Unsupported),
            ),
            (
                SpeechRequest::new("far too long"),
                Some(ErrorKind::InvalidRequest),
            ),
            (SpeechRequest::new(""), Some(ErrorKind::InvalidRequest)),
        ];
        for (req, want) in cases {
            assert_eq!(caps.check(&req).err().map(|e| e.kind()), want, "{req:?}");
        }
    }
}
