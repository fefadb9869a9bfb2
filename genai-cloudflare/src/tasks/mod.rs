//! The task models beyond chat, one file per kind, all over the shared
//! [`Transport`](crate::transport::Transport).

mod batch;
mod classification;
mod document;
mod embedding;
mod image;
mod reranking;
mod speech;
mod summarization;
mod transcription;
mod translation;
mod turn;

pub(crate) use batch::{builtin_queue, decode_poll};
pub use batch::{CloudflareBatch, MAX_QUEUE_PAYLOAD};
pub(crate) use classification::decode_classification;
pub use classification::CloudflareClassifier;
pub use document::{CloudflareConverter, MAX_DOCUMENT_BYTES};
pub(crate) use embedding::decode_embeddings;
pub use embedding::CloudflareEmbedder;
pub(crate) use image::wrapped_image;
pub use image::CloudflareImageModel;
pub(crate) use reranking::decode_ranking;
pub use reranking::CloudflareReranker;
pub(crate) use speech::audio_from_json;
pub use speech::CloudflareSpeech;
pub(crate) use summarization::decode_summary;
pub use summarization::{CloudflareSummarizer, DEFAULT_SUMMARY_MODEL};
pub(crate) use transcription::decode_transcription;
pub use transcription::{CloudflareTranscriber, MAX_AUDIO_BYTES};
pub(crate) use translation::decode_translation;
pub use translation::CloudflareTranslator;
pub(crate) use turn::decode_turn;
pub use turn::CloudflareTurnDetector;

use genai_core::http::Deadline;
use genai_core::{Charge, Cost, Error, Metered, ModelKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::PROVIDER;
use crate::metering::{self, ReplyMeta};
use crate::transport::{Body, Transport};

/// One task call: what it does, on which model, and the most it could use (its worst case,
/// reserved against the budget before anything is sent).
pub(crate) struct Call<'a> {
    pub(crate) operation: &'static str,
    pub(crate) model: &'a str,
    pub(crate) kind: ModelKind,
    pub(crate) worst: Metered,
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        operation: &'static str,
        model: &'a str,
        kind: ModelKind,
        worst: Metered,
    ) -> Self {
        Call {
            operation,
            model,
            kind,
            worst,
        }
    }

    /// Reserves the worst case and waits for the limiter: the step before every request.
    pub(crate) async fn begin(&self, transport: &Transport) -> Result<Option<Charge>> {
        transport
            .metering
            .begin(self.model, self.kind, &self.worst)
            .await
            .map_err(|e| finish_error(transport, e, self.operation))
    }
}

/// A successful reply, its cost not settled until the task knows what the call used.
pub(crate) struct Billed<T> {
    pub(crate) value: T,
    meta: ReplyMeta,
    charge: Option<Charge>,
    span: tracing::Span,
}

impl<T> Billed<T> {
    /// The rate-limit state the reply's headers reported.
    pub(crate) fn rate_limit(&self) -> Option<genai_core::RateLimit> {
        self.meta.rate_limit
    }

    /// The value and the call's cost (the reported one, else estimated from `used`), the
    /// budget charged with it.
    pub(crate) fn settle(
        self,
        transport: &Transport,
        model: &str,
        used: &Metered,
    ) -> (T, Option<Cost>) {
        let cost = self.meta.cost(transport.metering.estimate(model, used));
        crate::telemetry::record_reply(&self.span, &self.meta, cost);
        metering::settle(self.charge, cost);
        (self.value, cost)
    }
}

/// Runs one JSON task call: the one path every JSON-in, JSON-out task takes. Errors name the
/// operation, carry the provider and never the token; a refused call gives its budget
/// reservation back.
pub(crate) async fn run_json<T: DeserializeOwned>(
    transport: &Transport,
    call: Call<'_>,
    body: &impl Serialize,
) -> Result<Billed<T>> {
    let body = if transport.metering.reject_if_busy {
        let mut value = serde_json::to_value(body).map_err(|e| {
            Error::invalid_request("the request could not be encoded").with_source(e)
        })?;
        crate::transport::reject_if_busy(&mut value);
        Body::json(&value)
    } else {
        Body::json(body)
    }
    .map_err(|e| finish_error(transport, e, call.operation))?;
    run_body(transport, call, &body).await
}

/// Runs one task call with a body already encoded (JSON or raw bytes).
pub(crate) async fn run_body<T: DeserializeOwned>(
    transport: &Transport,
    call: Call<'_>,
    body: &Body,
) -> Result<Billed<T>> {
    let model = call.model;
    run_metered(transport, call, async {
        let deadline = Deadline::after(transport.options.timeout);
        transport.run_json(model, body, &deadline).await
    })
    .await
}

/// Runs one call of any shape (`send` posts it and reads the reply's headers) between the
/// budget reservation and the settlement, inside its span.
pub(crate) async fn run_metered<T>(
    transport: &Transport,
    call: Call<'_>,
    send: impl std::future::Future<Output = Result<(T, ReplyMeta)>>,
) -> Result<Billed<T>> {
    let charge = call.begin(transport).await?;
    let span = task_span(call.operation, call.model);
    match traced_in(transport, span.clone(), call.operation, send).await {
        Ok((value, meta)) => Ok(Billed {
            value,
            meta,
            charge,
            span,
        }),
        Err(e) => {
            metering::release(charge);
            Err(e)
        }
    }
}

/// The span of a task call, its operation in the conventions' words where they have one.
pub(crate) fn task_span(operation: &'static str, model: &str) -> tracing::Span {
    let name = match operation {
        "embed" => "embeddings",
        other => other,
    };
    crate::telemetry::call_span(name, model, None)
}

/// Runs `call` inside the `genai.call` span of `operation` on `model`, its error finished
/// like every task error ([`finish_error`]).
pub(crate) async fn traced<T>(
    transport: &Transport,
    model: &str,
    operation: &'static str,
    call: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    traced_in(transport, task_span(operation, model), operation, call).await
}

/// Runs `call` inside `span`, its error recorded there and finished like every task error.
async fn traced_in<T>(
    transport: &Transport,
    span: tracing::Span,
    operation: &'static str,
    call: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let out = tracing::Instrument::instrument(call, span.clone()).await;
    out.map_err(|e| {
        crate::telemetry::record_error(&span, &e);
        finish_error(transport, e, operation)
    })
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
