//! A fake document converter: plain text, Markdown, CSV and HTML (its tags dropped) to text.

use async_trait::async_trait;
use genai_core::{
    Conversion, ConvertRequest, ConvertedFile, ConvertedText, DocumentCapabilities,
    DocumentConverter, DocumentFormat, Error, Support,
};

/// A fake [`DocumentConverter`] of text documents: `.txt`, `.md` and `.csv` come back as they
/// are, `.html` without its tags; a file that is not UTF-8 is a per-file error. Any other
/// format is refused before any request.
///
/// ```
/// use genai_core::{ConvertRequest, Document, DocumentConverter};
/// use genai_testkit::fake::ScriptedConverter;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let page = Document::from_bytes("page.html", "<h1>Title</h1><p>Some text.</p>").unwrap();
/// let out = ScriptedConverter::new().convert(&ConvertRequest::new([page])).await.unwrap();
/// assert_eq!(out.into_texts().unwrap()[0].text, "Title Some text.");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScriptedConverter {}

impl ScriptedConverter {
    /// A fake document converter.
    pub fn new() -> Self {
        ScriptedConverter {}
    }
}

/// The text of an HTML page: its tags dropped, its words separated by one space.
fn html_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[async_trait]
impl DocumentConverter for ScriptedConverter {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> DocumentCapabilities {
        let formats = [
            ("txt", "text/plain"),
            ("md", "text/markdown"),
            ("csv", "text/csv"),
            ("html", "text/html"),
        ]
        .into_iter()
        .map(|(ext, media_type)| DocumentFormat::new(ext, media_type))
        .collect();
        let mut caps = DocumentCapabilities::new(formats, 1 << 20, 10 << 20);
        caps.text_output = Support::Supported;
        caps
    }

    async fn supported_formats(&self) -> Result<Vec<DocumentFormat>, Error> {
        Ok(self.capabilities().formats)
    }

    async fn convert(&self, req: &ConvertRequest) -> Result<Conversion, Error> {
        self.capabilities().check(req)?;
        let mut files = Vec::with_capacity(req.documents.len());
        for doc in &req.documents {
            let bytes = doc.source().load().await?;
            let result = match std::str::from_utf8(bytes.data()) {
                Err(_) => Err(Error::invalid_request(format!(
                    "{} is not UTF-8 text",
                    doc.name()
                ))),
                Ok(text) => {
                    let html = doc.media_type() == "text/html" || doc.name().ends_with(".html");
                    let text = if html {
                        html_text(text)
                    } else {
                        text.to_owned()
                    };
                    let tokens = text.split_whitespace().count() as u64;
                    Ok(ConvertedText::new(req.options.output, Some(tokens), text))
                }
            };
            files.push(ConvertedFile::new(doc.name(), doc.media_type(), result));
        }
        Ok(Conversion::new(files))
    }
}
