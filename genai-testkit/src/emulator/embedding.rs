//! Text embeddings (the BGE models, bge-m3's contexts and query scores, EmbeddingGemma,
//! Qwen3 Embedding, PLaMo): unit vectors of hashed word and character-trigram features, so
//! similar texts are closer than unrelated ones; input validated as the service does.

use serde_json::{json, Map, Value};

use super::answer::Refusal;
use super::input::{check_lengths, contexts_of, missing, required_text, schema_error, texts_of};
use super::lexicon::{concept, fnv, relevance, words, STOP_WORDS};

/// The `result` of an embedding model (`name`, the id's last part) for `body`.
pub(crate) fn run(name: &str, body: &[u8]) -> Result<Value, Refusal> {
    embed(name, &super::input::json_input(body)?)
}

/// A unit vector of hashed word and character-trigram features. `seed` differs per pooling,
/// so `mean` and `cls` vectors are not comparable (as on the service).
fn vector(text: &str, dims: usize, seed: u64) -> Vec<f32> {
    let mut v = vec![0f32; dims];
    let mut add = |feature: &str, weight: f32| {
        let h = fnv(seed, feature.as_bytes());
        let i = (h % dims as u64) as usize;
        let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
        v[i] += sign * weight;
    };
    for w in words(text) {
        let c = concept(&w);
        let weight = if STOP_WORDS.contains(&c) { 0.2 } else { 1.0 };
        add(c, weight);
        let padded: Vec<char> = format!(" {c} ").chars().collect();
        for tri in padded.windows(3) {
            add(&tri.iter().collect::<String>(), 0.3 * weight);
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    } else if let Some(first) = v.first_mut() {
        *first = 1.0;
    }
    v
}

fn dimensions(name: &str) -> usize {
    match name {
        "bge-small-en-v1.5" => 384,
        "bge-base-en-v1.5" => 768,
        _ => 1024,
    }
}

/// The 2025-26 embedding models (EmbeddingGemma, Qwen3 Embedding, PLaMo): `text` (Qwen3 also
/// `queries` and `documents`, at most 32 each) in, `{shape, data}` out, no pooling.
fn embed_plain(name: &str, input: &Map<String, Value>) -> Result<Value, Refusal> {
    let qwen = name.starts_with("qwen3-embedding");
    let mut texts = Vec::new();
    let keys: &[&str] = if qwen {
        &["queries", "documents", "text"]
    } else {
        &["text"]
    };
    for key in keys {
        if let Some(value) = input.get(*key) {
            let at = format!("/{key}");
            let items = texts_of(value, &at)?;
            if qwen && items.len() > 32 {
                return Err(schema_error(format!(
                    "oneOf at '{at}' not met: Array has too many items ({} > 32)",
                    items.len()
                )));
            }
            texts.extend(items);
        }
    }
    if texts.is_empty() {
        return Err(missing(keys[keys.len() - 1]));
    }
    let dims = match name {
        "embeddinggemma-300m" => 768,
        "plamo-embedding-1b" => 2048,
        _ => 1024,
    };
    let data: Vec<Vec<f32>> = texts.iter().map(|t| vector(t, dims, 0)).collect();
    Ok(json!({"shape": [data.len(), dims], "data": data}))
}

fn embed(name: &str, input: &Map<String, Value>) -> Result<Value, Refusal> {
    if !name.starts_with("bge-") {
        return embed_plain(name, input);
    }
    let dims = dimensions(name);
    if name == "bge-m3" {
        if let Some(truncate) = input.get("truncate_inputs") {
            if !truncate.is_boolean() {
                return Err(schema_error(
                    "Type mismatch of '/truncate_inputs', expected 'boolean'",
                ));
            }
        }
        if input.contains_key("contexts") || input.contains_key("query") {
            return m3_contexts(input, dims);
        }
    }
    let Some(text) = input.get("text") else {
        return Err(missing("text"));
    };
    let texts = texts_of(text, "/text")?;
    let pooling = match input.get("pooling") {
        _ if name == "bge-m3" => "cls",
        None => "mean",
        Some(Value::String(p)) if p == "mean" || p == "cls" => p.as_str(),
        Some(_) => return Err(schema_error(
            "enum at '/pooling' not met: must be equal to one of the allowed values (mean, cls)",
        )),
    };
    let truncate = input.get("truncate_inputs").and_then(Value::as_bool) == Some(true);
    if !truncate {
        check_lengths(name, &texts)?;
    }
    let seed = u64::from(pooling == "cls");
    let data: Vec<Vec<f32>> = texts.iter().map(|t| vector(t, dims, seed)).collect();
    Ok(json!({"shape": [data.len(), dims], "data": data, "pooling": pooling}))
}

fn m3_contexts(input: &Map<String, Value>, dims: usize) -> Result<Value, Refusal> {
    let contexts = contexts_of(input)?;
    match input.get("query") {
        None => {
            let data: Vec<Vec<f32>> = contexts.iter().map(|t| vector(t, dims, 1)).collect();
            Ok(json!({"response": data, "shape": [data.len(), dims], "pooling": "cls"}))
        }
        Some(_) => {
            let query = required_text(input, "query")?;
            let scores: Vec<Value> = contexts
                .iter()
                .enumerate()
                .map(|(id, c)| json!({"id": id, "score": relevance(query, c)}))
                .collect();
            Ok(json!({ "response": scores }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn similar_texts_are_closer() {
        let a = vector("The cat sat on the mat.", 768, 0);
        let b = vector("A kitten was sitting on the mat.", 768, 0);
        let c = vector("Stock markets fell sharply today.", 768, 0);
        assert!(
            cos(&a, &b) > cos(&a, &c) + 0.2,
            "{} {}",
            cos(&a, &b),
            cos(&a, &c)
        );
        assert!((cos(&a, &a) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn embeddings_validate_like_the_service() {
        let input = |v: Value| v.as_object().cloned().unwrap();
        let too_many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
        for bad in [
            json!({}),
            json!({"text": too_many}),
            json!({"text": ""}),
            json!({"text": ["ok", 3]}),
            json!({"text": "x", "pooling": "max"}),
        ] {
            let refusal = embed("bge-base-en-v1.5", &input(bad.clone())).unwrap_err();
            assert_eq!((refusal.status, refusal.code), (400, 5006), "{bad}");
        }
        let out = embed("bge-small-en-v1.5", &input(json!({"text": ["a", "b"]}))).unwrap();
        assert_eq!(out["shape"], json!([2, 384]));
    }
}
