//! The fault matrix: every way the network or the service misbehaves, against loopback servers
//! written here, each case asserting how many requests were made, how long the call took (within
//! a generous bound: these are limits, not performance figures), the error's kind and status, and
//! what the caller saw before the error.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::response::Response;
use genai_cloudflare::{CloudflareBuilder, CloudflareChat};
use genai_core::http::{HttpOptions, RetryPolicy};
use genai_core::{ChatRequest, ChatStream, Error, ErrorKind, ProviderGen, StreamEvent};
use genai_testkit::loopback::{
    json_error, reply, sse_events, ScriptedServer as Server, SseTail as Tail,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::support::{ok_sync, ACCOUNT, OK_SYNC, SMALL_CHAT as MODEL};

const TOKEN: &str = "fault-matrix-token-not-a-real-one";
const EV_HEL: &str = "data: {\"response\":\"Hel\",\"p\":\"pad\"}\n\n";
const EV_LO: &str = "data: {\"response\":\"lo\"}\n\n";
const EV_USAGE: &str = "data: {\"response\":\"\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n";
const EV_DONE: &str = "data: [DONE]\n\n";
/// No test waits longer than this for anything.
const BOUND: Duration = Duration::from_secs(10);
/// Slack on top of a configured limit before a wait counts as "not within the limit".
const SLACK: Duration = Duration::from_millis(1500);

// ---------------------------------------------------------------------------------------------
// Loopback servers

/// A scripted loopback server whose every request is answered by `script(n)`, `n` counting
/// from 0; every request must be for the test model.
async fn serve<F, Fut>(script: F) -> Server
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_on(listener, script)
}

fn serve_on<F, Fut>(listener: TcpListener, script: F) -> Server
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    Server::start_on(listener, move |n, req| {
        assert!(
            req.path.ends_with(&format!("/ai/run/{MODEL}")),
            "{}",
            req.path
        );
        script(n)
    })
    .unwrap()
}

/// `r` with a `Retry-After: value` header.
fn with_retry_after(mut r: Response, value: &str) -> Response {
    r.headers_mut()
        .insert("retry-after", value.parse().expect("a header value"));
    r
}

fn sse(events: Vec<String>, gap: Duration, tail: Tail) -> Response {
    sse_events(events, gap, tail)
}

fn events(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A raw TCP server: each connection is handed to `on_conn(n, socket)`, `n` counting from 0.
struct RawServer {
    addr: SocketAddr,
    conns: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// A client of the test model at this server.
    fn client(&self) -> CloudflareChat {
        builder(&format!("http://{}/client/v4", self.addr))
            .build()
            .unwrap()
    }
}

/// Answers `sock` with [`OK_SYNC`] and closes it.
async fn answer_ok(mut sock: TcpStream) {
    let _ = sock.write_all(&raw_ok_sync()).await;
    let _ = sock.shutdown().await;
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn raw_serve<F, Fut>(on_conn: F) -> RawServer
where
    F: Fn(usize, TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let c = conns.clone();
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let n = c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(on_conn(n, sock));
        }
    });
    RawServer { addr, conns, task }
}

/// Reads one whole HTTP request (head and `content-length` body).
async fn read_request(sock: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    for _ in 0..1000 {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf
}

/// Waits until the peer closes the connection (a read returns 0 or fails).
async fn wait_closed(sock: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    loop {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn raw_ok_sync() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{OK_SYNC}",
        OK_SYNC.len()
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Client side

fn builder(base_url: &str) -> CloudflareBuilder {
    CloudflareChat::builder()
        .account_id(ACCOUNT)
        .api_token(TOKEN)
        .model(MODEL)
        .base_url(base_url)
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(80)),
        )
        .timeout(Duration::from_secs(5))
}

/// An address nothing listens on (yet).
async fn closed_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// The test client at `addr`, retrying `max_retries` times with backoffs from `backoff_ms.0`
/// to `backoff_ms.1` milliseconds.
fn retrying_client(addr: SocketAddr, max_retries: u32, backoff_ms: (u64, u64)) -> CloudflareChat {
    builder(&format!("http://{addr}/client/v4"))
        .retry_policy(
            RetryPolicy::default()
                .max_retries(max_retries)
                .initial_backoff(Duration::from_millis(backoff_ms.0))
                .max_backoff(Duration::from_millis(backoff_ms.1)),
        )
        .build()
        .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest::new().user("Say hello to the loopback server.")
}

async fn sync_call(client: &CloudflareChat) -> (genai_core::Result<String>, Duration) {
    let t = Instant::now();
    let r = tokio::time::timeout(BOUND, client.gen_sync(&request()))
        .await
        .expect("the call outlived the test bound");
    (r.map(|r| r.text), t.elapsed())
}

/// Everything a stream call showed the caller: text deltas, then the error that ended it.
struct Seen {
    deltas: Vec<String>,
    error: Option<Error>,
    elapsed: Duration,
}

async fn stream_call(client: &CloudflareChat) -> Seen {
    let t = Instant::now();
    let mut deltas = Vec::new();
    let run = async {
        let mut stream = client.gen_stream(&request()).await?;
        for _ in 0..10_000 {
            match stream.next_event().await {
                None => return Ok(()),
                Some(Err(e)) => {
                    assert!(
                        stream.next_event().await.is_none(),
                        "an error ends a stream"
                    );
                    return Err(e);
                }
                Some(Ok(StreamEvent::TextDelta(d))) => deltas.push(d),
                Some(Ok(_)) => {}
            }
        }
        panic!("the stream never ended");
    };
    let r = tokio::time::timeout(BOUND, run)
        .await
        .expect("the stream outlived the test bound");
    Seen {
        deltas,
        error: r.err(),
        elapsed: t.elapsed(),
    }
}

fn report(case: &str, hits: usize, elapsed: Duration, outcome: &str) {
    println!(
        "FAULT {case}: requests={hits} elapsed_ms={} {outcome}",
        elapsed.as_millis()
    );
}

// ---------------------------------------------------------------------------------------------
// Retries

/// A 429 whose `Retry-After` is `value()` then a 200: the call waits at least the one second
/// the value gives (a date has a one-second resolution), at most `most`, and succeeds.
async fn retry_after_is_honoured(case: &str, value: fn() -> String, most: Duration) {
    let server = serve(move |n| async move {
        if n == 0 {
            with_retry_after(json_error(429, 3021, "Too many requests"), &value())
        } else {
            ok_sync()
        }
    })
    .await;
    let client = builder(&server.base_url()).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap(), "hello from the loopback");
    assert_eq!(server.hits(), 2);
    assert!(
        server.spread() >= Duration::from_millis(990),
        "{:?}",
        server.spread()
    );
    assert!(elapsed < most + SLACK, "{elapsed:?}");
    report(case, server.hits(), elapsed, "ok");
}

#[tokio::test]
async fn rate_limit_with_retry_after_seconds_is_honoured_then_succeeds() {
    let one_second = || "1".to_owned();
    retry_after_is_honoured(
        "429 Retry-After: 1 then 200",
        one_second,
        Duration::from_secs(1),
    )
    .await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_http_date_is_honoured_then_succeeds() {
    let in_two_seconds = || httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    retry_after_is_honoured(
        "429 Retry-After: <date +2s> then 200",
        in_two_seconds,
        Duration::from_secs(2),
    )
    .await;
}

#[tokio::test]
async fn retry_after_beyond_the_cap_or_the_deadline_ends_the_call_at_once() {
    let server =
        serve(|_| async { with_retry_after(json_error(429, 3021, "Too many requests"), "120") })
            .await;
    // 120 s is past the 60 s cap on Retry-After.
    let client = builder(&server.base_url()).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(server.hits(), 1);
    assert!(elapsed < SLACK, "{elapsed:?}");
    report(
        "429 Retry-After: 120 (cap 60 s)",
        server.hits(),
        elapsed,
        "rate_limited",
    );

    // Within the cap but past the call's deadline: no point waiting.
    let server =
        serve(|_| async { with_retry_after(json_error(429, 3021, "Too many requests"), "5") })
            .await;
    let client = builder(&server.base_url())
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap_err().kind(), ErrorKind::RateLimited);
    assert_eq!(server.hits(), 1);
    assert!(elapsed < Duration::from_millis(800), "{elapsed:?}");
    report(
        "429 Retry-After: 5 (deadline 0.8 s)",
        server.hits(),
        elapsed,
        "rate_limited",
    );
}

#[tokio::test]
async fn capacity_error_is_retried_then_succeeds() {
    let server = serve(|n| async move {
        if n == 0 {
            json_error(
                429,
                3040,
                "Capacity temporarily exceeded, please try again.",
            )
        } else {
            ok_sync()
        }
    })
    .await;
    let client = builder(&server.base_url()).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap(), "hello from the loopback");
    assert_eq!(server.hits(), 2);
    // Backoff only: 10-20 ms with the test's policy.
    assert!(server.spread() >= Duration::from_millis(10));
    assert!(elapsed < SLACK, "{elapsed:?}");
    report("capacity 3040 then 200", server.hits(), elapsed, "ok");
}

#[tokio::test]
async fn server_error_forever_fails_after_exactly_one_plus_max_retries_attempts() {
    for max_retries in [0u32, 1, 3] {
        let server = serve(|_| async { reply(500, "text/plain", "upstream exploded") }).await;
        let client = builder(&server.base_url())
            .max_retries(max_retries)
            .build()
            .unwrap();
        let (r, elapsed) = sync_call(&client).await;
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.status(), Some(500));
        assert!(e.message().contains("upstream exploded"), "{}", e.message());
        assert_eq!(server.hits(), 1 + max_retries as usize);
        assert!(elapsed < SLACK, "{elapsed:?}");
        report(
            &format!("500 forever, max_retries={max_retries}"),
            server.hits(),
            elapsed,
            "unavailable/500",
        );
    }
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let server = serve(|_| async {
        json_error(
            400,
            5006,
            "AiError: Error: oneOf at '/' not met, 0 matches: required properties are 'prompt'",
        )
    })
    .await;
    let client = builder(&server.base_url()).max_retries(5).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.code(), Some(5006));
    assert!(!e.is_retryable());
    assert_eq!(server.hits(), 1);
    report("400", server.hits(), elapsed, "invalid_request/400");

    // Other 4xx are final too.
    for (status, code) in [(401, 10000), (403, 5016), (404, 7000)] {
        let server = serve(move |_| async move { json_error(status, code, "no") }).await;
        let client = builder(&server.base_url()).max_retries(5).build().unwrap();
        let (r, _) = sync_call(&client).await;
        assert!(r.is_err());
        assert_eq!(server.hits(), 1, "status {status}");
    }
}

#[tokio::test]
async fn connection_refused_is_retried_until_the_server_comes_up() {
    let addr = closed_addr().await;
    let client = retrying_client(addr, 8, (100, 200));
    let started = Instant::now();
    let up = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let listener = TcpListener::bind(addr).await.unwrap();
        serve_on(listener, |_| async { ok_sync() })
    });
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap(), "hello from the loopback");
    let server = up.await.unwrap();
    assert_eq!(server.hits(), 1);
    assert!(started.elapsed() >= Duration::from_millis(250));
    report("connection refused, then up", server.hits(), elapsed, "ok");
}

#[tokio::test]
async fn connection_refused_forever_fails_as_connection_after_the_retries() {
    let addr = closed_addr().await;
    let client = retrying_client(addr, 2, (100, 400));
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    assert!(e.is_retryable());
    assert_eq!(e.status(), None);
    // Two backoffs of at least 50 and 100 ms (half of 100 and 200 ms, the jitter's floor).
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(300) + SLACK, "{elapsed:?}");
    report(
        "connection refused forever, max_retries=2",
        0,
        elapsed,
        "connection",
    );
}

#[tokio::test]
async fn connection_reset_before_any_byte_is_retried() {
    let server = raw_serve(|n, mut sock| async move {
        let _ = read_request(&mut sock).await;
        if n < 2 {
            // Reset: close with linger 0 so the peer gets an RST, not a clean FIN (linger 0
            // never blocks, which is what the deprecation warns about).
            #[allow(deprecated)]
            let _ = sock.set_linger(Some(Duration::ZERO));
            drop(sock);
            return;
        }
        answer_ok(sock).await;
    })
    .await;
    let client = server.client();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap(), "hello from the loopback");
    assert_eq!(server.conns.load(Ordering::SeqCst), 3);
    report("reset before any byte x2, then 200", 3, elapsed, "ok");

    // Closed cleanly (FIN) without a byte of reply: the same.
    let server = raw_serve(|n, mut sock| async move {
        let _ = read_request(&mut sock).await;
        if n == 0 {
            let _ = sock.shutdown().await;
            return;
        }
        answer_ok(sock).await;
    })
    .await;
    let client = server.client();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap(), "hello from the loopback");
    assert_eq!(server.conns.load(Ordering::SeqCst), 2);
    report("closed before any byte, then 200", 2, elapsed, "ok");
}

#[tokio::test]
async fn stream_is_retried_before_its_first_event_only() {
    // A 503 before any event is retried...
    let server = serve(|n| async move {
        if n == 0 {
            reply(503, "text/plain", "warming up")
        } else {
            sse(
                events(&[EV_HEL, EV_LO, EV_USAGE, EV_DONE]),
                Duration::ZERO,
                Tail::End,
            )
        }
    })
    .await;
    let client = builder(&server.base_url()).build().unwrap();
    let seen = stream_call(&client).await;
    assert!(seen.error.is_none(), "{:?}", seen.error);
    assert_eq!(seen.deltas.concat(), "Hello");
    assert_eq!(server.hits(), 2);
    report("stream: 503 then 200", server.hits(), seen.elapsed, "ok");

    // ...a break after an event is not: the caller saw it, so the call is over.
    let server = serve(|_| async { sse(events(&[EV_HEL]), Duration::ZERO, Tail::Break) }).await;
    let client = builder(&server.base_url()).max_retries(5).build().unwrap();
    let seen = stream_call(&client).await;
    let e = seen.error.expect("the break must be reported");
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(seen.deltas, ["Hel"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.hits(),
        1,
        "a stream that yielded an event was retried"
    );
    report(
        "stream: event then connection break",
        server.hits(),
        seen.elapsed,
        "protocol",
    );
}

// ---------------------------------------------------------------------------------------------
// Time limits

#[tokio::test]
async fn stall_before_the_headers_times_out_within_the_limit() {
    let server = serve(|_| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        ok_sync()
    })
    .await;
    let limit = Duration::from_millis(400);
    let client = builder(&server.base_url()).timeout(limit).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(elapsed >= limit && elapsed < limit + SLACK, "{elapsed:?}");
    assert_eq!(server.hits(), 1);
    report("stall before headers (sync, 0.4 s)", 1, elapsed, "timeout");

    // The same for a stream request.
    let seen = stream_call(&client).await;
    assert_eq!(seen.error.unwrap().kind(), ErrorKind::Timeout);
    assert!(seen.deltas.is_empty());
    assert!(seen.elapsed < limit + SLACK, "{:?}", seen.elapsed);
    report(
        "stall before headers (stream, 0.4 s)",
        server.hits() - 1,
        seen.elapsed,
        "timeout",
    );
}

#[tokio::test]
async fn stall_in_a_sync_body_times_out_within_the_limit() {
    let server = serve(|_| async {
        let stream = futures_util::stream::unfold(0, |n| async move {
            if n == 0 {
                Some((Ok::<_, Infallible>(Bytes::from_static(b"{\"result\":{")), 1))
            } else {
                std::future::pending::<()>().await;
                None
            }
        });
        reply(200, "application/json", Body::from_stream(stream))
    })
    .await;
    let limit = Duration::from_millis(400);
    let client = builder(&server.base_url()).timeout(limit).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Timeout);
    assert!(elapsed >= limit && elapsed < limit + SLACK, "{elapsed:?}");
    assert_eq!(server.hits(), 1);
    report("stall mid-body (sync, 0.4 s)", 1, elapsed, "timeout");
}

#[tokio::test]
async fn stall_mid_stream_times_out_after_the_deltas_already_yielded() {
    // Silence after one event: the idle limit.
    let server = serve(|_| async { sse(events(&[EV_HEL]), Duration::ZERO, Tail::Stall) }).await;
    let idle = Duration::from_millis(300);
    let client = builder(&server.base_url())
        .http_options(
            HttpOptions::default()
                .timeout(Duration::from_secs(8))
                .idle_timeout(idle)
                .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(20))),
        )
        .build()
        .unwrap();
    let seen = stream_call(&client).await;
    let e = seen.error.expect("a stall must end the stream");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(seen.deltas, ["Hel"]);
    assert!(
        seen.elapsed >= idle && seen.elapsed < idle + SLACK,
        "{:?}",
        seen.elapsed
    );
    assert_eq!(server.hits(), 1);
    report(
        "stall mid-stream (idle 0.3 s)",
        1,
        seen.elapsed,
        "timeout after 1 delta",
    );

    // Events keep coming but the whole call outlives its deadline.
    let trickle: Vec<String> = (0..100)
        .map(|i| format!("data: {{\"response\":\"w{i} \"}}\n\n"))
        .collect();
    let server = serve(move |_| {
        let t = trickle.clone();
        async move { sse(t, Duration::from_millis(50), Tail::End) }
    })
    .await;
    let limit = Duration::from_millis(500);
    let client = builder(&server.base_url()).timeout(limit).build().unwrap();
    let seen = stream_call(&client).await;
    assert_eq!(seen.error.unwrap().kind(), ErrorKind::Timeout);
    assert!(seen.deltas.len() >= 2, "{:?}", seen.deltas);
    assert!(
        seen.elapsed >= limit && seen.elapsed < limit + SLACK,
        "{:?}",
        seen.elapsed
    );
    report(
        "trickling stream past the deadline (0.5 s)",
        server.hits(),
        seen.elapsed,
        &format!("timeout after {} deltas", seen.deltas.len()),
    );
}

// ---------------------------------------------------------------------------------------------
// Never a silent partial success

#[tokio::test]
async fn broken_streams_end_with_a_protocol_error_after_their_deltas() {
    let cases: Vec<(&str, Vec<String>, Tail, &str)> = vec![
        (
            "cut mid-event (clean end)",
            events(&[EV_HEL, EV_LO, "data: {\"respo"]),
            Tail::End,
            "middle of an event",
        ),
        (
            "cut mid-event (connection break)",
            events(&[EV_HEL, EV_LO, "data: {\"respo"]),
            Tail::Break,
            "broke",
        ),
        (
            "no [DONE]",
            events(&[EV_HEL, EV_LO, EV_USAGE]),
            Tail::End,
            "before [DONE]",
        ),
        (
            "garbage event",
            events(&[EV_HEL, EV_LO, "data: <html>oops</html>\n\n", EV_DONE]),
            Tail::End,
            "not valid JSON",
        ),
    ];
    for (name, evs, tail, needle) in cases {
        let server = serve(move |_| {
            let evs = evs.clone();
            async move { sse(evs, Duration::ZERO, tail) }
        })
        .await;
        let client = builder(&server.base_url()).max_retries(3).build().unwrap();
        let seen = stream_call(&client).await;
        let e = seen
            .error
            .unwrap_or_else(|| panic!("{name}: a silent partial success"));
        assert_eq!(e.kind(), ErrorKind::Protocol, "{name}: {e}");
        assert!(e.message().contains(needle), "{name}: {}", e.message());
        assert_eq!(e.provider(), Some("cloudflare"));
        assert_eq!(seen.deltas, ["Hel", "lo"], "{name}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.hits(), 1, "{name}: retried after yielding events");
        report(name, server.hits(), seen.elapsed, "protocol after 2 deltas");
    }
}

#[tokio::test]
async fn html_page_with_status_200_is_a_protocol_error_quoting_status_and_body() {
    const PAGE: &str = "<!DOCTYPE html><html><head><title>Proxy maintenance</title></head><body>Back soon</body></html>";
    let server = serve(|_| async { reply(200, "text/html", PAGE) }).await;
    let client = builder(&server.base_url()).build().unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.status(), Some(200));
    assert!(e.message().contains("HTTP 200"), "{}", e.message());
    assert!(
        e.message().contains("<!DOCTYPE html><html><head>"),
        "{}",
        e.message()
    );
    assert_eq!(server.hits(), 1);
    report("200 HTML (sync)", 1, elapsed, "protocol");

    // The same page in answer to a stream request.
    let seen = stream_call(&client).await;
    let e = seen.error.unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("HTTP 200") && e.message().contains("Proxy maintenance"));
    assert!(seen.deltas.is_empty());
    report(
        "200 HTML (stream)",
        server.hits() - 1,
        seen.elapsed,
        "protocol",
    );
}

#[tokio::test]
async fn replies_over_the_size_limit_are_refused() {
    let big = format!(
        r#"{{"result":{{"response":"{}"}},"success":true,"errors":[],"messages":[]}}"#,
        "x".repeat(4096)
    );
    let limit = 1024;
    let options = HttpOptions::default()
        .timeout(Duration::from_secs(5))
        .max_response_bytes(limit);

    // With a content-length.
    let b = big.clone();
    let server = serve(move |_| {
        let b = b.clone();
        async move { reply(200, "application/json", b) }
    })
    .await;
    let client = builder(&server.base_url())
        .http_options(options)
        .build()
        .unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("1024 byte limit"), "{}", e.message());
    assert_eq!(server.hits(), 1);
    report(
        "4 KiB reply, 1 KiB limit (content-length)",
        1,
        elapsed,
        "protocol",
    );

    // Chunked, without a length.
    let server = serve(move |_| {
        let pieces: Vec<Result<Bytes, Infallible>> = big
            .as_bytes()
            .chunks(256)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        async move {
            reply(
                200,
                "application/json",
                Body::from_stream(futures_util::stream::iter(pieces)),
            )
        }
    })
    .await;
    let client = builder(&server.base_url())
        .http_options(options)
        .build()
        .unwrap();
    let (r, elapsed) = sync_call(&client).await;
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("1024 byte limit"), "{}", e.message());
    report("4 KiB reply, 1 KiB limit (chunked)", 1, elapsed, "protocol");

    // A stream counts all its bytes.
    let many: Vec<String> = (0..64)
        .map(|i| format!("data: {{\"response\":\"part {i:02} \"}}\n\n"))
        .collect();
    let server = serve(move |_| {
        let m = many.clone();
        async move { sse(m, Duration::from_millis(2), Tail::End) }
    })
    .await;
    let client = builder(&server.base_url())
        .http_options(options)
        .build()
        .unwrap();
    let seen = stream_call(&client).await;
    let e = seen.error.unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("1024 byte limit"), "{}", e.message());
    assert!(!seen.deltas.is_empty() && seen.deltas.len() < 64);
    report(
        "stream past 1 KiB",
        server.hits(),
        seen.elapsed,
        &format!("protocol after {} deltas", seen.deltas.len()),
    );
}

// ---------------------------------------------------------------------------------------------
// Cancellation

/// A value that reports when it is dropped.
struct DropSignal(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test]
async fn dropping_a_stream_closes_the_connection() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let signal = Arc::new(Mutex::new(Some(DropSignal(Some(tx)))));
    let server = serve(move |_| {
        let signal = signal.lock().unwrap().take();
        async move {
            // An endless stream: the first event, then a keep-alive comment every 20 ms. The
            // server drops the body (and with it the signal) only when the connection closes.
            let stream = futures_util::stream::unfold((signal, 0u32), |(sig, n)| async move {
                if n > 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let bytes = if n == 0 { EV_HEL } else { ": still here\n\n" };
                Some((
                    Ok::<_, Infallible>(Bytes::from_static(bytes.as_bytes())),
                    (sig, n + 1),
                ))
            });
            reply(200, "text/event-stream", Body::from_stream(stream))
        }
    })
    .await;
    let client = builder(&server.base_url()).build().unwrap();
    let mut stream: ChatStream = client.gen_stream(&request()).await.unwrap();
    let first = stream.next_event().await.unwrap().unwrap();
    assert_eq!(first, StreamEvent::TextDelta("Hel".into()));
    let t = Instant::now();
    drop(stream);
    tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("the server still holds the connection 5 s after the stream was dropped")
        .unwrap();
    report(
        "drop a stream mid-way",
        server.hits(),
        t.elapsed(),
        "connection closed",
    );
}

#[tokio::test]
async fn a_callers_timeout_leaves_nothing_running() {
    // A sync call cancelled by the caller while the server stalls before the headers.
    let (tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let server = raw_serve(move |_, mut sock| {
        let tx = tx.clone();
        async move {
            let _ = read_request(&mut sock).await;
            wait_closed(&mut sock).await;
            let _ = tx.send(());
        }
    })
    .await;
    let client = builder(&format!("http://{}/client/v4", server.addr))
        .max_retries(5)
        .build()
        .unwrap();
    let r = tokio::time::timeout(Duration::from_millis(200), client.gen_sync(&request())).await;
    assert!(r.is_err(), "the caller's timeout must win");
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .expect("the connection stayed open after the caller gave up");
    let closed_after = t.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.conns.load(Ordering::SeqCst),
        1,
        "something retried in the background"
    );
    report(
        "caller's timeout on a sync call",
        1,
        closed_after,
        "connection closed, no retry",
    );

    // A stream abandoned by the caller's timeout between two events.
    let (tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let server = raw_serve(move |_, mut sock| {
        let tx = tx.clone();
        async move {
            let _ = read_request(&mut sock).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            let chunk = format!("{:x}\r\n{EV_HEL}\r\n", EV_HEL.len());
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(chunk.as_bytes()).await;
            wait_closed(&mut sock).await;
            let _ = tx.send(());
        }
    })
    .await;
    let client = server.client();
    let mut stream = client.gen_stream(&request()).await.unwrap();
    assert_eq!(
        stream.next_event().await.unwrap().unwrap(),
        StreamEvent::TextDelta("Hel".into())
    );
    let r = tokio::time::timeout(Duration::from_millis(200), stream.next_event()).await;
    assert!(r.is_err());
    drop(stream);
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .expect("the connection stayed open after the stream was abandoned");
    let closed_after = t.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.conns.load(Ordering::SeqCst), 1);
    report(
        "caller's timeout on a stream",
        1,
        closed_after,
        "connection closed, no retry",
    );
}

#[tokio::test]
async fn a_chunk_that_fails_halfway_delivers_nothing_after_its_error() {
    // Text and a malformed tool call in one chunk: the error ends the stream, and the text
    // queued by the same chunk is not delivered after it.
    let server = serve(|_| async {
        sse(
            events(&[
                EV_HEL,
                "data: {\"response\":\" there\",\"tool_calls\":[{\"arguments\":{}}]}\n\n",
                EV_DONE,
            ]),
            Duration::ZERO,
            Tail::End,
        )
    })
    .await;
    let client = builder(&server.base_url()).build().unwrap();
    let seen = stream_call(&client).await;
    assert_eq!(seen.deltas, ["Hel"]);
    let e = seen.error.expect("the malformed chunk is an error");
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("without a name"), "{e}");
}
