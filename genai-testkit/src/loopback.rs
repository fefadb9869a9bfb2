//! A scripted loopback HTTP server, for fault tests of any backend.
//!
//! Each request is answered by a script that gets the request's number (from 0) and the
//! request, so a test can say "429 first, then 200" or "a stream that stalls after one event"
//! in a line. Only loopback addresses are used, and the server stops when dropped.
//!
//! ```
//! use genai_testkit::loopback::{json_error, reply, ScriptedServer};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = ScriptedServer::start(|n, _req| async move {
//!     if n == 0 {
//!         json_error(429, 3040, "Capacity temporarily exceeded")
//!     } else {
//!         reply(200, "application/json", r#"{"result":{"response":"hi"},"success":true}"#)
//!     }
//! })
//! .await
//! .unwrap();
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.hits(), 0);
//! # });
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use tokio::net::TcpListener;

use crate::serve::LoopbackServer;

/// What the script sees of a request.
#[derive(Debug, Clone)]
pub struct ScriptedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Request headers.
    pub headers: HeaderMap,
}

impl ScriptedRequest {
    /// A header's value as text (empty when absent or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A loopback server answering request `n` with `script(n, request)`.
#[derive(Debug)]
pub struct ScriptedServer {
    server: LoopbackServer,
    hits: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl ScriptedServer {
    /// Binds `127.0.0.1:0` and serves with `script`. Must be called inside a Tokio runtime.
    pub async fn start<F, Fut>(script: F) -> std::io::Result<Self>
    where
        F: Fn(usize, ScriptedRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Self::start_on(listener, script)
    }

    /// Serves with `script` on a listener bound by the caller (e.g. to come up late on a
    /// known port).
    pub fn start_on<F, Fut>(listener: TcpListener, script: F) -> std::io::Result<Self>
    where
        F: Fn(usize, ScriptedRequest) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let hits = Arc::new(AtomicUsize::new(0));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let (h, a) = (hits.clone(), arrivals.clone());
        let router = Router::new().fallback(move |req: Request| {
            let n = h.fetch_add(1, Ordering::SeqCst);
            a.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Instant::now());
            let seen = ScriptedRequest {
                method: req.method().to_string(),
                path: req
                    .uri()
                    .path_and_query()
                    .map_or_else(|| req.uri().path().to_owned(), |p| p.to_string()),
                headers: req.headers().clone(),
            };
            script(n, seen)
        });
        Ok(ScriptedServer {
            server: LoopbackServer::spawn(listener, router)?,
            hits,
            arrivals,
        })
    }

    /// `http://ADDR/client/v4`, the API root a Cloudflare client is pointed at.
    pub fn base_url(&self) -> String {
        format!("http://{}/client/v4", self.server.addr())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Time between the first and the last request.
    pub fn spread(&self) -> Duration {
        let a = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        match (a.first(), a.last()) {
            (Some(f), Some(l)) => l.duration_since(*f),
            _ => Duration::ZERO,
        }
    }
}

/// A reply with this status, content type and body (an invalid status becomes 500).
pub fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(ct) = content_type.parse() {
        resp.headers_mut().insert("content-type", ct);
    }
    resp
}

/// A Workers AI error body: `{"success":false,"errors":[{"code","message"}],...}`.
pub fn json_error(status: u16, code: i64, message: &str) -> Response {
    let body = serde_json::json!({"success": false, "result": null, "messages": [],
        "errors": [{"code": code, "message": message}]});
    reply(status, "application/json", body.to_string())
}

/// How an event-stream body ends after its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseTail {
    /// The body ends cleanly.
    End,
    /// The connection breaks (no chunked terminator).
    Break,
    /// Nothing more is ever sent.
    Stall,
}

/// A `text/event-stream` reply sending `events` (already framed) `gap` apart, then ending as
/// `tail` says.
pub fn sse_events(events: Vec<String>, gap: Duration, tail: SseTail) -> Response {
    let stream = futures_util::stream::unfold(
        (events.into_iter(), true),
        move |(mut it, first)| async move {
            if !first {
                tokio::time::sleep(gap).await;
            }
            match it.next() {
                Some(ev) => Some((Ok(Bytes::from(ev)), (it, false))),
                None => match tail {
                    SseTail::End => None,
                    SseTail::Break => Some((
                        Err(std::io::Error::other("the script cuts the connection")),
                        (it, false),
                    )),
                    SseTail::Stall => {
                        std::future::pending::<()>().await;
                        None
                    }
                },
            }
        },
    );
    reply(200, "text/event-stream", Body::from_stream(stream))
}
