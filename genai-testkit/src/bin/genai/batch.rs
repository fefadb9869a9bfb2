//! `genai batch`: many requests of one model through the async batch queue, resumable.
//!
//! How a run survives being killed at any moment (`kill -9` included) without submitting a
//! chunk twice or writing a result twice:
//!
//! - The input is planned once into chunks (consecutive ranges of requests, each one
//!   submission under the payload limit); the plan goes into the state file with a
//!   fingerprint of the input and the model, so a rerun uses the same plan or refuses.
//! - The state file is only ever replaced whole: written to a temporary file, flushed to disk
//!   (`fsync`), renamed over the old one, and the directory synced. A reader sees the old state
//!   or the new one, never a mix.
//! - Before a chunk is sent, the state marks it `submitting`; once the queue answers, the state
//!   records its `request_id` (`submitted`). A chunk recorded `submitted` is never sent again:
//!   a rerun only polls it.
//! - The queue has no idempotency key and no way to list jobs, so one window cannot be closed
//!   by any client: the process dying after the request left and before the reply was
//!   recorded. A rerun finds that chunk still `submitting`, says so on stderr, and submits it
//!   again; the earlier job, if the service received it, is never read. Results come only from
//!   the job whose id is recorded, so the output still holds each result exactly once.
//!   (A definite refusal, like a 4xx or a 429, puts the chunk back to `planned`.)
//! - Output lines are appended in input order, chunk after chunk. After a chunk's lines are
//!   written and flushed to disk, the state records the output's length and marks the chunk
//!   `written`. A rerun first cuts the output back to the recorded length (dropping the lines
//!   of a chunk whose write was interrupted) and polls that chunk again: the queue keeps the
//!   results of a finished job.
//! - Results are held one chunk at a time (`--chunk-size` requests at most), never the whole
//!   run.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use genai_core::{
    BatchItem, BatchJob, BatchModel, BatchOutput, BatchStatus, ChatRequest, Cost, CostTotal,
    EmbedRequest, Error, ErrorKind, Media, Message, ModelKind, PollPolicy, Pooling, Result,
    SpeechRequest, TranslateRequest, TurnRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ProviderArgs;
use crate::fallback::{note_attempts, FallbackArgs, ServedFields};
use crate::input;

/// `genai batch` options.
#[derive(Args, Debug)]
pub(crate) struct BatchArgs {
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// Requests, one JSON object per line, in the shape of the matching command's options
    /// (chat: {"prompt"} or {"messages","max_tokens",...}; embed: {"text"}; translate:
    /// {"text","to","from"}), each optionally with "id"; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Results, one JSON object per input line, in input order.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Where the progress is recorded, to resume after an interruption (default: OUT.state).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Most requests per submission (the 10 MB payload limit also splits).
    #[arg(long, default_value_t = 500, value_name = "N")]
    chunk_size: usize,
    /// Start over: remove the state file and the output of an earlier run first (after the
    /// queue lost a job, or to run the same input again).
    #[arg(long)]
    restart: bool,
}

/// One input line, read.
struct Entry {
    id: Value,
    item: std::result::Result<BatchItem, Error>,
    /// Where a text-to-speech line's audio goes (its `out`).
    out: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    prompt: Option<String>,
    system: Option<String>,
    messages: Option<Vec<Message>>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    seed: Option<u64>,
    #[serde(default)]
    stop: Stops,
    #[serde(default)]
    json: bool,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Stops {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Texts {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbedLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: Texts,
    pooling: Option<Pooling>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TranslateLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: String,
    to: String,
    from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeakLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: String,
    out: PathBuf,
    voice: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    /// The WAV file to judge.
    audio: PathBuf,
}

/// A turn line's audio, read now with the checks of `genai transcribe` (missing, empty, over
/// the speech models' size limit before it is read, or not audio).
async fn read_turn_audio(path: &Path) -> Result<Media> {
    crate::transcription::read_audio(path, Some(genai_cloudflare::MAX_AUDIO_BYTES))
        .await?
        .load()
        .await
}

/// The caller's id as the queue's `external_reference` (a string).
fn reference(id: &Value) -> Option<String> {
    match id {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

async fn parse_line(kind: ModelKind, line: &str) -> Entry {
    let id = serde_json::from_str::<Value>(line)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    let bad = |e: serde_json::Error| Error::invalid_request(format!("not a valid request: {e}"));
    let mut out = None;
    let item = match kind {
        ModelKind::Chat => serde_json::from_str::<ChatLine>(line)
            .map_err(bad)
            .and_then(|l| {
                // Refused here as `genai chat` refuses them, not sent to be paid for.
                match (&l.prompt, &l.messages) {
                    (Some(p), _) if p.trim().is_empty() => {
                        Err(Error::invalid_request("the prompt is empty"))
                    }
                    (None, None) => Err(Error::invalid_request(
                        "nothing to send: give \"prompt\" or \"messages\"",
                    )),
                    _ => Ok(l),
                }
            })
            .map(|l| {
                let mut req = ChatRequest::new();
                if let Some(s) = l.system {
                    req = req.system(s);
                }
                req.messages.extend(l.messages.unwrap_or_default());
                if let Some(p) = l.prompt {
                    req = req.user(p);
                }
                if l.json {
                    req = req.json();
                }
                req.max_tokens = l.max_tokens;
                req.temperature = l.temperature;
                req.top_p = l.top_p;
                req.top_k = l.top_k;
                req.seed = l.seed;
                req.stop = match l.stop {
                    Stops::None => Vec::new(),
                    Stops::One(s) => vec![s],
                    Stops::Many(v) => v,
                };
                BatchItem::chat(req)
            }),
        ModelKind::Embedding => serde_json::from_str::<EmbedLine>(line)
            .map_err(bad)
            .map(|l| {
                let texts = match l.text {
                    Texts::One(t) => vec![t],
                    Texts::Many(v) => v,
                };
                let mut req = EmbedRequest::new(texts);
                req.pooling = l.pooling;
                BatchItem::embed(req)
            }),
        ModelKind::Translation => serde_json::from_str::<TranslateLine>(line)
            .map_err(bad)
            .map(|l| {
                let mut req = TranslateRequest::new(l.text, l.to);
                req.source_lang = l.from;
                BatchItem::translate(req)
            }),
        ModelKind::TextToSpeech => serde_json::from_str::<SpeakLine>(line)
            .map_err(bad)
            .map(|l| {
                let mut req = SpeechRequest::new(l.text);
                req.voice = l.voice;
                req.language = l.lang;
                out = Some(l.out);
                BatchItem::speak(req)
            }),
        ModelKind::TurnDetection => match serde_json::from_str::<TurnLine>(line) {
            Ok(l) => read_turn_audio(&l.audio)
                .await
                .map(|audio| BatchItem::detect_turn(TurnRequest::new(audio))),
            Err(e) => Err(bad(e)),
        },
        other => Err(Error::unsupported(format!(
            "batches of {} models are not supported",
            other.as_str()
        ))),
    };
    let item = item.map(|item| match reference(&id) {
        Some(r) => item.reference(r),
        None => item,
    });
    Entry { id, item, out }
}

/// Where a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChunkState {
    Planned,
    Submitting,
    Submitted,
    Written,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Chunk {
    /// Positions in the list of valid requests.
    start: usize,
    end: usize,
    state: ChunkState,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    attempts: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    model: String,
    input_len: u64,
    input_hash: String,
    inputs: usize,
    /// A fingerprint of the valid requests and their lines: what the chunks' positions
    /// refer to (it changes when a line's audio file changes, even if the input does not).
    #[serde(default)]
    requests_hash: String,
    chunks: Vec<Chunk>,
    /// Output lines written (a prefix of the inputs).
    written: usize,
    /// The output file's length after them.
    out_bytes: u64,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

/// Replaces the state file atomically: temp file, fsync, rename, directory fsync.
fn save(path: &Path, state: &State) -> Result<()> {
    let text = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::config(format!("cannot encode the state: {e}")))?;
    let mut tmp = TempFile::beside(path).map_err(|e| io_error("write the state", path, e))?;
    tmp.file
        .write_all(&text)
        .map_err(|e| io_error("write", &tmp.path, e))?;
    tmp.persist(path)
}

/// A new file beside its destination with a name no one can predict, created exclusively
/// (`O_EXCL`: a file or symlink planted at that name is never opened, let alone followed),
/// removed when dropped unless [`persist`](Self::persist)ed.
struct TempFile {
    path: PathBuf,
    file: File,
    kept: bool,
}

impl TempFile {
    fn beside(dest: &Path) -> std::io::Result<TempFile> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "genai".to_owned());
        let mut last = None;
        for _ in 0..16 {
            let suffix: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(12)
                .collect();
            let path = dest.with_file_name(format!(".{name}.{suffix}.tmp"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        kept: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
    }

    /// Flushes the file to disk and renames it over `dest`, then syncs the folder.
    fn persist(mut self, dest: &Path) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|e| io_error("sync", &self.path, e))?;
        std::fs::rename(&self.path, dest).map_err(|e| io_error("replace", dest, e))?;
        self.kept = true;
        let _ = sync_dir(dest);
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Flushes the directory holding `path` (so a rename in it survives a power cut).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

fn fnv(bytes: &[u8]) -> String {
    let mut hash = Fnv::default();
    hash.update(bytes);
    hash.hex()
}

/// A 64-bit FNV-1a hash fed piece by piece (also as an `io::Write`).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }

    fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

impl Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn progress(msg: impl AsRef<str>) {
    eprintln!("batch: {}", msg.as_ref());
}

/// Runs `genai batch`.
pub(crate) async fn run(args: BatchArgs) -> Result<()> {
    let client = super::provider(&args.provider)?;
    let first = genai_core::ProviderGen::model(&client).to_owned();
    let mut policy = PollPolicy::default()
        .initial(Duration::from_millis(250))
        .max(Duration::from_secs(5));
    if let Some(t) = args.provider.timeout {
        policy = policy.timeout(Duration::from_secs_f64(t));
    }
    let mut chain = Chain::make(
        &client.provider(),
        &first,
        &args.fallback,
        !args.provider.no_capability_check,
        |b| b.max_items(args.chunk_size.max(1)).poll_policy(policy),
    )?;
    let (mut model, mut batch) = chain.next_usable()?;
    let kind = batch.capabilities().kind;
    chain.check_kinds(kind)?;
    let state_path = args.state.clone().unwrap_or_else(|| {
        let mut p = args.out.as_os_str().to_owned();
        p.push(".state");
        PathBuf::from(p)
    });
    // Nothing is read, written or sent before the files are known not to collide and no
    // other run holds them.
    let files = Files::check(&args.input, &args.out, &state_path)?;
    let lock = RunLock::acquire(&state_path, &args.out)?;
    if args.restart {
        for path in [&state_path, &args.out] {
            match std::fs::remove_file(path) {
                Ok(()) => progress(format!("starting over: removed {}", path.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", path, e)),
            }
        }
    }
    let raw = input::read_bytes(&args.input, "batch input", input::MAX_BATCH_INPUT_BYTES)?;
    let shown_input = if input::is_stdin(&args.input) {
        "standard input".to_owned()
    } else {
        args.input.display().to_string()
    };
    let mut entries = Vec::new();
    let mut outs = LineOuts::new(&files);
    for (n, line) in raw.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // One line that is not text is that line's error, not the run's.
        let mut entry = match std::str::from_utf8(line) {
            Ok(line) => parse_line(kind, line).await,
            Err(e) => Entry {
                id: Value::Null,
                item: Err(Error::invalid_request(format!(
                    "{shown_input} line {} is not UTF-8 text (invalid byte at offset {})",
                    n + 1,
                    e.valid_up_to()
                ))),
                out: None,
            },
        };
        if let (Ok(_), Some(out)) = (&entry.item, &entry.out) {
            match outs.claim(out) {
                Ok(resolved) => entry.out = Some(resolved),
                Err(e) => entry.item = Err(e),
            }
        }
        // Each request is checked alone, so one bad line is one error line, not a failed run;
        // with --fallback, by every model that may take the run.
        if let Ok(item) = &entry.item {
            if let Err(e) = chain.check_line(&batch, item) {
                entry.item = Err(e);
            }
        }
        entries.push(entry);
    }
    // Valid requests, and the input index of each.
    let mut items = Vec::new();
    let mut index_of = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Ok(item) = &e.item {
            items.push(item.clone());
            index_of.push(i);
        }
    }
    let input_hash = fnv(&raw);
    let input_len = raw.len() as u64;
    drop(raw);
    let requests_hash = {
        // Streamed into the hash: the requests (audio included) are never encoded whole.
        let mut hash = Fnv::default();
        serde_json::to_writer(&mut hash, &items)
            .map_err(|e| Error::config(format!("cannot fingerprint the requests: {e}")))?;
        for i in &index_of {
            hash.update(&(*i as u64).to_le_bytes());
        }
        hash.hex()
    };
    let start_over = format!(
        "run again with --restart (or remove {}) to start over",
        state_path.display()
    );
    let (mut state, _out_lock) = match std::fs::read(&state_path) {
        Ok(bytes) => {
            let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                Error::config(format!(
                    "the state file {} is not readable ({e}); {start_over}",
                    state_path.display()
                ))
            })?;
            // A run stays with the model that took its first submission.
            if let Some(taken) = chain.resume_with(&state.model) {
                (model, batch) = taken;
            }
            if state.model != model
                || state.input_hash != input_hash
                || state.input_len != input_len
                || state.inputs != entries.len()
                || state.requests_hash != requests_hash
                || state
                    .chunks
                    .iter()
                    .any(|c| c.start > c.end || c.end > items.len())
            {
                return Err(Error::config(format!(
                    "the state file {} belongs to another input or model (or a file the input \
                     names changed since); {start_over}",
                    state_path.display()
                )));
            }
            progress(format!(
                "resuming from {}: {}/{} results already written",
                state_path.display(),
                state.written,
                state.inputs
            ));
            let out_lock = lock_output(&args.out, false)?;
            (state, out_lock)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let plan = batch.plan(&items)?;
            let state = State {
                version: 1,
                model: model.clone(),
                input_len,
                input_hash,
                inputs: entries.len(),
                requests_hash,
                chunks: plan
                    .into_iter()
                    .map(|r| Chunk {
                        start: r.start,
                        end: r.end,
                        state: ChunkState::Planned,
                        request_id: None,
                        attempts: 0,
                    })
                    .collect(),
                written: 0,
                out_bytes: 0,
            };
            // The state first: a state file that cannot be written leaves no output behind.
            save(&state_path, &state)?;
            let out_lock = match lock_output(&args.out, true) {
                Ok(l) => l,
                Err(e) => {
                    let _ = std::fs::remove_file(&state_path);
                    return Err(e);
                }
            };
            progress(format!(
                "{} requests ({} valid) in {} submissions",
                entries.len(),
                items.len(),
                state.chunks.len()
            ));
            (state, out_lock)
        }
        Err(e) => return Err(io_error("read", &state_path, e)),
    };

    // The output: cut back to what the state says was written.
    let out = OpenOptions::new()
        .write(true)
        .open(&args.out)
        .map_err(|e| io_error("open", &args.out, e))?;
    let len = out
        .metadata()
        .map_err(|e| io_error("read", &args.out, e))?
        .len();
    if len < state.out_bytes {
        return Err(Error::config(format!(
            "{} is shorter than {} records; {start_over}",
            args.out.display(),
            state_path.display()
        )));
    }
    out.set_len(state.out_bytes)
        .map_err(|e| io_error("truncate", &args.out, e))?;
    drop(out);

    // Submit every chunk not yet submitted, until the run's budget (if any) is spent.
    let mut over_budget = None;
    let mut pos = 0;
    while pos < state.chunks.len() {
        let (k, total) = (pos, state.chunks.len());
        pos += 1;
        let chunk = state.chunks[k].clone();
        if !matches!(chunk.state, ChunkState::Planned | ChunkState::Submitting) {
            continue;
        }
        if chunk.state == ChunkState::Submitting {
            progress(format!(
                "submission {}/{total} was interrupted before its id was recorded; submitting \
                 it again (the earlier one, if it reached the service, is not read)",
                k + 1
            ));
        }
        state.chunks[k].state = ChunkState::Submitting;
        state.chunks[k].attempts += 1;
        save(&state_path, &state)?;
        match batch
            .submit(&items[chunk.start..chunk.end], chunk.start)
            .await
        {
            Ok(job) => {
                state.chunks[k].state = ChunkState::Submitted;
                state.chunks[k].request_id = Some(job.request_id.clone());
                save(&state_path, &state)?;
                progress(format!(
                    "submitted {}/{total} ({} requests, id {})",
                    k + 1,
                    chunk.end - chunk.start,
                    job.request_id
                ));
            }
            Err(e) if e.kind() == ErrorKind::Budget => {
                // Nothing was sent: stop submitting, keep what was done; a later run with a
                // larger budget resumes here.
                state.chunks[k].state = ChunkState::Planned;
                save(&state_path, &state)?;
                progress(format!(
                    "budget spent: submission {}/{total} and those after it were not sent",
                    k + 1
                ));
                over_budget = Some(e);
                break;
            }
            // Before anything is queued, a model that may not serve gives way to the next
            // (the plan is made again for it); once a submission is queued, the run keeps its
            // model.
            Err(e)
                if genai_core::falls_over(&e)
                    && chain.can_fall_over()
                    && state.chunks.iter().all(|c| c.request_id.is_none()) =>
            {
                let (next, next_batch) = chain.fall_over(&model, e)?;
                let plan = next_batch.plan(&items)?;
                progress(format!(
                    "{model} could not take the run ({}); trying {next}",
                    chain.last_failure()
                ));
                (model, batch) = (next, next_batch);
                state.model = model.clone();
                state.chunks = plan
                    .into_iter()
                    .map(|r| Chunk {
                        start: r.start,
                        end: r.end,
                        state: ChunkState::Planned,
                        request_id: None,
                        attempts: 0,
                    })
                    .collect();
                save(&state_path, &state)?;
                pos = 0;
            }
            Err(e) => {
                // A refusal means nothing was queued; anything else may have been.
                let refused = e.status().is_some_and(|s| (400..500).contains(&s))
                    || e.kind() == ErrorKind::InvalidRequest
                    || e.kind() == ErrorKind::Unsupported;
                if refused {
                    state.chunks[k].state = ChunkState::Planned;
                    save(&state_path, &state)?;
                }
                return Err(e);
            }
        }
    }

    // Collect in order and append (up to the first submission the budget stopped).
    let total = state.chunks.len();
    let waiting = Waiting {
        policy,
        deadline: Instant::now() + policy.timeout,
        total,
        start_over: &start_over,
    };
    for k in 0..total {
        let chunk = state.chunks[k].clone();
        if chunk.state == ChunkState::Written {
            continue;
        }
        if over_budget.is_some() && chunk.state == ChunkState::Planned {
            break;
        }
        let Some(request_id) = chunk.request_id.clone() else {
            return Err(Error::config(format!(
                "the state file has a submitted chunk without an id; {start_over}"
            )));
        };
        let job = BatchJob::new(request_id, &model, chunk.start, chunk.end - chunk.start);
        let results = waiting
            .results(&batch, &job, &items[chunk.start..chunk.end], k)
            .await?;
        let last = index_of[chunk.end - 1];
        let mut by_index = results
            .into_iter()
            .map(|r| (index_of[r.index], (r.outcome, r.cost)));
        let mut next = by_index.next();
        let mut lines = String::new();
        for (i, entry) in entries
            .iter()
            .enumerate()
            .take(last + 1)
            .skip(state.written)
        {
            let outcome = match &next {
                Some((at, _)) if *at == i => next.take().map(|(_, o)| o),
                _ => None,
            };
            if outcome.is_some() {
                next = by_index.next();
            }
            let (outcome, cost) = match (outcome, &entry.item) {
                (Some((o, cost)), _) => (o, cost),
                (None, Err(e)) => (Err(clone_error(e)), None),
                (None, Ok(_)) => (Err(Error::protocol("no result for this request")), None),
            };
            push_line(&mut lines, i, entry, &model, outcome, cost);
        }
        state.out_bytes = append(&args.out, &lines)?;
        state.written = last + 1;
        state.chunks[k].state = ChunkState::Written;
        save(&state_path, &state)?;
        progress(format!(
            "{}/{} results written ({}/{total} submissions done)",
            state.written,
            state.inputs,
            k + 1
        ));
    }
    if let Some(e) = over_budget {
        let (failed, cost) = tally(&args.out)?;
        progress(format!(
            "stopped by the budget: {} of {} lines in {} ({failed} errors, {})",
            state.written,
            entries.len(),
            args.out.display(),
            describe_cost(&cost)
        ));
        return Err(e);
    }
    // Invalid lines after the last request.
    if state.written < entries.len() {
        let mut lines = String::new();
        for (i, entry) in entries.iter().enumerate().skip(state.written) {
            let e = match &entry.item {
                Err(e) => clone_error(e),
                Ok(_) => Error::protocol("no result for this request"),
            };
            push_line(&mut lines, i, entry, &model, Err(e), None);
        }
        state.out_bytes = append(&args.out, &lines)?;
        state.written = entries.len();
        save(&state_path, &state)?;
    }
    let (failed, cost) = tally(&args.out)?;
    progress(format!(
        "done: {} lines in {} ({failed} errors, {})",
        state.written,
        args.out.display(),
        describe_cost(&cost)
    ));
    lock.release();
    let served = args.fallback.any().then(|| ServedFields {
        served_by: &model,
        attempts: &chain.attempts,
    });
    if args.provider.format == super::Format::Json {
        let mut summary = serde_json::json!({
            "model": model,
            "out": args.out.display().to_string(),
            "lines": state.written,
            "errors": failed,
            "submissions": state.chunks.len(),
            "cost": cost.known,
            "cost_unknown": cost.unknown,
        });
        if let (Some(served), Some(fields)) = (&served, summary.as_object_mut()) {
            fields.insert("served_by".into(), served.served_by.into());
            fields.insert(
                "attempts".into(),
                serde_json::to_value(served.attempts).unwrap_or_default(),
            );
        }
        super::emit_line(&summary.to_string());
    } else {
        note_attempts(&model, &chain.attempts);
    }
    Ok(())
}

/// The models a run may go to: `--model`, then the `--fallback` models, in order. Each is
/// made before anything is read or sent; one refused then for a reason another model may not
/// share (retired, plan required) is an attempt of the chain, met when the chain reaches it.
struct Chain {
    provider: String,
    members: Vec<(String, Result<genai_cloudflare::CloudflareBatch>)>,
    /// The next member to try.
    next: usize,
    /// The models that failed, in order, with their errors.
    attempts: Vec<genai_core::Attempt>,
}

impl Chain {
    fn make(
        workers: &genai_cloudflare::WorkersAi,
        first: &str,
        fallback: &FallbackArgs,
        check: bool,
        setup: impl Fn(genai_cloudflare::CloudflareBatch) -> genai_cloudflare::CloudflareBatch,
    ) -> Result<Chain> {
        let provider = genai_core::Provider::name(workers).to_owned();
        let mut members = Vec::new();
        for id in std::iter::once(first).chain(fallback.models.iter().map(String::as_str)) {
            // A retired model is named so before the queue is asked about it.
            let retired = check
                .then(|| genai_cloudflare::facts::retired_error(id))
                .flatten();
            let made = match retired {
                Some(e) => Err(e.with_provider(provider.clone())),
                None => workers.batch(id).map(&setup),
            };
            match made {
                Err(e) if !(fallback.any() && genai_core::falls_over(&e)) => return Err(e),
                made => members.push((id.to_owned(), made)),
            }
        }
        Ok(Chain {
            provider,
            members,
            next: 0,
            attempts: Vec::new(),
        })
    }

    /// The next model that could be made, passing (as attempts) those that could not; when
    /// none is left, the last refusal, naming the models tried before.
    fn next_usable(&mut self) -> Result<(String, genai_cloudflare::CloudflareBatch)> {
        let mut last = None;
        while let Some((id, made)) = self.members.get(self.next) {
            self.next += 1;
            match made {
                Ok(b) => return Ok((id.clone(), b.clone())),
                Err(e) => {
                    let e = clone_error(e);
                    if self.next < self.members.len() {
                        self.attempts
                            .push(genai_core::Attempt::new(&self.provider, id, &e));
                    }
                    last = Some((id.clone(), e));
                }
            }
        }
        let (id, e) = last.unwrap_or_else(|| {
            (
                String::new(),
                Error::config("a batch needs a model (--model or GENAI_MODEL)"),
            )
        });
        Err(self.after(&id, e))
    }

    /// `e` of `model`, its message naming the models that failed before.
    fn after(&self, model: &str, e: Error) -> Error {
        if self.attempts.is_empty() {
            return e;
        }
        let before: Vec<String> = self
            .attempts
            .iter()
            .map(|a| format!("{}: {}", a.model, a.error.kind))
            .collect();
        let mut out = Error::new(
            e.kind(),
            format!(
                "{} (model {model}, after {})",
                e.message(),
                before.join(", ")
            ),
        );
        if let Some(s) = e.status() {
            out = out.with_status(s);
        }
        if let Some(c) = e.code() {
            out = out.with_code(c);
        }
        out.with_provider(self.provider.clone())
    }

    /// Whether a model that could be made is left to fall over to.
    fn can_fall_over(&self) -> bool {
        self.members[self.next..]
            .iter()
            .any(|(_, made)| made.is_ok())
    }

    /// `model` failed with `e` before anything was queued: the next model that could be made
    /// (see [`Chain::can_fall_over`]).
    fn fall_over(
        &mut self,
        model: &str,
        e: Error,
    ) -> Result<(String, genai_cloudflare::CloudflareBatch)> {
        self.attempts
            .push(genai_core::Attempt::new(&self.provider, model, &e));
        self.next_usable()
    }

    /// How the last attempt failed, for the progress line.
    fn last_failure(&self) -> String {
        self.attempts
            .last()
            .map(|a| a.error.kind.as_str().to_owned())
            .unwrap_or_default()
    }

    /// Refuses a `--fallback` model of another kind than the run's lines.
    fn check_kinds(&self, kind: ModelKind) -> Result<()> {
        for (id, made) in &self.members {
            if let Ok(b) = made {
                let other = b.capabilities().kind;
                if other != kind {
                    return Err(Error::invalid_request(format!(
                        "`{id}` is a {} model and this batch's lines are {} requests: every \
                         --fallback model must be of the --model's kind",
                        other.as_str(),
                        kind.as_str()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Checks one request against the run's model and every model after it.
    fn check_line(
        &self,
        batch: &genai_cloudflare::CloudflareBatch,
        item: &BatchItem,
    ) -> Result<()> {
        let item = std::slice::from_ref(item);
        batch.plan(item)?;
        for (_, made) in &self.members[self.next..] {
            if let Ok(b) = made {
                b.plan(item)?;
            }
        }
        Ok(())
    }

    /// For a resumed run: the model its state names, when it is one of the chain's, with the
    /// models after it left to fall over to.
    fn resume_with(&mut self, model: &str) -> Option<(String, genai_cloudflare::CloudflareBatch)> {
        let at = self
            .members
            .iter()
            .position(|(id, made)| id == model && made.is_ok())?;
        self.next = at + 1;
        let (id, made) = &self.members[at];
        made.as_ref().ok().map(|b| (id.clone(), b.clone()))
    }
}

/// How the results of each submission are waited for: polls with growing waits, each wait
/// shown on stderr, within the run's deadline (`--timeout`, else the poll policy's 24 h).
struct Waiting<'a> {
    policy: PollPolicy,
    deadline: Instant,
    total: usize,
    start_over: &'a str,
}

impl Waiting<'_> {
    async fn results(
        &self,
        batch: &genai_cloudflare::CloudflareBatch,
        job: &BatchJob,
        items: &[BatchItem],
        k: usize,
    ) -> Result<Vec<genai_core::BatchResult>> {
        let started = Instant::now();
        let what = format!(
            "submission {}/{} (id {})",
            k + 1,
            self.total,
            job.request_id
        );
        let mut n = 0;
        loop {
            let (wait, status) = match batch.status(job, items).await {
                Ok(BatchStatus::Done(results)) => return Ok(results),
                Ok(BatchStatus::Queued) => (self.policy.wait(n), "queued"),
                Ok(BatchStatus::Running) => (self.policy.wait(n), "running"),
                Ok(_) => (self.policy.wait(n), "pending"),
                Err(e) if e.status() == Some(404) || e.code() == Some(5007) => {
                    let mut lost = Error::new(
                        e.kind(),
                        format!(
                            "{what}: the queue no longer knows this job ({}): its results are \
                             gone; {}, which submits the requests again",
                            e.message(),
                            self.start_over
                        ),
                    );
                    if let Some(s) = e.status() {
                        lost = lost.with_status(s);
                    }
                    if let Some(c) = e.code() {
                        lost = lost.with_code(c);
                    }
                    return Err(lost);
                }
                // A poll that failed in a way that may pass is retried like a pending job.
                Err(e) if e.is_retryable() => (
                    e.retry_after().unwrap_or_else(|| self.policy.wait(n)),
                    "not answering",
                ),
                Err(e) => return Err(e),
            };
            let waited = started.elapsed().as_secs_f64();
            if Instant::now() + wait > self.deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{what} was still {status} after {waited:.1} s, and the next poll would \
                         pass the {:.1} s limit (--timeout); run the same command again to keep \
                         waiting (the state file keeps the job)",
                        self.policy.timeout.as_secs_f64()
                    ),
                ));
            }
            progress(format!(
                "{what} {status}; next poll in {:.1} s ({waited:.1} s waited, limit {:.1} s)",
                wait.as_secs_f64(),
                self.policy.timeout.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }
}

/// The files of a run, each named by what it is for, checked not to be one another before
/// any work: an output over the input would destroy it, a state over the output would leave
/// only the state.
struct Files {
    /// The folder of the output, where the speech lines' audio files go.
    out_folder: PathBuf,
    /// The identities of the input, the output, the state and its lock.
    taken: Vec<PathBuf>,
}

impl Files {
    fn check(input: &Path, out: &Path, state: &Path) -> Result<Files> {
        let lock = lock_path(state);
        let named = [
            ("--out", out),
            ("--state", state),
            ("the state's lock", lock.as_path()),
        ];
        let mut taken = Vec::new();
        if !input::is_stdin(input) {
            taken.push(("--input", identity(input)));
        }
        if input::is_stdin(out) {
            return Err(Error::invalid_request(
                "--out - is not possible: the output is resumed and cut back, so it must be a file",
            ));
        }
        for (flag, path) in named {
            let id = identity(path);
            if let Some((other, _)) = taken.iter().find(|(_, t)| *t == id) {
                return Err(Error::invalid_request(format!(
                    "{flag} and {other} are the same file ({}): nothing was done",
                    path.display()
                )));
            }
            taken.push((flag, id));
        }
        let out_folder = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        Ok(Files {
            out_folder,
            taken: taken.into_iter().map(|(_, id)| id).collect(),
        })
    }
}

/// The audio files the speech lines write, claimed one by one: each inside the output's
/// folder (a relative path without `..`), and none of them the input, the output, the state
/// or another line's file.
struct LineOuts<'a> {
    files: &'a Files,
    claimed: Vec<PathBuf>,
}

impl<'a> LineOuts<'a> {
    fn new(files: &'a Files) -> Self {
        LineOuts {
            files,
            claimed: Vec::new(),
        }
    }

    fn claim(&mut self, out: &Path) -> Result<PathBuf> {
        use std::path::Component;
        let shown = out.display();
        if out
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
            || out.file_name().is_none()
        {
            return Err(Error::invalid_request(format!(
                "`out` {shown} must be a file name or a relative path inside the output's folder \
                 (no `..`, not absolute)"
            )));
        }
        let resolved = self.files.out_folder.join(out);
        let id = identity(&resolved);
        if self.files.taken.contains(&id) {
            return Err(Error::invalid_request(format!(
                "`out` {shown} is the run's input, output or state file"
            )));
        }
        if self.claimed.contains(&id) {
            return Err(Error::invalid_request(format!(
                "`out` {shown} is already the file of an earlier line"
            )));
        }
        self.claimed.push(id);
        Ok(resolved)
    }
}

/// What a path names, to compare two paths: canonical where it exists (symlinks and `..`
/// resolved), else its canonical folder and its name, else the path made absolute.
fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_owned()),
    }
}

fn lock_path(state: &Path) -> PathBuf {
    let mut p = state.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The exclusive lock of a run: `flock` on `STATE.lock`, which holds the process id of the
/// run that holds it. The kernel drops the lock when the process ends in any way (`kill -9`
/// included), so no stale lock ever blocks a rerun; the file itself is removed when a run
/// completes.
struct RunLock {
    path: PathBuf,
    _file: File,
}

impl RunLock {
    fn acquire(state: &Path, out: &Path) -> Result<RunLock> {
        let path = lock_path(state);
        // A finishing run removes the file: a lock taken on a file no longer at the path
        // locks nothing, so it is taken again on the new one.
        for _ in 0..8 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io_error("create the lock", &path, e))?;
            match try_lock(&file) {
                Ok(true) => {}
                Ok(false) => {
                    let mut holder = String::new();
                    let _ = std::io::Read::read_to_string(&mut file, &mut holder);
                    let holder = holder.trim();
                    let holder = if holder.is_empty() {
                        "another process".to_owned()
                    } else {
                        holder.to_owned()
                    };
                    return Err(Error::invalid_request(format!(
                        "another `genai batch` is running on {} ({holder}, lock {}): wait for it \
                         to finish or stop it; nothing was done",
                        out.display(),
                        path.display()
                    )));
                }
                Err(e) => return Err(io_error("lock", &path, e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            let me = format!(
                "genai batch, pid {}, writing {}\n",
                std::process::id(),
                out.display()
            );
            file.set_len(0)
                .and_then(|()| file.write_all(me.as_bytes()))
                .map_err(|e| io_error("write", &path, e))?;
            return Ok(RunLock { path, _file: file });
        }
        Err(Error::config(format!(
            "cannot take the lock {}: it keeps being replaced",
            path.display()
        )))
    }

    /// Removes the lock file (still holding the lock, so no one takes the old file), then
    /// drops the lock.
    fn release(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Opens the output (creating it empty when `fresh`) and takes an exclusive lock on it for
/// the rest of the run: another run with another state file cannot write it meanwhile.
fn lock_output(out: &Path, fresh: bool) -> Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(fresh)
        .truncate(false)
        .open(out)
        .map_err(|e| io_error("open", out, e))?;
    match try_lock(&file) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::invalid_request(format!(
                "another `genai batch` is writing {} (with another state file): wait for it to \
                 finish or stop it; nothing was done",
                out.display()
            )))
        }
        Err(e) => return Err(io_error("lock", out, e)),
    }
    if fresh {
        file.set_len(0).map_err(|e| io_error("truncate", out, e))?;
    }
    Ok(file)
}

/// Takes an exclusive `flock` without waiting: `Ok(false)` when another holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the whole call (borrowed from `file`); flock only
    // reads its arguments.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e)
    }
}

/// No advisory lock on this platform: two runs are not kept apart.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// Whether the open `file` is the file now at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The error lines of the output, and the total cost of its results (read back from the
/// output, so a resumed run counts the lines written before it too).
fn tally(path: &Path) -> Result<(usize, CostTotal)> {
    let f = File::open(path).map_err(|e| io_error("read", path, e))?;
    let mut errors = 0;
    let mut cost = CostTotal::default();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| io_error("read", path, e))?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v.get("error").is_some() {
            errors += 1;
        } else if let Some(result) = v.get("result") {
            let c = result
                .get("cost")
                .and_then(|c| serde_json::from_value::<Cost>(c.clone()).ok());
            cost.add(c);
        }
    }
    Ok((errors, cost))
}

/// "0.1234 neurons ($0.00000136)", with how many results had no known cost.
fn describe_cost(total: &CostTotal) -> String {
    let known = match total.known {
        Some(c) => format!("cost {:.4} neurons (${:.8})", c.neurons, c.usd),
        None => "cost unknown".to_owned(),
    };
    match total.unknown {
        0 => known,
        n => format!("{known}, {n} results of unknown cost"),
    }
}

fn clone_error(e: &Error) -> Error {
    let mut c = Error::new(e.kind(), e.message());
    if let Some(s) = e.status() {
        c = c.with_status(s);
    }
    if let Some(code) = e.code() {
        c = c.with_code(code);
    }
    c
}

/// Appends `lines` to the output, flushed to disk; returns the output's new length.
fn append(path: &Path, lines: &str) -> Result<u64> {
    let f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| io_error("open", path, e))?;
    let mut w = BufWriter::new(f);
    w.write_all(lines.as_bytes())
        .map_err(|e| io_error("write", path, e))?;
    let f = w
        .into_inner()
        .map_err(|e| io_error("write", path, e.into_error()))?;
    f.sync_data().map_err(|e| io_error("sync", path, e))?;
    Ok(f.metadata().map_err(|e| io_error("read", path, e))?.len())
}

/// One output line: `{"index","id","result"}` or `{"index","id","error"}`.
fn push_line(
    out: &mut String,
    index: usize,
    entry: &Entry,
    model: &str,
    outcome: Result<BatchOutput>,
    cost: Option<Cost>,
) {
    let id = &entry.id;
    // Speech is written to the line's own file first; the line then says where.
    let outcome = match (outcome, &entry.out) {
        (Ok(BatchOutput::Speech(audio)), Some(path)) => {
            write_audio(path, &audio).map(|()| BatchOutput::Speech(audio))
        }
        (Ok(BatchOutput::Speech(_)), None) => Err(Error::invalid_request(
            "a text-to-speech line needs `out`, the file to write the audio to",
        )),
        (other, _) => other,
    };
    let body = match outcome {
        Ok(BatchOutput::Chat(reply)) => {
            format!(r#""result":{}"#, super::reply_json(model, &reply, false))
        }
        Ok(BatchOutput::Embeddings(e)) => format!(
            r#""result":{}"#,
            serde_json::json!({
                "model": model,
                "dimensions": e.dimensions,
                "embeddings": e.embeddings,
                "usage": e.usage,
                "cost": cost,
            })
        ),
        Ok(BatchOutput::Translation(t)) => format!(
            r#""result":{}"#,
            serde_json::json!({"model": model, "text": t.text, "cost": cost})
        ),
        Ok(BatchOutput::Speech(audio)) => {
            let path = entry
                .out
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let line = crate::output::MediaLine {
                model,
                served: None,
                path: &path,
                media_type: audio.media_type(),
                bytes: audio.len() as u64,
                cost,
            };
            match serde_json::to_string(&line) {
                Ok(text) => format!(r#""result":{text}"#),
                Err(e) => format!(
                    r#""error":{}"#,
                    error_json(&Error::protocol(format!("cannot print the result: {e}")))
                ),
            }
        }
        Ok(BatchOutput::Turn(t)) => format!(
            r#""result":{}"#,
            serde_json::json!({
                "model": model,
                "is_complete": t.is_complete,
                "probability": t.probability,
                "cost": cost,
            })
        ),
        Ok(_) => format!(
            r#""error":{}"#,
            error_json(&Error::unsupported(
                "a result of a kind this command cannot print"
            ))
        ),
        Err(e) => format!(r#""error":{}"#, error_json(&e)),
    };
    out.push_str(&format!(r#"{{"index":{index},"id":{id},{body}}}"#));
    out.push('\n');
}

/// Writes a speech result to its file through a temporary file renamed when complete (so a
/// rerun after a crash rewrites it whole).
fn write_audio(path: &Path, audio: &Media) -> Result<()> {
    let mut tmp = TempFile::beside(path).map_err(|e| io_error("write", path, e))?;
    tmp.file
        .write_all(audio.data())
        .map_err(|e| io_error("write", path, e))?;
    tmp.persist(path)
}

fn error_json(e: &Error) -> Value {
    serde_json::json!({
        "kind": e.kind().as_str(),
        "status": e.status(),
        "code": e.code(),
        "message": e.message(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_become_items_of_the_model_kind() {
        let e = parse_line(
            ModelKind::Chat,
            r#"{"id":"q1","prompt":"hi","max_tokens":5}"#,
        )
        .await;
        let item = e.item.unwrap();
        assert_eq!(e.id, Value::from("q1"));
        assert_eq!(item.external_reference.as_deref(), Some("q1"));
        let e = parse_line(ModelKind::Embedding, r#"{"id":7,"text":"a cat"}"#).await;
        assert_eq!(e.item.unwrap().external_reference.as_deref(), Some("7"));
        let e = parse_line(ModelKind::Translation, r#"{"text":"Hello","to":"fr"}"#).await;
        assert!(e.item.is_ok());
        let e = parse_line(ModelKind::Chat, r#"{"promt":"typo"}"#).await;
        assert_eq!(e.item.unwrap_err().kind(), ErrorKind::InvalidRequest);
        let e = parse_line(ModelKind::Chat, "not json").await;
        assert!(e.item.is_err());
        let e = parse_line(
            ModelKind::TextToSpeech,
            r#"{"text":"Hi","voice":"luna","out":"hi.mp3"}"#,
        )
        .await;
        assert_eq!(e.out.as_deref(), Some(Path::new("hi.mp3")));
        assert!(e.item.is_ok());
        let e = parse_line(ModelKind::TextToSpeech, r#"{"text":"Hi"}"#).await;
        assert!(e.item.is_err(), "`out` is required");
        let e = parse_line(ModelKind::TurnDetection, r#"{"audio":"/nonexistent.wav"}"#).await;
        assert_eq!(e.item.unwrap_err().kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn output_lines_have_the_documented_shape() {
        let mut s = String::new();
        let entry = |id: Value| Entry {
            id,
            item: Err(Error::invalid_request("unused")),
            out: None,
        };
        push_line(
            &mut s,
            3,
            &entry(Value::from("q3")),
            "m",
            Ok(BatchOutput::Translation(genai_core::Translation::new(
                "Bonjour",
            ))),
            Some(Cost::from_neurons(2.0, genai_core::CostSource::Estimated)),
        );
        push_line(
            &mut s,
            4,
            &entry(Value::Null),
            "m",
            Err(Error::invalid_request("bad")),
            None,
        );
        // Speech goes to the line's file; the line says where, like `genai speak`.
        let dir = std::env::temp_dir().join(format!("genai-batch-speech-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hello.mp3");
        let speak = Entry {
            out: Some(path.clone()),
            ..entry(Value::from("s"))
        };
        let mp3 = Media::with_type("audio/mpeg", b"ID3\x04\0\0\0\0\0\0".to_vec());
        push_line(
            &mut s,
            5,
            &speak,
            "m",
            Ok(BatchOutput::Speech(mp3.clone())),
            None,
        );
        push_line(
            &mut s,
            6,
            &entry(Value::Null),
            "m",
            Ok(BatchOutput::Speech(mp3)),
            None,
        );
        push_line(
            &mut s,
            7,
            &entry(Value::Null),
            "m",
            Ok(BatchOutput::Turn(genai_core::TurnDetection::new(
                true, 0.75,
            ))),
            None,
        );
        let lines: Vec<Value> = s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["index"], 3);
        assert_eq!(lines[0]["result"]["text"], "Bonjour");
        assert_eq!(lines[0]["result"]["cost"]["neurons"], 2.0);
        assert_eq!(lines[0]["result"]["cost"]["source"], "estimated");
        assert_eq!(lines[1]["error"]["kind"], "invalid_request");
        assert!(lines[1]["id"].is_null());
        assert_eq!(lines[2]["result"]["path"], path.display().to_string());
        assert_eq!(lines[2]["result"]["media_type"], "audio/mpeg");
        assert_eq!(std::fs::read(&path).unwrap().len(), 10);
        assert_eq!(lines[3]["error"]["kind"], "invalid_request", "no `out`");
        assert_eq!(lines[4]["result"]["is_complete"], true);
        assert_eq!(lines[4]["result"]["probability"], 0.75);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
