//! Where the recorded Cloudflare traffic lives for the replay tests, and what happens when it
//! is absent: a visible skip line locally, a failure on CI.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The recordings directory, beside the repository.
pub fn dir() -> PathBuf {
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
pub fn dir_or_skip(test: &str) -> Option<PathBuf> {
    match check(&dir(), test, on_ci()) {
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
