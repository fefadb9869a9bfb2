//! Reranking: `bge-reranker-base`, and `bge-m3` through its query + contexts form.

use std::sync::Arc;

use genai_core::{
    async_trait, Error, Metered, ModelKind, RankedDocument, Ranking, RerankRequest,
    RerankingCapabilities, RerankingModel, Result, Support,
};
use serde::{Deserialize, Serialize};

use super::{finish_error, run_json, within_token_limit, Call};
use crate::errors::PROVIDER;
use crate::metering::token_ceiling;
use crate::transport::{decode_envelope, Transport};

/// A Workers AI reranking model: `@cf/baai/bge-reranker-base`, or `@cf/baai/bge-m3` (an
/// embedding model that also scores contexts against a query).
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// use genai_core::{ErrorKind, RerankingModel};
/// let provider = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .build_provider()
///     .unwrap();
/// assert!(provider.reranker("@cf/baai/bge-reranker-base").is_ok());
/// assert!(provider.reranker("@cf/baai/bge-m3").is_ok());
/// let err = provider.reranker("@cf/baai/bge-small-en-v1.5").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// ```
#[derive(Debug, Clone)]
pub struct CloudflareReranker {
    transport: Arc<Transport>,
    model: String,
}

fn is_m3(model: &str) -> bool {
    model.eq_ignore_ascii_case("@cf/baai/bge-m3")
}

impl CloudflareReranker {
    /// The kind a model must have to rerank: `@cf/baai/bge-m3` is an embedding model that
    /// reranks too.
    pub(crate) fn wanted_kind(model: &str) -> ModelKind {
        if is_m3(model.trim().trim_start_matches('/')) {
            ModelKind::Embedding
        } else {
            ModelKind::Reranking
        }
    }

    pub(crate) fn over(transport: Arc<Transport>, model: String) -> Self {
        CloudflareReranker { model, transport }
    }
}

#[derive(Serialize)]
struct Context<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct RerankBody<'a> {
    query: &'a str,
    contexts: Vec<Context<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<usize>,
}

#[derive(Deserialize)]
struct RerankOut {
    response: Vec<Scored>,
}

#[derive(Deserialize)]
struct Scored {
    id: usize,
    score: f32,
}

impl CloudflareReranker {
    fn check(&self, req: &RerankRequest) -> Result<()> {
        if !self.transport.check_capabilities {
            return req.validate();
        }
        self.capabilities().check(req)?;
        let max = if is_m3(&self.model) { 8190 } else { 510 };
        within_token_limit(&req.query, max, &self.model, "the query")?;
        let n = req.documents.len();
        for (i, d) in req.documents.iter().enumerate() {
            within_token_limit(d, max, &self.model, &format!("document {} of {n}", i + 1))?;
        }
        Ok(())
    }
}

#[async_trait]
impl RerankingModel for CloudflareReranker {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> RerankingCapabilities {
        let mut caps = RerankingCapabilities::default();
        if !is_m3(&self.model) {
            caps.top_k = Support::Supported;
        }
        caps
    }

    async fn rerank(&self, req: &RerankRequest) -> Result<Ranking> {
        self.check(req)
            .map_err(|e| finish_error(&self.transport, e, "rerank"))?;
        let body = RerankBody {
            query: &req.query,
            contexts: req.documents.iter().map(|d| Context { text: d }).collect(),
            // bge-m3's schema has no top_k: the client keeps the best k itself.
            top_k: req.top_k.filter(|_| !is_m3(&self.model)),
        };
        let bytes = req.query.len() + req.documents.iter().map(String::len).sum::<usize>();
        let worst = Metered::tokens(token_ceiling(bytes, req.documents.len() + 1), 0);
        let call = Call::new("rerank", &self.model, ModelKind::Reranking, worst);
        let billed = run_json::<RerankOut>(&self.transport, call, &body).await?;
        let rate_limit = billed.rate_limit();
        let (out, cost) = billed.settle(&self.transport, &self.model, &Metered::requests(1));
        let mut ranking = ranking_of(out, req)
            .map_err(|e| finish_error(&self.transport, e.with_provider(PROVIDER), "rerank"))?;
        ranking.cost = cost;
        ranking.rate_limit = rate_limit;
        Ok(ranking)
    }
}

/// The ranking of a reply to `req`: every document named once and in range, every score a
/// number, as many as asked for.
fn ranking_of(out: RerankOut, req: &RerankRequest) -> Result<Ranking> {
    let n = req.documents.len();
    let mut seen = vec![false; n];
    let mut results = Vec::with_capacity(out.response.len().min(n));
    for s in out.response {
        let fresh = seen
            .get_mut(s.id)
            .map(|seen| !std::mem::replace(seen, true));
        if fresh != Some(true) || !s.score.is_finite() {
            return Err(Error::protocol(format!(
                "the ranking names document {} (score {}) of {n}, which is out of range, \
                 repeated or not a number",
                s.id, s.score
            )));
        }
        results.push(RankedDocument::new(s.id, s.score));
    }
    let expected = req.top_k.map_or(n, |k| k.min(n));
    if results.len() < expected {
        return Err(Error::protocol(format!(
            "{n} documents sent, {} scored, {expected} expected",
            results.len()
        )));
    }
    Ok(Ranking::new(results, req.top_k))
}

/// Decodes a reranking reply to `req` as the client does (for fuzzers and property tests).
pub(crate) fn decode_ranking(status: u16, body: &[u8], req: &RerankRequest) -> Result<Ranking> {
    decode_envelope::<RerankOut>(status, body).and_then(|out| ranking_of(out, req))
}
