//! The [`CloudflareChat`] client: the `ProviderGen` implementation.

use std::fmt;
use std::sync::Arc;

use genai_core::http::{Deadline, SseBody};
use genai_core::text::excerpt;
use genai_core::{
    async_trait, Charge, ChatRequest, ChatResponse, ChatStream, Error, Metered, Mode,
    ModelCapabilities, ModelKind, Price, ProviderGen, ResponseAccumulator, Result,
};
use reqwest::header::CONTENT_TYPE;
use tracing::Instrument;

use crate::chat::family::{Family, Traits};
use crate::chat::reply::{CallContext, Shaper};
use crate::chat::stream::{chat_stream, StreamDecoder};
use crate::chat::wire::{RunBody, WireResult};
use crate::errors::PROVIDER;
use crate::metering::{self, token_ceiling, ReplyMeta, WORST_CASE_OUTPUT_TOKENS};
use crate::transport::{open_envelope, Body, Transport};

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
pub struct CloudflareChat {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Arc<Transport>,
    pub(crate) run_url: String,
    pub(crate) model: String,
    pub(crate) family: Family,
    pub(crate) capabilities: ModelCapabilities,
}

impl fmt::Debug for CloudflareChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareChat")
            .field("model", &self.inner.model)
            .field("family", &self.inner.family)
            .field("run_url", &self.inner.run_url)
            .field("api_token", &"[redacted]")
            .field("options", &self.inner.transport.options)
            .finish()
    }
}

impl CloudflareChat {
    /// The chat client of `model` over `transport` (the model id already normalised).
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> CloudflareChat {
        let family = Family::of(&model);
        CloudflareChat {
            inner: Arc::new(Inner {
                run_url: transport.run_url(&model),
                capabilities: family.capabilities(&model),
                family,
                model,
                transport,
            }),
        }
    }

    /// The model's price in US dollars per unit: the one given to
    /// [`CloudflareBuilder::price`](crate::CloudflareBuilder::price), else the live catalog's
    /// (once the provider has listed it), else the built-in one; `None` when unknown.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::{Metered, PriceUnit};
    /// let client = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("t")
    ///     .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
    ///     .build()
    ///     .unwrap();
    /// let price = client.price().unwrap();
    /// assert!(price.get(PriceUnit::OutputTokensPerM).is_some());
    /// let cost = price.estimate(&Metered::tokens(1000, 100)).unwrap();
    /// println!("about {:.2} neurons (${:.6})", cost.neurons, cost.usd);
    /// ```
    pub fn price(&self) -> Option<Price> {
        self.inner.transport.metering.price(&self.inner.model)
    }

    /// The model's family, which decides its wire quirks.
    pub fn family(&self) -> Family {
        self.inner.family
    }

    /// The same account and settings with another model (checked like
    /// [`CloudflareBuilder::model`]).
    pub fn with_model(&self, model: impl AsRef<str>) -> Result<CloudflareChat> {
        let model = crate::transport::normalize_model(model.as_ref())?;
        Ok(CloudflareChat::over(self.inner.transport.clone(), model))
    }

    /// The same model and settings, with its chat requests routed to one model instance
    /// (`x-session-affinity: key`), so the cached prompt prefix of a conversation is reused
    /// (`usage` then reports cached input tokens where the service does).
    ///
    /// ```
    /// # use genai_cloudflare::CloudflareChat;
    /// let client = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("t")
    ///     .build()
    ///     .unwrap();
    /// let conversation = client.with_session_affinity("conversation-42").unwrap();
    /// assert!(client.with_session_affinity("bad\nkey").is_err());
    /// # let _ = conversation;
    /// ```
    pub fn with_session_affinity(&self, key: &str) -> Result<CloudflareChat> {
        let mut transport = (*self.inner.transport).clone();
        transport.headers.insert(
            "x-session-affinity",
            crate::transport::affinity_header(key)?,
        );
        Ok(CloudflareChat::over(
            Arc::new(transport),
            self.inner.model.clone(),
        ))
    }

    /// Accepts the model's licence for the account, once: Llama 3.2 Vision refuses every
    /// request (code 5016, [`PermissionDenied`](genai_core::ErrorKind::PermissionDenied))
    /// until the account has sent the prompt `agree` to it.
    ///
    /// ```no_run
    /// use genai_cloudflare::CloudflareBuilder;
    /// # async fn run() -> genai_core::Result<()> {
    /// let vision = CloudflareBuilder::from_env()
    ///     .model("@cf/meta/llama-3.2-11b-vision-instruct")
    ///     .build()?;
    /// vision.agree_to_license().await?;
    /// # Ok(()) }
    /// ```
    pub async fn agree_to_license(&self) -> Result<()> {
        let deadline = Deadline::after(self.inner.transport.options.timeout);
        crate::chat::vision::agree(&self.inner.transport, &self.inner.model, &deadline)
            .await
            .map_err(|e| self.redact(e.with_provider(PROVIDER)))
    }

    fn redact(&self, err: Error) -> Error {
        self.inner.transport.redact(err)
    }

    fn token(&self) -> &str {
        self.inner.transport.token()
    }

    /// The call's span, its request parameters recorded (never its messages).
    fn span(&self, mode: Mode, req: &ChatRequest) -> tracing::Span {
        let span = crate::telemetry::call_span("chat", &self.inner.model, Some(mode));
        genai_core::telemetry::record_request(&span, req);
        if self.inner.transport.log_content {
            // An event of the call's span: exported with it only when the caller opted in.
            tracing::trace!(parent: &span, messages = ?req.messages, "request");
        }
        span
    }

    fn preflight(&self, mode: Mode, req: &ChatRequest) -> Result<()> {
        if self.inner.transport.check_capabilities {
            if let Some(retired) = crate::facts::retired_error(&self.inner.model) {
                return Err(retired);
            }
        }
        if let Some(warning) = crate::facts::alias_warning(&self.inner.model) {
            tracing::warn!("{warning}");
        }
        let checked = if self.inner.transport.check_capabilities {
            self.inner
                .capabilities
                .check(mode, req)
                .map_err(|e| self.name_alternatives(e, mode, req))
        } else {
            req.validate()
        };
        checked
            .and_then(|()| crate::chat::wire::check_wire(Traits::of(&self.inner.model), req))
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(())
    }

    /// A capability refusal with the known models that would take the request (at most
    /// three), so the caller has a way out.
    fn name_alternatives(
        &self,
        err: genai_core::Error,
        mode: Mode,
        req: &ChatRequest,
    ) -> genai_core::Error {
        if err.kind() != genai_core::ErrorKind::Unsupported {
            return err;
        }
        let other = match mode {
            Mode::Sync => Mode::Stream,
            Mode::Stream => Mode::Sync,
        };
        if self.inner.capabilities.check(other, req).is_ok() {
            return err.with_hint(format!("it does in {} mode", other.as_str()));
        }
        let mut able: Vec<String> = Vec::new();
        for id in crate::chat::family::named_models() {
            let name = format!("`{id}`");
            if id != self.inner.model
                && !able.contains(&name)
                && Family::of(id).capabilities(id).check(mode, req).is_ok()
            {
                able.push(name);
            }
            if able.len() == 3 {
                break;
            }
        }
        if able.is_empty() {
            return err;
        }
        err.with_hint(format!("models that do: {}", able.join(", ")))
    }

    /// Posts a run request and returns the successful reply.
    async fn post(
        &self,
        req: &ChatRequest,
        stream: bool,
        deadline: &Deadline,
    ) -> Result<reqwest::Response> {
        let run = RunBody::for_model(Traits::of(&self.inner.model), req, stream);
        let has_media = req.messages.iter().any(|m| !m.media().is_empty());
        // `rejectIfBusy` is an option of synchronous calls only.
        let reject_if_busy = !stream && self.inner.transport.metering.reject_if_busy;
        let body = if has_media || reject_if_busy {
            let mut value = serde_json::to_value(&run).map_err(|e| {
                Error::invalid_request("the request could not be encoded").with_source(e)
            })?;
            if has_media {
                crate::chat::vision::attach_images(&self.inner.model, req, &mut value)?;
            }
            if reject_if_busy {
                crate::transport::reject_if_busy(&mut value);
            }
            Body::json(&value)?
        } else {
            Body::json(&run)?
        };
        let accept = if stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        self.inner
            .transport
            .post(&self.inner.run_url, &body, accept, deadline)
            .await
    }

    /// Reads and decodes a complete JSON reply.
    async fn read_reply(
        &self,
        resp: reqwest::Response,
        req: &ChatRequest,
        deadline: &Deadline,
    ) -> Result<ChatResponse> {
        let meta = ReplyMeta::of(resp.headers());
        let status = resp.status().as_u16();
        let body = self.inner.transport.read(resp, deadline).await?;
        let price = self.price();
        let traits = Traits::of(&self.inner.model);
        let mut reply = decode_priced_reply(traits, req, status, &body, price)?;
        // The neurons the service reports win over the estimate from the usage.
        reply.cost = meta.cost(reply.cost);
        reply.rate_limit = meta.rate_limit;
        let span = tracing::Span::current();
        span.record("input_tokens", reply.usage.input_tokens);
        span.record("output_tokens", reply.usage.output_tokens);
        genai_core::telemetry::record_usage(&span, &reply.usage);
        genai_core::telemetry::record_finish(&span, reply.finish_reason);
        crate::telemetry::record_reply(&span, &meta, reply.cost);
        if self.inner.transport.log_content {
            tracing::trace!(parent: &span, text = %reply.text, reasoning = %reply.reasoning, "reply");
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
    decode_priced_reply(traits, req, status, body, None)
}

/// Decodes a complete reply, its cost estimated from its usage and `price`.
pub(crate) fn decode_priced_reply(
    traits: impl Into<Traits>,
    req: &ChatRequest,
    status: u16,
    body: &[u8],
    price: Option<Price>,
) -> Result<ChatResponse> {
    let result = open_envelope::<WireResult<'_>>(status, body)?
        .filter(WireResult::has_reply)
        .ok_or_else(|| {
            Error::protocol(format!(
                "HTTP {status}: the reply has no `response`, `choices` or `tool_calls`: {}",
                excerpt(&String::from_utf8_lossy(body), 200)
            ))
            .with_status(status)
            .with_provider(PROVIDER)
        })?;
    let mut shaper = Shaper::new(CallContext::new(traits, req)).metered(price, None);
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

/// The most a chat request could use: its text (and tool schemas) as tokens at most, a
/// thousand tokens per image, and `max_tokens` of output (or the family's default, or
/// [`WORST_CASE_OUTPUT_TOKENS`]).
pub(crate) fn worst_case(traits: Traits, req: &ChatRequest) -> Metered {
    let text: usize = req.messages.iter().map(|m| m.content().len()).sum();
    let tools: usize = req
        .tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
        .sum();
    let images: usize = req.messages.iter().map(|m| m.media().len()).sum();
    let input =
        token_ceiling(text + tools, req.messages.len() + req.tools.len()) + 1000 * images as u64;
    let output = req
        .max_tokens
        .map(u64::from)
        .or_else(|| traits.family.default_max_tokens())
        .unwrap_or(WORST_CASE_OUTPUT_TOKENS);
    Metered::tokens(input, output)
}

#[async_trait]
impl ProviderGen for CloudflareChat {
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
        self.sync_call(req)
            .await
            .map_err(|e| self.redact(crate::chat::vision::explain_license(&self.inner.model, e)))
    }

    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream> {
        self.stream_call(req)
            .await
            .map_err(|e| self.redact(crate::chat::vision::explain_license(&self.inner.model, e)))
    }
}

impl CloudflareChat {
    async fn sync_call(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.preflight(Mode::Sync, req)?;
        let charge = self.begin(req).await?;
        let deadline = Deadline::after(self.inner.transport.options.timeout);
        let span = self.span(Mode::Sync, req);
        let replied = if crate::chat::vision::is_describer(&self.inner.model) {
            let transport = &self.inner.transport;
            crate::chat::vision::describe(transport, &self.inner.model, req, &deadline)
                .instrument(span.clone())
                .await
        } else {
            async {
                let resp = self.post(req, false, &deadline).await?;
                self.read_reply(resp, req, &deadline).await
            }
            .instrument(span.clone())
            .await
        };
        if let Err(e) = &replied {
            crate::telemetry::record_error(&span, e);
        }
        let replied = replied.map(|mut reply| {
            reply
                .warnings
                .extend(crate::facts::alias_warning(&self.inner.model));
            reply
        });
        self.settle(charge, replied)
    }

    /// Before a request: the worst case reserved against the budget (refused with kind
    /// `budget` before anything is sent), then the limiter's turn.
    async fn begin(&self, req: &ChatRequest) -> Result<Option<Charge>> {
        let worst = worst_case(Traits::of(&self.inner.model), req);
        self.inner
            .transport
            .metering
            .begin(&self.inner.model, ModelKind::Chat, &worst)
            .await
    }

    /// After a whole reply: the charge settled with its cost, or given back on a refusal.
    fn settle(
        &self,
        charge: Option<Charge>,
        replied: Result<ChatResponse>,
    ) -> Result<ChatResponse> {
        match &replied {
            Ok(reply) => metering::settle(charge, reply.cost),
            Err(_) => metering::release(charge),
        }
        replied
    }

    async fn stream_call(&self, req: &ChatRequest) -> Result<ChatStream> {
        self.preflight(Mode::Stream, req)?;
        let charge = self.begin(req).await?;
        let span = self.span(Mode::Stream, req);
        let deadline = Deadline::after(self.inner.transport.options.timeout);
        let family = self.inner.family;
        if crate::chat::vision::is_describer(&self.inner.model) {
            let transport = &self.inner.transport;
            let reply = crate::chat::vision::describe(transport, &self.inner.model, req, &deadline)
                .instrument(span)
                .await;
            return self.settle(charge, reply).map(ChatStream::from_response);
        }
        if !family.streams(&self.inner.model) {
            // These models answer `stream: true` with a plain reply: ask for it directly.
            let reply = async {
                let resp = self.post(req, false, &deadline).await?;
                self.read_reply(resp, req, &deadline).await
            }
            .instrument(span)
            .await;
            return self.settle(charge, reply).map(ChatStream::from_response);
        }
        // A stream's time to its first chunk counts from here.
        let sent = std::time::Instant::now();
        let resp = match self
            .post(req, true, &deadline)
            .instrument(span.clone())
            .await
        {
            Ok(resp) => resp,
            Err(e) => {
                crate::telemetry::record_error(&span, &e);
                metering::release(charge);
                return Err(e);
            }
        };
        let meta = ReplyMeta::of(resp.headers());
        // The stream's header says 0 neurons: only its ids are recorded now, its cost at the end.
        crate::telemetry::record_reply(&span, &meta, None);
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        if !is_sse {
            // A plain JSON reply to a stream request: decode it whole.
            let reply = self.read_reply(resp, req, &deadline).instrument(span).await;
            return self.settle(charge, reply).map(ChatStream::from_response);
        }
        let body = SseBody::new(resp, &self.inner.transport.options, deadline);
        let traits = Traits::of(&self.inner.model);
        // The stream's cost (its header says 0) is estimated once, at its end, from the final
        // usage: nothing is added per chunk.
        let shaper = Shaper::new(CallContext::new(traits, req))
            .metered(self.price(), charge)
            .traced(span.clone());
        let decoder = StreamDecoder::new(shaper);
        Ok(
            chat_stream(body, decoder, span, sent, self.token().to_owned())
                .with_rate_limit(meta.rate_limit),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_object_safe() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<CloudflareChat>();
        let client = CloudflareChat::builder()
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
