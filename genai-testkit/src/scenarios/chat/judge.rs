//! The verdicts: declared scenarios over several runs, undeclared ones that must be refused,
//! and `usage` / `finish_reason` judged on the replies of the other scenarios.

use crate::scenarios::Outcome;
use crate::scoreboard::{Scenario, ScenarioResult, Verdict};
use genai_core::{ChatResponse, ErrorKind, Support};

pub(super) fn judge_declared(
    scenario: Scenario,
    declared: Support,
    outcomes: &[Outcome],
) -> ScenarioResult {
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

pub(super) fn judge_undeclared(scenario: Scenario, outcomes: &[Outcome]) -> ScenarioResult {
    let runs = outcomes.len() as u32;
    let (verdict, passed, note) = match outcomes.first() {
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
pub(super) fn judge_replies(
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

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::{Error, Usage};

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
}
