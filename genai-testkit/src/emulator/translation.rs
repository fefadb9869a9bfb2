//! Translation: m2m100 (a small word table for French, German, Spanish and Italian, other
//! languages marked word by word) and IndicTrans2 (FLORES-200 targets from the facts table).

use serde_json::{json, Map, Value};

use super::answer::Refusal;
use super::input::{json_input, missing, required_text, schema_error, texts_of};

/// The `result` of a translation model (`model`, its full id) for `body`.
pub(crate) fn run(model: &str, body: &[u8]) -> Result<Value, Refusal> {
    let input = json_input(body)?;
    let name = model.rsplit('/').next().unwrap_or(model);
    if name.starts_with("indictrans2") {
        translate_indic(model, &input)
    } else {
        translate(&input)
    }
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
            Some(_) => return Err(schema_error(
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
            return Err(Refusal::bad_input(format!(
                "unsupported language '{code}' in '{field}'"
            )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_changes_the_text() {
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
    }
}
