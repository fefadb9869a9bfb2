//! The task models beyond chat: embeddings, reranking, text and image classification,
//! translation and summarisation.
//!
//! Each validates its input the way the service does (a missing required field, more than 100
//! texts, a wrong type: 400 with code 5006 in the usual envelope) and answers with meaning, so
//! conformance scenarios can judge the client: vectors come from hashed word and character
//! trigram features (similar texts are closer than unrelated ones), the reranker scores
//! lexical overlap, the sentiment model counts words from two lists, the translator uses a
//! small word table, and summaries keep the leading sentences within `max_length`.

use std::hash::Hasher;

use serde_json::{json, Map, Value};

use super::chat::responder::cut_words;
use super::models::Task;

/// A refusal: HTTP status, code, message.
pub(crate) type Refusal = (u16, u32, String);

/// The `result` of a task call on `model` with `body`, or the service's refusal; `None` for
/// tasks this module does not run.
pub(crate) fn run(task: Task, model: &str, body: &[u8]) -> Option<Result<Value, Refusal>> {
    let name = model.rsplit('/').next().unwrap_or(model);
    Some(match task {
        Task::TextEmbeddings => json_input(body).and_then(|input| embed(name, &input)),
        Task::TextClassification if name.contains("reranker") => {
            json_input(body).and_then(|input| rerank(&input))
        }
        Task::TextClassification => json_input(body).and_then(|input| sentiment(&input)),
        Task::ImageClassification => classify_image(body),
        Task::Translation if name.starts_with("indictrans2") => {
            json_input(body).and_then(|input| translate_indic(model, &input))
        }
        Task::Translation => json_input(body).and_then(|input| translate(&input)),
        Task::Summarization => json_input(body).and_then(|input| summarize(&input)),
        _ => return None,
    })
}

fn bad_input(detail: impl std::fmt::Display) -> Refusal {
    (400, 5006, format!("AiError: AiError: Error: {detail}"))
}

fn missing(field: &str) -> Refusal {
    bad_input(format!(
        "oneOf at '/' not met, 0 matches: required properties at '/' are '{field}'"
    ))
}

fn json_input(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_input("Type mismatch of '/', 'array' not in 'object'")),
        Err(_) => Err((
            400,
            5006,
            "AiError: Bad input: the body is not valid JSON".to_owned(),
        )),
    }
}

/// A required, non-empty string field.
fn required_text<'a>(input: &'a Map<String, Value>, field: &str) -> Result<&'a str, Refusal> {
    match input.get(field) {
        None | Some(Value::Null) => Err(missing(field)),
        Some(Value::String(s)) if s.is_empty() => Err(bad_input(format!(
            "String is too short (0 < 1) at '/{field}'"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad_input(format!(
            "Type mismatch of '/{field}', expected 'string'"
        ))),
    }
}

/// Words, lower case, letters and digits only, with a plural `s` dropped.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_owned(),
                _ => w,
            }
        })
        .collect()
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "of", "in", "on", "at", "to", "and", "or", "it",
    "what", "which", "who", "how", "do", "doe", "does", "for", "with", "by", "be", "this", "that",
];

/// Words that mean the same thing share a feature.
fn concept(word: &str) -> &str {
    match word {
        "kitten" | "kitty" | "feline" => "cat",
        "puppy" | "hound" | "canine" => "dog",
        "automobile" | "vehicle" => "car",
        "sitting" | "seated" => "sat",
        "running" => "ran",
        "film" | "movie" => "film",
        _ => word,
    }
}

/// FNV-1a of `bytes`, its offset basis XORed with `seed`.
fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::with_key(0xcbf2_9ce4_8422_2325 ^ seed);
    hasher.write(bytes);
    hasher.finish()
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

fn texts_of(value: &Value, at: &str) -> Result<Vec<String>, Refusal> {
    let one = |v: &Value, at: String| match v {
        Value::String(s) if s.is_empty() => {
            Err(bad_input(format!("String is too short (0 < 1) at '{at}'")))
        }
        Value::String(s) => Ok(s.clone()),
        _ => Err(bad_input(format!(
            "Type mismatch of '{at}', expected 'string'"
        ))),
    };
    match value {
        Value::Array(items) if items.len() > 100 => Err(bad_input(format!(
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

fn check_lengths(name: &str, texts: &[String]) -> Result<(), Refusal> {
    let limit = token_limit(name);
    match texts.iter().position(|t| tokens(t) > limit) {
        Some(i) => Err((
            400,
            5006,
            format!(
                "AiError: Bad input: input {i} is {} tokens long, more than the {limit} this model reads",
                tokens(&texts[i])
            ),
        )),
        None => Ok(()),
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
                return Err(bad_input(format!(
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
                return Err(bad_input(
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
        Some(_) => return Err(bad_input(
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

/// The `contexts` of a request (bge-m3, the reranker): `[{"text"}]`, at least one.
fn contexts_of(input: &Map<String, Value>) -> Result<Vec<String>, Refusal> {
    let Some(contexts) = input.get("contexts") else {
        return Err(missing("contexts"));
    };
    let Value::Array(items) = contexts else {
        return Err(bad_input("Type mismatch of '/contexts', expected 'array'"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.get("text") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(bad_input(format!(
                "String is too short (0 < 1) at '/contexts/{i}/text'"
            ))),
            _ => Err(bad_input(format!(
                "Type mismatch of '/contexts/{i}/text', expected 'string'"
            ))),
        })
        .collect()
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

/// How relevant `doc` is to `query`, in (0, 1): the share of the query's content words the
/// document has, through a sigmoid.
fn relevance(query: &str, doc: &str) -> f64 {
    let content = |t: &str| -> Vec<String> {
        words(t)
            .iter()
            .map(|w| concept(w).to_owned())
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .collect()
    };
    let q = content(query);
    let d = content(doc);
    if q.is_empty() {
        return 0.01;
    }
    let hits = q.iter().filter(|w| d.contains(w)).count() as f64 / q.len() as f64;
    let score = 1.0 / (1.0 + (-(10.0 * hits - 4.0)).exp());
    (score * 1e4).round() / 1e4
}

fn rerank(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let query = required_text(input, "query")?;
    let contexts = contexts_of(input)?;
    let top_k = match input.get("top_k") {
        None => None,
        Some(k) => match k.as_u64() {
            Some(k) if k >= 1 => Some(k as usize),
            _ => {
                return Err(bad_input(
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

fn classify_image(body: &[u8]) -> Result<Value, Refusal> {
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
                        bad_input("Type mismatch of '/image', expected integers 0..=255")
                    })?,
                Some(_) => return Err(bad_input("Type mismatch of '/image', expected 'array'")),
            },
            _ => {
                return Err((
                    400,
                    5006,
                    "AiError: Bad input: the body is not an image".to_owned(),
                ))
            }
        }
    };
    if !is_image(&bytes) {
        return Err((
            400,
            5006,
            "AiError: Bad input: the image could not be decoded".to_owned(),
        ));
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

/// The language codes the emulated m2m100 knows.
const LANGUAGES: &[&str] = &[
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr",
    "ga", "he", "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro",
    "ru", "sk", "sl", "sr", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "zh",
];

/// English words and their French, German, Spanish and Italian translations.
const WORDS: &[(&str, [&str; 4])] = &[
    ("hello", ["bonjour", "hallo", "hola", "ciao"]),
    ("good", ["bon", "gut", "buen", "buon"]),
    ("morning", ["matin", "Morgen", "mañana", "mattina"]),
    ("how", ["comment", "wie", "cómo", "come"]),
    ("are", ["allez", "geht", "estás", "stai"]),
    ("you", ["vous", "es dir", "tú", "tu"]),
    ("i", ["je", "ich", "yo", "io"]),
    ("am", ["suis", "bin", "soy", "sono"]),
    ("is", ["est", "ist", "es", "è"]),
    ("the", ["le", "der", "el", "il"]),
    ("a", ["un", "ein", "un", "un"]),
    ("cat", ["chat", "Katze", "gato", "gatto"]),
    ("dog", ["chien", "Hund", "perro", "cane"]),
    ("house", ["maison", "Haus", "casa", "casa"]),
    ("thank", ["merci", "danke", "gracias", "grazie"]),
    ("thanks", ["merci", "danke", "gracias", "grazie"]),
    ("yes", ["oui", "ja", "sí", "sì"]),
    ("no", ["non", "nein", "no", "no"]),
    ("and", ["et", "und", "y", "e"]),
    ("water", ["eau", "Wasser", "agua", "acqua"]),
    ("world", ["monde", "Welt", "mundo", "mondo"]),
    ("day", ["jour", "Tag", "día", "giorno"]),
    ("night", ["nuit", "Nacht", "noche", "notte"]),
    ("friend", ["ami", "Freund", "amigo", "amico"]),
    ("book", ["livre", "Buch", "libro", "libro"]),
    ("weather", ["temps", "Wetter", "tiempo", "tempo"]),
    ("beautiful", ["beau", "schön", "hermoso", "bello"]),
    ("today", ["aujourd'hui", "heute", "hoy", "oggi"]),
    (
        "please",
        ["s'il vous plaît", "bitte", "por favor", "per favore"],
    ),
    ("love", ["aime", "liebe", "amo", "amo"]),
    ("my", ["mon", "mein", "mi", "mio"]),
    ("name", ["nom", "Name", "nombre", "nome"]),
];

/// IndicTrans2: `{text: string | [string], target_language}` (FLORES-200 codes of the
/// model's schema; English in) to `{translations: [..]}`, one per text.
fn translate_indic(model: &str, input: &Map<String, Value>) -> Result<Value, Refusal> {
    let Some(text) = input.get("text") else {
        return Err(missing("text"));
    };
    let texts = texts_of(text, "/text")?;
    let known = genai_cloudflare::facts::lookup(model).map_or(&[][..], |f| f.languages);
    let target =
        match input.get("target_language") {
            None => known.first().copied().unwrap_or("hin_Deva").to_owned(),
            Some(Value::String(code)) if known.contains(&code.as_str()) => code.clone(),
            Some(_) => return Err(bad_input(
                "enum at '/target_language' not met: must be equal to one of the allowed values",
            )),
        };
    let translations: Vec<String> = texts
        .iter()
        .map(|t| {
            t.split_whitespace()
                .map(|w| format!("{w}·{target}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Ok(json!({ "translations": translations }))
}

fn translate(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let text = required_text(input, "text")?;
    let target = required_text(input, "target_lang")?.to_lowercase();
    let source = match input.get("source_lang") {
        None => "en".to_owned(),
        Some(_) => required_text(input, "source_lang")?.to_lowercase(),
    };
    for (code, field) in [(&target, "target_lang"), (&source, "source_lang")] {
        if !LANGUAGES.contains(&code.as_str()) {
            return Err((
                400,
                5006,
                format!("AiError: Bad input: unsupported language '{code}' in '{field}'"),
            ));
        }
    }
    if target == source {
        return Ok(json!({ "translated_text": text }));
    }
    let column = ["fr", "de", "es", "it"].iter().position(|l| *l == target);
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let lower = word.to_lowercase();
        let found = WORDS.iter().find(|(en, _)| *en == lower);
        let translated = match (found, column) {
            (Some((_, table)), Some(c)) => table[c].to_owned(),
            // No table for this language: the word marked with the target language, so the
            // change is visible and deterministic.
            _ => format!("{lower}·{target}"),
        };
        let starts_upper = word.chars().next().is_some_and(char::is_uppercase);
        if starts_upper {
            let mut chars = translated.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(&translated);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    Ok(json!({ "translated_text": out }))
}

fn summarize(input: &Map<String, Value>) -> Result<Value, Refusal> {
    let text = required_text(input, "input_text")?;
    let max_length = match input.get("max_length") {
        None => 1024,
        Some(v) => match v.as_u64() {
            Some(n) => n as usize,
            None => {
                return Err(bad_input(
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
            let (status, code, _) = embed("bge-base-en-v1.5", &input(bad.clone())).unwrap_err();
            assert_eq!((status, code), (400, 5006), "{bad}");
        }
        let out = embed("bge-small-en-v1.5", &input(json!({"text": ["a", "b"]}))).unwrap();
        assert_eq!(out["shape"], json!([2, 384]));
    }

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

    #[test]
    fn translation_and_summary_change_the_text() {
        let t = translate(
            json!({"text": "Hello, my friend!", "target_lang": "fr"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(t["translated_text"], "Bonjour, mon ami!");
        assert!(translate(
            json!({"text": "x", "target_lang": "xx"})
                .as_object()
                .unwrap()
        )
        .is_err());
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
