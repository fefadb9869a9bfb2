//! OpenTelemetry export of the call spans and their metrics (cargo feature `otel`).
//!
//! Two `tracing-subscriber` layers: [`span_layer`] turns every call span into an OpenTelemetry
//! GenAI client span (named `{operation} {model}`, with the `gen_ai.*` attributes and the
//! provider's own, such as `cloudflare.*`), and [`MetricsLayer`] records, when a call span
//! closes, the conventions' metrics ([`telemetry::OPERATION_DURATION_METRIC`],
//! [`telemetry::TOKEN_USAGE_METRIC`], [`telemetry::TIME_TO_FIRST_TOKEN_METRIC`]) and the cost
//! ([`telemetry::COST_METRIC`], US dollars). Message content is never on a span, so it is never
//! exported.
//!
//! ```
//! use genai_core::otel::{self, opentelemetry};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let tracer = opentelemetry::trace::noop::NoopTracer::new();
//! let meter = opentelemetry::global::meter("my-app");
//! let subscriber = tracing_subscriber::registry()
//!     .with(otel::span_layer(tracer))
//!     .with(otel::MetricsLayer::new(&meter));
//! tracing::subscriber::with_default(subscriber, || {
//!     // ... calls made here export their spans and metrics ...
//! });
//! ```
//!
//! The crates' versions: use the [`opentelemetry`] and [`tracing_opentelemetry`] re-exported
//! here (and an `opentelemetry_sdk` of the same minor version), so the types match.

use std::fmt::Debug;
use std::time::Instant;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::telemetry;

pub use opentelemetry;
pub use tracing_opentelemetry;

/// The layer that exports the spans to `tracer` (an `opentelemetry_sdk` tracer, say): each
/// call span becomes a client span named `{operation} {model}` with all its attributes.
pub fn span_layer<S, T>(tracer: T) -> tracing_opentelemetry::OpenTelemetryLayer<S, T>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    T: opentelemetry::trace::Tracer + 'static,
    T::Span: Send + Sync,
{
    tracing_opentelemetry::layer().with_tracer(tracer)
}

/// A layer that records the metrics of every call span when it closes: its duration, its
/// input and output tokens, a stream's time to its first chunk, and its cost in US dollars.
/// Each carries `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model` (and
/// `error.type` for a failed call's duration, `gen_ai.token.type` for tokens, the cost's
/// source for the cost). Other spans cost it one string comparison.
#[derive(Clone)]
pub struct MetricsLayer {
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    first_token: Histogram<f64>,
    cost: Counter<f64>,
}

impl MetricsLayer {
    /// The layer, its instruments made with `meter`.
    pub fn new(meter: &Meter) -> Self {
        Self {
            duration: meter
                .f64_histogram(telemetry::OPERATION_DURATION_METRIC)
                .with_unit("s")
                .with_description("GenAI operation duration.")
                .with_boundaries(vec![
                    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92,
                ])
                .build(),
            tokens: meter
                .u64_histogram(telemetry::TOKEN_USAGE_METRIC)
                .with_unit("{token}")
                .with_description("Number of input and output tokens used.")
                .with_boundaries(vec![
                    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
                    1048576.0, 4194304.0, 16777216.0, 67108864.0,
                ])
                .build(),
            first_token: meter
                .f64_histogram(telemetry::TIME_TO_FIRST_TOKEN_METRIC)
                .with_unit("s")
                .with_description("Time to the first chunk of a streamed reply.")
                .with_boundaries(vec![
                    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
                    5.0, 7.5, 10.0,
                ])
                .build(),
            cost: meter
                .f64_counter(telemetry::COST_METRIC)
                .with_unit("{USD}")
                .with_description("What the calls cost, in US dollars (known costs only).")
                .build(),
        }
    }
}

/// What a call span said, gathered as it is recorded.
#[derive(Debug)]
struct CallFacts {
    started: Instant,
    operation: String,
    provider: String,
    model: String,
    error_type: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    first_chunk_secs: Option<f64>,
    cost_usd: Option<f64>,
    cost_source: Option<String>,
}

impl CallFacts {
    fn text(&mut self, name: &str, value: &str) {
        match name {
            telemetry::OPERATION_NAME => self.operation = value.to_owned(),
            telemetry::PROVIDER_NAME => self.provider = value.to_owned(),
            telemetry::REQUEST_MODEL => self.model = value.to_owned(),
            telemetry::ERROR_TYPE => self.error_type = Some(value.to_owned()),
            n if n.ends_with(".cost.source") => self.cost_source = Some(value.to_owned()),
            _ => {}
        }
    }

    fn count(&mut self, name: &str, value: u64) {
        match name {
            telemetry::USAGE_INPUT_TOKENS => self.input_tokens = Some(value),
            telemetry::USAGE_OUTPUT_TOKENS => self.output_tokens = Some(value),
            _ => {}
        }
    }
}

impl Visit for CallFacts {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        // `%model` arrives here: only the few text fields are formatted.
        match field.name() {
            telemetry::OPERATION_NAME
            | telemetry::PROVIDER_NAME
            | telemetry::REQUEST_MODEL
            | telemetry::ERROR_TYPE => self.text(field.name(), &format!("{value:?}")),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.count(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.count(field.name(), v);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        match field.name() {
            telemetry::TIME_TO_FIRST_CHUNK => self.first_chunk_secs = Some(value),
            n if n.ends_with(".cost.usd") => self.cost_usd = Some(value),
            _ => {}
        }
    }
}

impl<S> Layer<S> for MetricsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != telemetry::CALL_SPAN {
            return;
        }
        let mut facts = CallFacts {
            started: Instant::now(),
            operation: String::new(),
            provider: String::new(),
            model: String::new(),
            error_type: None,
            input_tokens: None,
            output_tokens: None,
            first_chunk_secs: None,
            cost_usd: None,
            cost_source: None,
        };
        attrs.record(&mut facts);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(facts);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(facts) = ext.get_mut::<CallFacts>() {
            values.record(facts);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(facts) = span.extensions_mut().remove::<CallFacts>() else {
            return;
        };
        let mut attrs = vec![
            KeyValue::new(telemetry::OPERATION_NAME, facts.operation),
            KeyValue::new(telemetry::PROVIDER_NAME, facts.provider),
            KeyValue::new(telemetry::REQUEST_MODEL, facts.model),
        ];
        let token = |kind: &'static str, attrs: &[KeyValue]| {
            let mut a = attrs.to_vec();
            a.push(KeyValue::new(telemetry::TOKEN_TYPE, kind));
            a
        };
        if let Some(n) = facts.input_tokens {
            self.tokens.record(n, &token("input", &attrs));
        }
        if let Some(n) = facts.output_tokens {
            self.tokens.record(n, &token("output", &attrs));
        }
        if let Some(secs) = facts.first_chunk_secs {
            self.first_token.record(secs, &attrs);
        }
        if let Some(usd) = facts.cost_usd {
            let mut a = attrs.clone();
            if let Some(source) = facts.cost_source {
                a.push(KeyValue::new(telemetry::COST_SOURCE, source));
            }
            self.cost.add(usd, &a);
        }
        if let Some(e) = facts.error_type {
            attrs.push(KeyValue::new(telemetry::ERROR_TYPE, e));
        }
        self.duration
            .record(facts.started.elapsed().as_secs_f64(), &attrs);
    }
}
