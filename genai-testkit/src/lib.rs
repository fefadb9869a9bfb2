//! # genai-testkit
//!
//! Conformance scenarios written once and run against any [`genai_core::ProviderGen`], the
//! capability scoreboard, cassette record/replay, and a loopback Workers AI emulator.
//!
//! ## Features
//!
//! All on by default. With `default-features = false` only the conformance scenarios of every
//! kind ([`scenarios`]), the [`fake`] backend, the media [`fixtures`] and the [`scoreboard`] are built, without any HTTP
//! server, command line or backend.
//!
//! | feature | what it adds |
//! |---|---|
//! | `emulator` | `emulator`: the loopback Workers AI emulator |
//! | `replay` | `cassette` and `replay`: cassette files, the replay server, the recording proxy |
//! | `loopback` | `loopback`: a scripted loopback server for fault tests |
//! | `cli` | the `genai` binary (turns on `emulator` and `replay`) |
//!
//! The emulator makes the Cloudflare backend runnable anywhere, so the main entry points are
//! shown here running for real: a sync call, a stream, and a tool round trip.
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # mod example {
//! use genai_cloudflare::CloudflareChat;
//! use genai_core::{ChatRequest, FinishReason, Message, ProviderGen, StreamEvent, ToolDef};
//! use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
//!
//! #[derive(schemars::JsonSchema, serde::Deserialize)]
//! struct SquareRoot {
//!     number: f64,
//! }
//!
//! # pub fn run() {
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
//! let client = CloudflareChat::builder()
//!     .account_id("0123456789abcdef0123456789abcdef")
//!     .api_token(DEFAULT_TOKEN)
//!     .base_url(emulator.base_url())
//!     .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
//!     .build()?;
//!
//! // A sync call.
//! let reply = client.gen_sync(&ChatRequest::new().user("Reply with exactly one word: hello.")).await?;
//! assert!(reply.text.to_lowercase().contains("hello"));
//! assert_eq!(reply.finish_reason, FinishReason::Stop);
//!
//! // A stream, event by event.
//! let mut stream = client.gen_stream(&ChatRequest::new().user("Count from one to ten in words, separated by spaces.")).await?;
//! let mut text = String::new();
//! while let Some(event) = stream.next_event().await {
//!     if let StreamEvent::TextDelta(delta) = event? {
//!         text.push_str(&delta);
//!     }
//! }
//! assert!(text.starts_with("one two three"));
//!
//! // A tool round trip: the model calls the tool, we send the result back.
//! let mut req = ChatRequest::new()
//!     .user("Use the square_root tool to compute the square root of 144. Reply with the result only.")
//!     .tool(ToolDef::for_type::<SquareRoot>("square_root", "Computes the square root of a number"));
//! let reply = client.gen_sync(&req).await?;
//! assert_eq!(reply.finish_reason, FinishReason::ToolCalls);
//! let call = &reply.tool_calls[0];
//! let args: SquareRoot = call.decode_arguments()?;
//! req.messages.push(reply.to_message());
//! req.messages.push(Message::tool_result(call, args.number.sqrt().to_string()));
//! let answer = client.gen_sync(&req).await?;
//! assert!(answer.text.contains("12"));
//! # Ok::<(), genai_core::Error>(())
//! # }).unwrap();
//! # }
//! # }
//! # fn main() {
//! # #[cfg(feature = "emulator")]
//! # example::run();
//! # }
//! ```
#![warn(missing_docs, unreachable_pub)]

#[cfg(feature = "replay")]
pub mod cassette;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod fake;
pub mod fixtures;
#[cfg(feature = "loopback")]
pub mod loopback;
#[cfg(feature = "replay")]
pub mod replay;
pub mod scenarios;
pub mod scoreboard;
#[cfg(any(feature = "emulator", feature = "replay", feature = "loopback"))]
// With only some of the server features on, some of its helpers have no user.
#[cfg_attr(
    not(all(feature = "emulator", feature = "replay", feature = "loopback")),
    allow(dead_code)
)]
mod serve;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The examples of docs/documents.md and docs/fallback.md, run as doc tests against the
/// emulator.
#[cfg(all(doctest, feature = "emulator"))]
#[doc = include_str!("../../docs/documents.md")]
#[doc = include_str!("../../docs/fallback.md")]
struct DocsDoctests;

/// The workspace README's examples (the emulator, the agent loop on the fake), run as doc
/// tests here, where the testkit they use is at hand.
#[cfg(all(doctest, feature = "cli"))]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;
