//! [`RecordingProxy`]: forwards a client's requests to the real service and records the
//! exchanges, redacted, as a cassette.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use super::{ReplayError, HOP_BY_HOP, MAX_BODY};
use crate::cassette::{
    body_fields, redact_account, redact_headers, scrub, Cassette, CassetteError, Interaction,
    RecordedRequest, RecordedResponse, ACCOUNT_ID, REDACTED,
};
use crate::serve::LoopbackServer;

/// Request headers the proxy forwards but does not record: noise that changes between runs.
const UNRECORDED_REQUEST_HEADERS: &[&str] = &["host", "accept", "accept-encoding", "user-agent"];

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
        let server = LoopbackServer::bind(router)
            .await
            .map_err(ReplayError::Bind)?;
        Ok(Self {
            server,
            state,
            base_path,
        })
    }

    /// `http://127.0.0.1:PORT` followed by the upstream base URL's path (e.g. `/client/v4`):
    /// the base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.server.addr(), self.base_path)
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
