//! Renders a [`Scoreboard`] as the Cloudflare scoreboard Markdown table, or as JSON, and holds
//! the project's seed list of Cloudflare model ids.
//!
//! ```
//! use genai_testkit::scoreboard::Scoreboard;
//! use genai_testkit::fake::ScriptedProvider;
//! use genai_testkit::scenarios::{run_suite, SuiteConfig};
//! use genai_testkit::scoreboard::{render_markdown, Pick};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let fake = ScriptedProvider::new("fake/model");
//! let rows = run_suite(&fake, &SuiteConfig { runs: 1, ..SuiteConfig::default() }).await;
//! let mut board = Scoreboard::new("fake", "emulator", rows);
//! board.mark_unmeasured(["fake/model", "fake/other"]);
//! let md = render_markdown(&board, &[("fake/model", Pick::Best)]);
//! assert!(md.starts_with("# Scoreboard: fake (emulator)\n"));
//! assert!(md.contains("| fake/model 🥇 | 🕰️🧠"));
//! assert!(md.contains("| fake/other "));
//! # });
//! ```

use std::fmt::Write as _;

use super::{Scenario, ScoreRow, Scoreboard, Verdict};
use genai_core::{Modalities, Mode};

/// The project's seed list of Cloudflare model ids, one per line (clean ASCII).
pub const SEED_MODELS: &str = include_str!("../../models.txt");

/// The ids of [`SEED_MODELS`], in order, without blank lines.
pub fn seed_models() -> impl Iterator<Item = &'static str> {
    SEED_MODELS.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// A recommendation mark shown after a model's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// 🥇 the best model.
    Best,
    /// 🥈 a good model.
    Good,
    /// 🥉 a cheap model.
    Cheap,
}

impl Pick {
    /// The mark: 🥇, 🥈 or 🥉.
    pub fn mark(self) -> &'static str {
        match self {
            Pick::Best => "🥇",
            Pick::Good => "🥈",
            Pick::Cheap => "🥉",
        }
    }
}

/// The table's columns, in order.
pub const COLUMNS: [&str; 14] = [
    "Model", "Mode", "➛In", "Out➛", "Tool", "JSON", "Batch", "File", "Cite", "Text", "Probs",
    "Limits", "Usage", "Finish",
];

/// Cell marks.
mod mark {
    pub(super) const SUPPORTED: &str = "✅";
    pub(super) const PARTIAL: &str = "🌓";
    pub(super) const FLAKY: &str = "🤪";
    pub(super) const UNSUPPORTED: &str = "❌";
    pub(super) const BROKEN: &str = "💥";
    pub(super) const NOT_MEASURED: &str = "➖";
    pub(super) const NO_RESULT: &str = "❓";
    pub(super) const UNMEASURED_MODEL: &str = "?";
    pub(super) const SYNC: &str = "🕰️";
    pub(super) const STREAM: &str = "📡";
    pub(super) const REASONING: &str = "🧠";
    pub(super) const NOT_CHAT: &str = "🧩";
}

/// The legend printed under the table.
pub const LEGEND: &str = "\
Legend:
- Mode: 🕰️ sync (`gen_sync`), 📡 stream (`gen_stream`); 🧠 the model reasons in this mode.
- ➛In / Out➛: what the model reads / writes: 💬 text, 📸 image, 🎤 audio, 🎥 video, 📄 document; ➖ none declared.
- ✅ supported: declared, and every run of every scenario of the column passed.
- 🧩 (Mode) not a chat model: chat scenarios do not measure it (its task is under Notes); its Text cell is \"the task works\", its Batch cell \"the async queue works\", ➖ until measured.
- 🌓 partly supported: some scenarios of the column supported, the others declared unsupported and refused, or shown by the replies of some scenarios and never by others; see Notes.
- 🤪 flaky: declared, but runs of the same scenario disagree (some passed, some failed); see Notes.
- ❌ unsupported: declared unsupported, and refused with `unsupported`.
- 💥 broken: a finding (declared unsupported, yet the call went through) or a failure (declared, never passed, or refused with the wrong error); see Warnings.
- ➖ not measured by the conformance suite (File, Cite; Batch on models without an async queue; every column of a 🧩 row but Text and Batch).
- ❓ no result for this column.
- ? a catalog model that was not measured.
- 🥇 best pick, 🥈 good pick, 🥉 cheap pick.
- Columns: Tool = tools + tool_choice_forced + tool_bias; JSON = json + json_schema; Limits = max_tokens + stop + seed; Text = text; Probs = logprobs; Usage = usage; Finish = finish_reason.
";

/// The scenarios a column aggregates; `None` for columns the suite does not measure.
fn column_scenarios(column: &str) -> Option<&'static [Scenario]> {
    Some(match column {
        "Tool" => &[
            Scenario::Tools,
            Scenario::ToolChoiceForced,
            Scenario::ToolBias,
        ],
        "JSON" => &[Scenario::Json, Scenario::JsonSchema],
        "Limits" => &[Scenario::MaxTokens, Scenario::Stop, Scenario::Seed],
        "Text" => &[Scenario::Text],
        "Probs" => &[Scenario::Logprobs],
        "Usage" => &[Scenario::Usage],
        "Finish" => &[Scenario::FinishReason],
        _ => return None,
    })
}

/// The scenarios a column shows on a non-chat row (see [`ScoreRow::task`]).
fn task_column_scenarios(column: &str) -> &'static [Scenario] {
    match column {
        "Text" => &[Scenario::Task],
        "Batch" => &[Scenario::AsyncQueue],
        _ => &[],
    }
}

/// The mark of a column from its scenarios' verdicts.
fn combine(verdicts: &[Verdict]) -> &'static str {
    if verdicts.is_empty() {
        mark::NO_RESULT
    } else if verdicts.iter().any(|v| v.is_problem()) {
        mark::BROKEN
    } else if verdicts.iter().all(|v| *v == Verdict::Supported) {
        mark::SUPPORTED
    } else if verdicts.iter().all(|v| *v == Verdict::Unsupported) {
        mark::UNSUPPORTED
    } else if verdicts.contains(&Verdict::Flaky) {
        mark::FLAKY
    } else {
        mark::PARTIAL
    }
}

fn modalities(m: &Modalities) -> String {
    let mut out = String::new();
    for (on, mark) in [
        (m.text, "💬"),
        (m.image, "📸"),
        (m.audio, "🎤"),
        (m.video, "🎥"),
        (m.document, "📄"),
    ] {
        if on {
            out.push_str(mark);
        }
    }
    if out.is_empty() {
        out.push_str(mark::NOT_MEASURED);
    }
    out
}

/// Markdown-safe cell text: no pipe, no line break.
fn cell_text(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn model_cell(model: &str, picks: &[(&str, Pick)]) -> String {
    let mut cell = cell_text(model);
    for (_, pick) in picks.iter().filter(|(m, _)| *m == model) {
        cell.push(' ');
        cell.push_str(pick.mark());
    }
    cell
}

fn row_cells(row: &ScoreRow, picks: &[(&str, Pick)]) -> Vec<String> {
    let mut mode = match row.mode {
        _ if !row.is_chat() => mark::NOT_CHAT,
        Mode::Sync => mark::SYNC,
        Mode::Stream => mark::STREAM,
    }
    .to_string();
    if row.reasoning {
        mode.push_str(mark::REASONING);
    }
    let mut cells = vec![
        model_cell(&row.model, picks),
        mode,
        modalities(&row.input),
        modalities(&row.output),
    ];
    for column in &COLUMNS[4..] {
        let cell = match column_verdicts(row, column) {
            None => mark::NOT_MEASURED,
            Some(verdicts) => combine(&verdicts),
        };
        cells.push(cell.to_string());
    }
    cells
}

/// The verdicts behind one cell; `None` when the column is not measured for this row.
fn column_verdicts(row: &ScoreRow, column: &str) -> Option<Vec<Verdict>> {
    // Batch is measured on any row that has an async-queue result (chat models with a queue
    // included); elsewhere it is not measured.
    let batch = column == "Batch";
    let scenarios = if batch {
        &[Scenario::AsyncQueue][..]
    } else if row.is_chat() {
        column_scenarios(column)?
    } else {
        task_column_scenarios(column)
    };
    let verdicts: Vec<Verdict> = scenarios.iter().filter_map(|s| row.verdict(*s)).collect();
    if verdicts.is_empty() && (batch || !row.is_chat()) {
        return None;
    }
    Some(verdicts)
}

/// One line per cell that needs its reason told: 🌓 and 🤪 cells, and rows without results.
fn notes(board: &Scoreboard) -> Vec<String> {
    let mut out = Vec::new();
    for row in &board.rows {
        let mode = if row.is_chat() {
            format!(" ({})", row.mode.as_str())
        } else {
            String::new()
        };
        if !row.note.is_empty() {
            out.push(format!("{}{mode}: {}", row.model, row.note));
        }
        for column in &COLUMNS[4..] {
            let Some(verdicts) = column_verdicts(row, column) else {
                continue;
            };
            let cell = combine(&verdicts);
            if cell != mark::PARTIAL && cell != mark::FLAKY {
                continue;
            }
            let reasons: Vec<String> = row
                .results
                .iter()
                .filter(|r| r.verdict != Verdict::Supported)
                .filter(|r| {
                    let scenarios = if row.is_chat() {
                        column_scenarios(column).unwrap_or(&[])
                    } else {
                        task_column_scenarios(column)
                    };
                    scenarios.contains(&r.scenario)
                })
                .map(|r| {
                    format!(
                        "`{}` {} ({}/{} passed): {}",
                        r.scenario, r.verdict, r.passed, r.runs, r.note
                    )
                })
                .collect();
            out.push(format!(
                "{}{mode} {column} {cell}: {}",
                row.model,
                reasons.join("; ")
            ));
        }
    }
    out
}

/// Renders the scoreboard as Markdown: a header line, the table (one row per model and mode,
/// one 🧩 row per model that is not a chat model, then a `?` row per unmeasured catalog
/// model), the legend, a `## Warnings` section (findings and failures), and a `## Notes`
/// section that gives the reason of every 🌓, 🤪 and 🧩 cell.
///
/// `picks` puts 🥇🥈🥉 after the named models. Cells are padded to equal display width (see
/// [`display_width`]) so the raw text lines up too.
pub fn render_markdown(board: &Scoreboard, picks: &[(&str, Pick)]) -> String {
    let mut table: Vec<Vec<String>> = vec![COLUMNS.iter().map(|c| c.to_string()).collect()];
    for row in &board.rows {
        table.push(row_cells(row, picks));
    }
    for model in &board.unmeasured {
        let mut cells = vec![model_cell(model, picks)];
        cells.extend((1..COLUMNS.len()).map(|_| mark::UNMEASURED_MODEL.to_string()));
        table.push(cells);
    }
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|i| {
            table
                .iter()
                .map(|r| display_width(&r[i]))
                .max()
                .unwrap_or(0)
                .max(3)
        })
        .collect();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Scoreboard: {} ({})",
        cell_text(&board.provider),
        cell_text(&board.source)
    );
    out.push('\n');
    for (i, cells) in table.iter().enumerate() {
        push_line(&mut out, cells, &widths);
        if i == 0 {
            let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            push_line(&mut out, &dashes, &widths);
        }
    }
    out.push('\n');
    out.push_str(LEGEND);
    out.push_str("\n## Warnings\n\n");
    if board.warnings.is_empty() {
        out.push_str("None.\n");
    }
    for w in &board.warnings {
        let _ = writeln!(out, "- {}", w.replace(['\n', '\r'], " "));
    }
    let notes = notes(board);
    if !notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for n in notes {
            let _ = writeln!(out, "- {}", n.replace(['\n', '\r'], " "));
        }
    }
    out
}

fn push_line(out: &mut String, cells: &[String], widths: &[usize]) {
    out.push('|');
    for (cell, width) in cells.iter().zip(widths) {
        out.push(' ');
        out.push_str(cell);
        out.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(display_width(cell)),
        ));
        out.push_str(" |");
    }
    out.push('\n');
}

/// Renders the scoreboard as pretty JSON (the serde form of [`Scoreboard`]).
pub fn render_json(board: &Scoreboard) -> serde_json::Result<String> {
    serde_json::to_string_pretty(board)
}

/// The number of terminal columns `s` takes: emoji and East Asian wide characters count 2,
/// variation selectors, zero-width joiners and combining marks 0, and a character followed by
/// the emoji variation selector (U+FE0F) counts 2.
///
/// Enough for the marks and ids of a scoreboard; not a full Unicode width implementation.
///
/// ```
/// use genai_testkit::scoreboard::display_width;
/// assert_eq!(display_width("abc"), 3);
/// assert_eq!(display_width("✅"), 2);
/// assert_eq!(display_width("🕰️"), 2); // U+1F570 U+FE0F
/// assert_eq!(display_width("➛In"), 3);
/// ```
pub fn display_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if is_zero_width(c) {
            continue;
        }
        if chars.peek() == Some(&'\u{FE0F}') || is_wide(c) {
            width += 2;
        } else {
            width += 1;
        }
    }
    width
}

fn is_zero_width(c: char) -> bool {
    matches!(c,
        '\u{FE00}'..='\u{FE0F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{0300}'..='\u{036F}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{E0100}'..='\u{E01EF}')
}

fn is_wide(c: char) -> bool {
    matches!(c,
        // Emoji presentation characters of the symbol blocks.
        '\u{231A}'..='\u{231B}' | '\u{23E9}'..='\u{23EC}' | '\u{23F0}' | '\u{23F3}'
        | '\u{25FD}'..='\u{25FE}' | '\u{2614}'..='\u{2615}' | '\u{2648}'..='\u{2653}'
        | '\u{267F}' | '\u{2693}' | '\u{26A1}' | '\u{26AA}'..='\u{26AB}'
        | '\u{26BD}'..='\u{26BE}' | '\u{26C4}'..='\u{26C5}' | '\u{26CE}' | '\u{26D4}'
        | '\u{26EA}' | '\u{26F2}'..='\u{26F3}' | '\u{26F5}' | '\u{26FA}' | '\u{26FD}'
        | '\u{2705}' | '\u{270A}'..='\u{270B}' | '\u{2728}' | '\u{274C}' | '\u{274E}'
        | '\u{2753}'..='\u{2755}' | '\u{2757}' | '\u{2795}'..='\u{2797}' | '\u{27B0}'
        | '\u{27BF}' | '\u{2B1B}'..='\u{2B1C}' | '\u{2B50}' | '\u{2B55}'
        // East Asian wide and fullwidth.
        | '\u{1100}'..='\u{115F}' | '\u{2E80}'..='\u{303E}' | '\u{3041}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}' | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}' | '\u{FFE0}'..='\u{FFE6}'
        // Pictographs and emoji planes.
        | '\u{1F000}'..='\u{1FAFF}' | '\u{20000}'..='\u{3FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoreboard::ScenarioResult;
    use genai_core::Support;

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

    #[test]
    fn columns_combine_their_scenarios() {
        use Verdict::*;
        assert_eq!(combine(&[Supported, Supported]), "✅");
        assert_eq!(combine(&[Supported, Unsupported]), "🌓");
        assert_eq!(combine(&[Supported, Flaky, Unsupported]), "🤪");
        assert_eq!(combine(&[Unsupported, Unsupported]), "❌");
        assert_eq!(combine(&[Supported, Finding]), "💥");
        assert_eq!(combine(&[Failed]), "💥");
        assert_eq!(combine(&[]), "❓");
    }

    #[test]
    fn widths_count_emoji_as_two() {
        for mark in [
            "✅", "🌓", "🤪", "❌", "💥", "➖", "❓", "🕰️", "📡", "🧠", "💬", "📸", "🎤", "🎥",
            "📄", "🥇", "🥈", "🥉",
        ] {
            assert_eq!(display_width(mark), 2, "{mark}");
        }
        assert_eq!(display_width("🕰️🧠"), 4);
        assert_eq!(display_width("Out➛"), 4);
        assert_eq!(display_width("@cf/meta/llama-3.2-3b-instruct"), 30);
    }

    #[test]
    fn rows_are_aligned_and_marked() {
        let row = ScoreRow {
            model: "m|x".into(),
            mode: Mode::Stream,
            reasoning: true,
            input: Modalities {
                image: true,
                ..Modalities::TEXT
            },
            output: Modalities::TEXT,
            results: vec![
                result(Scenario::Tools, Verdict::Supported),
                result(Scenario::ToolChoiceForced, Verdict::Unsupported),
                result(Scenario::Json, Verdict::Finding),
                result(Scenario::Text, Verdict::Flaky),
            ],
            task: None,
            note: String::new(),
            cost: None,
        };
        let mut board = Scoreboard::new("p", "replay", vec![row]);
        board.mark_unmeasured(["a-much-longer-model-id"]);
        let md = render_markdown(&board, &[("m|x", Pick::Cheap), ("m|x", Pick::Good)]);
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(lines.len(), 4);
        let widths: Vec<usize> = lines.iter().map(|l| display_width(l)).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{md}");
        let cells: Vec<&str> = lines[2].split(" | ").map(str::trim).collect();
        assert_eq!(cells[0], "| m\\|x 🥉 🥈");
        assert_eq!(&cells[1..6], ["📡🧠", "💬📸", "💬", "🌓", "💥"]);
        assert_eq!(cells[6], "➖");
        assert_eq!(cells[9], "🤪");
        assert_eq!(cells[11], "❓");
        assert!(lines[3].starts_with("| a-much-longer-model-id | ?"));
        assert!(md.contains("## Warnings\n\n- m|x (stream) json: finding"));
        assert!(md.contains("\n- m|x (stream) Tool 🌓: `tool_choice_forced` unsupported"));
        assert!(md.contains("\n- m|x (stream) Text 🤪: `text` flaky"));
    }

    #[test]
    fn a_non_chat_model_gets_a_row_that_says_so_and_task_results_fill_it() {
        let input = Modalities::TEXT;
        let output = Modalities {
            image: true,
            ..Modalities::default()
        };
        let mut row = ScoreRow::not_chat("flux", "Text-to-Image", input, output);
        let board = Scoreboard::new("p", "emulator", vec![row.clone()]);
        let md = render_markdown(&board, &[]);
        let line = md.lines().find(|l| l.starts_with("| flux")).unwrap();
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        assert_eq!(&cells[1..4], ["🧩", "💬", "📸"]);
        assert!(
            cells[4..]
                .iter()
                .all(|c| c.trim_end_matches('|').trim() == "➖"),
            "{line}"
        );
        assert!(!line.contains('💥') && !line.contains('?'));
        assert!(md.contains(
            "- flux: not a chat model (Text-to-Image): not measurable by chat scenarios"
        ));
        assert!(board.warnings.is_empty());

        // The hook: task scenario results give the row real Text and Batch cells.
        row.results = vec![
            result(Scenario::Task, Verdict::Supported),
            result(Scenario::AsyncQueue, Verdict::Unsupported),
        ];
        row.note.clear();
        let md = render_markdown(&Scoreboard::new("p", "emulator", vec![row]), &[]);
        let line = md.lines().find(|l| l.starts_with("| flux")).unwrap();
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        assert_eq!(cells[6], "❌", "Batch: {line}");
        assert_eq!(cells[9], "✅", "Text: {line}");
        assert_eq!(cells[4], "➖");
    }

    #[test]
    fn a_partial_verdict_is_half_a_moon_not_flaky() {
        use Verdict::*;
        assert_eq!(combine(&[Partial]), "🌓");
        assert_eq!(combine(&[Supported, Partial]), "🌓");
    }
}
