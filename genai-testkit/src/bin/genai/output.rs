//! Where output goes: result lines on stdout, the `--format json` error line, logs on stderr.

use std::io::Write;

use genai_core::Error;

/// Logs go to stderr, filtered by `RUST_LOG` (off by default). The library never logs the
/// token, and prompts only when asked to.
pub(crate) fn init_tracing() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Writes one line to stdout. A closed stdout (`genai … | head`) is not an error worth a
/// panic: the line is dropped.
pub(crate) fn emit_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The error line of `--format json`, fields in the documented order.
#[derive(serde::Serialize)]
struct ErrorLine<'a> {
    error: ErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    kind: &'static str,
    status: Option<u16>,
    code: Option<i64>,
    message: &'a str,
}

pub(crate) fn print_error_json(e: &Error) {
    let line = ErrorLine {
        error: ErrorBody {
            kind: e.kind().as_str(),
            status: e.status(),
            code: e.code(),
            message: e.message(),
        },
    };
    match serde_json::to_string(&line) {
        Ok(text) => emit_line(&text),
        Err(_) => emit_line(
            r#"{"error":{"kind":"protocol","status":null,"code":null,"message":"unprintable error"}}"#,
        ),
    }
}
