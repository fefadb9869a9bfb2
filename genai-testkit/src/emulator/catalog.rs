//! The model catalog served on `/ai/models/search`, in the real shape, with the service's
//! broken pagination (`total_count` larger than what the pages hold).

use genai_cloudflare::facts::ModelFacts;
use serde_json::{json, Value};

use super::lexicon::fnv;
use super::models::{self, Task};

/// How many models `result_info.total_count` claims beyond the real list (the real service
/// also counts models that no page returns: 291 for the 63 it listed on 2026-08-17).
const PHANTOM_MODELS: usize = 228;

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
    let matching: Vec<&str> = models::served()
        .map(|m| m.id)
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

/// A catalog entry: the properties of the facts table, as the catalog records them (string
/// values `"true"`, numbers as strings, the price as `[{unit, price, currency}]`).
fn model_json(id: &str) -> Value {
    let Some(facts) = models::find(id).map(|m| m.facts) else {
        return Value::Null;
    };
    let task = Task::of(id);
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
        "properties": properties(facts),
    })
}

/// The catalog properties of a model, in the catalog's alphabetical order.
pub(crate) fn properties(facts: &ModelFacts) -> Vec<Value> {
    let mut properties = Vec::new();
    let mut text = |property: &str, value: String| {
        properties.push(json!({"property_id": property, "value": value}));
    };
    let flags = [
        ("async_queue", facts.queue),
        ("beta", facts.beta),
        ("function_calling", facts.function_calling),
        ("lora", facts.lora),
        ("partner", facts.partner),
        ("realtime", facts.realtime),
        ("reasoning", facts.reasoning.is_some()),
        ("require_workers_paid", facts.paid_only),
    ];
    for (property, on) in flags {
        if on {
            text(property, "true".to_owned());
        }
    }
    let numbers = [
        ("context_window", facts.context_window),
        ("max_input_tokens", facts.max_input_tokens),
        ("output_dimensions", facts.output_dimensions),
    ];
    for (property, n) in numbers {
        if let Some(n) = n {
            text(property, n.to_string());
        }
    }
    if let Some(vision) = facts.vision {
        text("vision", vision.to_string());
    }
    if !facts.listed_languages.is_empty() {
        text("languages", facts.listed_languages.join(", "));
    }
    if !facts.price.is_empty() {
        let price: Vec<Value> = facts
            .price
            .iter()
            .map(|(unit, usd)| json!({"unit": unit, "price": usd, "currency": "USD"}))
            .collect();
        properties.push(json!({"property_id": "price", "value": price}));
    }
    properties.sort_by(|a, b| a["property_id"].as_str().cmp(&b["property_id"].as_str()));
    properties
}

/// A stable uuid-looking id derived from `text`.
fn uuid_of(text: &str) -> String {
    let a = fnv(0, text.as_bytes());
    let b = fnv(a, text.as_bytes());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// A stable `"YYYY-MM-DD HH:MM:SS.mmm"` date derived from the id.
fn created_at(id: &str) -> String {
    let h = fnv(7, id.as_bytes());
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
    fn every_seed_model_is_listed_unless_retired() {
        // The project's copy of the seed list, so the check never depends on files outside
        // the repository.
        for id in crate::scoreboard::seed_models() {
            let retired = genai_cloudflare::facts::lookup(id).is_some_and(|f| !f.in_catalog());
            assert_eq!(find(id).is_some(), !retired, "{id}");
        }
        assert_eq!(ids().len(), 63);
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
