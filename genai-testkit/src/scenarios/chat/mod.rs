//! Chat's conformance scenarios: each a plain async function over `&dyn ProviderGen` and a
//! `Mode` that sends the shared conformance prompts and judges one capability; the suite that
//! runs them as declared; the tool loop's scenarios and the safety classifier's.
//! The public surface is re-exported by the parent module.

mod agent;
mod citations;
mod guard;
mod json;
mod logprobs;
mod probe;
mod prompts;
mod reasoning;
mod replies;
mod suite;
mod text;
mod tools;

pub use agent::{run_agent_scenarios, SquareRoot, WordLength};
pub use citations::citations;
pub use guard::run_guard_scenarios;
pub use json::{json_mode, json_schema};
pub use logprobs::logprobs;
pub use probe::{check_order, Ctx, Probe};
pub use prompts::*;
pub use reasoning::reasoning;
pub use suite::{
    reports_rate_limits, run_mode, run_mode_hooked, run_mode_with, run_scenario, run_suite,
    ScenarioHook, SuiteConfig,
};
pub use text::{max_tokens, seed, stop, text};
pub use tools::{tool_bias, tool_choice_forced, tool_result, tools};
