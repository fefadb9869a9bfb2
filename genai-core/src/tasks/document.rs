//! Document conversion: PDFs, office files, web pages and images in, Markdown (or plain text)
//! out, one result per file.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::path::Path;

use async_trait::async_trait;
use futures_util::TryStreamExt as _;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::error::{Error, Result};
use crate::media::Media;
use crate::media_file::{MediaFile, MediaSource};

/// The document formats Workers AI's conversion documents, by file extension: the built-in
/// list [`DocumentCapabilities`] starts from (a converter may ask its service for the current
/// one).
const FORMATS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("gif", "image/gif"),
    ("bmp", "image/bmp"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("xml", "application/xml"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xlsm", "application/vnd.ms-excel.sheet.macroenabled.12"),
    (
        "xlsb",
        "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    ),
    ("xls", "application/vnd.ms-excel"),
    ("et", "application/vnd.ms-excel"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("csv", "text/csv"),
    ("numbers", "application/vnd.apple.numbers"),
];

/// Text formats a chat model reads as they are, without conversion.
const PLAIN: &[(&str, &str)] = &[
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("md", "text/markdown"),
    ("markdown", "text/markdown"),
];

/// The media type of a document named `name`, from its extension (case-insensitive): the
/// formats conversion takes, and plain text and Markdown. `None` for any other name.
///
/// ```
/// assert_eq!(genai_core::document_type("Report.PDF"), Some("application/pdf"));
/// assert_eq!(genai_core::document_type("notes.txt"), Some("text/plain"));
/// assert_eq!(genai_core::document_type("program.exe"), None);
/// ```
pub fn document_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    FORMATS
        .iter()
        .chain(PLAIN)
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, t)| *t)
}

/// Whether a document of this media type is text a chat model reads as it is.
pub(crate) fn is_plain_text(media_type: &str) -> bool {
    PLAIN.iter().any(|(_, t)| *t == media_type)
}

/// One document format a converter takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentFormat {
    /// The file extension, without the dot, lower case (`pdf`).
    pub extension: String,
    /// The media type (`application/pdf`).
    pub media_type: String,
}

impl DocumentFormat {
    /// A format.
    pub fn new(extension: impl Into<String>, media_type: impl Into<String>) -> Self {
        DocumentFormat {
            extension: extension.into(),
            media_type: media_type.into(),
        }
    }

    /// The formats Workers AI documents for conversion.
    pub fn documented() -> Vec<DocumentFormat> {
        FORMATS
            .iter()
            .map(|(e, t)| DocumentFormat::new(*e, *t))
            .collect()
    }
}

/// A document to convert or to hand to a chat model: a name (whose extension gives its format)
/// and its bytes, in memory or in a file streamed from disk as it is sent.
///
/// ```
/// use genai_core::Document;
/// let doc = Document::from_bytes("notes.html", b"<h1>Hi</h1>".to_vec()).unwrap();
/// assert_eq!(doc.media_type(), "text/html");
/// assert_eq!(doc.len(), 11);
/// assert!(Document::from_bytes("notes.html", Vec::new()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    name: String,
    source: MediaSource,
}

impl Document {
    /// A document in memory. Its format comes from the extension of `name`, or from its bytes
    /// for PDFs and images; fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) when it is
    /// empty or neither tells a known format.
    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<bytes::Bytes>) -> Result<Document> {
        let name = name.into();
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::invalid_request(format!("{name} is empty (0 bytes)")));
        }
        let media_type = document_type(&name)
            .or_else(|| sniff_document(&bytes))
            .ok_or_else(|| unknown_format(&name))?;
        Ok(Document {
            name,
            source: MediaSource::Memory(Media::with_type(media_type, bytes)),
        })
    }

    /// A document in a file, read as it is sent (never whole in memory). Its name is the file
    /// name; its format comes from the extension, or from the first bytes for PDFs and images.
    ///
    /// Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) when the file cannot be
    /// read, is empty, or is of no known format.
    pub async fn open(path: impl AsRef<Path>) -> Result<Document> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let media_type = match document_type(&name) {
            Some(t) => t,
            None => {
                let head = read_head(path).await?;
                sniff_document(&head).ok_or_else(|| unknown_format(&path.display().to_string()))?
            }
        };
        let file = MediaFile::open_as(path, media_type).await?;
        Ok(Document {
            name,
            source: MediaSource::File(file),
        })
    }

    /// The name (a file name), as it is sent and reported back.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The media type.
    pub fn media_type(&self) -> &str {
        self.source.media_type()
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.source.len()
    }

    /// Whether there are no bytes (never true of a document built by this type).
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// The bytes: in memory or a file.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }

    /// A 128-bit hash of the content (not the name), read from the file when on disk: the key
    /// under which a conversion is cached.
    pub async fn content_hash(&self) -> Result<u128> {
        let mut a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        0x5eed_u32.hash(&mut b);
        let mut feed = |chunk: &[u8]| {
            a.write(chunk);
            b.write(chunk);
        };
        match &self.source {
            MediaSource::Memory(m) => feed(m.data()),
            MediaSource::File(f) => {
                let mut chunks = std::pin::pin!(f.chunks());
                while let Some(chunk) = chunks.try_next().await.map_err(|e| {
                    Error::invalid_request(format!("cannot read {}: {e}", self.name)).with_source(e)
                })? {
                    feed(&chunk);
                }
            }
        }
        self.len().hash(&mut a);
        Ok((u128::from(a.finish()) << 64) | u128::from(b.finish()))
    }
}

/// The format of a document without a known extension, from its first bytes: a PDF or an
/// image.
fn sniff_document(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    crate::media::sniff_media_type(head).filter(|t| t.starts_with("image/"))
}

/// The first bytes of a file (fewer when it is shorter).
async fn read_head(path: &Path) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let cannot =
        |e: std::io::Error| Error::invalid_request(format!("cannot read {}: {e}", path.display()));
    let file = tokio::fs::File::open(path).await.map_err(cannot)?;
    let mut head = Vec::with_capacity(64);
    file.take(64).read_to_end(&mut head).await.map_err(cannot)?;
    Ok(head)
}

fn unknown_format(name: &str) -> Error {
    Error::invalid_request(format!(
        "{name} is of no known document format (name it with its extension: .pdf, .docx, .html, .csv...)"
    ))
}

/// What a conversion writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// Markdown (headings, tables, lists kept).
    #[default]
    Markdown,
    /// Plain text.
    Text,
}

impl TextFormat {
    /// `markdown` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Markdown => "markdown",
            TextFormat::Text => "text",
        }
    }
}

/// The languages an image description may be asked in.
const DESCRIPTION_LANGUAGES: &[&str] = &["en", "it", "de", "es", "fr", "pt"];

/// How documents are converted. The default: Markdown, the service's defaults for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConversionOptions {
    /// Markdown or plain text.
    pub output: TextFormat,
    /// The language images are described in (`en`, `it`, `de`, `es`, `fr`, `pt`).
    pub image_language: Option<String>,
    /// The host name relative links of a web page are resolved against.
    pub html_hostname: Option<String>,
    /// Keeps only the parts of a web page this CSS selector matches.
    pub html_css_selector: Option<String>,
    /// Whether a PDF's metadata is kept (`None`: the service's default, kept).
    pub pdf_metadata: Option<bool>,
}

/// Documents to convert, with the options of the conversion.
///
/// ```
/// use genai_core::{ConvertRequest, Document, TextFormat};
/// let doc = Document::from_bytes("t.csv", b"a,b\n1,2\n".to_vec()).unwrap();
/// let req = ConvertRequest::new([doc]).text().image_language("fr");
/// assert_eq!(req.options.output, TextFormat::Text);
/// assert!(req.validate().is_ok());
/// assert!(ConvertRequest::new([]).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertRequest {
    /// The documents, in the order their results come back.
    pub documents: Vec<Document>,
    /// How to convert them.
    pub options: ConversionOptions,
}

impl ConvertRequest {
    /// Converts these documents to Markdown.
    pub fn new(documents: impl IntoIterator<Item = Document>) -> Self {
        ConvertRequest {
            documents: documents.into_iter().collect(),
            options: ConversionOptions::default(),
        }
    }

    /// Asks for plain text instead of Markdown.
    pub fn text(mut self) -> Self {
        self.options.output = TextFormat::Text;
        self
    }

    /// Sets the language images are described in.
    pub fn image_language(mut self, lang: impl Into<String>) -> Self {
        self.options.image_language = Some(lang.into());
        self
    }

    /// Sets all the options.
    pub fn options(mut self, options: ConversionOptions) -> Self {
        self.options = options;
        self
    }

    /// Refuses an empty list, an empty document, and an image language conversion does not
    /// know.
    pub fn validate(&self) -> Result<()> {
        if self.documents.is_empty() {
            return Err(Error::invalid_request("no documents given"));
        }
        if let Some(d) = self.documents.iter().find(|d| d.is_empty()) {
            return Err(Error::invalid_request(format!("{} is empty", d.name())));
        }
        if let Some(lang) = &self.options.image_language {
            if !DESCRIPTION_LANGUAGES.contains(&lang.as_str()) {
                return Err(Error::invalid_request(format!(
                    "images can be described in {}, not `{lang}`",
                    DESCRIPTION_LANGUAGES.join(", ")
                )));
            }
        }
        for (value, what) in [
            (&self.options.html_hostname, "the HTML host name"),
            (&self.options.html_css_selector, "the HTML CSS selector"),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::invalid_request(format!("{what} is empty")));
            }
        }
        Ok(())
    }
}

/// The text of one converted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConvertedText {
    /// Markdown or plain text.
    pub format: TextFormat,
    /// The tokens the text counts, when the service says.
    pub tokens: Option<u64>,
    /// The text.
    pub text: String,
}

impl ConvertedText {
    /// A converted text.
    pub fn new(format: TextFormat, tokens: Option<u64>, text: impl Into<String>) -> Self {
        ConvertedText {
            format,
            tokens,
            text: text.into(),
        }
    }
}

/// The result for one document: its text, or why the service could not convert it.
#[derive(Debug)]
#[non_exhaustive]
pub struct ConvertedFile {
    /// The document's name.
    pub name: String,
    /// Its media type, as the service read it.
    pub media_type: String,
    /// Its text, or the error of this file alone.
    pub result: Result<ConvertedText>,
}

impl ConvertedFile {
    /// A result for the document `name`.
    pub fn new(
        name: impl Into<String>,
        media_type: impl Into<String>,
        result: Result<ConvertedText>,
    ) -> Self {
        ConvertedFile {
            name: name.into(),
            media_type: media_type.into(),
            result,
        }
    }
}

/// The results of one conversion: one per document, in request order. A file the service could
/// not convert has its own error; the others are still there.
///
/// ```
/// use genai_core::{Conversion, ConvertedFile, ConvertedText, Error, TextFormat};
/// let conversion = Conversion::new(vec![
///     ConvertedFile::new("a.html", "text/html", Ok(ConvertedText::new(TextFormat::Markdown, None, "# A"))),
///     ConvertedFile::new("b.docx", "application/zip", Err(Error::invalid_request("unreadable"))),
/// ]);
/// assert_eq!(conversion.failures(), 1);
/// assert!(conversion.into_texts().is_err());
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Conversion {
    /// One result per document, in request order.
    pub files: Vec<ConvertedFile>,
}

impl Conversion {
    /// The results.
    pub fn new(files: Vec<ConvertedFile>) -> Self {
        Conversion { files }
    }

    /// How many documents failed.
    pub fn failures(&self) -> usize {
        self.files.iter().filter(|f| f.result.is_err()).count()
    }

    /// The texts in request order, or the first file's error (naming the file) when any
    /// failed.
    pub fn into_texts(self) -> Result<Vec<ConvertedText>> {
        self.files
            .into_iter()
            .map(|f| {
                let name = f.name;
                f.result.map_err(|e| {
                    let message = format!("{name}: {}", e.message());
                    rewrap(e, message)
                })
            })
            .collect()
    }
}

/// `e` with another message, keeping the rest.
pub(crate) fn rewrap(e: Error, message: String) -> Error {
    let mut out = Error::new(e.kind(), message).with_retryable(e.is_retryable());
    if let Some(p) = e.provider() {
        out = out.with_provider(p.to_owned());
    }
    if let Some(o) = e.operation() {
        out = out.with_operation(o);
    }
    if let Some(s) = e.status() {
        out = out.with_status(s);
    }
    if let Some(c) = e.code() {
        out = out.with_code(c);
    }
    if let Some(r) = e.request_id() {
        out = out.with_request_id(r.to_owned());
    }
    if let Some(r) = e.retry_after() {
        out = out.with_retry_after(r);
    }
    out.with_source(e)
}

/// What a document converter can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DocumentCapabilities {
    /// The formats it takes.
    pub formats: Vec<DocumentFormat>,
    /// Plain text output besides Markdown.
    pub text_output: Support,
    /// Image descriptions in a chosen language.
    pub image_language: Support,
    /// The HTML options (host name, CSS selector).
    pub html_options: Support,
    /// Dropping a PDF's metadata.
    pub pdf_metadata: Support,
    /// The largest document sent, in bytes.
    pub max_file_bytes: u64,
    /// The most bytes one conversion sends (all documents together).
    pub max_request_bytes: u64,
}

impl DocumentCapabilities {
    /// Takes these formats, up to these sizes, no options.
    pub fn new(formats: Vec<DocumentFormat>, max_file_bytes: u64, max_request_bytes: u64) -> Self {
        DocumentCapabilities {
            formats,
            text_output: Support::Unsupported,
            image_language: Support::Unsupported,
            html_options: Support::Unsupported,
            pdf_metadata: Support::Unsupported,
            max_file_bytes,
            max_request_bytes,
        }
    }

    /// Whether a document of this name and media type is of a format it takes.
    pub fn takes(&self, name: &str, media_type: &str) -> bool {
        let ext = name.rsplit_once('.').map(|(_, e)| e);
        self.formats.iter().any(|f| {
            f.media_type.eq_ignore_ascii_case(media_type)
                || ext.is_some_and(|e| e.eq_ignore_ascii_case(&f.extension))
        })
    }

    /// Validates `req` and refuses, before anything is uploaded, a format it does not take,
    /// a document or a request over its size limits, and an option it lacks.
    ///
    /// ```
    /// use genai_core::{ConvertRequest, Document, DocumentCapabilities, DocumentFormat, ErrorKind};
    /// let caps = DocumentCapabilities::new(DocumentFormat::documented(), 8, 100);
    /// let small = Document::from_bytes("a.csv", b"a,b".to_vec()).unwrap();
    /// assert!(caps.check(&ConvertRequest::new([small])).is_ok());
    /// let big = Document::from_bytes("b.csv", vec![b'x'; 9]).unwrap();
    /// assert_eq!(caps.check(&ConvertRequest::new([big])).unwrap_err().kind(), ErrorKind::InvalidRequest);
    /// let text = Document::from_bytes("c.txt", b"hi".to_vec()).unwrap();
    /// assert_eq!(caps.check(&ConvertRequest::new([text])).unwrap_err().kind(), ErrorKind::Unsupported);
    /// ```
    pub fn check(&self, req: &ConvertRequest) -> Result<()> {
        req.validate()?;
        let mut total = 0u64;
        for d in &req.documents {
            if !self.takes(d.name(), d.media_type()) {
                return Err(Error::unsupported(format!(
                    "{} ({}) is not a format this converter takes",
                    d.name(),
                    d.media_type()
                )));
            }
            if d.len() > self.max_file_bytes {
                return Err(Error::invalid_request(format!(
                    "{} has {} bytes, more than the {} one document may have",
                    d.name(),
                    d.len(),
                    self.max_file_bytes
                )));
            }
            total = total.saturating_add(d.len());
        }
        if total > self.max_request_bytes {
            return Err(Error::invalid_request(format!(
                "the documents have {total} bytes together, more than the {} one conversion may send; convert them in several calls",
                self.max_request_bytes
            )));
        }
        let o = &req.options;
        let wanted = [
            (
                o.output == TextFormat::Text,
                self.text_output,
                "plain text output",
            ),
            (
                o.image_language.is_some(),
                self.image_language,
                "an image description language",
            ),
            (
                o.html_hostname.is_some() || o.html_css_selector.is_some(),
                self.html_options,
                "HTML options",
            ),
            (
                o.pdf_metadata.is_some(),
                self.pdf_metadata,
                "the PDF metadata option",
            ),
        ];
        for (asked, support, what) in wanted {
            if asked && !support.is_usable() {
                return Err(Error::unsupported(format!(
                    "this converter does not take {what}"
                )));
            }
        }
        Ok(())
    }
}

/// A service that converts documents (PDF, office files, web pages, images...) to Markdown or
/// plain text.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{ConvertRequest, Document, DocumentConverter};
///
/// async fn to_markdown(converter: Arc<dyn DocumentConverter>) -> genai_core::Result<()> {
///     let doc = Document::open("report.pdf").await?;
///     for file in converter.convert(&ConvertRequest::new([doc])).await?.files {
///         match file.result {
///             Ok(text) => println!("{}:\n{}", file.name, text.text),
///             Err(e) => eprintln!("{}: {e}", file.name),
///         }
///     }
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait DocumentConverter: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// What it can do, as known without a request.
    fn capabilities(&self) -> DocumentCapabilities;

    /// The formats the service takes today, asked of the service.
    async fn supported_formats(&self) -> Result<Vec<DocumentFormat>>;

    /// Converts the documents: one result per document, in request order. Fails as a whole
    /// only when the call itself fails; a document the service cannot read has its own error.
    async fn convert(&self, req: &ConvertRequest) -> Result<Conversion>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_get_their_type_from_the_name_and_hash_like_memory() {
        let path = std::env::temp_dir().join(format!("genai-doc-{}.csv", std::process::id()));
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        let file = Document::open(&path).await.unwrap();
        assert_eq!(file.media_type(), "text/csv");
        let memory = Document::from_bytes("other-name.csv", b"a,b\n1,2\n".to_vec()).unwrap();
        assert_eq!(
            file.content_hash().await.unwrap(),
            memory.content_hash().await.unwrap()
        );
        let other = Document::from_bytes("x.csv", b"a,b\n1,3\n".to_vec()).unwrap();
        assert_ne!(
            other.content_hash().await.unwrap(),
            memory.content_hash().await.unwrap()
        );
        std::fs::remove_file(&path).unwrap();
        assert!(Document::open(&path).await.is_err());
        let unknown = std::env::temp_dir().join(format!("genai-doc-{}.bin", std::process::id()));
        std::fs::write(&unknown, b"\x00\x01binary").unwrap();
        assert!(Document::open(&unknown)
            .await
            .unwrap_err()
            .message()
            .contains("no known document format"));
        std::fs::remove_file(&unknown).unwrap();
    }

    #[tokio::test]
    async fn a_pdf_without_its_extension_is_known_by_its_bytes() {
        let path = std::env::temp_dir().join(format!("genai-doc-{}-scan", std::process::id()));
        std::fs::write(&path, b"%PDF-1.7\n...").unwrap();
        assert_eq!(
            Document::open(&path).await.unwrap().media_type(),
            "application/pdf"
        );
        std::fs::remove_file(&path).unwrap();
        let doc = Document::from_bytes("upload", b"%PDF-1.4 x".to_vec()).unwrap();
        assert_eq!(doc.media_type(), "application/pdf");
    }

    #[test]
    fn options_are_refused_when_the_converter_lacks_them() {
        let doc = Document::from_bytes("a.pdf", b"%PDF-1.4".to_vec()).unwrap();
        let caps = DocumentCapabilities::new(DocumentFormat::documented(), 100, 100);
        assert!(caps
            .check(&ConvertRequest::new([doc.clone()]).text())
            .is_err());
        assert!(ConvertRequest::new([doc])
            .image_language("xx")
            .validate()
            .is_err());
    }
}
