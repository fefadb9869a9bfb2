//! [`ReplayServer`]: serves recorded exchanges to a client, matching each request against the
//! cassettes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use serde_json::Value;

use super::{ReplayError, HOP_BY_HOP, MAX_BODY};
use crate::cassette::{redact_account, Cassette, Interaction, RecordedRequest, RecordedResponse};
use crate::serve::{decode_query, percent_decode, LoopbackServer};

/// The path prefix of [`ReplayServer::base_url`], the same as Cloudflare's API base.
const BASE_PATH: &str = "/client/v4";

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
    cases: HashMap<(String, String), Vec<Interaction>>,
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

    /// Adds `cassette` as the recording of case `case` (e.g. `GenSync-Text`) of `model`: it is
    /// served by name, once [`ReplayServer::select`] picks that case for the model, whatever
    /// the requests' bodies say. Several cassettes of one case are served one after another.
    pub fn case(mut self, model: &str, case: &str, cassette: Cassette) -> Self {
        self.cases
            .entry((model.to_owned(), case.to_owned()))
            .or_default()
            .extend(cassette.interactions);
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
            cases: self.cases,
            selected: Mutex::new(HashMap::new()),
        });
        let router = Router::new()
            .fallback(replay_handler)
            .with_state(Arc::clone(&state));
        let server = LoopbackServer::bind(router)
            .await
            .map_err(ReplayError::Bind)?;
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
/// [`unmatched`](Self::unmatched). Shuts down when dropped. See the [module](super) example.
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
        format!("http://{}{BASE_PATH}", self.server.addr())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Every request received, in arrival order, matched or not.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.log().requests.clone()
    }

    /// The requests no interaction matched (answered with 418).
    pub fn unmatched(&self) -> Vec<ReceivedRequest> {
        self.state.log().unmatched.clone()
    }

    /// Whether a recording of case `case` of `model` was added with
    /// [`ReplayServerBuilder::case`].
    pub fn has_case(&self, model: &str, case: &str) -> bool {
        self.state
            .cases
            .contains_key(&(model.to_owned(), case.to_owned()))
    }

    /// The models that have recorded cases, sorted.
    pub fn case_models(&self) -> Vec<String> {
        let mut models: Vec<String> = self.state.cases.keys().map(|(m, _)| m.clone()).collect();
        models.sort();
        models.dedup();
        models
    }

    /// From now on, chat requests for `model` (`POST .../ai/run/<model>`) are answered with
    /// the recorded exchanges of `cases`, in order, starting again from the first once all are
    /// served (a scenario that asks the same twice gets the same reply), whatever their
    /// bodies; only the method and the `stream` flag must match the recording. Cases without
    /// a recording are left out; with none at all, requests for `model` go back to ordinary
    /// matching.
    pub fn select(&self, model: &str, cases: &[String]) {
        let interactions: Vec<Interaction> = cases
            .iter()
            .filter_map(|case| self.state.cases.get(&(model.to_owned(), case.clone())))
            .flatten()
            .cloned()
            .collect();
        let mut selected = lock(&self.state.selected);
        if interactions.is_empty() {
            selected.remove(model);
        } else {
            selected.insert(
                model.to_owned(),
                Cursor {
                    interactions,
                    next: 0,
                },
            );
        }
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
    /// Recordings served by case name: (model, case) to its exchanges.
    cases: HashMap<(String, String), Vec<Interaction>>,
    /// Per model, the exchanges [`ReplayServer::select`] picked.
    selected: Mutex<HashMap<String, Cursor>>,
}

/// The exchanges picked for a model, and the next one to serve.
#[derive(Debug)]
struct Cursor {
    interactions: Vec<Interaction>,
    next: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The model of a chat request's path (`.../ai/run/<model>`), percent-decoded.
fn run_model(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or_default();
    let at = path.find("/ai/run/")? + "/ai/run/".len();
    Some(percent_decode(&path[at..]))
}

/// The `stream` flag of a JSON body (false when absent or not JSON).
fn streams(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("stream").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// The next exchange picked for the request's model, if one was picked.
fn selected_reply(
    state: &ReplayState,
    received: &ReceivedRequest,
) -> Option<Result<RecordedResponse, String>> {
    let model = run_model(&received.path)?;
    let mut selected = lock(&state.selected);
    let cursor = selected.get_mut(&model)?;
    let index = cursor.next % cursor.interactions.len();
    let recorded = &cursor.interactions[index].request;
    let recorded_body = String::from_utf8_lossy(&recorded.body_bytes()).into_owned();
    if !recorded.method.eq_ignore_ascii_case(&received.method)
        || streams(&recorded_body) != streams(&received.body)
    {
        return Some(Err(format!(
            "the recording picked for {model} is a {} request with stream={}, not a {} request \
             with stream={}",
            recorded.method,
            streams(&recorded_body),
            received.method,
            streams(&received.body)
        )));
    }
    cursor.next += 1;
    Some(Ok(cursor.interactions[index].response.clone()))
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
    if let Some(reply) = selected_reply(&state, &received) {
        state.log().requests.push(received.clone());
        return match reply {
            Ok(response) => recorded_reply(&response, state.chunk_size),
            Err(why) => {
                state.log().unmatched.push(received);
                replay_error(why)
            }
        };
    }
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
