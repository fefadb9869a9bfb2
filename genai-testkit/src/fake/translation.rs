//! A fake translator: English to French word by word, from a small dictionary.

use async_trait::async_trait;
use genai_core::{Error, TranslateRequest, Translation, TranslationCapabilities, TranslationModel};

/// The fake's dictionary: English words and their French.
const FRENCH: [(&str, &str); 24] = [
    ("hello", "bonjour"),
    ("my", "mon"),
    ("friend", "ami"),
    ("the", "le"),
    ("weather", "temps"),
    ("is", "est"),
    ("beautiful", "beau"),
    ("today", "aujourd'hui"),
    ("good", "bon"),
    ("morning", "matin"),
    ("thank", "merci"),
    ("you", "vous"),
    ("where", "où"),
    ("station", "gare"),
    ("a", "un"),
    ("cat", "chat"),
    ("and", "et"),
    ("yes", "oui"),
    ("no", "non"),
    ("house", "maison"),
    ("water", "eau"),
    ("bread", "pain"),
    ("night", "nuit"),
    ("day", "jour"),
];

/// A fake [`TranslationModel`] from English: into French each word its dictionary knows is
/// translated (the others kept); into any other language the text comes back tagged with the
/// language, `[de] ...`, so it always differs from the original.
///
/// ```
/// use genai_core::{TranslateRequest, TranslationModel};
/// use genai_testkit::fake::ScriptedTranslator;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedTranslator::new("fake/translation");
/// let out = model.translate(&TranslateRequest::new("Hello, my friend.", "fr")).await.unwrap();
/// assert_eq!(out.text, "Bonjour, mon ami.");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedTranslator {
    pub(super) model: String,
}

impl ScriptedTranslator {
    /// A fake translator called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedTranslator {
            model: model.into(),
        }
    }
}

/// `word` in French when the dictionary knows it, with its capital kept.
fn french(word: &str) -> String {
    let lower = word.to_lowercase();
    match FRENCH.iter().find(|(en, _)| *en == lower) {
        Some((_, fr)) if word.starts_with(char::is_uppercase) => {
            let mut chars = fr.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        Some((_, fr)) => (*fr).to_owned(),
        None => word.to_owned(),
    }
}

/// `text` into French, word by word, punctuation and spaces kept.
fn to_french(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            out.push_str(&french(&std::mem::take(&mut word)));
            out.push(c);
        }
    }
    out.push_str(&french(&word));
    out
}

#[async_trait]
impl TranslationModel for ScriptedTranslator {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TranslationCapabilities {
        TranslationCapabilities::new(&[])
    }

    async fn translate(&self, req: &TranslateRequest) -> Result<Translation, Error> {
        self.capabilities().check(req)?;
        let text = if req.target_lang.eq_ignore_ascii_case("fr") {
            to_french(&req.text)
        } else {
            format!("[{}] {}", req.target_lang, req.text)
        };
        Ok(Translation::new(text))
    }
}
