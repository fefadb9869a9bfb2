//! The runner: every scenario of a mode, judged as declared.

use std::time::Duration;

use super::probe::{Ctx, Probe, DEFAULT_CALL_TIMEOUT};
use super::replies::judge_replies;
use super::{
    citations, json_mode, json_schema, logprobs, max_tokens, reasoning, seed, stop, text,
    tool_bias, tool_choice_forced, tool_result, tools,
};
use crate::scenarios::{judge, Check, Outcome};
use crate::scoreboard::{Scenario, ScenarioResult, ScoreRow};
use genai_core::{ChatResponse, FinishReason, Mode, ProviderGen, Support};
use std::sync::Mutex;

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
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
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
    run_mode_hooked(provider, mode, config, &NoHook).await
}

/// Runs every scenario in one mode, calling `after` once each scenario is judged (e.g. to save
/// the exchanges of that scenario as a cassette).
pub async fn run_mode_with(
    provider: &dyn ProviderGen,
    mode: Mode,
    config: &SuiteConfig,
    after: &mut (dyn FnMut(Scenario) + Send),
) -> ScoreRow {
    let hook = AfterHook(Mutex::new(after));
    run_mode_hooked(provider, mode, config, &hook).await
}

/// What a run of the suite tells its caller, and what the caller may decide: which scenarios
/// to leave out (a replay without their recordings), and what to do around each one (select
/// the recordings to replay, save what was recorded, advance a progress bar).
pub trait ScenarioHook: Send + Sync {
    /// `Some(reason)` leaves `scenario` out of this mode's row (it gets no result, and the
    /// row's note lists it with the reason); `None` (the default) runs it.
    fn skip(&self, mode: Mode, scenario: Scenario) -> Option<String> {
        let _ = (mode, scenario);
        None
    }

    /// Called before each run of a scenario that sends requests (`run` counts from 0).
    fn before_run(&self, mode: Mode, scenario: Scenario, run: u32) {
        let _ = (mode, scenario, run);
    }

    /// Called once each scenario is judged, skipped ones included.
    fn after(&self, mode: Mode, scenario: Scenario) {
        let _ = (mode, scenario);
    }
}

/// The hook that changes nothing.
struct NoHook;

impl ScenarioHook for NoHook {}

/// [`run_mode_with`]'s closure as a hook.
struct AfterHook<'a>(Mutex<&'a mut (dyn FnMut(Scenario) + Send)>);

impl ScenarioHook for AfterHook<'_> {
    fn after(&self, _mode: Mode, scenario: Scenario) {
        let mut after = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (*after)(scenario);
    }
}

/// Whether `reply` reports the service's rate limits (limit and remaining quota), from its
/// rate-limit headers ([`ChatResponse::rate_limit`]). The `rate_limits` scenario is judged on
/// the replies like `usage`: ✅ only where replies really carry the limits.
pub fn reports_rate_limits(reply: &ChatResponse) -> bool {
    reply
        .rate_limit
        .is_some_and(|rl| rl.limit.is_some() && rl.remaining.is_some())
}

/// Judges a scenario measured on the replies of the others.
fn judge_on_replies(
    scenario: Scenario,
    declared: Support,
    replies: &[(Scenario, ChatResponse)],
) -> ScenarioResult {
    match scenario {
        Scenario::Usage => judge_replies(scenario, declared, replies, |r| {
            r.usage.input_tokens.is_some() && r.usage.output_tokens.is_some()
        }),
        Scenario::FinishReason => judge_replies(scenario, declared, replies, |r| {
            r.finish_reason != FinishReason::Unknown
        }),
        _ => judge_replies(scenario, declared, replies, reports_rate_limits),
    }
}

/// Runs every scenario in one mode, with `hook` told of each one and deciding which to skip.
pub async fn run_mode_hooked(
    provider: &dyn ProviderGen,
    mode: Mode,
    config: &SuiteConfig,
    hook: &dyn ScenarioHook,
) -> ScoreRow {
    let caps = *provider.capabilities().mode(mode);
    let mut results = Vec::with_capacity(Scenario::ALL.len());
    let mut replies: Vec<(Scenario, ChatResponse)> = Vec::new();
    let mut skipped: Vec<(Scenario, String)> = Vec::new();
    for scenario in Scenario::ALL {
        if let Some(reason) = hook.skip(mode, scenario) {
            skipped.push((scenario, reason));
            hook.after(mode, scenario);
            continue;
        }
        let result = if scenario.judged_on_replies() {
            judge_on_replies(scenario, scenario.declared(&caps), &replies)
        } else {
            let (result, seen) = run_scenario_hooked(provider, mode, scenario, config, hook).await;
            replies.extend(seen.into_iter().map(|r| (scenario, r)));
            result
        };
        hook.after(mode, scenario);
        results.push(result);
    }
    let mut cost = genai_core::CostTotal::default();
    for (_, reply) in &replies {
        cost.add(reply.cost);
    }
    ScoreRow {
        model: provider.model().to_string(),
        mode,
        reasoning: caps.reasoning.is_usable(),
        input: caps.input,
        output: caps.output,
        results,
        task: None,
        note: skipped_note(&skipped),
        cost: cost.known,
    }
}

/// `not measured: stop, reasoning (not recorded)`: the skipped scenarios, grouped by reason.
fn skipped_note(skipped: &[(Scenario, String)]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (scenario, reason) in skipped {
        match groups.iter_mut().find(|(r, _)| r == reason) {
            Some((_, names)) => names.push(scenario.as_str()),
            None => groups.push((reason, vec![scenario.as_str()])),
        }
    }
    groups
        .iter()
        .map(|(reason, names)| format!("not measured: {} ({reason})", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
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
    run_scenario_hooked(provider, mode, scenario, config, &NoHook).await
}

async fn run_scenario_hooked(
    provider: &dyn ProviderGen,
    mode: Mode,
    scenario: Scenario,
    config: &SuiteConfig,
    hook: &dyn ScenarioHook,
) -> (ScenarioResult, Vec<ChatResponse>) {
    let declared = scenario.declared(provider.capabilities().mode(mode));
    if scenario.judged_on_replies() {
        let (_, replies) =
            run_scenario_probes(provider, mode, Scenario::Text, config, 1, hook).await;
        let replies: Vec<(Scenario, ChatResponse)> =
            replies.into_iter().map(|r| (Scenario::Text, r)).collect();
        let result = judge_on_replies(scenario, declared, &replies);
        return (result, replies.into_iter().map(|(_, r)| r).collect());
    }
    // Declared unsupported: one run, which must be refused.
    let runs = if declared.is_usable() {
        config.runs.max(1)
    } else {
        1
    };
    let (checks, replies) = run_scenario_probes(provider, mode, scenario, config, runs, hook).await;
    (judge(scenario, declared, &checks), replies)
}

async fn run_scenario_probes(
    provider: &dyn ProviderGen,
    mode: Mode,
    scenario: Scenario,
    config: &SuiteConfig,
    runs: u32,
    hook: &dyn ScenarioHook,
) -> (Vec<Vec<Check>>, Vec<ChatResponse>) {
    let mut checks = Vec::new();
    let mut replies = Vec::new();
    let ctx = Ctx {
        provider,
        mode,
        timeout: config.call_timeout,
    };
    for run in 0..runs {
        hook.before_run(mode, scenario, run);
        let probe = match scenario {
            Scenario::Text | Scenario::Usage | Scenario::FinishReason | Scenario::RateLimits => {
                text(ctx).await
            }
            Scenario::Seed => seed(ctx).await,
            Scenario::MaxTokens => max_tokens(ctx).await,
            Scenario::Stop => stop(ctx).await,
            Scenario::Json => json_mode(ctx).await,
            Scenario::JsonSchema => json_schema(ctx).await,
            Scenario::Tools => tools(ctx).await,
            Scenario::ToolResult => tool_result(ctx).await,
            Scenario::Citations => citations(ctx).await,
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
        // A probe is one check, named after its scenario.
        checks.push(vec![Check::new(scenario.as_str(), probe.outcome)]);
    }
    (checks, replies)
}
