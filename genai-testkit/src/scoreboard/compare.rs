//! `--compare`: our table against another in the same format (such as the reference
//! scoreboard's), cell by cell.
//!
//! ```
//! use genai_testkit::scoreboard::{compare, parse_table, Change};
//! let theirs = parse_table("| m | Sync | 💬 | 💬 | 💨 | ☁️ | ❌ | ❌ | ❌ | 🌱📏 | ❌ | ❌ | 💨 | 💨 |\n");
//! let ours = parse_table("| m 🥇 | Sync | 💬 | 💬 | ✅ | 📐 | ❌ | ❌ | ❌ | 🌱 | ❌ | ❌ | 💨 | ✅ |\n");
//! let report = compare(&theirs, &ours);
//! let changes: Vec<(&str, Change)> = report.cells.iter().map(|c| (c.column.as_str(), c.change)).collect();
//! assert_eq!(changes, [("Tool", Change::Better), ("JSON", Change::Differs),
//!                      ("Text", Change::Worse), ("Finish", Change::Better)]);
//! assert_eq!(report.summary(), "compare: 2 better, 1 worse, 1 differs, 9 same");
//! ```

use serde::Serialize;

use super::render::{column_scenarios, row_cells, Pick, COLUMNS};
use super::Scoreboard;

/// One row of a parsed table: the model id (without medals), the mode without 🧠 (`Sync`,
/// `Stream`, or whatever the table says), and every cell after the model id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// The model id.
    pub model: String,
    /// The mode, 🧠 removed.
    pub mode: String,
    /// The cells of [`COLUMNS`] after `Model`, trimmed.
    pub cells: Vec<String>,
}

/// The rows of every Markdown table line of `text` that has a cell per column of [`COLUMNS`]
/// (the header and separator lines are left out).
pub fn parse_table(text: &str) -> Vec<TableRow> {
    let medals: &[char] = &['🥇', '🥈', '🥉'];
    text.lines()
        .filter(|l| l.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<String> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{a0}', ""))
                .collect();
            if cells.len() < COLUMNS.len() || cells[0] == "Model" || cells[0].starts_with('-') {
                return None;
            }
            let model = cells[0]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches(medals)
                .to_owned();
            Some(TableRow {
                model,
                mode: cells[1].replace('🧠', "").trim().to_owned(),
                cells: cells[1..COLUMNS.len()].to_vec(),
            })
        })
        .collect()
}

/// How a cell of ours compares with theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Ours shows more that works.
    Better,
    /// Ours shows less that works.
    Worse,
    /// Different, and neither is more (☁️ against 📐, a mark outside the legend...).
    Differs,
}

impl Change {
    /// `better`, `worse` or `differs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Differs => "differs",
        }
    }
}

/// One differing cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// The model id.
    pub model: String,
    /// The mode, as in the tables (🧠 removed).
    pub mode: String,
    /// The column.
    pub column: String,
    /// Their cell.
    pub theirs: String,
    /// Our cell.
    pub ours: String,
    /// Better, worse or differs.
    pub change: Change,
}

impl CellChange {
    /// `MODEL MODE COLUMN: THEIRS -> OURS (better|worse|differs)`.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}: {} -> {} ({})",
            self.model,
            self.mode,
            self.column,
            self.theirs,
            self.ours,
            self.change.as_str()
        )
    }
}

/// The differences between two tables, over the rows both have (same model and mode).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Every differing cell, in our row order.
    pub cells: Vec<CellChange>,
    /// Cells that are the same.
    pub same: usize,
}

impl Comparison {
    /// How many cells changed that way.
    pub fn count(&self, change: Change) -> usize {
        self.cells.iter().filter(|c| c.change == change).count()
    }

    /// `compare: B better, W worse, D differs, S same`.
    pub fn summary(&self) -> String {
        format!(
            "compare: {} better, {} worse, {} differs, {} same",
            self.count(Change::Better),
            self.count(Change::Worse),
            self.count(Change::Differs),
            self.same
        )
    }
}

/// The order of a cell within its column: higher shows more that works; `None` for a mark
/// the column's legend does not have.
///
/// ```
/// use genai_testkit::scoreboard::rank;
/// assert!(rank("Tool", "💨🪨") > rank("Tool", "💨"));
/// assert_eq!(rank("JSON", "☁️"), rank("JSON", "📐"));
/// assert_eq!(rank("Text", "🌱📏"), Some(2));
/// assert_eq!(rank("Usage", "?"), None);
/// ```
pub fn rank(column: &str, cell: &str) -> Option<u32> {
    let level = |mark: &str| match mark {
        "✅" => Some(2),
        "💨" => Some(1),
        "❌" => Some(0),
        _ => None,
    };
    match column {
        "Text" => {
            if cell == "❌" {
                return Some(0);
            }
            let known = ["🌱", "📏", "🛑"];
            let mut rest = cell.to_owned();
            let mut n = 0;
            for k in known {
                if rest.contains(k) {
                    n += 1;
                    rest = rest.replace(k, "");
                }
            }
            rest.trim().is_empty().then_some(n)
        }
        "Tool" => {
            let forced = cell.contains('🪨');
            let base = cell.replace('🪨', "").replace("🕸️", "");
            level(base.trim()).map(|b| b * 2 + u32::from(forced))
        }
        "JSON" => match cell {
            "✅" => Some(2),
            "☁️" | "☁" | "📐" => Some(1),
            "❌" => Some(0),
            _ => None,
        },
        "Mode" | "➛In" | "Out➛" => None,
        _ => level(cell),
    }
}

/// The 🥇🥈🥉 of `board`: the three chat models whose cells, both modes counted, show the most
/// that works (see [`LEGEND`]); ties go to the model listed first. Models with nothing that
/// works get none.
///
/// ```
/// use genai_testkit::scoreboard::{medals, Scoreboard};
/// assert!(medals(&Scoreboard::new("p", "emulator", vec![])).is_empty());
/// ```
pub fn medals(board: &Scoreboard) -> Vec<(String, Pick)> {
    let mut scores: Vec<(String, u32)> = Vec::new();
    for row in board.rows.iter().filter(|r| r.is_chat()) {
        let cells = row_cells(row);
        let score: u32 = COLUMNS[1..]
            .iter()
            .zip(&cells)
            .filter_map(|(column, cell)| rank(column, cell))
            .sum();
        match scores.iter_mut().find(|(m, _)| *m == row.model) {
            Some(entry) => entry.1 += score,
            None => scores.push((row.model.clone(), score)),
        }
    }
    // A stable sort keeps the listing order among equal scores.
    scores.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
    scores
        .into_iter()
        .filter(|(_, score)| *score > 0)
        .zip([Pick::Best, Pick::Good, Pick::Cheap])
        .map(|((model, _), pick)| (model, pick))
        .collect()
}

/// Compares `ours` with `theirs` cell by cell, over the rows of the same model and mode.
pub fn compare(theirs: &[TableRow], ours: &[TableRow]) -> Comparison {
    let mut report = Comparison::default();
    for row in ours {
        let Some(other) = theirs
            .iter()
            .find(|t| t.model == row.model && t.mode == row.mode)
        else {
            continue;
        };
        for (i, column) in COLUMNS[1..].iter().enumerate() {
            let (a, b) = (&other.cells[i], &row.cells[i]);
            if a == b || (*column == "Mode" && a.replace('🧠', "") == b.replace('🧠', "")) {
                report.same += 1;
                continue;
            }
            let change = match (rank(column, a), rank(column, b)) {
                (Some(x), Some(y)) if y > x => Change::Better,
                (Some(x), Some(y)) if y < x => Change::Worse,
                _ => Change::Differs,
            };
            report.cells.push(CellChange {
                model: row.model.clone(),
                mode: row.mode.clone(),
                column: (*column).to_owned(),
                theirs: a.clone(),
                ours: b.clone(),
                change,
            });
        }
    }
    report
}

/// What the run measured behind `change`'s cell: each scenario of its column with its
/// verdict and note, from our row of the same model and mode.
///
/// ```
/// use genai_testkit::scoreboard::{evidence, CellChange, Change, Scoreboard};
/// let change = CellChange {
///     model: "m".into(), mode: "Sync".into(), column: "Finish".into(),
///     theirs: "💨".into(), ours: "✅".into(), change: Change::Better,
/// };
/// assert_eq!(evidence(&Scoreboard::new("p", "emulator", vec![]), &change), "no row of ours to explain it");
/// ```
pub fn evidence(board: &Scoreboard, change: &CellChange) -> String {
    let Some(row) = board.rows.iter().find(|r| {
        r.is_chat() && r.model == change.model && r.mode.as_str().eq_ignore_ascii_case(&change.mode)
    }) else {
        return "no row of ours to explain it".to_owned();
    };
    let parts: Vec<String> = column_scenarios(&change.column)
        .iter()
        .filter_map(|s| row.result(*s))
        .map(|r| {
            format!(
                "`{}` {} ({}/{}): {}",
                r.scenario, r.verdict, r.passed, r.runs, r.note
            )
        })
        .collect();
    if parts.is_empty() {
        "no scenario of the column was measured".to_owned()
    } else {
        parts.join("; ")
    }
}

/// The comparison as Markdown: a `## Compare with NAME` section with one line per differing
/// cell, `### Notes` explaining each better cell by what our run measured (after `why`'s
/// explanation of the column, when it has one: what the backend does that makes the
/// difference), and the summary line last.
pub fn render_comparison(
    name: &str,
    board: &Scoreboard,
    report: &Comparison,
    why: &dyn Fn(&CellChange) -> Option<String>,
) -> String {
    let mut out = format!("\n## Compare with {name}\n\n");
    if report.cells.is_empty() {
        out.push_str("No differing cell.\n");
    }
    for c in &report.cells {
        out.push_str(&format!("- {}\n", c.line()));
    }
    let better: Vec<&CellChange> = report
        .cells
        .iter()
        .filter(|c| c.change == Change::Better)
        .collect();
    if !better.is_empty() {
        out.push_str("\n### Notes\n\n");
        for c in better {
            let because = why(c)
                .map(|w| format!("{w}; measured: "))
                .unwrap_or_default();
            out.push_str(&format!(
                "- {} {} {}: {} -> {}: {because}{}\n",
                c.model,
                c.mode,
                c.column,
                c.theirs,
                c.ours,
                evidence(board, c).replace(['\n', '\r'], " ")
            ));
        }
    }
    out.push('\n');
    out.push_str(&report.summary());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoreboard::{Scenario, ScenarioResult, ScoreRow, Verdict};
    use genai_core::{Modalities, Mode, Support};

    fn result(scenario: Scenario, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            scenario,
            declared: Support::Supported,
            verdict,
            runs: 3,
            passed: 3,
            note: String::new(),
        }
    }

    fn chat_row(model: &str, mode: Mode, results: Vec<ScenarioResult>) -> ScoreRow {
        ScoreRow {
            model: model.into(),
            mode,
            reasoning: false,
            input: Modalities::TEXT,
            output: Modalities::TEXT,
            results,
            task: None,
            note: String::new(),
            cost: None,
        }
    }

    #[test]
    fn medals_go_to_the_models_with_the_most_that_works() {
        use Scenario::*;
        use Verdict::*;
        let good = vec![result(Usage, Supported), result(FinishReason, Supported)];
        let some = vec![result(Usage, Supported)];
        let board = Scoreboard::new(
            "p",
            "emulator",
            vec![
                chat_row("none", Mode::Sync, vec![]),
                chat_row("some", Mode::Sync, some),
                chat_row("good", Mode::Sync, good),
            ],
        );
        let m = medals(&board);
        assert_eq!(
            m,
            [
                ("good".to_owned(), Pick::Best),
                ("some".to_owned(), Pick::Good)
            ]
        );
    }
}
