//! Translation (`m2m100`, `indictrans2`) and summarisation.

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

/// ISO 639-1 codes and the ISO 639-3 prefix of IndicTrans2's FLORES-200 codes.
const INDIC_ISO: &[(&str, &str)] = &[
    ("as", "asm"),
    ("bn", "ben"),
    ("en", "eng"),
    ("gu", "guj"),
    ("hi", "hin"),
    ("kn", "kan"),
    ("ks", "kas"),
    ("ml", "mal"),
    ("mr", "mar"),
    ("ne", "npi"),
    ("or", "ory"),
    ("pa", "pan"),
    ("sa", "san"),
    ("sd", "snd"),
    ("ta", "tam"),
    ("te", "tel"),
    ("ur", "urd"),
];

/// The FLORES-200 code IndicTrans2 takes for `code`: the code itself (any case), its ISO
/// 639-3 prefix (`hin`) or its ISO 639-1 code (`hi`); the first script listed wins.
fn indic_code(code: &str, known: &'static [&'static str]) -> Option<&'static str> {
    let code = code.trim();
    if let Some(exact) = known.iter().find(|k| k.eq_ignore_ascii_case(code)) {
        return Some(exact);
    }
    let prefix = INDIC_ISO
        .iter()
        .find(|(iso, _)| iso.eq_ignore_ascii_case(code))
        .map_or(code, |(_, three)| *three);
    known.iter().copied().find(|k| {
        k.split('_')
            .next()
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    })
}

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

/// IndicTrans2: `{text, target_language}` in (English source only), `{translations: [..]}` out.
#[derive(Serialize)]
struct IndicBody<'a> {
    text: &'a str,
    target_language: &'a str,
}

#[derive(Deserialize)]
struct IndicOut {
    translations: Vec<String>,
}

impl CloudflareTranslator {
    fn facts(&self) -> Option<&'static crate::facts::ModelFacts> {
        crate::facts::lookup(&self.model)
    }

    fn is_indic(&self) -> bool {
        self.model.to_ascii_lowercase().contains("indictrans2")
    }

    /// IndicTrans2's call: the target resolved to its FLORES-200 code, English source only.
    async fn translate_indic(&self, req: &TranslateRequest) -> Result<Translation> {
        let known = self.facts().map_or(&[][..], |f| f.languages);
        let check = || -> Result<&'static str> {
            req.validate()?;
            if let Some(source) = req.source_lang.as_deref() {
                if indic_code(source, known) != Some("eng_Latn") {
                    return Err(genai_core::Error::invalid_request(format!(
                        "`{}` translates from English only, not from `{source}`",
                        self.model
                    )));
                }
            }
            indic_code(&req.target_lang, known).ok_or_else(|| {
                genai_core::Error::invalid_request(format!(
                    "`{}` does not know the target language `{}`; it knows: {}",
                    self.model,
                    req.target_lang,
                    known.join(", ")
                ))
            })
        };
        let target = match check() {
            Ok(code) => code,
            Err(e) if self.transport.check_capabilities || req.validate().is_err() => {
                return Err(finish_error(&self.transport, e, "translate"))
            }
            Err(_) => req.target_lang.as_str(),
        };
        let body = IndicBody {
            text: &req.text,
            target_language: target,
        };
        let input = token_ceiling(req.text.len(), 1);
        let worst = Metered::tokens(input, 4 * input);
        let call = Call::new("translate", &self.model, ModelKind::Translation, worst);
        let billed = run_json::<IndicOut>(&self.transport, call, &body).await?;
        let (out, cost) = billed.settle(&self.transport, &self.model, &Metered::requests(1));
        match <[String; 1]>::try_from(out.translations) {
            Ok([text]) => {
                let mut t = Translation::new(text);
                t.cost = cost;
                Ok(t)
            }
            Err(got) => Err(finish_error(
                &self.transport,
                genai_core::Error::protocol(format!(
                    "`{}` answered {} translations for one text",
                    self.model,
                    got.len()
                )),
                "translate",
            )),
        }
    }
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
        TranslationCapabilities::new(self.facts().map_or(&[][..], |f| f.languages))
    }

    async fn translate(&self, req: &TranslateRequest) -> Result<Translation> {
        if self.is_indic() {
            return self.translate_indic(req).await;
        }
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

/// The chat model that writes summaries when none is named. Workers AI's only summarisation
/// model, `@cf/facebook/bart-large-cnn`, retired on 2026-05-30; a current chat model prompted
/// to summarise replaces it.
pub const DEFAULT_SUMMARY_MODEL: &str = "@cf/meta/llama-3.1-8b-instruct-fp8";

/// What a chat model is told to do with the text.
const SUMMARY_INSTRUCTION: &str = "Summarise the text the user sends in plain prose: keep its \
    main points, add nothing, and answer with the summary alone, without a title or preamble.";

/// A Workers AI summariser: a chat model prompted to summarise (by default
/// [`DEFAULT_SUMMARY_MODEL`]), or a summarisation model of the catalog (`{input_text,
/// max_length}` in, `{summary}` out).
#[derive(Debug, Clone)]
pub struct CloudflareSummarizer {
    transport: Arc<Transport>,
    model: String,
}

impl CloudflareSummarizer {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareSummarizer { model, transport }
    }

    /// Whether the model is a chat model (then it is prompted).
    fn through_chat(&self) -> bool {
        crate::catalog::builtin_kind(&self.model) == genai_core::ModelKind::Chat
    }

    /// The summary written by the chat model: the text as the user turn, the instruction as
    /// the system turn, `max_length` as the output limit (and said in the instruction).
    async fn summarize_with_chat(&self, req: &SummarizeRequest) -> Result<Summary> {
        use genai_core::{ChatRequest, ProviderGen};
        let instruction = match req.max_length {
            Some(n) => format!(
                "{SUMMARY_INSTRUCTION} Keep it under {} words.",
                (u64::from(n) * 3 / 4).max(1)
            ),
            None => SUMMARY_INSTRUCTION.to_owned(),
        };
        let mut chat = ChatRequest::new()
            .system(instruction)
            .user(req.text.clone());
        chat.max_tokens = req.max_length;
        chat.temperature = Some(0.2);
        let client = crate::chat::CloudflareChat::over(self.transport.clone(), self.model.clone());
        let reply = client
            .gen_sync(&chat)
            .await
            .map_err(|e| finish_error(&self.transport, e, "summarize"))?;
        let text = reply.text.trim();
        if text.is_empty() {
            return Err(finish_error(
                &self.transport,
                genai_core::Error::protocol(format!(
                    "`{}` answered the summary request with no text",
                    self.model
                )),
                "summarize",
            ));
        }
        let mut summary = Summary::new(text).by(self.model.clone());
        summary.usage = reply.usage;
        summary.cost = reply.cost;
        Ok(summary)
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
        if self.through_chat() {
            return self.summarize_with_chat(req).await;
        }
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
        let mut s = Summary::new(out.summary).by(self.model.clone());
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
