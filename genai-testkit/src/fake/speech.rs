//! A fake text-to-speech model: a WAV that carries its own transcript.

use async_trait::async_trait;
use genai_core::{Error, Media, MediaReply, SpeechCapabilities, SpeechModel, SpeechRequest};

use crate::fixtures::{speech_wav, WavEncoding};

/// The fake's voices.
const VOICES: &[&str] = &["alto", "tenor"];

/// A fake [`SpeechModel`]: a 16 kHz WAV, one tone per word, with the text in the file (see
/// [`speech_wav`]) so that [`ScriptedTranscriber`](super::ScriptedTranscriber) hears it back.
/// Its voices are `alto` and `tenor`; another is refused before any request.
///
/// ```
/// use genai_core::{SpeechModel, SpeechRequest};
/// use genai_testkit::fake::ScriptedSpeech;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedSpeech::new("fake/speech");
/// let audio = model.speak(&SpeechRequest::new("Hello there.")).await.unwrap().collect().await.unwrap();
/// assert_eq!(audio.media_type(), "audio/wav");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedSpeech {
    pub(super) model: String,
}

impl ScriptedSpeech {
    /// A fake text-to-speech model called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedSpeech {
            model: model.into(),
        }
    }
}

#[async_trait]
impl SpeechModel for ScriptedSpeech {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> SpeechCapabilities {
        SpeechCapabilities::new(VOICES, &["en"])
    }

    async fn speak(&self, req: &SpeechRequest) -> Result<MediaReply, Error> {
        self.capabilities().check(req)?;
        let wav = speech_wav(&req.text, 16_000, WavEncoding::Pcm16);
        Ok(MediaReply::from_media(Media::with_type("audio/wav", wav)))
    }
}
