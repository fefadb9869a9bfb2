//! The model catalog served on `/ai/models/search`, in the real shape, with the service's
//! broken pagination (`total_count` larger than what the pages hold).

use serde_json::{json, Value};

use super::chat::families::Family;
use super::models::{self, Task, MODEL_IDS};

/// How many models `result_info.total_count` claims beyond the real list (the real service
/// also counts models that no page returns).
const PHANTOM_MODELS: usize = 37;

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
    flag("async_queue", models::takes_queue(id));
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
    use crate::emulator::models::{find, ids};

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
