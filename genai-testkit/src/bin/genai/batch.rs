//! `genai batch`: many requests of one model through the async batch queue, resumable.
//!
//! The lines (the JSONL input and output) and the resumable state machine (a state file
//! replaced whole before and after every step, so a run killed at any moment, `kill -9`
//! included, resumes without submitting a chunk twice or writing a result twice) are
//! genai-core's [`BatchLine`] and [`ResumableBatch`]. This command adds the flags, the files
//! (checked not to collide, the output cut back to what the state records and appended chunk
//! by chunk, flushed to disk), the locks that keep two runs apart, and the progress lines.
//! Results are held one chunk at a time (`--chunk-size` requests at most), never the whole
//! run.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::ProviderArgs;
use crate::fallback::{note_attempts, FallbackArgs, ServedFields};
use crate::input;
use clap::Args;
use genai_core::{
    replace_file, BatchEvent, BatchFingerprint, BatchItem, BatchJob, BatchLine, BatchModel,
    BatchOutput, BatchStatus, BatchTally, ChunkState, Cost, CostTotal, Error, ErrorKind, Media,
    PollPolicy, Result, ResumableBatch,
};

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

/// A turn line's audio, read now with the checks of `genai transcribe` (missing, empty, over
/// the speech models' size limit before it is read, or not audio).
async fn read_turn_audio(path: PathBuf) -> Result<Media> {
    crate::transcription::read_audio(&path, Some(genai_cloudflare::MAX_AUDIO_BYTES))
        .await?
        .load()
        .await
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

fn progress(msg: impl AsRef<str>) {
    eprintln!("batch: {}", msg.as_ref());
}

/// The progress line of a step of the submissions.
fn report(event: BatchEvent) {
    match event {
        BatchEvent::Resubmitting { chunk, of } => progress(format!(
            "submission {}/{of} was interrupted before its id was recorded; submitting \
                 it again (the earlier one, if it reached the service, is not read)",
            chunk + 1
        )),
        BatchEvent::Submitted {
            chunk,
            of,
            requests,
            request_id,
        } => progress(format!(
            "submitted {}/{of} ({requests} requests, id {request_id})",
            chunk + 1
        )),
        BatchEvent::BudgetSpent { chunk, of } => progress(format!(
            "budget spent: submission {}/{of} and those after it were not sent",
            chunk + 1
        )),
        _ => {}
    }
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
    let mut chain = Chain::make(&client.provider(), &first, &args.fallback, |b| {
        b.max_items(args.chunk_size.max(1)).poll_policy(policy)
    })?;
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
            Ok(line) => BatchLine::parse(kind, line, read_turn_audio).await,
            Err(e) => BatchLine::invalid(Error::invalid_request(format!(
                "{shown_input} line {} is not UTF-8 text (invalid byte at offset {})",
                n + 1,
                e.valid_up_to()
            ))),
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
    let start_over = format!(
        "run again with --restart (or remove {}) to start over",
        state_path.display()
    );
    let with_start_over = |e: Error| {
        if e.kind() == ErrorKind::Config {
            Error::config(format!("{}; {start_over}", e.message()))
        } else {
            e
        }
    };
    let loaded = ResumableBatch::load(&state_path).map_err(with_start_over)?;
    // A run stays with the model that took it, when that is one of this run's models.
    if let Some(taken) = loaded
        .as_ref()
        .and_then(|r| chain.resume_with(&r.state().model))
    {
        (model, batch) = taken;
    }
    let fingerprint = BatchFingerprint::new(&model, &raw, entries.len(), &items, &index_of)?;
    drop(raw);
    let (mut run, _out_lock) = match loaded {
        Some(run) => {
            if !run.state().resumes(&fingerprint, items.len()) {
                return Err(Error::config(format!(
                    "the state file {} belongs to another input or model (or a file the input \
                     names changed since); {start_over}",
                    state_path.display()
                )));
            }
            progress(format!(
                "resuming from {}: {}/{} results already written",
                state_path.display(),
                run.state().written,
                run.state().inputs
            ));
            let out_lock = lock_output(&args.out, false)?;
            (run, out_lock)
        }
        None => {
            // The state first: a state file that cannot be written leaves no output behind.
            let run = ResumableBatch::create(&state_path, &fingerprint, batch.plan(&items)?)?;
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
                run.state().chunks.len()
            ));
            (run, out_lock)
        }
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
    if len < run.state().out_bytes {
        return Err(Error::config(format!(
            "{} is shorter than {} records; {start_over}",
            args.out.display(),
            state_path.display()
        )));
    }
    out.set_len(run.state().out_bytes)
        .map_err(|e| io_error("truncate", &args.out, e))?;
    drop(out);

    // Submit every chunk not yet submitted, until the run's budget (if any) is spent. Before
    // anything is queued, a model that may not serve gives way to the next (the plan is made
    // again for it); once a submission is queued, the run keeps its model.
    let over_budget = loop {
        match run.submit(&batch, &items, report).await {
            Ok(over_budget) => break over_budget,
            Err(e)
                if genai_core::falls_over(&e) && run.nothing_queued() && chain.can_fall_over() =>
            {
                let failed = model.clone();
                (model, batch) = chain.fall_over(&failed, e)?;
                progress(format!(
                    "{failed} could not take the run ({}); trying {model}",
                    chain.last_failure()
                ));
                run.replan(&model, batch.plan(&items)?)?;
            }
            Err(e) => return Err(e),
        }
    };
    let total = run.state().chunks.len();

    // Collect in order and append (up to the first submission the budget stopped).
    let waiting = Waiting {
        policy,
        deadline: Instant::now() + policy.timeout,
        total,
        start_over: &start_over,
    };
    for k in 0..total {
        if run.state().chunks[k].state == ChunkState::Written {
            continue;
        }
        // Only the chunks the budget stopped are still planned.
        let Some(job) = run.job(k).map_err(with_start_over)? else {
            break;
        };
        let range = job.range();
        let results = waiting
            .results(&batch, &job, &items[range.clone()], k)
            .await?;
        let last = index_of[range.end - 1];
        let mut by_index = results
            .into_iter()
            .map(|r| (index_of[r.index], (r.outcome, r.cost)));
        let mut next = by_index.next();
        let mut lines = String::new();
        for (i, entry) in entries
            .iter()
            .enumerate()
            .take(last + 1)
            .skip(run.state().written)
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
        let out_bytes = append(&args.out, &lines)?;
        run.chunk_written(k, last + 1, out_bytes)?;
        progress(format!(
            "{}/{} results written ({}/{total} submissions done)",
            run.state().written,
            run.state().inputs,
            k + 1
        ));
    }
    if let Some(e) = over_budget {
        let (failed, cost) = tally(&args.out)?;
        progress(format!(
            "stopped by the budget: {} of {} lines in {} ({failed} errors, {})",
            run.state().written,
            entries.len(),
            args.out.display(),
            describe_cost(&cost)
        ));
        return Err(e);
    }
    // Invalid lines after the last request.
    if run.state().written < entries.len() {
        let mut lines = String::new();
        for (i, entry) in entries.iter().enumerate().skip(run.state().written) {
            let e = match &entry.item {
                Err(e) => clone_error(e),
                Ok(_) => Error::protocol("no result for this request"),
            };
            push_line(&mut lines, i, entry, &model, Err(e), None);
        }
        let out_bytes = append(&args.out, &lines)?;
        run.lines_written(entries.len(), out_bytes)?;
    }
    let (failed, cost) = tally(&args.out)?;
    progress(format!(
        "done: {} lines in {} ({failed} errors, {})",
        run.state().written,
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
            "lines": run.state().written,
            "errors": failed,
            "submissions": run.state().chunks.len(),
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
        setup: impl Fn(genai_cloudflare::CloudflareBatch) -> genai_cloudflare::CloudflareBatch,
    ) -> Result<Chain> {
        let provider = genai_core::Provider::name(workers).to_owned();
        let mut members = Vec::new();
        for id in std::iter::once(first).chain(fallback.models.iter().map(String::as_str)) {
            // A retired model is refused as retired by the provider (unless capability
            // checks are off), an attempt the chain may pass.
            match workers.batch(id).map(&setup) {
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
    fn check_kinds(&self, kind: genai_core::ModelKind) -> Result<()> {
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

/// The error lines of the output, and the total cost of its results.
fn tally(path: &Path) -> Result<(usize, CostTotal)> {
    let f = File::open(path).map_err(|e| io_error("read", path, e))?;
    let tally = BatchTally::read(BufReader::new(f)).map_err(|e| io_error("read", path, e))?;
    Ok((tally.errors, tally.cost))
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
    entry: &BatchLine,
    model: &str,
    outcome: Result<BatchOutput>,
    cost: Option<Cost>,
) {
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
    let result = outcome.and_then(|output| match output {
        BatchOutput::Chat(reply) => Ok(super::reply_json(model, &reply, false)),
        BatchOutput::Embeddings(e) => Ok(serde_json::json!({
            "model": model,
            "dimensions": e.dimensions,
            "embeddings": e.embeddings,
            "usage": e.usage,
            "cost": cost,
        })
        .to_string()),
        BatchOutput::Translation(t) => {
            Ok(serde_json::json!({"model": model, "text": t.text, "cost": cost}).to_string())
        }
        BatchOutput::Speech(audio) => {
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
            serde_json::to_string(&line)
                .map_err(|e| Error::protocol(format!("cannot print the result: {e}")))
        }
        BatchOutput::Turn(t) => Ok(serde_json::json!({
            "model": model,
            "is_complete": t.is_complete,
            "probability": t.probability,
            "cost": cost,
        })
        .to_string()),
        _ => Err(Error::unsupported(
            "a result of a kind this command cannot print",
        )),
    });
    match result {
        Ok(result) => BatchLine::write_result(out, index, &entry.id, &result),
        Err(e) => BatchLine::write_error(out, index, &entry.id, &e),
    }
}

/// Writes a speech result to its file through a temporary file renamed when complete (so a
/// rerun after a crash rewrites it whole).
fn write_audio(path: &Path, audio: &Media) -> Result<()> {
    replace_file(path, audio.data())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn output_lines_have_the_documented_shape() {
        let mut s = String::new();
        let entry = |id: Value| {
            let mut line = BatchLine::invalid(Error::invalid_request("unused"));
            line.id = id;
            line
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
        let mut speak = entry(Value::from("s"));
        speak.out = Some(path.clone());
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
