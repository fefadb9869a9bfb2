//! The model catalog served on `/ai/models/search`, in the real shape, with the service's
//! broken pagination (`total_count` larger than what the pages hold).

use serde_json::{json, Value};

use super::families::Family;

/// How many models `result_info.total_count` claims beyond the real list (the real service
/// also counts models that no page returns).
const PHANTOM_MODELS: usize = 37;

/// Every model the emulator lists. Chat models the emulator speaks come first.
const MODEL_IDS: &[&str] = &[
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
    fn of(id: &str) -> Task {
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

    fn name(self) -> &'static str {
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

    fn description(self) -> &'static str {
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

/// The `/ai/models/search` body for this query string.
pub(crate) fn search_body(query: &str) -> Value {
    let param = |key: &str| {
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then(|| crate::serve::decode_query(v))
        })
    };
    let page = param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = param("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let task = param("task").map(|t| t.to_lowercase());
    let search = param("search").map(|s| s.to_lowercase());
    let matching: Vec<&str> = MODEL_IDS
        .iter()
        .copied()
        .filter(|id| {
            task.as_ref()
                .is_none_or(|t| Task::of(id).name().to_lowercase() == *t)
        })
        .filter(|id| {
            search
                .as_ref()
                .is_none_or(|s| id.to_lowercase().contains(s))
        })
        .collect();
    let models: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|id| model_json(id))
        .collect();
    json!({
        "success": true,
        "result": models,
        "errors": [],
        "messages": [],
        "result_info": {
            "count": models.len(),
            "page": page,
            "per_page": per_page,
            "total_count": matching.len() + PHANTOM_MODELS,
        },
    })
}

fn model_json(id: &str) -> Value {
    let task = Task::of(id);
    let family = (task == Task::TextGeneration).then(|| Family::of(id));
    let mut properties = Vec::new();
    let mut flag = |property: &str, on: bool| {
        if on {
            properties.push(json!({"property_id": property, "value": "true"}));
        }
    };
    flag(
        "beta",
        id.contains("qwen1.5") || id.contains("lora") || id.starts_with("@hf/"),
    );
    flag("async_queue", super::queue::takes_queue(id));
    flag("function_calling", family.is_some_and(|f| f.calls_tools()));
    flag("lora", id.contains("lora"));
    flag("reasoning", family.is_some_and(|f| f.reasons()));
    flag(
        "vision",
        ["vision", "llama-4-scout", "gemma-3", "mistral-small-3.1"]
            .iter()
            .any(|p| id.contains(p)),
    );
    if task == Task::TextGeneration {
        properties.push(
            json!({"property_id": "context_window", "value": context_window(id).to_string()}),
        );
    }
    properties.push(json!({"property_id": "price", "value": price(task, id)}));
    properties.sort_by(|a, b| a["property_id"].as_str().cmp(&b["property_id"].as_str()));
    json!({
        "id": uuid_of(id),
        "source": 1,
        "name": id,
        "description": format!(
            "{} served by the genai-rs emulator ({}).",
            id.rsplit('/').next().unwrap_or(id),
            task.name().to_lowercase()
        ),
        "task": {"id": uuid_of(task.name()), "name": task.name(), "description": task.description()},
        "created_at": created_at(id),
        "tags": [],
        "properties": properties,
    })
}

fn context_window(id: &str) -> u32 {
    let table: &[(&str, u32)] = &[
        ("llama-3.3-70b", 24_000),
        ("llama-3.2-1b", 60_000),
        ("llama-3.2-3b", 128_000),
        ("llama-3.1-8b", 32_000),
        ("llama-4-scout", 131_000),
        ("deepseek-r1", 80_000),
        ("qwq-32b", 24_000),
        ("hermes-2-pro", 24_000),
        ("glm-4.7", 131_072),
        ("qwen3-30b", 32_768),
        ("gpt-oss", 128_000),
        ("gemma-3", 80_000),
        ("mistral-small-3.1", 128_000),
        ("qwen2.5-coder", 32_768),
    ];
    table
        .iter()
        .find(|(part, _)| id.contains(part))
        .map_or(4_096, |(_, window)| *window)
}

fn price(task: Task, id: &str) -> Value {
    // Deterministic made-up prices; bigger models cost more.
    let size = id
        .split(['-', '/'])
        .find_map(|part| part.strip_suffix('b')?.parse::<f64>().ok());
    let base = (size.unwrap_or(7.0) / 100.0).max(0.01);
    let cents = |x: f64| (x * 1000.0).round() / 1000.0;
    match task {
        Task::TextGeneration => json!([
            {"unit": "per M input tokens", "price": cents(base), "currency": "USD"},
            {"unit": "per M output tokens", "price": cents(base * 3.0), "currency": "USD"},
        ]),
        Task::SpeechRecognition => {
            json!([{"unit": "per audio minute", "price": 0.0005, "currency": "USD"}])
        }
        Task::TextToImage => {
            json!([{"unit": "per 512 by 512 tile", "price": 0.00005, "currency": "USD"}])
        }
        _ => json!([{"unit": "per M input tokens", "price": cents(base), "currency": "USD"}]),
    }
}

/// A stable uuid-looking id derived from `text`.
fn uuid_of(text: &str) -> String {
    let a = fnv(text.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv(text.as_bytes(), a);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A stable `"YYYY-MM-DD HH:MM:SS.mmm"` date derived from the id.
fn created_at(id: &str) -> String {
    let h = fnv(id.as_bytes(), 7);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        2023 + h % 3,
        1 + (h >> 8) % 12,
        1 + (h >> 16) % 28,
        (h >> 24) % 24,
        (h >> 32) % 60,
        (h >> 40) % 60,
        (h >> 48) % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_model_is_listed() {
        // The project's copy of the seed list, so the check never depends on files outside
        // the repository.
        for id in crate::scoreboard::seed_models() {
            assert!(find(id).is_some(), "{id} missing from the catalog");
        }
    }

    #[test]
    fn pagination_is_broken_like_the_real_one() {
        let first = search_body("page=1&per_page=100&hide_experimental=false");
        let listed = first["result"].as_array().unwrap().len();
        assert_eq!(listed, ids().len());
        assert!(first["result_info"]["total_count"].as_u64().unwrap() > listed as u64);
        let second = search_body("page=2&per_page=100");
        assert_eq!(second["result"], json!([]));
        assert_eq!(second["result_info"]["count"], 0);
        let small = search_body("page=2&per_page=10");
        assert_eq!(small["result"].as_array().unwrap().len(), 10);
    }

    #[test]
    fn models_have_the_real_shape() {
        let body = search_body("task=Text%20Generation");
        for model in body["result"].as_array().unwrap() {
            assert_eq!(model["task"]["name"], "Text Generation");
            let created = model["created_at"].as_str().unwrap();
            assert_eq!(created.len(), "2025-02-14 12:00:00.000".len());
            for property in model["properties"].as_array().unwrap() {
                let value = &property["value"];
                if property["property_id"] == "price" {
                    assert!(value
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|p| p["unit"].is_string() && p["price"].is_number()));
                } else {
                    assert!(value.is_string());
                }
            }
        }
        let scout = model_json("@cf/meta/llama-4-scout-17b-16e-instruct");
        let has = |m: &Value, p: &str| {
            m["properties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["property_id"] == p)
        };
        assert!(has(&scout, "function_calling") && has(&scout, "vision"));
        assert!(has(
            &model_json("@cf/deepseek-ai/deepseek-r1-distill-qwen-32b"),
            "reasoning"
        ));
        assert_eq!(Task::of("@cf/baai/bge-m3"), Task::TextEmbeddings);
    }
}
