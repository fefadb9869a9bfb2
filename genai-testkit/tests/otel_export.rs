//! The OpenTelemetry export (genai-core's `otel` feature) of a chat call against the emulator,
//! read back from the SDK's in-memory exporters: the span's name and its `gen_ai.*` and
//! `cloudflare.*` attributes, the duration, token, time-to-first-chunk and cost metrics, and
//! message content absent unless the caller opts in.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;

use futures_util::StreamExt as _;
use genai_core::otel::{self, opentelemetry};
use genai_core::{ChatRequest, ProviderGen, StreamEvent};
use genai_testkit::emulator::{Emulator, EmulatorConfig};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;

use support::CHAT as LLAMA;

const PROMPT: &str = "Say something about the tangerine-colored zeppelin.";

/// What the exporters received from the calls `run` made.
struct Exported {
    spans: Vec<SpanData>,
    metrics: Vec<opentelemetry_sdk::metrics::data::ResourceMetrics>,
    /// The replies' texts, to look for on the spans.
    replies: Vec<String>,
}

/// One sync and one streamed chat call, exported.
async fn run(log_content: bool) -> Exported {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    let metrics = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_periodic_exporter(metrics.clone())
        .build();
    let meter = meter_provider.meter("otel_export");
    let subscriber = tracing_subscriber::registry()
        .with(otel::span_layer(tracer_provider.tracer("otel_export")))
        .with(otel::MetricsLayer::new(&meter));
    let guard = tracing::subscriber::set_default(subscriber);

    let client = support::builder(emulator.base_url())
        .model(LLAMA)
        .log_content(log_content)
        .build()
        .unwrap();
    let req = ChatRequest::new()
        .user(PROMPT)
        .max_tokens(40)
        .temperature(0.5);
    let mut replies = Vec::new();
    let reply = client.gen_sync(&req).await.unwrap();
    replies.push(reply.text);
    let mut stream = client.gen_stream(&req).await.unwrap();
    let mut text = String::new();
    while let Some(ev) = stream.next().await {
        if let StreamEvent::TextDelta(t) = ev.unwrap() {
            text.push_str(&t);
        }
    }
    drop(stream);
    replies.push(text);
    drop(client);
    drop(guard);

    tracer_provider.force_flush().unwrap();
    meter_provider.force_flush().unwrap();
    Exported {
        spans: spans.get_finished_spans().unwrap(),
        metrics: metrics.get_finished_metrics().unwrap(),
        replies,
    }
}

/// One data point of a metric: its count (1 for a sum), its sum or value, its attributes.
type Point = (u64, f64, Vec<(String, String)>);

fn attrs(span: &SpanData) -> HashMap<String, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.as_str().to_owned(), kv.value.clone()))
        .collect()
}

/// Every text the span carries: attributes and events (their names and attributes).
fn all_text(span: &SpanData) -> String {
    let mut out = format!("{} {:?}", span.name, span.attributes);
    for e in &span.events.events {
        out.push_str(&format!(" {} {:?}", e.name, e.attributes));
    }
    out
}

fn call_spans(exported: &Exported) -> Vec<&SpanData> {
    let spans: Vec<&SpanData> = exported
        .spans
        .iter()
        .filter(|s| s.name == format!("chat {LLAMA}"))
        .collect();
    assert_eq!(
        spans.len(),
        2,
        "one span per call: {:?}",
        exported.spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    spans
}

#[tokio::test]
async fn chat_spans_export_with_the_gen_ai_and_cloudflare_attributes() {
    let exported = run(false).await;
    for span in call_spans(&exported) {
        let a = attrs(span);
        let text = |k: &str| {
            a.get(k)
                .unwrap_or_else(|| panic!("{} has no {k}: {a:?}", span.name))
                .as_str()
                .into_owned()
        };
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(text("gen_ai.operation.name"), "chat");
        assert_eq!(text("gen_ai.provider.name"), "cloudflare.workers_ai");
        assert_eq!(text("gen_ai.request.model"), LLAMA);
        assert_eq!(a["gen_ai.request.max_tokens"], Value::I64(40));
        assert_eq!(a["gen_ai.request.temperature"], Value::F64(0.5));
        assert_eq!(text("gen_ai.output.type"), "text");
        for k in ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"] {
            assert!(
                matches!(a.get(k), Some(Value::I64(n)) if *n > 0),
                "{k}: {:?}",
                a.get(k)
            );
        }
        assert!(text("gen_ai.response.finish_reasons").contains("stop"));
        assert!(matches!(a.get("cloudflare.neurons"), Some(Value::F64(n)) if *n > 0.0));
        assert!(matches!(a.get("cloudflare.cost.usd"), Some(Value::F64(n)) if *n > 0.0));
        assert_eq!(text("cloudflare.cost.source"), "estimated");
        assert!(!a.contains_key("error.type"));
        let everything = all_text(span);
        assert!(
            !everything.contains("tangerine"),
            "prompt on the span: {everything}"
        );
        for reply in &exported.replies {
            assert!(!reply.is_empty());
            assert!(!everything.contains(reply.as_str()), "reply on the span");
        }
    }
    // The stream's span has its time to first chunk; the sync call's has none.
    let ttfc: Vec<_> = call_spans(&exported)
        .iter()
        .filter_map(|s| attrs(s).get("gen_ai.response.time_to_first_chunk").cloned())
        .collect();
    assert!(
        matches!(ttfc.as_slice(), [Value::F64(secs)] if *secs > 0.0 && *secs < 60.0),
        "{ttfc:?}"
    );
}

#[tokio::test]
async fn content_is_exported_only_when_opted_in() {
    let exported = run(true).await;
    let spans = call_spans(&exported);
    assert!(
        spans.iter().all(|s| all_text(s).contains("tangerine")),
        "the prompt is on every span's events when opted in"
    );
    assert!(all_text(spans[0]).contains(exported.replies[0].as_str()));
}

#[tokio::test]
async fn duration_token_first_chunk_and_cost_metrics_are_recorded() {
    let exported = run(false).await;
    let mut seen: HashMap<String, Vec<Point>> = HashMap::new();
    for rm in &exported.metrics {
        for sm in rm.scope_metrics() {
            for m in sm.metrics() {
                let points = seen.entry(m.name().to_owned()).or_default();
                let kv = |it: &mut dyn Iterator<Item = &opentelemetry::KeyValue>| {
                    it.map(|kv| (kv.key.to_string(), kv.value.to_string()))
                        .collect::<Vec<_>>()
                };
                match m.data() {
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            points.push((p.count(), p.sum(), kv(&mut p.attributes())));
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            points.push((p.count(), p.sum() as f64, kv(&mut p.attributes())));
                        }
                    }
                    AggregatedMetrics::F64(MetricData::Sum(s)) => {
                        for p in s.data_points() {
                            points.push((1, p.value(), kv(&mut p.attributes())));
                        }
                    }
                    other => panic!("{}: unexpected data {other:?}", m.name()),
                }
            }
        }
    }
    let has = |points: &[Point], k: &str, v: &str| {
        points
            .iter()
            .all(|(_, _, a)| a.iter().any(|(ak, av)| ak == k && av == v))
    };
    let one = |name: &str| {
        let points = seen
            .get(name)
            .unwrap_or_else(|| panic!("no {name}: {:?}", seen.keys()));
        assert!(has(points, "gen_ai.operation.name", "chat"), "{name}");
        assert!(has(points, "gen_ai.provider.name", "cloudflare.workers_ai"));
        assert!(has(points, "gen_ai.request.model", LLAMA), "{name}");
        points.clone()
    };
    let duration = one("gen_ai.client.operation.duration");
    assert_eq!(duration.iter().map(|p| p.0).sum::<u64>(), 2, "{duration:?}");
    let tokens = one("gen_ai.client.token.usage");
    for kind in ["input", "output"] {
        let p = tokens
            .iter()
            .find(|(_, _, a)| a.contains(&("gen_ai.token.type".into(), kind.into())))
            .unwrap_or_else(|| panic!("no {kind} tokens: {tokens:?}"));
        assert_eq!(p.0, 2, "{kind}: one measurement per call");
        assert!(p.1 > 0.0);
    }
    let first = one("gen_ai.server.time_to_first_token");
    assert_eq!(first.iter().map(|p| p.0).sum::<u64>(), 1, "the stream only");
    let cost = one("genai.client.cost");
    assert!(has(&cost, "genai.cost.source", "estimated"));
    assert!(cost.iter().map(|p| p.1).sum::<f64>() > 0.0);
}
