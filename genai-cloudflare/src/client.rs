//! The [`Cloudflare`] client: the `ProviderGen` implementation.

use std::fmt;
use std::sync::Arc;

use genai_core::http::{self, Deadline, HttpOptions, SseBody};
use genai_core::text::excerpt;
use genai_core::{
    async_trait, ChatRequest, ChatResponse, ChatStream, Error, Mode, ModelCapabilities, ModelInfo,
    ProviderGen, ResponseAccumulator, Result,
};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use tracing::{field::Empty, Instrument};

use crate::config::CloudflareBuilder;
use crate::errors::{self, PROVIDER};
use crate::family::{Family, Traits};
use crate::reply::{CallContext, Shaper};
use crate::stream::{chat_stream, StreamDecoder};
use crate::wire::{Envelope, RunBody, WireResult};

/// A Cloudflare Workers AI model, ready to chat. Cheap to clone (an `Arc` inside).
///
/// ```no_run
/// use genai_cloudflare::CloudflareBuilder;
/// use genai_core::{ChatRequest, ProviderGen, StreamEvent};
/// # async fn run() -> genai_core::Result<()> {
/// let client = CloudflareBuilder::from_env().build()?;
/// let mut stream = client.gen_stream(&ChatRequest::new().user("Tell a short story.")).await?;
/// while let Some(event) = stream.next_event().await {
///     if let StreamEvent::TextDelta(text) = event? {
///         print!("{text}");
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cloudflare {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) run_url: String,
    pub(crate) models_url: String,
    pub(crate) auth: HeaderValue,
    pub(crate) model: String,
    pub(crate) family: Family,
    pub(crate) capabilities: ModelCapabilities,
    pub(crate) http: reqwest::Client,
    pub(crate) options: HttpOptions,
    pub(crate) check_capabilities: bool,
    pub(crate) log_content: bool,
}

impl fmt::Debug for Cloudflare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cloudflare")
            .field("model", &self.inner.model)
            .field("family", &self.inner.family)
            .field("run_url", &self.inner.run_url)
            .field("api_token", &"[redacted]")
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Cloudflare {
    /// A builder; see [`CloudflareBuilder`].
    pub fn builder() -> CloudflareBuilder {
        CloudflareBuilder::new()
    }

    /// The model's family, which decides its wire quirks.
    pub fn family(&self) -> Family {
        self.inner.family
    }

    /// The same account and settings with another model (checked like
    /// [`CloudflareBuilder::model`]).
    pub fn with_model(&self, model: impl AsRef<str>) -> Result<Cloudflare> {
        let model = crate::config::normalize_model(model.as_ref())?;
        let inner = &self.inner;
        let base = inner
            .run_url
            .strip_suffix(inner.model.as_str())
            .unwrap_or(&inner.run_url);
        let family = Family::of(&model);
        Ok(Cloudflare {
            inner: Arc::new(Inner {
                run_url: format!("{base}{model}"),
                models_url: inner.models_url.clone(),
                auth: inner.auth.clone(),
                capabilities: family.capabilities(&model),
                family,
                model,
                http: inner.http.clone(),
                options: inner.options,
                check_capabilities: inner.check_capabilities,
                log_content: inner.log_content,
            }),
        })
    }

    /// The API token, only to scrub it from errors (see [`errors::redact`]).
    fn token(&self) -> &str {
        self.inner
            .auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
    }

    fn redact(&self, err: Error) -> Error {
        errors::redact(err, self.token())
    }

    fn span(&self, mode: Mode) -> tracing::Span {
        tracing::info_span!(
            "genai.call",
            provider = PROVIDER,
            model = %self.inner.model,
            mode = mode.as_str(),
            attempt = Empty,
            status = Empty,
            latency_ms = Empty,
            input_tokens = Empty,
            output_tokens = Empty,
        )
    }

    fn preflight(&self, mode: Mode, req: &ChatRequest) -> Result<()> {
        let checked = if self.inner.check_capabilities {
            self.inner.capabilities.check(mode, req)
        } else {
            req.validate()
        };
        checked
            .and_then(|()| crate::wire::check_wire(Traits::of(&self.inner.model), req))
            .map_err(|e| e.with_provider(PROVIDER))?;
        if self.inner.log_content {
            tracing::trace!(messages = ?req.messages, "request");
        }
        Ok(())
    }

    /// Posts a run request and returns the successful reply.
    async fn post(
        &self,
        req: &ChatRequest,
        stream: bool,
        deadline: &Deadline,
    ) -> Result<reqwest::Response> {
        let body = serde_json::to_vec(&RunBody::for_model(
            Traits::of(&self.inner.model),
            req,
            stream,
        ))
        .map_err(|e| Error::invalid_request("the request could not be encoded").with_source(e))?;
        let body = bytes::Bytes::from(body);
        let inner = &self.inner;
        let accept = if stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        http::send(
            &inner.options,
            deadline,
            || {
                inner
                    .http
                    .post(&inner.run_url)
                    .header(AUTHORIZATION, inner.auth.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .header(ACCEPT, accept)
                    .body(body.clone())
            },
            errors::map_failure,
        )
        .await
        .map_err(|e| e.with_provider(PROVIDER))
    }

    /// Reads and decodes a complete JSON reply.
    async fn read_reply(
        &self,
        resp: reqwest::Response,
        req: &ChatRequest,
        deadline: &Deadline,
    ) -> Result<ChatResponse> {
        let status = resp.status().as_u16();
        let opts = &self.inner.options;
        let body = http::read_body(
            resp,
            opts.max_response_bytes,
            deadline,
            opts.idle_timeout,
            false,
        )
        .await
        .map_err(|e| e.with_provider(PROVIDER))?;
        let reply = decode_reply(Traits::of(&self.inner.model), req, status, &body)?;
        tracing::Span::current().record("input_tokens", reply.usage.input_tokens);
        tracing::Span::current().record("output_tokens", reply.usage.output_tokens);
        if self.inner.log_content {
            tracing::trace!(text = %reply.text, reasoning = %reply.reasoning, "reply");
        }
        Ok(reply)
    }
}

/// Decodes a complete `/ai/run` JSON body (either wire shape) into a reply.
pub(crate) fn decode_reply(
    traits: impl Into<Traits>,
    req: &ChatRequest,
    status: u16,
    body: &[u8],
) -> Result<ChatResponse> {
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(|e| {
        Error::protocol(format!(
            "HTTP {status}: the reply is not a Workers AI JSON envelope ({e}): {}",
            excerpt(&String::from_utf8_lossy(body), 200)
        ))
        .with_status(status)
        .with_provider(PROVIDER)
    })?;
    if envelope.success == Some(false) || !envelope.errors.is_empty() {
        return Err(errors::from_codes(status, &envelope.errors).with_status(status));
    }
    let result = envelope
        .result
        .filter(WireResult::has_reply)
        .ok_or_else(|| {
            Error::protocol(format!(
                "HTTP {status}: the reply has no `response`, `choices` or `tool_calls`: {}",
                excerpt(&String::from_utf8_lossy(body), 200)
            ))
            .with_status(status)
            .with_provider(PROVIDER)
        })?;
    let mut shaper = Shaper::new(CallContext::new(traits, req));
    shaper
        .apply(result, true)
        .map_err(|e| e.with_provider(PROVIDER))?;
    shaper.finish().map_err(|e| e.with_provider(PROVIDER))?;
    let mut acc = ResponseAccumulator::default();
    while let Some(ev) = shaper.pop() {
        acc.push(ev);
    }
    Ok(acc.finish())
}

#[async_trait]
impl ProviderGen for Cloudflare {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.inner.model
    }

    fn capabilities(&self) -> ModelCapabilities {
        self.inner.capabilities
    }

    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.sync_call(req).await.map_err(|e| self.redact(e))
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        self.stream_call(req).await.map_err(|e| self.redact(e))
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>> {
        crate::models::list(self).await.map_err(|e| self.redact(e))
    }
}

impl Cloudflare {
    async fn sync_call(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.preflight(Mode::Sync, req)?;
        let deadline = Deadline::after(self.inner.options.timeout);
        async {
            let resp = self.post(req, false, &deadline).await?;
            self.read_reply(resp, req, &deadline).await
        }
        .instrument(self.span(Mode::Sync))
        .await
    }

    async fn stream_call(&self, req: &ChatRequest) -> Result<ChatStream> {
        self.preflight(Mode::Stream, req)?;
        let span = self.span(Mode::Stream);
        let deadline = Deadline::after(self.inner.options.timeout);
        let family = self.inner.family;
        if !family.streams(&self.inner.model) {
            // These models answer `stream: true` with a plain reply: ask for it directly.
            let reply = async {
                let resp = self.post(req, false, &deadline).await?;
                self.read_reply(resp, req, &deadline).await
            }
            .instrument(span)
            .await?;
            return Ok(ChatStream::from_response(reply));
        }
        let resp = self
            .post(req, true, &deadline)
            .instrument(span.clone())
            .await?;
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        if !is_sse {
            // A plain JSON reply to a stream request: decode it whole.
            let reply = self
                .read_reply(resp, req, &deadline)
                .instrument(span)
                .await?;
            return Ok(ChatStream::from_response(reply));
        }
        let body = SseBody::new(resp, &self.inner.options, deadline);
        let traits = Traits::of(&self.inner.model);
        let decoder = StreamDecoder::new(Shaper::new(CallContext::new(traits, req)));
        Ok(chat_stream(body, decoder, span, self.token().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_object_safe() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Cloudflare>();
        let client = Cloudflare::builder()
            .account_id("0123456789abcdef0123456789abcdef")
            .api_token("t")
            .build()
            .unwrap();
        let shared: Arc<dyn ProviderGen> = Arc::new(client.clone());
        assert_eq!(shared.name(), "cloudflare");
        assert!(client.with_model(" ").is_err());
        let other = client.with_model("@cf/zai-org/glm-4.7-flash").unwrap();
        assert!(other
            .inner
            .run_url
            .ends_with("/ai/run/@cf/zai-org/glm-4.7-flash"));
        assert_eq!(other.family(), Family::OpenAiChat);
    }
}
