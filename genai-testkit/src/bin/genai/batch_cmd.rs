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
use std::time::Duration;

use clap::Args;
use genai_core::{
    BatchItem, BatchJob, BatchModel, BatchOutput, ChatRequest, Cost, CostTotal, EmbedRequest,
    Error, ErrorKind, Media, Message, ModelKind, PollPolicy, Pooling, Result, SpeechRequest,
    TranslateRequest, TurnRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ProviderArgs;

/// `genai batch` options.
#[derive(Args, Debug)]
pub(crate) struct BatchArgs {
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    /// Requests, one JSON object per line, in the shape of the matching command's options
    /// (chat: {"prompt"} or {"messages","max_tokens",...}; embed: {"text"}; translate:
    /// {"text","to","from"}), each optionally with "id".
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
    crate::audio_cmd::read_audio(path, Some(genai_cloudflare::MAX_AUDIO_BYTES))
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
    Error::config(format!("cannot {what} {}: {e}", path.display()))
}

/// Replaces the state file atomically: temp file, fsync, rename, directory fsync.
fn save(path: &Path, state: &State) -> Result<()> {
    let text = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::config(format!("cannot encode the state: {e}")))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(|e| io_error("write", &tmp, e))?;
    f.write_all(&text).map_err(|e| io_error("write", &tmp, e))?;
    f.sync_all().map_err(|e| io_error("sync", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))?;
    let _ = sync_dir(path);
    Ok(())
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
    let model = genai_core::ProviderGen::model(&client).to_owned();
    let batch = client
        .provider()
        .batch(&model)?
        .max_items(args.chunk_size.max(1))
        .poll_policy(
            PollPolicy::default()
                .initial(Duration::from_millis(250))
                .max(Duration::from_secs(5)),
        );
    let kind = batch.capabilities().kind;
    let raw = std::fs::read(&args.input).map_err(|e| {
        Error::invalid_request(format!("cannot read {}: {e}", args.input.display()))
    })?;
    let mut entries = Vec::new();
    for (n, line) in BufReader::new(raw.as_slice()).lines().enumerate() {
        let line = line.map_err(|e| {
            Error::invalid_request(format!("{} line {}: {e}", args.input.display(), n + 1))
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let mut entry = parse_line(kind, &line).await;
        // Each request is checked alone, so one bad line is one error line, not a failed run.
        if let Ok(item) = &entry.item {
            if let Err(e) = batch.plan(std::slice::from_ref(item)) {
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
    let state_path = args.state.clone().unwrap_or_else(|| {
        let mut p = args.out.as_os_str().to_owned();
        p.push(".state");
        PathBuf::from(p)
    });
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
    let mut state = match std::fs::read(&state_path) {
        Ok(bytes) => {
            let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                Error::config(format!(
                    "the state file {} is not readable ({e}); remove it to start over",
                    state_path.display()
                ))
            })?;
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
                    "the state file {} belongs to another input or model (or a file the input names \
                 changed since); remove it to start over",
                    state_path.display()
                )));
            }
            progress(format!(
                "resuming from {}: {}/{} results already written",
                state_path.display(),
                state.written,
                state.inputs
            ));
            state
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
            File::create(&args.out).map_err(|e| io_error("create", &args.out, e))?;
            save(&state_path, &state)?;
            progress(format!(
                "{} requests ({} valid) in {} submissions",
                entries.len(),
                items.len(),
                state.chunks.len()
            ));
            state
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
            "{} is shorter than {} records; remove the state file to start over",
            args.out.display(),
            state_path.display()
        )));
    }
    out.set_len(state.out_bytes)
        .map_err(|e| io_error("truncate", &args.out, e))?;
    drop(out);

    // Submit every chunk not yet submitted, until the run's budget (if any) is spent.
    let total = state.chunks.len();
    let mut over_budget = None;
    for k in 0..total {
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
    for k in 0..total {
        let chunk = state.chunks[k].clone();
        if chunk.state == ChunkState::Written {
            continue;
        }
        if over_budget.is_some() && chunk.state == ChunkState::Planned {
            break;
        }
        let Some(request_id) = chunk.request_id.clone() else {
            return Err(Error::config(
                "the state file has a submitted chunk without an id",
            ));
        };
        let job = BatchJob::new(request_id, &model, chunk.start, chunk.end - chunk.start);
        let results = batch.results(&job, &items[chunk.start..chunk.end]).await?;
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
    if args.provider.format == super::Format::Json {
        super::emit_line(
            &serde_json::json!({
                "model": model,
                "out": args.out.display().to_string(),
                "lines": state.written,
                "errors": failed,
                "submissions": state.chunks.len(),
                "cost": cost.known,
                "cost_unknown": cost.unknown,
            })
            .to_string(),
        );
    }
    Ok(())
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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".to_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let written = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(audio.data())?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| io_error("write", path, e));
    if written.is_ok() {
        let _ = sync_dir(path);
    }
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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
