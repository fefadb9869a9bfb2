//! Reading a task's JSON body the way the service checks it: the body an object, required
//! and optional fields of the right type, lists of texts (at most 100), token limits; each
//! failure worded as the service words it.

use serde_json::{Map, Value};

use super::answer::Refusal;

/// The largest audio the speech models take (25 MiB).
pub(crate) const MAX_AUDIO: usize = 25 * 1024 * 1024;

/// A schema violation, worded as the text models word it (`AiError: AiError: Error: ...`).
pub(crate) fn schema_error(detail: impl std::fmt::Display) -> Refusal {
    Refusal::new(400, 5006, format!("AiError: AiError: Error: {detail}"))
}

/// A required field that is missing.
pub(crate) fn missing(field: &str) -> Refusal {
    schema_error(format!(
        "oneOf at '/' not met, 0 matches: required properties at '/' are '{field}'"
    ))
}

/// The body as a JSON object (the text models' wording of a refusal).
pub(crate) fn json_input(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(schema_error(
            "Type mismatch of '/', 'array' not in 'object'",
        )),
        Err(_) => Err(Refusal::bad_input("the body is not valid JSON")),
    }
}

/// The body as a JSON object (the audio models' wording of a refusal).
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Refusal::bad_input(
            "Type mismatch of '/', 'array' not in 'object'",
        )),
        Err(_) => Err(Refusal::bad_input("the body is not JSON")),
    }
}

/// A required, non-empty string field.
pub(crate) fn required_text<'a>(
    input: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a str, Refusal> {
    match input.get(field) {
        None | Some(Value::Null) => Err(missing(field)),
        Some(Value::String(s)) if s.is_empty() => Err(schema_error(format!(
            "String is too short (0 < 1) at '/{field}'"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(schema_error(format!(
            "Type mismatch of '/{field}', expected 'string'"
        ))),
    }
}

/// An optional string field, one of `allowed` when given.
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    allowed: Option<&[&str]>,
) -> Result<Option<&'a str>, Refusal> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => match allowed {
            Some(list) if !list.contains(&s.as_str()) => Err(Refusal::bad_input(format!(
                "Type mismatch of '/{key}': must be equal to one of the allowed values"
            ))),
            _ => Ok(Some(s)),
        },
        Some(_) => Err(Refusal::bad_input(format!(
            "Type mismatch of '/{key}', not a string"
        ))),
    }
}

/// An optional number field.
pub(crate) fn opt_number(map: &Map<String, Value>, key: &str) -> Result<Option<f64>, Refusal> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| Refusal::bad_input(format!("Type mismatch of '/{key}', not a number"))),
    }
}

/// A text or a list of at most 100 texts, none empty.
pub(crate) fn texts_of(value: &Value, at: &str) -> Result<Vec<String>, Refusal> {
    let one = |v: &Value, at: String| match v {
        Value::String(s) if s.is_empty() => Err(schema_error(format!(
            "String is too short (0 < 1) at '{at}'"
        ))),
        Value::String(s) => Ok(s.clone()),
        _ => Err(schema_error(format!(
            "Type mismatch of '{at}', expected 'string'"
        ))),
    };
    match value {
        Value::Array(items) if items.len() > 100 => Err(schema_error(format!(
            "oneOf at '{at}' not met: Array has too many items ({} > 100)",
            items.len()
        ))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| one(v, format!("{at}/{i}")))
            .collect(),
        other => one(other, at.to_owned()).map(|s| vec![s]),
    }
}

/// The `contexts` of a request (bge-m3, the reranker): `[{"text"}]`, at least one.
pub(crate) fn contexts_of(input: &Map<String, Value>) -> Result<Vec<String>, Refusal> {
    let Some(contexts) = input.get("contexts") else {
        return Err(missing("contexts"));
    };
    let Value::Array(items) = contexts else {
        return Err(schema_error(
            "Type mismatch of '/contexts', expected 'array'",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.get("text") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(schema_error(format!(
                "String is too short (0 < 1) at '/contexts/{i}/text'"
            ))),
            _ => Err(schema_error(format!(
                "Type mismatch of '/contexts/{i}/text', expected 'string'"
            ))),
        })
        .collect()
}

/// The token limit of a model's input: 512 positions (8192 for bge-m3).
fn token_limit(name: &str) -> usize {
    if name == "bge-m3" {
        8192
    } else {
        512
    }
}

/// Rough token count: one per word and punctuation mark, plus [CLS] and [SEP].
fn tokens(text: &str) -> usize {
    text.split_whitespace().count() + text.chars().filter(|c| c.is_ascii_punctuation()).count() + 2
}

/// Refuses the first text longer than the model (`name`, the id's last part) reads.
pub(crate) fn check_lengths(name: &str, texts: &[String]) -> Result<(), Refusal> {
    let limit = token_limit(name);
    match texts.iter().position(|t| tokens(t) > limit) {
        Some(i) => Err(Refusal::bad_input(format!(
            "input {i} is {} tokens long, more than the {limit} this model reads",
            tokens(&texts[i])
        ))),
        None => Ok(()),
    }
}
