//! The word features the text kinds answer with meaning from: words (lower case, a plural
//! `s` dropped), stop words, a few synonyms folded into one concept, the relevance of a
//! document to a query, and a seeded FNV-1a hash.

use std::hash::Hasher;

/// Words, lower case, letters and digits only, with a plural `s` dropped.
pub(crate) fn words(text: &str) -> Vec<String> {
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

pub(crate) const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "of", "in", "on", "at", "to", "and", "or", "it",
    "what", "which", "who", "how", "do", "doe", "does", "for", "with", "by", "be", "this", "that",
];

/// Words that mean the same thing share a feature.
pub(crate) fn concept(word: &str) -> &str {
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

/// How relevant `doc` is to `query`, in (0, 1): the share of the query's content words the
/// document has, through a sigmoid.
pub(crate) fn relevance(query: &str, doc: &str) -> f64 {
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

/// FNV-1a of `bytes`, its offset basis XORed with `seed` (0: plain FNV-1a).
pub(crate) fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::with_key(0xcbf2_9ce4_8422_2325 ^ seed);
    hasher.write(bytes);
    hasher.finish()
}
