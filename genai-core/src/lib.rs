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

mod capability;
mod error;
pub mod http;
mod kind;
mod media;
mod media_reply;
mod model;
mod provider;
mod request;
mod response;
pub mod scoreboard;
mod stream;
mod tasks;
pub mod text;

pub use capability::{Capabilities, Modalities, Mode, ModelCapabilities, Support};
pub use error::{Error, ErrorKind, Result};
pub use kind::ModelKind;
pub use media::{decode_base64, sniff_media_type, Media};
pub use media_reply::{MediaReply, MediaSummary};
pub use model::ModelInfo;
pub use provider::{wrong_kind, Provider, ProviderGen, ProviderGenExt};
pub use request::{ChatRequest, Message, ResponseFormat, ToolCall, ToolChoice, ToolDef};
pub use response::{ChatResponse, FinishReason, Usage};
pub use stream::{ChatStream, ResponseAccumulator, StreamEvent};
pub use tasks::{
    cosine, image_size, Classification, ClassificationCapabilities, ClassificationModel,
    ClassifyInput, ClassifyRequest, EmbedRequest, EmbeddingCapabilities, EmbeddingModel,
    Embeddings, GeneratedImage, ImageCapabilities, ImageModel, ImageRequest, Label, Pooling, Range,
    RankedDocument, Ranking, RerankRequest, RerankingCapabilities, RerankingModel,
    SummarizationCapabilities, SummarizationModel, SummarizeRequest, Summary, TranslateRequest,
    Translation, TranslationCapabilities, TranslationModel,
};

/// Re-exported so backends and users share one version.
pub use async_trait::async_trait;
