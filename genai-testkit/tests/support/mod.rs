//! What every test target shares: the test account and token, the client builders, running the
//! `genai` binary and reading its JSON, scratch directories, the loopback replies the fault tests
//! script, and where the recorded Cloudflare traffic of `../shared` lives (a visible skip line
//! when it is absent locally, a failure on CI).
//!
//! Each target uses part of it, so unused items are allowed here.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use genai_cloudflare::{CloudflareBuilder, WorkersAi};

/// The account id of every test (32 hex digits, as the service wants).
pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// The token the emulator accepts (its `DEFAULT_TOKEN`).
pub const TOKEN: &str = "test-token";

/// A small chat model the scripted servers answer for.
pub const SMALL_CHAT: &str = "@cf/meta/llama-3.2-1b-instruct";

/// The default chat model of `genai chat`.
pub const CHAT: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/// Nothing listens there: a call that reaches the network fails with `connection`.
pub const DEAD: &str = "http://127.0.0.1:9/client/v4";

// ---------------------------------------------------------------------------------------------
// Clients

/// A Cloudflare builder for the test account and token at `base_url`, without retries.
pub fn builder(base_url: impl Into<String>) -> CloudflareBuilder {
    CloudflareBuilder::new()
        .account_id(ACCOUNT)
        .api_token(TOKEN)
        .base_url(base_url)
        .max_retries(0)
}

/// The Workers AI provider of [`builder`].
pub fn provider(base_url: impl Into<String>) -> WorkersAi {
    builder(base_url).build_provider().expect("a provider")
}

/// Every check passed, and at least one ran; a failure names `what` and the check.
pub fn assert_all_pass(what: &str, checks: &[genai_testkit::scenarios::Check]) {
    assert!(!checks.is_empty(), "{what}: no scenario ran");
    for c in checks {
        assert!(c.passed(), "{what}: {}: {:?}", c.name, c.outcome);
    }
}

// ---------------------------------------------------------------------------------------------
// Scratch directories

/// A new empty directory for one test: unique to this process and this call, so tests running
/// as threads of one binary never share one.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("genai-test-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// `n` chat requests as `genai batch` reads them: `{"id":"qI","prompt":"Say the number I."}`.
pub fn chat_jsonl(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":\"q{i}\",\"prompt\":\"Say the number {i}.\"}}\n"))
        .collect()
}

/// A path as the `&str` a command line takes.
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

// ---------------------------------------------------------------------------------------------
// The genai binary

#[cfg(feature = "cli")]
#[allow(unused_imports)]
pub use cli::*;

#[cfg(feature = "cli")]
mod cli {
    use std::io::Write as _;
    use std::process::{Command, Output, Stdio};

    use serde_json::Value;

    use super::{ACCOUNT, TOKEN};

    /// `genai ARGS` with a clean environment: the test account and token, `PATH` and `TMPDIR`
    /// kept, nothing else of the caller's (no `GENAI_MODEL`, `RUST_LOG` or Cloudflare
    /// variables). Standard input is empty; output is captured.
    pub fn command(args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_genai"));
        cmd.args(args).env_clear();
        for keep in ["PATH", "TMPDIR"] {
            if let Some(value) = std::env::var_os(keep) {
                cmd.env(keep, value);
            }
        }
        cmd.env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// `genai COMMAND --base-url BASE --max-retries 0 REST...` (`args` is the command and the
    /// rest), as [`command`].
    pub fn command_at(base: &str, args: &[&str]) -> Command {
        let (first, rest) = args.split_first().expect("a command");
        let mut cmd = command(&[first, "--base-url", base, "--max-retries", "0"]);
        cmd.args(rest);
        cmd
    }

    /// Runs [`command`] to its end with empty standard input.
    pub fn genai(args: &[&str]) -> Output {
        command(args).output().expect("the genai binary runs")
    }

    /// Runs `cmd` with `stdin` piped in (closed at once when `None`) and waits for it.
    pub fn run(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
        let mut child = cmd
            .stdin(Stdio::piped())
            .spawn()
            .expect("the genai binary runs");
        let mut input = child.stdin.take().expect("a piped stdin");
        if let Some(bytes) = stdin {
            // A command may refuse before reading it all.
            let _ = input.write_all(bytes);
        }
        drop(input);
        child.wait_with_output().expect("genai ends")
    }

    /// Bytes a command printed, as text.
    pub fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// Stdout's last line as JSON (the reply, or the `--format json` error line); the panic
    /// shows both streams.
    pub fn last_json(out: &Output) -> Value {
        let stdout = text(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|e| {
            panic!(
                "stdout's last line is not JSON ({e}): {stdout}\nstderr: {}",
                text(&out.stderr)
            )
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Loopback replies

#[cfg(feature = "loopback")]
#[allow(unused_imports)]
pub use loopback::*;

#[cfg(feature = "loopback")]
mod loopback {
    use axum::response::Response;
    use genai_testkit::loopback::reply;

    /// A synchronous chat reply of the native shape, with usage.
    pub const OK_SYNC: &str = r#"{"result":{"response":"hello from the loopback","usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}},"success":true,"errors":[],"messages":[]}"#;

    /// [`OK_SYNC`] as a 200 reply.
    pub fn ok_sync() -> Response {
        reply(200, "application/json", OK_SYNC)
    }

    /// A 200 `text/event-stream` reply of `body`.
    pub fn sse(body: impl Into<axum::body::Body>) -> Response {
        reply(200, "text/event-stream", body)
    }
}

// ---------------------------------------------------------------------------------------------
// Cassettes replayed

/// A replay server of `cassette`, matching requests by `mode`.
#[cfg(feature = "replay")]
pub async fn replay(
    cassette: genai_testkit::cassette::Cassette,
    mode: genai_testkit::replay::MatchMode,
) -> genai_testkit::replay::ReplayServer {
    genai_testkit::replay::ReplayServer::builder()
        .cassette(cassette)
        .match_mode(mode)
        .start()
        .await
        .expect("a replay server")
}

// ---------------------------------------------------------------------------------------------
// The recorded Cloudflare traffic of ../shared

/// The recordings directory, beside the repository.
pub fn recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/cassettes/cloudflare")
}

/// Whether this run is a CI run (`CI=true`, as CI services set it).
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| matches!(v.trim(), "true" | "1" | "yes"))
}

/// What a test does about the recordings.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// Replay them from this directory.
    Present(PathBuf),
    /// Skip, telling why.
    Skip(String),
    /// Fail: on CI the recordings must be there.
    Fail(String),
}

/// The recordings directory, or `None` after telling the person running the tests that `test`
/// was skipped. On CI a missing directory fails the test instead: a green CI run must have
/// replayed the recordings.
pub fn recordings_or_skip(test: &str) -> Option<PathBuf> {
    match check(&recordings_dir(), test, on_ci()) {
        Found::Present(dir) => Some(dir),
        Found::Skip(line) => {
            // Straight to the process's stderr, past the test harness's capture: the skip
            // shows in a plain `cargo test`, not only with `--nocapture`.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
            None
        }
        Found::Fail(msg) => panic!("{msg}"),
    }
}

/// What to do about `dir` for `test`, on CI or not.
pub fn check(dir: &Path, test: &str, ci: bool) -> Found {
    if dir.is_dir() {
        return Found::Present(dir.to_path_buf());
    }
    let why = format!(
        "{} is absent, so no recorded Cloudflare exchange was replayed",
        dir.display()
    );
    if ci {
        Found::Fail(format!(
            "{test}: {why} (CI=true: the recordings must be present)"
        ))
    } else {
        Found::Skip(format!("SKIPPED {test}: {why}"))
    }
}

#[test]
fn absent_recordings_skip_locally_and_fail_on_ci() {
    let nowhere = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-recordings-dir");
    assert!(matches!(check(&nowhere, "t", false), Found::Skip(l) if l.starts_with("SKIPPED t: ")));
    assert!(matches!(check(&nowhere, "t", true), Found::Fail(m) if m.contains("CI=true")));
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(check(here, "t", true), Found::Present(here.to_path_buf()));
}

#[test]
fn scratch_directories_are_never_shared() {
    let (a, b) = (temp_dir("same"), temp_dir("same"));
    assert_ne!(a, b);
    assert!(a.is_dir() && b.is_dir());
    let _ = (std::fs::remove_dir_all(a), std::fs::remove_dir_all(b));
}
