//! A backend written against the testkit gets its own scoreboard: `run_scoreboard` plans and
//! drives the run over any `genai_core::Provider`, here the testkit's fake standing in for a
//! third-party backend (the example of `docs/backends.md`).

use genai_core::{ErrorKind, Mode, Support};
use genai_testkit::fake::{ScriptedCatalog, ScriptedChat};
use genai_testkit::scenarios::SuiteConfig;
use genai_testkit::scoreboard::{
    medals, render_markdown, row_cells, run_scoreboard, NoObserver, RunObserver, RunOptions,
    Scenario,
};

/// An "acme" backend with two models; the small one cannot call tools when streaming.
fn acme() -> ScriptedCatalog {
    let mut no_tools = ScriptedChat::all_capabilities();
    no_tools.tools = Support::Unsupported;
    no_tools.tool_choice_forced = Support::Unsupported;
    ScriptedCatalog::new("acme")
        .with_model(ScriptedChat::new("acme/large"))
        .with_model(ScriptedChat::new("acme/small").with_mode_capabilities(Mode::Stream, no_tools))
}

fn options() -> RunOptions {
    RunOptions {
        suite: SuiteConfig {
            runs: 2,
            ..SuiteConfig::default()
        },
        ..RunOptions::new("acme test double")
    }
}

#[tokio::test]
async fn a_third_party_backend_gets_its_own_table() {
    let report = run_scoreboard(&acme(), &options(), &NoObserver)
        .await
        .expect("the run");
    let board = &report.board;
    assert_eq!(report.failed_connections, 0);
    // Its own catalog, not the seed list: two models, sync and stream each.
    let rows: Vec<(&str, Mode)> = board
        .rows
        .iter()
        .map(|r| (r.model.as_str(), r.mode))
        .collect();
    assert_eq!(
        rows,
        [
            ("acme/large", Mode::Sync),
            ("acme/large", Mode::Stream),
            ("acme/small", Mode::Sync),
            ("acme/small", Mode::Stream)
        ]
    );
    assert!(
        board.unmeasured.is_empty() && board.warnings.is_empty(),
        "{board:?}"
    );
    // Tool: forced calls work where tools are declared; the small model's stream refuses them.
    let tool = |i: usize| row_cells(&board.rows[i])[3].clone();
    assert_eq!(
        [tool(0), tool(1), tool(2), tool(3)],
        ["✅🪨", "✅🪨", "✅🪨", "❌"]
    );
    let picks = medals(board);
    assert_eq!(picks.first().map(|(m, _)| m.as_str()), Some("acme/large"));
    let picks: Vec<(&str, _)> = picks.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    let md = render_markdown(board, &picks);
    assert!(
        md.starts_with("# Scoreboard: acme (acme test double)\n"),
        "{md}"
    );
    assert!(md.contains("| acme/large 🥇 | Sync🧠 "), "{md}");
}

#[tokio::test]
async fn a_model_the_backend_does_not_list_is_an_error_before_any_call() {
    let options = RunOptions {
        models: vec!["acme/huge".into()],
        ..options()
    };
    let err = run_scoreboard(&acme(), &options, &NoObserver)
        .await
        .expect_err("unknown model");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("acme/huge"), "{err}");
}

/// Leaves out every tool scenario, as a replay without their recordings would.
struct NoTools;

impl RunObserver for NoTools {
    fn skip(&self, _model: &str, _mode: Mode, scenario: Scenario) -> Option<String> {
        matches!(
            scenario,
            Scenario::Tools
                | Scenario::ToolResult
                | Scenario::ToolBias
                | Scenario::ToolChoiceForced
        )
        .then(|| "not wanted here".to_owned())
    }
}

#[tokio::test]
async fn an_observer_can_leave_scenarios_out_and_the_row_says_so() {
    let options = RunOptions {
        models: vec!["acme/large".into()],
        ..options()
    };
    let report = run_scoreboard(&acme(), &options, &NoTools)
        .await
        .expect("run");
    let row = &report.board.rows[0];
    assert!(row.result(Scenario::Tools).is_none());
    assert_eq!(row_cells(row)[3], "❌");
    assert_eq!(
        row.note,
        "not measured: tools, tool_result, tool_choice_forced, tool_bias (not wanted here)"
    );
}
