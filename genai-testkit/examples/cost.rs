//! What calls cost, a budget that caps them, and the rate-limit state, against the loopback
//! Workers AI emulator (no account needed):
//!
//! ```sh
//! cargo run -p genai-testkit --example cost
//! ```
//!
//! Against the real service, build the client with `CloudflareBuilder::from_env()` instead.

use genai_cloudflare::CloudflareChat;
use genai_core::{Budget, ChatRequest, ErrorKind, ProviderGen, StreamEvent};
use genai_testkit::emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> genai_core::Result<()> {
    let emulator = Emulator::start(EmulatorConfig::default())
        .map_err(|e| genai_core::Error::config(format!("cannot start the emulator: {e}")))?;

    // One budget of a tenth of a cent for everything this client does.
    let budget = Budget::usd(0.001);
    let client = CloudflareChat::builder()
        .account_id("0123456789abcdef0123456789abcdef")
        .api_token("test-token")
        .base_url(emulator.base_url())
        .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
        .budget(budget.clone())
        .build()?;

    let req = ChatRequest::new()
        .user("Reply with exactly one word: hello.")
        .max_tokens(64);
    let reply = client.gen_sync(&req).await?;
    match reply.cost {
        Some(c) => println!(
            "sync:   {:.4} neurons = ${:.8} ({})",
            c.neurons,
            c.usd,
            c.source.as_str()
        ),
        None => println!("sync:   cost unknown"),
    }

    // A stream's cost arrives once, just before it finishes.
    let mut stream = client.gen_stream(&req).await?;
    while let Some(event) = stream.next_event().await {
        if let StreamEvent::Cost(c) = event? {
            println!(
                "stream: {:.4} neurons = ${:.8} ({})",
                c.neurons,
                c.usd,
                c.source.as_str()
            );
        }
    }

    println!(
        "budget: {:.4} of {:.4} neurons spent",
        budget.spent_neurons(),
        budget.limit_neurons()
    );

    // A call whose worst case (100,000 output tokens) exceeds what is left is refused
    // before anything is sent.
    let big = ChatRequest::new()
        .user("Write a novel.")
        .max_tokens(100_000);
    match client.gen_sync(&big).await {
        Err(e) if e.kind() == ErrorKind::Budget => println!("refused: {}", e.message()),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
