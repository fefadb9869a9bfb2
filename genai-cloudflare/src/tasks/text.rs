//! Translation (`m2m100`) and summarisation (`bart-large-cnn`).

use std::sync::Arc;

use genai_core::{
    async_trait, Metered, ModelKind, Result, SummarizationCapabilities, SummarizationModel,
    SummarizeRequest, Summary, Support, TranslateRequest, Translation, TranslationCapabilities,
    TranslationModel,
};
use serde::{Deserialize, Serialize};

use super::{finish_error, run_json, Call};
use crate::errors::PROVIDER;
use crate::metering::token_ceiling;
use crate::transport::Transport;

/// The language codes m2m100 knows (its 100 languages).
pub(crate) const M2M100_LANGUAGES: &[&str] = &[
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy",
    "da", "de", "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha",
    "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka", "kk",
    "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "my",
    "ne", "nl", "no", "ns", "oc", "or", "pa", "pl", "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl",
    "so", "sq", "sr", "ss", "su", "sv", "sw", "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi",
    "wo", "xh", "yi", "yo", "zh", "zu",
];

/// A Workers AI translation model, e.g. `@cf/meta/m2m100-1.2b`.
#[derive(Debug, Clone)]
pub struct CloudflareTranslator {
    transport: Arc<Transport>,
    model: String,
}

impl CloudflareTranslator {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareTranslator { model, transport }
    }
}

#[derive(Serialize)]
struct TranslateBody<'a> {
    text: &'a str,
    target_lang: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_lang: Option<&'a str>,
}

#[derive(Deserialize)]
struct TranslateOut {
    translated_text: String,
}

#[async_trait]
impl TranslationModel for CloudflareTranslator {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> TranslationCapabilities {
        if self.model.contains("m2m100") {
            TranslationCapabilities::new(M2M100_LANGUAGES)
        } else {
            TranslationCapabilities::default()
        }
    }

    async fn translate(&self, req: &TranslateRequest) -> Result<Translation> {
        let checked = super::preflight(
            &self.transport,
            || self.capabilities().check(req),
            || req.validate(),
        );
        checked.map_err(|e| finish_error(&self.transport, e, "translate"))?;
        let body = TranslateBody {
            text: &req.text,
            target_lang: &req.target_lang,
            source_lang: req.source_lang.as_deref(),
        };
        let input = token_ceiling(req.text.len(), 1);
        // A translation is at most a few times longer than its source.
        let worst = Metered::tokens(input, 4 * input);
        let call = Call::new("translate", &self.model, ModelKind::Translation, worst);
        let billed = run_json::<TranslateOut>(&self.transport, call, &body).await?;
        // The reply has no usage: the cost is the one the service reports, if any.
        let rate_limit = billed.rate_limit();
        let (out, cost) = billed.settle(&self.transport, &self.model, &Metered::requests(1));
        let mut t = Translation::new(out.translated_text);
        t.cost = cost;
        t.rate_limit = rate_limit;
        Ok(t)
    }
}

/// A Workers AI summarisation model, e.g. `@cf/facebook/bart-large-cnn`.
#[derive(Debug, Clone)]
pub struct CloudflareSummarizer {
    transport: Arc<Transport>,
    model: String,
}

impl CloudflareSummarizer {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareSummarizer { model, transport }
    }
}

#[derive(Serialize)]
struct SummarizeBody<'a> {
    input_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u32>,
}

#[derive(Deserialize)]
struct SummarizeOut {
    summary: String,
}

#[async_trait]
impl SummarizationModel for CloudflareSummarizer {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> SummarizationCapabilities {
        let mut caps = SummarizationCapabilities::default();
        caps.max_length = Support::Supported;
        caps
    }

    async fn summarize(&self, req: &SummarizeRequest) -> Result<Summary> {
        let checked = super::preflight(
            &self.transport,
            || self.capabilities().check(req),
            || req.validate(),
        );
        checked.map_err(|e| finish_error(&self.transport, e, "summarize"))?;
        let body = SummarizeBody {
            input_text: &req.text,
            max_length: req.max_length,
        };
        let input = token_ceiling(req.text.len(), 1);
        let output = req.max_length.map_or(input, u64::from);
        let worst = Metered::tokens(input, output);
        let call = Call::new("summarize", &self.model, ModelKind::Summarization, worst);
        let billed = run_json::<SummarizeOut>(&self.transport, call, &body).await?;
        let rate_limit = billed.rate_limit();
        let (out, cost) = billed.settle(&self.transport, &self.model, &Metered::requests(1));
        let mut s = Summary::new(out.summary);
        s.cost = cost;
        s.rate_limit = rate_limit;
        Ok(s)
    }
}

/// Decodes a translation reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_translation(status: u16, body: &[u8]) -> Result<Translation> {
    crate::transport::decode_envelope::<TranslateOut>(status, body)
        .map(|out| Translation::new(out.translated_text))
}

/// Decodes a summarisation reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_summary(status: u16, body: &[u8]) -> Result<Summary> {
    crate::transport::decode_envelope::<SummarizeOut>(status, body)
        .map(|out| Summary::new(out.summary))
}
