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
mod model;
mod provider;
mod request;
mod response;
pub mod scoreboard;
mod stream;
pub mod text;
mod tool_schema;

pub use capability::{Capabilities, Modalities, Mode, ModelCapabilities, Support};
pub use error::{Error, ErrorKind, Result};
pub use model::ModelInfo;
pub use provider::{ProviderGen, ProviderGenExt};
pub use request::{
    ChatRequest, Message, ReasoningEffort, ResponseFormat, ToolCall, ToolChoice, ToolDef,
    MAX_TOP_LOGPROBS,
};
pub use response::{ChatResponse, FinishReason, GuardVerdict, TokenLogprob, TopLogprob, Usage};
pub use stream::{ChatStream, ResponseAccumulator, StreamEvent};

/// Re-exported so backends and users share one version.
pub use async_trait::async_trait;
