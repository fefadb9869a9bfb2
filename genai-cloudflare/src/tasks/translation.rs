//! Translation (`m2m100`, `indictrans2`).

use std::sync::Arc;

use genai_core::{
    async_trait, Metered, ModelKind, Result, TranslateRequest, Translation,
    TranslationCapabilities, TranslationModel,
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

/// Decodes a translation reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_translation(status: u16, body: &[u8]) -> Result<Translation> {
    crate::transport::decode_envelope::<TranslateOut>(status, body)
        .map(|out| Translation::new(out.translated_text))
}
