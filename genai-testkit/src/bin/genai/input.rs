//! The one reader of every input the commands take: a file named by a flag or an argument,
//! or standard input for `-`. Every read is bounded by a limit derived from what the service
//! accepts, so `genai speak - < /dev/zero` fails at once with a clear error instead of
//! allocating until the process dies; standard input can be read once per run.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use genai_core::{Error, Result};

/// The largest request body the service takes (a queued batch's whole payload; a sync
/// request's body is held to the same figure): the limit of every text and JSON input.
pub(crate) const MAX_TEXT_BYTES: u64 = genai_cloudflare::MAX_QUEUE_PAYLOAD as u64;

/// The largest image any model takes (raw bytes, before base64).
pub(crate) const MAX_IMAGE_BYTES: u64 = genai_cloudflare::MAX_INPUT_IMAGE_BYTES as u64;

/// The largest `genai batch` input: 25 submissions' worth of requests (each submission is at
/// most [`MAX_TEXT_BYTES`]). Larger runs are split by the caller into several inputs.
pub(crate) const MAX_BATCH_INPUT_BYTES: u64 = 25 * MAX_TEXT_BYTES;

static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Whether `path` means standard input.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How an input is named in errors: `standard input`, or `the FILE_WHAT PATH`.
fn name_of(path: &Path, what: &str) -> String {
    if is_stdin(path) {
        format!("the {what} on standard input")
    } else {
        format!("the {what} {}", path.display())
    }
}

/// Reads `path` (`-`: standard input, once per run) whole, failing past `limit` bytes
/// without reading further. Devices and pipes are read the same way: their size is what
/// they deliver, never what their metadata says.
pub(crate) fn read_bytes(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>> {
    let name = name_of(path, what);
    let cannot = |e: std::io::Error| {
        Error::invalid_request(format!("cannot read {name}: {e}")).with_source(e)
    };
    let mut buf = Vec::new();
    if is_stdin(path) {
        if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
            return Err(Error::invalid_request(format!(
                "cannot read {name}: standard input was already read for another `-`"
            )));
        }
        std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(cannot)?;
    } else {
        let file = std::fs::File::open(path).map_err(cannot)?;
        if let Ok(meta) = file.metadata() {
            if meta.is_dir() {
                return Err(Error::invalid_request(format!(
                    "cannot read {name}: it is a directory"
                )));
            }
            if meta.is_file() && meta.len() > limit {
                return Err(too_large(&name, meta.len(), limit));
            }
        }
        file.take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(cannot)?;
    }
    if buf.len() as u64 > limit {
        return Err(Error::invalid_request(format!(
            "{name} is larger than {limit} bytes, the most the service takes; it was not read \
             further"
        )));
    }
    Ok(buf)
}

fn too_large(name: &str, len: u64, limit: u64) -> Error {
    Error::invalid_request(format!(
        "{name} is {len} bytes; the service takes at most {limit}"
    ))
}

/// Reads `path` as UTF-8 text within `limit` bytes.
pub(crate) fn read_text(path: &Path, what: &str, limit: u64) -> Result<String> {
    let bytes = read_bytes(path, what, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::invalid_request(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            name_of(path, what),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A text argument: `-` reads standard input (its final line break dropped), anything else
/// is the text itself.
pub(crate) fn text_arg(arg: &str, what: &str, limit: u64) -> Result<String> {
    if arg == "-" {
        let text = read_text(Path::new("-"), what, limit)?;
        Ok(text.trim_end_matches(['\n', '\r']).to_owned())
    } else {
        Ok(arg.to_owned())
    }
}

/// Standard input as text when it is not a terminal (a pipe or a file), for a command that
/// reads its text from a pipe when none is given; `None` on a terminal.
pub(crate) fn piped_text(what: &str, limit: u64) -> Result<Option<String>> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() || STDIN_TAKEN.load(Ordering::SeqCst) {
        return Ok(None);
    }
    let text = read_text(Path::new("-"), what, limit)?;
    let text = text.trim_end_matches(['\n', '\r']);
    Ok((!text.trim().is_empty()).then(|| text.to_owned()))
}

/// A JSON file (`-`: standard input) decoded as `T`.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = read_text(path, &format!("{what} file"), MAX_TEXT_BYTES)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::invalid_request(format!(
            "{} is not valid: {e}",
            name_of(path, &format!("{what} file"))
        ))
    })
}

/// Standard input, read once, as UTF-8 text.
pub(crate) fn stdin_text() -> Result<String> {
    text_arg("-", "text", MAX_TEXT_BYTES)
}

pub(crate) fn file_text(path: &Path) -> Result<String> {
    read_text(path, "input", MAX_TEXT_BYTES)
}

/// The argument texts (`-` = standard input, read once) followed by the file's lines. A blank
/// line inside the file is refused (dropping it would shift every index after it).
pub(crate) fn gather(args: &[String], input: Option<&Path>) -> Result<Vec<String>> {
    let mut stdin: Option<String> = None;
    let mut texts = Vec::with_capacity(args.len());
    for a in args {
        if a == "-" {
            if stdin.is_none() {
                stdin = Some(stdin_text()?);
            }
            texts.push(stdin.clone().unwrap_or_default());
        } else {
            texts.push(a.clone());
        }
    }
    if let Some(path) = input {
        let text = file_text(path)?;
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                return Err(Error::invalid_request(format!(
                    "line {} of {} is blank (one text per line)",
                    i + 1,
                    path.display()
                )));
            }
            texts.push(line.to_owned());
        }
    }
    Ok(texts)
}

/// One text from an argument (`-` = standard input) or a file (`-` too); `alternative`
/// names the command's other way to give it, for the error when none is given.
pub(crate) fn one_text(
    arg: Option<&str>,
    input: Option<&Path>,
    what: &str,
    alternative: &str,
) -> Result<String> {
    match (arg, input) {
        (Some("-"), _) => stdin_text(),
        (Some(text), _) => Ok(text.to_owned()),
        (None, Some(path)) => file_text(path),
        (None, None) => Err(Error::invalid_request(format!(
            "nothing to {what}: give a TEXT (or `-` for standard input){alternative}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_whatever_the_metadata_says() {
        let dir = std::env::temp_dir().join(format!("genai-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.txt");
        std::fs::write(&file, "hello").unwrap();
        assert_eq!(read_text(&file, "text", 5).unwrap(), "hello");
        let e = read_text(&file, "text", 4).unwrap_err();
        assert!(e.message().contains("at most 4"), "{e}");
        // A device reports a length of 0 and never ends.
        let e = read_bytes(Path::new("/dev/zero"), "image", 1024).unwrap_err();
        assert!(e.message().contains("larger than 1024 bytes"), "{e}");
        let e = read_bytes(&dir, "text", 10).unwrap_err();
        assert!(e.message().contains("directory"), "{e}");
        std::fs::write(&file, b"\xff\xfe").unwrap();
        assert!(read_text(&file, "text", 10).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
