//! The models the emulator serves: their ids, the task of each, and which take the async
//! batch queue. Every other part of the emulator (the catalog, the routes, the queue, the
//! task responders) reads this table; it depends on none of them.

/// Every model the emulator lists. Chat models the emulator speaks come first.
pub(crate) const MODEL_IDS: &[&str] = &[
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    "@cf/meta/llama-3.2-1b-instruct",
    "@cf/meta/llama-3.2-3b-instruct",
    "@cf/meta/llama-3.1-8b-instruct-fp8",
    "@cf/meta/llama-3.1-8b-instruct-awq",
    "@cf/meta/llama-4-scout-17b-16e-instruct",
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
    "@cf/qwen/qwq-32b",
    "@hf/nousresearch/hermes-2-pro-mistral-7b",
    "@cf/zai-org/glm-4.7-flash",
    "@cf/qwen/qwen3-30b-a3b-fp8",
    "@cf/openai/gpt-oss-20b",
    "@cf/openai/gpt-oss-120b",
    "@cf/baai/bge-base-en-v1.5",
    "@cf/baai/bge-large-en-v1.5",
    "@cf/baai/bge-m3",
    "@cf/baai/bge-reranker-base",
    "@cf/baai/bge-small-en-v1.5",
    "@cf/black-forest-labs/flux-1-schnell",
    "@cf/bytedance/stable-diffusion-xl-lightning",
    "@cf/deepgram/aura-1",
    "@cf/deepgram/nova-3",
    "@cf/deepseek-ai/deepseek-math-7b-instruct",
    "@cf/defog/sqlcoder-7b-2",
    "@cf/facebook/bart-large-cnn",
    "@cf/fblgit/una-cybertron-7b-v2-bf16",
    "@cf/google/gemma-2b-it-lora",
    "@cf/google/gemma-3-12b-it",
    "@cf/google/gemma-7b-it-lora",
    "@cf/huggingface/distilbert-sst-2-int8",
    "@cf/leonardo/lucid-origin",
    "@cf/leonardo/phoenix-1.0",
    "@cf/llava-hf/llava-1.5-7b-hf",
    "@cf/lykon/dreamshaper-8-lcm",
    "@cf/meta-llama/llama-2-7b-chat-hf-lora",
    "@cf/meta/llama-2-7b-chat-fp16",
    "@cf/meta/llama-2-7b-chat-int8",
    "@cf/meta/llama-3-8b-instruct",
    "@cf/meta/llama-3-8b-instruct-awq",
    "@cf/meta/llama-3.2-11b-vision-instruct",
    "@cf/meta/llama-guard-3-8b",
    "@cf/meta/m2m100-1.2b",
    "@cf/microsoft/phi-2",
    "@cf/microsoft/resnet-50",
    "@cf/mistral/mistral-7b-instruct-v0.1",
    "@cf/mistral/mistral-7b-instruct-v0.2-lora",
    "@cf/mistralai/mistral-small-3.1-24b-instruct",
    "@cf/myshell-ai/melotts",
    "@cf/openai/whisper",
    "@cf/openai/whisper-large-v3-turbo",
    "@cf/openai/whisper-tiny-en",
    "@cf/openchat/openchat-3.5-0106",
    "@cf/pipecat-ai/smart-turn-v2",
    "@cf/qwen/qwen1.5-0.5b-chat",
    "@cf/qwen/qwen1.5-1.8b-chat",
    "@cf/qwen/qwen1.5-14b-chat-awq",
    "@cf/qwen/qwen1.5-7b-chat-awq",
    "@cf/qwen/qwen2.5-coder-32b-instruct",
    "@cf/runwayml/stable-diffusion-v1-5-img2img",
    "@cf/runwayml/stable-diffusion-v1-5-inpainting",
    "@cf/stabilityai/stable-diffusion-xl-base-1.0",
    "@cf/thebloke/discolm-german-7b-v1-awq",
    "@cf/tiiuae/falcon-7b-instruct",
    "@cf/tinyllama/tinyllama-1.1b-chat-v1.0",
    "@cf/unum/uform-gen2-qwen-500m",
    "@hf/google/gemma-7b-it",
    "@hf/meta-llama/meta-llama-3-8b-instruct",
    "@hf/mistral/mistral-7b-instruct-v0.2",
    "@hf/nexusflow/starling-lm-7b-beta",
    "@hf/thebloke/deepseek-coder-6.7b-base-awq",
    "@hf/thebloke/deepseek-coder-6.7b-instruct-awq",
    "@hf/thebloke/llama-2-13b-chat-awq",
    "@hf/thebloke/llamaguard-7b-awq",
    "@hf/thebloke/mistral-7b-instruct-v0.1-awq",
    "@hf/thebloke/neural-chat-7b-v3-1-awq",
    "@hf/thebloke/openhermes-2.5-mistral-7b-awq",
    "@hf/thebloke/zephyr-7b-beta-awq",
];

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
    pub(crate) fn of(id: &str) -> Task {
        let name = id.rsplit('/').next().unwrap_or(id);
        let has = |part: &str| name.contains(part);
        if has("reranker") || has("distilbert") {
            Task::TextClassification
        } else if name.starts_with("bge-") {
            Task::TextEmbeddings
        } else if [
            "flux",
            "stable-diffusion",
            "dreamshaper",
            "lucid-origin",
            "phoenix",
        ]
        .iter()
        .any(|p| has(p))
        {
            Task::TextToImage
        } else if has("whisper") || has("nova-3") {
            Task::SpeechRecognition
        } else if has("aura") || has("melotts") {
            Task::TextToSpeech
        } else if has("m2m100") {
            Task::Translation
        } else if has("bart-large-cnn") {
            Task::Summarization
        } else if has("resnet") {
            Task::ImageClassification
        } else if has("llava") || has("uform") {
            Task::ImageToText
        } else if has("smart-turn") {
            Task::DumbPipe
        } else {
            Task::TextGeneration
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
pub(crate) struct ModelInfo {
    pub(crate) id: &'static str,
    pub(crate) task: Task,
}

/// Looks a model up by id.
pub(crate) fn find(id: &str) -> Option<ModelInfo> {
    MODEL_IDS.iter().find(|m| **m == id).map(|id| ModelInfo {
        id,
        task: Task::of(id),
    })
}

/// All model ids of the catalog.
#[cfg(test)]
pub(crate) fn ids() -> &'static [&'static str] {
    MODEL_IDS
}

/// Models the emulator's catalog marks with `async_queue`.
const QUEUE_MODELS: &[&str] = &[
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    "@cf/qwen/qwen3-30b-a3b-fp8",
    "@cf/baai/bge-small-en-v1.5",
    "@cf/baai/bge-base-en-v1.5",
    "@cf/baai/bge-large-en-v1.5",
    "@cf/baai/bge-m3",
    "@cf/meta/m2m100-1.2b",
    "@cf/deepgram/aura-1",
    "@cf/deepgram/nova-3",
    "@cf/pipecat-ai/smart-turn-v2",
];

/// Whether the catalog lists `model` with `async_queue: "true"`.
pub(crate) fn takes_queue(model: &str) -> bool {
    QUEUE_MODELS.contains(&model)
}
