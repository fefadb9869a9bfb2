//! Where output goes: result lines on stdout, the `--format json` error line, logs on stderr.

use std::io::Write;
use std::path::Path;

use genai_core::{Error, MediaReply};

use crate::options::Format;

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
    /// The rate-limit headers of the failed reply (null when it had none).
    rate_limit: Option<genai_core::RateLimit>,
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
        rate_limit: e.rate_limit(),
    };
    match serde_json::to_string(&line) {
        Ok(text) => emit_line(&text),
        Err(_) => emit_line(
            r#"{"error":{"kind":"protocol","status":null,"code":null,"message":"unprintable error"}}"#,
        ),
    }
}

/// The `--format json` object of a command that writes media (`genai image`, `genai speak`,
/// a speech line of `genai batch`), fields in the documented order.
#[derive(serde::Serialize)]
pub(crate) struct MediaLine<'a> {
    pub(crate) model: &'a str,
    pub(crate) path: &'a str,
    pub(crate) media_type: &'a str,
    pub(crate) bytes: u64,
    pub(crate) cost: Option<genai_core::Cost>,
}

/// Writes a media reply to the file `out` (or to stdout for `-`) as it arrives, then prints
/// the [`MediaLine`] with `--format json`, or else the path (nothing when the media itself
/// went to stdout, which a path line would corrupt).
pub(crate) async fn deliver_media(
    reply: MediaReply,
    out: &Path,
    model: &str,
    format: Format,
) -> genai_core::Result<()> {
    let to_stdout = out.as_os_str() == "-";
    let cost = reply.cost();
    let summary = if to_stdout {
        reply.write_to(&mut tokio::io::stdout()).await?
    } else {
        reply.save(out).await?
    };
    let path = out.display().to_string();
    match format {
        Format::Json => {
            let line = MediaLine {
                model,
                path: &path,
                media_type: &summary.media_type,
                bytes: summary.bytes,
                cost,
            };
            let text = serde_json::to_string(&line)
                .map_err(|e| Error::protocol(format!("cannot print the result: {e}")))?;
            emit_line(&text);
        }
        Format::Text if !to_stdout => emit_line(&path),
        Format::Text => {}
    }
    Ok(())
}
