//! The scoreboard speaks the reference scoreboard's language: every cell of the default
//! offline table, of the JSON form and of the replay of the reference's own recordings is a
//! mark the reference's legend gives that column; the replay is nowhere worse than the
//! reference's table, and each cell where it is better is explained.
//!
//! The recordings and the reference table live in `../shared` (not part of this repository);
//! the tests that need them print why and pass without checking when it is absent (and fail
//! on CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{command, temp_dir};

/// The chat models of the reference's recordings.
const RECORDED: [&str; 3] = [
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
    "@cf/meta/llama-3.2-3b-instruct",
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
];

/// `genai scoreboard ARGS` without credentials in the environment.
fn offline(args: &[&str]) -> Command {
    let mut cmd = command(&["scoreboard"]);
    cmd.args(args)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_API_TOKEN");
    cmd
}

/// `genai scoreboard ARGS` offline, which must succeed.
fn scoreboard(args: &[&str]) -> Output {
    let out = offline(args).output().expect("genai runs");
    assert!(
        out.status.success(),
        "genai scoreboard {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const COLUMNS: [&str; 14] = [
    "Model", "Mode", "➛In", "Out➛", "Tool", "JSON", "Batch", "File", "Cite", "Text", "Probs",
    "Limits", "Usage", "Finish",
];

/// `s` is `prefix` followed by any ordered subset of `marks` (each at most once).
fn ordered_subset<'a>(mut s: &'a str, marks: &[&str]) -> &'a str {
    for m in marks {
        if let Some(rest) = s.strip_prefix(m) {
            s = rest;
        }
    }
    s
}

/// Whether `cell` is a mark of the reference's legend for `column` of a chat row.
fn chat_vocabulary(column: &str, cell: &str) -> bool {
    let level = |c: &str| matches!(c, "✅" | "💨" | "❌");
    match column {
        "Mode" => {
            let base = cell.strip_suffix("🧠").unwrap_or(cell);
            base == "Sync" || base == "Stream"
        }
        "➛In" | "Out➛" => {
            cell == "➖"
                || (!cell.is_empty()
                    && ordered_subset(cell, &["💬", "📸", "🎤", "🎥", "📄"]).is_empty())
        }
        "Tool" => {
            let base = cell.strip_suffix("🪨").unwrap_or(cell);
            level(base) && !(base == "❌" && cell != base)
        }
        "JSON" => matches!(cell, "✅" | "☁️" | "📐" | "❌"),
        "Text" => {
            cell == "❌"
                || (!cell.is_empty() && ordered_subset(cell, &["🌱", "📏", "🛑"]).is_empty())
        }
        _ => level(cell),
    }
}

/// Whether `cell` is what a row of another kind may show in `column`.
fn task_vocabulary(column: &str, cell: &str) -> bool {
    match column {
        "Mode" => matches!(cell, "🧩" | "🧩✅" | "🧩💨" | "🧩❌"),
        "➛In" | "Out➛" => chat_vocabulary(column, cell),
        "Batch" => matches!(cell, "✅" | "💨" | "❌"),
        _ => cell == "➖",
    }
}

/// Whether `cell` is what the row of a retired model may show in `column`: 🪦 and its day in
/// Mode, nothing measured elsewhere.
fn retired_vocabulary(column: &str, cell: &str) -> bool {
    match column {
        "Mode" => cell.strip_prefix("🪦 ").is_some_and(|day| {
            day.len() == 10
                && day.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
        }),
        _ => cell == "➖",
    }
}

/// Every cell of `rows` outside its column's vocabulary, as `model column=cell`.
fn outside_vocabulary(rows: &[Vec<String>]) -> Vec<String> {
    let mut bad = Vec::new();
    for cells in rows {
        let chat = !cells[1].starts_with('🧩');
        for (column, cell) in COLUMNS.iter().zip(cells).skip(1) {
            let ok = if cells[1].starts_with('🪦') {
                retired_vocabulary(column, cell)
            } else if chat {
                chat_vocabulary(column, cell)
            } else {
                task_vocabulary(column, cell)
            };
            if !ok {
                bad.push(format!("{} {column}={cell}", cells[0]));
            }
        }
    }
    bad
}

/// The cells of each model row of a Markdown table.
fn table_rows(md: &str) -> Vec<Vec<String>> {
    md.lines()
        .filter(|l| l.starts_with("| @"))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_vocabulary_check_itself_tells_marks_apart() {
    assert!(chat_vocabulary("Tool", "💨🪨") && !chat_vocabulary("Tool", "❌🪨"));
    assert!(!chat_vocabulary("Tool", "🌓") && !chat_vocabulary("Mode", "🕰️"));
    assert!(chat_vocabulary("Text", "🌱🛑") && !chat_vocabulary("Text", "🛑🌱"));
    assert!(!chat_vocabulary("Text", "✅") && !chat_vocabulary("Usage", "➖"));
    assert!(task_vocabulary("Tool", "➖") && !task_vocabulary("Text", "✅"));
    assert!(retired_vocabulary("Mode", "🪦 2026-05-30") && !retired_vocabulary("Mode", "🪦"));
    assert!(!retired_vocabulary("Tool", "✅") && retired_vocabulary("Usage", "➖"));
}

#[test]
fn the_default_offline_table_uses_only_the_reference_legend() {
    let out = scoreboard(&["--runs", "1"]);
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(md.lines().next().unwrap_or_default().contains("emulator"));
    let rows = table_rows(&md);
    assert!(
        rows.iter().filter(|r| r[1].starts_with("Sync")).count() > 10,
        "{md}"
    );
    let bad = outside_vocabulary(&rows);
    assert!(
        bad.is_empty(),
        "{} cells outside the legend: {bad:?}",
        bad.len()
    );
    // /ai/run replies carry no rate limits.
    assert!(rows
        .iter()
        .filter(|r| !r[1].starts_with('🧩') && !r[1].starts_with('🪦'))
        .all(|r| r[11] == "❌"));
    // Rows in a stable order: by model id, sync before stream.
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r[0].split_whitespace().next().unwrap_or_default())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "{ids:?}");
    // Medals have a meaning: the three models with the most that works, each once.
    for medal in ["🥇", "🥈", "🥉"] {
        let mut marked: Vec<&str> = rows
            .iter()
            .zip(&ids)
            .filter(|(r, _)| r[0].contains(medal))
            .map(|(_, id)| *id)
            .collect();
        marked.dedup();
        assert_eq!(marked.len(), 1, "{medal} on {marked:?}");
    }
    // Notes are folded: one line per reason, not one per row.
    let notes = md.split("\n## Notes\n").nth(1).unwrap_or_default();
    let lines: Vec<&str> = notes.lines().filter(|l| l.starts_with("- ")).collect();
    let mut reasons: Vec<&str> = lines
        .iter()
        .map(|l| l.split(": @").next().unwrap_or(l))
        .collect();
    reasons.dedup();
    assert_eq!(reasons.len(), lines.len(), "{notes}");
}

#[test]
fn the_json_form_carries_the_same_cells() {
    let out = scoreboard(&[
        "--runs",
        "1",
        "--format",
        "json",
        "--model",
        "@cf/meta/llama-3.2-3b-instruct",
        "--model",
        "@cf/baai/bge-m3",
    ]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let json: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    let rows: Vec<Vec<String>> = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let mut cells = vec![row["model"].as_str().unwrap_or_default().to_owned()];
            cells.extend(
                COLUMNS[1..]
                    .iter()
                    .map(|c| row["cells"][c].as_str().unwrap_or("(none)").to_owned()),
            );
            cells
        })
        .collect();
    // Only the models asked for: two chat rows and one row of another kind.
    assert_eq!(rows.len(), 3, "{text}");
    assert!(json["unmeasured"].as_array().is_some_and(Vec::is_empty));
    let bad = outside_vocabulary(&rows);
    assert!(bad.is_empty(), "{bad:?}");
}

/// The recordings directory and the reference's table beside it.
fn reference() -> Option<(PathBuf, PathBuf)> {
    let dir = crate::support::recordings_or_skip("scoreboard_reference")?;
    let table = dir.join("../../docs/seed-scoreboard.md");
    assert!(table.is_file(), "{} is missing", table.display());
    Some((dir, table))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn the_replay_of_the_reference_recordings_is_nowhere_worse_and_explains_what_is_better() {
    let Some((dir, table)) = reference() else {
        return;
    };
    let out = scoreboard(&[
        "--replay",
        path(&dir),
        "--runs",
        "1",
        "--compare",
        path(&table),
    ]);
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    let (board, comparison) = md.split_once("## Compare with").expect("a comparison");
    let rows = table_rows(board);
    let bad = outside_vocabulary(&rows);
    assert!(bad.is_empty(), "{bad:?}");
    for model in RECORDED {
        for mode in ["Sync", "Stream"] {
            assert!(
                rows.iter()
                    .any(|r| r[0].split_whitespace().next() == Some(model)
                        && r[1].trim_end_matches('🧠') == mode),
                "{model} {mode}: no row\n{board}"
            );
        }
    }
    assert!(!board.contains('💥') && !rows.iter().flatten().any(|c| c == "?"));
    let summary = comparison
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(summary.starts_with("compare: "), "{comparison}");
    assert!(summary.contains(" 0 worse,"), "{comparison}");
    let (changes, notes) = comparison
        .split_once("### Notes")
        .unwrap_or((comparison, ""));
    let better: Vec<&str> = changes
        .lines()
        .filter(|l| l.ends_with("(better)"))
        .collect();
    assert!(
        !better.is_empty(),
        "the client reads finish reasons the reference never did"
    );
    for line in better {
        let cell = line.trim_start_matches("- ").trim_end_matches(" (better)");
        assert!(
            notes.lines().any(|n| n.starts_with(&format!("- {cell}: "))),
            "no note explains {cell}"
        );
    }
}

#[test]
fn the_replay_in_json_compares_too() {
    let Some((dir, table)) = reference() else {
        return;
    };
    let mut args = vec!["--replay", path(&dir), "--runs", "1", "--format", "json"];
    args.extend(["--compare", path(&table)]);
    for m in RECORDED {
        args.extend(["--model", m]);
    }
    let out = scoreboard(&args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let cells = json["compare"]["cells"].as_array().expect("compare cells");
    assert!(cells.iter().all(|c| c["change"] != "worse"), "{cells:?}");
    // Each better cell says why and what was measured.
    let better: Vec<&serde_json::Value> =
        cells.iter().filter(|c| c["change"] == "better").collect();
    assert!(!better.is_empty());
    for c in better {
        assert!(c["why"].as_str().is_some_and(|w| !w.is_empty()), "{c}");
        assert!(
            c["measured"]
                .as_str()
                .is_some_and(|m| m.contains("supported")),
            "{c}"
        );
    }
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(6));
}

#[test]
fn a_live_run_names_its_base_url_and_prints_only_the_models_asked_for() {
    use genai_testkit::emulator::{Emulator, EmulatorConfig};
    let token = "header-test-token";
    let emulator = Emulator::start(EmulatorConfig::default().token(token)).expect("emulator");
    let model = "@cf/meta/llama-3.2-3b-instruct";
    let out = command(&["scoreboard", "--runs", "1", "--model", model])
        .env("CLOUDFLARE_API_TOKEN", token)
        .env("CLOUDFLARE_API_BASE_URL", emulator.base_url())
        .output()
        .expect("genai runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    let first = md.lines().next().unwrap_or_default();
    assert!(
        first.contains(&emulator.base_url()) && !first.contains("Cloudflare Workers AI"),
        "the header says where the run went: {first}"
    );
    let rows = table_rows(&md);
    assert_eq!(rows.len(), 2, "{md}");
    assert!(rows.iter().all(|r| r[0].starts_with(model)), "{md}");
}

#[test]
fn comparing_with_a_file_that_has_no_table_is_an_error() {
    let dir = temp_dir("no-table");
    let file = dir.join("not-a-scoreboard.md");
    std::fs::write(&file, "# Not a scoreboard\n\nJust words.\n").expect("write");
    let out = offline(&["--runs", "1", "--model", RECORDED[1], "--compare"])
        .arg(&file)
        .output()
        .expect("genai runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no scoreboard table"), "{err}");
}
