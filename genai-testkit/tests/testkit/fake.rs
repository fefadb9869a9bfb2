//! The conformance suite against the scripted fake: an honest fake passes everything, through
//! every way of holding a provider, and each misbehaviour knob gets the verdict it deserves.

use std::sync::Arc;

use genai_core::{Mode, ModelCapabilities, ProviderGen, Support};
use genai_testkit::fake::{Misbehaviour, ScriptedChat};
use genai_testkit::scenarios::{run_scenario, run_suite, SuiteConfig};
use genai_testkit::scoreboard::{display_width, render_json, render_markdown, seed_models, Pick};
use genai_testkit::scoreboard::{Scenario, ScoreRow, Scoreboard, Verdict};

fn config() -> SuiteConfig {
    SuiteConfig::default()
}

fn verdict(rows: &[ScoreRow], mode: Mode, scenario: Scenario) -> Verdict {
    let row = rows.iter().find(|r| r.mode == mode).unwrap();
    row.verdict(scenario).unwrap()
}

fn assert_all_supported(rows: &[ScoreRow]) {
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].mode, Mode::Sync);
    assert_eq!(rows[1].mode, Mode::Stream);
    for row in rows {
        assert_eq!(row.results.len(), Scenario::ALL.len());
        for r in &row.results {
            // The chat contract has no citations nor rate limits: no backend declares them,
            // and a reply cannot show them.
            if matches!(r.scenario, Scenario::Citations | Scenario::RateLimits) {
                assert_eq!(
                    r.verdict,
                    Verdict::Unsupported,
                    "{}: {}",
                    r.scenario,
                    r.note
                );
                continue;
            }
            assert_eq!(
                r.verdict,
                Verdict::Supported,
                "{} {}: {}",
                row.mode.as_str(),
                r.scenario,
                r.note
            );
            assert!(r.runs >= 1 && r.passed == r.runs, "{r:?}");
        }
    }
}

#[tokio::test]
async fn the_honest_fake_passes_through_a_reference() {
    let fake = ScriptedChat::new("fake/honest");
    let provider: &dyn ProviderGen = &fake;
    let rows = run_suite(provider, &config()).await;
    assert_all_supported(&rows);
    assert!(rows.iter().all(|r| r.reasoning && r.model == "fake/honest"));
    // Bounded: 3 runs of each called scenario, a few calls each.
    assert!(fake.calls() < 100, "{} calls", fake.calls());
}

#[tokio::test]
async fn the_honest_fake_passes_through_a_box() {
    let provider: Box<dyn ProviderGen> = Box::new(ScriptedChat::new("fake/boxed"));
    assert_all_supported(&run_suite(provider.as_ref(), &config()).await);
}

#[tokio::test]
async fn the_honest_fake_passes_through_an_arc() {
    let provider: Arc<dyn ProviderGen> = Arc::new(ScriptedChat::new("fake/shared"));
    let clone = Arc::clone(&provider);
    let rows = tokio::spawn(async move { run_suite(clone.as_ref(), &config()).await })
        .await
        .unwrap();
    assert_all_supported(&rows);
}

#[tokio::test]
async fn declared_unsupported_and_refused_is_unsupported() {
    let mut caps = ScriptedChat::all_capabilities();
    caps.json_schema = Support::Unsupported;
    caps.seed = Support::Unsupported;
    caps.reasoning = Support::Unsupported;
    caps.usage = Support::Unsupported;
    let fake = ScriptedChat::new("fake/limited").with_mode_capabilities(Mode::Stream, caps);
    let rows = run_suite(&fake, &config()).await;
    for s in [
        Scenario::JsonSchema,
        Scenario::Seed,
        Scenario::Reasoning,
        Scenario::Usage,
    ] {
        assert_eq!(verdict(&rows, Mode::Sync, s), Verdict::Supported, "{s}");
        let r = rows[1].result(s).unwrap();
        assert_eq!(r.verdict, Verdict::Unsupported, "{s}: {}", r.note);
        assert_eq!(r.declared, Support::Unsupported);
    }
    assert!(rows[1]
        .result(Scenario::Seed)
        .unwrap()
        .note
        .starts_with("refused"));
    assert!(!rows[1].reasoning);
    let board = Scoreboard::new("fake", "emulator", rows);
    assert!(board.warnings.is_empty(), "{:?}", board.warnings);
}

#[tokio::test]
async fn answering_anyway_is_a_finding() {
    let mut caps = ScriptedChat::all_capabilities();
    caps.json_schema = Support::Unsupported;
    caps.stop = Support::Unsupported;
    caps.usage = Support::Unsupported;
    let fake = ScriptedChat::new("fake/liar")
        .with_capabilities(ModelCapabilities {
            sync: caps,
            stream: caps,
        })
        .with_misbehaviour(Misbehaviour {
            answer_unsupported: true,
            ..Misbehaviour::default()
        });
    let rows = run_suite(&fake, &config()).await;
    for mode in [Mode::Sync, Mode::Stream] {
        for s in [Scenario::JsonSchema, Scenario::Stop, Scenario::Usage] {
            assert_eq!(verdict(&rows, mode, s), Verdict::Finding, "{s}");
        }
        assert_eq!(verdict(&rows, mode, Scenario::Json), Verdict::Supported);
    }
    let board = Scoreboard::new("fake", "emulator", rows);
    assert_eq!(board.warnings.len(), 6, "{:#?}", board.warnings);
    assert!(board.warnings[0].contains("declared unsupported"));
}

#[tokio::test]
async fn intermittent_failures_are_flaky() {
    let fake = ScriptedChat::new("fake/unreliable").with_misbehaviour(Misbehaviour {
        fail_every: Some(2),
        ..Misbehaviour::default()
    });
    let config = SuiteConfig {
        runs: 3,
        ..SuiteConfig::default()
    };
    let (text, _) = run_scenario(&fake, Mode::Sync, Scenario::Text, &config).await;
    assert_eq!(
        (text.verdict, text.passed, text.runs),
        (Verdict::Flaky, 2, 3)
    );
    assert!(text.note.contains("unavailable"), "{}", text.note);
    // The whole suite still finishes, and reports instead of panicking.
    let rows = run_suite(&fake, &config).await;
    assert!(rows
        .iter()
        .flat_map(|r| &r.results)
        .any(|r| r.verdict == Verdict::Flaky));
}

#[tokio::test]
async fn ignored_limits_fail_and_a_misordered_stream_is_caught() {
    let fake = ScriptedChat::new("fake/unbounded").with_misbehaviour(Misbehaviour {
        ignore_limits: true,
        ..Misbehaviour::default()
    });
    let rows = run_suite(&fake, &config()).await;
    for mode in [Mode::Sync, Mode::Stream] {
        let r = rows.iter().find(|r| r.mode == mode).unwrap();
        let max = r.result(Scenario::MaxTokens).unwrap();
        assert_eq!((max.verdict, max.passed), (Verdict::Failed, 0));
        assert!(max.note.contains("words for a limit of 16"), "{}", max.note);
        assert_eq!(r.verdict(Scenario::Stop), Some(Verdict::Failed));
        assert_eq!(r.verdict(Scenario::Text), Some(Verdict::Supported));
    }

    let fake = ScriptedChat::new("fake/disorder").with_misbehaviour(Misbehaviour {
        finish_first: true,
        ..Misbehaviour::default()
    });
    let rows = run_suite(&fake, &config()).await;
    assert_eq!(
        verdict(&rows, Mode::Sync, Scenario::Text),
        Verdict::Supported
    );
    let text = rows[1].result(Scenario::Text).unwrap();
    assert_eq!(text.verdict, Verdict::Failed);
    assert!(text.note.contains("after the Finish"), "{}", text.note);
}

#[tokio::test]
async fn the_scoreboard_renders_every_seed_model() {
    let fake = ScriptedChat::new("@cf/meta/llama-3.2-3b-instruct");
    let rows = run_suite(
        &fake,
        &SuiteConfig {
            runs: 1,
            ..config()
        },
    )
    .await;
    let mut board = Scoreboard::new("cloudflare", "emulator", rows);
    board.mark_unmeasured(seed_models());
    let md = render_markdown(&board, &[("@cf/meta/llama-3.2-3b-instruct", Pick::Best)]);
    assert!(md.starts_with("# Scoreboard: cloudflare (emulator)\n"));
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // Header, separator, two measured rows, and one `?` row for each other seed model.
    assert_eq!(table.len(), 2 + 2 + seed_models().count() - 1);
    let width = display_width(table[0]);
    assert!(table.iter().all(|l| display_width(l) == width), "{md}");
    assert!(table[0].starts_with("| Model "));
    let header: Vec<&str> = table[0]
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header, genai_testkit::scoreboard::COLUMNS);
    for id in seed_models() {
        assert!(
            table.iter().any(|l| l.starts_with(&format!("| {id} "))),
            "{id} missing"
        );
    }
    let cells: Vec<&str> = table[2].split(" | ").map(str::trim).collect();
    assert_eq!(cells[0], "| @cf/meta/llama-3.2-3b-instruct 🥇");
    assert_eq!(cells[1], "Sync🧠");
    // Tool (forced too), JSON, Text (seed, max tokens, stop), Probs, Usage, Finish.
    assert_eq!(
        [cells[4], cells[5], cells[9], cells[10], cells[12]],
        ["✅🪨", "✅", "🌱📏🛑", "✅", "✅"],
        "{}",
        table[2]
    );
    println!("{md}");
    assert!(md.contains("Legend:"));
    assert!(md.contains("## Warnings\n\nNone.\n"));

    let json: serde_json::Value = serde_json::from_str(&render_json(&board).unwrap()).unwrap();
    assert_eq!(json["source"], "emulator");
    assert_eq!(json["rows"][1]["mode"], "stream");
    assert_eq!(
        json["unmeasured"].as_array().unwrap().len(),
        seed_models().count() - 1
    );
}

#[test]
fn seed_models_are_clean_ascii_ids() {
    let ids: Vec<&str> = seed_models().collect();
    assert_eq!(ids.len(), 75);
    for id in &ids {
        assert!(id.starts_with("@cf/") || id.starts_with("@hf/"), "{id}");
        assert!(
            id.bytes().all(|b| b.is_ascii_graphic()),
            "{id:?} has non-ASCII or blank bytes"
        );
    }
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids");
}
