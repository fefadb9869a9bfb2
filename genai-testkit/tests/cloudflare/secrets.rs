//! The token never leaks: not through `Debug`, error messages (even when the service echoes it
//! back), nor tracing output at any level; and each call has one `genai.call` span with its
//! figures, without prompt or reply content unless the caller opts in.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::response::Response;
use genai_cloudflare::{CloudflareBuilder, CloudflareChat};
use genai_core::http::RetryPolicy;
use genai_core::{ChatRequest, Error, ProviderGen, StreamEvent};
use genai_testkit::loopback::{reply, ScriptedServer as Server};
use tokio::net::TcpListener;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::support::ACCOUNT;

/// Distinctive enough that any occurrence in any output is a leak.
const TOKEN: &str = "tok-9f8e7d6c5b4a-never-print-me";
use crate::support::SMALL_CHAT as MODEL;

const PROMPT: &str = "prompt-marker-4242 please say hello";
const ANSWER: &str = "answer-marker-1717 hello";

// ---------------------------------------------------------------------------------------------
// A loopback server that can see (and echo) what the client sent

/// A scripted loopback server; the script sees the request number and headers.
async fn serve<F, Fut>(script: F) -> Server
where
    F: Fn(usize, HeaderMap) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    Server::start(move |n, req| script(n, req.headers))
        .await
        .unwrap()
}

/// The `Authorization` header the client sent, as a proxy's debug page would quote it.
fn echoed(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn ok_sync() -> Response {
    let body = serde_json::json!({"success": true, "errors": [], "messages": [],
        "result": {"response": ANSWER,
                   "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}});
    reply(200, "application/json", body.to_string())
}

fn ok_stream() -> Response {
    let body = format!(
        "data: {{\"response\":\"{ANSWER}\"}}\n\n\
         data: {{\"response\":\"\",\"usage\":{{\"prompt_tokens\":11,\"completion_tokens\":3,\"total_tokens\":14}}}}\n\n\
         data: [DONE]\n\n"
    );
    reply(200, "text/event-stream", body)
}

fn builder(addr: SocketAddr) -> CloudflareBuilder {
    CloudflareChat::builder()
        .account_id(ACCOUNT)
        .api_token(TOKEN)
        .model(MODEL)
        .base_url(format!("http://{addr}/client/v4"))
        .retry_policy(
            RetryPolicy::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(10)),
        )
        .timeout(Duration::from_secs(5))
}

fn request() -> ChatRequest {
    ChatRequest::new().user(PROMPT)
}

/// Every way an error can be printed, its causes included.
fn renderings(e: &Error) -> String {
    let mut out = format!("{e}\n{e:?}\n{e:#?}\n{}\n", e.message());
    if let Some(id) = e.request_id() {
        out.push_str(id);
    }
    let mut source = std::error::Error::source(e);
    for _ in 0..16 {
        let Some(s) = source else { break };
        out.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(TOKEN),
        "the token leaked through {what}:\n{text}"
    );
}

/// The error of a sync call to `server`.
async fn sync_error(server: &Server) -> Error {
    let client = builder(server.addr()).build().expect("a client");
    client.gen_sync(&request()).await.unwrap_err()
}

async fn stream_error(client: &CloudflareChat) -> Option<Error> {
    let mut stream = match client.gen_stream(&request()).await {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    for _ in 0..1000 {
        if let Err(e) = stream.next_event().await? {
            return Some(e);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Capturing tracing output

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A closed span: its name and fields.
type ClosedSpan = (String, BTreeMap<String, String>);

/// The fields of every closed span, by span name.
#[derive(Clone, Default)]
struct SpanLog(Arc<Mutex<Vec<ClosedSpan>>>);

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanLog {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            let fields = span.extensions_mut().remove::<Fields>().unwrap_or_default();
            self.0
                .lock()
                .unwrap()
                .push((span.name().to_owned(), fields.0));
        }
    }
}

impl SpanLog {
    fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, _)| name == "genai.call")
            .map(|(_, f)| f.clone())
            .collect()
    }
}

/// A subscriber that writes everything, at every level, with span events, to `out`.
fn capture(out: &Captured, spans: &SpanLog) -> impl Subscriber + Send + Sync {
    let out = out.clone();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || out.clone())
                .with_ansi(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
        )
        .with(spans.clone())
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn debug_output_never_shows_the_token() {
    let b = builder("127.0.0.1:9".parse().unwrap());
    assert_clean("the builder's Debug", &format!("{b:?} {b:#?}"));
    let client = b.build().unwrap();
    assert_clean("the client's Debug", &format!("{client:?} {client:#?}"));
    let other = client.with_model("@cf/zai-org/glm-4.7-flash").unwrap();
    assert_clean("a derived client's Debug", &format!("{other:?}"));
    // A trailing newline is trimmed; a token that cannot go in a header is an error that
    // does not quote it.
    assert!(CloudflareChat::builder()
        .account_id(ACCOUNT)
        .api_token(format!("{TOKEN}\n"))
        .build()
        .is_ok());
    let e = CloudflareChat::builder()
        .account_id(ACCOUNT)
        .api_token(format!("{TOKEN}\u{7f}x"))
        .build()
        .unwrap_err();
    assert_clean("a build error", &renderings(&e));
    // The token pasted where the account id goes.
    let e = CloudflareChat::builder()
        .account_id(TOKEN)
        .api_token(TOKEN)
        .build()
        .unwrap_err();
    assert_clean("an account id error", &renderings(&e));
}

/// Every failure a call can meet, each with a server that echoes the token back where it can.
/// All tracing output, `log` records from the HTTP stack included, is captured at `trace` level.
#[tokio::test]
async fn errors_and_traces_never_show_the_token() {
    let out = Captured::default();
    let spans = SpanLog::default();
    // Global, so the `log` bridge catches the HTTP stack's records too.
    tracing_subscriber::util::SubscriberInitExt::try_init(capture(&out, &spans))
        .expect("the only global subscriber of this test binary");
    let mut errors: Vec<(&str, Error)> = Vec::new();

    // Success, sync and streamed: nothing to leak but the request itself.
    let server = serve(|_, _| async { ok_sync() }).await;
    let client = builder(server.addr()).build().unwrap();
    assert_eq!(client.gen_sync(&request()).await.unwrap().text, ANSWER);
    let server = serve(|_, _| async { ok_stream() }).await;
    let client = builder(server.addr()).build().unwrap();
    let streamed = client
        .gen_stream(&request())
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.text, ANSWER);

    // 401 whose JSON message and request id echo the token.
    let server = serve(|_, h| async move {
        let body = serde_json::json!({"success": false, "result": null,
            "errors": [{"code": 10000, "message": format!("Authentication error: {} is not valid", echoed(&h))}]});
        let mut r = reply(401, "application/json", body.to_string());
        r.headers_mut()
            .insert("cf-ai-req-id", echoed(&h).parse().unwrap());
        r
    })
    .await;
    let e = sync_error(&server).await;
    assert_eq!(e.status(), Some(401));
    errors.push(("401 echoing the token (JSON)", e));

    // 401 with a plain-text echo.
    let server = serve(|_, h| async move {
        reply(
            401,
            "text/plain",
            format!("denied: Authorization: {}", echoed(&h)),
        )
    })
    .await;
    let e = sync_error(&server).await;
    errors.push(("401 echoing the token (text)", e));

    // 500 forever with an echo: retried, so the retry logs run too.
    let server = serve(|_, h| async move {
        reply(
            500,
            "text/plain",
            format!("crash while handling {}", echoed(&h)),
        )
    })
    .await;
    let e = sync_error(&server).await;
    assert_eq!(e.status(), Some(500));
    errors.push(("500 echoing the token", e));

    // A proxy's 200 debug page quoting the request headers.
    let server = serve(|_, h| async move {
        reply(
            200,
            "text/html",
            format!("<html><pre>Authorization: {}</pre></html>", echoed(&h)),
        )
    })
    .await;
    let client = builder(server.addr()).build().unwrap();
    errors.push((
        "200 HTML echoing the token",
        client.gen_sync(&request()).await.unwrap_err(),
    ));
    errors.push((
        "200 HTML echoing the token (stream)",
        stream_error(&client).await.unwrap(),
    ));

    // A stream whose garbage event quotes the token.
    let server = serve(|_, h| async move {
        let body = format!(
            "data: {{\"response\":\"Hi\"}}\n\ndata: echo {}\n\ndata: [DONE]\n\n",
            echoed(&h)
        );
        reply(200, "text/event-stream", body)
    })
    .await;
    let e = stream_error(&builder(server.addr()).build().unwrap())
        .await
        .unwrap();
    errors.push(("garbage stream event echoing the token", e));

    // Connection refused: reqwest's own error is the source.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let e = builder(dead)
        .build()
        .unwrap()
        .gen_sync(&request())
        .await
        .unwrap_err();
    errors.push(("connection refused", e));

    // A connection that breaks mid-stream.
    let server = serve(|_, _| async {
        let stream = futures_util::stream::iter([
            Ok(Bytes::from_static(b"data: {\"response\":\"Hi\"}\n\n")),
            Err(std::io::Error::other("cut")),
        ]);
        reply(200, "text/event-stream", Body::from_stream(stream))
    })
    .await;
    let e = stream_error(&builder(server.addr()).build().unwrap())
        .await
        .unwrap();
    errors.push(("connection broken mid-stream", e));

    // A timeout.
    let server = serve(|_, _| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        ok_sync()
    })
    .await;
    let e = builder(server.addr())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .gen_sync(&request())
        .await
        .unwrap_err();
    errors.push(("timeout", e));

    let leaks: Vec<&str> = errors
        .iter()
        .filter(|(_, e)| renderings(e).contains(TOKEN))
        .map(|(what, _)| *what)
        .collect();
    let text = out.text();
    assert!(
        leaks.is_empty() && !text.contains(TOKEN),
        "the token leaked through {leaks:?} (tracing output: {})",
        text.contains(TOKEN)
    );
    for (what, e) in &errors {
        assert_clean(what, &renderings(e));
    }
    assert!(text.contains("genai.call"), "nothing was captured:\n{text}");
    assert!(
        text.to_ascii_lowercase().contains("trace"),
        "trace level not captured"
    );
    assert_clean("tracing output", &text);
    // No content either: log_content is off.
    assert!(
        !text.contains("prompt-marker-4242"),
        "the prompt was logged:\n{text}"
    );
    assert!(
        !text.contains("answer-marker-1717"),
        "the reply was logged:\n{text}"
    );
    println!(
        "SECRETS: {} errors checked, {} bytes of trace output scanned",
        errors.len(),
        text.len()
    );
}

#[tokio::test]
async fn one_span_per_call_with_its_figures_and_content_only_when_asked() {
    let out = Captured::default();
    let spans = SpanLog::default();
    let _guard = tracing::subscriber::set_default(capture(&out, &spans));

    // A sync call that succeeds on its second attempt.
    let server = serve(|n, _| async move {
        if n == 0 {
            reply(503, "text/plain", "busy")
        } else {
            ok_sync()
        }
    })
    .await;
    let client = builder(server.addr()).build().unwrap();
    client.gen_sync(&request()).await.unwrap();
    // A stream.
    let server = serve(|_, _| async { ok_stream() }).await;
    let client = builder(server.addr()).build().unwrap();
    let mut stream = client.gen_stream(&request()).await.unwrap();
    let mut saw_usage = false;
    while let Some(ev) = stream.next_event().await {
        saw_usage |= matches!(ev.unwrap(), StreamEvent::Usage(_));
    }
    assert!(saw_usage);
    drop(stream);
    // A failed call.
    let server = serve(|_, _| async { reply(400, "text/plain", "bad") }).await;
    let client = builder(server.addr()).build().unwrap();
    client.gen_sync(&request()).await.unwrap_err();

    let calls = spans.calls();
    assert_eq!(calls.len(), 3, "one span per call: {calls:#?}");
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call.get("provider").map(String::as_str), Some("cloudflare"));
        assert_eq!(call.get("model").map(String::as_str), Some(MODEL));
        assert!(call.contains_key("latency_ms"), "call {i}: {call:?}");
    }
    let (sync, stream, failed) = (&calls[0], &calls[1], &calls[2]);
    assert_eq!(sync["attempt"], "2");
    assert_eq!(sync["status"], "200");
    assert_eq!(sync["input_tokens"], "11");
    assert_eq!(sync["output_tokens"], "3");
    assert_eq!(stream["attempt"], "1");
    assert_eq!(stream["status"], "200");
    assert_eq!(stream["input_tokens"], "11");
    assert_eq!(stream["output_tokens"], "3");
    assert_eq!(failed["attempt"], "1");
    assert_eq!(failed["status"], "400");
    // The OpenTelemetry GenAI conventions, and Workers AI's own attributes.
    for call in [sync, stream] {
        assert_eq!(call["otel.name"], format!("chat {MODEL}"));
        assert_eq!(call["gen_ai.operation.name"], "chat");
        assert_eq!(call["gen_ai.provider.name"], "cloudflare.workers_ai");
        assert_eq!(call["gen_ai.request.model"], MODEL);
        assert_eq!(call["gen_ai.output.type"], "text");
        assert_eq!(call["gen_ai.usage.input_tokens"], "11");
        assert_eq!(call["gen_ai.usage.output_tokens"], "3");
        assert_eq!(call["gen_ai.response.finish_reasons"], r#"["stop"]"#);
        assert_eq!(call["cloudflare.cost.source"], "estimated");
        assert!(call.contains_key("cloudflare.neurons"), "{call:?}");
    }
    assert_eq!(failed["error.type"], "invalid_request");
    // Never the messages, on any span.
    for call in &calls {
        for value in call.values() {
            assert!(!value.contains("prompt-marker") && !value.contains("answer-marker"));
        }
    }
    let text = out.text();
    assert!(!text.contains("prompt-marker-4242") && !text.contains("answer-marker-1717"));
    println!("SPANS: {calls:?}");

    // Opted in: prompt and reply appear at trace level, the token still does not.
    let out = Captured::default();
    let spans = SpanLog::default();
    let _guard = tracing::subscriber::set_default(capture(&out, &spans));
    let server = serve(|_, _| async { ok_sync() }).await;
    let client = builder(server.addr()).log_content(true).build().unwrap();
    client.gen_sync(&request()).await.unwrap();
    let text = out.text();
    assert!(text.contains("prompt-marker-4242"), "{text}");
    assert!(text.contains("answer-marker-1717"), "{text}");
    assert_clean("tracing output with log_content", &text);
}
