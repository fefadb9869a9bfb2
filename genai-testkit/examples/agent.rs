//! An agent loop in one call: two typed tools, the loop run against the local Workers AI
//! emulator, the final answer streamed to stdout.
//!
//! `cargo run -p genai-testkit --example agent [PROMPT]`
//!
//! Against the real service, build the client with `CloudflareBuilder::from_env()` instead.

use std::io::Write;
use std::sync::Arc;

use genai_cloudflare::CloudflareChat;
use genai_core::{Agent, ChatRequest, ProviderGen, StreamEvent, Tool};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};

/// The arguments of `square_root`.
#[derive(schemars::JsonSchema, serde::Deserialize)]
struct SquareRoot {
    /// The number, at least 0.
    number: f64,
}

/// The arguments of `word_length`.
#[derive(schemars::JsonSchema, serde::Deserialize)]
struct WordLength {
    /// The word to measure.
    word: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args().nth(1).unwrap_or_else(|| {
        "Use the square_root tool to compute the square root of 144. Reply with the result only."
            .to_owned()
    });
    let emulator = Emulator::start(EmulatorConfig::default())?;
    let model: Arc<dyn ProviderGen> = Arc::new(
        CloudflareChat::builder()
            .base_url(emulator.base_url())
            .account_id("0123456789abcdef0123456789abcdef")
            .api_token(DEFAULT_TOKEN)
            .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
            .build()?,
    );
    let agent = Agent::new([
        Tool::new(
            "square_root",
            "Computes the square root of a number",
            |a: SquareRoot| async move {
                if a.number < 0.0 {
                    Err(format!("{} is negative", a.number))
                } else {
                    Ok(a.number.sqrt())
                }
            },
        ),
        Tool::new(
            "word_length",
            "Counts the characters of a word",
            |a: WordLength| async move { Ok::<_, String>(a.word.chars().count()) },
        ),
    ])
    .max_steps(4);
    let mut stream = agent.stream(model, ChatRequest::new().user(prompt));
    let mut out = std::io::stdout().lock();
    while let Some(event) = stream.next_event().await {
        match event? {
            StreamEvent::TextDelta(text) => {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
            StreamEvent::Finish(reason) => writeln!(out, "\n[finish: {reason:?}]")?,
            _ => {}
        }
    }
    Ok(())
}
