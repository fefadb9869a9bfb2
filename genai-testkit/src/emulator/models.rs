//! The models the emulator serves: the models of today's catalog in genai-cloudflare's facts
//! table (ids, the task of each, which take the async batch queue, which need the Workers Paid
//! plan). Retired ids are not served: they get the answer of an id the service does not know.
//! Every other part of the emulator (the catalog, the routes, the queue, the task responders)
//! reads this module; it depends on none of them.

use genai_cloudflare::facts::{self, ModelFacts};

/// A task of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    TextGeneration,
    TextEmbeddings,
    TextClassification,
    TextToImage,
    SpeechRecognition,
    TextToSpeech,
    Translation,
    Summarization,
    ImageClassification,
    ImageToText,
    DumbPipe,
}

impl Task {
    /// The task of a model the facts table lists (text generation for an unknown id).
    pub(crate) fn of(id: &str) -> Task {
        facts::lookup(id).map_or(Task::TextGeneration, |f| Task::named(f.task))
    }

    /// The task of a catalog task name.
    fn named(name: &str) -> Task {
        match name {
            "Text Embeddings" => Task::TextEmbeddings,
            "Text Classification" => Task::TextClassification,
            "Text-to-Image" => Task::TextToImage,
            "Automatic Speech Recognition" => Task::SpeechRecognition,
            "Text-to-Speech" => Task::TextToSpeech,
            "Translation" => Task::Translation,
            "Summarization" => Task::Summarization,
            "Image Classification" => Task::ImageClassification,
            "Image-to-Text" => Task::ImageToText,
            "Dumb Pipe" => Task::DumbPipe,
            _ => Task::TextGeneration,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Task::TextGeneration => "Text Generation",
            Task::TextEmbeddings => "Text Embeddings",
            Task::TextClassification => "Text Classification",
            Task::TextToImage => "Text-to-Image",
            Task::SpeechRecognition => "Automatic Speech Recognition",
            Task::TextToSpeech => "Text-to-Speech",
            Task::Translation => "Translation",
            Task::Summarization => "Summarization",
            Task::ImageClassification => "Image Classification",
            Task::ImageToText => "Image-to-Text",
            Task::DumbPipe => "Dumb Pipe",
        }
    }

    pub(crate) fn description(self) -> &'static str {
        match self {
            Task::TextGeneration => "Models that continue a conversation or a prompt with text.",
            Task::TextEmbeddings => "Models that turn text into vectors of numbers.",
            Task::TextClassification => "Models that put a label or a score on text.",
            Task::TextToImage => "Models that draw an image from a description.",
            Task::SpeechRecognition => "Models that write down what is said in audio.",
            Task::TextToSpeech => "Models that read text aloud.",
            Task::Translation => "Models that translate text between languages.",
            Task::Summarization => "Models that shorten a text to its main points.",
            Task::ImageClassification => "Models that put a label on an image.",
            Task::ImageToText => "Models that describe an image in words.",
            Task::DumbPipe => "Models that pass data through without tensors.",
        }
    }
}

/// What the catalog says about one model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServedModel {
    pub(crate) id: &'static str,
    pub(crate) task: Task,
    /// The model's row of the facts table.
    pub(crate) facts: &'static ModelFacts,
}

/// The models served: today's catalog, in the facts table's order.
pub(crate) fn served() -> impl Iterator<Item = &'static ModelFacts> {
    facts::catalog()
}

/// Looks a served model up by id (exactly as the service spells it). An alias (Kimi K2.5)
/// is served by the model it names, as the service does.
pub(crate) fn find(id: &str) -> Option<ServedModel> {
    let target = facts::all()
        .iter()
        .find(|m| m.id == id)
        .and_then(|m| m.alias_of)
        .unwrap_or(id);
    served().find(|m| m.id == target).map(|facts| ServedModel {
        id: facts.id,
        task: Task::named(facts.task),
        facts,
    })
}

/// All model ids of the catalog.
#[cfg(test)]
pub(crate) fn ids() -> Vec<&'static str> {
    served().map(|m| m.id).collect()
}

/// Whether the catalog lists `model` with `async_queue: "true"`.
pub(crate) fn takes_queue(model: &str) -> bool {
    served().any(|m| m.id == model && m.queue)
}
