//! The runner: every scenario of a mode, judged as declared.

use std::time::Duration;

use super::judge::{judge_declared, judge_replies, judge_undeclared};
use super::probe::{Ctx, Outcome, Probe, DEFAULT_CALL_TIMEOUT};
use super::{
    json_mode, json_schema, logprobs, max_tokens, reasoning, seed, stop, text, tool_bias,
    tool_choice_forced, tools,
};
use crate::scoreboard::{Scenario, ScenarioResult, ScoreRow};
use genai_core::{ChatResponse, FinishReason, Mode, ProviderGen};

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
        note: String::new(),
        cost: cost.known,
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
