//! The chat contract every backend implements, conveniences built on it, and the provider
//! entry point that hands out models of every kind.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::capability::ModelCapabilities;
use crate::error::{Error, Result};
use crate::kind::ModelKind;
use crate::model::ModelInfo;
use crate::request::ChatRequest;
use crate::response::ChatResponse;
use crate::stream::ChatStream;
use crate::tasks::{
    BatchModel, ClassificationModel, DocumentConverter, EmbeddingModel, ImageModel, RerankingModel,
    SpeechModel, SummarizationModel, TranscriptionModel, TranslationModel, TurnDetectionModel,
};

/// A configured model of one provider: the contract every backend implements.
///
/// Object-safe: use it as `Arc<dyn ProviderGen>` or `Box<dyn ProviderGen>` to swap providers.
/// Conveniences live in [`ProviderGenExt`], implemented for every `ProviderGen`.
///
/// A backend must refuse a request that needs a capability its model lacks with
/// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) before any network call
/// ([`ModelCapabilities::check`] does it).
#[async_trait]
pub trait ProviderGen: Send + Sync + Debug {
    /// The provider's name, e.g. `cloudflare`.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the configured model can do, per mode.
    fn capabilities(&self) -> ModelCapabilities;

    /// Sends the request and waits for the complete reply.
    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse>;

    /// Sends the request and streams the reply.
    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream>;
}

/// Conveniences for every [`ProviderGen`], including `dyn ProviderGen`.
#[async_trait]
pub trait ProviderGenExt: ProviderGen {
    /// Sends one user prompt and returns the answer text.
    async fn chat(&self, prompt: &str) -> Result<String> {
        Ok(self.gen_sync(&ChatRequest::new().user(prompt)).await?.text)
    }

    /// Streams the request and folds the events into a complete reply.
    async fn gen_stream_collect(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.gen_stream(req).await?.collect_response().await
    }

    /// Asks for JSON following the schema of `T` and decodes the reply into `T`.
    async fn gen_json<T>(&self, req: &ChatRequest) -> Result<T>
    where
        T: JsonSchema + DeserializeOwned + Send,
    {
        let req = req.clone().json_schema_for::<T>();
        self.gen_sync(&req).await?.decode_json()
    }
}

impl<P: ProviderGen + ?Sized> ProviderGenExt for P {}

/// One configured provider (one account, one credential, one base URL) that hands out a model
/// of any kind it offers, and lists its models.
///
/// Each `*_model` method checks, before any request, that the model is of the right kind when
/// the provider knows the model's kind, and fails with
/// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) naming the model's task otherwise.
/// A provider implements the methods of the kinds it offers; the others refuse by default.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{EmbedRequest, Provider};
///
/// async fn embed_and_chat(provider: Arc<dyn Provider>) -> genai_core::Result<()> {
///     let embedder = provider.embedding_model("@cf/baai/bge-base-en-v1.5")?;
///     let vectors = embedder.embed(&EmbedRequest::new(["a cat", "a dog"])).await?;
///     let chat = provider.chat_model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")?;
///     let reply = chat.gen_sync(&genai_core::ChatRequest::new().user("Say hello.")).await?;
///     println!("{} dimensions; {}", vectors.dimensions, reply.text);
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait Provider: Send + Sync + Debug {
    /// The provider's name, e.g. `cloudflare`.
    fn name(&self) -> &str;

    /// Lists the provider's models, each with its kind.
    async fn list_models(&self) -> Result<Vec<ModelInfo>>;

    /// The kind of `model` as far as the provider knows without a request
    /// ([`ModelKind::Unknown`] when it does not know).
    fn kind_of(&self, model: &str) -> ModelKind;

    /// A chat model.
    fn chat_model(&self, model: &str) -> Result<Arc<dyn ProviderGen>> {
        Err(no_kind(self.name(), ModelKind::Chat, model))
    }

    /// An embedding model.
    fn embedding_model(&self, model: &str) -> Result<Arc<dyn EmbeddingModel>> {
        Err(no_kind(self.name(), ModelKind::Embedding, model))
    }

    /// A reranking model.
    fn reranking_model(&self, model: &str) -> Result<Arc<dyn RerankingModel>> {
        Err(no_kind(self.name(), ModelKind::Reranking, model))
    }

    /// A text or image classification model.
    fn classification_model(&self, model: &str) -> Result<Arc<dyn ClassificationModel>> {
        Err(no_kind(self.name(), ModelKind::TextClassification, model))
    }

    /// A translation model.
    fn translation_model(&self, model: &str) -> Result<Arc<dyn TranslationModel>> {
        Err(no_kind(self.name(), ModelKind::Translation, model))
    }

    /// A text-to-image model.
    fn image_model(&self, model: &str) -> Result<Arc<dyn ImageModel>> {
        Err(no_kind(self.name(), ModelKind::TextToImage, model))
    }

    /// A summarisation model.
    fn summarization_model(&self, model: &str) -> Result<Arc<dyn SummarizationModel>> {
        Err(no_kind(self.name(), ModelKind::Summarization, model))
    }

    /// A text-to-speech model.
    fn speech_model(&self, model: &str) -> Result<Arc<dyn SpeechModel>> {
        Err(no_kind(self.name(), ModelKind::TextToSpeech, model))
    }

    /// A speech recognition model.
    fn transcription_model(&self, model: &str) -> Result<Arc<dyn TranscriptionModel>> {
        Err(no_kind(self.name(), ModelKind::SpeechRecognition, model))
    }

    /// A turn detection model.
    fn turn_detection_model(&self, model: &str) -> Result<Arc<dyn TurnDetectionModel>> {
        Err(no_kind(self.name(), ModelKind::TurnDetection, model))
    }

    /// The provider's document converter (PDF, office files, web pages... to Markdown).
    fn document_converter(&self) -> Result<Arc<dyn DocumentConverter>> {
        Err(Error::unsupported(format!(
            "{} offers no document conversion",
            self.name()
        )))
    }

    /// `model` run through the provider's asynchronous batch queue. A model the queue does not
    /// take is refused with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) before
    /// any request; a provider without a queue refuses every model.
    fn batch_model(&self, model: &str) -> Result<Arc<dyn BatchModel>> {
        Err(Error::unsupported(format!(
            "{} has no batch queue (asked for `{model}`)",
            self.name()
        )))
    }
}

fn no_kind(provider: &str, kind: ModelKind, model: &str) -> Error {
    Error::unsupported(format!(
        "{provider} offers no {kind} models (asked for `{model}`)"
    ))
}

/// The error for a model asked for as `wanted` when it is of kind `actual`: the one wording
/// every provider uses.
///
/// ```
/// use genai_core::{wrong_kind, ErrorKind, ModelKind};
/// let e = wrong_kind("@cf/baai/bge-base-en-v1.5", ModelKind::Embedding, ModelKind::Chat);
/// assert_eq!(e.kind(), ErrorKind::Unsupported);
/// assert!(e.message().contains("Text Embeddings"));
/// ```
pub fn wrong_kind(model: &str, actual: ModelKind, wanted: ModelKind) -> Error {
    let actual_name = actual.as_str().replace('_', " ");
    let article = if actual_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Error::unsupported(format!(
        "`{model}` is {article} {actual_name} model ({}); it cannot serve {} requests",
        actual.task_name(),
        wanted.as_str().replace('_', " ")
    ))
}
