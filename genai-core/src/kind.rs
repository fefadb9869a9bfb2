//! What a model does: the kind of model, one per task a provider's catalog names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a model: which trait serves it and which requests it can answer.
///
/// The `snake_case` name ([`ModelKind::as_str`]) is stable (the `genai` CLI prints it and
/// accepts it in `models --task`); [`ModelKind::from_task`] reads a catalog's task name.
///
/// ```
/// use genai_core::ModelKind;
/// assert_eq!(ModelKind::from_task("Text Embeddings"), ModelKind::Embedding);
/// assert_eq!(ModelKind::from_task("Automatic Speech Recognition"), ModelKind::SpeechRecognition);
/// assert_eq!(ModelKind::Embedding.as_str(), "embedding");
/// assert_eq!("text-to-image".parse::<ModelKind>().unwrap(), ModelKind::TextToImage);
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelKind {
    /// Text generation: [`ProviderGen`](crate::ProviderGen).
    Chat,
    /// Text to vectors: [`EmbeddingModel`](crate::EmbeddingModel).
    Embedding,
    /// Documents scored against a query: [`RerankingModel`](crate::RerankingModel).
    Reranking,
    /// Text to labels: [`ClassificationModel`](crate::ClassificationModel).
    TextClassification,
    /// Image to labels: [`ClassificationModel`](crate::ClassificationModel).
    ImageClassification,
    /// Image (and a prompt) to a description.
    ImageToText,
    /// Text from one language to another: [`TranslationModel`](crate::TranslationModel).
    Translation,
    /// Long text to a short one: [`SummarizationModel`](crate::SummarizationModel).
    Summarization,
    /// A prompt (and maybe an image and a mask) to an image.
    TextToImage,
    /// Text to spoken audio.
    TextToSpeech,
    /// Audio to text.
    SpeechRecognition,
    /// Audio to "has the speaker finished their turn?".
    TurnDetection,
    /// Boxes and labels of the objects in an image.
    ObjectDetection,
    /// A task this library does not know.
    #[default]
    Unknown,
}

/// Every kind, for listings and tests.
const ALL: [ModelKind; 14] = [
    ModelKind::Chat,
    ModelKind::Embedding,
    ModelKind::Reranking,
    ModelKind::TextClassification,
    ModelKind::ImageClassification,
    ModelKind::ImageToText,
    ModelKind::Translation,
    ModelKind::Summarization,
    ModelKind::TextToImage,
    ModelKind::TextToSpeech,
    ModelKind::SpeechRecognition,
    ModelKind::TurnDetection,
    ModelKind::ObjectDetection,
    ModelKind::Unknown,
];

impl ModelKind {
    /// Every kind, [`ModelKind::Unknown`] last.
    pub fn all() -> &'static [ModelKind] {
        &ALL
    }

    /// The stable `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat",
            ModelKind::Embedding => "embedding",
            ModelKind::Reranking => "reranking",
            ModelKind::TextClassification => "text_classification",
            ModelKind::ImageClassification => "image_classification",
            ModelKind::ImageToText => "image_to_text",
            ModelKind::Translation => "translation",
            ModelKind::Summarization => "summarization",
            ModelKind::TextToImage => "text_to_image",
            ModelKind::TextToSpeech => "text_to_speech",
            ModelKind::SpeechRecognition => "speech_recognition",
            ModelKind::TurnDetection => "turn_detection",
            ModelKind::ObjectDetection => "object_detection",
            ModelKind::Unknown => "unknown",
        }
    }

    /// The task name a catalog such as Cloudflare's uses for this kind.
    pub fn task_name(self) -> &'static str {
        match self {
            ModelKind::Chat => "Text Generation",
            ModelKind::Embedding => "Text Embeddings",
            ModelKind::Reranking => "Reranking",
            ModelKind::TextClassification => "Text Classification",
            ModelKind::ImageClassification => "Image Classification",
            ModelKind::ImageToText => "Image-to-Text",
            ModelKind::Translation => "Translation",
            ModelKind::Summarization => "Summarization",
            ModelKind::TextToImage => "Text-to-Image",
            ModelKind::TextToSpeech => "Text-to-Speech",
            ModelKind::SpeechRecognition => "Automatic Speech Recognition",
            ModelKind::TurnDetection => "Voice Activity Detection",
            ModelKind::ObjectDetection => "Object Detection",
            ModelKind::Unknown => "Unknown",
        }
    }

    /// The kind of a catalog task name (`Text Generation`, `Text-to-Image`...), compared
    /// without regard to case, spaces, `-` or `_`; [`ModelKind::Unknown`] when none matches.
    pub fn from_task(task: &str) -> ModelKind {
        let key = fold(task);
        ALL.iter()
            .copied()
            .find(|k| fold(k.task_name()) == key || fold(k.as_str()) == key)
            .unwrap_or(match key.as_str() {
                "textgeneration" | "chatcompletion" | "llm" => ModelKind::Chat,
                "embeddings" | "textembedding" => ModelKind::Embedding,
                "rerank" | "reranker" => ModelKind::Reranking,
                "speechtotext" | "transcription" | "asr" => ModelKind::SpeechRecognition,
                "tts" | "speech" => ModelKind::TextToSpeech,
                "imagegeneration" | "image" => ModelKind::TextToImage,
                "summarisation" => ModelKind::Summarization,
                _ => ModelKind::Unknown,
            })
    }

    /// Whether models of this kind read images.
    pub fn reads_images(self) -> bool {
        matches!(
            self,
            ModelKind::ImageClassification | ModelKind::ImageToText | ModelKind::ObjectDetection
        )
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ModelKind {
    type Err = crate::Error;

    /// Reads a kind name or a catalog task name; an unknown name is an
    /// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) error listing the kinds.
    fn from_str(s: &str) -> crate::Result<Self> {
        match ModelKind::from_task(s) {
            ModelKind::Unknown if fold(s) != "unknown" => {
                let names: Vec<&str> = ALL.iter().map(|k| k.as_str()).collect();
                Err(crate::Error::invalid_request(format!(
                    "unknown model kind `{s}`; expected one of: {}",
                    names.join(", ")
                )))
            }
            kind => Ok(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &kind in ModelKind::all() {
            assert_eq!(ModelKind::from_task(kind.as_str()), kind, "{kind}");
            assert_eq!(ModelKind::from_task(kind.task_name()), kind, "{kind}");
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(ModelKind::from_task("Dumb Pipe"), ModelKind::Unknown);
        assert!("nonsense".parse::<ModelKind>().is_err());
        assert_eq!("Unknown".parse::<ModelKind>().unwrap(), ModelKind::Unknown);
    }
}
