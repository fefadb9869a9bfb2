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

/// `--record DIR` on a "live" run (credentials set, the base URL pointing at the emulator)
/// writes one cassette per scenario without the token or account id, and `--replay DIR` gives
/// the same table from those cassettes alone.
#[test]
fn record_then_replay_gives_the_same_scoreboard() {
    use genai_testkit::emulator::{Emulator, EmulatorConfig};
    let token = "record-secret-token";
    let account = "fedcba9876543210fedcba9876543210";
    let emulator = Emulator::start(EmulatorConfig::default().token(token)).expect("emulator");
    let dir = std::env::temp_dir().join(format!("genai-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    let run = |extra: &[&str], live: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_genai"));
        cmd.args(["scoreboard", "--runs", "1", "--model", model])
            .args(extra);
        cmd.env_remove("CLOUDFLARE_API_KEY");
        if live {
            cmd.env("CLOUDFLARE_ACCOUNT_ID", account)
                .env("CLOUDFLARE_API_TOKEN", token)
                .env("CLOUDFLARE_API_BASE_URL", emulator.base_url());
        } else {
            cmd.env_remove("CLOUDFLARE_ACCOUNT_ID")
                .env_remove("CLOUDFLARE_API_TOKEN")
                .env_remove("CLOUDFLARE_API_BASE_URL");
        }
        let out = cmd.output().expect("genai runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let recorded = run(&["--record", dir.to_str().unwrap()], true);
    assert!(recorded.lines().next().unwrap().contains("live"));
    let files = genai_testkit::cassette::find_cassettes(&dir);
    assert!(
        files.len() >= 10,
        "one cassette per scenario and mode: {}",
        files.len()
    );
    for f in &files {
        let c = genai_testkit::cassette::Cassette::load(f).expect("cassette");
        assert!(!c.contains_secret(token), "{}", f.display());
        assert!(!c.contains_secret(account), "{}", f.display());
    }
    let replayed = run(&["--replay", dir.to_str().unwrap()], false);
    assert!(replayed.lines().next().unwrap().contains("replay"));
    let body = |t: &str| {
        t.lines()
            .skip(1)
            .filter(|l| l.starts_with(&format!("| {model}")))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(body(&replayed), body(&recorded));
    assert_eq!(body(&recorded).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
