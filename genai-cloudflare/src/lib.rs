//! # genai-cloudflare
//!
//! The Cloudflare Workers AI backend of [`genai_core`]: one [`CloudflareChat`] client that
//! implements [`genai_core::ProviderGen`] for every chat model of the service, whatever its
//! wire family. Every quirk (two tool-call shapes, `response` as text, object or null, inline
//! `<think>` reasoning, usage only in the last chunk, padding, missing finish reasons and stop
//! sequences...) is handled per [`Family`] and normalised, so callers never see it.
//!
//! (The same calls run for real against the offline emulator in `genai-testkit`'s crate
//! documentation.)
//!
//! ```no_run
//! use genai_cloudflare::CloudflareBuilder;
//! use genai_core::{ChatRequest, Message, ProviderGen, ToolDef};
//!
//! #[derive(schemars::JsonSchema, serde::Deserialize)]
//! struct SquareRoot { number: f64 }
//!
//! # async fn run() -> genai_core::Result<()> {
//! let client = CloudflareBuilder::from_env()
//!     .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
//!     .build()?;
//! let mut req = ChatRequest::new()
//!     .user("Use the square_root tool on 144.")
//!     .tool(ToolDef::for_type::<SquareRoot>("square_root", "Square root of a number"));
//! let reply = client.gen_sync(&req).await?;
//! for call in &reply.tool_calls {
//!     let args: SquareRoot = call.decode_arguments()?;
//!     req.messages.push(reply.to_message());
//!     req.messages.push(Message::tool_result(call, args.number.sqrt().to_string()));
//! }
//! let answer = client.gen_sync(&req).await?;
//! println!("{}", answer.text);
//! # Ok(()) }
//! ```
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod catalog;
mod chat;
mod config;
#[doc(hidden)]
pub mod decode;
mod errors;
pub mod facts;
mod hints;
mod metering;
mod prices;
mod provider;
mod tasks;
mod telemetry;
mod transport;

pub use chat::{CloudflareChat, Family};
pub use config::{CloudflareBuilder, DEFAULT_BASE_URL, DEFAULT_GATEWAY_URL, DEFAULT_MODEL};
pub use provider::WorkersAi;
pub use tasks::{
    CloudflareBatch, CloudflareClassifier, CloudflareConverter, CloudflareEmbedder,
    CloudflareImageModel, CloudflareReranker, CloudflareSpeech, CloudflareSummarizer,
    CloudflareTranscriber, CloudflareTranslator, CloudflareTurnDetector, DEFAULT_SUMMARY_MODEL,
    MAX_AUDIO_BYTES, MAX_DOCUMENT_BYTES, MAX_QUEUE_PAYLOAD,
};
pub use transport::MAX_INPUT_IMAGE_BYTES;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
