//! The task models beyond chat, one file per kind, all over the shared
//! [`Transport`](crate::transport::Transport).

mod batch;
mod classification;
mod documents;
mod embedding;
mod image;
mod reranking;
mod speech;
mod text;
mod transcription;
mod turn;

pub(crate) use batch::{builtin_queue, decode_poll};
pub use batch::{CloudflareBatch, MAX_QUEUE_PAYLOAD};
pub(crate) use classification::decode_classification;
pub use classification::CloudflareClassifier;
pub use documents::{CloudflareConverter, MAX_DOCUMENT_BYTES};
pub(crate) use embedding::decode_embeddings;
pub use embedding::CloudflareEmbedder;
pub(crate) use image::wrapped_image;
pub use image::CloudflareImageModel;
pub(crate) use reranking::decode_ranking;
pub use reranking::CloudflareReranker;
pub(crate) use speech::audio_from_json;
pub use speech::CloudflareSpeech;
pub(crate) use text::{decode_summary, decode_translation};
pub use text::{CloudflareSummarizer, CloudflareTranslator};
pub(crate) use transcription::decode_transcription;
pub use transcription::{CloudflareTranscriber, MAX_AUDIO_BYTES};
pub(crate) use turn::decode_turn;
pub use turn::CloudflareTurnDetector;

use genai_core::http::Deadline;
use genai_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::PROVIDER;
use crate::transport::{Body, Transport};

/// Runs one JSON task call on `model`: the one path every JSON-in, JSON-out task takes.
/// Errors name `operation`, carry the provider and never the token.
pub(crate) async fn run_json<T: DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    model: &str,
    body: &impl Serialize,
) -> Result<T> {
    traced(transport, model, operation, async {
        let body = Body::json(body)?;
        let deadline = Deadline::after(transport.options.timeout);
        transport.run_json(model, &body, &deadline).await
    })
    .await
}

/// Runs one task call on `model` with a body already encoded (JSON or raw bytes).
pub(crate) async fn run_body<T: DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    model: &str,
    body: &Body,
) -> Result<T> {
    traced(transport, model, operation, async {
        let deadline = Deadline::after(transport.options.timeout);
        transport.run_json(model, body, &deadline).await
    })
    .await
}

/// Runs `call` inside the `genai.call` span of `operation` on `model`, its error finished
/// like every task error ([`finish_error`]).
pub(crate) async fn traced<T>(
    transport: &Transport,
    model: &str,
    operation: &'static str,
    call: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let span = tracing::info_span!("genai.call", provider = PROVIDER, model = %model, operation);
    tracing::Instrument::instrument(call, span)
        .await
        .map_err(|e| finish_error(transport, e, operation))
}

/// Refuses a text that certainly exceeds a model that reads at most `max_tokens` tokens: every
/// word is at least one token, so more words than that is over the limit whatever the
/// tokenizer. `what` names the text (e.g. `input text 3 of 5`).
pub(crate) fn within_token_limit(
    text: &str,
    max_tokens: usize,
    model: &str,
    what: &str,
) -> Result<()> {
    let words = text.split_whitespace().count();
    if words > max_tokens {
        return Err(Error::invalid_request(format!(
            "{what} has {words} words, so more than the {max_tokens} tokens {model} reads"
        )));
    }
    Ok(())
}

/// Refuses what the model cannot do (`check`) before any request, or, when capability checks
/// are off, only what is malformed (`validate`): the one switch every task model takes.
pub(crate) fn preflight(
    transport: &Transport,
    check: impl FnOnce() -> Result<()>,
    validate: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if transport.check_capabilities {
        check()
    } else {
        validate()
    }
}

/// The last touch on every task error: provider, operation, no token.
pub(crate) fn finish_error(transport: &Transport, e: Error, operation: &'static str) -> Error {
    transport
        .redact(e)
        .with_provider(PROVIDER)
        .with_operation(operation)
}
