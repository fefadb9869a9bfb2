//! # genai-core
//!
//! One trait, [`ProviderGen`], to talk to large language models, and everything around it:
//! [`ChatRequest`] with its messages, tools and options, [`ChatResponse`] with usage and finish
//! reason, [`ChatStream`] of [`StreamEvent`]s, per-mode [`Capabilities`], one [`Error`] type,
//! and the [`http`] plumbing (SSE framing, retries, deadlines) backends share.
//!
//! ```
//! use std::sync::Arc;
//! use genai_core::{ChatRequest, ProviderGen};
//!
//! async fn ask(provider: Arc<dyn ProviderGen>) -> genai_core::Result<String> {
//!     let reply = provider.gen_sync(&ChatRequest::new().user("Say hello.")).await?;
//!     Ok(reply.text)
//! }
//! ```
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod agent;
mod capability;
mod cost;
mod document_chat;
mod error;
mod fallback;
pub mod http;
mod kind;
mod limits;
mod media;
mod media_file;
mod media_reply;
mod model;
#[cfg(feature = "otel")]
pub mod otel;
mod provider;
mod request;
mod response;
mod stream;
mod tasks;
pub mod telemetry;
pub mod text;
mod tool;
mod tool_schema;
mod wav;

pub use agent::{Agent, AgentRun, Tool, DEFAULT_MAX_STEPS};
pub use capability::{Capabilities, Modalities, Mode, ModelCapabilities, Support};
pub use cost::{
    tiles_512, Budget, Charge, Cost, CostSource, CostTotal, Metered, Price, PriceUnit,
    USD_PER_NEURON,
};
pub use document_chat::DocumentChat;
pub use error::{Error, ErrorKind, Result};
pub use fallback::{
    falls_over, FallbackChat, FallbackClassifier, FallbackEmbedder, FallbackImageGenerator,
    FallbackReranker, FallbackSpeech, FallbackStream, FallbackSummarizer, FallbackTranscriber,
    FallbackTranslator, FallbackTurnDetector, Served,
};
pub use kind::ModelKind;
pub use limits::{RateLimit, RateLimiter};
pub use media::{decode_base64, sniff_media_type, Media};
pub use media_file::{MediaFile, MediaSource};
pub use media_reply::{MediaClass, MediaReply, MediaSummary};
pub use model::{ModelInfo, ModelStatus};
pub use provider::{wrong_kind, Provider, ProviderGen, ProviderGenExt};
pub use request::{ChatRequest, Message, ReasoningEffort, ResponseFormat, MAX_TOP_LOGPROBS};
pub use response::{
    Attempt, ChatResponse, ErrorSummary, FinishReason, GuardVerdict, TokenLogprob, TopLogprob,
    Usage,
};
pub use stream::{ChatStream, ResponseAccumulator, StreamEvent};
pub use tasks::{
    cosine, document_type, image_size, plan_chunks, replace_file, BatchCapabilities, BatchChunk,
    BatchEvent, BatchFingerprint, BatchItem, BatchJob, BatchLine, BatchModel, BatchOutput,
    BatchRequest, BatchResult, BatchState, BatchStatus, BatchTally, ChunkState, Classification,
    ClassificationCapabilities, ClassificationModel, ClassifyInput, ClassifyRequest, Conversion,
    ConversionOptions, ConvertRequest, ConvertedFile, ConvertedText, Document,
    DocumentCapabilities, DocumentConverter, DocumentFormat, EmbedRequest, EmbeddingCapabilities,
    EmbeddingModel, Embeddings, GeneratedImage, ImageCapabilities, ImageModel, ImageRequest, Label,
    PollPolicy, Pooling, Range, RankedDocument, Ranking, RerankRequest, RerankingCapabilities,
    RerankingModel, ResumableBatch, Segment, SpeechCapabilities, SpeechModel, SpeechRequest,
    SummarizationCapabilities, SummarizationModel, SummarizeRequest, Summary, TextFormat,
    TranscribeRequest, Transcript, TranscriptionCapabilities, TranscriptionModel, TranslateRequest,
    Translation, TranslationCapabilities, TranslationModel, TurnDetection,
    TurnDetectionCapabilities, TurnDetectionModel, TurnRequest, Word,
};
pub use tool::{ToolCall, ToolChoice, ToolDef};
pub use tool_schema::ArgumentCoercion;
pub use wav::{wav_chunks, Wav, WavChunk, WavChunks, WavError, WAV_FORMAT_FLOAT, WAV_FORMAT_PCM};

/// Re-exported so backends and users share one version.
pub use async_trait::async_trait;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
