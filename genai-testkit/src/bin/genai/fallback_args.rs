//! `--fallback MODEL`, shared by chat and the task commands, and the fields it adds to their
//! `--format json` object.

use clap::Args;
use genai_core::Attempt;

/// The models to fall over to.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct FallbackArgs {
    /// A model tried when the ones before it fail in a way another model may not (busy,
    /// rate limited after the retries, unavailable, retired, plan required); repeatable, tried
    /// in order. Invalid requests, authentication and budget errors stop at once.
    #[arg(long = "fallback", value_name = "MODEL")]
    pub(crate) models: Vec<String>,
}

impl FallbackArgs {
    /// Whether any fallback model was given.
    pub(crate) fn any(&self) -> bool {
        !self.models.is_empty()
    }
}

/// `"served_by"` and `"attempts"`, flattened into a command's JSON object when `--fallback`
/// was given.
#[derive(serde::Serialize)]
pub(crate) struct ServedFields<'a> {
    pub(crate) served_by: &'a str,
    pub(crate) attempts: &'a [Attempt],
}

/// In text output, says on stderr which model served the call when another failed first.
pub(crate) fn note_attempts(served_by: &str, attempts: &[Attempt]) {
    if attempts.is_empty() {
        return;
    }
    let failed: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.model, a.error.kind))
        .collect();
    eprintln!(
        "[fallback] served by {served_by} after {}",
        failed.join(", ")
    );
}
