//! `genai scoreboard` and `genai serve`.
//!
//! A scoreboard run is planned before any scenario call: `--out` and `--record` are checked,
//! the provider's catalog is read (which also proves the token and the connection), and every
//! model is sorted into chat (scored), not chat (a 🧩 row, no call) or absent from the catalog
//! (an error when named with `--model`). Models are then scored `--jobs` at a time; each
//! finished model rewrites `--out`, so an interrupted run keeps what it finished.

use std::collections::BTreeSet;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt as _;
use genai_cloudflare::{Cloudflare, CloudflareBuilder, DEFAULT_BASE_URL};
use genai_core::{
    async_trait, ChatRequest, ChatResponse, ChatStream, Error, ErrorKind, Mode, ModelCapabilities,
    ModelInfo, ProviderGen, Result,
};
use genai_testkit::cassette::{find_cassettes, Cassette};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};
use genai_testkit::kind_rows::{batch_result, score_task_model};
use genai_testkit::replay::{MatchMode, RecordingProxy, ReplayServer};
use genai_testkit::scenarios::{run_mode_with, SuiteConfig};
use genai_testkit::scoreboard::{
    render_json, render_markdown, seed_models, Pick, Scenario, ScoreRow, Scoreboard,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Format;

/// The medals, given to the first three models of the seed list, in order.
const PICKS: [Pick; 3] = [Pick::Best, Pick::Good, Pick::Cheap];

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
    /// Replay the cassettes of DIR instead of calling a service.
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,
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

/// A bearer token: not empty, not blank.
fn non_blank(s: &str) -> std::result::Result<String, String> {
    if s.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// Flags of `genai serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on, IP:PORT or HOST:PORT; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    addr: String,
    /// Bearer token the emulator accepts (not empty).
    #[arg(long, default_value = DEFAULT_TOKEN, value_parser = non_blank)]
    token: String,
}

fn has_credentials() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.trim().is_empty());
    set("CLOUDFLARE_ACCOUNT_ID") && (set("CLOUDFLARE_API_TOKEN") || set("CLOUDFLARE_API_KEY"))
}

/// Where the scenarios send their requests; kept alive for the whole run.
enum Target {
    Emulator(Emulator),
    Replay(ReplayServer),
    Live(Option<RecordingProxy>),
}

impl Target {
    fn base_url(&self, configured: Option<&String>) -> Option<String> {
        match self {
            Target::Emulator(e) => Some(e.base_url()),
            Target::Replay(s) => Some(s.base_url()),
            Target::Live(Some(p)) => Some(p.base_url()),
            Target::Live(None) => configured.cloned(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the calls of a run revealed about the run itself (not about the models).
#[derive(Debug, Default)]
struct Health {
    /// The first authentication failure: every later call is refused without being sent.
    auth: Mutex<Option<String>>,
    /// Calls that could not connect.
    connection: AtomicUsize,
    /// The first of them.
    first_connection: Mutex<Option<String>>,
}

impl Health {
    fn observe<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            match e.kind() {
                ErrorKind::Unauthenticated => {
                    lock(&self.auth).get_or_insert_with(|| e.to_string());
                }
                ErrorKind::Connection => {
                    self.connection.fetch_add(1, Ordering::Relaxed);
                    lock(&self.first_connection).get_or_insert_with(|| e.to_string());
                }
                _ => {}
            }
        }
        result
    }

    /// The error that stops the run, once authentication failed.
    fn stopped(&self) -> Option<Error> {
        lock(&self.auth).as_ref().map(|first| {
            Error::new(
                ErrorKind::Unauthenticated,
                format!("the scoreboard stopped at the first authentication failure: {first}"),
            )
        })
    }
}

/// A client whose failures are watched by [`Health`]; after an authentication failure it
/// refuses every call without sending it.
#[derive(Debug)]
struct Watched<'a> {
    inner: Cloudflare,
    health: &'a Health,
}

#[async_trait]
impl ProviderGen for Watched<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn capabilities(&self) -> ModelCapabilities {
        self.inner.capabilities()
    }

    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
        if let Some(e) = self.health.stopped() {
            return Err(e);
        }
        self.health.observe(self.inner.gen_sync(req).await)
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        if let Some(e) = self.health.stopped() {
            return Err(e);
        }
        self.health.observe(self.inner.gen_stream(req).await)
    }
}

/// What a run does with one model.
enum Plan {
    /// Run the chat scenarios.
    Chat(Cloudflare),
    /// Not a chat model: its row is known without a call.
    NotChat(ModelInfo),
    /// A seed model the catalog does not list: a `?` row and a warning.
    Missing,
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

async fn start_target(args: &ScoreboardArgs, live: bool) -> Result<(Target, String)> {
    if let Some(dir) = &args.replay {
        let cassettes: Vec<Cassette> = find_cassettes(dir)
            .iter()
            .map(Cassette::load)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::config(format!("cannot load the cassettes: {e}")))?;
        if cassettes.is_empty() {
            return Err(Error::config(format!(
                "no cassette under {}",
                dir.display()
            )));
        }
        let server = ReplayServer::builder()
            .cassettes(cassettes)
            .match_mode(MatchMode::Loose)
            .start()
            .await
            .map_err(|e| Error::config(format!("cannot start the replay server: {e}")))?;
        return Ok((
            Target::Replay(server),
            format!("replay of {}", dir.display()),
        ));
    }
    if live {
        let proxy = match &args.record {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::config(format!("cannot create --record {}: {e}", dir.display()))
                })?;
                let account = std::env::var("CLOUDFLARE_ACCOUNT_ID").unwrap_or_default();
                let token = std::env::var("CLOUDFLARE_API_TOKEN")
                    .or_else(|_| std::env::var("CLOUDFLARE_API_KEY"))
                    .unwrap_or_default();
                let upstream = args
                    .base_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
                Some(
                    RecordingProxy::start(&upstream, account.trim(), token.trim())
                        .await
                        .map_err(|e| {
                            Error::config(format!("cannot start the recording proxy: {e}"))
                        })?,
                )
            }
            None => None,
        };
        return Ok((Target::Live(proxy), "live Cloudflare Workers AI".to_owned()));
    }
    let emulator = Emulator::start(EmulatorConfig::default())
        .map_err(|e| Error::config(format!("cannot start the emulator: {e}")))?;
    Ok((
        Target::Emulator(emulator),
        "built-in emulator, offline: no Cloudflare credentials used".to_owned(),
    ))
}

/// The catalog, or `None` when the target has none (a replay without a recorded catalog).
/// Authentication, connection and configuration failures end the run here, before any
/// scenario call.
async fn read_catalog(client: &Cloudflare) -> Result<Option<Vec<ModelInfo>>> {
    match genai_core::Provider::list_models(&client.provider()).await {
        Ok(list) if !list.is_empty() => Ok(Some(list)),
        Ok(_) => {
            eprintln!("note: the model list is empty; models are scored as chat models");
            Ok(None)
        }
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::Unauthenticated
                    | ErrorKind::PermissionDenied
                    | ErrorKind::Connection
                    | ErrorKind::Config
            ) =>
        {
            Err(e)
        }
        Err(e) => {
            eprintln!(
                "note: the model list is unavailable ({e}); models are scored as chat models"
            );
            Ok(None)
        }
    }
}

/// Whether `model` is a Llama Guard safety classifier.
fn is_guard(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    m.contains("llama-guard") || m.contains("llamaguard")
}

/// Sorts every model to score into a [`Plan`]. An unknown `--model` is an error.
fn plan(
    client: &Cloudflare,
    requested: &[String],
    catalog: Option<&[ModelInfo]>,
) -> Result<Vec<(String, Plan)>> {
    let mut ids: Vec<String> = Vec::new();
    let explicit = !requested.is_empty();
    if explicit {
        for m in requested {
            let id = client.with_model(m)?.model().to_owned();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    } else {
        ids.extend(seed_models().map(str::to_owned));
        for m in catalog.unwrap_or_default() {
            if m.is_chat() && !ids.contains(&m.id) {
                ids.push(m.id.clone());
            }
        }
    }
    let mut plans = Vec::with_capacity(ids.len());
    for id in ids {
        let info = catalog.map(|c| c.iter().find(|m| m.id == id));
        let plan = match info {
            None => Plan::Chat(client.with_model(&id)?),
            // A safety classifier answers with a verdict, not a conversation: it gets a task
            // row judged by the guard scenario instead of the chat scenarios.
            Some(Some(m)) if m.is_chat() && is_guard(&m.id) => {
                let mut info = m.clone();
                info.task = Some("Text Generation (safety classifier)".into());
                Plan::NotChat(info)
            }
            Some(Some(m)) if m.is_chat() => Plan::Chat(client.with_model(&id)?),
            Some(Some(m)) => Plan::NotChat(m.clone()),
            Some(None) if explicit => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "unknown model `{id}`: the provider's catalog does not list it \
                         (`genai models` lists the {} it has)",
                        catalog.map_or(0, <[ModelInfo]>::len)
                    ),
                ))
            }
            Some(None) => Plan::Missing,
        };
        plans.push((id, plan));
    }
    Ok(plans)
}

/// The scoreboard of what is finished so far; unfinished and missing models are `?` rows.
fn assemble(
    source: &str,
    plans: &[(String, Plan)],
    done: &[Option<Vec<ScoreRow>>],
    catalog: Option<&[ModelInfo]>,
) -> Scoreboard {
    let rows: Vec<ScoreRow> = done.iter().flatten().flatten().cloned().collect();
    let mut board = Scoreboard::new("cloudflare", source, rows);
    for (id, plan) in plans {
        if matches!(plan, Plan::Missing) {
            board.warnings.push(format!(
                "{id}: a seed model the provider's catalog does not list; not measured"
            ));
        }
    }
    let mut others: BTreeSet<String> = seed_models().map(str::to_owned).collect();
    others.extend(
        catalog
            .unwrap_or_default()
            .iter()
            .filter(|m| m.is_chat())
            .map(|m| m.id.clone()),
    );
    board.mark_unmeasured(plans.iter().map(|(id, _)| id.as_str()));
    board.mark_unmeasured(others);
    board
}

fn render(board: &Scoreboard, format: Format) -> Result<String> {
    let picks: Vec<(&str, Pick)> = seed_models().zip(PICKS).collect();
    match format {
        Format::Json => {
            render_json(board).map_err(|e| Error::protocol(format!("cannot render JSON: {e}")))
        }
        Format::Text => Ok(render_markdown(board, &picks)),
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {pos}/{len} scenarios, ETA {eta} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Scores one chat model in both modes, saving cassettes when recording.
async fn score_model(
    client: Watched<'_>,
    config: &SuiteConfig,
    target: &Target,
    record: Option<&Path>,
    bar: &ProgressBar,
) -> Vec<ScoreRow> {
    let model = client.model().to_owned();
    let mut rows = Vec::with_capacity(2);
    for mode in [Mode::Sync, Mode::Stream] {
        let mut after = |scenario: Scenario| {
            bar.inc(1);
            if let (Target::Live(Some(proxy)), Some(dir)) = (target, record) {
                let path = dir.join(model.trim_start_matches('@')).join(format!(
                    "{}-{}.json",
                    mode.as_str(),
                    scenario.as_str()
                ));
                let cassette = proxy.take_cassette(&format!(
                    "genai scoreboard --record: {model} {} {}",
                    mode.as_str(),
                    scenario.as_str()
                ));
                if !cassette.interactions.is_empty() {
                    if let Err(e) = cassette.save(&path) {
                        bar.suspend(|| eprintln!("warning: {e}"));
                    }
                }
            }
        };
        rows.push(run_mode_with(&client, mode, config, &mut after).await);
    }
    rows
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

async fn score(args: &ScoreboardArgs) -> Result<()> {
    let format = args.output_format();
    let live = !args.emulator && args.replay.is_none() && has_credentials();
    if args.record.is_some() && !live {
        return Err(Error::config(
            "--record needs a live run: set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN",
        ));
    }
    let (target, source) = start_target(args, live).await?;
    let config = SuiteConfig {
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
    builder = builder.timeout(config.call_timeout);
    if let Some(base) = target.base_url(args.base_url.as_ref()) {
        builder = builder.with_base_url(base);
    }
    let client = builder.build()?;

    let catalog = read_catalog(&client).await?;
    if let (Target::Live(Some(proxy)), Some(dir)) = (&target, &args.record) {
        // The catalog's own cassette: a replay of DIR then knows the models as the live run did.
        let cassette = proxy.take_cassette("genai scoreboard --record: the model catalog");
        if !cassette.interactions.is_empty() {
            cassette
                .save(dir.join("catalog.json"))
                .map_err(|e| Error::config(format!("cannot save the catalog cassette: {e}")))?;
        }
    }
    let plans = plan(&client, &args.models, catalog.as_deref())?;
    let mut done: Vec<Option<Vec<ScoreRow>>> = vec![None; plans.len()];
    // Models of the other kinds: their own scenarios, a few calls each, before the chat models.
    let provider = client.provider();
    let task_runs = config.runs;
    let mut tasks =
        futures_util::stream::iter(plans.iter().enumerate().filter_map(|(i, (_, p))| match p {
            Plan::NotChat(info) => Some((i, info)),
            _ => None,
        }))
        .map(|(i, info)| {
            let provider = &provider;
            async move { (i, score_task_model(provider, info, task_runs).await) }
        })
        // One at a time when recording, so each model's exchanges make its own cassette.
        .buffer_unordered(if args.record.is_some() {
            1
        } else {
            usize::try_from(args.jobs.unwrap_or(DEFAULT_JOBS)).unwrap_or(1)
        });
    while let Some((i, row)) = tasks.next().await {
        eprintln!(
            "scored {} ({})",
            plans[i].0,
            row.task.as_deref().unwrap_or("task")
        );
        save_cassette(&target, args.record.as_deref(), &plans[i].0, "task");
        done[i] = Some(vec![row]);
    }
    drop(tasks);
    let chat: Vec<(usize, &Cloudflare)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, (_, p))| match p {
            Plan::Chat(c) => Some((i, c)),
            _ => None,
        })
        .collect();
    let total_models = chat.len();
    let steps = (total_models * 2 * Scenario::ALL.len()) as u64;
    let bar = progress_bar(steps);
    let hidden = bar.is_hidden();
    let health = Health::default();
    let jobs = args.jobs.unwrap_or(if args.record.is_some() {
        1
    } else {
        DEFAULT_JOBS
    });
    let record = args.record.as_deref();
    let mut work = futures_util::stream::iter(chat.into_iter().map(|(i, c)| {
        let client = Watched {
            inner: c.clone(),
            health: &health,
        };
        let (config, target, bar) = (&config, &target, &bar);
        async move { (i, score_model(client, config, target, record, bar).await) }
    }))
    .buffer_unordered(usize::try_from(jobs).unwrap_or(1));
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut finished = 0;
    let mut interrupted = false;
    loop {
        tokio::select! {
            next = work.next() => {
                let Some((i, rows)) = next else { break };
                done[i] = Some(rows);
                finished += 1;
                if hidden {
                    eprintln!("scored {} ({finished}/{total_models})", plans[i].0);
                } else {
                    bar.set_message(plans[i].0.clone());
                }
                if health.stopped().is_some() {
                    break;
                }
                if let Some(out) = &args.out {
                    let board = assemble(&source, &plans, &done, catalog.as_deref());
                    write_out(out, &render(&board, format)?)?;
                }
            }
            _ = &mut interrupt => {
                interrupted = true;
                break;
            }
        }
    }
    drop(work);
    bar.finish_and_clear();
    // The Batch cell of chat models the provider runs through its queue.
    for (i, (id, plan)) in plans.iter().enumerate() {
        let queued = catalog
            .as_deref()
            .and_then(|c| c.iter().find(|m| &m.id == id))
            .is_some_and(|m| m.batch);
        if let (Plan::Chat(_), true, Some(rows)) = (plan, queued, done[i].as_mut()) {
            if let Some(result) = batch_result(&provider, id).await {
                if let Some(sync) = rows.iter_mut().find(|r| r.mode == Mode::Sync) {
                    sync.results.push(result);
                }
            }
            save_cassette(&target, args.record.as_deref(), id, "batch");
        }
    }
    if let Some(e) = health.stopped() {
        return Err(e);
    }
    let board = assemble(&source, &plans, &done, catalog.as_deref());
    let text = render(&board, format)?;
    crate::emit_line(&text);
    if let Some(out) = &args.out {
        write_out(out, &text)?;
    }
    drop(target);
    if interrupted {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "interrupted after {finished} of {total_models} chat models; the table shows \
                 the finished ones, the others as `?`"
            ),
        ));
    }
    let failed = health.connection.load(Ordering::Relaxed);
    if failed > 0 {
        let first = lock(&health.first_connection).clone().unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Connection,
            format!(
                "{failed} calls could not connect, so the table is not a measure of the \
                 models; the first: {first}"
            ),
        ));
    }
    Ok(())
}

/// With `--record`, saves what the proxy recorded since the last cassette as
/// `DIR/<model>/<name>.json` (nothing when nothing was recorded).
fn save_cassette(target: &Target, record: Option<&Path>, model: &str, name: &str) {
    if let (Target::Live(Some(proxy)), Some(dir)) = (target, record) {
        let cassette = proxy.take_cassette(&format!("genai scoreboard --record: {model} {name}"));
        if !cassette.interactions.is_empty() {
            let path = dir
                .join(model.trim_start_matches('@'))
                .join(format!("{name}.json"));
            if let Err(e) = cassette.save(&path) {
                eprintln!("warning: {e}");
            }
        }
    }
}

/// Binds the first address `addr` resolves to that accepts a listener.
fn start_emulator(addr: &str, token: &str) -> Result<Emulator> {
    use std::net::ToSocketAddrs as _;
    let candidates: Vec<std::net::SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| Error::config(format!("cannot resolve --addr {addr}: {e}")))?
        .collect();
    let mut last = None;
    for candidate in candidates {
        match Emulator::start(EmulatorConfig::default().token(token).address(candidate)) {
            Ok(emulator) => return Ok(emulator),
            Err(e) => last = Some(format!("{candidate}: {e}")),
        }
    }
    Err(Error::config(format!(
        "cannot serve on {addr}: {}",
        last.unwrap_or_else(|| "it resolves to no address".to_owned())
    )))
}

pub(crate) async fn serve(args: ServeArgs) -> Result<()> {
    let emulator = start_emulator(&args.addr, &args.token)?;
    // The token is a credential: never on stdout (which scripts capture and log). The
    // default one is not a secret, so stderr names it.
    crate::emit_line(&format!(
        "Workers AI emulator on {} (Ctrl-C stops it)",
        emulator.base_url()
    ));
    if args.token == DEFAULT_TOKEN {
        eprintln!("accepting the default token {DEFAULT_TOKEN:?} (set another with --token)");
    } else {
        eprintln!("accepting the token given with --token");
    }
    crate::stop_signal().await;
    drop(emulator);
    Ok(())
}
