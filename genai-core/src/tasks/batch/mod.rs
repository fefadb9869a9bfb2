//! Asynchronous batches: many requests of one model handed to the provider's queue at once,
//! results collected later, typed like the synchronous results of the model's kind.
//!
//! The shape follows the usual batch interfaces: [`BatchModel::start`] submits (split into
//! jobs that each stay under the provider's payload limit), [`BatchModel::status`] asks once
//! where a job is, and [`BatchModel::results`] waits (polling with backoff) until it is done.
//! A failed item is a per-item error in its [`BatchResult`]; the batch itself fails only when
//! the provider refuses it or answers something unreadable.
//!
//! Above the trait, for programs that run batches from files: [`BatchLine`] reads the JSONL
//! input lines and writes the output lines (`lines`), and [`ResumableBatch`] keeps a run's
//! progress in a state file so that a killed run resumes without sending a chunk twice or
//! writing a result twice (`state`).

mod lines;
mod state;

pub use lines::{BatchLine, BatchTally};
pub use state::{
    replace_file, BatchChunk, BatchEvent, BatchFingerprint, BatchState, ChunkState, ResumableBatch,
};

use std::fmt::Debug;
use std::ops::Range;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::kind::ModelKind;
use crate::media::Media;
use crate::request::ChatRequest;
use crate::response::ChatResponse;
use crate::tasks::{
    EmbedRequest, Embeddings, SpeechRequest, TranslateRequest, Translation, TurnDetection,
    TurnDetectionCapabilities, TurnRequest,
};

/// One request of a batch, of any kind the batch interface knows. More kinds may be added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "request", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BatchRequest {
    /// A chat request, answered by a [`ChatResponse`].
    Chat(ChatRequest),
    /// Texts to embed, answered by [`Embeddings`].
    Embed(EmbedRequest),
    /// A text to translate, answered by a [`Translation`].
    Translate(TranslateRequest),
    /// A text to read aloud, answered by the audio as [`Media`].
    Speak(SpeechRequest),
    /// Audio whose end may end a speaker's turn, answered by a [`TurnDetection`].
    DetectTurn(TurnRequest),
}

impl BatchRequest {
    /// The kind of model that serves this request.
    pub fn kind(&self) -> ModelKind {
        match self {
            BatchRequest::Chat(_) => ModelKind::Chat,
            BatchRequest::Embed(_) => ModelKind::Embedding,
            BatchRequest::Translate(_) => ModelKind::Translation,
            BatchRequest::Speak(_) => ModelKind::TextToSpeech,
            BatchRequest::DetectTurn(_) => ModelKind::TurnDetection,
        }
    }

    /// Validates the request on its own (the same rules as its synchronous call).
    pub fn validate(&self) -> Result<()> {
        match self {
            BatchRequest::Chat(r) => r.validate(),
            BatchRequest::Embed(r) => r.validate(),
            BatchRequest::Translate(r) => r.validate(),
            BatchRequest::Speak(r) => r.validate(),
            BatchRequest::DetectTurn(r) => TurnDetectionCapabilities::default().check(r),
        }
    }
}

/// One item of a batch: a request and the caller's own reference for it, carried through the
/// provider and back into the item's [`BatchResult`].
///
/// ```
/// use genai_core::{BatchItem, ChatRequest, ModelKind};
/// let item = BatchItem::chat(ChatRequest::new().user("Say hello.")).reference("q1");
/// assert_eq!(item.request.kind(), ModelKind::Chat);
/// assert_eq!(item.external_reference.as_deref(), Some("q1"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchItem {
    /// The request.
    pub request: BatchRequest,
    /// The caller's reference, returned with the result (not checked for uniqueness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
}

impl BatchItem {
    /// An item for this request, without a reference.
    pub fn new(request: BatchRequest) -> Self {
        BatchItem {
            request,
            external_reference: None,
        }
    }

    /// A chat item.
    pub fn chat(req: ChatRequest) -> Self {
        BatchItem::new(BatchRequest::Chat(req))
    }

    /// An embedding item.
    pub fn embed(req: EmbedRequest) -> Self {
        BatchItem::new(BatchRequest::Embed(req))
    }

    /// A translation item.
    pub fn translate(req: TranslateRequest) -> Self {
        BatchItem::new(BatchRequest::Translate(req))
    }

    /// A text-to-speech item.
    pub fn speak(req: SpeechRequest) -> Self {
        BatchItem::new(BatchRequest::Speak(req))
    }

    /// A turn detection item.
    pub fn detect_turn(req: TurnRequest) -> Self {
        BatchItem::new(BatchRequest::DetectTurn(req))
    }

    /// Sets the caller's reference.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.external_reference = Some(reference.into());
        self
    }
}

/// The result of one successful item, of the kind of its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "output", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BatchOutput {
    /// A chat reply.
    Chat(ChatResponse),
    /// Vectors.
    Embeddings(Embeddings),
    /// A translation.
    Translation(Translation),
    /// Spoken audio, its type read from its bytes.
    Speech(Media),
    /// A turn verdict.
    Turn(TurnDetection),
}

impl BatchOutput {
    /// The chat reply, or an error naming the kind this output is.
    pub fn into_chat(self) -> Result<ChatResponse> {
        match self {
            BatchOutput::Chat(r) => Ok(r),
            other => Err(other.not("a chat reply")),
        }
    }

    /// The embeddings, or an error naming the kind this output is.
    pub fn into_embeddings(self) -> Result<Embeddings> {
        match self {
            BatchOutput::Embeddings(e) => Ok(e),
            other => Err(other.not("embeddings")),
        }
    }

    /// The translation, or an error naming the kind this output is.
    pub fn into_translation(self) -> Result<Translation> {
        match self {
            BatchOutput::Translation(t) => Ok(t),
            other => Err(other.not("a translation")),
        }
    }

    /// The spoken audio, or an error naming the kind this output is.
    pub fn into_speech(self) -> Result<Media> {
        match self {
            BatchOutput::Speech(m) => Ok(m),
            other => Err(other.not("speech")),
        }
    }

    /// The turn verdict, or an error naming the kind this output is.
    pub fn into_turn(self) -> Result<TurnDetection> {
        match self {
            BatchOutput::Turn(t) => Ok(t),
            other => Err(other.not("a turn verdict")),
        }
    }

    fn not(&self, wanted: &str) -> Error {
        let is = match self {
            BatchOutput::Chat(_) => "a chat reply",
            BatchOutput::Embeddings(_) => "embeddings",
            BatchOutput::Translation(_) => "a translation",
            BatchOutput::Speech(_) => "speech",
            BatchOutput::Turn(_) => "a turn verdict",
        };
        Error::invalid_request(format!("this batch result is {is}, not {wanted}"))
    }
}

/// The result of one item: its position, the caller's reference, and its output or its own
/// error.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchResult {
    /// The item's position in the list given to [`BatchModel::start`] (for a job submitted on
    /// its own, its job's [`offset`](BatchJob::offset) plus its position in the job).
    pub index: usize,
    /// The reference the item was submitted with, as the provider returned it.
    pub external_reference: Option<String>,
    /// The output, or why this item failed (the other items are not affected).
    pub outcome: Result<BatchOutput>,
    /// What the item cost, when known (estimated from its usage and the model's price).
    pub cost: Option<Cost>,
}

impl BatchResult {
    /// A result.
    pub fn new(
        index: usize,
        external_reference: Option<String>,
        outcome: Result<BatchOutput>,
    ) -> Self {
        BatchResult {
            index,
            external_reference,
            outcome,
            cost: None,
        }
    }

    /// The same result with the item's cost.
    pub fn with_cost(mut self, cost: Option<Cost>) -> Self {
        self.cost = cost;
        self
    }

    /// The total cost of `results`: the known costs added up and how many were unknown.
    pub fn total_cost<'a>(results: impl IntoIterator<Item = &'a BatchResult>) -> crate::CostTotal {
        let mut total = crate::CostTotal::default();
        for r in results {
            total.add(r.cost);
        }
        total
    }
}

/// One submission to the provider's queue: the provider's id for it and which items it holds.
/// Serialisable, so a caller can store it and collect the results in another process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchJob {
    /// The provider's id of the submission.
    pub request_id: String,
    /// The model it runs on.
    pub model: String,
    /// The position of its first item in the caller's list.
    pub offset: usize,
    /// How many items it holds.
    pub len: usize,
}

impl BatchJob {
    /// A job record (for providers, and for callers restoring one).
    pub fn new(
        request_id: impl Into<String>,
        model: impl Into<String>,
        offset: usize,
        len: usize,
    ) -> Self {
        BatchJob {
            request_id: request_id.into(),
            model: model.into(),
            offset,
            len,
        }
    }

    /// The positions of its items in the caller's list.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// Where a job is.
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchStatus {
    /// Waiting in the queue.
    Queued,
    /// Being worked on.
    Running,
    /// Finished: one result per item, in item order.
    Done(Vec<BatchResult>),
}

/// What a batch model can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchCapabilities {
    /// The kind of requests it takes.
    pub kind: ModelKind,
    /// The largest submission the provider accepts, in bytes of request body.
    pub max_payload_bytes: usize,
    /// The most items one submission takes, when the provider says.
    pub max_items: Option<usize>,
}

impl BatchCapabilities {
    /// Capabilities of a model of `kind` with this payload limit.
    pub fn new(kind: ModelKind, max_payload_bytes: usize) -> Self {
        BatchCapabilities {
            kind,
            max_payload_bytes,
            max_items: None,
        }
    }

    /// Validates `item` and refuses a request of another kind, before any request.
    ///
    /// ```
    /// use genai_core::{BatchCapabilities, BatchItem, ChatRequest, EmbedRequest, ErrorKind, ModelKind};
    /// let caps = BatchCapabilities::new(ModelKind::Embedding, 10 << 20);
    /// assert!(caps.check(&BatchItem::embed(EmbedRequest::new(["a"]))).is_ok());
    /// let err = caps.check(&BatchItem::chat(ChatRequest::new().user("hi"))).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// ```
    pub fn check(&self, item: &BatchItem) -> Result<()> {
        let kind = item.request.kind();
        if kind != self.kind {
            return Err(Error::unsupported(format!(
                "this batch takes {} requests, not {} requests",
                self.kind.as_str().replace('_', " "),
                kind.as_str().replace('_', " ")
            )));
        }
        item.request.validate()
    }
}

/// How [`BatchModel::results`] polls: the first wait, its growth, its cap, and the longest
/// total wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// The wait before the second poll (default 1 s).
    pub initial: Duration,
    /// The longest wait between polls (default 30 s); a `Retry-After` may ask for more.
    pub max: Duration,
    /// The longest total wait for one job (default 24 h).
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl PollPolicy {
    /// Sets the first wait.
    pub fn initial(mut self, d: Duration) -> Self {
        self.initial = d;
        self
    }

    /// Sets the longest wait between polls.
    pub fn max(mut self, d: Duration) -> Self {
        self.max = d;
        self
    }

    /// Sets the longest total wait.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The wait after poll number `n` (0-based): `initial * 1.5^n`, capped at `max`.
    ///
    /// ```
    /// use genai_core::PollPolicy;
    /// use std::time::Duration;
    /// let p = PollPolicy::default().initial(Duration::from_millis(100)).max(Duration::from_millis(200));
    /// assert_eq!(p.wait(0), Duration::from_millis(100));
    /// assert_eq!(p.wait(1), Duration::from_millis(150));
    /// assert_eq!(p.wait(9), Duration::from_millis(200));
    /// ```
    pub fn wait(&self, n: u32) -> Duration {
        let factor = 1.5f64.powi(n.min(64) as i32);
        self.initial.mul_f64(factor).min(self.max)
    }
}

/// Splits items of the given encoded sizes into consecutive groups whose encoded submission
/// (`overhead` bytes plus each item and a separator) stays within `limit` bytes and holds at
/// most `max_items` items. An item that does not fit on its own is an
/// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) naming its position.
///
/// ```
/// use genai_core::plan_chunks;
/// assert_eq!(plan_chunks(&[4, 4, 4], 2, 11, None).unwrap(), vec![0..2, 2..3]);
/// assert_eq!(plan_chunks(&[1, 1, 1], 2, 100, Some(2)).unwrap(), vec![0..2, 2..3]);
/// assert!(plan_chunks(&[20], 2, 11, None).is_err());
/// ```
pub fn plan_chunks(
    sizes: &[usize],
    overhead: usize,
    limit: usize,
    max_items: Option<usize>,
) -> Result<Vec<Range<usize>>> {
    let max_items = max_items.unwrap_or(usize::MAX).max(1);
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = overhead;
    for (i, size) in sizes.iter().enumerate() {
        // One separator (`,`) between items.
        let cost = size + usize::from(i > start);
        if overhead + size > limit {
            return Err(Error::invalid_request(format!(
                "batch item {} is {size} bytes: it cannot fit in a submission of at most {limit} bytes",
                i + 1
            )));
        }
        if used + cost > limit || i - start >= max_items {
            chunks.push(start..i);
            start = i;
            used = overhead + size;
        } else {
            used += cost;
        }
    }
    if start < sizes.len() {
        chunks.push(start..sizes.len());
    }
    Ok(chunks)
}

/// A model run through its provider's asynchronous batch queue.
///
/// Every item is checked ([`BatchCapabilities::check`]) before any request: a request of
/// another kind is [`Unsupported`](crate::ErrorKind::Unsupported), a malformed one
/// [`InvalidRequest`](crate::ErrorKind::InvalidRequest).
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{BatchItem, BatchModel, ChatRequest, Provider};
///
/// async fn many(provider: Arc<dyn Provider>) -> genai_core::Result<()> {
///     let batch = provider.batch_model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")?;
///     let items: Vec<BatchItem> = (0..100)
///         .map(|i| BatchItem::chat(ChatRequest::new().user(format!("Say {i}."))).reference(format!("q{i}")))
///         .collect();
///     for result in batch.run(&items).await? {
///         match result.outcome {
///             Ok(out) => println!("{:?}: {}", result.external_reference, out.into_chat()?.text),
///             Err(e) => println!("{:?} failed: {e}", result.external_reference),
///         }
///     }
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait BatchModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model's batches take.
    fn capabilities(&self) -> BatchCapabilities;

    /// Checks every item and splits them into the submissions [`start`](Self::start) makes:
    /// consecutive ranges of positions, each under the payload limit. No request is sent.
    fn plan(&self, items: &[BatchItem]) -> Result<Vec<Range<usize>>>;

    /// Submits `items` as one job whose first item is at position `offset` of the caller's
    /// list. Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) before any
    /// request when they do not fit in one submission (see [`plan`](Self::plan)).
    async fn submit(&self, items: &[BatchItem], offset: usize) -> Result<BatchJob>;

    /// Asks once where `job` is; `items` are the items it was submitted with (their requests
    /// decide how the replies are read, exactly as for a synchronous call).
    async fn status(&self, job: &BatchJob, items: &[BatchItem]) -> Result<BatchStatus>;

    /// How [`results`](Self::results) polls.
    fn poll_policy(&self) -> PollPolicy {
        PollPolicy::default()
    }

    /// Submits every item, split as [`plan`](Self::plan) says.
    async fn start(&self, items: &[BatchItem]) -> Result<Vec<BatchJob>> {
        let plan = self.plan(items)?;
        let mut jobs = Vec::with_capacity(plan.len());
        for range in plan {
            jobs.push(self.submit(&items[range.clone()], range.start).await?);
        }
        Ok(jobs)
    }

    /// Polls `job` (with growing waits, as [`poll_policy`](Self::poll_policy) says, and
    /// through polls that fail with a retryable error, honouring their `Retry-After`) until it
    /// is done and returns its results in item order.
    async fn results(&self, job: &BatchJob, items: &[BatchItem]) -> Result<Vec<BatchResult>> {
        let policy = self.poll_policy();
        let started = std::time::Instant::now();
        let mut n = 0;
        loop {
            // A poll that failed in a way that may pass (429, 5xx, a dropped connection) is
            // retried like a pending job, after the delay the service asked for if it did.
            let wait = match self.status(job, items).await {
                Ok(BatchStatus::Done(results)) => return Ok(results),
                Ok(_) => policy.wait(n),
                Err(e) if e.is_retryable() => e.retry_after().unwrap_or_else(|| policy.wait(n)),
                Err(e) => return Err(e),
            };
            if started.elapsed() + wait > policy.timeout {
                return Err(Error::new(
                    crate::ErrorKind::Timeout,
                    format!(
                        "batch job {} was not done after {} s",
                        job.request_id,
                        started.elapsed().as_secs()
                    ),
                ));
            }
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }

    /// Submits every item, waits for every job, and returns one result per item, in item
    /// order.
    async fn run(&self, items: &[BatchItem]) -> Result<Vec<BatchResult>> {
        let jobs = self.start(items).await?;
        let mut all = Vec::with_capacity(items.len());
        for job in &jobs {
            all.extend(self.results(job, &items[job.range()]).await?);
        }
        Ok(all)
    }
}
