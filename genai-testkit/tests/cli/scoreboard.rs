//! `genai scoreboard` with no credentials: a complete scoreboard from the built-in emulator.

use genai_testkit::emulator::{Emulator, EmulatorConfig};
use genai_testkit::scoreboard::seed_models;

use std::process::Command;

use crate::support::{command, path_str, temp_dir, CHAT, TOKEN};

/// The first five seed models.
const FIVE: [&str; 5] = [
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    "@cf/meta/llama-3.2-1b-instruct",
    "@cf/meta/llama-3.2-3b-instruct",
    "@cf/meta/llama-4-scout-17b-16e-instruct",
];

/// The account of the live runs (not the one of the other tests: a recording must not hold it).
const LIVE_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";

/// `genai scoreboard ARGS` without credentials in the environment.
fn offline(args: &[&str]) -> std::process::Output {
    command(&["scoreboard"])
        .args(args)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .output()
        .expect("genai runs")
}

/// `genai scoreboard ARGS` as a live run whose base URL is `base` (an emulator, or nothing).
fn live_command(base: &str, token: &str, args: &[&str]) -> Command {
    let mut cmd = command(&["scoreboard"]);
    cmd.args(args)
        .env("CLOUDFLARE_ACCOUNT_ID", LIVE_ACCOUNT)
        .env("CLOUDFLARE_API_TOKEN", token)
        .env("CLOUDFLARE_API_BASE_URL", base);
    cmd
}

/// [`live_command`], run to its end.
fn live(base: &str, token: &str, args: &[&str]) -> std::process::Output {
    live_command(base, token, args)
        .output()
        .expect("genai runs")
}

#[test]
fn the_default_run_gives_every_seed_model_a_real_row() {
    let out = offline(&["--runs", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).expect("valid UTF-8");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| @")).collect();
    assert!(
        !rows.iter().any(|l| l.contains("| ?")),
        "no unmeasured row:\n{table}"
    );
    for model in seed_models() {
        let own: Vec<&&str> = rows
            .iter()
            .filter(|l| l.starts_with(&format!("| {model} ")))
            .collect();
        match own.len() {
            // A chat model: a sync and a stream row.
            2 => assert!(
                own[0].contains("| Sync") && own[1].contains("| Stream"),
                "{own:?}"
            ),
            // Any other kind: one row measured by its own kind's scenarios, whose Mode cell
            // says the task works; never 💥.
            // A model the service retired: one row marked 🪦 with its day, nothing claimed.
            1 if own[0].contains("🪦") => {
                let day = genai_cloudflare::facts::lookup(model)
                    .and_then(|f| f.retired_on)
                    .expect("a retired row is a retired model");
                assert!(own[0].contains(day) && !own[0].contains('✅'), "{own:?}");
            }
            1 => {
                assert!(!own[0].contains('💥'), "{own:?}");
                let cells: Vec<&str> = own[0].split('|').map(str::trim).collect();
                assert_eq!(cells[2], "🧩✅", "the task works: {own:?}");
            }
            n => panic!("{model}: {n} rows"),
        }
    }
    // Chat models of the catalog beyond the seed list are measured too, not left as `?`.
    for extra in ["@cf/qwen/qwen3-30b-a3b-fp8", "@cf/zai-org/glm-4.7-flash"] {
        assert_eq!(
            rows.iter()
                .filter(|l| l.starts_with(&format!("| {extra} ")))
                .count(),
            2,
            "{extra}"
        );
    }
    // Each medal goes to one model: the ones with the most that works.
    for medal in ["🥇", "🥈", "🥉"] {
        assert_eq!(
            rows.iter().filter(|l| l.contains(medal)).count(),
            2,
            "{medal} on both rows of one model"
        );
    }
}

#[test]
fn json_is_accepted_as_a_format_and_the_jobs_do_not_change_the_table() {
    let args = ["--runs", "1", "--model", FIVE[1], "--model", FIVE[2]];
    let one = offline(&[&args[..], &["--format", "json", "--jobs", "1"]].concat());
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let board: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON");
    assert_eq!(board["rows"].as_array().map(Vec::len), Some(4));
    let two = offline(&[&args[..], &["--json", "--jobs", "2"]].concat());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["--runs", "0"][..],
        &["--timeout", "0"],
        &["--jobs", "0"],
        &["--record", "d", "--jobs", "2"],
    ] {
        let out = offline(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn an_unknown_model_is_an_error_before_any_scenario() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let out = live(
        &emulator.base_url(),
        "test-token",
        &["--model", "@cf/nobody/no-such-model", "--format", "json"],
    );
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(r#""kind":"not_found""#), "{stdout}");
    assert!(
        stdout.contains("unknown model `@cf/nobody/no-such-model`"),
        "{stdout}"
    );
    // Only the catalog was read.
    assert!(emulator
        .requests()
        .iter()
        .all(|r| !r.path.contains("/ai/run/")));
}

#[test]
fn a_wrong_token_stops_the_run_at_once_with_an_error() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let out = live(&emulator.base_url(), "wrong-token", &["--runs", "1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unauthenticated"), "{stderr}");
    assert!(out.stdout.is_empty(), "no table that looks like a measure");
    assert_eq!(emulator.request_count(), 1, "stopped at the first failure");
}

#[test]
fn no_connection_is_an_error_that_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}/client/v4");
    let out = live(&base, "a-token", &["--runs", "1", "--model", FIVE[2]]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection"), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn an_unwritable_out_fails_before_any_call() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let out = live(
        &emulator.base_url(),
        "test-token",
        &["--out", "/nonexistent-dir/table.md", "--model", FIVE[2]],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
    assert_eq!(emulator.request_count(), 0);
}

#[test]
fn scoreboard_without_credentials_runs_on_the_emulator_and_lists_every_seed_model() {
    let dir = temp_dir("scoreboard");
    let out_file = dir.join("scoreboard.md");
    let mut args = vec!["--runs", "1", "--out", path_str(&out_file)];
    args.extend(FIVE.iter().flat_map(|m| ["--model", m]));
    let out = offline(&args);
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
    // Only the five models asked for: a sync and a stream row each, with measured cells.
    for model in FIVE {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("| {model} "))),
            "{model} listed"
        );
    }
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| @")).collect();
    assert!(rows.iter().all(|l| !l.contains("| ?")), "{table}");
    assert_eq!(rows.len(), 10);
    assert!(
        table.contains("## Warnings\n\nNone."),
        "no findings or failures on the emulator:\n{table}"
    );
    let written = std::fs::read_to_string(&out_file).expect("--out file");
    assert_eq!(written.trim_end(), table.trim_end());
    let _ = std::fs::remove_dir_all(dir);
}

/// `--record DIR` on a "live" run (credentials set, the base URL pointing at the emulator)
/// writes one cassette per scenario without the token or account id, and `--replay DIR` gives
/// the same table from those cassettes alone.
#[test]
fn record_then_replay_gives_the_same_scoreboard() {
    use genai_testkit::emulator::{Emulator, EmulatorConfig};
    let token = "record-secret-token";
    let account = LIVE_ACCOUNT;
    let emulator = Emulator::start(EmulatorConfig::default().token(token)).expect("emulator");
    let dir = temp_dir("record").join("cassettes");
    let model = CHAT;
    let run = |extra: &[&str], on_emulator: bool| {
        let args = [&["--runs", "1", "--model", model][..], extra].concat();
        let out = if on_emulator {
            live(&emulator.base_url(), token, &args)
        } else {
            offline(&args)
        };
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

/// A run interrupted while a model hangs keeps the models it finished: in `--out` as soon as
/// each one is done, and in the table printed on Ctrl-C.
#[cfg(unix)]
#[test]
fn an_interrupted_run_keeps_what_it_finished() {
    use genai_testkit::emulator::Fault;
    use std::time::{Duration, Instant};
    let (first, second) = (FIVE[2], FIVE[3]);
    // How many requests the first model takes (the catalog included).
    let probe = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let out = live(
        &probe.base_url(),
        "test-token",
        &["--runs", "1", "--model", first],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served = probe.request_count();
    // Then every later request hangs.
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .faults(vec![Fault::None; served])
            .fault_always(Fault::Stall {
                before_headers: true,
                duration: Duration::from_secs(120),
            }),
    )
    .expect("emulator");
    let file = temp_dir("interrupted").join("scoreboard.md");
    let mut child = live_command(
        &emulator.base_url(),
        TOKEN,
        &["--runs", "1", "--jobs", "1", "--out", path_str(&file)],
    )
    .args(["--model", first, "--model", second])
    .spawn()
    .expect("genai starts");
    let row = format!("| {first} ");
    let start = Instant::now();
    let written = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text
            .lines()
            .any(|l| l.starts_with(&row) && !l.contains("| ?"))
        {
            break text;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the finished model never reached --out: {text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(written
        .lines()
        .any(|l| l.starts_with(&format!("| {second} ")) && l.contains("| ?")));
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let out = child.wait_with_output().expect("genai ends");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with(&row) && !l.contains("| ?"))
            .count(),
        2,
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_run_that_fails_before_writing_leaves_no_empty_out_file() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let file = temp_dir("no-table").join("scoreboard.md");
    let path = file.to_string_lossy().into_owned();
    let out = live(&emulator.base_url(), "wrong-token", &["--out", &path]);
    assert!(!out.status.success());
    assert!(!file.exists(), "{path} left behind");
}
