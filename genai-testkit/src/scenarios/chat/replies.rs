//! `usage`, `finish_reason` and `rate_limits`: judged on the replies of the other scenarios
//! (the runs of every other scenario go to the one judge, `scenarios::judge`).

use crate::scoreboard::{Scenario, ScenarioResult, Verdict};
use genai_core::{ChatResponse, Support};

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
    use genai_core::Usage;

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
