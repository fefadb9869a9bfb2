//! Embeddings: the `bge-*` models (and any text embedding model of the catalog).
//!
//! A request with more texts than one call takes (100) is split into several calls, at most
//! [`CloudflareBuilder::embedding_concurrency`](crate::CloudflareBuilder::embedding_concurrency)
//! of them in flight at once, and the vectors are put back in input order. The reply is decoded
//! straight into the vectors (no intermediate JSON tree).

use std::fmt;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};

use genai_core::http::Deadline;
use genai_core::{
    async_trait, Cost, EmbedRequest, EmbeddingCapabilities, EmbeddingModel, Embeddings, Error,
    Metered, ModelKind, Pooling, Result, Support, Usage,
};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{finish_error, within_token_limit};
use crate::errors::PROVIDER;
use crate::metering::{self, token_ceiling, ReplyMeta};
use crate::transport::{decode_envelope, Body, Envelope, Transport, WireUsage};

/// The most texts one Workers AI embedding call takes, unless the model's schema says fewer.
const MAX_INPUTS_PER_CALL: usize = 100;

/// What this crate knows of an embedding model: vector length, token limit, pooling option,
/// inputs per call.
#[derive(Debug, Clone, Copy)]
struct Profile {
    dimensions: Option<usize>,
    max_tokens: Option<usize>,
    pooling: bool,
    max_inputs: usize,
}

/// The profile of `model`, from the facts table: the catalog's `output_dimensions` and
/// `max_input_tokens`, the schema's `maxItems` and its `pooling` field.
fn profile(model: &str) -> Profile {
    let name = model.rsplit('/').next().unwrap_or(model);
    let known = crate::facts::lookup(model);
    let max_inputs = known
        .and_then(|f| f.max_inputs)
        .map_or(MAX_INPUTS_PER_CALL, |n| n as usize);
    // Only the English BGE models take `pooling`.
    let bge_en = name.starts_with("bge-") && name.contains("-en-");
    Profile {
        dimensions: known
            .and_then(|f| f.output_dimensions)
            .map(|n| n as usize)
            // bge-m3's catalog entry gives no `output_dimensions`; its vectors are 1024 long.
            .or_else(|| (name == "bge-m3").then_some(1024)),
        // 512 positions, two of them taken by [CLS] and [SEP]; bge-m3 reads 8192.
        max_tokens: match known.and_then(|f| f.max_input_tokens) {
            Some(n) => Some((n as usize).saturating_sub(2)),
            None if name == "bge-m3" => Some(8190),
            None => None,
        },
        pooling: bge_en,
        max_inputs,
    }
}

/// A Workers AI text embedding model, e.g. `@cf/baai/bge-base-en-v1.5`.
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::EmbeddingModel;
/// let provider = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .build_provider()
///     .unwrap();
/// let embedder = provider.embedder("@cf/baai/bge-small-en-v1.5").unwrap();
/// assert_eq!(embedder.capabilities().dimensions, Some(384));
/// assert_eq!(embedder.capabilities().max_inputs_per_call, Some(100));
/// ```
#[derive(Clone)]
pub struct CloudflareEmbedder {
    transport: Arc<Transport>,
    model: String,
    concurrency: usize,
}

impl fmt::Debug for CloudflareEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareEmbedder")
            .field("model", &self.model)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl CloudflareEmbedder {
    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareEmbedder {
            model,
            concurrency: transport.embedding_concurrency.max(1),
            transport,
        }
    }
}

impl CloudflareEmbedder {
    /// How many calls of one request may be in flight at once (at least 1); the default
    /// comes from the builder.
    pub fn concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls.max(1);
        self
    }

    fn check(&self, req: &EmbedRequest) -> Result<()> {
        if !self.transport.check_capabilities {
            return req.validate();
        }
        self.capabilities().check(req)?;
        if let Some(max) = profile(&self.model).max_tokens {
            let n = req.inputs.len();
            for (i, text) in req.inputs.iter().enumerate() {
                within_token_limit(
                    text,
                    max,
                    &self.model,
                    &format!("input text {} of {n}", i + 1),
                )?;
            }
        }
        Ok(())
    }

    async fn call(&self, texts: &[String], pooling: Option<Pooling>) -> Result<Chunk> {
        let wire = EmbedBody::new(texts, pooling);
        let body = if self.transport.metering.reject_if_busy {
            let mut value = serde_json::to_value(wire).map_err(|e| {
                Error::invalid_request("the request could not be encoded").with_source(e)
            })?;
            crate::transport::reject_if_busy(&mut value);
            Body::json(&value)?
        } else {
            Body::json(&wire)?
        };
        let bytes_in = texts.iter().map(String::len).sum();
        let worst = Metered::tokens(token_ceiling(bytes_in, texts.len()), 0);
        let metering = &self.transport.metering;
        let charge = metering
            .begin(&self.model, ModelKind::Embedding, &worst)
            .await?;
        let deadline = Deadline::after(self.transport.options.timeout);
        let sent = self
            .transport
            .post(
                &self.transport.run_url(&self.model),
                &body,
                "application/json",
                &deadline,
            )
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                metering::release(charge);
                return Err(e);
            }
        };
        let meta = ReplyMeta::of(resp.headers());
        let status = resp.status().as_u16();
        let bytes = self.transport.read(resp, &deadline).await?;
        let mut out = decode_embeddings(status, &bytes)?;
        out.cost = meta.cost(metering.estimate(&self.model, &Metered::usage(&out.usage)));
        out.rate_limit = meta.rate_limit;
        metering::settle(charge, out.cost);
        if out.embeddings.len() != texts.len() {
            return Err(Error::protocol(format!(
                "{} texts sent, {} vectors received",
                texts.len(),
                out.embeddings.len()
            ))
            .with_status(status)
            .with_provider(PROVIDER));
        }
        Ok(out)
    }
}

/// The wire body of one call, also an item of a queued batch: `{"text": [...], "pooling"}`.
#[derive(Serialize)]
pub(crate) struct EmbedBody<'a> {
    text: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pooling: Option<&'static str>,
}

impl<'a> EmbedBody<'a> {
    pub(crate) fn new(text: &'a [String], pooling: Option<Pooling>) -> Self {
        EmbedBody {
            text,
            pooling: pooling.map(Pooling::as_str),
        }
    }
}

/// One call's decoded reply.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// The vectors, in the order of the call's texts.
    pub(crate) embeddings: Vec<Vec<f32>>,
    /// The pooling the service says it used.
    pub(crate) pooling: Option<Pooling>,
    /// Token counts, when the service reported them.
    pub(crate) usage: Usage,
    /// What the call cost, when known.
    pub(crate) cost: Option<Cost>,
    /// The rate-limit state the reply reported.
    pub(crate) rate_limit: Option<genai_core::RateLimit>,
}

/// The `result` of an embedding reply: `data` (text form) or `response` (bge-m3's contexts
/// form), decoded straight into vectors.
#[derive(Deserialize)]
pub(crate) struct EmbedOut {
    #[serde(default)]
    data: Option<Vectors>,
    #[serde(default)]
    response: Option<Vectors>,
    #[serde(default)]
    pooling: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

/// Decodes one embedding reply (the JSON envelope): the vectors, the pooling and the usage
/// when reported. A reply that reports failure is the service's error; one without vectors,
/// or with vectors of different lengths, is a protocol error.
pub(crate) fn decode_embeddings(status: u16, body: &[u8]) -> Result<Chunk> {
    // The happy path, typed all the way down.
    let out = match serde_json::from_slice::<Envelope<EmbedOut>>(body) {
        Ok(Envelope {
            result: Some(out),
            success: Some(true) | None,
            errors,
        }) if errors.is_empty() => out,
        // Anything else (an error envelope, another shape): the general path says what.
        _ => decode_envelope::<EmbedOut>(status, body)?,
    };
    out.into_chunk().map_err(|e| {
        Error::protocol(format!("HTTP {status}: {}", e.message()))
            .with_status(status)
            .with_provider(PROVIDER)
    })
}

impl EmbedOut {
    /// The vectors (all of one length), the pooling and the usage when reported.
    pub(crate) fn into_chunk(self) -> Result<Chunk> {
        let out = self;
        let protocol = |m: &str| Error::protocol(m.to_owned());
        let Some(Vectors(embeddings)) = out.data.or(out.response) else {
            return Err(protocol("the embedding reply has no `data`"));
        };
        let dims = embeddings.first().map_or(0, Vec::len);
        if let Some(i) = embeddings.iter().position(|v| v.len() != dims) {
            return Err(protocol(&format!(
                "vector {} has {} dimensions where vector 1 has {dims}",
                i + 1,
                embeddings[i].len()
            )));
        }
        if dims == 0 && !embeddings.is_empty() {
            return Err(protocol(
                "the embedding reply's vectors have zero dimensions",
            ));
        }
        // A number past f32's range was read as infinite: the service sent no usable vector.
        for (i, v) in embeddings.iter().enumerate() {
            if let Some(j) = v.iter().position(|x| !x.is_finite()) {
                return Err(protocol(&format!(
                    "value {} of vector {} is outside the range of a 32-bit float",
                    j + 1,
                    i + 1
                )));
            }
        }
        let pooling = match out.pooling.as_deref() {
            Some("mean") => Some(Pooling::Mean),
            Some("cls") => Some(Pooling::Cls),
            _ => None,
        };
        let usage = out.usage.map_or_else(Usage::default, WireUsage::input_only);
        Ok(Chunk {
            embeddings,
            pooling,
            usage,
            cost: None,
            rate_limit: None,
        })
    }
}

/// Vectors decoded without an intermediate tree; every vector after the first is allocated
/// at the first one's length, so no capacity is wasted.
struct Vectors(Vec<Vec<f32>>);

impl<'de> Deserialize<'de> for Vectors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_seq(Outer)
    }
}

struct Outer;

impl<'de> Visitor<'de> for Outer {
    type Value = Vectors;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of vectors")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vectors, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_INPUTS_PER_CALL));
        let mut dims = 0;
        while let Some(v) = seq.next_element_seed(Inner(dims))? {
            dims = v.len();
            out.push(v);
        }
        Ok(Vectors(out))
    }
}

/// One vector, allocated at the given capacity.
struct Inner(usize);

impl<'de> DeserializeSeed<'de> for Inner {
    type Value = Vec<f32>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<f32>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Inner {
    type Value = Vec<f32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vector of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<f32>, A::Error> {
        let mut v = Vec::with_capacity(self.0);
        while let Some(x) = seq.next_element::<f32>()? {
            v.push(x);
        }
        Ok(v)
    }
}

#[async_trait]
impl EmbeddingModel for CloudflareEmbedder {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> EmbeddingCapabilities {
        let p = profile(&self.model);
        let mut caps = EmbeddingCapabilities::new(Some(p.max_inputs), p.dimensions);
        if p.pooling {
            caps.pooling = Support::Supported;
        }
        caps
    }

    async fn embed(&self, req: &EmbedRequest) -> Result<Embeddings> {
        self.check(req)
            .map_err(|e| finish_error(&self.transport, e, "embed"))?;
        let span = super::task_span("embed", &self.model);
        // At most `concurrency` calls in flight; `buffered` yields them in input order, and
        // the first failure drops the calls not yet finished (none is sent twice).
        let calls: Vec<_> = req
            .inputs
            .chunks(profile(&self.model).max_inputs)
            .map(|texts| self.call(texts, req.pooling))
            .collect();
        let chunks: Vec<Chunk> = tracing::Instrument::instrument(
            futures_util::stream::iter(calls)
                .buffered(self.concurrency)
                .try_collect(),
            span.clone(),
        )
        .await
        .map_err(|e| finish_error(&self.transport, e, "embed"))?;
        let mut vectors = Vec::with_capacity(req.inputs.len());
        let mut pooling = None;
        let mut usage = Some(Usage::default());
        let cost = Cost::sum(chunks.iter().map(|c| c.cost));
        // The rate-limit state of the last call that reported one.
        let rate_limit = chunks.iter().rev().find_map(|c| c.rate_limit);
        for chunk in chunks {
            pooling = pooling.or(chunk.pooling);
            usage = match (usage, chunk.usage.is_reported()) {
                (Some(sum), true) => Some(add(sum, chunk.usage)),
                _ => None,
            };
            vectors.extend(chunk.embeddings);
        }
        let mut out = Embeddings::new(vectors)
            .map_err(|e| finish_error(&self.transport, e.with_provider(PROVIDER), "embed"))?;
        out.pooling = pooling;
        // Usage only when every call reported it: a partial sum would be invented.
        out.usage = usage.unwrap_or_default();
        // A cost only when every call's is known: a partial sum would understate it.
        out.cost = cost;
        out.rate_limit = rate_limit;
        genai_core::telemetry::record_usage(&span, &out.usage);
        genai_core::telemetry::record_cost(&span, crate::telemetry::COST_FIELDS, cost);
        Ok(out)
    }
}

fn add(a: Usage, b: Usage) -> Usage {
    let sum = |x: Option<u64>, y: Option<u64>| Some(x.unwrap_or(0) + y?);
    Usage::new(
        sum(a.input_tokens, b.input_tokens),
        None,
        sum(a.total_tokens, b.total_tokens),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::ErrorKind;

    #[test]
    fn decodes_vectors_pooling_and_no_usage() {
        let body = br#"{"result":{"shape":[2,3],"data":[[0.1,0.2,0.3],[0.4,0.5,0.6]],"pooling":"cls"},"success":true,"errors":[],"messages":[]}"#;
        let c = decode_embeddings(200, body).unwrap();
        assert_eq!(c.embeddings, vec![vec![0.1, 0.2, 0.3], vec![0.4, 0.5, 0.6]]);
        assert_eq!(c.pooling, Some(Pooling::Cls));
        assert!(!c.usage.is_reported());
        let m3 =
            br#"{"result":{"response":[[1,0],[0,1]],"shape":[2,2]},"success":true,"errors":[]}"#;
        assert_eq!(decode_embeddings(200, m3).unwrap().embeddings.len(), 2);
        let with_usage = br#"{"result":{"data":[[1]],"usage":{"prompt_tokens":4}},"success":true}"#;
        assert_eq!(
            decode_embeddings(200, with_usage)
                .unwrap()
                .usage
                .input_tokens,
            Some(4)
        );
    }

    #[test]
    fn malformed_or_failed_replies_are_typed_errors() {
        let cases: [(&[u8], ErrorKind); 5] = [
            (br#"{"result":{"data":[[1,2],[3]]},"success":true}"#, ErrorKind::Protocol),
            (br#"{"result":{"shape":[1,2]},"success":true}"#, ErrorKind::Protocol),
            (br#"{"result":{"data":[[1,2],[3,4]"#, ErrorKind::Protocol),
            (br#"{"result":{"data":[["x"]]},"success":true}"#, ErrorKind::Protocol),
            (
                br#"{"result":{},"success":false,"errors":[{"code":5006,"message":"AiError: Bad input: too many items"}]}"#,
                ErrorKind::InvalidRequest,
            ),
        ];
        for (body, kind) in cases {
            let e = decode_embeddings(400, body).unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
        }
        let e = decode_embeddings(
            400,
            br#"{"result":{},"success":false,"errors":[{"code":5006,"message":"AiError: Bad input: too many items"}]}"#,
        )
        .unwrap_err();
        assert!(e.message().contains("too many items"), "{e}");
    }

    #[test]
    fn usage_is_summed_only_when_reported() {
        let a = Usage::new(Some(3), None, Some(3));
        let b = Usage::new(Some(4), None, Some(4));
        assert_eq!(add(a, b).input_tokens, Some(7));
        assert_eq!(add(Usage::default(), b).input_tokens, Some(4));
    }
}
