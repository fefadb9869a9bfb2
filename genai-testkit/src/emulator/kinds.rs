//! The one table from a served model to the responder of its kind: every kind but chat, each
//! in its own module (a new kind adds its module and a line here). The server and the batch
//! queue both answer through it.

use super::answer::{Answer, Refusal};
use super::models::Task;
use super::{
    classification, embedding, image, reranking, speech, summarization, transcription, translation,
    turn,
};

/// The answer of the served model `id` of `task` to a request (`query` and `content_type`
/// as sent, `body`); `None` for a chat model, and for a model the emulator does not run.
pub(crate) fn answer(
    id: &str,
    task: Task,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Result<Answer, Refusal>> {
    let name = id.rsplit('/').next().unwrap_or(id);
    let json = |result: Result<serde_json::Value, Refusal>| Some(result.map(Answer::Json));
    match task {
        Task::TextEmbeddings => json(embedding::run(name, body)),
        Task::TextClassification if name.contains("reranker") => json(reranking::run(body)),
        Task::TextClassification => json(classification::run_text(body)),
        Task::ImageClassification => json(classification::run_image(body)),
        Task::Translation => json(translation::run(id, body)),
        Task::Summarization => json(summarization::run(body)),
        Task::TextToImage | Task::ImageToText => {
            image::run(id, task, content_type.unwrap_or(""), body)
        }
        Task::TextToSpeech => speech::run(id, body),
        Task::SpeechRecognition => transcription::run(id, query, content_type, body),
        Task::DumbPipe => turn::run(id, body),
        Task::TextGeneration => None,
    }
}
