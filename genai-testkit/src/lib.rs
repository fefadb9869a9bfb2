//! # genai-testkit
//!
//! Conformance scenarios written once and run against any [`genai_core::ProviderGen`], the
//! capability scoreboard, cassette record/replay, and a loopback Workers AI emulator.
#![warn(missing_docs, unreachable_pub)]

pub mod cassette;
pub mod emulator;
pub mod fake;
pub mod replay;
pub mod scenarios;
pub mod scoreboard;
