//! Classification: text sentiment (DistilBERT SST-2, words counted from two lists, NEGATIVE
//! listed first as on the service) and image labels (ResNet-50, five labels picked by the
//! image's bytes).

use serde_json::{json, Map, Value};

use super::answer::Refusal;
use super::input::{check_lengths, json_input, missing, required_text, schema_error};
use super::lexicon::fnv;

/// The `result` of a text classification model for `body`.
pub(crate) fn run_text(body: &[u8]) -> Result<Value, Refusal> {
    sentiment(&json_input(body)?)
}

/// The `result` of an image classification model for `body` (the raw image, or JSON with
/// `image` as bytes).
const POSITIVE: &[&str] = &[
    "love",
    "lovely",
    "wonderful",
    "great",
    "good",
    "excellent",
    "amazing",
    "happy",
    "best",
    "enjoy",
    "enjoyed",
    "beautiful",
    "fantastic",
    "like",
    "brilliant",
    "delightful",
    "perfect",
];

const NEGATIVE: &[&str] = &[
    "hate",
    "terrible",
    "awful",
    "bad",
    "worst",
    "boring",
    "sad",
    "horrible",
    "poor",
    "dislike",
    "ugly",
    "disappointing",
    "broken",
    "angry",
    "waste",
    "not",
    "never",
];

fn sentiment(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let text = required_text(input, "text")?;
    check_lengths("distilbert", &[text.to_owned()])?;
    let lower = text.to_lowercase();
    let ws: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let pos = ws.iter().filter(|w| POSITIVE.contains(w)).count() as f64;
    let neg = ws.iter().filter(|w| NEGATIVE.contains(w)).count() as f64;
    let p = 1.0 / (1.0 + (-(2.0 * (pos - neg) + 0.1)).exp());
    let round = |x: f64| (x * 1e6).round() / 1e6;
    // The service lists NEGATIVE first whatever the scores.
    Ok(json!([
        {"label": "NEGATIVE", "score": round(1.0 - p)},
        {"label": "POSITIVE", "score": round(p)},
    ]))
}

const IMAGE_LABELS: &[&str] = &[
    "TABBY CAT",
    "GOLDEN RETRIEVER",
    "SPORTS CAR",
    "TEAPOT",
    "BANANA",
    "MOUNTAIN BIKE",
    "REFLEX CAMERA",
    "SEASHORE",
    "PIZZA",
    "DAISY",
];

fn is_image(bytes: &[u8]) -> bool {
    genai_core::sniff_media_type(bytes).is_some_and(|t| t.starts_with("image/"))
}

/// The `result` of an image classification model for `body` (the raw image, or JSON with
/// `image` as bytes).
pub(crate) fn run_image(body: &[u8]) -> Result<Value, Refusal> {
    let bytes: Vec<u8> = if is_image(body) {
        body.to_vec()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => match map.get("image") {
                None => return Err(missing("image")),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_u64().filter(|n| *n <= 255).map(|n| n as u8))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| {
                        schema_error("Type mismatch of '/image', expected integers 0..=255")
                    })?,
                Some(_) => return Err(schema_error("Type mismatch of '/image', expected 'array'")),
            },
            _ => return Err(Refusal::bad_input("the body is not an image")),
        }
    };
    if !is_image(&bytes) {
        return Err(Refusal::bad_input("the image could not be decoded"));
    }
    // Five labels picked by the bytes, scores decreasing and summing to less than 1.
    let h = fnv(7, &bytes);
    let mut labels = Vec::new();
    let mut score = 0.6;
    for i in 0..5 {
        let label = IMAGE_LABELS[((h >> (i * 8)) as usize + i) % IMAGE_LABELS.len()];
        if labels.iter().any(|(l, _): &(&str, f64)| *l == label) {
            continue;
        }
        labels.push((label, score));
        score /= 2.5;
    }
    Ok(Value::Array(
        labels
            .into_iter()
            .map(|(label, score)| json!({"label": label, "score": (score * 1e6_f64).round() / 1e6}))
            .collect(),
    ))
}
