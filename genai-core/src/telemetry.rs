//! What a call's tracing span says, in the terms of the OpenTelemetry semantic conventions for
//! generative AI ([`SEMCONV_VERSION`], the one place the version is pinned): the attribute
//! names, and the helpers that record a request's parameters, the usage, the finish reason
//! and the cost on a span.
//!
//! A backend declares its call span with these names (tracing needs them at compile time):
//! the span's name for OpenTelemetry is `otel.name` = `{operation} {model}`. With
//! `tracing-opentelemetry`, or any layer that reads span fields, the spans export as
//! OpenTelemetry GenAI client spans. Message content is never recorded here.
//!
//! ```
//! use genai_core::telemetry;
//! let span = tracing::info_span!(
//!     "genai.call",
//!     "otel.name" = "chat my-model",
//!     "gen_ai.operation.name" = "chat",
//!     "gen_ai.request.max_tokens" = tracing::field::Empty,
//!     "gen_ai.usage.input_tokens" = tracing::field::Empty,
//!     "gen_ai.usage.output_tokens" = tracing::field::Empty,
//! );
//! let req = genai_core::ChatRequest::new().user("hi").max_tokens(5);
//! telemetry::record_request(&span, &req);
//! telemetry::record_usage(&span, &genai_core::Usage::new(Some(3), Some(1), None));
//! assert_eq!(telemetry::SEMCONV_VERSION, "1.37.0");
//! ```

use tracing::Span;

use crate::cost::Cost;
use crate::request::{ChatRequest, ResponseFormat};
use crate::response::{FinishReason, Usage};

/// The version of the OpenTelemetry semantic conventions the spans follow.
pub const SEMCONV_VERSION: &str = "1.37.0";

/// The schema URL of that version.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.37.0";

/// The span's name for OpenTelemetry (`{operation} {model}`).
pub const OTEL_NAME: &str = "otel.name";
/// The span kind for OpenTelemetry (`client`).
pub const OTEL_KIND: &str = "otel.kind";
/// `chat`, `embeddings`, `generate_content`...
pub const OPERATION_NAME: &str = "gen_ai.operation.name";
/// The provider (`cloudflare.workers_ai`).
pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
/// The model asked for.
pub const REQUEST_MODEL: &str = "gen_ai.request.model";
/// The output limit.
pub const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// The sampling temperature.
pub const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// Nucleus sampling.
pub const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// Top-k sampling.
pub const REQUEST_TOP_K: &str = "gen_ai.request.top_k";
/// The seed.
pub const REQUEST_SEED: &str = "gen_ai.request.seed";
/// How many stop sequences were given (their text is content, not recorded).
pub const REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
/// `text` or `json`.
pub const OUTPUT_TYPE: &str = "gen_ai.output.type";
/// Tokens read.
pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// Tokens written.
pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// Why the model stopped (`["stop"]`).
pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// A stream's time to its first chunk, in seconds.
pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// The error kind of a failed call.
pub const ERROR_TYPE: &str = "error.type";
/// The kind of tokens a token-usage measurement counts (`input`, `output`).
pub const TOKEN_TYPE: &str = "gen_ai.token.type";
/// The name of every call span (its OpenTelemetry name is [`OTEL_NAME`]).
pub const CALL_SPAN: &str = "genai.call";

/// The metric of a call's duration, in seconds.
pub const OPERATION_DURATION_METRIC: &str = "gen_ai.client.operation.duration";
/// The metric of the tokens used, per [`TOKEN_TYPE`].
pub const TOKEN_USAGE_METRIC: &str = "gen_ai.client.token.usage";
/// The metric of a stream's time to its first chunk, in seconds.
pub const TIME_TO_FIRST_TOKEN_METRIC: &str = "gen_ai.server.time_to_first_token";
/// The metric of what calls cost, in US dollars (a counter; calls of unknown cost add nothing).
pub const COST_METRIC: &str = "genai.client.cost";
/// The attribute of the cost metric saying where the figure came from
/// (`provider`/`estimated`).
pub const COST_SOURCE: &str = "genai.cost.source";

/// A count as the signed integer OpenTelemetry attributes hold (`tracing-opentelemetry`
/// exports unsigned values as text), saturating.
fn as_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Records the request's parameters (never its messages).
pub fn record_request(span: &Span, req: &ChatRequest) {
    if span.is_disabled() {
        return;
    }
    if let Some(v) = req.max_tokens {
        span.record(REQUEST_MAX_TOKENS, i64::from(v));
    }
    if let Some(v) = req.temperature {
        span.record(REQUEST_TEMPERATURE, v);
    }
    if let Some(v) = req.top_p {
        span.record(REQUEST_TOP_P, v);
    }
    if let Some(v) = req.top_k {
        span.record(REQUEST_TOP_K, i64::from(v));
    }
    if let Some(v) = req.seed {
        span.record(REQUEST_SEED, as_int(v));
    }
    if !req.stop.is_empty() {
        span.record(REQUEST_STOP_SEQUENCES, as_int(req.stop.len() as u64));
    }
    let json = matches!(
        req.response_format,
        ResponseFormat::Json | ResponseFormat::JsonSchema { .. }
    );
    span.record(OUTPUT_TYPE, if json { "json" } else { "text" });
}

/// Records the usage the service reported.
pub fn record_usage(span: &Span, usage: &Usage) {
    if let Some(v) = usage.input_tokens {
        span.record(USAGE_INPUT_TOKENS, as_int(v));
    }
    if let Some(v) = usage.output_tokens {
        span.record(USAGE_OUTPUT_TOKENS, as_int(v));
    }
}

/// Records why the model stopped, as the one-element list the conventions use.
pub fn record_finish(span: &Span, finish: FinishReason) {
    if let Some(reason) = finish.as_str() {
        span.record(RESPONSE_FINISH_REASONS, format!("[\"{reason}\"]"));
    }
}

/// Records a stream's time to its first chunk (text, reasoning or a tool call), counted from
/// the moment the request was sent.
pub fn record_time_to_first_chunk(span: &Span, since: std::time::Instant) {
    span.record(TIME_TO_FIRST_CHUNK, since.elapsed().as_secs_f64());
}

/// Where a provider records a cost among its own attributes: the fields for the neurons
/// (or the provider's own unit), the US dollars, and the source (`provider`/`estimated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostFields {
    /// The field of the cost in the provider's unit.
    pub amount: &'static str,
    /// The field of the cost in US dollars.
    pub usd: &'static str,
    /// The field of where the figure came from.
    pub source: &'static str,
}

/// Records a cost (nothing when it is unknown).
pub fn record_cost(span: &Span, fields: CostFields, cost: Option<Cost>) {
    let Some(c) = cost else { return };
    span.record(fields.amount, c.neurons);
    span.record(fields.usd, c.usd);
    span.record(fields.source, c.source.as_str());
}
