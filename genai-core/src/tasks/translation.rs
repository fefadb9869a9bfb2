//! Translation: a text from one language into another.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::response::Usage;

/// A text to translate.
///
/// ```
/// use genai_core::TranslateRequest;
/// let req = TranslateRequest::new("Hello", "fr").from("en");
/// assert_eq!(req.source_lang.as_deref(), Some("en"));
/// assert!(TranslateRequest::new("Hello", "").validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranslateRequest {
    /// The text.
    pub text: String,
    /// The language to translate into, as a code (`fr`, `de`, `ja`...).
    pub target_lang: String,
    /// The language of the text; `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_lang: Option<String>,
}

impl TranslateRequest {
    /// Translates `text` into `target_lang`.
    pub fn new(text: impl Into<String>, target_lang: impl Into<String>) -> Self {
        TranslateRequest {
            text: text.into(),
            target_lang: target_lang.into(),
            source_lang: None,
        }
    }

    /// Sets the language of the text.
    pub fn from(mut self, source_lang: impl Into<String>) -> Self {
        self.source_lang = Some(source_lang.into());
        self
    }

    /// Refuses an empty text and language codes that are not 2 or 3 letters (with an
    /// optional region, as in `pt-BR` or `zh_Hans`).
    pub fn validate(&self) -> Result<()> {
        super::non_blank(&self.text, "the text")?;
        check_code(&self.target_lang, "target")?;
        if let Some(src) = &self.source_lang {
            check_code(src, "source")?;
        }
        Ok(())
    }
}

fn check_code(code: &str, which: &str) -> Result<()> {
    let (lang, region) = match code.split_once(['-', '_']) {
        Some((l, r)) => (l, Some(r)),
        None => (code, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok = region
        .is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && region_ok {
        Ok(())
    } else {
        Err(Error::invalid_request(format!(
            "`{code}` is not a language code for the {which} language (expected e.g. `en`, `fr`, `pt-BR`)"
        )))
    }
}

/// A translated text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Translation {
    /// The translation.
    pub text: String,
    /// Token counts, when the service reports them.
    pub usage: Usage,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Translation {
    /// A translation without usage.
    pub fn new(text: impl Into<String>) -> Self {
        Translation {
            text: text.into(),
            usage: Usage::default(),
            cost: None,
            rate_limit: None,
        }
    }
}

/// What a translation model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranslationCapabilities {
    /// The language codes it knows, lower case; empty when not known (then any well-formed
    /// code is sent and the service judges).
    #[serde(skip)]
    pub languages: &'static [&'static str],
}

impl TranslationCapabilities {
    /// A model that knows these language codes (empty: not known).
    pub fn new(languages: &'static [&'static str]) -> Self {
        TranslationCapabilities { languages }
    }

    /// Validates `req` and refuses a language the model does not know, before any request.
    ///
    /// ```
    /// use genai_core::{TranslateRequest, TranslationCapabilities};
    /// let caps = TranslationCapabilities::new(&["en", "fr"]);
    /// assert!(caps.check(&TranslateRequest::new("Hello", "fr")).is_ok());
    /// assert!(caps.check(&TranslateRequest::new("Hello", "xx")).is_err());
    /// ```
    pub fn check(&self, req: &TranslateRequest) -> Result<()> {
        req.validate()?;
        if self.languages.is_empty() {
            return Ok(());
        }
        let known = |code: &str| {
            let lang = code.split(['-', '_']).next().unwrap_or(code);
            self.languages
                .iter()
                .any(|l| l.eq_ignore_ascii_case(code) || l.eq_ignore_ascii_case(lang))
        };
        for (code, which) in [
            (Some(req.target_lang.as_str()), "target"),
            (req.source_lang.as_deref(), "source"),
        ] {
            if let Some(code) = code.filter(|c| !known(c)) {
                return Err(Error::invalid_request(format!(
                    "this model does not know the {which} language `{code}`; it knows: {}",
                    self.languages.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// A model that translates text.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{TranslateRequest, TranslationModel};
///
/// async fn to_french(model: Arc<dyn TranslationModel>) -> genai_core::Result<String> {
///     Ok(model.translate(&TranslateRequest::new("Good morning", "fr")).await?.text)
/// }
/// ```
#[async_trait]
pub trait TranslationModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> TranslationCapabilities;

    /// The translation.
    async fn translate(&self, req: &TranslateRequest) -> Result<Translation>;
}
