//! Document conversion (`/ai/tomarkdown`): a multipart upload of the files, streamed from
//! disk, one result per file.

use std::sync::Arc;

use bytes::Bytes;
use genai_core::http::Deadline;
use genai_core::{
    async_trait, Conversion, ConversionOptions, ConvertRequest, ConvertedFile, ConvertedText,
    DocumentCapabilities, DocumentConverter, DocumentFormat, Error, MediaSource, Result, Support,
    TextFormat,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{finish_error, traced};
use crate::errors::PROVIDER;
use crate::transport::{decode_envelope, Body, Piece, Transport};

/// The largest document sent. Workers AI documents no limit; this one keeps a single upload
/// within the request sizes Cloudflare's API takes.
pub const MAX_DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;

/// Workers AI's document conversion to Markdown, for one account.
#[derive(Debug, Clone)]
pub struct CloudflareConverter {
    transport: Arc<Transport>,
}

impl CloudflareConverter {
    pub(crate) fn over(transport: Arc<Transport>) -> Self {
        CloudflareConverter { transport }
    }
}

/// One file's result as the service writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    tokens: Option<Value>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFormat {
    extension: String,
    mime_type: String,
}

/// The `conversionOptions` JSON, or `None` when every option is the service's default.
fn options_json(o: &ConversionOptions) -> Option<String> {
    let mut out = Map::new();
    if o.output == TextFormat::Text {
        out.insert("output".into(), json!({"format": "text"}));
    }
    if let Some(lang) = &o.image_language {
        out.insert("image".into(), json!({"descriptionLanguage": lang}));
    }
    let mut html = Map::new();
    if let Some(h) = &o.html_hostname {
        html.insert("hostname".into(), json!(h));
    }
    if let Some(c) = &o.html_css_selector {
        html.insert("cssSelector".into(), json!(c));
    }
    if !html.is_empty() {
        out.insert("html".into(), Value::Object(html));
    }
    if let Some(m) = o.pdf_metadata {
        out.insert("pdf".into(), json!({"metadata": m}));
    }
    (!out.is_empty()).then(|| Value::Object(out).to_string())
}

/// A file name as it may stand in a quoted header parameter.
fn header_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

/// A boundary no document is likely to contain: long, and different for every request.
fn boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let a = h.finish();
    h.write_u64(a);
    format!("genai-{a:016x}{:016x}", h.finish())
}

/// The multipart body: one `files` part per document (files streamed from disk), then the
/// options part when any option is set.
fn multipart(req: &ConvertRequest) -> Result<Body> {
    let boundary = boundary();
    let mut pieces = Vec::new();
    for doc in &req.documents {
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            header_name(doc.name()),
            doc.media_type()
        );
        pieces.push(Piece::Bytes(Bytes::from(head)));
        pieces.push(match doc.source() {
            MediaSource::File(f) => Piece::File(f.clone()),
            MediaSource::Memory(m) => Piece::Bytes(m.data().clone()),
            _ => {
                return Err(Error::invalid_request(format!(
                    "{} is held in a way this client cannot send",
                    doc.name()
                )))
            }
        });
        pieces.push(Piece::Bytes(Bytes::from_static(b"\r\n")));
    }
    if let Some(options) = options_json(&req.options) {
        let part = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"conversionOptions\"\r\nContent-Type: application/json\r\n\r\n{options}\r\n"
        );
        pieces.push(Piece::Bytes(Bytes::from(part)));
    }
    pieces.push(Piece::Bytes(Bytes::from(format!("--{boundary}--\r\n"))));
    Body::pieces(pieces, &format!("multipart/form-data; boundary={boundary}"))
}

/// One file's result: its text, or its own error.
fn file_result(wire: WireFile, name: &str, media_type: &str) -> ConvertedFile {
    let name = wire.name.unwrap_or_else(|| name.to_owned());
    let media_type = wire.mime_type.unwrap_or_else(|| media_type.to_owned());
    let failed = |message: String| {
        Error::invalid_request(message)
            .with_provider(PROVIDER)
            .with_operation("convert")
    };
    let result = match (wire.format.as_deref(), wire.data, wire.error) {
        (Some("error"), _, error) | (_, None, error @ Some(_)) => {
            let message = match error {
                Some(Value::String(s)) => s,
                Some(Value::Object(o)) => o
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| Value::Object(o).to_string()),
                Some(other) => other.to_string(),
                None => "the service could not convert this file".to_owned(),
            };
            Err(failed(message))
        }
        (format, Some(data), _) => {
            let format = match format {
                Some("text") => TextFormat::Text,
                _ => TextFormat::Markdown,
            };
            let tokens = match wire.tokens {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            Ok(ConvertedText::new(format, tokens, data))
        }
        (_, None, None) => Err(Error::protocol(format!(
            "the conversion of {name} has neither `data` nor `error`"
        ))
        .with_provider(PROVIDER)
        .with_operation("convert")),
    };
    ConvertedFile::new(name, media_type, result)
}

#[async_trait]
impl DocumentConverter for CloudflareConverter {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn capabilities(&self) -> DocumentCapabilities {
        let mut caps = DocumentCapabilities::new(
            DocumentFormat::documented(),
            MAX_DOCUMENT_BYTES,
            MAX_DOCUMENT_BYTES,
        );
        caps.text_output = Support::Supported;
        caps.image_language = Support::Supported;
        caps.html_options = Support::Supported;
        caps.pdf_metadata = Support::Supported;
        caps
    }

    async fn supported_formats(&self) -> Result<Vec<DocumentFormat>> {
        let t = &self.transport;
        traced(t, "tomarkdown", "convert", async {
            let deadline = Deadline::after(t.options.timeout);
            let resp = t
                .get(&t.account_url("tomarkdown/supported"), &deadline)
                .await?;
            let status = resp.status().as_u16();
            let bytes = t.read(resp, &deadline).await?;
            let formats: Vec<WireFormat> = decode_envelope(status, &bytes)?;
            Ok(formats
                .into_iter()
                .map(|f| DocumentFormat::new(f.extension.trim_start_matches('.'), f.mime_type))
                .collect())
        })
        .await
    }

    async fn convert(&self, req: &ConvertRequest) -> Result<Conversion> {
        let t = &self.transport;
        let checked = super::preflight(t, || self.capabilities().check(req), || req.validate());
        checked.map_err(|e| finish_error(t, e, "convert"))?;
        // The size limit holds even when capability checks are off: it is ours.
        let total: u64 = req.documents.iter().map(|d| d.len()).sum();
        if total > MAX_DOCUMENT_BYTES {
            return Err(finish_error(
                t,
                Error::invalid_request(format!(
                    "the documents have {total} bytes together, more than the {MAX_DOCUMENT_BYTES} one conversion sends"
                )),
                "convert",
            ));
        }
        traced(t, "tomarkdown", "convert", async {
            let body = multipart(req)?;
            let deadline = Deadline::after(t.options.timeout);
            let resp = t
                .post(
                    &t.account_url("tomarkdown"),
                    &body,
                    "application/json",
                    &deadline,
                )
                .await?;
            let status = resp.status().as_u16();
            let bytes = t.read(resp, &deadline).await?;
            let files: Vec<WireFile> = decode_envelope(status, &bytes)?;
            if files.len() != req.documents.len() {
                return Err(Error::protocol(format!(
                    "the service returned {} results for {} documents",
                    files.len(),
                    req.documents.len()
                ))
                .with_provider(PROVIDER));
            }
            let files = files
                .into_iter()
                .zip(&req.documents)
                .map(|(wire, doc)| file_result(wire, doc.name(), doc.media_type()))
                .collect();
            Ok(Conversion::new(files))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::{Document, ErrorKind};

    #[test]
    fn the_body_has_a_files_part_per_document_and_the_options() {
        let a = Document::from_bytes("a \"q\".html", b"<p>x</p>".to_vec()).unwrap();
        let b = Document::from_bytes("t.csv", b"a,b".to_vec()).unwrap();
        let req = ConvertRequest::new([a, b]).text();
        let body = multipart(&req).unwrap();
        let ct = body.content_type.to_str().unwrap().to_owned();
        let boundary = ct.split("boundary=").nth(1).unwrap().to_owned();
        let BodyText(text) = BodyText::of(&body);
        assert_eq!(text.matches("name=\"files\"").count(), 2);
        assert!(
            text.contains("filename=\"a 'q'.html\"\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n")
        );
        assert!(text.contains("{\"output\":{\"format\":\"text\"}}"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(body.len(), text.len() as u64);
    }

    struct BodyText(String);

    impl BodyText {
        fn of(body: &Body) -> BodyText {
            let mut out = Vec::new();
            for p in body.test_pieces() {
                match p {
                    Piece::Bytes(b) => out.extend_from_slice(b),
                    Piece::File(_) => panic!("no files in this test"),
                }
            }
            BodyText(String::from_utf8(out).unwrap())
        }
    }

    #[test]
    fn per_file_errors_stay_with_their_file() {
        let ok: WireFile = serde_json::from_value(json!({
            "name": "a.html", "mimeType": "text/html", "format": "markdown", "tokens": 3, "data": "# A"
        }))
        .unwrap();
        let bad: WireFile = serde_json::from_value(json!({
            "name": "b.docx", "mimeType": "application/zip", "format": "error", "error": "cannot read"
        }))
        .unwrap();
        let ok = file_result(ok, "a.html", "text/html");
        assert_eq!(ok.result.unwrap().tokens, Some(3));
        let bad = file_result(bad, "b.docx", "x");
        let e = bad.result.unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::InvalidRequest, "cannot read")
        );
        let neither: WireFile = serde_json::from_value(json!({"name": "c.pdf"})).unwrap();
        let e = file_result(neither, "c.pdf", "application/pdf")
            .result
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
