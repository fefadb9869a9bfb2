//! The call span of every Workers AI operation, named and shaped after the OpenTelemetry
//! semantic conventions for generative AI (see [`genai_core::telemetry`], where the version is
//! pinned), plus the `cloudflare.*` attributes: neurons, cost and its source, the request id,
//! the AI Gateway's log id and cache status. Message content is never recorded here (only
//! `trace`-level events carry it, and only with `log_content(true)`).

use genai_core::telemetry::{self, CostFields};
use genai_core::{Cost, Mode};
use tracing::field::Empty;
use tracing::Span;

use crate::errors::PROVIDER;
use crate::metering::ReplyMeta;

/// Where the cost goes among the span's attributes.
pub(crate) const COST_FIELDS: CostFields = CostFields {
    amount: "cloudflare.neurons",
    usd: "cloudflare.cost.usd",
    source: "cloudflare.cost.source",
};

/// The `gen_ai.provider.name` of Workers AI.
pub(crate) const PROVIDER_NAME: &str = "cloudflare.workers_ai";

/// The span of one call: `operation` in the conventions' words (`chat`, `embeddings`...).
pub(crate) fn call_span(operation: &'static str, model: &str, mode: Option<Mode>) -> Span {
    tracing::info_span!(
        "genai.call",
        "otel.name" = %format_args!("{operation} {model}"),
        "otel.kind" = "client",
        "gen_ai.operation.name" = operation,
        "gen_ai.provider.name" = PROVIDER_NAME,
        "gen_ai.request.model" = %model,
        "gen_ai.request.max_tokens" = Empty,
        "gen_ai.request.temperature" = Empty,
        "gen_ai.request.top_p" = Empty,
        "gen_ai.request.top_k" = Empty,
        "gen_ai.request.seed" = Empty,
        "gen_ai.request.stop_sequences" = Empty,
        "gen_ai.output.type" = Empty,
        "gen_ai.usage.input_tokens" = Empty,
        "gen_ai.usage.output_tokens" = Empty,
        "gen_ai.response.finish_reasons" = Empty,
        "gen_ai.response.time_to_first_chunk" = Empty,
        "cloudflare.neurons" = Empty,
        "cloudflare.cost.usd" = Empty,
        "cloudflare.cost.source" = Empty,
        "cloudflare.request_id" = Empty,
        "cloudflare.gateway.log_id" = Empty,
        "cloudflare.gateway.cache_status" = Empty,
        "error.type" = Empty,
        provider = PROVIDER,
        model = %model,
        mode = mode.map(Mode::as_str),
        attempt = Empty,
        status = Empty,
        latency_ms = Empty,
        input_tokens = Empty,
        output_tokens = Empty,
    )
}

/// Records what a successful reply's headers said and what the call cost.
pub(crate) fn record_reply(span: &Span, meta: &ReplyMeta, cost: Option<Cost>) {
    if span.is_disabled() {
        return;
    }
    if let Some(id) = &meta.request_id {
        span.record("cloudflare.request_id", id.as_str());
    }
    if let Some(id) = &meta.gateway_log_id {
        span.record("cloudflare.gateway.log_id", id.as_str());
    }
    if let Some(status) = &meta.gateway_cache_status {
        span.record("cloudflare.gateway.cache_status", status.as_str());
    }
    telemetry::record_cost(span, COST_FIELDS, cost);
}

/// Records a failed call's error kind.
pub(crate) fn record_error(span: &Span, e: &genai_core::Error) {
    span.record(telemetry::ERROR_TYPE, e.kind().as_str());
}
