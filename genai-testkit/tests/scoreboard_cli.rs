//! `genai scoreboard` with no credentials: a complete scoreboard from the built-in emulator.

use std::process::Command;

use genai_testkit::scoreboard::seed_models;

#[test]
fn scoreboard_without_credentials_runs_on_the_emulator_and_lists_every_seed_model() {
    let out_file = std::env::temp_dir().join(format!("genai-scoreboard-{}.md", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_genai"))
        .args(["scoreboard", "--runs", "1", "--out"])
        .arg(&out_file)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_API_KEY")
        .env_remove("CLOUDFLARE_API_BASE_URL")
        .output()
        .expect("genai runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).expect("valid UTF-8");
    let first = table.lines().next().unwrap_or_default();
    assert!(
        first.contains("emulator"),
        "first line says where it ran: {first}"
    );
    for model in seed_models() {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("| {model} "))),
            "{model} listed"
        );
    }
    // The five scored models have a sync and a stream row each, with measured cells.
    let measured = table
        .lines()
        .filter(|l| l.starts_with("| @") && !l.contains("| ?"))
        .count();
    assert_eq!(measured, 10);
    assert!(
        table.contains("## Warnings\n\nNone."),
        "no findings or failures on the emulator:\n{table}"
    );
    let written = std::fs::read_to_string(&out_file).expect("--out file");
    assert_eq!(written.trim_end(), table.trim_end());
    let _ = std::fs::remove_file(out_file);
}
