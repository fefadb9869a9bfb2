//! Scoreboard data model: what the conformance suite measured, per model and mode.
//!
//! Plain serde data, written by the conformance suite (`genai_testkit::scenarios`) and read by
//! the renderers. The JSON form is stable: enums are `snake_case`, and fields added later are
//! optional.
//!
//! ```
//! use genai_testkit::scoreboard::{Scenario, ScenarioResult, Scoreboard, ScoreRow, Verdict};
//! use genai_core::{Mode, Modalities, Support};
//!
//! let row = ScoreRow {
//!     model: "m".into(),
//!     mode: Mode::Sync,
//!     reasoning: false,
//!     input: Modalities::TEXT,
//!     output: Modalities::TEXT,
//!     results: vec![ScenarioResult {
//!         scenario: Scenario::Json,
//!         declared: Support::Unsupported,
//!         verdict: Verdict::Finding,
//!         runs: 1,
//!         passed: 1,
//!         note: "answered anyway".into(),
//!     }],
//!     task: None,
//!     note: String::new(),
//!     cost: None,
//! };
//! let board = Scoreboard::new("fake", "emulator", vec![row]);
//! assert_eq!(board.warnings.len(), 1);
//! let json = serde_json::to_string(&board).unwrap();
//! assert!(json.contains(r#""verdict":"finding""#));
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use genai_core::{Capabilities, Modalities, Mode, Support};

/// One capability the conformance suite judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// A plain one-word answer.
    Text,
    /// The same seed twice gives the same answer.
    Seed,
    /// `max_tokens` cuts the answer, finish reason `length`.
    MaxTokens,
    /// A stop sequence cuts the answer, finish reason `stop_sequence`.
    Stop,
    /// A free-form JSON reply decodes.
    Json,
    /// A JSON reply follows a schema and decodes into a Rust type.
    JsonSchema,
    /// A call to the offered tool, with the right argument.
    Tools,
    /// Given a tool call and its result, an answer that uses the result.
    ToolResult,
    /// A forced (named) tool choice yields that tool's call.
    ToolChoiceForced,
    /// A tool is called whichever of two options the prompt names first.
    ToolBias,
    /// Reasoning comes apart from the answer.
    Reasoning,
    /// Per-token log-probabilities with top alternatives come with the answer.
    Logprobs,
    /// An answer from a provided document cites it.
    Citations,
    /// Replies report the rate limits, including the remaining quota.
    RateLimits,
    /// Replies report input and output tokens.
    Usage,
    /// Replies report a finish reason.
    FinishReason,
    /// Beyond chat: the model's own task works (an embedding, an image, a transcript...). Shown
    /// in the Text column of a non-chat row.
    Task,
    /// Beyond chat: the task works through the asynchronous batch queue. Shown in the Batch
    /// column of a non-chat row.
    AsyncQueue,
}

impl Scenario {
    /// Every chat scenario, in the order the suite runs them (`usage`, `finish_reason` and
    /// `rate_limits` last: they are judged on the replies of the others).
    pub const ALL: [Scenario; 16] = [
        Scenario::Text,
        Scenario::Seed,
        Scenario::MaxTokens,
        Scenario::Stop,
        Scenario::Json,
        Scenario::JsonSchema,
        Scenario::Tools,
        Scenario::ToolResult,
        Scenario::ToolChoiceForced,
        Scenario::ToolBias,
        Scenario::Reasoning,
        Scenario::Logprobs,
        Scenario::Citations,
        Scenario::Usage,
        Scenario::FinishReason,
        Scenario::RateLimits,
    ];

    /// Whether the scenario is judged on the replies of the others instead of sending its own
    /// requests.
    pub fn judged_on_replies(self) -> bool {
        matches!(
            self,
            Scenario::Usage | Scenario::FinishReason | Scenario::RateLimits
        )
    }

    /// The names of the reference scoreboard's smoke-run cases that send this scenario's
    /// requests, in the order the scenario sends them (a recording is named
    /// `GenSync-<case>.json` or `GenStream-<case>.json`). A recording of a case the reference
    /// has no name for uses the name given here too. Empty for scenarios judged on the
    /// replies of the others and for the task scenarios.
    pub fn cases(self) -> &'static [&'static str] {
        match self {
            Scenario::Text => &["Text"],
            Scenario::Seed => &["Seed"],
            Scenario::MaxTokens => &["MaxTokens"],
            Scenario::Stop => &["StopSequence"],
            Scenario::Json => &["JSON"],
            Scenario::JsonSchema => &["JSONSchema"],
            Scenario::Tools => &["Tools-SquareRoot-1-any"],
            Scenario::ToolResult => &["Tools-SquareRoot-2-any"],
            Scenario::ToolChoiceForced => &["Tools-SquareRoot-1-required"],
            Scenario::ToolBias => &["Tools-ToolBias-Canada", "Tools-ToolBias-USA"],
            Scenario::Reasoning => &["Thinking"],
            Scenario::Logprobs => &["TopLogprobs"],
            Scenario::Citations => &["Citations-text-plain", "Citations-text-markdown"],
            Scenario::Usage
            | Scenario::FinishReason
            | Scenario::RateLimits
            | Scenario::Task
            | Scenario::AsyncQueue => &[],
        }
    }

    /// The scenarios of a model that is not a chat model, in order; see [`ScoreRow::not_chat`].
    pub const TASK: [Scenario; 2] = [Scenario::Task, Scenario::AsyncQueue];

    /// The stable `snake_case` name, as in the JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Text => "text",
            Scenario::Seed => "seed",
            Scenario::MaxTokens => "max_tokens",
            Scenario::Stop => "stop",
            Scenario::Json => "json",
            Scenario::JsonSchema => "json_schema",
            Scenario::Tools => "tools",
            Scenario::ToolResult => "tool_result",
            Scenario::ToolChoiceForced => "tool_choice_forced",
            Scenario::ToolBias => "tool_bias",
            Scenario::Reasoning => "reasoning",
            Scenario::Logprobs => "logprobs",
            Scenario::Citations => "citations",
            Scenario::RateLimits => "rate_limits",
            Scenario::Usage => "usage",
            Scenario::FinishReason => "finish_reason",
            Scenario::Task => "task",
            Scenario::AsyncQueue => "async_queue",
        }
    }

    /// What `caps` declares about this scenario's capability. Plain text is always declared
    /// supported: every chat model must answer. Chat capabilities say nothing of the task
    /// scenarios: a model's own task is declared supported, the batch queue unsupported (the
    /// task runner that judges them knows better and sets [`ScenarioResult::declared`] itself).
    pub fn declared(self, caps: &Capabilities) -> Support {
        match self {
            Scenario::Text | Scenario::Task => Support::Supported,
            Scenario::AsyncQueue => Support::Unsupported,
            Scenario::Seed => caps.seed,
            Scenario::MaxTokens => caps.max_tokens,
            Scenario::Stop => caps.stop,
            Scenario::Json => caps.json,
            Scenario::JsonSchema => caps.json_schema,
            Scenario::Tools | Scenario::ToolResult | Scenario::ToolBias => caps.tools,
            // The chat contract declares neither: a reply that shows them is a finding.
            Scenario::Citations | Scenario::RateLimits => Support::Unsupported,
            Scenario::ToolChoiceForced => caps.tool_choice_forced,
            Scenario::Reasoning => caps.reasoning,
            Scenario::Logprobs => caps.logprobs,
            Scenario::Usage => caps.usage,
            Scenario::FinishReason => caps.finish_reason,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the suite concluded about one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Declared usable and passed every run.
    Supported,
    /// Declared usable and passed some runs only: runs of the same scenario disagree.
    Flaky,
    /// Declared usable; shown by the replies of some scenarios and never by those of others
    /// (every run agrees): a gap that repeats, not chance. The note names where it is missing.
    Partial,
    /// Declared unsupported and refused (or not shown) as declared.
    Unsupported,
    /// Declared unsupported, yet the call went through: the declaration is wrong.
    Finding,
    /// Declared usable and never passed (or refused with the wrong error kind).
    Failed,
}

impl Verdict {
    /// The stable `snake_case` name, as in the JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Flaky => "flaky",
            Verdict::Partial => "partial",
            Verdict::Unsupported => "unsupported",
            Verdict::Finding => "finding",
            Verdict::Failed => "failed",
        }
    }

    /// Whether the verdict contradicts the declaration (a finding or a failure): worth a warning.
    pub fn is_problem(self) -> bool {
        matches!(self, Verdict::Finding | Verdict::Failed)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one scenario for one model and mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Which scenario.
    pub scenario: Scenario,
    /// What the backend declared for it.
    pub declared: Support,
    /// What the suite concluded.
    pub verdict: Verdict,
    /// How many runs (or, for `usage` and `finish_reason`, replies) were judged.
    pub runs: u32,
    /// How many of them passed.
    pub passed: u32,
    /// A short explanation: the last failure reason or error, or what was seen.
    pub note: String,
}

/// What the suite measured for one model in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    /// The model id.
    pub model: String,
    /// Sync or stream.
    pub mode: Mode,
    /// Whether the model reasons in this mode (declared `reasoning` usable).
    pub reasoning: bool,
    /// What the model reads.
    pub input: Modalities,
    /// What the model writes.
    pub output: Modalities,
    /// One result per scenario, in [`Scenario::ALL`] order ([`Scenario::TASK`] order for a
    /// non-chat row; empty while its task scenarios are not run).
    pub results: Vec<ScenarioResult>,
    /// `None` for a chat model; for any other model its task (`Text Embeddings`,
    /// `Text-to-Image`...), which chat scenarios do not measure.
    ///
    /// Such a row is rendered apart: ➛In / Out➛ come from [`input`](Self::input) and
    /// [`output`](Self::output), the Text column shows [`Scenario::Task`] ("the task works"),
    /// the Batch column [`Scenario::AsyncQueue`] ("the async queue works"), and the other
    /// columns ➖. To give a non-chat model a real row, push the [`ScenarioResult`]s of those
    /// two scenarios into [`results`](Self::results): nothing else changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Why the row has no results, when it has none (empty otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// What the row's calls cost: the sum of the known costs of its replies (`null` when
    /// none was known).
    #[serde(default)]
    pub cost: Option<genai_core::Cost>,
}

impl ScoreRow {
    /// The row of a model that is not a chat model: no chat scenario applies to it, so its
    /// results are empty and its note says so. See [`task`](Self::task) for how task scenario
    /// results fill it in.
    ///
    /// ```
    /// use genai_testkit::scoreboard::ScoreRow;
    /// use genai_core::Modalities;
    /// let row = ScoreRow::not_chat("@cf/baai/bge-m3", "Text Embeddings", Modalities::TEXT, Modalities::default());
    /// assert_eq!(row.task.as_deref(), Some("Text Embeddings"));
    /// assert!(row.results.is_empty());
    /// assert!(row.note.contains("not measurable by chat scenarios"));
    /// ```
    pub fn not_chat(
        model: impl Into<String>,
        task: impl Into<String>,
        input: Modalities,
        output: Modalities,
    ) -> Self {
        let task = task.into();
        ScoreRow {
            model: model.into(),
            mode: Mode::Sync,
            reasoning: false,
            input,
            output,
            results: Vec::new(),
            note: format!("not a chat model ({task}): not measurable by chat scenarios"),
            task: Some(task),
            cost: None,
        }
    }

    /// Whether this is a chat model's row (see [`task`](Self::task)).
    pub fn is_chat(&self) -> bool {
        self.task.is_none()
    }

    /// The result of `scenario`, if it was judged.
    pub fn result(&self, scenario: Scenario) -> Option<&ScenarioResult> {
        self.results.iter().find(|r| r.scenario == scenario)
    }

    /// The verdict of `scenario`, if it was judged.
    pub fn verdict(&self, scenario: Scenario) -> Option<Verdict> {
        self.result(scenario).map(|r| r.verdict)
    }

    /// One line per finding or failure, e.g. `m (stream) json_schema: finding: ...`.
    pub fn problems(&self) -> impl Iterator<Item = String> + '_ {
        self.results
            .iter()
            .filter(|r| r.verdict.is_problem())
            .map(move |r| {
                format!(
                    "{} ({}) {}: {} ({}/{} passed): {}",
                    self.model,
                    self.mode.as_str(),
                    r.scenario,
                    r.verdict,
                    r.passed,
                    r.runs,
                    r.note
                )
            })
    }
}

/// Everything measured for one provider: rows, warnings, and the catalog models not measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoreboard {
    /// The provider's name, e.g. `cloudflare`.
    pub provider: String,
    /// Where the replies came from: `emulator`, `live`, `replay`...
    pub source: String,
    /// One row per model and mode.
    pub rows: Vec<ScoreRow>,
    /// Findings, failures and anything else a reader must know.
    pub warnings: Vec<String>,
    /// Catalog models that were not measured, in catalog order.
    pub unmeasured: Vec<String>,
    /// Models of the list to score that the provider has retired: kept as rows, not measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredModel>,
}

/// A model the provider retired, kept in the table with its day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredModel {
    /// The model id.
    pub model: String,
    /// The day it retired, `YYYY-MM-DD`.
    pub retired_on: String,
    /// What the provider's users should use instead.
    #[serde(default)]
    pub replacements: Vec<String>,
}

impl Scoreboard {
    /// A scoreboard of `rows`, with one warning per finding or failure in them.
    pub fn new(
        provider: impl Into<String>,
        source: impl Into<String>,
        rows: Vec<ScoreRow>,
    ) -> Self {
        let warnings = rows.iter().flat_map(ScoreRow::problems).collect();
        Scoreboard {
            provider: provider.into(),
            source: source.into(),
            rows,
            warnings,
            unmeasured: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Keeps `model` as a retired row (never measured; no longer unmeasured).
    ///
    /// ```
    /// use genai_testkit::scoreboard::Scoreboard;
    /// let mut board = Scoreboard::new("p", "live", vec![]);
    /// board.mark_unmeasured(["old", "new"]);
    /// board.mark_retired("old", "2026-05-30", ["new"]);
    /// assert_eq!(board.unmeasured, ["new"]);
    /// assert_eq!(board.retired[0].retired_on, "2026-05-30");
    /// ```
    pub fn mark_retired<I, S>(&mut self, model: &str, retired_on: &str, replacements: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.unmeasured.retain(|m| m != model);
        self.rows.retain(|r| r.model != model);
        if self.retired.iter().any(|r| r.model == model) {
            return;
        }
        self.retired.push(RetiredModel {
            model: model.to_owned(),
            retired_on: retired_on.to_owned(),
            replacements: replacements
                .into_iter()
                .map(|r| r.as_ref().to_owned())
                .collect(),
        });
    }

    /// Records every model of `catalog` that has no row as unmeasured (duplicates ignored).
    ///
    /// ```
    /// use genai_testkit::scoreboard::Scoreboard;
    /// let mut board = Scoreboard::new("p", "live", vec![]);
    /// board.mark_unmeasured(["a", "b", "a"]);
    /// assert_eq!(board.unmeasured, ["a", "b"]);
    /// ```
    pub fn mark_unmeasured<I, S>(&mut self, catalog: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut seen: BTreeSet<String> = self.rows.iter().map(|r| r.model.clone()).collect();
        seen.extend(self.unmeasured.iter().cloned());
        for id in catalog {
            let id = id.as_ref();
            if seen.insert(id.to_string()) {
                self.unmeasured.push(id.to_string());
            }
        }
    }

    /// The measured model ids, in row order, each once.
    pub fn models(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !out.contains(&row.model.as_str()) {
                out.push(&row.model);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(model: &str, verdict: Verdict) -> ScoreRow {
        ScoreRow {
            model: model.into(),
            mode: Mode::Stream,
            reasoning: true,
            input: Modalities::TEXT,
            output: Modalities::TEXT,
            results: vec![ScenarioResult {
                scenario: Scenario::ToolBias,
                declared: Support::Supported,
                verdict,
                runs: 3,
                passed: 0,
                note: "no call".into(),
            }],
            task: None,
            note: String::new(),
            cost: None,
        }
    }

    #[test]
    fn json_round_trips_with_snake_case_names() {
        let mut board = Scoreboard::new("p", "replay", vec![row("m", Verdict::Failed)]);
        board.mark_unmeasured(["m", "n"]);
        let json = serde_json::to_value(&board).unwrap();
        assert_eq!(json["rows"][0]["mode"], "stream");
        assert_eq!(json["rows"][0]["results"][0]["scenario"], "tool_bias");
        assert_eq!(json["rows"][0]["results"][0]["verdict"], "failed");
        assert_eq!(json["unmeasured"], serde_json::json!(["n"]));
        let back: Scoreboard = serde_json::from_value(json).unwrap();
        assert_eq!(back, board);
    }

    #[test]
    fn only_problems_become_warnings() {
        let board = Scoreboard::new(
            "p",
            "emulator",
            vec![row("a", Verdict::Supported), row("b", Verdict::Failed)],
        );
        assert_eq!(board.warnings.len(), 1);
        assert!(board.warnings[0].starts_with("b (stream) tool_bias: failed (0/3 passed)"));
        assert_eq!(board.models(), ["a", "b"]);
    }

    #[test]
    fn a_non_chat_row_round_trips_and_chat_rows_keep_their_old_shape() {
        let row = ScoreRow::not_chat(
            "e",
            "Text Embeddings",
            Modalities::TEXT,
            Modalities::default(),
        );
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["task"], "Text Embeddings");
        let back: ScoreRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, row);
        assert!(!back.is_chat());
        let chat = serde_json::to_value(row_of("m", Verdict::Partial)).unwrap();
        assert!(chat.get("task").is_none() && chat.get("note").is_none());
        assert_eq!(chat["results"][0]["verdict"], "partial");
        let m = r#"{"text":true,"image":false,"audio":false,"video":false,"document":false}"#;
        let old = format!(
            r#"{{"model":"m","mode":"sync","reasoning":false,"input":{m},"output":{m},"results":[]}}"#
        );
        let parsed: ScoreRow = serde_json::from_str(&old).unwrap();
        assert!(parsed.is_chat() && parsed.note.is_empty());
    }

    fn row_of(model: &str, verdict: Verdict) -> ScoreRow {
        row(model, verdict)
    }

    #[test]
    fn scenario_names_match_serde() {
        for s in Scenario::ALL.into_iter().chain(Scenario::TASK) {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
    }
}
