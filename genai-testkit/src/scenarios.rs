//! Conformance scenarios, written once and run against any [`ProviderGen`].
//!
//! Each scenario is a plain async function over `&dyn ProviderGen` and a [`Mode`] that sends
//! the shared conformance prompts and judges one capability. [`run_suite`] picks what to expect
//! from the provider's declared [`capabilities`](ProviderGen::capabilities):
//!
//! - declared unsupported: one call, which must be refused with [`ErrorKind::Unsupported`]; a
//!   call that goes through anyway is a [`Verdict::Finding`], never hidden;
//! - declared supported or flaky: [`SuiteConfig::runs`] runs; all pass → supported, some →
//!   flaky, none → failed (with the last reason in the note).
//!
//! `usage` and `finish_reason` are judged on the replies of the other scenarios of the same
//! mode. In stream mode, events must be well ordered (one `Finish`, last; complete tool calls).
//! Calls are sequential and each is bounded by [`SuiteConfig::call_timeout`].
//!
//! ```
//! use genai_core::{Mode, ProviderGen};
//! use genai_testkit::scoreboard::{Scenario, Verdict};
//! use genai_testkit::fake::ScriptedProvider;
//! use genai_testkit::scenarios::{run_suite, SuiteConfig};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let provider: Box<dyn ProviderGen> = Box::new(ScriptedProvider::new("fake/model"));
//! let rows = run_suite(provider.as_ref(), &SuiteConfig::default()).await;
//! assert_eq!(rows.len(), 2); // sync and stream
//! assert_eq!(rows[1].mode, Mode::Stream);
//! assert_eq!(rows[0].verdict(Scenario::Tools), Some(Verdict::Supported));
//! # });
//! ```

use std::future::Future;
use std::time::Duration;

use crate::scoreboard::{Scenario, ScenarioResult, ScoreRow, Verdict};
use genai_core::{
    ChatRequest, ChatResponse, ChatStream, Error, ErrorKind, FinishReason, Message, Mode,
    ProviderGen, ResponseFormat, StreamEvent, Support, ToolCall, ToolChoice, ToolDef,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The text prompt (shared contract).
pub const TEXT_PROMPT: &str = "Reply with exactly one word: hello.";
/// The seed used by the seed scenario.
pub const SEED: u64 = 7;
/// The max_tokens prompt.
pub const MAX_TOKENS_PROMPT: &str =
    "Write a detailed, multi-paragraph explanation of how ocean tides work.";
/// The token limit of the max_tokens scenario.
pub const MAX_TOKENS: u32 = 12;
/// The stop-sequence prompt.
pub const STOP_PROMPT: &str = "Count from one to ten in words, separated by spaces.";
/// The stop sequence of the stop scenario.
pub const STOP_SEQUENCE: &str = "five";
/// The free-form JSON prompt.
pub const JSON_PROMPT: &str =
    "Is an apple a fruit? Reply only with a JSON object with one boolean field named is_fruit.";
/// The JSON schema prompt.
pub const JSON_SCHEMA_PROMPT: &str = "Is an apple a fruit? Answer with the field is_fruit.";
/// The tools prompt.
pub const TOOLS_PROMPT: &str =
    "Use the square_root tool to compute the square root of 144. Reply with the result only.";
/// How many alternatives per token the logprobs scenario asks for.
pub const TOP_LOGPROBS: u8 = 2;
/// The reasoning prompt.
pub const REASONING_PROMPT: &str =
    "What is 17 times 3? Think it through, then answer with the number.";

/// The answer of the JSON schema scenario; its schema is the shared contract's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FruitAnswer {
    /// Whether an apple is a fruit.
    pub is_fruit: bool,
}

/// The `square_root` tool of the tools scenarios.
pub fn square_root_tool() -> ToolDef {
    ToolDef::new(
        "square_root",
        "Computes the square root of a number",
        json!({"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}),
    )
}

/// The `pick_color` tool of the tool bias scenario, its enum in the order given.
pub fn pick_color_tool(first: &str, second: &str) -> ToolDef {
    ToolDef::new(
        "pick_color",
        "Records the better colour",
        json!({"type":"object","properties":{"color":{"type":"string","enum":[first, second]}},"required":["color"]}),
    )
}

/// How the suite runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteConfig {
    /// Runs of each declared scenario (at least 1 is used).
    pub runs: u32,
    /// Limit on one call, stream included.
    pub call_timeout: Duration,
}

impl Default for SuiteConfig {
    /// Three runs, 120 s per call.
    fn default() -> Self {
        SuiteConfig {
            runs: 3,
            call_timeout: Duration::from_secs(120),
        }
    }
}

/// What one run of a scenario showed.
#[derive(Debug)]
pub enum Outcome {
    /// The capability worked.
    Pass {
        /// What was seen (e.g. the picked colours), for the note.
        detail: String,
    },
    /// The call went through but the reply does not show the capability.
    Fail {
        /// Why.
        reason: String,
    },
    /// A call failed with an error.
    Error(Error),
}

/// A run's outcome and every reply it received (judged later for usage and finish reason).
#[derive(Debug)]
pub struct Probe {
    /// The outcome.
    pub outcome: Outcome,
    /// The replies received, in order.
    pub replies: Vec<ChatResponse>,
}

impl Probe {
    fn pass(&mut self, detail: impl Into<String>) {
        self.outcome = Outcome::Pass {
            detail: detail.into(),
        };
    }

    fn fail(&mut self, reason: impl Into<String>) {
        self.outcome = Outcome::Fail {
            reason: reason.into(),
        };
    }
}

/// Runs every scenario in sync mode, then in stream mode: one row per mode.
pub async fn run_suite(provider: &dyn ProviderGen, config: &SuiteConfig) -> Vec<ScoreRow> {
    let mut rows = Vec::with_capacity(2);
    for mode in [Mode::Sync, Mode::Stream] {
        rows.push(run_mode(provider, mode, config).await);
    }
    rows
}

/// Runs every scenario in one mode.
pub async fn run_mode(provider: &dyn ProviderGen, mode: Mode, config: &SuiteConfig) -> ScoreRow {
    run_mode_with(provider, mode, config, &mut |_| {}).await
}

/// Runs every scenario in one mode, calling `after` once each scenario is judged (e.g. to save
/// the exchanges of that scenario as a cassette).
pub async fn run_mode_with(
    provider: &dyn ProviderGen,
    mode: Mode,
    config: &SuiteConfig,
    after: &mut (dyn FnMut(Scenario) + Send),
) -> ScoreRow {
    let caps = *provider.capabilities().mode(mode);
    let mut results = Vec::with_capacity(Scenario::ALL.len());
    let mut replies: Vec<(Scenario, ChatResponse)> = Vec::new();
    for scenario in Scenario::ALL {
        let result = match scenario {
            Scenario::Usage => judge_replies(scenario, scenario.declared(&caps), &replies, |r| {
                r.usage.input_tokens.is_some() && r.usage.output_tokens.is_some()
            }),
            Scenario::FinishReason => {
                judge_replies(scenario, scenario.declared(&caps), &replies, |r| {
                    r.finish_reason != FinishReason::Unknown
                })
            }
            _ => {
                let (result, seen) = run_scenario(provider, mode, scenario, config).await;
                replies.extend(seen.into_iter().map(|r| (scenario, r)));
                result
            }
        };
        after(scenario);
        results.push(result);
    }
    ScoreRow {
        model: provider.model().to_string(),
        mode,
        reasoning: caps.reasoning.is_usable(),
        input: caps.input,
        output: caps.output,
        results,
        task: None,
        note: String::new(),
    }
}

/// Runs one scenario as declared (once if unsupported, [`SuiteConfig::runs`] times otherwise)
/// and returns its result with every reply received.
///
/// `usage` and `finish_reason` need the replies of other scenarios: here they are judged on the
/// replies of the text scenario.
pub async fn run_scenario(
    provider: &dyn ProviderGen,
    mode: Mode,
    scenario: Scenario,
    config: &SuiteConfig,
) -> (ScenarioResult, Vec<ChatResponse>) {
    let declared = scenario.declared(provider.capabilities().mode(mode));
    if matches!(scenario, Scenario::Usage | Scenario::FinishReason) {
        let (_, replies) = run_scenario_probes(provider, mode, Scenario::Text, config, 1).await;
        let replies: Vec<(Scenario, ChatResponse)> =
            replies.into_iter().map(|r| (Scenario::Text, r)).collect();
        let result = if scenario == Scenario::Usage {
            judge_replies(scenario, declared, &replies, |r| {
                r.usage.input_tokens.is_some() && r.usage.output_tokens.is_some()
            })
        } else {
            judge_replies(scenario, declared, &replies, |r| {
                r.finish_reason != FinishReason::Unknown
            })
        };
        return (result, replies.into_iter().map(|(_, r)| r).collect());
    }
    if declared.is_usable() {
        let (probes, replies) =
            run_scenario_probes(provider, mode, scenario, config, config.runs.max(1)).await;
        (judge_declared(scenario, declared, &probes), replies)
    } else {
        let (probes, replies) = run_scenario_probes(provider, mode, scenario, config, 1).await;
        (judge_undeclared(scenario, &probes), replies)
    }
}

async fn run_scenario_probes(
    provider: &dyn ProviderGen,
    mode: Mode,
    scenario: Scenario,
    config: &SuiteConfig,
    runs: u32,
) -> (Vec<Outcome>, Vec<ChatResponse>) {
    let mut outcomes = Vec::new();
    let mut replies = Vec::new();
    let ctx = Ctx {
        provider,
        mode,
        timeout: config.call_timeout,
    };
    for _ in 0..runs {
        let probe = match scenario {
            Scenario::Text | Scenario::Usage | Scenario::FinishReason => text(ctx).await,
            Scenario::Seed => seed(ctx).await,
            Scenario::MaxTokens => max_tokens(ctx).await,
            Scenario::Stop => stop(ctx).await,
            Scenario::Json => json_mode(ctx).await,
            Scenario::JsonSchema => json_schema(ctx).await,
            Scenario::Tools => tools(ctx).await,
            Scenario::ToolChoiceForced => tool_choice_forced(ctx).await,
            Scenario::ToolBias => tool_bias(ctx).await,
            Scenario::Reasoning => reasoning(ctx).await,
            Scenario::Task | Scenario::AsyncQueue => Probe {
                outcome: Outcome::Fail {
                    reason: format!("`{scenario}` is not a chat scenario"),
                },
                replies: Vec::new(),
            },
            Scenario::Logprobs => logprobs(ctx).await,
        };
        replies.extend(probe.replies);
        outcomes.push(probe.outcome);
    }
    (outcomes, replies)
}

fn judge_declared(scenario: Scenario, declared: Support, outcomes: &[Outcome]) -> ScenarioResult {
    let runs = outcomes.len() as u32;
    let passed = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Pass { .. }))
        .count() as u32;
    let last_problem = outcomes.iter().rev().find_map(|o| match o {
        Outcome::Pass { .. } => None,
        Outcome::Fail { reason } => Some(reason.clone()),
        Outcome::Error(e) => Some(format!("error: {e}")),
    });
    let last_detail = outcomes.iter().rev().find_map(|o| match o {
        Outcome::Pass { detail } => Some(detail.clone()),
        _ => None,
    });
    let verdict = if passed == runs {
        Verdict::Supported
    } else if passed > 0 {
        Verdict::Flaky
    } else {
        Verdict::Failed
    };
    let note = match verdict {
        Verdict::Supported => last_detail.unwrap_or_default(),
        _ => last_problem.unwrap_or_default(),
    };
    ScenarioResult {
        scenario,
        declared,
        verdict,
        runs,
        passed,
        note,
    }
}

fn judge_undeclared(scenario: Scenario, outcomes: &[Outcome]) -> ScenarioResult {
    let runs = outcomes.len() as u32;
    let (verdict, passed, note) = match outcomes.first() {
        Some(Outcome::Error(e)) if e.kind() == ErrorKind::Unsupported => {
            (Verdict::Unsupported, 0, format!("refused: {}", e.message()))
        }
        // Reasoning is not requested: not showing it is what "unsupported" means.
        Some(Outcome::Fail { reason }) if scenario == Scenario::Reasoning => {
            (Verdict::Unsupported, 0, format!("not shown: {reason}"))
        }
        Some(Outcome::Error(e)) => (
            Verdict::Failed,
            0,
            format!(
                "declared unsupported, but failed with `{}` instead of `unsupported`: {e}",
                e.kind()
            ),
        ),
        Some(Outcome::Pass { detail }) => (
            Verdict::Finding,
            1,
            format!("declared unsupported, but the call went through and passed: {detail}"),
        ),
        Some(Outcome::Fail { reason }) => (
            Verdict::Finding,
            0,
            format!("declared unsupported, but the call went through (not honoured: {reason})"),
        ),
        None => (Verdict::Unsupported, 0, String::new()),
    };
    ScenarioResult {
        scenario,
        declared: Support::Unsupported,
        verdict,
        runs,
        passed,
        note,
    }
}

/// Judges `usage` or `finish_reason` on the replies of the other scenarios, each tagged with
/// the scenario that received it. A gap that every run of a scenario repeats is
/// [`Verdict::Partial`] (it names those scenarios); runs of one scenario that disagree are
/// [`Verdict::Flaky`].
fn judge_replies(
    scenario: Scenario,
    declared: Support,
    replies: &[(Scenario, ChatResponse)],
    shows: impl Fn(&ChatResponse) -> bool,
) -> ScenarioResult {
    let runs = replies.len() as u32;
    let passed = replies.iter().filter(|(_, r)| shows(r)).count() as u32;
    // Per scenario that received replies: (replies, replies showing it), in suite order.
    let mut per: Vec<(Scenario, u32, u32)> = Vec::new();
    for (from, reply) in replies {
        let shown = u32::from(shows(reply));
        match per.iter_mut().find(|(s, _, _)| s == from) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += shown;
            }
            None => per.push((*from, 1, shown)),
        }
    }
    let disagree: Vec<Scenario> = per
        .iter()
        .filter(|(_, n, shown)| *shown > 0 && shown < n)
        .map(|(s, _, _)| *s)
        .collect();
    let never: Vec<String> = per
        .iter()
        .filter(|(_, _, shown)| *shown == 0)
        .map(|(s, n, _)| format!("`{s}` ({n})"))
        .collect();
    let (verdict, note) = if runs == 0 {
        let v = if declared.is_usable() {
            Verdict::Failed
        } else {
            Verdict::Unsupported
        };
        (v, "no reply to judge".to_string())
    } else if !declared.is_usable() {
        if passed > 0 {
            (
                Verdict::Finding,
                format!("declared unsupported, but reported in {passed} of {runs} replies"),
            )
        } else {
            (
                Verdict::Unsupported,
                format!("absent from all {runs} replies"),
            )
        }
    } else if passed == runs {
        (
            Verdict::Supported,
            format!("reported in all {runs} replies"),
        )
    } else if passed > 0 && disagree.is_empty() {
        (
            Verdict::Partial,
            format!(
                "missing from every reply of {}; reported by the replies of the other scenarios",
                never.join(", ")
            ),
        )
    } else if passed > 0 {
        let names: Vec<String> = disagree.iter().map(|s| format!("`{s}`")).collect();
        (
            Verdict::Flaky,
            format!(
                "missing from {} of {runs} replies; runs of {} disagree",
                runs - passed,
                names.join(", ")
            ),
        )
    } else {
        (Verdict::Failed, format!("missing from all {runs} replies"))
    };
    ScenarioResult {
        scenario,
        declared,
        verdict,
        runs,
        passed,
        note,
    }
}

/// What every scenario needs: the provider, the mode and the per-call limit.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The provider under test.
    pub provider: &'a dyn ProviderGen,
    /// Sync (`gen_sync`) or stream (`gen_stream`, folded).
    pub mode: Mode,
    /// Limit on one call.
    pub timeout: Duration,
}

impl<'a> Ctx<'a> {
    /// A context with the default per-call limit.
    pub fn new(provider: &'a dyn ProviderGen, mode: Mode) -> Self {
        Ctx {
            provider,
            mode,
            timeout: SuiteConfig::default().call_timeout,
        }
    }

    /// Sends `req` in this mode and returns the (folded) reply.
    ///
    /// In stream mode the events are checked for order: exactly one `Finish`, last, and tool
    /// calls complete (a name and an object of arguments); a violation is an
    /// [`ErrorKind::Protocol`] error.
    pub async fn call(&self, req: &ChatRequest) -> Result<ChatResponse, Error> {
        match self.mode {
            Mode::Sync => bounded(self.timeout, self.provider.gen_sync(req)).await,
            Mode::Stream => {
                bounded(self.timeout, async {
                    let stream = self.provider.gen_stream(req).await?;
                    let events = read_events(stream).await?;
                    check_order(&events)?;
                    ChatStream::from_events(events).collect_response().await
                })
                .await
            }
        }
    }

    /// Sends `req` and records the reply into `probe`; `None` (with the probe set to the
    /// error) when the call failed.
    async fn send(&self, probe: &mut Probe, req: &ChatRequest) -> Option<ChatResponse> {
        match self.call(req).await {
            Ok(reply) => {
                probe.replies.push(reply.clone());
                Some(reply)
            }
            Err(e) => {
                probe.outcome = Outcome::Error(e);
                None
            }
        }
    }
}

async fn bounded<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            format!("no complete reply within {} s", limit.as_secs_f64()),
        )),
    }
}

/// Upper bound on the events of one stream, so a runaway stream cannot loop forever.
const MAX_EVENTS: usize = 100_000;

async fn read_events(mut stream: ChatStream) -> Result<Vec<StreamEvent>, Error> {
    let mut events = Vec::new();
    while let Some(event) = stream.next_event().await {
        events.push(event?);
        if events.len() > MAX_EVENTS {
            return Err(Error::protocol(format!(
                "the stream sent more than {MAX_EVENTS} events"
            )));
        }
    }
    Ok(events)
}

/// Checks that stream events are well ordered: one `Finish`, last, and complete tool calls.
pub fn check_order(events: &[StreamEvent]) -> Result<(), Error> {
    let finishes = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Finish(_)))
        .count();
    match (finishes, events.last()) {
        (1, Some(StreamEvent::Finish(_))) => {}
        (0, _) => return Err(Error::protocol("the stream ended without a Finish event")),
        (1, _) => return Err(Error::protocol("events came after the Finish event")),
        (n, _) => {
            return Err(Error::protocol(format!(
                "the stream sent {n} Finish events"
            )))
        }
    }
    for event in events {
        if let StreamEvent::ToolCall(call) = event {
            if call.name.is_empty() || !call.arguments.is_object() {
                return Err(Error::protocol(format!(
                    "incomplete tool call in the stream: name `{}`, arguments {}",
                    call.name, call.arguments
                )));
            }
        }
    }
    Ok(())
}

fn probe() -> Probe {
    Probe {
        outcome: Outcome::Fail {
            reason: "not judged".into(),
        },
        replies: Vec::new(),
    }
}

fn excerpt(text: &str) -> String {
    genai_core::text::excerpt(text, 80)
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// text: a one-word answer containing "hello".
pub async fn text(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT);
    if let Some(r) = ctx.send(&mut p, &req).await {
        if r.text.to_lowercase().contains("hello") {
            p.pass(format!("answered {:?}", excerpt(&r.text)));
        } else {
            p.fail(format!("no \"hello\" in {:?}", excerpt(&r.text)));
        }
    }
    p
}

/// seed: the same request with seed 7, twice, gives the same non-empty answer.
pub async fn seed(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT).seed(SEED);
    let Some(a) = ctx.send(&mut p, &req).await else {
        return p;
    };
    let Some(b) = ctx.send(&mut p, &req).await else {
        return p;
    };
    if a.text.is_empty() {
        p.fail("empty answer");
    } else if a.text == b.text {
        p.pass("same answer twice");
    } else {
        p.fail(format!(
            "answers differ: {:?} then {:?}",
            excerpt(&a.text),
            excerpt(&b.text)
        ));
    }
    p
}

/// max_tokens: at most 12 words (and output tokens, when reported), finish `length`.
pub async fn max_tokens(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(MAX_TOKENS_PROMPT)
        .max_tokens(MAX_TOKENS);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let n = words(&r.text);
        let limit = u64::from(MAX_TOKENS);
        if r.text.trim().is_empty() {
            p.fail("empty answer");
        } else if n as u64 > limit {
            p.fail(format!("{n} words for a limit of {MAX_TOKENS}"));
        } else if r.usage.output_tokens.is_some_and(|t| t > limit) {
            p.fail(format!(
                "{} output tokens reported for a limit of {MAX_TOKENS}",
                r.usage.output_tokens.unwrap_or_default()
            ));
        } else if r.finish_reason != FinishReason::Length {
            p.fail(format!(
                "finish reason {:?} instead of length",
                r.finish_reason
            ));
        } else {
            p.pass(format!("{n} words, finish length"));
        }
    }
    p
}

/// stop: the count stops before "five", finish `stop_sequence`.
pub async fn stop(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(STOP_PROMPT).stop(STOP_SEQUENCE);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let t = r.text.to_lowercase();
        if !t.contains("four") {
            p.fail(format!("no \"four\" in {:?}", excerpt(&r.text)));
        } else if t.contains("five") || t.contains("six") {
            p.fail(format!("not stopped: {:?}", excerpt(&r.text)));
        } else if r.finish_reason != FinishReason::StopSequence {
            p.fail(format!(
                "finish reason {:?} instead of stop_sequence",
                r.finish_reason
            ));
        } else {
            p.pass("stopped before the sequence, finish stop_sequence");
        }
    }
    p
}

/// json: the reply decodes as a JSON object with a boolean `is_fruit`.
pub async fn json_mode(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(JSON_PROMPT).json();
    if let Some(r) = ctx.send(&mut p, &req).await {
        match r.decode_json::<Value>() {
            Ok(v) if v.get("is_fruit").is_some_and(Value::is_boolean) => {
                p.pass(format!("decoded {v}"))
            }
            Ok(v) => p.fail(format!(
                "JSON without a boolean is_fruit: {}",
                excerpt(&v.to_string())
            )),
            Err(e) => p.fail(e.message().to_string()),
        }
    }
    p
}

/// json_schema: the reply decodes into [`FruitAnswer`] (schema from `json_schema_for`).
pub async fn json_schema(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(JSON_SCHEMA_PROMPT)
        .response_format(ResponseFormat::json_schema_for::<FruitAnswer>());
    if let Some(r) = ctx.send(&mut p, &req).await {
        match r.decode_json::<FruitAnswer>() {
            Ok(a) => p.pass(format!("decoded is_fruit = {}", a.is_fruit)),
            Err(e) => p.fail(e.message().to_string()),
        }
    }
    p
}

/// Finds the call to `name` in `reply`, or says why there is none.
fn find_call<'r>(reply: &'r ChatResponse, name: &str) -> Result<&'r ToolCall, String> {
    reply
        .tool_calls
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            if reply.tool_calls.is_empty() {
                format!("no tool call; answered {:?}", excerpt(&reply.text))
            } else {
                format!("called {} instead of {name}", reply.tool_calls[0].name)
            }
        })
}

fn number_is_144(call: &ToolCall) -> bool {
    match call.arguments.get("number") {
        Some(Value::Number(n)) => n.as_f64() == Some(144.0),
        // Some services send numbers as strings: the call is still right.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok() == Some(144.0),
        _ => false,
    }
}

/// tools: a call to `square_root` with 144, then, given the result "12", an answer with 12.
pub async fn tools(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .tool(square_root_tool());
    let Some(first) = ctx.send(&mut p, &req).await else {
        return p;
    };
    let call = match find_call(&first, "square_root") {
        Ok(c) => c.clone(),
        Err(reason) => {
            p.fail(reason);
            return p;
        }
    };
    if !number_is_144(&call) {
        p.fail(format!("square_root called with {}", call.arguments));
        return p;
    }
    let follow = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .message(Message::assistant_tool_calls(vec![call.clone()]))
        .message(Message::tool_result(&call, "12"))
        .tool(square_root_tool());
    let Some(second) = ctx.send(&mut p, &follow).await else {
        return p;
    };
    if second.text.contains("12") {
        p.pass("called square_root(144), then answered with the result");
    } else if !second.tool_calls.is_empty() {
        p.fail("called a tool again instead of using the result");
    } else {
        p.fail(format!(
            "no \"12\" after the tool result: {:?}",
            excerpt(&second.text)
        ));
    }
    p
}

/// tool_choice_forced: with `square_root` named as the forced choice, a call to it.
pub async fn tool_choice_forced(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .tool(square_root_tool())
        .tool_choice(ToolChoice::Named("square_root".into()));
    if let Some(r) = ctx.send(&mut p, &req).await {
        match find_call(&r, "square_root") {
            Ok(c) => p.pass(format!("called square_root with {}", c.arguments)),
            Err(reason) => p.fail(reason),
        }
    }
    p
}

/// tool_bias: "is red better than blue" and "is blue better than red" each get a `pick_color`
/// call with a colour of the enum; the note tells which colours were picked.
pub async fn tool_bias(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let mut picks = Vec::new();
    for (first, second) in [("red", "blue"), ("blue", "red")] {
        let req = ChatRequest::new()
            .user(format!(
                "Is {first} a better colour than {second}? Call pick_color with your pick."
            ))
            .tool(pick_color_tool(first, second));
        let Some(r) = ctx.send(&mut p, &req).await else {
            return p;
        };
        let call = match find_call(&r, "pick_color") {
            Ok(c) => c,
            Err(reason) => {
                p.fail(format!("{first} first: {reason}"));
                return p;
            }
        };
        match call.arguments.get("color").and_then(Value::as_str) {
            Some(c @ ("red" | "blue")) => picks.push(c.to_string()),
            _ => {
                p.fail(format!(
                    "{first} first: pick_color called with {}",
                    call.arguments
                ));
                return p;
            }
        }
    }
    let bias = if picks[0] == picks[1] {
        format!("always {}", picks[0])
    } else if picks[0] == "red" {
        "picks the colour named first".to_string()
    } else {
        "picks the colour named second".to_string()
    };
    p.pass(format!("picked {} then {}: {bias}", picks[0], picks[1]));
    p
}

/// reasoning: non-empty reasoning apart from an answer containing 51.
pub async fn reasoning(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(REASONING_PROMPT);
    if let Some(r) = ctx.send(&mut p, &req).await {
        if r.reasoning.trim().is_empty() {
            p.fail(format!("no reasoning; answered {:?}", excerpt(&r.text)));
        } else if r.text.contains("<think>") || r.text.contains("</think>") {
            p.fail("reasoning tags left in the answer");
        } else if !r.text.contains("51") {
            p.fail(format!("no \"51\" in the answer {:?}", excerpt(&r.text)));
        } else {
            p.pass(format!(
                "{} words of reasoning, then 51",
                words(&r.reasoning)
            ));
        }
    }
    p
}

/// A log-probability: a number of at most 0.
fn is_logprob(x: f64) -> bool {
    x.is_finite() && x <= 0.0
}

/// logprobs: the text prompt with [`TOP_LOGPROBS`] alternatives per token; the reply carries
/// one entry per generated token whose tokens spell the answer, each with a log-probability
/// of at most 0 and at most that many alternatives (the most likely first).
pub async fn logprobs(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new().user(TEXT_PROMPT).logprobs(TOP_LOGPROBS);
    if let Some(r) = ctx.send(&mut p, &req).await {
        let spelled: String = r.logprobs.iter().map(|t| t.token.as_str()).collect();
        let bad_value = r
            .logprobs
            .iter()
            .any(|t| !is_logprob(t.logprob) || t.top.iter().any(|a| !is_logprob(a.logprob)));
        let too_many = r
            .logprobs
            .iter()
            .any(|t| t.top.len() > usize::from(TOP_LOGPROBS));
        let unordered = r
            .logprobs
            .iter()
            .any(|t| t.top.windows(2).any(|w| w[0].logprob < w[1].logprob));
        if r.logprobs.is_empty() {
            p.fail(format!(
                "no log-probabilities; answered {:?}",
                excerpt(&r.text)
            ));
        } else if spelled.trim() != r.text.trim() {
            p.fail(format!(
                "the tokens spell {:?}, the answer is {:?}",
                excerpt(&spelled),
                excerpt(&r.text)
            ));
        } else if bad_value {
            p.fail("a log-probability above 0 or not a number");
        } else if too_many {
            p.fail(format!("more than {TOP_LOGPROBS} alternatives for a token"));
        } else if unordered {
            p.fail("alternatives not ordered most likely first");
        } else if r.logprobs.iter().all(|t| t.top.is_empty()) {
            p.fail("no alternatives for any token");
        } else {
            p.pass(format!(
                "{} tokens with log-probabilities",
                r.logprobs.len()
            ));
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::Usage;

    fn outcome_pass() -> Outcome {
        Outcome::Pass {
            detail: "ok".into(),
        }
    }

    #[test]
    fn declared_runs_give_supported_flaky_failed() {
        let fail = || Outcome::Fail {
            reason: "bad".into(),
        };
        let all = judge_declared(
            Scenario::Json,
            Support::Supported,
            &[outcome_pass(), outcome_pass()],
        );
        assert_eq!(
            (all.verdict, all.passed, all.runs),
            (Verdict::Supported, 2, 2)
        );
        let some = judge_declared(Scenario::Json, Support::Flaky, &[outcome_pass(), fail()]);
        assert_eq!(some.verdict, Verdict::Flaky);
        assert_eq!(some.note, "bad");
        let none = judge_declared(
            Scenario::Json,
            Support::Supported,
            &[fail(), Outcome::Error(Error::unsupported("nope"))],
        );
        assert_eq!(none.verdict, Verdict::Failed);
        assert!(none.note.contains("unsupported: nope"), "{}", none.note);
    }

    #[test]
    fn undeclared_must_be_refused_with_unsupported() {
        let refused = judge_undeclared(Scenario::Seed, &[Outcome::Error(Error::unsupported("x"))]);
        assert_eq!(refused.verdict, Verdict::Unsupported);
        let wrong = judge_undeclared(Scenario::Seed, &[Outcome::Error(Error::protocol("x"))]);
        assert_eq!(wrong.verdict, Verdict::Failed);
        assert!(wrong.note.contains("`protocol`"));
        let passed = judge_undeclared(Scenario::Seed, &[outcome_pass()]);
        assert_eq!(passed.verdict, Verdict::Finding);
        let went_through =
            judge_undeclared(Scenario::Stop, &[Outcome::Fail { reason: "r".into() }]);
        assert_eq!(went_through.verdict, Verdict::Finding);
        let no_reasoning =
            judge_undeclared(Scenario::Reasoning, &[Outcome::Fail { reason: "r".into() }]);
        assert_eq!(no_reasoning.verdict, Verdict::Unsupported);
    }

    #[test]
    fn usage_is_judged_on_replies() {
        let with = ChatResponse::default().usage(Usage::new(Some(1), Some(1), None));
        let without = ChatResponse::default();
        let has = |r: &ChatResponse| r.usage.is_reported();
        let flaky = judge_replies(
            Scenario::Usage,
            Support::Supported,
            &[
                (Scenario::Text, with.clone()),
                (Scenario::Text, without.clone()),
            ],
            has,
        );
        assert_eq!(flaky.verdict, Verdict::Flaky);
        // The same gap in every run of one scenario is not chance: partial, and named.
        let partial = judge_replies(
            Scenario::Usage,
            Support::Supported,
            &[
                (Scenario::Text, with.clone()),
                (Scenario::Tools, without.clone()),
                (Scenario::Text, with.clone()),
                (Scenario::Tools, without.clone()),
            ],
            has,
        );
        assert_eq!(partial.verdict, Verdict::Partial);
        assert!(partial.note.contains("`tools` (2)"), "{}", partial.note);
        let finding = judge_replies(
            Scenario::Usage,
            Support::Unsupported,
            &[(Scenario::Text, with)],
            has,
        );
        assert_eq!(finding.verdict, Verdict::Finding);
        let none = judge_replies(Scenario::Usage, Support::Supported, &[], has);
        assert_eq!(none.verdict, Verdict::Failed);
    }

    #[test]
    fn stream_order_is_checked() {
        let finish = StreamEvent::Finish(FinishReason::Stop);
        let text = StreamEvent::TextDelta("x".into());
        assert!(check_order(&[text.clone(), finish.clone()]).is_ok());
        assert!(check_order(std::slice::from_ref(&text)).is_err());
        assert!(check_order(&[finish.clone(), text.clone()]).is_err());
        assert!(check_order(&[finish.clone(), finish.clone()]).is_err());
        let partial = StreamEvent::ToolCall(ToolCall::new("t", json!("{\"a\":")));
        assert!(check_order(&[partial, finish]).is_err());
    }
}
