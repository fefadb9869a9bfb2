//! The resumable state of a batch run, kept in a file: how a run survives being killed at any
//! moment (`kill -9` included) without submitting a chunk twice or writing a result twice.
//!
//! - The requests are planned once into chunks (consecutive ranges of requests, each one
//!   submission under the payload limit); the plan goes into the state file with a
//!   [fingerprint](BatchFingerprint) of the input and the model, so a rerun uses the same plan
//!   or refuses.
//! - The state file is only ever replaced whole ([`replace_file`]): written to a temporary
//!   file, flushed to disk, renamed over the old one, and the directory synced. A reader sees
//!   the old state or the new one, never a mix.
//! - Before a chunk is sent, the state marks it [`Submitting`](ChunkState::Submitting); once
//!   the queue answers, it records its `request_id` ([`Submitted`](ChunkState::Submitted)). A
//!   chunk recorded submitted is never sent again: a rerun only polls it.
//! - A queue without an idempotency key leaves one window no client can close: the process
//!   dying after the request left and before the reply was recorded. A rerun finds that chunk
//!   still submitting, says so ([`BatchEvent::Resubmitting`]) and submits it again; results
//!   come only from the job whose id is recorded, so each result is still written once. (A
//!   definite refusal, like a 4xx or a 429, puts the chunk back to
//!   [`Planned`](ChunkState::Planned).)
//! - Output lines are appended in input order, chunk after chunk. After a chunk's lines are
//!   written and flushed, the state records the output's length and marks the chunk
//!   [`Written`](ChunkState::Written). A rerun first cuts the output back to the recorded
//!   length and polls the interrupted chunk again: the queue keeps the results of a finished
//!   job.

use std::fs::File;
use std::hash::Hasher;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use fnv::FnvHasher;
use serde::{Deserialize, Serialize};

use super::{BatchItem, BatchJob, BatchModel};
use crate::error::{Error, ErrorKind, Result};

/// Where a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkState {
    /// Not sent yet (or refused, so nothing was queued).
    Planned,
    /// Being sent: the request may have reached the queue, its id is not known.
    Submitting,
    /// Queued, with its id recorded.
    Submitted,
    /// Its results are in the output.
    Written,
}

/// One submission of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchChunk {
    /// The position of its first request in the list of valid requests.
    pub start: usize,
    /// The position after its last request.
    pub end: usize,
    /// Where it is.
    pub state: ChunkState,
    /// The queue's id of the job, once submitted.
    #[serde(default)]
    pub request_id: Option<String>,
    /// How many times it was sent.
    #[serde(default)]
    pub attempts: u32,
}

/// What a state file belongs to: the model, the input bytes, the number of input lines, and
/// the valid requests with their line positions (which change when a file a line names
/// changes, even if the input does not).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchFingerprint {
    /// The model id.
    pub model: String,
    /// The input's length in bytes.
    pub input_len: u64,
    /// The input's FNV-1a hash, 16 hex digits.
    pub input_hash: String,
    /// The input's lines (valid or not, blank ones left out).
    pub inputs: usize,
    /// The FNV-1a hash of the valid requests and their line positions.
    pub requests_hash: String,
}

/// A 64-bit FNV-1a hash as 16 hex digits, fed as an `io::Write`.
struct Fnv(FnvHasher);

impl Fnv {
    fn new() -> Self {
        Fnv(FnvHasher::default())
    }

    fn update(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    fn hex(&self) -> String {
        format!("{:016x}", self.0.finish())
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

impl BatchFingerprint {
    /// The fingerprint of a run of `model` over `input` (its raw bytes), which holds `inputs`
    /// lines; `items` are its valid requests and `lines` the input line of each.
    pub fn new(
        model: &str,
        input: &[u8],
        inputs: usize,
        items: &[BatchItem],
        lines: &[usize],
    ) -> Result<BatchFingerprint> {
        let mut hash = Fnv::new();
        hash.update(input);
        let input_hash = hash.hex();
        // Streamed into the hash: the requests (audio included) are never encoded whole.
        let mut hash = Fnv::new();
        serde_json::to_writer(&mut hash, items)
            .map_err(|e| Error::config(format!("cannot fingerprint the requests: {e}")))?;
        for i in lines {
            hash.update(&(*i as u64).to_le_bytes());
        }
        Ok(BatchFingerprint {
            model: model.to_owned(),
            input_len: input.len() as u64,
            input_hash,
            inputs,
            requests_hash: hash.hex(),
        })
    }
}

/// What the state file holds (JSON): the fingerprint, the plan and how far the run got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchState {
    /// The file format's version (1).
    pub version: u32,
    /// The model id.
    pub model: String,
    /// The input's length in bytes.
    pub input_len: u64,
    /// The input's hash.
    pub input_hash: String,
    /// The input's lines.
    pub inputs: usize,
    /// The hash of the valid requests and their lines.
    #[serde(default)]
    pub requests_hash: String,
    /// The plan.
    pub chunks: Vec<BatchChunk>,
    /// Output lines written (a prefix of the inputs).
    pub written: usize,
    /// The output file's length after them.
    pub out_bytes: u64,
}

impl BatchState {
    /// Whether this state belongs to a run with this fingerprint over `requests` valid
    /// requests (and its plan fits them).
    pub fn resumes(&self, fingerprint: &BatchFingerprint, requests: usize) -> bool {
        self.model == fingerprint.model
            && self.input_hash == fingerprint.input_hash
            && self.input_len == fingerprint.input_len
            && self.inputs == fingerprint.inputs
            && self.requests_hash == fingerprint.requests_hash
            && self
                .chunks
                .iter()
                .all(|c| c.start <= c.end && c.end <= requests)
    }
}

/// What happened while [`ResumableBatch::submit`] sent the chunks, for progress lines.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchEvent {
    /// Chunk `chunk` (0-based) of `of` was being sent when an earlier run stopped, before its
    /// id was recorded: it is sent again (the earlier job, if it was queued, is not read).
    Resubmitting {
        /// The chunk's position in the plan.
        chunk: usize,
        /// How many chunks the plan has.
        of: usize,
    },
    /// Chunk `chunk` of `of` was queued.
    Submitted {
        /// The chunk's position in the plan.
        chunk: usize,
        /// How many chunks the plan has.
        of: usize,
        /// How many requests it holds.
        requests: usize,
        /// The queue's id of its job.
        request_id: String,
    },
    /// The budget stopped the run before chunk `chunk` of `of`: it and those after it were
    /// not sent.
    BudgetSpent {
        /// The chunk's position in the plan.
        chunk: usize,
        /// How many chunks the plan has.
        of: usize,
    },
}

/// A batch run whose every step is recorded in a state file before and after it happens, so
/// that a run killed at any moment can be resumed by another process (see the [module
/// docs](self)).
///
/// A program that runs a batch over a list of items and writes each result once:
///
/// ```no_run
/// use std::path::Path;
/// use genai_core::{BatchFingerprint, BatchItem, BatchModel, ResumableBatch};
///
/// async fn run(batch: &dyn BatchModel, input: &[u8], items: &[BatchItem]) -> genai_core::Result<()> {
///     let state = Path::new("run.state");
///     // Every item is valid here: item i is input line i.
///     let lines: Vec<usize> = (0..items.len()).collect();
///     let fingerprint = BatchFingerprint::new(batch.model(), input, items.len(), items, &lines)?;
///     let mut run = match ResumableBatch::load(state)? {
///         Some(run) if run.state().resumes(&fingerprint, items.len()) => run,
///         Some(_) => return Err(genai_core::Error::config("the state file belongs to another run")),
///         None => ResumableBatch::create(state, &fingerprint, batch.plan(items)?)?,
///     };
///     if let Some(budget) = run.submit(batch, items, |event| eprintln!("{event:?}")).await? {
///         return Err(budget);
///     }
///     for k in 0..run.state().chunks.len() {
///         let Some(job) = run.job(k)? else { continue }; // already written
///         for result in batch.results(&job, &items[job.range()]).await? {
///             println!("{}: {:?}", result.index, result.outcome.map(|o| format!("{o:?}")));
///         }
///         // Recorded once the results are safely stored (here: printed).
///         let end = job.range().end;
///         run.chunk_written(k, end, 0)?;
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ResumableBatch {
    path: PathBuf,
    state: BatchState,
}

/// The chunks of a new plan, none sent.
fn chunks_of(plan: Vec<Range<usize>>) -> Vec<BatchChunk> {
    plan.into_iter()
        .map(|r| BatchChunk {
            start: r.start,
            end: r.end,
            state: ChunkState::Planned,
            request_id: None,
            attempts: 0,
        })
        .collect()
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

impl ResumableBatch {
    /// The run recorded in the state file at `path`; `None` when there is no such file. A file
    /// that is not a state is a [`Config`](ErrorKind::Config) error.
    pub fn load(path: &Path) -> Result<Option<ResumableBatch>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", path, e)),
        };
        let state: BatchState = serde_json::from_slice(&bytes).map_err(|e| {
            Error::config(format!(
                "the state file {} is not readable ({e})",
                path.display()
            ))
        })?;
        Ok(Some(ResumableBatch {
            path: path.to_owned(),
            state,
        }))
    }

    /// A new run of `plan` (the ranges [`BatchModel::plan`] gives), recorded at `path` before
    /// it returns.
    pub fn create(
        path: &Path,
        fingerprint: &BatchFingerprint,
        plan: Vec<Range<usize>>,
    ) -> Result<ResumableBatch> {
        let state = BatchState {
            version: 1,
            model: fingerprint.model.clone(),
            input_len: fingerprint.input_len,
            input_hash: fingerprint.input_hash.clone(),
            inputs: fingerprint.inputs,
            requests_hash: fingerprint.requests_hash.clone(),
            chunks: chunks_of(plan),
            written: 0,
            out_bytes: 0,
        };
        let run = ResumableBatch {
            path: path.to_owned(),
            state,
        };
        run.save()?;
        Ok(run)
    }

    /// The recorded state.
    pub fn state(&self) -> &BatchState {
        &self.state
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn save(&self) -> Result<()> {
        let text = serde_json::to_vec_pretty(&self.state)
            .map_err(|e| Error::config(format!("cannot encode the state: {e}")))?;
        replace_file(&self.path, &text)
    }

    /// Sends every chunk not yet submitted, in order, recording each step; `on` hears of
    /// each. Stops at the first chunk the budget refuses and returns that error (`Some`): what
    /// was sent before it stays recorded, and a later run resumes there. Any other failure
    /// is returned as the error; a refusal (nothing was queued) puts the chunk back to
    /// planned first.
    pub async fn submit<B: BatchModel + ?Sized>(
        &mut self,
        batch: &B,
        items: &[BatchItem],
        mut on: impl FnMut(BatchEvent),
    ) -> Result<Option<Error>> {
        let of = self.state.chunks.len();
        for k in 0..of {
            let chunk = self.state.chunks[k].clone();
            if !matches!(chunk.state, ChunkState::Planned | ChunkState::Submitting) {
                continue;
            }
            if chunk.state == ChunkState::Submitting {
                on(BatchEvent::Resubmitting { chunk: k, of });
            }
            self.state.chunks[k].state = ChunkState::Submitting;
            self.state.chunks[k].attempts += 1;
            self.save()?;
            let range = chunk.start..chunk.end;
            let Some(requests) = items.get(range.clone()) else {
                return Err(Error::config(format!(
                    "the state file {} plans requests {}..{} of {}",
                    self.path.display(),
                    range.start,
                    range.end,
                    items.len()
                )));
            };
            match batch.submit(requests, chunk.start).await {
                Ok(job) => {
                    self.state.chunks[k].state = ChunkState::Submitted;
                    self.state.chunks[k].request_id = Some(job.request_id.clone());
                    self.save()?;
                    on(BatchEvent::Submitted {
                        chunk: k,
                        of,
                        requests: range.len(),
                        request_id: job.request_id,
                    });
                }
                Err(e) if e.kind() == ErrorKind::Budget => {
                    // Nothing was sent.
                    self.state.chunks[k].state = ChunkState::Planned;
                    self.save()?;
                    on(BatchEvent::BudgetSpent { chunk: k, of });
                    return Ok(Some(e));
                }
                Err(e) => {
                    // A refusal means nothing was queued; anything else may have been.
                    let refused = e.status().is_some_and(|s| (400..500).contains(&s))
                        || e.kind() == ErrorKind::InvalidRequest
                        || e.kind() == ErrorKind::Unsupported;
                    if refused {
                        self.state.chunks[k].state = ChunkState::Planned;
                        self.save()?;
                    }
                    return Err(e);
                }
            }
        }
        Ok(None)
    }

    /// Whether no chunk was queued yet (none has a job id): the run may still move to
    /// another model.
    pub fn nothing_queued(&self) -> bool {
        self.state.chunks.iter().all(|c| c.request_id.is_none())
    }

    /// Moves a run none of whose chunks was queued to `model` and its `plan` (a fallback
    /// model taking the run before its first submission), recorded. Once a chunk is queued
    /// the run keeps its model: that is an [`InvalidRequest`](ErrorKind::InvalidRequest).
    pub fn replan(&mut self, model: &str, plan: Vec<Range<usize>>) -> Result<()> {
        if !self.nothing_queued() {
            return Err(Error::invalid_request(format!(
                "the run recorded in {} has queued submissions on {}: it keeps that model",
                self.path.display(),
                self.state.model
            )));
        }
        self.state.model = model.to_owned();
        self.state.chunks = chunks_of(plan);
        self.save()
    }

    /// The job of chunk `k` to collect: `None` when its results are written or it was never
    /// sent; a submitted chunk without an id is a [`Config`](ErrorKind::Config) error.
    pub fn job(&self, k: usize) -> Result<Option<BatchJob>> {
        let Some(chunk) = self.state.chunks.get(k) else {
            return Ok(None);
        };
        match chunk.state {
            ChunkState::Written | ChunkState::Planned => Ok(None),
            ChunkState::Submitting | ChunkState::Submitted => match &chunk.request_id {
                Some(id) => Ok(Some(BatchJob::new(
                    id.clone(),
                    self.state.model.clone(),
                    chunk.start,
                    chunk.end - chunk.start,
                ))),
                None => Err(Error::config(
                    "the state file has a submitted chunk without an id",
                )),
            },
        }
    }

    /// Records that the results of chunk `k` are written: `written` output lines in all, the
    /// output now `out_bytes` long.
    pub fn chunk_written(&mut self, k: usize, written: usize, out_bytes: u64) -> Result<()> {
        if let Some(chunk) = self.state.chunks.get_mut(k) {
            chunk.state = ChunkState::Written;
        }
        self.lines_written(written, out_bytes)
    }

    /// Records that `written` output lines are written (lines without a request, after the
    /// last chunk), the output now `out_bytes` long.
    pub fn lines_written(&mut self, written: usize, out_bytes: u64) -> Result<()> {
        self.state.written = written;
        self.state.out_bytes = out_bytes;
        self.save()
    }
}

/// Replaces the file at `path` with `bytes` atomically: a new temporary file beside it with a
/// name no one can predict (created exclusively, so a planted file or symlink is never
/// followed), flushed to disk, renamed over `path`, and the folder synced. A reader sees the
/// old content or the new one, never a mix; a failure leaves the old one.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let (tmp, mut file) = crate::media_reply::create_temp_beside(path, "tmp")
        .map_err(|e| io_error("write", path, e))?;
    let written = file
        .write_all(bytes)
        .map_err(|e| io_error("write", &tmp, e))
        .and_then(|()| file.sync_all().map_err(|e| io_error("sync", &tmp, e)))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
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

#[cfg(test)]
mod tests;
