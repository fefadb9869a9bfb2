//! `genai convert`: documents to Markdown (or plain text) with the provider's conversion
//! service, one result per file; `genai chat --file` uses the same conversion.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::Args;
use genai_core::{ConvertRequest, Document, DocumentConverter, Error, ErrorSummary, Result};

use crate::options::{provider, Format, ProviderArgs};
use crate::output::{emit_line, mark_failed};

/// `genai convert`.
#[derive(Args, Debug)]
pub(crate) struct ConvertArgs {
    /// The documents (PDF, images, HTML, XML, office files, CSV...); `-` reads one from
    /// standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    /// Write each result to DIR/NAME.md instead of printing it.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Ask for plain text instead of Markdown.
    #[arg(long)]
    text: bool,
}

impl ConvertArgs {
    /// The output format asked for.
    pub(crate) fn format(&self) -> Format {
        self.provider.format
    }
}

/// Opens every file as a document, refusing the first that cannot be read (before anything
/// is uploaded).
pub(crate) async fn open_documents(paths: &[PathBuf]) -> Result<Vec<Document>> {
    let mut docs = Vec::with_capacity(paths.len());
    for path in paths {
        // `-`: standard input, read within the service's request limit; its format comes from
        // its bytes (PDFs and images).
        let doc = if crate::input::is_stdin(path) {
            let bytes = crate::input::read_bytes(path, "document", crate::input::MAX_TEXT_BYTES)?;
            Document::from_bytes("stdin", bytes)?
        } else {
            Document::open(path).await?
        };
        docs.push(doc);
    }
    Ok(docs)
}

#[derive(serde::Serialize)]
struct FilesLine<'a> {
    files: Vec<FileLine<'a>>,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum FileLine<'a> {
    Converted {
        name: &'a str,
        mime_type: &'a str,
        format: &'static str,
        tokens: Option<u64>,
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    Failed {
        name: &'a str,
        error: ErrorSummary,
    },
}

/// The output file of each document: `DIR/STEM.md`, or `DIR/NAME.md` when two documents
/// share a stem.
fn out_paths(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    let stem = |n: &str| n.rsplit_once('.').map_or(n, |(s, _)| s).to_owned();
    let mut seen = HashSet::new();
    let clash = names.iter().any(|n| !seen.insert(stem(n)));
    names
        .iter()
        .map(|n| {
            let base = if clash { n.to_string() } else { stem(n) };
            dir.join(format!("{base}.md"))
        })
        .collect()
}

pub(crate) async fn convert(args: ConvertArgs) -> Result<()> {
    let converter = provider(&args.provider)?.provider().converter();
    let documents = open_documents(&args.files).await?;
    let mut req = ConvertRequest::new(documents);
    if args.text {
        req = req.text();
    }
    let conversion = converter.convert(&req).await?;
    let names: Vec<&str> = conversion.files.iter().map(|f| f.name.as_str()).collect();
    let paths = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::invalid_request(format!("cannot create {}: {e}", dir.display()))
            })?;
            Some(out_paths(dir, &names))
        }
        None => None,
    };
    let mut lines = Vec::new();
    let mut failed = 0;
    for (i, file) in conversion.files.iter().enumerate() {
        match &file.result {
            Ok(text) => {
                let path = match &paths {
                    Some(paths) => {
                        let path = &paths[i];
                        std::fs::write(path, text.text.as_bytes()).map_err(|e| {
                            Error::invalid_request(format!("cannot write {}: {e}", path.display()))
                        })?;
                        Some(path.display().to_string())
                    }
                    None => None,
                };
                if args.provider.format == Format::Text {
                    match &path {
                        Some(p) => emit_line(p),
                        None => {
                            if i > 0 {
                                emit_line("");
                            }
                            emit_line(text.text.trim_end());
                        }
                    }
                }
                lines.push(FileLine::Converted {
                    name: &file.name,
                    mime_type: &file.media_type,
                    format: text.format.as_str(),
                    tokens: text.tokens,
                    text: &text.text,
                    path,
                });
            }
            Err(e) => {
                failed += 1;
                if args.provider.format == Format::Text {
                    eprintln!("error: {}: {e}", file.name);
                }
                lines.push(FileLine::Failed {
                    name: &file.name,
                    error: ErrorSummary::of(e),
                });
            }
        }
    }
    if args.provider.format == Format::Json {
        // Plain data with string keys: serialising it cannot fail.
        emit_line(&serde_json::to_string(&FilesLine { files: lines }).unwrap_or_default());
    }
    if failed > 0 {
        if args.provider.format == Format::Text {
            eprintln!(
                "error: {failed} of {} documents could not be converted",
                conversion.files.len()
            );
        }
        mark_failed();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_keep_stems_unless_they_clash() {
        let dir = Path::new("out");
        assert_eq!(
            out_paths(dir, &["memo.pdf", "t.csv"]),
            [dir.join("memo.md"), dir.join("t.md")]
        );
        assert_eq!(
            out_paths(dir, &["a.html", "a.csv"]),
            [dir.join("a.html.md"), dir.join("a.csv.md")]
        );
    }
}
