//! One trait per kind of model beyond chat, each with its requests, results and capabilities.
//!
//! Every trait follows the rule of [`ProviderGen`](crate::ProviderGen): a request the model
//! cannot serve is refused with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported)
//! before any network call, by the `check` method of the kind's capabilities, and a request
//! that is malformed (an empty text, an empty list) fails with
//! [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) by its `validate` method.

mod batch;
mod classification;
mod document;
mod embedding;
mod image;
mod reranking;
mod speech;
mod summarization;
mod transcription;
mod translation;
mod turn;

pub use batch::{
    plan_chunks, replace_file, BatchCapabilities, BatchChunk, BatchEvent, BatchFingerprint,
    BatchItem, BatchJob, BatchLine, BatchModel, BatchOutput, BatchRequest, BatchResult, BatchState,
    BatchStatus, BatchTally, ChunkState, PollPolicy, ResumableBatch,
};
pub use classification::{
    Classification, ClassificationCapabilities, ClassificationModel, ClassifyInput,
    ClassifyRequest, Label,
};
pub use document::{
    document_type, Conversion, ConversionOptions, ConvertRequest, ConvertedFile, ConvertedText,
    Document, DocumentCapabilities, DocumentConverter, DocumentFormat, TextFormat,
};
pub(crate) use document::{is_plain_text, rewrap};
pub use embedding::{
    cosine, EmbedRequest, EmbeddingCapabilities, EmbeddingModel, Embeddings, Pooling,
};
pub use image::{image_size, GeneratedImage, ImageCapabilities, ImageModel, ImageRequest, Range};
pub use reranking::{
    RankedDocument, Ranking, RerankRequest, RerankingCapabilities, RerankingModel,
};
pub use speech::{SpeechCapabilities, SpeechModel, SpeechRequest};
pub use summarization::{SummarizationCapabilities, SummarizationModel, SummarizeRequest, Summary};
pub use transcription::{
    Segment, TranscribeRequest, Transcript, TranscriptionCapabilities, TranscriptionModel, Word,
};
pub use translation::{TranslateRequest, Translation, TranslationCapabilities, TranslationModel};
pub use turn::{TurnDetection, TurnDetectionCapabilities, TurnDetectionModel, TurnRequest};

use crate::error::{Error, Result};

/// Refuses an empty or blank text, naming `what`.
pub(crate) fn non_blank(text: &str, what: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid_request(format!("{what} is empty")));
    }
    Ok(())
}

/// Refuses an empty list or one with a blank text, naming `what` and the item's position.
pub(crate) fn non_blank_list(texts: &[String], what: &str) -> Result<()> {
    if texts.is_empty() {
        return Err(Error::invalid_request(format!("no {what} given")));
    }
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        return Err(Error::invalid_request(format!(
            "{what} {} of {} is empty",
            i + 1,
            texts.len()
        )));
    }
    Ok(())
}
