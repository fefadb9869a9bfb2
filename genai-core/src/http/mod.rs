//! HTTP plumbing every backend needs: retries with backoff, deadlines, bounded bodies, SSE.
//!
//! A backend builds its request and maps a failed reply to an [`Error`]; [`send`] does the
//! rest. Streams read through [`SseBody`], which enforces the idle and overall time limits;
//! binary replies through [`BinaryBody`].
//!
//! This module is for backend authors, and is built on [`reqwest`]: its functions take and
//! return `reqwest` types. The crate is re-exported here so that a backend names the very
//! version the plumbing uses (`genai_core::http::reqwest`), and callers of a backend never
//! meet it. Nothing outside this module exposes an HTTP type.

mod retry;
mod sse;

use std::borrow::Cow;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

pub use reqwest;
pub use retry::{parse_retry_after, RetryPolicy};
pub use sse::{SseDecoder, SseEvent};

use crate::error::{Error, ErrorKind, Result};

/// Time limits, retries and size limits of a backend's HTTP calls.
///
/// ```
/// use genai_core::http::HttpOptions;
/// use std::time::Duration;
/// let opts = HttpOptions::default().timeout(Duration::from_secs(30));
/// assert_eq!(opts.timeout, Some(Duration::from_secs(30)));
/// assert_eq!(opts.idle_timeout, Some(Duration::from_secs(30)));
/// assert_eq!(opts.retry.max_retries, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Retries of failures that may succeed later.
    pub retry: RetryPolicy,
    /// The overall deadline of one call, retries, waits and a whole stream included (default
    /// 10 minutes: long generations take minutes; the idle limit catches a stalled peer).
    pub timeout: Option<Duration>,
    /// The longest silence between two reads of a reply, error bodies included (default 60 s).
    pub idle_timeout: Option<Duration>,
    /// The largest reply accepted, in bytes (default 64 MiB; a stream counts all its bytes).
    pub max_response_bytes: usize,
    /// The longest line of an SSE stream (default 1 MiB).
    pub max_event_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            retry: RetryPolicy::default(),
            timeout: Some(Duration::from_secs(600)),
            idle_timeout: Some(Duration::from_secs(60)),
            max_response_bytes: 64 << 20,
            max_event_bytes: 1 << 20,
        }
    }
}

impl HttpOptions {
    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the overall deadline and the idle limit to `timeout` (call
    /// [`idle_timeout`](Self::idle_timeout) afterwards to set the idle limit apart).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self.idle_timeout = Some(timeout);
        self
    }

    /// Sets the longest silence between two reads.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Sets the largest reply accepted.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }
}

/// The moment a call must be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// A deadline `timeout` from now (`None`: never).
    pub fn after(timeout: Option<Duration>) -> Self {
        Deadline(timeout.map(|t| Instant::now() + t))
    }

    /// Time left (`None`: unlimited).
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Runs `fut` within the deadline and, when given, `idle`; `what` names the wait in the
    /// timeout error.
    pub async fn run<T>(
        &self,
        idle: Option<Duration>,
        what: &str,
        fut: impl Future<Output = T>,
    ) -> Result<T> {
        let limit = match (self.remaining(), idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match limit {
            None => Ok(fut.await),
            Some(limit) => tokio::time::timeout(limit, fut).await.map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("no answer within {} ms while {what}", limit.as_millis()),
                )
            }),
        }
    }
}

/// A failed HTTP reply, as received: what a backend's error mapper reads.
#[derive(Debug, Clone)]
pub struct HttpFailure {
    /// The status code.
    pub status: u16,
    /// The reply headers.
    pub headers: HeaderMap,
    /// The start of the body (at most 64 KiB).
    pub body: Bytes,
}

impl HttpFailure {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Retry-After` delay, when the reply had one.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.header("retry-after")?, SystemTime::now())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The error a status implies when the body says nothing better: 401 unauthenticated,
    /// 403 permission denied, 404 not found, 408 timeout, 429 rate limited, 5xx unavailable,
    /// other 4xx invalid request. Only 429 and 5xx are retryable. `Retry-After` is attached.
    pub fn default_error(&self, message: impl Into<String>) -> Error {
        let kind = status_kind(self.status);
        let mut err = Error::new(kind, message).with_status(self.status);
        if let Some(d) = self.retry_after() {
            err = err.with_retry_after(d);
        }
        err
    }
}

/// The [`ErrorKind`] an HTTP status implies on its own.
pub fn status_kind(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::InvalidRequest,
    }
}

const MAX_ERROR_BODY: usize = 64 << 10;

/// Sends a request, retrying what the policy allows, and returns the first successful reply.
///
/// `build` makes a fresh request for each attempt; `map_failure` turns a non-2xx reply into
/// the backend's error. Connection failures are retried like 5xx; nothing else is. Waits honour
/// `Retry-After` and never outlast `deadline`. The current tracing span gets `attempt`,
/// `status` and `latency_ms` recorded.
pub async fn send(
    options: &HttpOptions,
    deadline: &Deadline,
    build: impl Fn() -> reqwest::RequestBuilder,
    map_failure: impl Fn(HttpFailure) -> Error,
) -> Result<reqwest::Response> {
    let span = tracing::Span::current();
    let started = Instant::now();
    let mut retry = 0;
    loop {
        span.record("attempt", retry + 1);
        let err = match deadline
            .run(None, "waiting for the reply headers", build().send())
            .await?
        {
            Ok(resp) if resp.status().is_success() => {
                span.record("status", resp.status().as_u16());
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                return Ok(resp);
            }
            Ok(resp) => {
                let status = resp.status();
                span.record("status", status.as_u16());
                let headers = resp.headers().clone();
                let rate_limit = crate::RateLimit::from_headers(&headers);
                // A body that stalls or breaks still leaves the status to judge by.
                let body = read_body(resp, MAX_ERROR_BODY, deadline, options.idle_timeout, true)
                    .await
                    .unwrap_or_default();
                let err = map_failure(HttpFailure {
                    status: status.as_u16(),
                    headers,
                    body,
                });
                match rate_limit {
                    Some(rl) if err.rate_limit().is_none() => err.with_rate_limit(rl),
                    _ => err,
                }
            }
            Err(e) => transport_error(e),
        };
        let Some(delay) = options.retry.delay_for(&err, retry) else {
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            return Err(err);
        };
        if deadline.remaining().is_some_and(|left| left <= delay) {
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            return Err(err);
        }
        tracing::debug!(
            kind = %err.kind(),
            status = err.status(),
            delay_ms = delay.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}

/// Maps a `reqwest` failure before any reply byte: connection problems are retryable.
pub fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::Config
    } else {
        ErrorKind::Connection
    };
    let message = match kind {
        ErrorKind::Config => "the request could not be built (check the base URL)",
        ErrorKind::Timeout => "the connection timed out",
        _ => "the connection failed before a reply arrived",
    };
    let message = match connection_cause(&e) {
        Some(cause) => format!("{message}: {cause}"),
        None => message.to_owned(),
    };
    Error::new(kind, message)
        .with_retryable(kind != ErrorKind::Config)
        .with_source(e.without_url())
}

/// Why a connection failed, from the error's causes (which never hold the URL): the host name
/// did not resolve (DNS), the connection was refused or reset, or the TLS handshake failed,
/// followed by the innermost cause's own words.
fn connection_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut causes = Vec::new();
    let mut next = e.source();
    while let Some(cause) = next {
        causes.push(cause.to_string());
        next = cause.source();
    }
    let innermost = causes.last()?.clone();
    Some(match classify_cause(&causes.join(": ")) {
        Some(what) => format!("{what} ({innermost})"),
        None => innermost,
    })
}

/// A plain name for a connection failure, from the text of its causes.
fn classify_cause(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
        "temporary failure in name resolution",
    ]) {
        Some("the host name could not be resolved (DNS)")
    } else if has(&["connection refused", "actively refused"]) {
        Some("the connection was refused (nothing listens there)")
    } else if has(&["certificate", "tls", "ssl", "handshake"]) {
        Some("the TLS handshake failed")
    } else if has(&["connection reset", "broken pipe"]) {
        Some("the connection was reset")
    } else if has(&["network is unreachable", "no route to host"]) {
        Some("the network is unreachable")
    } else {
        None
    }
}

/// Reads a whole body, refusing more than `limit` bytes (or, with `truncate`, keeping only the
/// first `limit`), within `deadline` and `idle`.
pub async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
    deadline: &Deadline,
    idle: Option<Duration>,
    truncate: bool,
) -> Result<Bytes> {
    if !truncate {
        if let Some(len) = resp.content_length() {
            if len > limit as u64 {
                return Err(too_large(limit));
            }
        }
    }
    let mut body = BytesMut::new();
    loop {
        let chunk = deadline
            .run(idle, "reading the reply body", resp.chunk())
            .await?
            .map_err(body_error)?;
        let Some(chunk) = chunk else {
            return Ok(body.freeze());
        };
        if body.len() + chunk.len() > limit {
            if truncate {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                return Ok(body.freeze());
            }
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
}

fn too_large(limit: usize) -> Error {
    Error::protocol(format!("the reply is larger than the {limit} byte limit"))
}

fn body_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::new(ErrorKind::Timeout, "timed out reading the reply")
            .with_source(e.without_url());
    }
    Error::protocol("the connection broke in the middle of the reply").with_source(e.without_url())
}

/// A binary reply body (an image, a sound) read chunk by chunk within the time and size
/// limits, never held whole. A body that ends before its `Content-Length` is a
/// [`Protocol`](ErrorKind::Protocol) error, never a short success.
#[derive(Debug)]
pub struct BinaryBody {
    resp: reqwest::Response,
    deadline: Deadline,
    idle: Option<Duration>,
    read: u64,
    limit: u64,
    expected: Option<u64>,
    ended: bool,
}

impl BinaryBody {
    /// Reads `resp` as raw bytes; fails at once when its `Content-Length` is over the limit.
    pub fn new(resp: reqwest::Response, options: &HttpOptions, deadline: Deadline) -> Result<Self> {
        let limit = options.max_response_bytes as u64;
        let expected = resp.content_length();
        if expected.is_some_and(|len| len > limit) {
            return Err(too_large(options.max_response_bytes));
        }
        Ok(BinaryBody {
            resp,
            deadline,
            idle: options.idle_timeout,
            read: 0,
            limit,
            expected,
            ended: false,
        })
    }

    /// The reply's `Content-Type`, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The size the service announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.expected
    }

    /// The next chunk, `None` at the end of a complete body.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        if self.ended {
            return Ok(None);
        }
        let chunk = self
            .deadline
            .run(self.idle, "reading the reply body", self.resp.chunk())
            .await?
            .map_err(body_error)?;
        match chunk {
            Some(chunk) => {
                self.read += chunk.len() as u64;
                if self.read > self.limit {
                    return Err(too_large(self.limit as usize));
                }
                Ok(Some(chunk))
            }
            None => {
                self.ended = true;
                match self.expected {
                    Some(len) if self.read != len => Err(Error::protocol(format!(
                        "the reply was cut: {} of the {len} announced bytes arrived",
                        self.read
                    ))),
                    _ => Ok(None),
                }
            }
        }
    }
}

/// A streamed reply body, read as server-sent events within the time and size limits.
#[derive(Debug)]
pub struct SseBody {
    resp: reqwest::Response,
    decoder: SseDecoder,
    deadline: Deadline,
    idle: Option<Duration>,
    read: usize,
    limit: usize,
}

impl SseBody {
    /// Reads `resp` as an event stream.
    pub fn new(resp: reqwest::Response, options: &HttpOptions, deadline: Deadline) -> Self {
        SseBody {
            resp,
            decoder: SseDecoder::new(options.max_event_bytes),
            deadline,
            idle: options.idle_timeout,
            read: 0,
            limit: options.max_response_bytes,
        }
    }

    /// The data of the next event, borrowed until the next call; `None` when the body ended
    /// cleanly. A body that ends inside an event, stalls past a limit or grows past the size
    /// limit is an error.
    pub async fn next_data(&mut self) -> Result<Option<&[u8]>> {
        loop {
            if let Some(r) = self.decoder.step()? {
                return Ok(Some(self.decoder.ready(r)));
            }
            if self.decoder.is_ended() {
                return Ok(None);
            }
            self.read_more().await?;
        }
    }

    /// The data of the next event already received, without waiting for the network; `None`
    /// when more bytes are needed (then call [`read_more`](Self::read_more)) or, once
    /// [`is_ended`](Self::is_ended), when the body ended cleanly. Lets a caller drain a read's
    /// events synchronously, with no future per event.
    pub fn next_buffered(&mut self) -> Result<Option<&[u8]>> {
        self.decoder.next_data()
    }

    /// Reads the next piece of the body (within the time and size limits) into the decoder;
    /// at the end of the body, marks it [ended](Self::is_ended).
    pub async fn read_more(&mut self) -> Result<()> {
        if self.decoder.is_ended() {
            return Ok(());
        }
        let chunk = self
            .deadline
            .run(
                self.idle,
                "waiting for the next stream event",
                self.resp.chunk(),
            )
            .await?
            .map_err(body_error)?;
        match chunk {
            Some(chunk) => {
                self.read += chunk.len();
                if self.read > self.limit {
                    return Err(too_large(self.limit));
                }
                self.decoder.feed(&chunk);
            }
            None => self.decoder.end(),
        }
        Ok(())
    }

    /// Whether the body ended: once [`next_buffered`](Self::next_buffered) returns `None`,
    /// no event is left.
    pub fn is_ended(&self) -> bool {
        self.decoder.is_ended()
    }

    /// The reply's status.
    pub fn status(&self) -> StatusCode {
        self.resp.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_causes_get_plain_names() {
        for (text, name) in [
            ("client error (Connect): dns error: failed to lookup address information: Name or service not known", "DNS"),
            ("tcp connect error: Connection refused (os error 111)", "refused"),
            ("invalid peer certificate: UnknownIssuer", "TLS"),
            ("connection reset by peer", "reset"),
        ] {
            let got = classify_cause(text).unwrap_or_default();
            assert!(got.contains(name), "{text}: {got}");
        }
        assert_eq!(classify_cause("something else"), None);
    }

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/secret-path");
        let e = reqwest::Client::new().get(&url).send().await.unwrap_err();
        let err = transport_error(e);
        assert_eq!(err.kind(), ErrorKind::Connection);
        assert!(err.message().contains("refused"), "{}", err.message());
        assert!(!err.message().contains("secret-path"), "{}", err.message());
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(status_kind(401), ErrorKind::Unauthenticated);
        assert_eq!(status_kind(429), ErrorKind::RateLimited);
        assert_eq!(status_kind(503), ErrorKind::Unavailable);
        assert_eq!(status_kind(422), ErrorKind::InvalidRequest);
    }

    #[test]
    fn only_429_and_5xx_are_retryable_by_status() {
        for (status, retryable) in [
            (400, false),
            (408, false),
            (409, false),
            (429, true),
            (500, true),
            (503, true),
        ] {
            let f = HttpFailure {
                status,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            };
            assert_eq!(f.default_error("x").is_retryable(), retryable, "{status}");
        }
        assert_eq!(status_kind(409), ErrorKind::InvalidRequest);
    }

    #[test]
    fn timeout_sets_the_idle_limit_too_even_above_the_default() {
        let o = HttpOptions::default().timeout(Duration::from_secs(300));
        assert_eq!(o.idle_timeout, Some(Duration::from_secs(300)));
        let o = o.idle_timeout(Duration::from_secs(5));
        assert_eq!(
            (o.timeout, o.idle_timeout),
            (Some(Duration::from_secs(300)), Some(Duration::from_secs(5)))
        );
    }

    #[test]
    fn default_error_carries_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        let f = HttpFailure {
            status: 429,
            headers,
            body: Bytes::new(),
        };
        let e = f.default_error("slow down");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(429));
    }

    #[tokio::test]
    async fn deadline_turns_into_timeout_errors() {
        let d = Deadline::after(Some(Duration::from_millis(20)));
        let e = d
            .run(None, "testing", tokio::time::sleep(Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.message().contains("testing"));
    }
}
