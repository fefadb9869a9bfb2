//! A whole scoreboard run over any [`Provider`]: which models get a row and of which kind,
//! the chat scenarios of each model in both modes, `jobs` models at a time, and the health of
//! the run (the first authentication failure stops it; calls that could not connect are
//! counted, since the table then does not measure the models).
//!
//! The caller only says what to score and where replies come from; a [`RunObserver`] hears
//! about each step (to draw progress, record or replay exchanges, or save the table so far).
//!
//! ```
//! use genai_testkit::fake::{ScriptedCatalog, ScriptedChat};
//! use genai_testkit::scenarios::SuiteConfig;
//! use genai_testkit::scoreboard::{render_markdown, run_scoreboard, NoObserver, RunOptions};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let provider = ScriptedCatalog::new("fake").with_model(ScriptedChat::new("fake/model"));
//! let options = RunOptions {
//!     suite: SuiteConfig { runs: 1, ..SuiteConfig::default() },
//!     ..RunOptions::new("the fake")
//! };
//! let report = run_scoreboard(&provider, &options, &NoObserver).await.unwrap();
//! let md = render_markdown(&report.board, &[]);
//! assert!(md.contains("| fake/model | Sync🧠"));
//! # });
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt as _;
use genai_core::{
    async_trait, ChatRequest, ChatResponse, ChatStream, ConvertRequest, Document, DocumentChat,
    DocumentConverter, Error, ErrorKind, Mode, ModelCapabilities, ModelInfo, Provider, ProviderGen,
    Result,
};

use super::kind_rows::{batch_result, score_task_model, task_row};
use super::{Scenario, ScoreRow, Scoreboard};
use crate::scenarios::{run_mode_hooked, ScenarioHook, SuiteConfig};

/// What a run scores and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// The models to score, in this order; empty: [`default_models`] of `baseline` and the
    /// provider's catalog. A model named here that the catalog does not list is a `not_found`
    /// error.
    pub models: Vec<String>,
    /// When `models` is empty: models that get a row besides the catalog's chat models (for
    /// Cloudflare, the project's seed list, [`seed_models`](super::seed_models)); one the
    /// catalog lacks is a `?` row with a warning.
    pub baseline: Vec<String>,
    /// Runs and per-call limit of the chat scenarios.
    pub suite: SuiteConfig,
    /// Models scored at the same time (at least 1).
    pub jobs: usize,
    /// Where the replies come from, shown in the table's header (e.g. `built-in emulator`).
    pub source: String,
}

impl RunOptions {
    /// Every chat model of the catalog, the default suite, 4 models at a time.
    pub fn new(source: impl Into<String>) -> Self {
        RunOptions {
            models: Vec::new(),
            baseline: Vec::new(),
            suite: SuiteConfig::default(),
            jobs: 4,
            source: source.into(),
        }
    }
}

/// Hears about each step of a run, and may leave scenarios out. Every method has a default
/// that does nothing. Calls come from the models being scored at the same time.
pub trait RunObserver: Send + Sync {
    /// `Some(reason)` leaves `scenario` of `model` in `mode` out (no call, no result; the row's
    /// note names it with the reason), e.g. a replay that has no recording of it. Asked for
    /// chat scenarios, and with [`Scenario::Task`] / [`Scenario::AsyncQueue`] (mode sync)
    /// before a model's own task or its batch queue is scored.
    fn skip(&self, model: &str, mode: Mode, scenario: Scenario) -> Option<String> {
        let _ = (model, mode, scenario);
        None
    }

    /// Called before each run of a chat scenario that sends requests.
    fn before_run(&self, model: &str, mode: Mode, scenario: Scenario, run: u32) {
        let _ = (model, mode, scenario, run);
    }

    /// Called once the provider's catalog was read (or found missing) and its document
    /// conversion probed, before any scenario.
    fn catalog_read(&self) {}

    /// Called once a chat scenario is judged (or skipped).
    fn after_scenario(&self, model: &str, mode: Mode, scenario: Scenario) {
        let _ = (model, mode, scenario);
    }

    /// Called once a model's own task (`scenario` [`Scenario::Task`]) or its batch queue
    /// ([`Scenario::AsyncQueue`]) is scored.
    fn after_model_scenario(&self, model: &str, scenario: Scenario) {
        let _ = (model, scenario);
    }

    /// Called once the run is planned, before the first chat scenario: how many chat models
    /// will be scored (each runs every scenario of [`Scenario::ALL`] in both modes).
    fn planned(&self, chat_models: usize) {
        let _ = chat_models;
    }

    /// Called each time a chat model is finished, with the table so far (unfinished models
    /// are unmeasured in it).
    fn model_done(&self, model: &str, board: &Scoreboard, finished: usize, total: usize) {
        let _ = (model, board, finished, total);
    }
}

/// The observer that hears nothing and skips nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl RunObserver for NoObserver {}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The table.
    pub board: Scoreboard,
    /// Calls that could not connect: when not 0, the table does not measure the models.
    pub failed_connections: usize,
    /// The first of them.
    pub first_connection_error: Option<String>,
}

/// The models a run scores when none is named: `baseline` and every model of the catalog,
/// whatever its kind, sorted by id, each once.
///
/// ```
/// use genai_testkit::scoreboard::{default_models, seed_models};
/// let seeds: Vec<String> = seed_models().map(str::to_owned).collect();
/// let models = default_models(&seeds, None);
/// assert!(models.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn default_models(baseline: &[String], catalog: Option<&[ModelInfo]>) -> Vec<String> {
    let mut ids: Vec<String> = baseline.to_vec();
    ids.extend(catalog.unwrap_or_default().iter().map(|m| m.id.clone()));
    ids.sort();
    ids.dedup();
    ids
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

/// A chat model whose failures are watched by [`Health`]; after an authentication failure it
/// refuses every call without sending it.
#[derive(Debug)]
struct Watched<'a> {
    inner: Arc<dyn ProviderGen>,
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

/// The observer's view of one model, as the suite's hook.
struct ModelHook<'a> {
    model: &'a str,
    observer: &'a dyn RunObserver,
}

impl ScenarioHook for ModelHook<'_> {
    fn skip(&self, mode: Mode, scenario: Scenario) -> Option<String> {
        self.observer.skip(self.model, mode, scenario)
    }

    fn before_run(&self, mode: Mode, scenario: Scenario, run: u32) {
        self.observer.before_run(self.model, mode, scenario, run);
    }

    fn after(&self, mode: Mode, scenario: Scenario) {
        self.observer.after_scenario(self.model, mode, scenario);
    }
}

/// What a run does with one model.
enum Plan {
    /// Run the chat scenarios.
    Chat(Arc<dyn ProviderGen>),
    /// Not a chat model: its own task's scenarios.
    NotChat(ModelInfo),
    /// A model the catalog does not list: a `?` row and a warning.
    Missing,
}

/// The catalog, or `None` when the provider has none (a replay without a recorded catalog).
/// Authentication, connection and configuration failures end the run here, before any
/// scenario call; other failures become a warning.
async fn read_catalog(
    provider: &dyn Provider,
    warnings: &mut Vec<String>,
) -> Result<Option<Vec<ModelInfo>>> {
    match provider.list_models().await {
        Ok(list) if !list.is_empty() => Ok(Some(list)),
        Ok(_) => {
            warnings.push("the model list is empty; models are scored as chat models".into());
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
            warnings.push(format!(
                "the model list is unavailable ({e}); models are scored as chat models"
            ));
            Ok(None)
        }
    }
}

/// Whether `model` is a Llama Guard safety classifier.
fn is_guard(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    m.contains("llama-guard") || m.contains("llamaguard")
}

/// The provider's document converter when it really converts: one small web page, whose text
/// must come back. `None` when the provider has none or the conversion fails.
async fn documents_work(provider: &dyn Provider) -> Option<Arc<dyn DocumentConverter>> {
    const PROBE: &str = "genai scoreboard probe";
    let converter = provider.document_converter().ok()?;
    let page = Document::from_bytes("probe.html", format!("<h1>Probe</h1><p>{PROBE}</p>")).ok()?;
    let texts = converter
        .convert(&ConvertRequest::new([page]))
        .await
        .ok()?
        .into_texts()
        .ok()?;
    texts
        .iter()
        .any(|t| t.text.contains(PROBE))
        .then_some(converter)
}

/// Sorts every model to score into a [`Plan`]. A named model the catalog lacks is an error.
fn plan(
    provider: &dyn Provider,
    requested: &[String],
    baseline: &[String],
    catalog: Option<&[ModelInfo]>,
) -> Result<Vec<(String, Plan)>> {
    let explicit = !requested.is_empty();
    let ids: Vec<String> = if explicit {
        let mut ids: Vec<String> = Vec::new();
        for m in requested {
            let id = m.trim().to_owned();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    } else {
        default_models(baseline, catalog)
    };
    let mut plans = Vec::with_capacity(ids.len());
    for id in ids {
        let info = catalog.map(|c| c.iter().find(|m| m.id == id));
        let plan = match info {
            None => Plan::Chat(provider.chat_model(&id)?),
            // A safety classifier answers with a verdict, not a conversation: it gets a task
            // row judged by the guard scenario instead of the chat scenarios.
            Some(Some(m)) if m.is_chat() && is_guard(&m.id) => {
                let mut info = m.clone();
                info.task = Some("Text Generation (safety classifier)".into());
                Plan::NotChat(info)
            }
            Some(Some(m)) if m.is_chat() => Plan::Chat(provider.chat_model(&id)?),
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

/// The table of what is finished so far, rows in plan order; unfinished and missing models
/// are unmeasured.
fn assemble(
    provider: &str,
    source: &str,
    plans: &[(String, Plan)],
    done: &[Option<Vec<ScoreRow>>],
    warnings: &[String],
) -> Scoreboard {
    let rows: Vec<ScoreRow> = done.iter().flatten().flatten().cloned().collect();
    let mut board = Scoreboard::new(provider, source, rows);
    board.warnings.extend(warnings.iter().cloned());
    for (id, plan) in plans {
        if matches!(plan, Plan::Missing) {
            board.warnings.push(format!(
                "{id}: a model of the list to score that the provider's catalog does not list; \
                 not measured"
            ));
        }
    }
    board.mark_unmeasured(plans.iter().map(|(id, _)| id.as_str()));
    board
}

/// Scores one chat model in both modes.
async fn score_chat_model(
    model: Watched<'_>,
    suite: &SuiteConfig,
    observer: &dyn RunObserver,
) -> Vec<ScoreRow> {
    let id = model.model().to_owned();
    let hook = ModelHook {
        model: &id,
        observer,
    };
    let mut rows = Vec::with_capacity(2);
    for mode in [Mode::Sync, Mode::Stream] {
        rows.push(run_mode_hooked(&model, mode, suite, &hook).await);
    }
    rows
}

/// Runs the scoreboard of `provider`: reads its catalog (which also proves the credentials
/// and the connection), plans a row per model, scores models of other kinds with their own
/// task's scenarios and chat models with every chat scenario in both modes, `jobs` at a
/// time, then the batch queue of chat models that have one.
///
/// Errors: the catalog could not be read for lack of credentials, connection or
/// configuration; a named model is not in the catalog; an authentication failure during the
/// run (it stops at the first one, sending nothing more).
pub async fn run_scoreboard(
    provider: &dyn Provider,
    options: &RunOptions,
    observer: &dyn RunObserver,
) -> Result<RunReport> {
    let mut warnings = Vec::new();
    let catalog = read_catalog(provider, &mut warnings).await?;
    // Chat models read documents through the provider's conversion when it works: their
    // ➛In then shows 📄 (the legend says it is through conversion). Probed before the
    // observer hears of the catalog, so a recording keeps the probe with the catalog.
    let converter = documents_work(provider).await;
    observer.catalog_read();
    let mut plans = plan(
        provider,
        &options.models,
        &options.baseline,
        catalog.as_deref(),
    )?;
    if let Some(converter) = converter {
        for (_, p) in &mut plans {
            if let Plan::Chat(chat) = p {
                *chat = Arc::new(DocumentChat::new(Arc::clone(chat), Arc::clone(&converter)));
            }
        }
    }
    let jobs = options.jobs.max(1);
    let name = provider.name().to_owned();
    let mut done: Vec<Option<Vec<ScoreRow>>> = vec![None; plans.len()];

    // Models of the other kinds: their own scenarios, a few calls each, before the chat models.
    let runs = options.suite.runs;
    let mut tasks =
        futures_util::stream::iter(plans.iter().enumerate().filter_map(|(i, (_, p))| match p {
            Plan::NotChat(info) => Some((i, info)),
            _ => None,
        }))
        .map(|(i, info)| async move {
            let row = match observer.skip(&info.id, Mode::Sync, Scenario::Task) {
                Some(reason) => {
                    let mut row = task_row(info);
                    row.note = format!("not measured: its task ({reason})");
                    row
                }
                None => score_task_model(provider, info, runs).await,
            };
            observer.after_model_scenario(&info.id, Scenario::Task);
            (i, row)
        })
        .buffer_unordered(jobs);
    while let Some((i, row)) = tasks.next().await {
        done[i] = Some(vec![row]);
    }
    drop(tasks);

    let chat: Vec<(usize, &Arc<dyn ProviderGen>)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, (_, p))| match p {
            Plan::Chat(c) => Some((i, c)),
            _ => None,
        })
        .collect();
    let total = chat.len();
    observer.planned(total);
    let health = Health::default();
    let mut work = futures_util::stream::iter(chat.into_iter().map(|(i, c)| {
        let model = Watched {
            inner: Arc::clone(c),
            health: &health,
        };
        let suite = &options.suite;
        async move { (i, score_chat_model(model, suite, observer).await) }
    }))
    .buffer_unordered(jobs);
    let mut finished = 0;
    while let Some((i, rows)) = work.next().await {
        done[i] = Some(rows);
        finished += 1;
        if health.stopped().is_some() {
            break;
        }
        let board = assemble(&name, &options.source, &plans, &done, &warnings);
        observer.model_done(&plans[i].0, &board, finished, total);
    }
    drop(work);
    if let Some(e) = health.stopped() {
        return Err(e);
    }

    // The Batch cell of chat models the provider runs through its queue.
    for (i, (id, plan)) in plans.iter().enumerate() {
        let queued = catalog
            .as_deref()
            .and_then(|c| c.iter().find(|m| &m.id == id))
            .is_some_and(|m| m.batch);
        if let (Plan::Chat(_), true, Some(rows)) = (plan, queued, done[i].as_mut()) {
            if observer
                .skip(id, Mode::Sync, Scenario::AsyncQueue)
                .is_some()
            {
                continue;
            }
            if let Some(result) = batch_result(provider, id).await {
                if let Some(sync) = rows.iter_mut().find(|r| r.mode == Mode::Sync) {
                    sync.results.push(result);
                }
            }
            observer.after_model_scenario(id, Scenario::AsyncQueue);
        }
    }
    let board = assemble(&name, &options.source, &plans, &done, &warnings);
    let first_connection_error = lock(&health.first_connection).clone();
    Ok(RunReport {
        board,
        failed_connections: health.connection.load(Ordering::Relaxed),
        first_connection_error,
    })
}
