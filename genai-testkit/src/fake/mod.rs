//! A fake backend of every kind, with no network: a model of each kind that honestly does its
//! task in a simple way, and [`ScriptedCatalog`], the fake [`Provider`] that hands them out.
//!
//! | kind | fake | what it does |
//! |---|---|---|
//! | chat | [`ScriptedChat`] | passes the whole chat suite; [`Misbehaviour`] knobs make it lie |
//! | embedding | [`ScriptedEmbedder`] | bags of words hashed into 256 dimensions |
//! | reranking | [`ScriptedReranker`] | documents scored by the query's words they share |
//! | classification | [`ScriptedClassifier`] | texts by feeling, PNGs by colour |
//! | translation | [`ScriptedTranslator`] | English to French from a small dictionary |
//! | summarization | [`ScriptedSummarizer`] | the first sentence within the asked length |
//! | image | [`ScriptedImageModel`] | a PNG of the asked size in the colour the prompt names |
//! | speech | [`ScriptedSpeech`] | a WAV that carries its transcript |
//! | transcription | [`ScriptedTranscriber`] | hears the transcript such a file carries |
//! | turn | [`ScriptedTurnDetector`] | complete when the audio ends in silence |
//! | document | [`ScriptedConverter`] | text, Markdown, CSV and HTML to text |
//! | batch | [`ScriptedBatch`] | the queue of a catalog model, done at the first poll |
//!
//! Each declares its capabilities and refuses what they exclude before any "request", like a
//! real backend, so every kind's conformance scenarios pass on it
//! ([`crate::scenarios`]).
//!
//! ```
//! use genai_core::Provider;
//! use genai_testkit::fake::ScriptedCatalog;
//! use genai_testkit::scenarios::run_embedding_scenarios;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let provider = ScriptedCatalog::every_kind("fake");
//! let embedder = provider.embedding_model("fake/embedding").unwrap();
//! assert!(run_embedding_scenarios(embedder.as_ref()).await.iter().all(|c| c.passed()));
//! # });
//! ```

mod batch;
mod chat;
mod classification;
mod document;
mod embedding;
mod image;
mod reranking;
mod speech;
mod summarization;
mod transcription;
mod translation;
mod turn;

use std::sync::Arc;

use async_trait::async_trait;
use genai_core::{
    BatchModel, ClassificationModel, DocumentConverter, EmbeddingModel, Error, ErrorKind,
    ImageModel, ModelCapabilities, ModelInfo, ModelKind, Provider, ProviderGen, RerankingModel,
    SpeechModel, SummarizationModel, TranscriptionModel, TranslationModel, TurnDetectionModel,
};

pub use batch::ScriptedBatch;
pub use chat::{Misbehaviour, ScriptedChat};
pub use classification::ScriptedClassifier;
pub use document::ScriptedConverter;
pub use embedding::ScriptedEmbedder;
pub use image::ScriptedImageModel;
pub use reranking::ScriptedReranker;
pub use speech::ScriptedSpeech;
pub use summarization::ScriptedSummarizer;
pub use transcription::ScriptedTranscriber;
pub use translation::ScriptedTranslator;
pub use turn::ScriptedTurnDetector;

/// The lower-case words of `text`, without punctuation.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// One model of a [`ScriptedCatalog`], of any kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ScriptedModel {
    /// A chat model.
    Chat(Arc<ScriptedChat>),
    /// A chat model listed as image to text (it describes the pictures it is given).
    ImageToText(Arc<ScriptedChat>),
    /// An embedding model.
    Embedding(Arc<ScriptedEmbedder>),
    /// A reranking model.
    Reranking(Arc<ScriptedReranker>),
    /// A classifier of texts, images or both.
    Classification(Arc<ScriptedClassifier>),
    /// A translator.
    Translation(Arc<ScriptedTranslator>),
    /// A summariser.
    Summarization(Arc<ScriptedSummarizer>),
    /// A text-to-image model.
    Image(Arc<ScriptedImageModel>),
    /// A text-to-speech model.
    Speech(Arc<ScriptedSpeech>),
    /// A speech recogniser.
    Transcription(Arc<ScriptedTranscriber>),
    /// A turn detector.
    Turn(Arc<ScriptedTurnDetector>),
}

impl ScriptedModel {
    /// The model's id.
    pub fn id(&self) -> &str {
        match self {
            ScriptedModel::Chat(m) | ScriptedModel::ImageToText(m) => m.model(),
            ScriptedModel::Embedding(m) => &m.model,
            ScriptedModel::Reranking(m) => &m.model,
            ScriptedModel::Classification(m) => &m.model,
            ScriptedModel::Translation(m) => &m.model,
            ScriptedModel::Summarization(m) => &m.model,
            ScriptedModel::Image(m) => &m.model,
            ScriptedModel::Speech(m) => &m.model,
            ScriptedModel::Transcription(m) => &m.model,
            ScriptedModel::Turn(m) => &m.model,
        }
    }

    /// The model's kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            ScriptedModel::Chat(_) => ModelKind::Chat,
            ScriptedModel::ImageToText(_) => ModelKind::ImageToText,
            ScriptedModel::Embedding(_) => ModelKind::Embedding,
            ScriptedModel::Reranking(_) => ModelKind::Reranking,
            ScriptedModel::Classification(m) if m.capabilities().text => {
                ModelKind::TextClassification
            }
            ScriptedModel::Classification(_) => ModelKind::ImageClassification,
            ScriptedModel::Translation(_) => ModelKind::Translation,
            ScriptedModel::Summarization(_) => ModelKind::Summarization,
            ScriptedModel::Image(_) => ModelKind::TextToImage,
            ScriptedModel::Speech(_) => ModelKind::TextToSpeech,
            ScriptedModel::Transcription(_) => ModelKind::SpeechRecognition,
            ScriptedModel::Turn(_) => ModelKind::TurnDetection,
        }
    }

    /// The chat capabilities a catalog lists (chat models only; text in and out otherwise).
    fn chat_capabilities(&self) -> ModelCapabilities {
        match self {
            ScriptedModel::Chat(m) | ScriptedModel::ImageToText(m) => m.capabilities(),
            _ => ModelCapabilities::default(),
        }
    }
}

macro_rules! scripted_model_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for ScriptedModel {
            fn from(model: $ty) -> Self {
                ScriptedModel::$variant(Arc::new(model))
            }
        }
    )*};
}

scripted_model_from!(
    Chat(ScriptedChat),
    Embedding(ScriptedEmbedder),
    Reranking(ScriptedReranker),
    Classification(ScriptedClassifier),
    Translation(ScriptedTranslator),
    Summarization(ScriptedSummarizer),
    Image(ScriptedImageModel),
    Speech(ScriptedSpeech),
    Transcription(ScriptedTranscriber),
    Turn(ScriptedTurnDetector),
);

/// A fake [`Provider`]: a catalog of scripted models of any kind (and a document converter),
/// so anything that takes a whole provider (the scoreboard run, for one) can run without a
/// network. A model is handed out only as its own kind; with [`with_queue`](Self::with_queue)
/// the models of the kinds the queue takes also have a [`ScriptedBatch`].
///
/// ```
/// use genai_core::Provider;
/// use genai_testkit::fake::{ScriptedCatalog, ScriptedChat, ScriptedEmbedder};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let catalog = ScriptedCatalog::new("my-backend")
///     .with_model(ScriptedChat::new("my/model"))
///     .with_model(ScriptedEmbedder::new("my/embedder"));
/// assert_eq!(catalog.list_models().await.unwrap()[0].id, "my/model");
/// assert_eq!(catalog.chat_model("my/model").unwrap().model(), "my/model");
/// assert!(catalog.chat_model("my/embedder").is_err());
/// assert!(catalog.embedding_model("my/embedder").is_ok());
/// assert!(catalog.chat_model("other").is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedCatalog {
    name: String,
    models: Vec<ScriptedModel>,
    queue: bool,
}

impl ScriptedCatalog {
    /// A provider called `name`, with no model yet.
    pub fn new(name: impl Into<String>) -> Self {
        ScriptedCatalog {
            name: name.into(),
            models: Vec::new(),
            queue: false,
        }
    }

    /// A provider called `name` with one model of every kind, named after its kind
    /// (`fake/chat`, `fake/image-to-text`, `fake/embedding`, `fake/reranking`,
    /// `fake/classification`, `fake/translation`, `fake/summarization`, `fake/image`,
    /// `fake/speech`, `fake/transcription`, `fake/turn`), and the queue.
    pub fn every_kind(name: impl Into<String>) -> Self {
        let mut vision = ScriptedChat::all_capabilities();
        vision.input.image = true;
        let describer =
            ScriptedChat::new("fake/image-to-text").with_capabilities(ModelCapabilities {
                sync: vision,
                stream: vision,
            });
        ScriptedCatalog::new(name)
            .with_model(ScriptedChat::new("fake/chat"))
            .with_model(ScriptedModel::ImageToText(Arc::new(describer)))
            .with_model(ScriptedEmbedder::new("fake/embedding"))
            .with_model(ScriptedReranker::new("fake/reranking"))
            .with_model(ScriptedClassifier::new("fake/classification"))
            .with_model(ScriptedTranslator::new("fake/translation"))
            .with_model(ScriptedSummarizer::new("fake/summarization"))
            .with_model(ScriptedImageModel::new("fake/image"))
            .with_model(ScriptedSpeech::new("fake/speech"))
            .with_model(ScriptedTranscriber::new("fake/transcription"))
            .with_model(ScriptedTurnDetector::new("fake/turn"))
            .with_queue()
    }

    /// Adds a model of any kind to the catalog.
    pub fn with_model(mut self, model: impl Into<ScriptedModel>) -> Self {
        self.models.push(model.into());
        self
    }

    /// Runs the models of the kinds the queue takes through a [`ScriptedBatch`] too (their
    /// catalog entries say so, and the scoreboard fills their Batch cell).
    pub fn with_queue(mut self) -> Self {
        self.queue = true;
        self
    }

    fn find(&self, model: &str) -> Result<&ScriptedModel, Error> {
        self.models.iter().find(|m| m.id() == model).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("`{model}` is not a model of {}", self.name),
            )
        })
    }

    /// The refusal of `model` as a model of another kind.
    fn not(&self, model: &ScriptedModel, wanted: ModelKind) -> Error {
        genai_core::wrong_kind(model.id(), model.kind(), wanted).with_provider(self.name.clone())
    }
}

#[async_trait]
impl Provider for ScriptedCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, Error> {
        Ok(self
            .models
            .iter()
            .map(|m| {
                let mut info = ModelInfo::new(m.id());
                info.kind = m.kind();
                info.task = Some(m.kind().task_name().to_owned());
                info.capabilities = m.chat_capabilities();
                info.batch = self.queue && ScriptedBatch::new(m.clone()).is_some();
                info
            })
            .collect())
    }

    fn kind_of(&self, model: &str) -> ModelKind {
        self.find(model)
            .map_or(ModelKind::Unknown, ScriptedModel::kind)
    }

    fn chat_model(&self, model: &str) -> Result<Arc<dyn ProviderGen>, Error> {
        match self.find(model)? {
            ScriptedModel::Chat(m) | ScriptedModel::ImageToText(m) => {
                Ok(Arc::clone(m) as Arc<dyn ProviderGen>)
            }
            other => Err(self.not(other, ModelKind::Chat)),
        }
    }

    fn embedding_model(&self, model: &str) -> Result<Arc<dyn EmbeddingModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Embedding(m) => Ok(Arc::clone(m) as Arc<dyn EmbeddingModel>),
            other => Err(self.not(other, ModelKind::Embedding)),
        }
    }

    fn reranking_model(&self, model: &str) -> Result<Arc<dyn RerankingModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Reranking(m) => Ok(Arc::clone(m) as Arc<dyn RerankingModel>),
            other => Err(self.not(other, ModelKind::Reranking)),
        }
    }

    fn classification_model(&self, model: &str) -> Result<Arc<dyn ClassificationModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Classification(m) => Ok(Arc::clone(m) as Arc<dyn ClassificationModel>),
            other => Err(self.not(other, ModelKind::TextClassification)),
        }
    }

    fn translation_model(&self, model: &str) -> Result<Arc<dyn TranslationModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Translation(m) => Ok(Arc::clone(m) as Arc<dyn TranslationModel>),
            other => Err(self.not(other, ModelKind::Translation)),
        }
    }

    fn image_model(&self, model: &str) -> Result<Arc<dyn ImageModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Image(m) => Ok(Arc::clone(m) as Arc<dyn ImageModel>),
            other => Err(self.not(other, ModelKind::TextToImage)),
        }
    }

    fn summarization_model(&self, model: &str) -> Result<Arc<dyn SummarizationModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Summarization(m) => Ok(Arc::clone(m) as Arc<dyn SummarizationModel>),
            other => Err(self.not(other, ModelKind::Summarization)),
        }
    }

    fn speech_model(&self, model: &str) -> Result<Arc<dyn SpeechModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Speech(m) => Ok(Arc::clone(m) as Arc<dyn SpeechModel>),
            other => Err(self.not(other, ModelKind::TextToSpeech)),
        }
    }

    fn transcription_model(&self, model: &str) -> Result<Arc<dyn TranscriptionModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Transcription(m) => Ok(Arc::clone(m) as Arc<dyn TranscriptionModel>),
            other => Err(self.not(other, ModelKind::SpeechRecognition)),
        }
    }

    fn turn_detection_model(&self, model: &str) -> Result<Arc<dyn TurnDetectionModel>, Error> {
        match self.find(model)? {
            ScriptedModel::Turn(m) => Ok(Arc::clone(m) as Arc<dyn TurnDetectionModel>),
            other => Err(self.not(other, ModelKind::TurnDetection)),
        }
    }

    fn document_converter(&self) -> Result<Arc<dyn DocumentConverter>, Error> {
        Ok(Arc::new(ScriptedConverter::new()))
    }

    fn batch_model(&self, model: &str) -> Result<Arc<dyn BatchModel>, Error> {
        let found = self.find(model)?;
        match ScriptedBatch::new(found.clone()).filter(|_| self.queue) {
            Some(batch) => Ok(Arc::new(batch)),
            None => Err(Error::unsupported(format!(
                "{} runs no batch queue for `{model}`",
                self.name
            ))
            .with_provider(self.name.clone())),
        }
    }
}

#[cfg(test)]
mod tests;
