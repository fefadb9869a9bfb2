//! The one judge: the runs of a scenario, each the [`Check`]s it made, to a verdict against
//! what was declared. Chat probes (one check per run, named after the scenario) and every other
//! kind's scenarios (several named checks per run) are judged here alike.

use genai_core::{ErrorKind, Support};

use crate::scenarios::{Check, Outcome};
use crate::scoreboard::{Scenario, ScenarioResult, Verdict};

/// The name of the one check of a run whose model the provider refused before any scenario
/// ran (see [`judge`]).
pub(crate) const MODEL_CHECK: &str = "model";

/// Judges the runs of `scenario`, each run the checks one pass of it made, against what the
/// backend `declared`:
///
/// - declared unsupported: the first check must be refused with
///   [`ErrorKind::Unsupported`] ([`Verdict::Unsupported`]); a call that goes through anyway is a
///   [`Verdict::Finding`], a refusal of another kind a failure. Reasoning and citations are not
///   asked for by an option: not showing them is unsupported too.
/// - declared usable: a run passes when it made checks and every one passed; all runs pass →
///   supported, some → flaky, none → failed. A model the provider refused as unsupported before
///   any scenario (every run one check named `model`) is measured unsupported, as the refusal
///   declares.
///
/// The note: for a chat scenario (one probe per run), what the last passing run saw or the last
/// failure; for a kind's scenarios ([`Scenario::Task`], [`Scenario::AsyncQueue`]: several
/// named checks), the first failing check and its reason, or the checks that passed.
///
/// ```
/// use genai_core::Support;
/// use genai_testkit::scenarios::{judge, Check, Outcome};
/// use genai_testkit::scoreboard::{Scenario, Verdict};
///
/// let pass = || Check::new("embed-order", Outcome::Pass { detail: "in order".into() });
/// let fail = || Check::new("embed-order", Outcome::Fail { reason: "swapped".into() });
/// let flaky = judge(Scenario::Task, Support::Supported, &[vec![pass()], vec![fail()]]);
/// assert_eq!((flaky.verdict, flaky.passed, flaky.runs), (Verdict::Flaky, 1, 2));
/// assert_eq!(flaky.note, "embed-order: swapped");
/// ```
pub fn judge(scenario: Scenario, declared: Support, runs: &[Vec<Check>]) -> ScenarioResult {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let result = |declared, verdict, passed, note| ScenarioResult {
        scenario,
        declared,
        verdict,
        runs: count(runs.len()),
        passed,
        note,
    };
    if !declared.is_usable() {
        let (verdict, passed, note) = undeclared(scenario, runs.iter().flatten().next());
        return result(Support::Unsupported, verdict, passed, note);
    }
    if let Some(message) = refused_model(runs) {
        return result(
            Support::Unsupported,
            Verdict::Unsupported,
            0,
            format!("refused: {message}"),
        );
    }
    let passed = runs
        .iter()
        .filter(|run| !run.is_empty() && run.iter().all(Check::passed))
        .count();
    let verdict = if passed == runs.len() {
        Verdict::Supported
    } else if passed > 0 {
        Verdict::Flaky
    } else {
        Verdict::Failed
    };
    let note = if matches!(scenario, Scenario::Task | Scenario::AsyncQueue) {
        checks_note(runs)
    } else {
        probe_note(verdict, runs)
    };
    result(declared, verdict, count(passed), note)
}

/// A chat probe's note: what the last passing run saw when every run passed, else the last
/// failure.
fn probe_note(verdict: Verdict, runs: &[Vec<Check>]) -> String {
    let mut outcomes = runs.iter().flatten().rev().map(|c| &c.outcome);
    let note = if verdict == Verdict::Supported {
        outcomes.find_map(|o| match o {
            Outcome::Pass { detail } => Some(detail.clone()),
            _ => None,
        })
    } else {
        outcomes.find_map(|o| match o {
            Outcome::Pass { .. } => None,
            Outcome::Fail { reason } => Some(reason.clone()),
            Outcome::Error(e) => Some(format!("error: {e}")),
        })
    };
    note.unwrap_or_default()
}

/// A kind's note: the first failing check and why, else the checks that passed.
fn checks_note(runs: &[Vec<Check>]) -> String {
    let failure = runs.iter().flatten().find_map(|c| match &c.outcome {
        Outcome::Pass { .. } => None,
        Outcome::Fail { reason } => Some(format!("{}: {reason}", c.name)),
        Outcome::Error(e) => Some(format!("{}: {e}", c.name)),
    });
    failure.unwrap_or_else(|| {
        let names: Vec<&str> = runs
            .first()
            .map(|run| run.iter().map(|c| c.name).collect())
            .unwrap_or_default();
        format!("passed: {}", names.join(", "))
    })
}

/// The refusal's message when every run is one `model` check that the provider refused as
/// unsupported (a model reached over a WebSocket only, say).
fn refused_model(runs: &[Vec<Check>]) -> Option<String> {
    fn refused(run: &[Check]) -> Option<&str> {
        match run {
            [only] if only.name == MODEL_CHECK => match &only.outcome {
                Outcome::Error(e) if e.kind() == ErrorKind::Unsupported => Some(e.message()),
                _ => None,
            },
            _ => None,
        }
    }
    if runs.is_empty() || !runs.iter().all(|run| refused(run).is_some()) {
        return None;
    }
    runs.first().and_then(|run| refused(run)).map(str::to_owned)
}

/// The verdict of a scenario declared unsupported, from its first check.
fn undeclared(scenario: Scenario, first: Option<&Check>) -> (Verdict, u32, String) {
    match first.map(|c| &c.outcome) {
        Some(Outcome::Error(e)) if e.kind() == ErrorKind::Unsupported => {
            (Verdict::Unsupported, 0, format!("refused: {}", e.message()))
        }
        // Reasoning and citations are not requested by an option: not showing them is what
        // "unsupported" means.
        Some(Outcome::Fail { reason })
            if matches!(scenario, Scenario::Reasoning | Scenario::Citations) =>
        {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::Error;

    fn pass() -> Outcome {
        Outcome::Pass {
            detail: "ok".into(),
        }
    }

    fn fail() -> Outcome {
        Outcome::Fail {
            reason: "bad".into(),
        }
    }

    /// Chat's runs: one probe each, named after the scenario.
    fn probes(scenario: Scenario, outcomes: Vec<Outcome>) -> Vec<Vec<Check>> {
        outcomes
            .into_iter()
            .map(|o| vec![Check::new(scenario.as_str(), o)])
            .collect()
    }

    fn check(name: &'static str, passed: bool) -> Check {
        Check::new(
            name,
            if passed {
                Outcome::Pass {
                    detail: String::new(),
                }
            } else {
                Outcome::Fail {
                    reason: "wrong".into(),
                }
            },
        )
    }

    #[test]
    fn declared_probes_give_supported_flaky_failed() {
        let json =
            |declared, outcomes| judge(Scenario::Json, declared, &probes(Scenario::Json, outcomes));
        let all = json(Support::Supported, vec![pass(), pass()]);
        assert_eq!(
            (all.verdict, all.passed, all.runs, all.note.as_str()),
            (Verdict::Supported, 2, 2, "ok")
        );
        let some = json(Support::Flaky, vec![pass(), fail()]);
        assert_eq!(
            (some.verdict, some.declared),
            (Verdict::Flaky, Support::Flaky)
        );
        assert_eq!(some.note, "bad");
        let none = json(
            Support::Supported,
            vec![fail(), Outcome::Error(Error::unsupported("nope"))],
        );
        assert_eq!(none.verdict, Verdict::Failed);
        assert!(none.note.contains("unsupported: nope"), "{}", none.note);
    }

    #[test]
    fn undeclared_must_be_refused_with_unsupported() {
        let once = |scenario, outcome| {
            judge(
                scenario,
                Support::Unsupported,
                &probes(scenario, vec![outcome]),
            )
        };
        let refused = once(Scenario::Seed, Outcome::Error(Error::unsupported("x")));
        assert_eq!(refused.verdict, Verdict::Unsupported);
        let wrong = once(Scenario::Seed, Outcome::Error(Error::protocol("x")));
        assert_eq!(wrong.verdict, Verdict::Failed);
        assert!(wrong.note.contains("`protocol`"));
        assert_eq!(once(Scenario::Seed, pass()).verdict, Verdict::Finding);
        assert_eq!(once(Scenario::Stop, fail()).verdict, Verdict::Finding);
        assert_eq!(
            once(Scenario::Reasoning, fail()).verdict,
            Verdict::Unsupported
        );
    }

    #[test]
    fn runs_of_named_checks_are_judged_supported_flaky_or_failed() {
        let task = |runs: &[Vec<Check>]| judge(Scenario::Task, Support::Supported, runs);
        let ok = || vec![check("a", true), check("b", true)];
        let bad = || vec![check("a", true), check("b", false)];
        let all = task(&[ok(), ok()]);
        assert_eq!(all.verdict, Verdict::Supported);
        assert_eq!(all.note, "passed: a, b");
        let some = task(&[ok(), bad()]);
        assert_eq!(
            (some.verdict, some.passed, some.runs),
            (Verdict::Flaky, 1, 2)
        );
        assert_eq!(some.note, "b: wrong");
        assert_eq!(task(&[bad()]).verdict, Verdict::Failed);
        // A run that made no check did not show the task.
        assert_eq!(task(&[vec![]]).verdict, Verdict::Failed);
    }

    #[test]
    fn a_model_refused_as_unsupported_is_measured_unsupported() {
        let refused = || {
            vec![Check::new(
                MODEL_CHECK,
                Outcome::Error(Error::unsupported("over a WebSocket only")),
            )]
        };
        let r = judge(Scenario::Task, Support::Supported, &[refused(), refused()]);
        assert_eq!(
            (r.verdict, r.declared, r.runs, r.passed),
            (Verdict::Unsupported, Support::Unsupported, 2, 0)
        );
        assert_eq!(r.note, "refused: over a WebSocket only");
        // Refused for another reason, it failed.
        let other = vec![Check::new(
            MODEL_CHECK,
            Outcome::Error(Error::protocol("garbled")),
        )];
        let r = judge(Scenario::Task, Support::Supported, &[other]);
        assert_eq!(r.verdict, Verdict::Failed);
        assert_eq!(r.note, "model: protocol: garbled");
    }
}
