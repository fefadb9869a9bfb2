//! The asynchronous batch queue (`?queueRequest=true`): submit `{"requests":[...]}`, poll with
//! `{"request_id"}`, read `responses` (out of order, chat results nested twice) through the
//! same decoding as the synchronous calls.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use genai_core::http::Deadline;
use genai_core::text::excerpt;
use genai_core::{
    async_trait, plan_chunks, BatchCapabilities, BatchItem, BatchJob, BatchModel, BatchOutput,
    BatchRequest, BatchResult, BatchStatus, ChatRequest, Cost, EmbedRequest, Embeddings, Error,
    ErrorKind, Metered, Mode, ModelCapabilities, ModelKind, PollPolicy, Result, SpeechModel,
    Translation, TranslationCapabilities, TurnDetectionCapabilities,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::embedding::{EmbedBody, EmbedOut};
use super::finish_error;
use super::speech::{audio_from_json, raw_audio_type, CloudflareSpeech};
use super::turn::{turn_body, TurnOut};
use crate::chat::client::decode_priced_reply;
use crate::chat::family::{Family, Traits};
use crate::errors::{self, WireError, PROVIDER};
use crate::metering::{token_ceiling, wav_seconds};
use crate::transport::{decode_envelope, Body, Transport};

/// The largest submission the queue takes is 10 MB; this leaves room for the headers and a
/// proxy's own accounting.
pub const MAX_QUEUE_PAYLOAD: usize = 10_000_000;

/// The most texts one embedding request takes.
const MAX_EMBED_INPUTS: usize = 100;

/// Whether the facts table says `model` takes the queue (used while the catalog has not been
/// read).
pub(crate) fn builtin_queue(model: &str) -> bool {
    crate::facts::lookup(model).is_some_and(|f| f.queue)
}

/// A Workers AI model run through the asynchronous batch queue; see [`BatchModel`].
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::{BatchItem, BatchModel, ChatRequest, ErrorKind, Provider};
/// let provider = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .build_provider()
///     .unwrap();
/// let batch = provider.batch("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
/// let items = vec![BatchItem::chat(ChatRequest::new().user("Say hello.")); 3];
/// assert_eq!(batch.plan(&items).unwrap(), vec![0..3]);
/// // A model without the queue is refused before any request.
/// let err = provider.batch_model("@cf/meta/llama-3.2-1b-instruct").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// ```
#[derive(Debug, Clone)]
pub struct CloudflareBatch {
    transport: Arc<Transport>,
    model: String,
    kind: ModelKind,
    chat: ModelCapabilities,
    max_items: Option<usize>,
    max_payload: usize,
    poll: PollPolicy,
    /// The synchronous handle of a text-to-speech model: its checks and wire body.
    speech: Option<CloudflareSpeech>,
}

impl CloudflareBatch {
    pub(crate) fn over(transport: Arc<Transport>, model: String, kind: ModelKind) -> Self {
        let speech = (kind == ModelKind::TextToSpeech)
            .then(|| CloudflareSpeech::over(transport.clone(), model.clone()));
        CloudflareBatch {
            chat: Family::of(&model).capabilities(&model),
            kind,
            model,
            transport,
            max_items: None,
            max_payload: MAX_QUEUE_PAYLOAD,
            poll: PollPolicy::default(),
            speech,
        }
    }
}

impl CloudflareBatch {
    /// Caps the items of one submission (default: only the payload limit splits).
    pub fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n.max(1));
        self
    }

    /// Lowers the payload limit of one submission (it cannot be raised above
    /// [`MAX_QUEUE_PAYLOAD`]).
    pub fn max_payload_bytes(mut self, n: usize) -> Self {
        self.max_payload = n.clamp(64, MAX_QUEUE_PAYLOAD);
        self
    }

    /// Sets how [`results`](BatchModel::results) polls.
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.poll = policy;
        self
    }

    fn queue_url(&self) -> String {
        self.transport
            .run_url_with(&self.model, "queueRequest=true")
    }

    /// Checks one item the way its synchronous call would.
    fn check(&self, item: &BatchItem) -> Result<()> {
        if !self.transport.check_capabilities {
            return item.request.validate();
        }
        BatchModel::capabilities(self).check(item)?;
        match &item.request {
            BatchRequest::Chat(req) => self.chat.check(Mode::Sync, req),
            BatchRequest::Embed(req) if req.inputs.len() > MAX_EMBED_INPUTS => {
                Err(Error::invalid_request(format!(
                    "an embedding request of a batch takes at most {MAX_EMBED_INPUTS} texts, \
                     this one has {}",
                    req.inputs.len()
                )))
            }
            BatchRequest::Translate(req) if self.model.contains("m2m100") => {
                TranslationCapabilities::new(
                    crate::facts::lookup(&self.model).map_or(&[][..], |f| f.languages),
                )
                .check(req)
            }
            BatchRequest::Speak(req) => match &self.speech {
                Some(speech) => speech.capabilities().check(req),
                None => req.validate(),
            },
            BatchRequest::DetectTurn(req) => {
                let mut caps = TurnDetectionCapabilities::default();
                caps.max_audio_bytes = Some(super::transcription::MAX_AUDIO_BYTES);
                caps.check(req)
            }
            _ => Ok(()),
        }
    }

    /// The JSON of one item as the queue takes it: the model's normal input, plus the
    /// caller's reference.
    fn encode(&self, item: &BatchItem) -> Result<Vec<u8>> {
        let mut body = match &item.request {
            BatchRequest::Chat(req) => to_object(&crate::chat::wire::RunBody::for_model(
                Traits::of(&self.model),
                req,
                false,
            ))?,
            BatchRequest::Embed(req) => to_object(&EmbedBody::new(&req.inputs, req.pooling))?,
            BatchRequest::Translate(req) => {
                let mut m = Map::new();
                m.insert("text".into(), Value::from(req.text.as_str()));
                m.insert("target_lang".into(), Value::from(req.target_lang.as_str()));
                if let Some(src) = &req.source_lang {
                    m.insert("source_lang".into(), Value::from(src.as_str()));
                }
                m
            }
            BatchRequest::Speak(req) => match &self.speech {
                Some(speech) => into_object(speech.wire_json(req)?)?,
                None => return Err(unbatchable(&item.request)),
            },
            BatchRequest::DetectTurn(req) => into_object(turn_body(req)?)?,
            other => return Err(unbatchable(other)),
        };
        if let Some(r) = &item.external_reference {
            body.insert("external_reference".into(), Value::from(r.as_str()));
        }
        serde_json::to_vec(&body)
            .map_err(|e| Error::invalid_request("the request could not be encoded").with_source(e))
    }

    /// Checks and encodes every item; an item's error names its position when there are
    /// several.
    fn encode_all(&self, items: &[BatchItem]) -> Result<Vec<Vec<u8>>> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.check(item)
                    .and_then(|()| self.encode(item))
                    .map_err(|e| match items.len() {
                        1 => e,
                        _ => Error::new(e.kind(), format!("batch item {}: {}", i + 1, e.message())),
                    })
            })
            .collect()
    }

    async fn submit_call(&self, items: &[BatchItem], offset: usize) -> Result<BatchJob> {
        if items.is_empty() {
            return Err(Error::invalid_request("a batch needs at least one request"));
        }
        let encoded = self.encode_all(items)?;
        let size = OVERHEAD + encoded.iter().map(Vec::len).sum::<usize>() + encoded.len() - 1;
        if size > self.max_payload {
            return Err(Error::invalid_request(format!(
                "these {} requests make a {size} byte submission, over the {} byte limit; \
                 split them (see `plan`)",
                items.len(),
                self.max_payload
            )));
        }
        let mut bytes = Vec::with_capacity(size);
        bytes.extend_from_slice(b"{\"requests\":[");
        for (i, e) in encoded.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(e);
        }
        bytes.extend_from_slice(b"]}");
        let body = Body::json_bytes(Bytes::from(bytes));
        // The whole submission's worst case is charged to the budget before it is queued
        // (and stays charged: a queued reply reports no neurons to settle it with).
        let worst = self.worst_case_neurons(items);
        let charge = match &self.transport.metering.budget {
            Some(b) => Some(b.reserve(worst)?),
            None => None,
        };
        let deadline = Deadline::after(self.transport.options.timeout);
        // A retry after a 5xx or a dropped connection could queue the same requests twice
        // (the queue has no idempotency key): only refusals (429, capacity) are retried.
        let policy = self.transport.options.retry;
        let mut attempt = 0;
        let out: Submitted = loop {
            match self
                .transport
                .post_once(&self.queue_url(), &body, &deadline)
                .await
            {
                Ok((status, bytes)) => break decode_envelope(status, &bytes)?,
                Err(e) if e.kind() == ErrorKind::RateLimited || e.code() == Some(3040) => {
                    match policy.delay_for(&e, attempt) {
                        Some(d) if deadline.remaining().is_none_or(|left| left > d) => {
                            tokio::time::sleep(d).await;
                            attempt += 1;
                        }
                        _ => {
                            crate::metering::release(charge);
                            return Err(e);
                        }
                    }
                }
                Err(e) => {
                    if e.status().is_some_and(|s| (400..500).contains(&s)) {
                        // Refused: nothing was queued.
                        crate::metering::release(charge);
                    }
                    return Err(e);
                }
            }
        };
        if out.request_id.trim().is_empty() {
            return Err(Error::protocol(
                "the queue's reply has an empty `request_id`",
            ));
        }
        Ok(BatchJob::new(
            out.request_id,
            &self.model,
            offset,
            items.len(),
        ))
    }

    async fn status_call(&self, job: &BatchJob, items: &[BatchItem]) -> Result<BatchStatus> {
        if items.len() != job.len {
            return Err(Error::invalid_request(format!(
                "job {} holds {} items, {} were given to read its results",
                job.request_id,
                job.len,
                items.len()
            )));
        }
        let body = Body::json(&serde_json::json!({ "request_id": job.request_id }))?;
        let deadline = Deadline::after(self.transport.options.timeout);
        let resp = self
            .transport
            .post_uncached(&self.queue_url(), &body, "application/json", &deadline)
            .await?;
        let status = resp.status().as_u16();
        let bytes = self.transport.read(resp, &deadline).await?;
        let mut polled = decode_poll(&self.model, job, items, status, &bytes, &|e| {
            finish_error(&self.transport, e, "batch")
        })?;
        if let BatchStatus::Done(results) = &mut polled {
            self.price_results(job, items, results);
        }
        Ok(polled)
    }

    /// Gives each result its estimated cost (a queued reply reports no neurons).
    fn price_results(&self, job: &BatchJob, items: &[BatchItem], results: &mut [BatchResult]) {
        for r in results {
            let item = r.index.checked_sub(job.offset).and_then(|i| items.get(i));
            if let (Some(item), Ok(out)) = (item, r.outcome.as_mut()) {
                let cost = self.item_cost(&item.request, out);
                if let BatchOutput::Chat(reply) = out {
                    reply.cost = cost;
                }
                r.cost = cost;
            }
        }
    }

    /// The most `items` could cost together, in neurons (`None` when the model's price is
    /// not known).
    fn worst_case_neurons(&self, items: &[BatchItem]) -> Option<f64> {
        let metering = &self.transport.metering;
        let traits = Traits::of(&self.model);
        let mut total = 0.0;
        for item in items {
            let worst = match &item.request {
                BatchRequest::Chat(req) => crate::chat::client::worst_case(traits, req),
                BatchRequest::Embed(req) => {
                    let bytes = req.inputs.iter().map(String::len).sum();
                    Metered::tokens(token_ceiling(bytes, req.inputs.len()), 0)
                }
                BatchRequest::Translate(req) => {
                    let input = token_ceiling(req.text.len(), 1);
                    Metered::tokens(input, 4 * input)
                }
                BatchRequest::Speak(req) => Metered::characters(req.text.chars().count() as u64),
                BatchRequest::DetectTurn(req) => Metered::audio(wav_seconds(req.audio.data())?),
                _ => return None,
            };
            total += metering.estimate(&self.model, &worst)?.neurons;
        }
        Some(total)
    }

    /// What one item cost, estimated from the model's price and what the item used (a
    /// queued reply reports no neurons): `None` when that is not known.
    fn item_cost(&self, req: &BatchRequest, out: &BatchOutput) -> Option<Cost> {
        let metering = &self.transport.metering;
        let used = match (req, out) {
            (_, BatchOutput::Chat(reply)) => Metered::usage(&reply.usage),
            (_, BatchOutput::Embeddings(e)) => Metered::usage(&e.usage),
            (BatchRequest::Speak(s), _) => Metered::characters(s.text.chars().count() as u64),
            (BatchRequest::DetectTurn(t), _) => Metered::audio(wav_seconds(t.audio.data())?),
            _ => Metered::requests(1),
        };
        metering.estimate(&self.model, &used)
    }
}

/// Decodes the reply to a poll of `job` (of `items`, on `model`): its status, or one result
/// per item in item order; each item's error goes through `finish`. The same decoder the
/// client uses, without I/O (for fuzzers and property tests too).
pub(crate) fn decode_poll(
    model: &str,
    job: &BatchJob,
    items: &[BatchItem],
    status: u16,
    bytes: &[u8],
    finish: &dyn Fn(Error) -> Error,
) -> Result<BatchStatus> {
    let poll: Poll = decode_envelope(status, bytes)?;
    match poll {
        Poll {
            responses: Some(responses),
            ..
        } => decode_responses(model, job, items, responses, finish).map(BatchStatus::Done),
        Poll {
            status: Some(s), ..
        } if s == "queued" => Ok(BatchStatus::Queued),
        Poll {
            status: Some(s), ..
        } if s == "running" => Ok(BatchStatus::Running),
        Poll { status, .. } => Err(Error::protocol(format!(
            "the queue's reply has no `responses` and an unknown status {status:?}"
        ))),
    }
}

/// One result per item, in item order; a response for no item, or two for one, makes the
/// whole reply a protocol error.
fn decode_responses(
    model: &str,
    job: &BatchJob,
    items: &[BatchItem],
    responses: Vec<QueueResponse>,
    finish: &dyn Fn(Error) -> Error,
) -> Result<Vec<BatchResult>> {
    let mut slots: Vec<Option<BatchResult>> = (0..items.len()).map(|_| None).collect();
    for r in responses {
        let Some(item) = items.get(r.id) else {
            return Err(Error::protocol(format!(
                "the queue answered for request {} of a job of {}",
                r.id,
                items.len()
            )));
        };
        if slots[r.id].is_some() {
            return Err(Error::protocol(format!(
                "the queue answered twice for request {}",
                r.id
            )));
        }
        let sent = item.external_reference.clone();
        let outcome = match (&sent, &r.external_reference) {
            (Some(s), Some(got)) if s != got => Err(Error::protocol(format!(
                "the queue returned reference `{got}` for the request sent with `{s}`"
            ))),
            _ if r.success == Some(false) => Err(item_error(&r.result)),
            _ => decode_item(model, &item.request, r.result),
        };
        slots[r.id] = Some(BatchResult::new(
            job.offset + r.id,
            r.external_reference.or(sent),
            outcome.map_err(finish),
        ));
    }
    Ok(slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| {
            slot.unwrap_or_else(|| {
                BatchResult::new(
                    job.offset + i,
                    items[i].external_reference.clone(),
                    Err(finish(Error::protocol(
                        "the queue's reply has no result for this request",
                    ))),
                )
            })
        })
        .collect())
}

#[cfg(test)]
impl CloudflareBatch {
    /// [`decode_responses`] for this batch's model, errors finished as the client does.
    fn decode_responses(
        &self,
        job: &BatchJob,
        items: &[BatchItem],
        responses: Vec<QueueResponse>,
    ) -> Result<Vec<BatchResult>> {
        decode_responses(&self.model, job, items, responses, &|e| {
            finish_error(&self.transport, e, "batch")
        })
    }

    /// [`decode_item`] for this batch's model.
    fn decode_item(&self, req: &BatchRequest, result: Value) -> Result<BatchOutput> {
        decode_item(&self.model, req, result)
    }
}

/// Decodes one item's result like the synchronous reply of its kind.
fn decode_item(model: &str, req: &BatchRequest, result: Value) -> Result<BatchOutput> {
    match req {
        BatchRequest::Chat(req) => {
            decode_chat(Traits::of(model), req, result, None).map(BatchOutput::Chat)
        }
        BatchRequest::Embed(req) => {
            decode_embeddings(req, unnest(result, "data")).map(BatchOutput::Embeddings)
        }
        BatchRequest::Speak(req) => {
            audio_from_json(&unnest(result, "audio"), raw_audio_type(req)).map(BatchOutput::Speech)
        }
        BatchRequest::DetectTurn(_) => from_result::<TurnOut>(unnest(result, "is_complete"))
            .and_then(TurnOut::into_verdict)
            .map(BatchOutput::Turn),
        BatchRequest::Translate(_) => {
            #[derive(Deserialize)]
            struct Out {
                translated_text: String,
            }
            let out: Out = from_result(unnest(result, "translated_text"))?;
            Ok(BatchOutput::Translation(Translation::new(
                out.translated_text,
            )))
        }
        other => Err(unbatchable(other)),
    }
}

/// A generous estimate of the base64 audio a text becomes: about 15 characters are spoken a
/// second, and a second is at most 48 KB of headerless or WAV samples (24 kHz, 16 bits) or
/// 16 KB of a compressed encoding, a third more in base64.
fn estimated_audio_base64(req: &genai_core::SpeechRequest) -> usize {
    let per_second: usize = match req.encoding.as_deref() {
        None | Some("mp3" | "opus" | "aac" | "flac") => 16_000,
        Some(_) => 48_000,
    };
    let seconds = req.text.chars().count().div_ceil(15).max(1);
    seconds * per_second * 4 / 3
}

/// A request of a kind this model's batches cannot take.
fn unbatchable(req: &BatchRequest) -> Error {
    Error::unsupported(format!(
        "batches of {} requests are not supported by Workers AI in this library",
        req.kind().as_str().replace('_', " ")
    ))
}

/// `{"requests":[` and `]}`.
const OVERHEAD: usize = 15;

fn to_object(value: &impl serde::Serialize) -> Result<Map<String, Value>> {
    serde_json::to_value(value)
        .map_err(|e| Error::invalid_request("the request could not be encoded").with_source(e))
        .and_then(into_object)
}

fn into_object(value: Value) -> Result<Map<String, Value>> {
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(Error::invalid_request("the request is not a JSON object")),
    }
}

/// A result the queue nested one level deeper (`{"result": {...}}`) is unwrapped unless it
/// already has the `key` its kind answers with.
fn unnest(result: Value, key: &str) -> Value {
    match result {
        Value::Object(mut m) if !m.contains_key(key) && m.contains_key("result") => {
            m.remove("result").unwrap_or(Value::Null)
        }
        other => other,
    }
}

fn from_result<T: serde::de::DeserializeOwned>(result: Value) -> Result<T> {
    let quote = excerpt(&result.to_string(), 200);
    serde_json::from_value(result).map_err(|e| {
        Error::protocol(format!(
            "a batch result does not have the expected shape ({e}): {quote}"
        ))
    })
}

/// A chat result goes through the synchronous decoder: nested twice, it is an envelope
/// already; once, it is wrapped into one.
fn decode_chat(
    traits: Traits,
    req: &ChatRequest,
    result: Value,
    price: Option<genai_core::Price>,
) -> Result<genai_core::ChatResponse> {
    let envelope = match result {
        Value::Object(m) if m.contains_key("result") => Value::Object(m),
        other => serde_json::json!({ "result": other }),
    };
    let bytes = serde_json::to_vec(&envelope)
        .map_err(|e| Error::protocol("a batch result could not be re-encoded").with_source(e))?;
    decode_priced_reply(traits, req, 200, &bytes, price)
}

/// Embeddings as the synchronous call reads them (the same decoder): one vector per input.
fn decode_embeddings(req: &EmbedRequest, result: Value) -> Result<Embeddings> {
    let chunk = from_result::<EmbedOut>(result)?.into_chunk()?;
    if chunk.embeddings.len() != req.inputs.len() {
        return Err(Error::protocol(format!(
            "{} vectors came back for {} texts",
            chunk.embeddings.len(),
            req.inputs.len()
        )));
    }
    let mut e = Embeddings::new(chunk.embeddings)?;
    e.pooling = chunk.pooling;
    e.usage = chunk.usage;
    Ok(e)
}

/// The error of an item the queue reports as failed. Its shape is not documented: an
/// `errors` list is mapped like any Workers AI error, a bare message kept as is.
fn item_error(result: &Value) -> Error {
    let errs: Option<Vec<WireError>> = result
        .get("errors")
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .filter(|e: &Vec<WireError>| !e.is_empty());
    if let Some(errs) = errs {
        return errors::from_codes(400, &errs);
    }
    let message = match result {
        Value::String(s) => s.clone(),
        other => other
            .get("error")
            .or_else(|| other.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "the queue reports this request failed: {}",
                    excerpt(&other.to_string(), 200)
                )
            }),
    };
    Error::new(ErrorKind::InvalidRequest, message)
}

#[derive(Deserialize)]
struct Submitted {
    request_id: String,
}

#[derive(Deserialize)]
struct Poll {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    responses: Option<Vec<QueueResponse>>,
}

#[derive(Deserialize)]
struct QueueResponse {
    id: usize,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    external_reference: Option<String>,
}

#[async_trait]
impl BatchModel for CloudflareBatch {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> BatchCapabilities {
        let mut caps = BatchCapabilities::new(self.kind, self.max_payload);
        caps.max_items = self.max_items;
        caps
    }

    fn plan(&self, items: &[BatchItem]) -> Result<Vec<Range<usize>>> {
        let encoded = self
            .encode_all(items)
            .map_err(|e| finish_error(&self.transport, e, "batch"))?;
        // A job's results come back in one reply, read within the size limit: speech results
        // (audio in base64) are far larger than their requests, so each item also counts
        // for its estimated audio, scaled so that the payload limit keeps the reply in bounds.
        let read_limit = self.transport.options.max_response_bytes.max(1);
        let sizes: Vec<usize> = items
            .iter()
            .zip(&encoded)
            .map(|(item, bytes)| match &item.request {
                BatchRequest::Speak(req) => {
                    let audio = estimated_audio_base64(req) as u128;
                    let scaled = audio * self.max_payload as u128 / read_limit as u128;
                    bytes
                        .len()
                        .max(usize::try_from(scaled).unwrap_or(usize::MAX))
                }
                _ => bytes.len(),
            })
            .collect();
        plan_chunks(&sizes, OVERHEAD, self.max_payload, self.max_items)
            .map_err(|e| finish_error(&self.transport, e, "batch"))
    }

    async fn submit(&self, items: &[BatchItem], offset: usize) -> Result<BatchJob> {
        self.submit_call(items, offset)
            .await
            .map_err(|e| finish_error(&self.transport, e, "batch"))
    }

    async fn status(&self, job: &BatchJob, items: &[BatchItem]) -> Result<BatchStatus> {
        self.status_call(job, items)
            .await
            .map_err(|e| finish_error(&self.transport, e, "batch"))
    }

    fn poll_policy(&self) -> PollPolicy {
        self.poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CloudflareBuilder, WorkersAi};
    use genai_core::{ChatRequest, EmbedRequest, TranslateRequest};

    fn provider() -> WorkersAi {
        CloudflareBuilder::new()
            .account_id("0123456789abcdef0123456789abcdef")
            .api_token("t")
            .base_url("http://127.0.0.1:9/client/v4")
            .build_provider()
            .unwrap()
    }

    #[test]
    fn only_queue_models_of_known_kinds_are_handed_out() {
        let p = provider();
        assert!(p.batch("@cf/meta/llama-3.3-70b-instruct-fp8-fast").is_ok());
        assert!(p.batch("@cf/baai/bge-base-en-v1.5").is_ok());
        assert!(p.batch("@cf/meta/m2m100-1.2b").is_ok());
        assert!(p.batch("@cf/deepgram/aura-1").is_ok());
        assert!(p.batch("@cf/pipecat-ai/smart-turn-v2").is_ok());
        for refused in ["@cf/meta/llama-3.2-1b-instruct", "@cf/deepgram/nova-3"] {
            let e = p.batch(refused).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{refused}");
        }
        // A voice the model does not have is refused like its synchronous call does.
        let aura = p.batch("@cf/deepgram/aura-1").unwrap();
        let bad = BatchItem::speak(genai_core::SpeechRequest::new("hi").voice("nobody"));
        assert_eq!(
            aura.plan(&[bad]).unwrap_err().kind(),
            ErrorKind::InvalidRequest
        );
    }

    #[test]
    fn items_are_checked_and_split_under_the_limit() {
        let p = provider();
        let b = p.batch("@cf/baai/bge-base-en-v1.5").unwrap();
        let chat = BatchItem::chat(ChatRequest::new().user("hi"));
        assert_eq!(b.plan(&[chat]).unwrap_err().kind(), ErrorKind::Unsupported);
        let many = BatchItem::embed(EmbedRequest::new(vec!["x"; 101]));
        assert_eq!(
            b.plan(&[many]).unwrap_err().kind(),
            ErrorKind::InvalidRequest
        );
        let b = b.max_payload_bytes(200);
        let items: Vec<BatchItem> = (0..10)
            .map(|i| BatchItem::embed(EmbedRequest::new([format!("text number {i}")])))
            .collect();
        let plan = b.plan(&items).unwrap();
        assert!(plan.len() > 1);
        assert_eq!(plan.first().unwrap().start, 0);
        assert_eq!(plan.last().unwrap().end, 10);
        for r in &plan {
            let size = OVERHEAD
                + items[r.clone()]
                    .iter()
                    .map(|i| b.encode(i).unwrap().len() + 1)
                    .sum::<usize>()
                - 1;
            assert!(size <= 200, "{size}");
        }
        let t = p.batch("@cf/meta/m2m100-1.2b").unwrap();
        let bad = BatchItem::translate(TranslateRequest::new("Hello", "xx"));
        assert!(t.plan(&[bad]).is_err());
    }

    #[test]
    fn results_are_reordered_nested_chat_unwrapped_and_failures_kept_per_item() {
        let p = provider();
        let b = p.batch("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
        let items: Vec<BatchItem> = (0..3)
            .map(|i| {
                BatchItem::chat(ChatRequest::new().user(format!("q{i}"))).reference(format!("r{i}"))
            })
            .collect();
        let job = BatchJob::new("id", &b.model, 10, 3);
        let responses: Vec<QueueResponse> = serde_json::from_value(serde_json::json!([
            {"id": 2, "result": {"result": {"response": "two", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}}, "success": true, "external_reference": "r2"},
            {"id": 0, "result": {"response": "zero"}, "success": true, "external_reference": "r0"},
            {"id": 1, "result": {"errors": [{"code": 5006, "message": "bad input"}]}, "success": false, "external_reference": "r1"}
        ]))
        .unwrap();
        let out = b.decode_responses(&job, &items, responses).unwrap();
        assert_eq!(
            out.iter().map(|r| r.index).collect::<Vec<_>>(),
            [10, 11, 12]
        );
        let mut out = out.into_iter();
        let zero = out.next().unwrap();
        assert_eq!(zero.external_reference.as_deref(), Some("r0"));
        assert_eq!(zero.outcome.unwrap().into_chat().unwrap().text, "zero");
        let one = out.next().unwrap().outcome.unwrap_err();
        assert_eq!(
            (one.kind(), one.code()),
            (ErrorKind::InvalidRequest, Some(5006))
        );
        let two = out.next().unwrap().outcome.unwrap().into_chat().unwrap();
        assert_eq!(
            (two.text.as_str(), two.usage.total_tokens),
            ("two", Some(3))
        );
        // A response for no item, or twice for one, is a protocol error for the whole reply.
        let dup: Vec<QueueResponse> = serde_json::from_value(serde_json::json!([
            {"id": 0, "result": {"response": "a"}}, {"id": 0, "result": {"response": "b"}}
        ]))
        .unwrap();
        let e = b.decode_responses(&job, &items, dup).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        // A missing one is a per-item protocol error.
        let missing: Vec<QueueResponse> =
            serde_json::from_value(serde_json::json!([{"id": 0, "result": {"response": "a"}}]))
                .unwrap();
        let out = b.decode_responses(&job, &items, missing).unwrap();
        assert_eq!(
            out[2].outcome.as_ref().unwrap_err().kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn embeddings_and_translations_decode_like_their_sync_replies() {
        let p = provider();
        let b = p.batch("@cf/baai/bge-base-en-v1.5").unwrap();
        let req = BatchRequest::Embed(EmbedRequest::new(["a", "b"]));
        let ok = b
            .decode_item(&req, serde_json::json!({"shape": [2, 2], "data": [[1.0, 0.0], [0.0, 1.0]], "pooling": "cls"}))
            .unwrap()
            .into_embeddings()
            .unwrap();
        assert_eq!(
            (ok.dimensions, ok.pooling),
            (2, Some(genai_core::Pooling::Cls))
        );
        let short = b.decode_item(
            &req,
            serde_json::json!({"shape": [1, 2], "data": [[1.0, 0.0]]}),
        );
        assert_eq!(short.unwrap_err().kind(), ErrorKind::Protocol);
        let t = p.batch("@cf/meta/m2m100-1.2b").unwrap();
        let req = BatchRequest::Translate(TranslateRequest::new("Hello", "fr"));
        let out = t
            .decode_item(
                &req,
                serde_json::json!({"result": {"translated_text": "Bonjour"}}),
            )
            .unwrap()
            .into_translation()
            .unwrap();
        assert_eq!(out.text, "Bonjour");
    }

    #[test]
    fn speech_batches_are_split_so_their_audio_fits_in_one_reply() {
        let p = provider();
        let aura = p.batch("@cf/deepgram/aura-1").unwrap();
        let long = "word ".repeat(400); // 2,000 characters: ~2.8 MB of base64 audio
        let items: Vec<BatchItem> = (0..100)
            .map(|_| BatchItem::speak(genai_core::SpeechRequest::new(long.clone())))
            .collect();
        let plan = aura.plan(&items).unwrap();
        // The requests are ~200 KB in all; the audio ~280 MB, over the 64 MiB read limit.
        assert!(plan.len() >= 5, "{plan:?}");
        let limit = 64 * 1024 * 1024;
        for range in &plan {
            let audio: usize = items[range.clone()]
                .iter()
                .map(|i| match &i.request {
                    BatchRequest::Speak(r) => estimated_audio_base64(r),
                    _ => 0,
                })
                .sum();
            assert!(audio <= limit, "{range:?}: {audio}");
        }
        // Short texts still share one submission.
        let short: Vec<BatchItem> = (0..100)
            .map(|i| BatchItem::speak(genai_core::SpeechRequest::new(format!("Line {i}."))))
            .collect();
        assert_eq!(aura.plan(&short).unwrap().len(), 1);
    }

    #[test]
    fn speech_and_turn_items_use_their_sync_wire_forms() {
        let p = provider();
        let aura = p.batch("@cf/deepgram/aura-1").unwrap();
        let item =
            BatchItem::speak(genai_core::SpeechRequest::new("Hi").voice("luna")).reference("s1");
        let sent: Value = serde_json::from_slice(&aura.encode(&item).unwrap()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"text": "Hi", "speaker": "luna", "external_reference": "s1"})
        );
        // The audio comes back as base64, bare or under `audio`; its type is read from the bytes.
        let mp3 = genai_core::Media::with_type("audio/mpeg", b"ID3\x04\0\0\0\0\0\0".to_vec());
        for result in [
            Value::from(mp3.to_base64()),
            serde_json::json!({"audio": mp3.to_base64()}),
        ] {
            let out = aura
                .decode_item(&item.request, result)
                .unwrap()
                .into_speech()
                .unwrap();
            assert_eq!(out.media_type(), "audio/mpeg");
        }
        let not_audio = aura.decode_item(&item.request, serde_json::json!({"text": "no"}));
        assert_eq!(not_audio.unwrap_err().kind(), ErrorKind::Protocol);

        let turn = p.batch("@cf/pipecat-ai/smart-turn-v2").unwrap();
        let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data\x04\0\0\0".to_vec();
        wav.extend_from_slice(&[0, 0x40, 0, 0xc0]);
        let item = BatchItem::detect_turn(genai_core::TurnRequest::new(
            genai_core::Media::with_type("audio/wav", wav),
        ));
        let sent: Value = serde_json::from_slice(&turn.encode(&item).unwrap()).unwrap();
        assert_eq!(sent["dtype"], "float32");
        assert!(
            sent["audio"].is_string(),
            "base64 samples, never an int array"
        );
        let verdict = turn
            .decode_item(
                &item.request,
                serde_json::json!({"is_complete": true, "probability": 0.9}),
            )
            .unwrap()
            .into_turn()
            .unwrap();
        assert!(verdict.is_complete);
        let odd = turn.decode_item(
            &item.request,
            serde_json::json!({"is_complete": true, "probability": 3.0}),
        );
        assert_eq!(odd.unwrap_err().kind(), ErrorKind::Protocol);
    }
}
