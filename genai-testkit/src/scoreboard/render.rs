//! Renders a [`Scoreboard`] as the Cloudflare scoreboard Markdown table, or as JSON, and holds
//! the project's seed list of Cloudflare model ids.
//!
//! ```
//! use genai_testkit::scoreboard::Scoreboard;
//! use genai_testkit::fake::ScriptedChat;
//! use genai_testkit::scenarios::{run_suite, SuiteConfig};
//! use genai_testkit::scoreboard::{render_markdown, Pick};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let fake = ScriptedChat::new("fake/model");
//! let rows = run_suite(&fake, &SuiteConfig { runs: 1, ..SuiteConfig::default() }).await;
//! let mut board = Scoreboard::new("fake", "emulator", rows);
//! board.mark_unmeasured(["fake/model", "fake/other"]);
//! let md = render_markdown(&board, &[("fake/model", Pick::Best)]);
//! assert!(md.starts_with("# Scoreboard: fake (emulator)\n"));
//! assert!(md.contains("| fake/model 🥇 | Sync🧠"));
//! assert!(md.contains("| fake/other "));
//! # });
//! ```

use std::fmt::Write as _;

use super::{Scenario, ScenarioResult, ScoreRow, Scoreboard, Verdict};
use genai_core::{Modalities, Mode};

/// The project's seed list of Cloudflare model ids, one per line (clean ASCII).
pub const SEED_MODELS: &str = include_str!("../../models.txt");

/// The ids of [`SEED_MODELS`], in order, without blank lines.
pub fn seed_models() -> impl Iterator<Item = &'static str> {
    SEED_MODELS.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// A mark shown after a model's name; [`medals`](super::medals) gives them to the three chat models with the
/// most that works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// 🥇 the first.
    Best,
    /// 🥈 the second.
    Good,
    /// 🥉 the third.
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

/// Cell marks: the reference scoreboard's, then ours.
pub(crate) mod mark {
    pub(crate) const WORKS: &str = "✅";
    pub(crate) const FLAKY: &str = "💨";
    pub(crate) const NO: &str = "❌";
    pub(crate) const FORCED: &str = "🪨";
    pub(crate) const FREE_FORM: &str = "☁️";
    pub(crate) const SCHEMA: &str = "📐";
    pub(crate) const SEED: &str = "🌱";
    pub(crate) const MAX_TOKENS: &str = "📏";
    pub(crate) const STOP: &str = "🛑";
    pub(crate) const SYNC: &str = "Sync";
    pub(crate) const STREAM: &str = "Stream";
    pub(crate) const REASONING: &str = "🧠";
    pub(crate) const NOT_MEASURED: &str = "➖";
    pub(crate) const UNMEASURED_MODEL: &str = "?";
    pub(crate) const NOT_CHAT: &str = "🧩";
    pub(crate) const RETIRED: &str = "🪦";
}

/// The legend printed under the table: the reference scoreboard's symbols, then the marks
/// this scoreboard adds.
pub const LEGEND: &str = "\
Legend:
- Mode: `Sync` the reply comes back whole once generated; `Stream` the reply comes as it is generated. 🧠 the model thinks before it answers, its reasoning kept apart from the answer.
- ✅ works in every run; 💨 works only sometimes (flaky), or is reported by some replies only; ❌ does not work, or genai does not support it.
- ➛In / Out➛: what the model reads / writes: 💬 text, 📸 image, 🎤 audio, 🎥 video, 📄 document (PDF, office files, web pages: converted to Markdown by the provider before the call, not read natively).
- Tool: tool calling (a call with the right argument, an answer from the tool's result, a pick between two options); 🪨 added when a call can be forced.
- JSON: ✅ free-form JSON and JSON following a schema; ☁️ free form only; 📐 schema only.
- Batch: requests through the provider's asynchronous batch queue.
- File: large files uploaded and stored through a separate API (genai has no such API).
- Cite: citations of a document given in the request.
- Text: the text options that work: 🌱 seed (the same answer twice), 📏 max tokens (the reply is cut at the limit), 🛑 stop sequence (the reply ends before it).
- Probs: log-probabilities of the generated tokens.
- Limits: the replies report the rate limits, remaining quota included.
- Usage: the replies report input and output tokens. Finish: the replies say why generation stopped.
- 🥇 🥈 🥉 after a model id: the three chat models with the most that works, both modes counted (each ✅ counts 2, each 💨 1, each mark of Text 1, 🪨 1).
Added here:
- 🧩 (Mode): not a chat model (embeddings, images, speech...). The mark after it says whether its own task works (✅ every run, 💨 some, ❌ never). ➛In, Out➛ and Batch mean what they mean for chat models; the other columns are ➖, not measured by chat scenarios.
- ?: a model that was not measured.
- 🪦 (Mode) and a day: a model the provider retired that day; no longer served, so nothing is measured (the replacements are under Notes).
- `## Notes`: the reason behind each 💨, each partial result and each scenario not measured, folded per reason. `## Warnings`: findings (declared unsupported, yet it worked) and failures (declared, never worked).
";

/// How well one scenario worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Works {
    Never,
    Sometimes,
    Always,
}

fn works(r: &ScenarioResult) -> Works {
    match r.verdict {
        Verdict::Supported => Works::Always,
        Verdict::Flaky | Verdict::Partial => Works::Sometimes,
        Verdict::Finding if r.runs > 0 && r.passed == r.runs => Works::Always,
        Verdict::Finding if r.passed > 0 => Works::Sometimes,
        Verdict::Finding | Verdict::Unsupported | Verdict::Failed => Works::Never,
    }
}

fn works_of(row: &ScoreRow, scenario: Scenario) -> Option<Works> {
    row.result(scenario).map(works)
}

fn level(w: Option<Works>) -> &'static str {
    match w {
        Some(Works::Always) => mark::WORKS,
        Some(Works::Sometimes) => mark::FLAKY,
        Some(Works::Never) | None => mark::NO,
    }
}

/// The scenarios behind a column of a chat row.
pub(crate) fn column_scenarios(column: &str) -> &'static [Scenario] {
    match column {
        "Tool" => &[
            Scenario::Tools,
            Scenario::ToolResult,
            Scenario::ToolBias,
            Scenario::ToolChoiceForced,
        ],
        "JSON" => &[Scenario::Json, Scenario::JsonSchema],
        "Text" => &[
            Scenario::Seed,
            Scenario::MaxTokens,
            Scenario::Stop,
            Scenario::Text,
        ],
        "Cite" => &[Scenario::Citations],
        "Probs" => &[Scenario::Logprobs],
        "Limits" => &[Scenario::RateLimits],
        "Usage" => &[Scenario::Usage],
        "Finish" => &[Scenario::FinishReason],
        "Batch" => &[Scenario::AsyncQueue],
        "Mode" => &[Scenario::Reasoning, Scenario::Task],
        _ => &[],
    }
}

fn tool_cell(row: &ScoreRow) -> String {
    let calls = works_of(row, Scenario::Tools).unwrap_or(Works::Never);
    if calls == Works::Never {
        return mark::NO.to_owned();
    }
    let all = [Scenario::Tools, Scenario::ToolResult, Scenario::ToolBias]
        .iter()
        .filter_map(|s| works_of(row, *s))
        .all(|w| w == Works::Always);
    let mut cell = if all { mark::WORKS } else { mark::FLAKY }.to_owned();
    if works_of(row, Scenario::ToolChoiceForced) == Some(Works::Always) {
        cell.push_str(mark::FORCED);
    }
    cell
}

fn json_cell(row: &ScoreRow) -> &'static str {
    let free = works_of(row, Scenario::Json) == Some(Works::Always);
    let schema = works_of(row, Scenario::JsonSchema) == Some(Works::Always);
    match (free, schema) {
        (true, true) => mark::WORKS,
        (true, false) => mark::FREE_FORM,
        (false, true) => mark::SCHEMA,
        (false, false) => mark::NO,
    }
}

fn text_cell(row: &ScoreRow) -> String {
    let mut cell = String::new();
    for (scenario, m) in [
        (Scenario::Seed, mark::SEED),
        (Scenario::MaxTokens, mark::MAX_TOKENS),
        (Scenario::Stop, mark::STOP),
    ] {
        if works_of(row, scenario) == Some(Works::Always) {
            cell.push_str(m);
        }
    }
    if cell.is_empty() {
        cell.push_str(mark::NO);
    }
    cell
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

/// The cells of `row` after the model id, one per column of [`COLUMNS`] but the first, in the
/// reference scoreboard's vocabulary.
///
/// ```
/// use genai_testkit::scoreboard::{row_cells, ScoreRow};
/// use genai_core::Modalities;
/// let row = ScoreRow::not_chat("@cf/baai/bge-m3", "Text Embeddings", Modalities::TEXT, Modalities::default());
/// assert_eq!(row_cells(&row)[..4], ["🧩", "💬", "➖", "➖"]);
/// ```
pub fn row_cells(row: &ScoreRow) -> Vec<String> {
    if !row.is_chat() {
        let mut mode = mark::NOT_CHAT.to_owned();
        if let Some(w) = works_of(row, Scenario::Task) {
            mode.push_str(level(Some(w)));
        }
        return COLUMNS[1..]
            .iter()
            .map(|column| match *column {
                "Mode" => mode.clone(),
                "➛In" => modalities(&row.input),
                "Out➛" => modalities(&row.output),
                "Batch" => level(works_of(row, Scenario::AsyncQueue)).to_owned(),
                _ => mark::NOT_MEASURED.to_owned(),
            })
            .collect();
    }
    COLUMNS[1..]
        .iter()
        .map(|column| match *column {
            "Mode" => {
                let mut mode = match row.mode {
                    Mode::Sync => mark::SYNC,
                    Mode::Stream => mark::STREAM,
                }
                .to_owned();
                if row.reasoning {
                    mode.push_str(mark::REASONING);
                }
                mode
            }
            "➛In" => modalities(&row.input),
            "Out➛" => modalities(&row.output),
            "Tool" => tool_cell(row),
            "JSON" => json_cell(row).to_owned(),
            "Text" => text_cell(row),
            "File" => mark::NO.to_owned(),
            other => {
                let scenario = column_scenarios(other).first().copied();
                level(scenario.and_then(|s| works_of(row, s))).to_owned()
            }
        })
        .collect()
}

/// `model (sync)` for a chat row, `model` for any other.
fn who(row: &ScoreRow) -> String {
    if row.is_chat() {
        format!("{} ({})", row.model, row.mode.as_str())
    } else {
        row.model.clone()
    }
}

/// The column a scenario's result shows in.
fn column_of(row: &ScoreRow, scenario: Scenario) -> &'static str {
    if !row.is_chat() {
        return match scenario {
            Scenario::AsyncQueue => "Batch",
            _ => "Mode",
        };
    }
    COLUMNS[1..]
        .iter()
        .find(|c| column_scenarios(c).contains(&scenario))
        .copied()
        .unwrap_or("Mode")
}

/// Lines `reason: who, who, ...`, one per distinct reason, in first-seen order.
#[derive(Debug, Default)]
struct Folded(Vec<(String, Vec<String>)>);

impl Folded {
    fn add(&mut self, reason: String, who: String) {
        match self.0.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, all)) => {
                if !all.contains(&who) {
                    all.push(who);
                }
            }
            None => self.0.push((reason, vec![who])),
        }
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(reason, all)| {
                let n = all.len();
                let rows = if n == 1 {
                    String::new()
                } else {
                    format!(" ({n} rows)")
                };
                format!("{reason}{rows}: {}", all.join(", "))
            })
            .collect()
    }
}

/// The reason a result is worth a line: the column, scenario, verdict and note.
fn reason(row: &ScoreRow, r: &ScenarioResult) -> String {
    format!(
        "{} `{}` {}: {}",
        column_of(row, r.scenario),
        r.scenario,
        r.verdict,
        r.note
    )
}

/// The `## Notes` lines: rows' own notes (not a chat model, scenarios not measured) and every
/// flaky or partial result, folded per reason.
fn notes(board: &Scoreboard) -> Vec<String> {
    let mut folded = Folded::default();
    for row in &board.rows {
        if !row.note.is_empty() {
            folded.add(row.note.clone(), who(row));
        }
        for r in &row.results {
            if matches!(r.verdict, Verdict::Flaky | Verdict::Partial) {
                folded.add(reason(row, r), who(row));
            }
        }
    }
    folded.lines()
}

/// The `## Warnings` lines: findings and failures folded per reason, then the board's other
/// warnings.
fn warnings(board: &Scoreboard) -> Vec<String> {
    let mut folded = Folded::default();
    let mut from_rows: Vec<String> = Vec::new();
    for row in &board.rows {
        from_rows.extend(row.problems());
        for r in row.results.iter().filter(|r| r.verdict.is_problem()) {
            folded.add(reason(row, r), who(row));
        }
    }
    let mut lines = folded.lines();
    lines.extend(
        board
            .warnings
            .iter()
            .filter(|w| !from_rows.contains(w))
            .cloned(),
    );
    lines
}

/// Renders the scoreboard as Markdown: a header line, the table (one row per chat model and
/// mode, one 🧩 row per model of another kind, then a `?` row per unmeasured model), the
/// legend, `## Warnings` (findings and failures) and `## Notes` (the reasons behind the
/// cells), both folded per reason.
///
/// `picks` puts 🥇🥈🥉 after the named models ([`medals`](super::medals) gives them a
/// meaning). Cells are
/// padded to equal display width (see [`display_width`]) so the raw text lines up too.
pub fn render_markdown(board: &Scoreboard, picks: &[(&str, Pick)]) -> String {
    let mut table: Vec<Vec<String>> = vec![COLUMNS.iter().map(|c| c.to_string()).collect()];
    for row in &board.rows {
        let mut cells = vec![model_cell(&row.model, picks)];
        cells.extend(row_cells(row));
        table.push(cells);
    }
    for model in &board.unmeasured {
        let mut cells = vec![model_cell(model, picks)];
        cells.extend((1..COLUMNS.len()).map(|_| mark::UNMEASURED_MODEL.to_string()));
        table.push(cells);
    }
    // A retired model keeps its row, in model order among the measured ones: its day in the
    // Mode cell, nothing measured.
    for retired in &board.retired {
        let mut cells = vec![model_cell(&retired.model, picks)];
        cells.push(format!("{} {}", mark::RETIRED, retired.retired_on));
        cells.extend((2..COLUMNS.len()).map(|_| mark::NOT_MEASURED.to_string()));
        let id_of = |row: &Vec<String>| row[0].split_whitespace().next().unwrap_or("").to_owned();
        let at = table
            .iter()
            .skip(1)
            .position(|row| id_of(row).as_str() > retired.model.as_str())
            .map_or(table.len(), |i| i + 1);
        table.insert(at, cells);
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
    let warnings = warnings(board);
    if warnings.is_empty() {
        out.push_str("None.\n");
    }
    for w in warnings {
        let _ = writeln!(out, "- {}", w.replace(['\n', '\r'], " "));
    }
    let mut notes = notes(board);
    for retired in &board.retired {
        let instead = match retired.replacements.as_slice() {
            [] => String::new(),
            list => format!("; use {} instead", list.join(" or ")),
        };
        notes.push(format!(
            "{}: retired on {}{instead}.",
            retired.model, retired.retired_on
        ));
    }
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

/// The JSON form of the scoreboard: the serde form of [`Scoreboard`], each row with its
/// `cells` as well (column name to the cell [`render_markdown`] prints).
///
/// ```
/// use genai_testkit::scoreboard::{board_json, ScoreRow, Scoreboard};
/// use genai_core::Modalities;
/// let row = ScoreRow::not_chat("e", "Text Embeddings", Modalities::TEXT, Modalities::default());
/// let json = board_json(&Scoreboard::new("p", "emulator", vec![row])).unwrap();
/// assert_eq!(json["rows"][0]["cells"]["Mode"], "🧩");
/// assert_eq!(json["rows"][0]["cells"]["Batch"], "❌");
/// ```
pub fn board_json(board: &Scoreboard) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(board)?;
    if let Some(rows) = value
        .get_mut("rows")
        .and_then(serde_json::Value::as_array_mut)
    {
        for (row, json) in board.rows.iter().zip(rows) {
            let cells: serde_json::Map<String, serde_json::Value> = COLUMNS[1..]
                .iter()
                .zip(row_cells(row))
                .map(|(column, cell)| ((*column).to_owned(), serde_json::Value::String(cell)))
                .collect();
            if let Some(object) = json.as_object_mut() {
                object.insert("cells".to_owned(), serde_json::Value::Object(cells));
            }
        }
    }
    Ok(value)
}

/// Renders the scoreboard as pretty JSON ([`board_json`]).
pub fn render_json(board: &Scoreboard) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&board_json(board)?)
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
    use genai_core::Support;

    fn result(scenario: Scenario, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            scenario,
            declared: Support::Supported,
            verdict,
            runs: 3,
            passed: if verdict == Verdict::Supported { 3 } else { 1 },
            note: format!("{scenario} note"),
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

    fn cells(row: &ScoreRow) -> Vec<String> {
        row_cells(row)
    }

    #[test]
    fn widths_count_emoji_as_two() {
        for mark in [
            "✅", "💨", "❌", "➖", "🧠", "💬", "📸", "🎤", "🎥", "📄", "🥇", "🥈", "🥉", "🪨",
            "☁️", "📐", "🌱", "📏", "🛑", "🧩",
        ] {
            assert_eq!(display_width(mark), 2, "{mark}");
        }
        assert_eq!(display_width("Sync🧠"), 6);
        assert_eq!(display_width("Out➛"), 4);
        assert_eq!(display_width("@cf/meta/llama-3.2-3b-instruct"), 30);
    }

    #[test]
    fn tool_cells_follow_the_reference_legend() {
        use Scenario::*;
        use Verdict::*;
        let tool = |v: [Verdict; 4]| {
            let row = chat_row(
                "m",
                Mode::Sync,
                vec![
                    result(Tools, v[0]),
                    result(ToolResult, v[1]),
                    result(ToolBias, v[2]),
                    result(ToolChoiceForced, v[3]),
                ],
            );
            cells(&row)[3].clone()
        };
        assert_eq!(tool([Supported, Supported, Supported, Supported]), "✅🪨");
        assert_eq!(tool([Supported, Supported, Supported, Unsupported]), "✅");
        assert_eq!(tool([Supported, Failed, Supported, Unsupported]), "💨");
        assert_eq!(tool([Flaky, Supported, Supported, Supported]), "💨🪨");
        assert_eq!(tool([Failed, Supported, Supported, Supported]), "❌");
        assert_eq!(
            tool([Unsupported, Unsupported, Unsupported, Unsupported]),
            "❌"
        );
    }

    #[test]
    fn json_text_and_level_cells_follow_the_reference_legend() {
        use Scenario::*;
        use Verdict::*;
        let row = |json: Verdict, schema: Verdict| {
            cells(&chat_row(
                "m",
                Mode::Stream,
                vec![result(Json, json), result(JsonSchema, schema)],
            ))[4]
                .clone()
        };
        assert_eq!(row(Supported, Supported), "✅");
        assert_eq!(row(Supported, Unsupported), "☁️");
        assert_eq!(row(Failed, Supported), "📐");
        assert_eq!(row(Flaky, Failed), "❌");
        let text = |seed: Verdict, max: Verdict, stop: Verdict| {
            cells(&chat_row(
                "m",
                Mode::Sync,
                vec![
                    result(Seed, seed),
                    result(MaxTokens, max),
                    result(Stop, stop),
                ],
            ))[8]
                .clone()
        };
        assert_eq!(text(Supported, Supported, Supported), "🌱📏🛑");
        assert_eq!(text(Supported, Supported, Failed), "🌱📏");
        assert_eq!(text(Unsupported, Flaky, Unsupported), "❌");
        let c = cells(&chat_row(
            "m",
            Mode::Sync,
            vec![
                result(Usage, Partial),
                result(FinishReason, Supported),
                result(Logprobs, Unsupported),
                result(RateLimits, Unsupported),
                result(Citations, Finding),
            ],
        ));
        // Mode In Out Tool JSON Batch File Cite Text Probs Limits Usage Finish
        assert_eq!(c[0], "Sync");
        assert_eq!(&c[5..], ["❌", "❌", "💨", "❌", "❌", "❌", "💨", "✅"]);
    }

    #[test]
    fn rows_are_aligned_and_notes_are_folded_per_reason() {
        let rows: Vec<ScoreRow> = ["a", "b|c"]
            .iter()
            .flat_map(|m| {
                [Mode::Sync, Mode::Stream].map(|mode| {
                    chat_row(
                        m,
                        mode,
                        vec![
                            result(Scenario::Usage, Verdict::Partial),
                            result(Scenario::Json, Verdict::Finding),
                        ],
                    )
                })
            })
            .collect();
        let mut board = Scoreboard::new("p", "replay", rows);
        board.mark_unmeasured(["a-much-longer-model-id"]);
        let md = render_markdown(&board, &[("b|c", Pick::Cheap)]);
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(lines.len(), 7);
        let widths: Vec<usize> = lines.iter().map(|l| display_width(l)).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{md}");
        assert!(
            lines[4].starts_with("| b\\|c 🥉 ") && lines[4].contains("| Sync "),
            "{md}"
        );
        assert!(lines[6].starts_with("| a-much-longer-model-id | ?"));
        let notes = md.split("\n## Notes\n").nth(1).expect("notes");
        assert_eq!(
            notes.lines().filter(|l| l.starts_with("- ")).count(),
            1,
            "one line for one reason: {notes}"
        );
        assert!(
            notes.contains(
                "- Usage `usage` partial: usage note (4 rows): a (sync), a (stream), b|c (sync), b|c (stream)"
            ),
            "{notes}"
        );
        let warnings = md.split("\n## Warnings\n").nth(1).expect("warnings");
        assert!(
            warnings.contains("- JSON `json` finding: json note (4 rows)"),
            "{warnings}"
        );
    }

    #[test]
    fn a_non_chat_row_keeps_in_out_and_batch_and_says_whether_its_task_works() {
        let input = Modalities::TEXT;
        let output = Modalities {
            image: true,
            ..Modalities::default()
        };
        let mut row = ScoreRow::not_chat("flux", "Text-to-Image", input, output);
        let c = cells(&row);
        assert_eq!(&c[..3], ["🧩", "💬", "📸"]);
        assert_eq!(c[5], "❌", "Batch without a queue");
        assert!(
            c[3..].iter().enumerate().all(|(i, x)| i == 2 || x == "➖"),
            "{c:?}"
        );
        row.results = vec![
            result(Scenario::Task, Verdict::Supported),
            result(Scenario::AsyncQueue, Verdict::Flaky),
        ];
        let c = cells(&row);
        assert_eq!(c[0], "🧩✅");
        assert_eq!(c[5], "💨");
    }
}
