//! [`WorkersAi`]: the provider entry point that hands out a model of any kind.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock};

use genai_core::{
    async_trait, wrong_kind, BatchModel, ClassificationModel, DocumentConverter, EmbeddingModel,
    Error, ImageModel, ModelInfo, ModelKind, Provider, ProviderGen, RerankingModel, Result,
    SpeechModel, SummarizationModel, TranscriptionModel, TranslationModel, TurnDetectionModel,
};

use crate::catalog;
use crate::chat::client::CloudflareChat;
use crate::errors::PROVIDER;
use crate::tasks::{
    CloudflareBatch, CloudflareClassifier, CloudflareConverter, CloudflareEmbedder,
    CloudflareImageModel, CloudflareReranker, CloudflareSpeech, CloudflareSummarizer,
    CloudflareTranscriber, CloudflareTranslator, CloudflareTurnDetector,
};
use crate::transport::{normalize_model, Transport};

/// Workers AI for one account: hands out chat, embedding, reranking, classification,
/// translation and summarisation models over one connection pool, and lists the catalog.
/// Cheap to clone (an `Arc` inside).
///
/// A model's kind comes from the catalog once [`list_models`](Provider::list_models) has read
/// it, and from a built-in table before that; a model asked for as the wrong kind is refused
/// with [`ErrorKind::Unsupported`](genai_core::ErrorKind::Unsupported), naming its task,
/// before any request. An id neither knows is handed out as asked (the service judges).
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::{ErrorKind, ModelKind, Provider};
/// let provider = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .build_provider()
///     .unwrap();
/// assert_eq!(provider.kind_of("@cf/baai/bge-m3"), ModelKind::Embedding);
/// let chat = provider.chat_model("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
/// assert_eq!(chat.model(), "@cf/meta/llama-3.3-70b-instruct-fp8-fast");
/// let err = provider.chat_model("@cf/baai/bge-m3").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// assert!(err.message().contains("Text Embeddings"));
/// ```
#[derive(Clone)]
pub struct WorkersAi {
    pub(crate) transport: Arc<Transport>,
    /// Kinds read from the catalog, by model id.
    kinds: Arc<RwLock<HashMap<String, ModelKind>>>,
    /// The models whose catalog entry has `async_queue`, once the catalog was read.
    queue: Arc<RwLock<Option<HashSet<String>>>>,
}

impl fmt::Debug for WorkersAi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkersAi")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl WorkersAi {
    pub(crate) fn over(transport: Arc<Transport>) -> WorkersAi {
        WorkersAi {
            transport,
            kinds: Arc::default(),
            queue: Arc::default(),
        }
    }

    /// Whether `model` takes the async batch queue: the catalog says once read, the built-in
    /// list before.
    pub(crate) fn takes_queue(&self, model: &str) -> bool {
        let id = model.trim().trim_start_matches('/').to_ascii_lowercase();
        match self.queue.read().ok().as_deref() {
            Some(Some(listed)) => listed.contains(&id),
            _ => crate::tasks::builtin_queue(&id),
        }
    }

    /// The models this library knows that no catalog lists any more: retired ids (with their
    /// retirement day and replacements) and aliases another model answers. `genai models
    /// --all` shows them after the catalog.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::ModelStatus;
    /// let provider = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("my-token")
    ///     .build_provider()
    ///     .unwrap();
    /// let gone = provider.retired_models();
    /// assert!(gone.iter().any(|m| m.id == "@cf/microsoft/phi-2" && m.status == ModelStatus::Retired));
    /// ```
    pub fn retired_models(&self) -> Vec<ModelInfo> {
        crate::facts::all()
            .iter()
            .filter(|f| !f.in_catalog())
            .map(catalog::info_from_facts)
            .collect()
    }

    /// The chat client of `model`, as the concrete type (with its [`Family`](crate::Family)).
    pub fn chat(&self, model: &str) -> Result<CloudflareChat> {
        let model = self.checked(model, ModelKind::Chat)?;
        Ok(CloudflareChat::over(self.transport.clone(), model))
    }

    /// Normalises `model` and refuses it when its known kind is not `wanted` (unless
    /// capability checks are off).
    pub(crate) fn checked(&self, model: &str, wanted: ModelKind) -> Result<String> {
        let model = normalize_model(model).map_err(|e| e.with_provider(PROVIDER))?;
        if self.transport.check_capabilities {
            if let Some(retired) = crate::facts::retired_error(&model) {
                return Err(retired);
            }
            if crate::facts::lookup(&model).is_some_and(|f| f.websocket_only) {
                return Err(Error::unsupported(format!(
                    "`{model}` is served over a WebSocket only (it streams turn events while \
                     the audio plays); this library calls models over HTTP. For a recording, \
                     use `@cf/deepgram/nova-3` or `@cf/openai/whisper-large-v3-turbo`"
                ))
                .with_provider(PROVIDER));
            }
        }
        let kind = self.kind_of(&model);
        let compatible = kind == wanted
            || kind == ModelKind::Unknown
            || (wanted == ModelKind::TextClassification && kind == ModelKind::ImageClassification)
            // Image-to-text models answer through chat: an image and a prompt in, text out.
            || (wanted == ModelKind::Chat && kind == ModelKind::ImageToText)
            // Summaries are written by a chat model prompted to summarise.
            || (wanted == ModelKind::Summarization && kind == ModelKind::Chat);
        if !compatible && self.transport.check_capabilities {
            let others: Vec<String> = catalog::known_ids()
                .into_iter()
                .filter(|id| self.kind_of(id) == wanted)
                .take(3)
                .map(|id| format!("`{id}`"))
                .collect();
            let mut err = wrong_kind(&model, kind, wanted);
            if !others.is_empty() {
                err = err.with_hint(format!(
                    "{} models: {}",
                    wanted.as_str().replace('_', " "),
                    others.join(", ")
                ));
            }
            return Err(err.with_provider(PROVIDER));
        }
        Ok(model)
    }
}

impl CloudflareChat {
    /// The provider this client's account and settings belong to, to get models of other
    /// kinds (embeddings, reranking...) or list the catalog.
    pub fn provider(&self) -> WorkersAi {
        WorkersAi::over(self.inner.transport.clone())
    }
}

/// The models of each kind, as their concrete types.
impl WorkersAi {
    /// A text or image classification model, as the concrete type.
    pub fn classifier(&self, model: &str) -> Result<CloudflareClassifier> {
        let model = self.checked(model, ModelKind::TextClassification)?;
        let image = Provider::kind_of(self, &model) == ModelKind::ImageClassification;
        Ok(CloudflareClassifier::over(
            self.transport.clone(),
            model,
            image,
        ))
    }

    /// The document converter (`/ai/tomarkdown`), as the concrete type.
    pub fn converter(&self) -> CloudflareConverter {
        CloudflareConverter::over(self.transport.clone())
    }

    /// A text embedding model, as the concrete type.
    pub fn embedder(&self, model: &str) -> Result<CloudflareEmbedder> {
        let model = self.checked(model, ModelKind::Embedding)?;
        Ok(CloudflareEmbedder::over(self.transport.clone(), model))
    }

    /// A text-to-image model, as the concrete type.
    pub fn image_generator(&self, model: &str) -> Result<CloudflareImageModel> {
        let model = self.checked(model, ModelKind::TextToImage)?;
        Ok(CloudflareImageModel::over(self.transport.clone(), model))
    }

    /// A reranking model, as the concrete type. `@cf/baai/bge-m3` is accepted too.
    pub fn reranker(&self, model: &str) -> Result<CloudflareReranker> {
        let model = self.checked(model, CloudflareReranker::wanted_kind(model))?;
        Ok(CloudflareReranker::over(self.transport.clone(), model))
    }

    /// A text-to-speech model, as the concrete type.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::{ErrorKind, SpeechModel};
    /// let provider = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("my-token")
    ///     .build_provider()
    ///     .unwrap();
    /// let aura = provider.speech("@cf/deepgram/aura-1").unwrap();
    /// assert_eq!(aura.capabilities().voices[0], "angus");
    /// assert_eq!(provider.speech("@cf/baai/bge-m3").unwrap_err().kind(), ErrorKind::Unsupported);
    /// ```
    pub fn speech(&self, model: &str) -> Result<CloudflareSpeech> {
        let model = self.checked(model, ModelKind::TextToSpeech)?;
        Ok(CloudflareSpeech::over(self.transport.clone(), model))
    }

    /// A speech recognition model, as the concrete type.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::{Support, TranscriptionModel};
    /// let provider = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("my-token")
    ///     .build_provider()
    ///     .unwrap();
    /// let turbo = provider.transcriber("@cf/openai/whisper-large-v3-turbo").unwrap();
    /// assert_eq!(turbo.capabilities().prompt, Support::Supported);
    /// ```
    pub fn transcriber(&self, model: &str) -> Result<CloudflareTranscriber> {
        let model = self.checked(model, ModelKind::SpeechRecognition)?;
        Ok(CloudflareTranscriber::over(self.transport.clone(), model))
    }

    /// A turn detection model, as the concrete type.
    pub fn turn_detector(&self, model: &str) -> Result<CloudflareTurnDetector> {
        let model = self.checked(model, ModelKind::TurnDetection)?;
        Ok(CloudflareTurnDetector::over(self.transport.clone(), model))
    }

    /// A translation model, as the concrete type.
    pub fn translator(&self, model: &str) -> Result<CloudflareTranslator> {
        let model = self.checked(model, ModelKind::Translation)?;
        Ok(CloudflareTranslator::over(self.transport.clone(), model))
    }

    /// A summariser, as the concrete type: a chat model prompted to summarise (Workers AI's
    /// summarisation model retired; [`DEFAULT_SUMMARY_MODEL`](crate::DEFAULT_SUMMARY_MODEL)
    /// is the documented default) or a summarisation model.
    pub fn summarizer(&self, model: &str) -> Result<CloudflareSummarizer> {
        let model = self.checked(model, ModelKind::Summarization)?;
        Ok(CloudflareSummarizer::over(self.transport.clone(), model))
    }

    /// `model` run through the asynchronous batch queue, as the concrete type. A model whose
    /// catalog entry (or, before the catalog is read, the built-in list) has no `async_queue`,
    /// or whose kind this library cannot batch yet, is refused with
    /// [`ErrorKind::Unsupported`](genai_core::ErrorKind::Unsupported) before any request.
    pub fn batch(&self, model: &str) -> Result<CloudflareBatch> {
        let model = normalize_model(model).map_err(|e| e.with_provider(PROVIDER))?;
        let refuse = |msg: String| Error::unsupported(msg).with_provider(PROVIDER);
        if self.transport.check_capabilities {
            if let Some(retired) = crate::facts::retired_error(&model) {
                return Err(retired);
            }
        }
        if !self.takes_queue(&model) {
            return Err(refuse(format!(
                "`{model}` does not take the async batch queue (its catalog entry has no \
                 `async_queue`); run its requests one by one instead"
            )));
        }
        let kind = self.kind_of(&model);
        if kind == ModelKind::SpeechRecognition {
            return Err(refuse(format!(
                "`{model}` reads its audio as a byte stream, which a queued batch's JSON cannot \
                 carry; transcribe the recordings one by one instead"
            )));
        }
        if !matches!(
            kind,
            ModelKind::Chat
                | ModelKind::Embedding
                | ModelKind::Translation
                | ModelKind::TextToSpeech
                | ModelKind::TurnDetection
        ) {
            return Err(refuse(format!(
                "`{model}` is a {} model ({}); batches of this kind are not supported yet \
                 (chat, embedding, translation, text-to-speech and turn detection models are)",
                kind.as_str().replace('_', " "),
                kind.task_name()
            )));
        }
        Ok(CloudflareBatch::over(self.transport.clone(), model, kind))
    }
}

#[async_trait]
impl Provider for WorkersAi {
    fn name(&self) -> &str {
        PROVIDER
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>> {
        let models = catalog::list(&self.transport)
            .await
            .map_err(|e| self.transport.redact(e))?;
        // The live catalog's prices replace the built-in ones for every model of this client.
        self.transport.metering.set_prices(
            models
                .iter()
                .filter_map(|m| Some((m.id.clone(), m.price.clone()?))),
        );
        if let Ok(mut kinds) = self.kinds.write() {
            for m in &models {
                kinds.insert(m.id.to_ascii_lowercase(), m.kind);
            }
        }
        if let Ok(mut queue) = self.queue.write() {
            let listed = models
                .iter()
                .filter(|m| m.batch)
                .map(|m| m.id.to_ascii_lowercase());
            *queue = Some(listed.collect());
        }
        Ok(models)
    }

    fn kind_of(&self, model: &str) -> ModelKind {
        let id = model.trim().trim_start_matches('/').to_ascii_lowercase();
        let listed = self.kinds.read().ok().and_then(|k| k.get(&id).copied());
        match listed {
            Some(kind) if kind != ModelKind::Unknown => kind,
            _ => catalog::builtin_kind(&id),
        }
    }

    fn chat_model(&self, model: &str) -> Result<Arc<dyn ProviderGen>> {
        Ok(Arc::new(self.chat(model)?))
    }

    fn embedding_model(&self, model: &str) -> Result<Arc<dyn EmbeddingModel>> {
        Ok(Arc::new(self.embedder(model)?))
    }

    fn reranking_model(&self, model: &str) -> Result<Arc<dyn RerankingModel>> {
        Ok(Arc::new(self.reranker(model)?))
    }

    fn classification_model(&self, model: &str) -> Result<Arc<dyn ClassificationModel>> {
        Ok(Arc::new(self.classifier(model)?))
    }

    fn translation_model(&self, model: &str) -> Result<Arc<dyn TranslationModel>> {
        Ok(Arc::new(self.translator(model)?))
    }

    fn summarization_model(&self, model: &str) -> Result<Arc<dyn SummarizationModel>> {
        Ok(Arc::new(self.summarizer(model)?))
    }

    fn speech_model(&self, model: &str) -> Result<Arc<dyn SpeechModel>> {
        Ok(Arc::new(self.speech(model)?))
    }

    fn transcription_model(&self, model: &str) -> Result<Arc<dyn TranscriptionModel>> {
        Ok(Arc::new(self.transcriber(model)?))
    }

    fn turn_detection_model(&self, model: &str) -> Result<Arc<dyn TurnDetectionModel>> {
        Ok(Arc::new(self.turn_detector(model)?))
    }

    fn batch_model(&self, model: &str) -> Result<Arc<dyn BatchModel>> {
        Ok(Arc::new(self.batch(model)?))
    }

    fn document_converter(&self) -> Result<Arc<dyn DocumentConverter>> {
        Ok(Arc::new(self.converter()))
    }

    fn image_model(&self, model: &str) -> Result<Arc<dyn ImageModel>> {
        Ok(Arc::new(self.image_generator(model)?))
    }
}
