//! `genai scoreboard`.
//!
//! The run itself (catalog, plan, scenarios, jobs, health) is the testkit's
//! [`run_scoreboard`]; this command only picks where the requests go (the built-in emulator,
//! a replay of recordings, or the live service, optionally recorded), draws progress, writes
//! `--out` as models finish, and prints the table (and `--compare`).

use std::collections::HashSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use clap::Args;
use genai_cloudflare::{CloudflareBuilder, DEFAULT_BASE_URL};
use genai_core::{Error, ErrorKind, Mode, Result};
use genai_testkit::cassette::{find_cassettes, Cassette};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
use genai_testkit::replay::{MatchMode, RecordingProxy, ReplayServer};
use genai_testkit::scenarios::SuiteConfig;
use genai_testkit::scoreboard::{
    board_json, compare, evidence, medals, parse_table, render_comparison, render_json,
    render_markdown, run_scoreboard, seed_models, CellChange, Change, Pick, RunObserver,
    RunOptions, Scenario, Scoreboard, TableRow, COLUMNS,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Format;

/// Models scored at the same time when `--jobs` is not given.
const DEFAULT_JOBS: u64 = 4;

/// An account id for the emulator and replays (any 32 hex characters work there).
const OFFLINE_ACCOUNT: &str = "00000000000000000000000000000000";

/// Flags of `genai scoreboard`.
#[derive(Args, Debug)]
pub(crate) struct ScoreboardArgs {
    /// Model to score (repeatable) [default: every seed model, then every other chat model of
    /// the provider's catalog].
    #[arg(long = "model", value_name = "ID")]
    models: Vec<String>,
    /// Runs of each scenario; all passing is supported, some is flaky.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Also write the table to FILE, rewritten as each model finishes (checked before any call).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format: `text` is the Markdown table.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    json: bool,
    /// Run against the built-in emulator even when credentials are set.
    #[arg(long, conflicts_with_all = ["record", "replay"])]
    emulator: bool,
    /// Record one cassette per model, mode and scenario into DIR (live runs only; one model at
    /// a time).
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    record: Option<PathBuf>,
    /// Replay the recordings of DIR instead of calling a service: chat scenarios are answered
    /// with the recordings named after them (`<model>/GenSync-Text.json`...) [default models:
    /// the recorded ones].
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,
    /// Compare the table with another in the same format (e.g. the reference scoreboard) and
    /// print each differing cell, better, worse or different.
    #[arg(long, value_name = "FILE")]
    compare: Option<PathBuf>,
    /// API root for live runs (env CLOUDFLARE_API_BASE_URL).
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL")]
    base_url: Option<String>,
    /// Overall deadline of one call, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Models scored at the same time [default: 4].
    #[arg(long, value_name = "N", conflicts_with = "record",
          value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: Option<u64>,
}

impl ScoreboardArgs {
    /// The output format (`--json` is `--format json`).
    pub(crate) fn output_format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

fn has_credentials() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    set("CLOUDFLARE_ACCOUNT_ID") && (set("CLOUDFLARE_API_TOKEN") || set("CLOUDFLARE_API_KEY"))
}

/// Where the scenarios send their requests; kept alive for the whole run.
enum Target {
    Emulator(Emulator),
    Replay(Replay),
    Live(Option<RecordingProxy>),
}

/// A replay of a directory of recordings.
struct Replay {
    server: ReplayServer,
    /// `(model, "task" | "batch")` for the models whose own task or batch queue was recorded.
    extra: HashSet<(String, String)>,
}

impl Target {
    fn base_url(&self, configured: Option<&String>) -> Option<String> {
        match self {
            Target::Emulator(e) => Some(e.base_url()),
            Target::Replay(r) => Some(r.server.base_url()),
            Target::Live(Some(p)) => Some(p.base_url()),
            Target::Live(None) => configured.cloned(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fails early when `path` cannot be written, without touching an existing file's content.
/// Returns whether the check created the file (empty).
fn check_out(path: &Path) -> Result<bool> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map(|_| !existed)
        .map_err(|e| Error::config(format!("cannot write --out {}: {e}", path.display())))
}

/// Replaces `path` with `text` in one step (a reader never sees half a table).
fn write_out(path: &Path, text: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))
}

/// The file name of a chat scenario's recording: `GenSync-<case>` or `GenStream-<case>`.
fn case_name(mode: Mode, case: &str) -> String {
    match mode {
        Mode::Sync => format!("GenSync-{case}"),
        Mode::Stream => format!("GenStream-{case}"),
    }
}

/// Loads the recordings of `dir`: `<model>/GenSync-<case>.json` and `GenStream-...` are served
/// by case name (a `_thinking` suffix on the model's directory is dropped, as the reference's
/// recordings mark reasoning runs that way); every other cassette (the catalog, a model's own
/// task or batch queue) is matched loosely by request.
async fn start_replay(dir: &Path) -> Result<Replay> {
    let files = find_cassettes(dir);
    if files.is_empty() {
        return Err(Error::config(format!(
            "no cassette under {}",
            dir.display()
        )));
    }
    let mut builder = ReplayServer::builder().match_mode(MatchMode::Loose);
    let mut extra = HashSet::new();
    for file in files {
        let cassette = Cassette::load(&file)
            .map_err(|e| Error::config(format!("cannot load {}: {e}", file.display())))?;
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let model = file
            .parent()
            .and_then(|p| p.strip_prefix(dir).ok())
            .map(|p| {
                let p = p.to_string_lossy().replace('\\', "/");
                p.strip_suffix("_thinking").map(str::to_owned).unwrap_or(p)
            })
            .unwrap_or_default();
        if !model.is_empty() && (stem.starts_with("GenSync-") || stem.starts_with("GenStream-")) {
            builder = builder.case(&model, &stem, cassette);
        } else {
            if !model.is_empty() && (stem == "task" || stem == "batch") {
                extra.insert((model, stem));
            }
            builder = builder.cassette(cassette);
        }
    }
    let server = builder
        .start()
        .await
        .map_err(|e| Error::config(format!("cannot start the replay server: {e}")))?;
    Ok(Replay { server, extra })
}

/// Starts where the requests go, and says what it is (the table's header).
async fn start_target(args: &ScoreboardArgs, live: bool) -> Result<(Target, String)> {
    if let Some(dir) = &args.replay {
        let replay = start_replay(dir).await?;
        return Ok((
            Target::Replay(replay),
            format!("replay of {}", dir.display()),
        ));
    }
    if live {
        let base = args
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let proxy = match &args.record {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::config(format!("cannot create --record {}: {e}", dir.display()))
                })?;
                let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").unwrap_or_default();
                let token = std::env::var("CLOUDFLARE_API_TOKEN")
                    .or_else(|_| std::env::var("CLOUDFLARE_API_KEY"))
                    .unwrap_or_default();
                Some(
                    RecordingProxy::start(&base, account.trim(), token.trim())
                        .await
                        .map_err(|e| {
                            Error::config(format!("cannot start the recording proxy: {e}"))
                        })?,
                )
            }
            None => None,
        };
        let source = if base.trim_end_matches('/') == DEFAULT_BASE_URL.trim_end_matches('/') {
            format!("live Cloudflare Workers AI, {base}")
        } else {
            format!("live run against {base}")
        };
        return Ok((Target::Live(proxy), source));
    }
    let emulator = Emulator::start(EmulatorConfig::default())
        .map_err(|e| Error::config(format!("cannot start the emulator: {e}")))?;
    Ok((
        Target::Emulator(emulator),
        "built-in emulator, offline: no Cloudflare credentials used".to_owned(),
    ))
}

fn render(board: &Scoreboard, format: Format) -> Result<String> {
    let picks = medals(board);
    let picks: Vec<(&str, Pick)> = picks.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    match format {
        Format::Json => {
            render_json(board).map_err(|e| Error::protocol(format!("cannot render JSON: {e}")))
        }
        Format::Text => Ok(render_markdown(board, &picks)),
    }
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    // A bar of fixed width, and the message last, cut to what the terminal has left: a long
    // model id neither squeezes the bar to nothing nor wraps the line.
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:24}] {pos}/{len} scenarios, ETA {eta} {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// What the command does at each step of the run: progress, recording, replay selection,
/// `--out`.
struct CliObserver<'a> {
    target: &'a Target,
    record: Option<&'a Path>,
    out: Option<&'a Path>,
    format: Format,
    bar: ProgressBar,
    /// The table of the models finished so far, for an interrupted run.
    last: Mutex<Option<Scoreboard>>,
    /// The first error writing `--out`.
    out_error: Mutex<Option<Error>>,
}

impl CliObserver<'_> {
    /// With `--record`, saves what the proxy recorded since the last cassette as
    /// `DIR/<model>/<name>.json` (nothing when nothing was recorded).
    fn save_cassette(&self, model: &str, name: &str) {
        if let (Target::Live(Some(proxy)), Some(dir)) = (self.target, self.record) {
            let cassette =
                proxy.take_cassette(&format!("genai scoreboard --record: {model} {name}"));
            if !cassette.interactions.is_empty() {
                let path = dir.join(model).join(format!("{name}.json"));
                if let Err(e) = cassette.save(&path) {
                    self.bar.suspend(|| eprintln!("warning: {e}"));
                }
            }
        }
    }

    fn replay(&self) -> Option<&Replay> {
        match self.target {
            Target::Replay(r) => Some(r),
            _ => None,
        }
    }
}

impl RunObserver for CliObserver<'_> {
    fn skip(&self, model: &str, mode: Mode, scenario: Scenario) -> Option<String> {
        let replay = self.replay()?;
        let recorded = match scenario {
            Scenario::Task => replay
                .extra
                .contains(&(model.to_owned(), "task".to_owned())),
            Scenario::AsyncQueue => replay
                .extra
                .contains(&(model.to_owned(), "batch".to_owned())),
            s if s.judged_on_replies() => true,
            s => s
                .cases()
                .iter()
                .any(|case| replay.server.has_case(model, &case_name(mode, case))),
        };
        (!recorded).then(|| "not in the replayed recordings".to_owned())
    }

    fn before_run(&self, model: &str, mode: Mode, scenario: Scenario, run: u32) {
        if let (Some(replay), 0) = (self.replay(), run) {
            let cases: Vec<String> = scenario
                .cases()
                .iter()
                .map(|case| case_name(mode, case))
                .collect();
            replay.server.select(model, &cases);
        }
    }

    fn after_scenario(&self, model: &str, mode: Mode, scenario: Scenario) {
        self.bar.inc(1);
        if let Some(replay) = self.replay() {
            replay.server.select(model, &[]);
        }
        if let Some(case) = scenario.cases().first() {
            self.save_cassette(model, &case_name(mode, case));
        }
    }

    fn catalog_read(&self) {
        // The catalog's own cassette, so a replay of DIR knows the models as the live run did.
        self.save_cassette("", "catalog");
    }

    fn after_model_scenario(&self, model: &str, scenario: Scenario) {
        let name = if scenario == Scenario::AsyncQueue {
            "batch"
        } else {
            "task"
        };
        self.save_cassette(model, name);
    }

    fn planned(&self, chat_models: usize) {
        self.bar
            .set_length((chat_models * 2 * Scenario::ALL.len()) as u64);
    }

    fn model_done(&self, model: &str, board: &Scoreboard, finished: usize, total: usize) {
        if self.bar.is_hidden() {
            eprintln!("scored {model} ({finished}/{total})");
        } else {
            self.bar.set_message(model.to_owned());
        }
        *lock(&self.last) = Some(board.clone());
        if let Some(out) = self.out {
            if let Err(e) = render(board, self.format).and_then(|text| write_out(out, &text)) {
                lock(&self.out_error).get_or_insert(e);
            }
        }
    }
}

pub(crate) async fn run(args: ScoreboardArgs) -> Result<()> {
    let created = match &args.out {
        Some(out) => check_out(out)?,
        None => false,
    };
    let result = score(&args).await;
    if let (Err(_), Some(out), true) = (&result, &args.out, created) {
        // A run that failed before writing anything leaves no empty file behind.
        if std::fs::metadata(out).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(out);
        }
    }
    result
}

/// What the Cloudflare backend does that a harness reading only the service's replies does
/// not, per column: why a cell of ours can be better than another table's.
fn why_better(change: &CellChange) -> Option<String> {
    let why = match change.column.as_str() {
        "Finish" => {
            "Workers AI's native chat replies carry no finish reason; the client infers one for every reply \
             (`tool_calls` when calls came back, `length` when the output reached the token \
             limit, `stop` otherwise)"
        }
        "Tool" => {
            "tool calls a model writes as text (Llama JSON, Hermes `<tool_call>`) are read as \
             calls, in streams too, and numeric arguments sent as strings are accepted"
        }
        "Text" => {
            "stop sequences the service ignores are applied by the client, and a reply cut \
             inside the reasoning still shows the token limit"
        }
        "JSON" => "the reasoning is split from the answer before the JSON is decoded",
        "Usage" => "usage is read from every reply shape, the last chunk of a stream included",
        _ => return None,
    };
    Some(why.to_owned())
}

/// The table, followed by the comparison with `--compare FILE` when given.
fn output(
    board: &Scoreboard,
    format: Format,
    theirs: Option<(&Path, &[TableRow])>,
) -> Result<String> {
    let text = render(board, format)?;
    let Some((path, theirs)) = theirs else {
        return Ok(text);
    };
    let ours = render_markdown(board, &[]);
    let report = compare(theirs, &parse_table(&ours));
    match format {
        Format::Text => Ok(format!(
            "{text}{}",
            render_comparison(&path.display().to_string(), board, &report, &why_better)
        )),
        Format::Json => {
            let mut value = board_json(board)
                .map_err(|e| Error::protocol(format!("cannot render JSON: {e}")))?;
            if let serde_json::Value::Object(map) = &mut value {
                // Each better cell with why, as under `### Notes` of the text form.
                let cells: Vec<serde_json::Value> = report
                    .cells
                    .iter()
                    .map(|c| {
                        let mut cell = serde_json::json!(c);
                        if c.change == Change::Better {
                            cell["why"] = serde_json::json!(why_better(c));
                            cell["measured"] = serde_json::json!(evidence(board, c));
                        }
                        cell
                    })
                    .collect();
                map.insert(
                    "compare".into(),
                    serde_json::json!({
                        "with": path.display().to_string(),
                        "cells": cells,
                        "summary": report.summary(),
                    }),
                );
            }
            serde_json::to_string_pretty(&value)
                .map_err(|e| Error::protocol(format!("cannot render JSON: {e}")))
        }
    }
}

async fn score(args: &ScoreboardArgs) -> Result<()> {
    let format = args.output_format();
    // The table to compare with is read and checked before any call.
    let theirs = match &args.compare {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::config(format!("cannot read --compare {}: {e}", path.display()))
            })?;
            let rows = parse_table(&text);
            if rows.is_empty() {
                return Err(Error::config(format!(
                    "--compare {}: no scoreboard table in it (rows of {} cells: {})",
                    path.display(),
                    COLUMNS.len(),
                    COLUMNS.join(", ")
                )));
            }
            Some(rows)
        }
        None => None,
    };
    let live = !args.emulator && args.replay.is_none() && has_credentials();
    if args.record.is_some() && !live {
        return Err(Error::config(
            "--record needs a live run: set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN",
        ));
    }
    let (target, source) = start_target(args, live).await?;
    let suite = SuiteConfig {
        runs: args.runs.max(1),
        call_timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let mut builder = if live {
        CloudflareBuilder::from_env()
    } else {
        CloudflareBuilder::new()
            .account_id(OFFLINE_ACCOUNT)
            .api_token(DEFAULT_TOKEN)
    };
    builder = builder.timeout(suite.call_timeout);
    if let Some(base) = target.base_url(args.base_url.as_ref()) {
        builder = builder.base_url(base);
    }
    let provider = builder.build_provider()?;
    let mut models = args.models.clone();
    if let (Target::Replay(replay), true) = (&target, models.is_empty()) {
        models = replay.server.case_models();
    }
    let jobs = if args.record.is_some() {
        // One model at a time, so each cassette holds the exchanges of one scenario.
        1
    } else {
        args.jobs.unwrap_or(DEFAULT_JOBS)
    };
    let options = RunOptions {
        models,
        // The seed list always gets rows, besides every model of the catalog.
        baseline: seed_models().map(str::to_owned).collect(),
        suite,
        jobs: usize::try_from(jobs).unwrap_or(1),
        source,
    };
    let observer = CliObserver {
        target: &target,
        record: args.record.as_deref(),
        out: args.out.as_deref(),
        format,
        bar: progress_bar(),
        last: Mutex::new(None),
        out_error: Mutex::new(None),
    };
    let run = run_scoreboard(&provider, &options, &observer);
    tokio::pin!(run);
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let report = tokio::select! {
        report = &mut run => report,
        _ = &mut interrupt => {
            observer.bar.finish_and_clear();
            let board = lock(&observer.last).clone();
            let finished = board.as_ref().map_or(0, |b| b.rows.iter().filter(|r| r.is_chat()).count() / 2);
            if let Some(board) = board {
                crate::emit_line(&render(&board, format)?);
            }
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "interrupted after {finished} chat models; the table shows the finished \
                     ones, the others as `?`"
                ),
            ));
        }
    };
    observer.bar.finish_and_clear();
    let mut report = report?;
    mark_retired(&mut report.board);
    if let Some(e) = lock(&observer.out_error).take() {
        return Err(e);
    }
    let text = output(
        &report.board,
        format,
        args.compare.as_deref().zip(theirs.as_deref()),
    )?;
    crate::emit_line(&text);
    if let Some(out) = &args.out {
        write_out(out, &text)?;
    }
    if report.failed_connections > 0 {
        return Err(Error::new(
            ErrorKind::Connection,
            format!(
                "{} calls could not connect, so the table is not a measure of the models; the \
                 first: {}",
                report.failed_connections,
                report.first_connection_error.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// Keeps each model the provider retired as a retired row with its day, instead of a `?`.
fn mark_retired(board: &mut Scoreboard) {
    let retired: Vec<(&str, &str, &[&str])> = board
        .unmeasured
        .iter()
        .filter_map(|id| {
            let f = genai_cloudflare::facts::lookup(id)?;
            let day = f
                .retired_on
                .filter(|_| f.status() == genai_core::ModelStatus::Retired)?;
            Some((f.id, day, f.replacements))
        })
        .collect();
    for (id, day, replacements) in retired {
        board.mark_retired(id, day, replacements);
    }
    let retired_ids: Vec<String> = board
        .retired
        .iter()
        .map(|r| format!("{}:", r.model))
        .collect();
    board
        .warnings
        .retain(|w| !retired_ids.iter().any(|id| w.starts_with(id.as_str())));
}
