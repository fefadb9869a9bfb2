//! Summarisation: a chat model prompted to summarise, or a summarisation model of the catalog.

use std::sync::Arc;

use genai_core::{
    async_trait, Metered, ModelKind, Result, SummarizationCapabilities, SummarizationModel,
    SummarizeRequest, Summary, Support,
};
use serde::{Deserialize, Serialize};

use super::{finish_error, run_json, Call};
use crate::errors::PROVIDER;
use crate::metering::token_ceiling;
use crate::transport::Transport;

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

/// Decodes a summarisation reply as the client does (for fuzzers and property tests).
pub(crate) fn decode_summary(status: u16, body: &[u8]) -> Result<Summary> {
    crate::transport::decode_envelope::<SummarizeOut>(status, body)
        .map(|out| Summary::new(out.summary))
}
