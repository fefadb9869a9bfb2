//! Where output goes: result lines on stdout, the `--format json` error line, logs on stderr.

use std::io::IsTerminal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use genai_core::{Cost, Error, MediaReply};

use crate::fallback::{Answer, ServedFields};
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

/// Set when a command printed its results but some of them are failures (a document that
/// could not be converted): the command then exits non-zero without another error line.
static FAILED: AtomicBool = AtomicBool::new(false);

/// Marks the run as failed though its output is complete.
pub(crate) fn mark_failed() {
    FAILED.store(true, Ordering::SeqCst);
}

/// Whether [`mark_failed`] was called.
pub(crate) fn marked_failed() -> bool {
    FAILED.load(Ordering::SeqCst)
}

/// The first failed write to stdout, reported by [`check_stdout`] when the command ends.
static STDOUT_FAILURE: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

/// Writes one line to stdout and flushes it. A failed write (a full disk behind `>`) is
/// remembered and makes the command fail when it ends; a closed pipe (`genai … | head`) only
/// drops the line: the reader chose to stop.
pub(crate) fn emit_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{line}").and_then(|()| out.flush());
    note_stdout(written);
}

/// Records the outcome of a write to stdout made elsewhere (see [`emit_line`]).
pub(crate) fn note_stdout(written: std::io::Result<()>) {
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            let mut first = STDOUT_FAILURE
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            first.get_or_insert(e);
        }
    }
}

/// Flushes stdout and fails with kind `io` if any write to it failed during the command.
pub(crate) fn check_stdout() -> genai_core::Result<()> {
    note_stdout(std::io::stdout().lock().flush());
    let failed = STDOUT_FAILURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match failed {
        None => Ok(()),
        Some(e) => Err(Error::new(
            genai_core::ErrorKind::Io,
            format!("cannot write to standard output: {e}"),
        )),
    }
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

/// Checks, before any paid request, that a media reply can be written to `out`: its folder
/// exists, it is not a folder itself, and a file can be created beside it (a probe file with
/// an unpredictable name, created exclusively and removed at once). `-` is stdout.
pub(crate) fn check_out(out: &Path) -> genai_core::Result<()> {
    if out.as_os_str() == "-" {
        return Ok(());
    }
    let bad =
        |why: String| Error::invalid_request(format!("cannot write {}: {why}", out.display()));
    if out.is_dir() {
        return Err(bad("it is a folder".to_owned()));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(bad(format!("the folder {} does not exist", dir.display())));
    }
    let probe = dir.join(format!(
        ".genai-probe.{}",
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(12)
            .collect::<String>()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::new(
            genai_core::ErrorKind::Io,
            format!("cannot write {}: {e}", out.display()),
        )),
    }
}

/// The `--format json` object of a command that writes media (`genai image`, `genai speak`,
/// a speech line of `genai batch`), fields in the documented order.
#[derive(serde::Serialize)]
pub(crate) struct MediaLine<'a> {
    pub(crate) model: &'a str,
    /// With `--fallback`: the model that served and the ones that failed first.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) served: Option<crate::fallback::ServedFields<'a>>,
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
    served: Option<crate::fallback::ServedFields<'_>>,
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
                served,
                path: &path,
                media_type: &summary.media_type,
                bytes: summary.bytes,
                cost,
            };
            let text = serde_json::to_string(&line)
                .map_err(|e| Error::protocol(format!("cannot print the result: {e}")))?;
            emit_line(&text);
        }
        Format::Text => {
            if let Some(served) = &served {
                crate::fallback::note_attempts(served.served_by, served.attempts);
            }
            if !to_stdout {
                emit_line(&path);
            }
        }
    }
    Ok(())
}

/// Refuses `--out -` when standard output is a terminal, before any request: `what` (image or
/// audio bytes) would only garble it.
pub(crate) fn check_binary_out(out: &Path, what: &str) -> genai_core::Result<()> {
    if out.as_os_str() == "-" && std::io::stdout().is_terminal() {
        return Err(Error::invalid_request(format!(
            "standard output is a terminal: writing {what} bytes there would garble it; \
             redirect it (`--out - > FILE`, `| program`) or give --out FILE"
        )));
    }
    Ok(())
}

/// The usual file extensions of a media type, the preferred one first.
fn extensions(media_type: &str) -> &'static [&'static str] {
    match media_type {
        "image/jpeg" => &["jpg", "jpeg"],
        "image/png" => &["png"],
        "image/webp" => &["webp"],
        "image/gif" => &["gif"],
        "image/bmp" => &["bmp"],
        "image/tiff" => &["tif", "tiff"],
        "audio/mpeg" => &["mp3"],
        "audio/wav" | "audio/x-wav" | "audio/wave" => &["wav"],
        "audio/ogg" => &["ogg", "oga", "opus"],
        "audio/flac" => &["flac"],
        "audio/aac" => &["aac"],
        "audio/webm" => &["webm"],
        _ => &[],
    }
}

/// Where media of `media_type` is written for `--out out`: `out` with the type's extension
/// added when it has none (`--out fox` gives `fox.jpg`); a warning on stderr when its
/// extension names another type (`--out fox.png` holding JPEG bytes). Standard output stays.
pub(crate) fn media_path(out: &Path, media_type: &str) -> PathBuf {
    if out.as_os_str() == "-" {
        return out.to_path_buf();
    }
    let known = extensions(media_type);
    match out.extension().and_then(|e| e.to_str()) {
        None => match known.first() {
            Some(ext) => {
                let mut name = out.as_os_str().to_owned();
                name.push(".");
                name.push(ext);
                PathBuf::from(name)
            }
            None => out.to_path_buf(),
        },
        Some(ext) => {
            let ext = ext.to_ascii_lowercase();
            if let Some(right) = known.first().filter(|_| !known.contains(&ext.as_str())) {
                eprintln!(
                    "warning: {} holds {media_type} data, not what .{ext} says; name it \
                     .{right}, or give --out without an extension to have it picked",
                    out.display()
                );
            }
            out.to_path_buf()
        }
    }
}

/// Prints one JSON value as a line.
pub(crate) fn json_line(value: &impl serde::Serialize) {
    // Plain data with string keys: serialising it cannot fail.
    emit_line(&serde_json::to_string(value).unwrap_or_default());
}

#[derive(serde::Serialize)]
struct TextLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    text: &'a str,
    cost: Option<Cost>,
}

/// The reply of a text-to-text kind: its text, or in JSON the model, text and cost.
pub(crate) fn print_text<T>(
    answer: &Answer<T>,
    model: &str,
    text: &str,
    cost: Option<Cost>,
    format: Format,
) {
    let (model, served) = answer.served(model, format);
    match format {
        Format::Json => json_line(&TextLine {
            model,
            served,
            text,
            cost,
        }),
        Format::Text => emit_line(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_without_extension_takes_the_media_type() {
        let p = |out: &str, t: &str| media_path(Path::new(out), t).display().to_string();
        assert_eq!(p("fox", "image/jpeg"), "fox.jpg");
        assert_eq!(p("dir.v2/fox", "audio/mpeg"), "dir.v2/fox.mp3");
        assert_eq!(p("fox.png", "image/jpeg"), "fox.png");
        assert_eq!(p("fox.JPEG", "image/jpeg"), "fox.JPEG");
        assert_eq!(p("-", "image/png"), "-");
        assert_eq!(p("blob", "application/octet-stream"), "blob");
    }
}
