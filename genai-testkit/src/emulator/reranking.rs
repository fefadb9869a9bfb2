//! Reranking (bge-reranker-base): each context scored by its lexical overlap with the query;
//! with `top_k`, the best k, in input order as the service leaves them.

use serde_json::{json, Map, Value};

use super::answer::Refusal;
use super::input::{contexts_of, json_input, required_text, schema_error};
use super::lexicon::relevance;

/// The `result` of the reranker for `body`.
pub(crate) fn run(body: &[u8]) -> Result<Value, Refusal> {
    rerank(&json_input(body)?)
}

fn rerank(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let query = required_text(input, "query")?;
    let contexts = contexts_of(input)?;
    let top_k = match input.get("top_k") {
        None => None,
        Some(k) => match k.as_u64() {
            Some(k) if k >= 1 => Some(k as usize),
            _ => {
                return Err(schema_error(
                    "Type mismatch of '/top_k', expected an integer of at least 1",
                ))
            }
        },
    };
    let mut scored: Vec<(usize, f64)> = contexts
        .iter()
        .enumerate()
        .map(|(id, c)| (id, relevance(query, c)))
        .collect();
    if let Some(k) = top_k {
        // The best k, but (as on the service) not sorted: they come back in input order.
        let mut best = scored.clone();
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        best.truncate(k);
        scored.retain(|(id, _)| best.iter().any(|(b, _)| b == id));
    }
    let response: Vec<Value> = scored
        .iter()
        .map(|(id, score)| json!({"id": id, "score": score}))
        .collect();
    Ok(json!({ "response": response }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reranker_puts_the_relevant_document_first_but_unsorted() {
        let input = json!({"query": "What is the capital of France?", "contexts": [
            {"text": "Berlin is a large city in Germany."},
            {"text": "Paris is the capital of France."},
        ]});
        let out = rerank(input.as_object().unwrap()).unwrap();
        let r = out["response"].as_array().unwrap();
        assert_eq!(r[0]["id"], 0);
        assert!(r[1]["score"].as_f64() > r[0]["score"].as_f64());
    }
}
