//! Conformance scenarios, written once and run against any [`ProviderGen`].
//!
//! Each scenario is a plain async function over `&dyn ProviderGen` and a [`Mode`] that sends
//! the shared conformance prompts and judges one capability. [`run_suite`] picks what to expect
//! from the provider's declared [`capabilities`](genai_core::ProviderGen::capabilities):
//!
//! - declared unsupported: one call, which must be refused with [`ErrorKind::Unsupported`]; a
//!   call that goes through anyway is a [`Verdict::Finding`], never hidden;
//! - declared supported or flaky: [`SuiteConfig::runs`] runs; all pass → supported, some →
//!   flaky, none → failed (with the last reason in the note).
//!
//! `usage`, `finish_reason` and `rate_limits` are judged on the replies of the other scenarios
//! of the same mode. In stream mode, events must be well ordered (one `Finish`, last; complete tool calls).
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
//!
//! Every scenario shares a [`Ctx`] (provider, mode, per-call limit) and returns a [`Probe`]
//! (an [`Outcome`] and the replies received); [`run_scenario`] turns probes into a
//! [`ScenarioResult`](crate::scoreboard::ScenarioResult).
//!
//! [`ProviderGen`]: genai_core::ProviderGen
//! [`Mode`]: genai_core::Mode
//! [`ErrorKind::Unsupported`]: genai_core::ErrorKind::Unsupported
//! [`Verdict::Finding`]: crate::scoreboard::Verdict::Finding

mod citations;
mod json;
mod judge;
mod logprobs;
mod probe;
mod prompts;
mod reasoning;
mod suite;
mod text;
mod tools;

pub use citations::citations;
pub use json::{json_mode, json_schema};
pub use logprobs::logprobs;
pub use probe::{check_order, Ctx, Outcome, Probe};
pub use prompts::*;
pub use reasoning::reasoning;
pub use suite::{
    reports_rate_limits, run_mode, run_mode_hooked, run_mode_with, run_scenario, run_suite,
    ScenarioHook, SuiteConfig,
};
pub use text::{max_tokens, seed, stop, text};
pub use tools::{tool_bias, tool_choice_forced, tool_result, tools};
