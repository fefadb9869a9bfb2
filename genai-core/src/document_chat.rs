//! [`DocumentChat`]: any chat model reads documents, converted to text before the call and
//! cached by content so a conversation converts each document once.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::capability::ModelCapabilities;
use crate::error::{Error, Result};
use crate::provider::ProviderGen;
use crate::request::{ChatRequest, Message};
use crate::response::ChatResponse;
use crate::stream::ChatStream;
use crate::tasks::{is_plain_text, ConversionOptions, ConvertRequest, Document, DocumentConverter};

/// How many converted documents one `DocumentChat` keeps.
const CACHE_ENTRIES: usize = 256;

/// A chat model that reads the documents a request carries
/// ([`ChatRequest::document`]): before each call it converts them with a
/// [`DocumentConverter`] and puts their text at the end of the last user turn, each in a
/// `<document name="...">` block. Plain text and Markdown files are read as they are.
///
/// Conversions are cached by the document's content (not its name) and the conversion
/// options, so sending the same PDF again with every turn of a conversation converts it once.
/// A document the converter cannot read fails the call with that document's error, naming it.
///
/// Its capabilities are the model's, with documents among the inputs.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{ChatRequest, Document, DocumentChat, DocumentConverter, ProviderGen};
///
/// async fn ask_about(
///     chat: Arc<dyn ProviderGen>,
///     converter: Arc<dyn DocumentConverter>,
/// ) -> genai_core::Result<String> {
///     let reader = DocumentChat::new(chat, converter);
///     let req = ChatRequest::new()
///         .user("What is the code word in this memo?")
///         .document(Document::open("memo.pdf").await?);
///     Ok(reader.gen_sync(&req).await?.text)
/// }
/// ```
pub struct DocumentChat {
    inner: Arc<dyn ProviderGen>,
    converter: Arc<dyn DocumentConverter>,
    options: ConversionOptions,
    cache: Mutex<HashMap<u128, String>>,
}

impl fmt::Debug for DocumentChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentChat")
            .field("inner", &self.inner)
            .field("converter", &self.converter)
            .finish_non_exhaustive()
    }
}

impl DocumentChat {
    /// `inner` reading documents converted by `converter` (to Markdown).
    pub fn new(inner: Arc<dyn ProviderGen>, converter: Arc<dyn DocumentConverter>) -> Self {
        DocumentChat {
            inner,
            converter,
            options: ConversionOptions::default(),
            cache: Mutex::default(),
        }
    }

    /// Converts with these options (plain text, image language...).
    pub fn options(mut self, options: ConversionOptions) -> Self {
        self.options = options;
        self
    }

    /// How many converted documents are cached.
    pub fn cached(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// `req` as the model gets it: its documents converted (or taken from the cache) and their
    /// text at the end of the last user turn.
    pub async fn prepare(&self, req: &ChatRequest) -> Result<ChatRequest> {
        let mut out = req.clone();
        let documents = std::mem::take(&mut out.documents);
        if documents.is_empty() {
            return Ok(out);
        }
        let mut texts: Vec<Option<String>> = vec![None; documents.len()];
        let mut missing = Vec::new();
        for (i, doc) in documents.iter().enumerate() {
            if is_plain_text(doc.media_type()) {
                texts[i] = Some(plain_text(doc).await?);
                continue;
            }
            let key = self.key(doc).await?;
            match self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
                Some(text) => texts[i] = Some(text),
                None => missing.push((i, key)),
            }
        }
        if !missing.is_empty() {
            let convert = ConvertRequest::new(missing.iter().map(|(i, _)| documents[*i].clone()))
                .options(self.options.clone());
            let conversion = self.converter.convert(&convert).await?;
            if conversion.files.len() != missing.len() {
                return Err(Error::protocol(format!(
                    "the converter returned {} results for {} documents",
                    conversion.files.len(),
                    missing.len()
                )));
            }
            let converted = conversion.into_texts()?;
            if let Ok(mut cache) = self.cache.lock() {
                if cache.len() + converted.len() > CACHE_ENTRIES {
                    cache.clear();
                }
                for ((_, key), text) in missing.iter().zip(&converted) {
                    cache.insert(*key, text.text.clone());
                }
            }
            for ((i, _), text) in missing.into_iter().zip(converted) {
                texts[i] = Some(text.text);
            }
        }
        let mut block = String::new();
        for (doc, text) in documents.iter().zip(texts) {
            let text = text.unwrap_or_default();
            block.push_str(&format!(
                "\n\n<document name=\"{}\">\n{}\n</document>",
                doc.name().replace('"', "'"),
                text.trim()
            ));
        }
        let last_user = out.messages.iter_mut().rev().find_map(|m| match m {
            Message::User { content, .. } => Some(content),
            _ => None,
        });
        match last_user {
            Some(content) => content.push_str(&block),
            None => out
                .messages
                .push(Message::user(block.trim_start().to_owned())),
        }
        Ok(out)
    }

    /// The cache key: the content and the options.
    async fn key(&self, doc: &Document) -> Result<u128> {
        let content = doc.content_hash().await?;
        let options = serde_json::to_string(&self.options).unwrap_or_default();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&options, &mut h);
        Ok(content ^ u128::from(std::hash::Hasher::finish(&h)))
    }
}

/// A plain text document's text: it must be UTF-8.
async fn plain_text(doc: &Document) -> Result<String> {
    let media = doc.source().load().await?;
    String::from_utf8(media.into_data().to_vec())
        .map_err(|_| Error::invalid_request(format!("{} is not UTF-8 text", doc.name())))
}

#[async_trait]
impl ProviderGen for DocumentChat {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn capabilities(&self) -> ModelCapabilities {
        let mut caps = self.inner.capabilities();
        caps.sync.input.document = true;
        caps.stream.input.document = true;
        caps
    }

    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
        let req = self.prepare(req).await?;
        self.inner.gen_sync(&req).await
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        let req = self.prepare(req).await?;
        self.inner.gen_stream(&req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::{
        Conversion, ConvertedFile, ConvertedText, DocumentCapabilities, DocumentFormat, TextFormat,
    };
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Upper {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl DocumentConverter for Upper {
        fn name(&self) -> &str {
            "test"
        }
        fn capabilities(&self) -> DocumentCapabilities {
            DocumentCapabilities::new(DocumentFormat::documented(), 1 << 20, 1 << 20)
        }
        async fn supported_formats(&self) -> Result<Vec<DocumentFormat>> {
            Ok(DocumentFormat::documented())
        }
        async fn convert(&self, req: &ConvertRequest) -> Result<Conversion> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mut files = Vec::new();
            for d in &req.documents {
                let data = d.source().load().await?.into_data();
                let result = if d.name().ends_with(".docx") {
                    Err(Error::invalid_request("cannot read this file"))
                } else {
                    let text = String::from_utf8_lossy(&data).to_uppercase();
                    Ok(ConvertedText::new(TextFormat::Markdown, None, text))
                };
                files.push(ConvertedFile::new(d.name(), d.media_type(), result));
            }
            Ok(Conversion::new(files))
        }
    }

    #[derive(Debug)]
    struct Echo;

    #[async_trait]
    impl ProviderGen for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn model(&self) -> &str {
            "echo-1"
        }
        fn capabilities(&self) -> ModelCapabilities {
            ModelCapabilities::default()
        }
        async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
            req.validate()?;
            Ok(ChatResponse::new(req.last_user_message().unwrap_or("")))
        }
        async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
            Ok(ChatStream::from_response(self.gen_sync(req).await?))
        }
    }

    #[tokio::test]
    async fn documents_are_converted_once_and_reach_the_last_user_turn() {
        let converter = Arc::new(Upper::default());
        let chat = DocumentChat::new(Arc::new(Echo), converter.clone());
        let html = Document::from_bytes("a.html", b"<p>quackiland</p>".to_vec()).unwrap();
        let notes = Document::from_bytes("n.txt", b"plain words".to_vec()).unwrap();
        let req = ChatRequest::new()
            .user("Read this.")
            .document(html.clone())
            .document(notes);
        let reply = chat.gen_sync(&req).await.unwrap();
        assert!(reply.text.starts_with("Read this."), "{}", reply.text);
        assert!(reply
            .text
            .contains("<document name=\"a.html\">\n<P>QUACKILAND</P>"));
        assert!(reply.text.contains("plain words"));
        // The same content under another name comes from the cache.
        let renamed = Document::from_bytes("b.html", b"<p>quackiland</p>".to_vec()).unwrap();
        let again = ChatRequest::new().user("And now?").document(renamed);
        let reply = chat.gen_sync(&again).await.unwrap();
        assert!(reply.text.contains("QUACKILAND"));
        assert_eq!(converter.calls.load(Ordering::SeqCst), 1);
        assert_eq!(chat.cached(), 1);
        assert!(chat.capabilities().sync.input.document);
    }

    #[tokio::test]
    async fn an_unreadable_document_fails_the_call_naming_it_and_bare_models_refuse_documents() {
        let chat = DocumentChat::new(Arc::new(Echo), Arc::new(Upper::default()));
        let bad = Document::from_bytes("x.docx", b"PK\x03\x04".to_vec()).unwrap();
        let req = ChatRequest::new().user("hi").document(bad);
        let err = chat.gen_sync(&req).await.unwrap_err();
        assert!(err.message().starts_with("x.docx: "), "{err}");
        let err = Echo.gen_sync(&req).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unsupported);
    }
}
