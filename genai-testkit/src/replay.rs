//! Loopback HTTP servers for cassettes: [`ReplayServer`] serves recorded exchanges to a client,
//! [`RecordingProxy`] records a client's exchanges with a real service.
//!
//! Both bind `127.0.0.1:0`, expose a `base_url()` to configure the client with, and shut down
//! when dropped. They need a Tokio runtime.
//!
//! ```
//! use genai_testkit::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
//! use genai_testkit::replay::{MatchMode, ReplayServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut cassette = Cassette::new("doc example");
//! cassette.interactions.push(Interaction {
//!     request: RecordedRequest {
//!         method: "POST".into(),
//!         url: "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/demo/model".into(),
//!         headers: Default::default(),
//!         body: r#"{"messages":[{"role":"user","content":"Name a fruit."}]}"#.into(),
//!         body_base64: None,
//!     },
//!     response: RecordedResponse {
//!         status: 200,
//!         headers: [("content-type".to_string(), "application/json".to_string())].into(),
//!         body: r#"{"result":{"response":"A pear."},"success":true,"errors":[],"messages":[]}"#.into(),
//!         body_base64: None,
//!     },
//! });
//! let server = ReplayServer::builder()
//!     .cassette(cassette)
//!     .match_mode(MatchMode::Strict)
//!     .start()
//!     .await?;
//! // A client configured with this base URL may use any account id.
//! let url = format!("{}/accounts/0123456789abcdef/ai/run/@cf/demo/model", server.base_url());
//! let reply = reqwest::Client::new()
//!     .post(url)
//!     .body(r#"{ "messages": [ { "content": "Name a fruit.", "role": "user" } ] }"#)
//!     .send()
//!     .await?;
//! assert_eq!(reply.status(), 200);
//! assert!(reply.text().await?.contains("A pear."));
//! assert!(server.unused().is_empty() && server.unmatched().is_empty());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::cassette::{
    body_fields, redact_account, redact_headers, scrub, Cassette, CassetteError, Interaction,
    RecordedRequest, RecordedResponse, ACCOUNT_ID, REDACTED,
};

/// The path prefix of [`ReplayServer::base_url`], the same as Cloudflare's API base.
const BASE_PATH: &str = "/client/v4";

/// Largest request body the servers read (bytes).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Headers that describe one connection, not the message: never replayed nor forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Request headers the proxy forwards but does not record: noise that changes between runs.
const UNRECORDED_REQUEST_HEADERS: &[&str] = &["host", "accept", "accept-encoding", "user-agent"];

/// How a request is compared with recorded requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatchMode {
    /// Method, path, query, and body equal as JSON values (exact text when either side is not
    /// JSON).
    #[default]
    Strict,
    /// Method, path, the body's `stream` flag, and the content of the last `user` message in
    /// the body's `messages` (the body's `prompt` when there are no messages). Query and other
    /// body fields are ignored.
    Loose,
}

/// Why a replay server or recording proxy could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// Binding the loopback listener failed.
    Bind(std::io::Error),
    /// `chunk_size(Some(0))`: pieces must hold at least one byte.
    InvalidChunkSize,
    /// The upstream base URL given to [`RecordingProxy::start`] is not an `http(s)` URL.
    InvalidUpstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for the upstream could not be built.
    Client(reqwest::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(err) => write!(f, "cannot bind a loopback listener: {err}"),
            Self::InvalidChunkSize => write!(f, "chunk size must be at least one byte"),
            Self::InvalidUpstream { url, reason } => {
                write!(f, "invalid upstream base URL {url:?}: {reason}")
            }
            Self::Client(err) => write!(f, "cannot build the upstream HTTP client: {err}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(err) => Some(err),
            Self::Client(err) => Some(err),
            Self::InvalidChunkSize | Self::InvalidUpstream { .. } => None,
        }
    }
}

/// A request a [`ReplayServer`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query, as received (e.g. `/client/v4/accounts/abc/ai/models/search?page=1`).
    pub path: String,
    /// Body as text (lossy UTF-8).
    pub body: String,
}

/// Configures and starts a [`ReplayServer`]; see [`ReplayServer::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ReplayServerBuilder {
    interactions: Vec<Interaction>,
    mode: MatchMode,
    chunk_size: Option<usize>,
}

impl ReplayServerBuilder {
    /// Adds the interactions of `cassette`, after those already added.
    pub fn cassette(mut self, cassette: Cassette) -> Self {
        self.interactions.extend(cassette.interactions);
        self
    }

    /// Adds the interactions of every cassette, in order.
    pub fn cassettes(mut self, cassettes: impl IntoIterator<Item = Cassette>) -> Self {
        for cassette in cassettes {
            self.interactions.extend(cassette.interactions);
        }
        self
    }

    /// How requests are matched (default [`MatchMode::Strict`]).
    pub fn match_mode(mut self, mode: MatchMode) -> Self {
        self.mode = mode;
        self
    }

    /// `Some(n)`: send reply bodies in `n`-byte pieces, flushed one by one, to exercise a
    /// client's handling of split reads. `None` (default): one piece.
    pub fn chunk_size(mut self, chunk_size: Option<usize>) -> Self {
        self.chunk_size = chunk_size;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start(self) -> Result<ReplayServer, ReplayError> {
        if self.chunk_size == Some(0) {
            return Err(ReplayError::InvalidChunkSize);
        }
        let state = Arc::new(ReplayState {
            mode: self.mode,
            chunk_size: self.chunk_size,
            log: Mutex::new(ReplayLog {
                served: vec![false; self.interactions.len()],
                requests: Vec::new(),
                unmatched: Vec::new(),
            }),
            interactions: self.interactions,
        });
        let router = Router::new()
            .fallback(replay_handler)
            .with_state(Arc::clone(&state));
        let server = LoopbackServer::start(router).await?;
        Ok(ReplayServer { server, state })
    }
}

/// A loopback HTTP server that answers requests from cassettes.
///
/// Each recorded interaction is served at most once, in order: a request gets the first unused
/// interaction that matches it (see [`MatchMode`]). Paths are compared percent-decoded, with
/// the segment after `accounts` ignored (any account id matches `ACCOUNT_ID`); the host is
/// ignored. A request nothing matches gets status 418 and a JSON body
/// `{"replay_error": "..."}` naming the closest candidate, and is listed by
/// [`unmatched`](Self::unmatched). Shuts down when dropped. See the [module](self) example.
#[derive(Debug)]
pub struct ReplayServer {
    server: LoopbackServer,
    state: Arc<ReplayState>,
}

impl ReplayServer {
    /// A builder with no interactions, [`MatchMode::Strict`], no chunking.
    pub fn builder() -> ReplayServerBuilder {
        ReplayServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT/client/v4`: the base URL to give a Cloudflare client.
    pub fn base_url(&self) -> String {
        format!("http://{}{BASE_PATH}", self.server.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Every request received, in arrival order, matched or not.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.log().requests.clone()
    }

    /// The requests no interaction matched (answered with 418).
    pub fn unmatched(&self) -> Vec<ReceivedRequest> {
        self.state.log().unmatched.clone()
    }

    /// The interactions never served, in cassette order.
    pub fn unused(&self) -> Vec<Interaction> {
        let log = self.state.log();
        self.state
            .interactions
            .iter()
            .zip(&log.served)
            .filter(|(_, served)| !**served)
            .map(|(interaction, _)| interaction.clone())
            .collect()
    }
}

#[derive(Debug)]
struct ReplayState {
    interactions: Vec<Interaction>,
    mode: MatchMode,
    chunk_size: Option<usize>,
    log: Mutex<ReplayLog>,
}

#[derive(Debug)]
struct ReplayLog {
    served: Vec<bool>,
    requests: Vec<ReceivedRequest>,
    unmatched: Vec<ReceivedRequest>,
}

impl ReplayState {
    fn log(&self) -> MutexGuard<'_, ReplayLog> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn replay_handler(State(state): State<Arc<ReplayState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(err) => return replay_error(format!("cannot read the request body: {err}")),
    };
    let received = ReceivedRequest {
        method: parts.method.as_str().to_string(),
        path,
        body,
    };
    let wanted = Target::of_received(&received);

    let chosen = {
        let mut log = state.log();
        log.requests.push(received.clone());
        let found = state
            .interactions
            .iter()
            .enumerate()
            .filter(|(index, _)| !log.served[*index])
            .find(|(_, interaction)| {
                differences(
                    &wanted,
                    &Target::of_recorded(&interaction.request),
                    state.mode,
                )
                .is_empty()
            })
            .map(|(index, _)| index);
        match found {
            Some(index) => {
                log.served[index] = true;
                Ok(index)
            }
            None => {
                let why = explain_miss(&state, &log.served, &wanted);
                log.unmatched.push(received);
                Err(why)
            }
        }
    };
    match chosen {
        Ok(index) => recorded_reply(&state.interactions[index].response, state.chunk_size),
        Err(why) => replay_error(why),
    }
}

fn replay_error(why: String) -> Response {
    let body = serde_json::json!({ "replay_error": why });
    (StatusCode::IM_A_TEAPOT, axum::Json(body)).into_response()
}

fn recorded_reply(recorded: &RecordedResponse, chunk_size: Option<usize>) -> Response {
    let Ok(status) = StatusCode::from_u16(recorded.status) else {
        return replay_error(format!(
            "the recorded status {} is not a valid HTTP status",
            recorded.status
        ));
    };
    let bytes = Bytes::from(recorded.body_bytes());
    let body = match chunk_size {
        Some(size) if size > 0 && bytes.len() > size => chunked_body(bytes, size),
        _ => Body::from(bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in &recorded.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

/// A body sent in `size`-byte pieces. Between pieces the stream yields to the runtime, so the
/// server flushes each piece on its own write.
fn chunked_body(bytes: Bytes, size: usize) -> Body {
    let pieces: Vec<Bytes> = (0..bytes.len())
        .step_by(size)
        .map(|start| bytes.slice(start..bytes.len().min(start + size)))
        .collect();
    let stream = futures_util::stream::iter(pieces.into_iter().enumerate()).then(
        |(index, piece)| async move {
            if index > 0 {
                tokio::task::yield_now().await;
            }
            Ok::<_, Infallible>(piece)
        },
    );
    Body::from_stream(stream)
}

/// The parts of a request that matching looks at.
#[derive(Debug)]
struct Target {
    method: String,
    /// Percent-decoded path, the segment after `accounts` replaced by `ACCOUNT_ID`.
    path: String,
    /// Decoded query pairs, sorted.
    query: Vec<(String, String)>,
    body: String,
    json: Option<Value>,
}

impl Target {
    fn of_received(request: &ReceivedRequest) -> Self {
        Self::new(&request.method, &request.path, &request.body)
    }

    fn of_recorded(request: &RecordedRequest) -> Self {
        // Drop `scheme://host` so only path and query remain.
        let after_scheme = request
            .url
            .find("://")
            .map_or(request.url.as_str(), |at| &request.url[at + 3..]);
        let path_and_query = if request.url.contains("://") {
            after_scheme.find('/').map_or("/", |at| &after_scheme[at..])
        } else {
            after_scheme
        };
        Self::new(
            &request.method,
            path_and_query,
            &String::from_utf8_lossy(&request.body_bytes()),
        )
    }

    fn new(method: &str, path_and_query: &str, body: &str) -> Self {
        let without_fragment = path_and_query.split('#').next().unwrap_or_default();
        let (path, query) = without_fragment
            .split_once('?')
            .unwrap_or((without_fragment, ""));
        let mut query: Vec<(String, String)> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode_query(key), decode_query(value))
            })
            .collect();
        query.sort();
        let decoded = percent_decode(path);
        let normalized = redact_account(&decoded, "");
        Self {
            method: method.to_ascii_uppercase(),
            path: normalized,
            query,
            body: body.to_string(),
            json: serde_json::from_str(body).ok(),
        }
    }

    fn stream_flag(&self) -> bool {
        self.json
            .as_ref()
            .and_then(|json| json.get("stream"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Content of the last `user` message, or the `prompt` when there are no messages.
    fn last_user_content(&self) -> Option<&Value> {
        let json = self.json.as_ref()?;
        match json.get("messages").and_then(Value::as_array) {
            Some(messages) => messages
                .iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .and_then(|m| m.get("content")),
            None => json.get("prompt"),
        }
    }

    fn body_equals(&self, other: &Target) -> bool {
        match (&self.json, &other.json) {
            (Some(a), Some(b)) => a == b,
            _ => self.body == other.body,
        }
    }
}

/// What differs between a request and a recorded one under `mode` (empty: they match).
fn differences(wanted: &Target, recorded: &Target, mode: MatchMode) -> Vec<&'static str> {
    let mut differs = Vec::new();
    if wanted.method != recorded.method {
        differs.push("method");
    }
    if wanted.path != recorded.path {
        differs.push("path");
    }
    match mode {
        MatchMode::Strict => {
            if wanted.query != recorded.query {
                differs.push("query");
            }
            if !wanted.body_equals(recorded) {
                differs.push("body");
            }
        }
        MatchMode::Loose => {
            if wanted.stream_flag() != recorded.stream_flag() {
                differs.push("stream flag");
            }
            if wanted.last_user_content() != recorded.last_user_content() {
                differs.push("last user message");
            }
        }
    }
    differs
}

fn explain_miss(state: &ReplayState, served: &[bool], wanted: &Target) -> String {
    let request = format!("{} {}", wanted.method, wanted.path);
    let mode = match state.mode {
        MatchMode::Strict => "strict",
        MatchMode::Loose => "loose",
    };
    let closest = state
        .interactions
        .iter()
        .enumerate()
        .filter(|(index, _)| !served[*index])
        .map(|(index, interaction)| {
            let recorded = Target::of_recorded(&interaction.request);
            let differs = differences(wanted, &recorded, state.mode);
            (index, interaction, recorded, differs)
        })
        .min_by_key(|(_, _, _, differs)| differs.len());
    let Some((index, interaction, recorded, differs)) = closest else {
        return format!(
            "no unused recorded interaction for {request} ({mode} match): all {} were already served",
            state.interactions.len()
        );
    };
    let mut why = format!(
        "no unused recorded interaction matches {request} ({mode} match); closest candidate is \
         #{index} {} {}, which differs in {}",
        interaction.request.method,
        interaction.request.url,
        differs.join(", ")
    );
    if differs.contains(&"query") {
        why.push_str(&format!(
            "; query received {:?}, recorded {:?}",
            wanted.query, recorded.query
        ));
    }
    if differs.contains(&"body") {
        why.push_str(&format!(
            "; body received {:?}, recorded {:?}",
            shorten(&wanted.body),
            shorten(&recorded.body)
        ));
    }
    if differs.contains(&"last user message") {
        why.push_str(&format!(
            "; last user message received {}, recorded {}",
            describe(wanted.last_user_content()),
            describe(recorded.last_user_content())
        ));
    }
    why
}

fn describe(value: Option<&Value>) -> String {
    value.map_or_else(|| "none".to_string(), |v| shorten(&v.to_string()))
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 300;
    match text.char_indices().nth(LIMIT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8 is replaced).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' && at + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex_value(bytes[at + 1]), hex_value(bytes[at + 2])) {
                out.push(high * 16 + low);
                at += 3;
                continue;
            }
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode_query(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// A spawned axum server on `127.0.0.1:0`, shut down gracefully when dropped.
#[derive(Debug)]
struct LoopbackServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl LoopbackServer {
    async fn start(router: Router) -> Result<Self, ReplayError> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(ReplayError::Bind)?;
        let addr = listener.local_addr().map_err(ReplayError::Bind)?;
        let listener = listener.tap_io(|tcp| {
            // Small pieces must leave at once, not wait for the previous one's ACK.
            let _ = tcp.set_nodelay(true);
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
        })
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A loopback proxy that forwards a client's requests to the real service and records the
/// exchanges, redacted, as a [`Cassette`].
///
/// Give the client [`base_url`](Self::base_url) instead of the real base URL. Each request
/// (method, path, query, headers including `authorization`, body) goes to the upstream with
/// `accept-encoding` removed (so bodies are recorded as text); the reply goes back unchanged
/// and streamed as it arrives, so SSE still streams. An upstream that cannot be reached gets
/// the client a 502 with `{"proxy_error": "..."}` and nothing is recorded.
///
/// What is recorded: the URL rebuilt on the upstream's base with the account id replaced by
/// `ACCOUNT_ID`; request headers minus `authorization` and other credentials, `host`,
/// `accept`, `accept-encoding`, `user-agent` and hop-by-hop headers (so `content-type` is kept); response
/// headers minus credentials (`set-cookie`) and hop-by-hop headers; bodies as text. The token is
/// replaced by `REDACTED` and the account id by `ACCOUNT_ID` wherever they are echoed, and a
/// header whose value carries the token is not stored at all.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use genai_testkit::replay::RecordingProxy;
/// let proxy = RecordingProxy::start(
///     "https://api.cloudflare.com/client/v4",
///     "my-account-id",
///     "my-token",
/// )
/// .await?;
/// assert!(proxy.base_url().ends_with("/client/v4"));
/// // ... run a client against proxy.base_url() ...
/// let cassette = proxy.take_cassette("recorded by the doc example");
/// assert!(cassette.interactions.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RecordingProxy {
    server: LoopbackServer,
    state: Arc<ProxyState>,
    /// The upstream base URL's path, e.g. `/client/v4`.
    base_path: String,
}

/// One recorded exchange, filled in when its response body ends (or the client goes away).
type Slot = Arc<Mutex<Option<Interaction>>>;

#[derive(Debug)]
struct ProxyState {
    client: reqwest::Client,
    /// `scheme://host[:port]` of the upstream.
    upstream_origin: String,
    /// The upstream's base URL as given, for the cassette's `source`.
    upstream_base: String,
    account_id: String,
    token: String,
    slots: Mutex<Vec<Slot>>,
}

impl RecordingProxy {
    /// Starts a proxy on `127.0.0.1:0` for `upstream_base_url` (e.g.
    /// `https://api.cloudflare.com/client/v4`). `account_id` and `secret_token` are what the
    /// client will send; they are only used to scrub them from the recording.
    pub async fn start(
        upstream_base_url: &str,
        account_id: &str,
        secret_token: &str,
    ) -> Result<Self, ReplayError> {
        let invalid = |reason: String| ReplayError::InvalidUpstream {
            url: upstream_base_url.to_string(),
            reason,
        };
        let parsed = reqwest::Url::parse(upstream_base_url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid(
                "expected an http:// or https:// URL with a host".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(300))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ReplayError::Client)?;
        let state = Arc::new(ProxyState {
            client,
            upstream_origin: parsed.origin().ascii_serialization(),
            upstream_base: upstream_base_url.trim_end_matches('/').to_string(),
            account_id: account_id.to_string(),
            token: secret_token.to_string(),
            slots: Mutex::new(Vec::new()),
        });
        let base_path = parsed.path().trim_end_matches('/').to_string();
        let router = Router::new()
            .fallback(proxy_handler)
            .with_state(Arc::clone(&state));
        let server = LoopbackServer::start(router).await?;
        Ok(Self {
            server,
            state,
            base_path,
        })
    }

    /// `http://127.0.0.1:PORT` followed by the upstream base URL's path (e.g. `/client/v4`):
    /// the base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.server.addr, self.base_path)
    }

    /// Returns the exchanges recorded so far, in request order, as a cassette with the given
    /// `source`, and forgets them. Exchanges whose reply is still streaming stay for the next
    /// call.
    pub fn take_cassette(&self, source: &str) -> Cassette {
        let mut slots = self.state.slots();
        let mut cassette = Cassette::new(source);
        slots.retain(|slot| {
            let mut filled = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match filled.take() {
                Some(interaction) => {
                    cassette.interactions.push(interaction);
                    false
                }
                None => true,
            }
        });
        cassette
    }

    /// [`take_cassette`](Self::take_cassette) with a source naming the upstream, then
    /// [`Cassette::save`] to `path`. Returns how many interactions were saved.
    pub fn save_to(&self, path: impl AsRef<Path>) -> Result<usize, CassetteError> {
        let source = format!(
            "recorded through genai-testkit RecordingProxy from {}",
            self.state.upstream_base
        );
        let cassette = self.take_cassette(&self.state.scrub(&source));
        cassette.save(path)?;
        Ok(cassette.interactions.len())
    }
}

impl ProxyState {
    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the token and the account id wherever they appear in `text`.
    fn scrub(&self, text: &str) -> String {
        let without_token = scrub(text, &self.token, REDACTED);
        scrub(&without_token, &self.account_id, ACCOUNT_ID)
    }

    /// Headers as the cassette stores them: credentials and headers carrying the token
    /// dropped, the account id scrubbed from values, `skip` names left out.
    fn record_headers(&self, headers: &HeaderMap, skip: &[&str]) -> BTreeMap<String, String> {
        let values: Vec<(&str, String)> = headers
            .iter()
            .filter(|(name, _)| {
                !HOP_BY_HOP.contains(&name.as_str()) && !skip.contains(&name.as_str())
            })
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?.to_string())))
            .filter(|(_, value)| self.token.is_empty() || !value.contains(&self.token))
            .map(|(name, value)| (name, scrub(&value, &self.account_id, ACCOUNT_ID)))
            .collect();
        redact_headers(
            values.iter().map(|(name, value)| (*name, value.as_str())),
            &[&self.token],
        )
    }
}

async fn proxy_handler(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let upstream_url = format!("{}{path_and_query}", state.upstream_origin);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(err) => return proxy_error(&state, format!("cannot read the request body: {err}")),
    };

    let mut forwarded = HeaderMap::new();
    for (name, value) in &parts.headers {
        let name_str = name.as_str();
        if !HOP_BY_HOP.contains(&name_str) && name_str != "host" && name_str != "accept-encoding" {
            forwarded.append(name.clone(), value.clone());
        }
    }
    let sent = state
        .client
        .request(parts.method.clone(), &upstream_url)
        .headers(forwarded)
        .body(body.clone())
        .send()
        .await;
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(err) => return proxy_error(&state, format!("upstream request failed: {err}")),
    };

    let mut recorded_request = RecordedRequest {
        method: parts.method.as_str().to_string(),
        url: redact_account(&state.scrub(&upstream_url), &state.account_id),
        headers: state.record_headers(&parts.headers, UNRECORDED_REQUEST_HEADERS),
        body: String::new(),
        body_base64: None,
    };
    match body_fields(&body) {
        (text, None) => recorded_request.body = state.scrub(&text),
        (_, binary) => recorded_request.body_base64 = binary,
    }
    let status = upstream.status();
    let upstream_headers = upstream.headers().clone();
    let slot = Slot::default();
    state.slots().push(Arc::clone(&slot));
    let recorder = Recorder {
        state: Arc::clone(&state),
        slot,
        request: Some(recorded_request),
        status: status.as_u16(),
        headers: state.record_headers(&upstream_headers, &[]),
        body: Vec::new(),
    };

    let stream = futures_util::stream::unfold(Some((upstream, recorder)), |open| async move {
        let (mut upstream, mut recorder) = open?;
        match upstream.chunk().await {
            Ok(Some(bytes)) => {
                recorder.body.extend_from_slice(&bytes);
                Some((Ok(bytes), Some((upstream, recorder))))
            }
            Ok(None) => None,
            Err(err) => Some((Err(err), None)),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    for (name, value) in &upstream_headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

fn proxy_error(state: &ProxyState, why: String) -> Response {
    let body = serde_json::json!({ "proxy_error": state.scrub(&why) });
    (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response()
}

/// Collects a reply body as it streams through; fills its slot when dropped, that is when the
/// body ended, failed, or the client went away.
struct Recorder {
    state: Arc<ProxyState>,
    slot: Slot,
    request: Option<RecordedRequest>,
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let Some(request) = self.request.take() else {
            return;
        };
        let mut interaction = Interaction {
            request,
            response: RecordedResponse {
                status: self.status,
                headers: std::mem::take(&mut self.headers),
                body: String::new(),
                body_base64: None,
            },
        };
        match body_fields(&self.body) {
            (text, None) => interaction.response.body = self.state.scrub(&text),
            (_, binary) => interaction.response.body_base64 = binary,
        }
        let mut filled = self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *filled = Some(interaction);
    }
}
