//! A fake speech recogniser: it hears the transcript a fake WAV or MP3 carries.

use async_trait::async_trait;
use genai_core::{
    Error, Segment, Support, TranscribeRequest, Transcript, TranscriptionCapabilities,
    TranscriptionModel, Word,
};

use crate::fixtures::read_speech;

/// A fake [`TranscriptionModel`]: the transcript is the text a file made by
/// [`ScriptedSpeech`](super::ScriptedSpeech) (or the fixtures' `speech_wav`/`speech_mp3`)
/// carries, timed over the audio's length, one segment and its words spread evenly; other
/// audio is heard as silence (an empty text). Bytes that are not audio are refused before any
/// request.
///
/// ```
/// use genai_core::{Media, TranscribeRequest, TranscriptionModel};
/// use genai_testkit::fake::ScriptedTranscriber;
/// use genai_testkit::fixtures::{speech_wav, WavEncoding};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedTranscriber::new("fake/transcription");
/// let audio = Media::with_type("audio/wav", speech_wav("hello there", 16_000, WavEncoding::Pcm16));
/// let heard = model.transcribe(&TranscribeRequest::new(audio)).await.unwrap();
/// assert_eq!(heard.text, "hello there");
/// assert_eq!(heard.words.len(), 2);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedTranscriber {
    pub(super) model: String,
}

impl ScriptedTranscriber {
    /// A fake speech recogniser called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedTranscriber {
            model: model.into(),
        }
    }
}

#[async_trait]
impl TranscriptionModel for ScriptedTranscriber {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TranscriptionCapabilities {
        let mut caps = TranscriptionCapabilities::default();
        caps.language = Support::Supported;
        caps.prompt = Support::Supported;
        caps
    }

    async fn transcribe(&self, req: &TranscribeRequest) -> Result<Transcript, Error> {
        self.capabilities().check(req)?;
        let audio = req.audio.load().await?;
        let speech = read_speech(audio.data());
        let text = speech.text.unwrap_or_default();
        let duration = speech.seconds.unwrap_or(0.0);
        let said: Vec<&str> = text.split_whitespace().collect();
        let step = duration / said.len().max(1) as f64;
        let words = said
            .iter()
            .enumerate()
            .map(|(i, w)| Word::new(*w, step * i as f64, step * (i + 1) as f64))
            .collect();
        let segments = if said.is_empty() {
            Vec::new()
        } else {
            vec![Segment::new(0.0, duration, text.clone())]
        };
        Ok(Transcript::new(text)
            .with_segments(segments)
            .with_words(words)
            .with_language(Some(req.language.clone().unwrap_or_else(|| "en".into())))
            .with_duration(speech.seconds))
    }
}
