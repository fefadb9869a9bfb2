//! A loopback Cloudflare Workers AI emulator.
//!
//! [`Emulator`] is a small HTTP server on `127.0.0.1` that speaks the Workers AI REST wire
//! format (`/accounts/{account}/ai/run/{model}` and `/accounts/{account}/ai/models/search`),
//! with each model family's quirks (see `docs/emulator.md`), a deterministic responder that
//! answers the conformance prompts, and scripted [`Fault`]s. It lets the conformance suite and
//! the Cloudflare client's tests run offline.
//!
//! ```
//! use genai_testkit::emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! assert!(emulator.base_url().ends_with("/client/v4"));
//! assert_eq!(emulator.request_count(), 0);
//! // The server stops when `emulator` is dropped.
//! ```

mod answer;
mod batch;
mod catalog;
mod chat;
mod classification;
mod document;
mod embedding;
mod faults;
mod image;
mod input;
mod kinds;
mod lexicon;
mod models;
mod rate;
mod reranking;
mod server;
mod speech;
mod summarization;
mod transcription;
mod translation;
mod turn;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

pub use faults::Fault;

/// The token the emulator accepts by default (`Authorization: Bearer test-token`).
pub const DEFAULT_TOKEN: &str = "test-token";

/// How to run an [`Emulator`]: accepted token, scripted faults, listening address.
///
/// ```
/// use std::time::Duration;
/// use genai_testkit::emulator::{EmulatorConfig, Fault};
///
/// let config = EmulatorConfig::default()
///     .token("secret")
///     .faults([Fault::RateLimited { retry_after: "1".into() }, Fault::None]);
/// let always_slow = EmulatorConfig::default()
///     .fault_always(Fault::Stall { before_headers: true, duration: Duration::from_millis(50) });
/// # let _ = (config, always_slow);
/// ```
#[derive(Clone)]
pub struct EmulatorConfig {
    token: String,
    script: Vec<Fault>,
    always: Option<Fault>,
    address: Option<SocketAddr>,
    queue: batch::QueueConfig,
    license_agreement: bool,
    free_plan: bool,
    rate: Option<(u32, Duration)>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            script: Vec::new(),
            always: None,
            address: None,
            queue: batch::QueueConfig::default(),
            license_agreement: false,
            free_plan: false,
            rate: None,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("token", &"[redacted]")
            .field("script", &self.script)
            .field("always", &self.always)
            .field("address", &self.address)
            .field("queue", &self.queue)
            .field("license_agreement", &self.license_agreement)
            .field("free_plan", &self.free_plan)
            .field("rate", &self.rate)
            .finish()
    }
}

impl EmulatorConfig {
    /// The bearer token the emulator accepts (default [`DEFAULT_TOKEN`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Faults applied to the incoming requests in order, one per request (any route); requests
    /// after the end of the script get the [`fault_always`](Self::fault_always) fault, or none.
    pub fn faults(mut self, script: impl IntoIterator<Item = Fault>) -> Self {
        self.script = script.into_iter().collect();
        self
    }

    /// A fault applied to every request once the [`faults`](Self::faults) script is used up.
    pub fn fault_always(mut self, fault: Fault) -> Self {
        self.always = Some(fault);
        self
    }

    /// How long a batch queue job stays `queued`, and after how long (from its submission) it
    /// is done; `running` in between (defaults 150 ms and 400 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// use genai_testkit::emulator::EmulatorConfig;
    /// let slow = EmulatorConfig::default().queue_timing(Duration::from_secs(1), Duration::from_secs(3));
    /// # let _ = slow;
    /// ```
    pub fn queue_timing(mut self, running_after: Duration, done_after: Duration) -> Self {
        self.queue.running_after = running_after;
        self.queue.done_after = done_after.max(running_after);
        self
    }

    /// How long the async queue keeps a finished job (default 10 minutes; its results can
    /// be read again meanwhile), and the most jobs it keeps at once (default 1,000, and at
    /// most 64 MiB of submissions; the oldest job is forgotten first). A poll of a forgotten
    /// job is answered 404 with code 5007, as the service answers an unknown id.
    pub fn queue_retention(mut self, keep_done_for: Duration, max_jobs: usize) -> Self {
        self.queue.retention = keep_done_for;
        self.queue.max_jobs = max_jobs.max(1);
        self
    }

    /// Makes the models whose licence an account must accept (Llama 3.2 11B Vision) refuse
    /// every request with 403 and code 5016, as the service does for a new account, until
    /// one request sends the single prompt `agree`. Off by default: the emulated account has
    /// accepted them.
    ///
    /// ```
    /// use genai_testkit::emulator::EmulatorConfig;
    /// let fresh_account = EmulatorConfig::default().require_license_agreement();
    /// # let _ = fresh_account;
    /// ```
    pub fn require_license_agreement(mut self) -> Self {
        self.license_agreement = true;
        self
    }

    /// Emulates an account on the Workers Free plan: the models that need the Workers Paid
    /// plan (catalog `require_workers_paid`) answer every request with 403 and code 5035, as
    /// the service does. Off by default: the emulated account is on the Paid plan.
    ///
    /// ```
    /// use genai_testkit::emulator::EmulatorConfig;
    /// let free = EmulatorConfig::default().free_plan();
    /// # let _ = free;
    /// ```
    pub fn free_plan(mut self) -> Self {
        self.free_plan = true;
        self
    }

    /// Every `every`-th poll of the batch queue (a request with a `request_id`) gets `fault`
    /// (a 5xx, a 429 with `Retry-After`...) instead of its answer.
    pub fn queue_poll_fault(mut self, every: u64, fault: Fault) -> Self {
        self.queue.poll_fault = Some((every.max(1), fault));
        self
    }

    /// Enforces a request rate, as the service does: at most `requests` model calls
    /// (`/ai/run/...`) in any sliding `window`; a call over it gets 429 with `Retry-After`.
    /// [`Emulator::rate_limited`] counts them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use genai_testkit::emulator::EmulatorConfig;
    /// let published = EmulatorConfig::default().enforce_rate(3000, Duration::from_secs(60));
    /// # let _ = published;
    /// ```
    pub fn enforce_rate(mut self, requests: u32, window: Duration) -> Self {
        self.rate = Some((requests, window));
        self
    }

    /// Listen on this address instead of `127.0.0.1:0` (for `genai serve`).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = Some(address);
        self
    }
}

/// One request the emulator received, for assertions in tests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Percent-decoded path without the query, e.g.
    /// `/client/v4/accounts/abc/ai/run/@cf/meta/llama-3.2-1b-instruct`.
    pub path: String,
    /// Raw query string, without `?` (empty when none).
    pub query: String,
    /// The body parsed as JSON; `Null` when empty or not JSON.
    pub body: serde_json::Value,
    headers: Vec<(String, String)>,
}

impl LoggedRequest {
    /// The value of a request header (name matched case-insensitively; several values joined
    /// by `", "`).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// How many requests the log keeps (the latest ones), and the most bytes of bodies, so a
/// long-running emulator holds a bounded amount of memory; [`Emulator::request_count`] still
/// counts them all.
const MAX_LOGGED: usize = 10_000;
const MAX_LOGGED_BYTES: usize = 64 * 1024 * 1024;

/// The latest requests, each with its body's bytes (its `body` field left `Null`).
#[derive(Default)]
struct RequestLog {
    entries: VecDeque<(Box<[u8]>, LoggedRequest)>,
    bytes: usize,
}

/// State shared by the request handlers.
pub(crate) struct Shared {
    token: String,
    script: Mutex<VecDeque<Fault>>,
    always: Option<Fault>,
    /// The latest requests.
    log: Mutex<RequestLog>,
    counter: AtomicU64,
    queue: batch::Queue,
    /// Whether licensed models wait for `agree`, and whether it has come.
    license: Option<std::sync::atomic::AtomicBool>,
    /// Whether the account is on the Free plan (paid-only models refuse with 5035).
    free_plan: bool,
    /// The enforced rate of model calls, when one is set.
    pub(crate) rate: Option<rate::RateWindow>,
}

impl Shared {
    fn new(config: EmulatorConfig) -> Self {
        Self {
            token: config.token,
            script: Mutex::new(config.script.into()),
            always: config.always,
            log: Mutex::new(RequestLog::default()),
            counter: AtomicU64::new(0),
            queue: batch::Queue::new(config.queue),
            license: config
                .license_agreement
                .then(|| std::sync::atomic::AtomicBool::new(false)),
            free_plan: config.free_plan,
            rate: config.rate.map(|(n, w)| rate::RateWindow::new(n, w)),
        }
    }

    /// Records a request and returns its sequence number and the fault to apply to it.
    /// The body is kept as the bytes that came (parsed only when the log is read).
    fn admit(&self, request: LoggedRequest, body: &[u8]) -> (u64, Fault) {
        let mut log = lock(&self.log);
        log.bytes += body.len();
        log.entries.push_back((body.into(), request));
        while log.entries.len() > MAX_LOGGED || log.bytes > MAX_LOGGED_BYTES {
            match log.entries.pop_front() {
                Some((b, _)) => log.bytes -= b.len(),
                None => break,
            }
        }
        drop(log);
        let number = self.counter.fetch_add(1, Ordering::SeqCst);
        let fault = lock(&self.script)
            .pop_front()
            .or_else(|| self.always.clone());
        (number, fault.unwrap_or(Fault::None))
    }
}

/// Locks a mutex, recovering from poisoning (a panicking handler must not wedge the emulator).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running emulator. It serves on its own thread and stops when dropped.
///
/// ```
/// use genai_testkit::emulator::{Emulator, EmulatorConfig};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
/// let url = format!(
///     "{}/accounts/0123456789abcdef0123456789abcdef/ai/run/@cf/meta/llama-3.3-70b-instruct-fp8-fast",
///     emulator.base_url()
/// );
/// let reply = reqwest::Client::new()
///     .post(url)
///     .bearer_auth("test-token")
///     .body(r#"{"messages": [{"role": "user", "content": "Reply with exactly one word: hello."}]}"#)
///     .send().await.unwrap()
///     .text().await.unwrap();
/// let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
/// assert_eq!(reply["success"], true);
/// assert!(reply["result"]["response"].as_str().unwrap().to_lowercase().contains("hello"));
/// assert_eq!(emulator.requests()[0].method, "POST");
/// # }
/// ```
pub struct Emulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `127.0.0.1:0` (or the configured address) and serves on a background thread.
    pub fn start(config: EmulatorConfig) -> Result<Emulator, std::io::Error> {
        let listener = bind(&config)?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("genai-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = crate::serve::serve(listener, server::router(state)) => {}
                        _ = stopped => {}
                    }
                });
                // Cancels the connection tasks still running (streams, stalls).
                runtime.shutdown_background();
            })?;
        Ok(Emulator {
            address,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Serves on the current tokio runtime until the future is dropped or the listener fails;
    /// for `genai serve`. Logs the base URL with `tracing` once listening.
    pub async fn serve_forever(config: EmulatorConfig) -> Result<(), std::io::Error> {
        let listener = bind(&config)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tracing::info!(base_url = %base_url_of(address), "Workers AI emulator listening");
        crate::serve::serve(listener, server::router(Arc::new(Shared::new(config)))).await
    }

    /// The API root to give a client: `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> String {
        base_url_of(self.address)
    }

    /// The address the emulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many requests arrived so far (any route, including refused ones).
    pub fn request_count(&self) -> usize {
        usize::try_from(self.shared.counter.load(Ordering::SeqCst)).unwrap_or(usize::MAX)
    }

    /// The requests received so far, in arrival order (the latest 10,000, within 64 MiB of
    /// bodies).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log)
            .entries
            .iter()
            .map(|(body, r)| LoggedRequest {
                body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
                ..r.clone()
            })
            .collect()
    }

    /// How many model calls were refused with 429 for going over the
    /// [enforced rate](EmulatorConfig::enforce_rate).
    pub fn rate_limited(&self) -> u64 {
        self.shared
            .rate
            .as_ref()
            .map_or(0, rate::RateWindow::refused)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn base_url_of(address: SocketAddr) -> String {
    format!("http://{address}/client/v4")
}

fn bind(config: &EmulatorConfig) -> Result<std::net::TcpListener, std::io::Error> {
    let address = config
        .address
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let listener = std::net::TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}
