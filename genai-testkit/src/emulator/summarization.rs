//! Summarization (BART): the leading sentences, at most a third of the text and
//! `max_length` words.

use serde_json::{json, Map, Value};

use super::answer::Refusal;
use super::chat::responder::cut_words;
use super::input::{json_input, required_text, schema_error};

/// The `result` of a summarization model for `body`.
pub(crate) fn run(body: &[u8]) -> Result<Value, Refusal> {
    summarize(&json_input(body)?)
}

fn summarize(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let text = required_text(input, "input_text")?;
    let max_length = match input.get("max_length") {
        None => 1024,
        Some(v) => match v.as_u64() {
            Some(n) => n as usize,
            None => {
                return Err(schema_error(
                    "Type mismatch of '/max_length', expected 'integer'",
                ))
            }
        },
    };
    let total = text.split_whitespace().count();
    // The leading sentences, at most a third of the text and `max_length` words.
    let budget = (total / 3).max(1).min(max_length.max(1));
    let mut summary = String::new();
    for sentence in text.split_inclusive(['.', '!', '?']) {
        let candidate = format!("{summary}{sentence}");
        if candidate.split_whitespace().count() > budget {
            break;
        }
        summary = candidate;
    }
    if summary.trim().is_empty() {
        summary = cut_words(text, budget).0;
    }
    Ok(json!({ "summary": summary.trim() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_keeps_the_leading_sentences_within_max_length() {
        let long =
            "One thing happened. Another thing followed it. A third came later on. ".repeat(5);
        let s = summarize(
            json!({"input_text": long, "max_length": 8})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let s = s["summary"].as_str().unwrap();
        assert!(!s.is_empty() && s.split_whitespace().count() <= 8, "{s}");
    }
}
