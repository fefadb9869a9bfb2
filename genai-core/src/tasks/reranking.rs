//! Reranking: documents scored against a query.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::response::Usage;

/// A query and the documents to score against it.
///
/// ```
/// use genai_core::RerankRequest;
/// let req = RerankRequest::new("capital of France", ["Paris is in France.", "Cats purr."]).top_k(1);
/// assert_eq!(req.top_k, Some(1));
/// assert!(RerankRequest::new("", ["x"]).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RerankRequest {
    /// What the documents are scored against.
    pub query: String,
    /// The documents; results name them by their index here.
    pub documents: Vec<String>,
    /// Keep only the best `k` results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
}

impl RerankRequest {
    /// Scores `documents` against `query`.
    pub fn new<I, S>(query: impl Into<String>, documents: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RerankRequest {
            query: query.into(),
            documents: documents.into_iter().map(Into::into).collect(),
            top_k: None,
        }
    }

    /// Keeps only the best `k` results.
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = Some(k);
        self
    }

    /// Refuses an empty query, no documents, an empty document or `top_k` 0.
    pub fn validate(&self) -> Result<()> {
        super::non_blank(&self.query, "the query")?;
        super::non_blank_list(&self.documents, "document")?;
        if self.top_k == Some(0) {
            return Err(Error::invalid_request("top_k must be at least 1"));
        }
        Ok(())
    }
}

/// One scored document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RankedDocument {
    /// The document's position in [`RerankRequest::documents`].
    pub index: usize,
    /// Its relevance: higher is more relevant.
    pub score: f32,
}

impl RankedDocument {
    /// Document `index` with `score`.
    pub fn new(index: usize, score: f32) -> Self {
        RankedDocument { index, score }
    }
}

/// The scored documents, best first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ranking {
    /// Best first; ties keep input order.
    pub results: Vec<RankedDocument>,
    /// Token counts, when the service reports them.
    pub usage: Usage,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Ranking {
    /// Sorts `results` best first (ties in input order) and keeps the best `top_k`.
    ///
    /// ```
    /// use genai_core::{RankedDocument, Ranking};
    /// let r = Ranking::new(vec![RankedDocument::new(0, 0.1), RankedDocument::new(1, 0.9)], None);
    /// assert_eq!(r.results[0].index, 1);
    /// ```
    pub fn new(mut results: Vec<RankedDocument>, top_k: Option<usize>) -> Self {
        results.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        if let Some(k) = top_k {
            results.truncate(k);
        }
        Ranking {
            results,
            usage: Usage::default(),
            cost: None,
            rate_limit: None,
        }
    }
}

/// What a reranking model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RerankingCapabilities {
    /// The service applies `top_k` itself (otherwise the client does: always usable).
    pub top_k: Support,
    /// The most documents one call takes, when known.
    pub max_documents: Option<usize>,
}

impl RerankingCapabilities {
    /// Validates `req` and refuses what the model cannot do, before any request.
    pub fn check(&self, req: &RerankRequest) -> Result<()> {
        req.validate()?;
        if let Some(max) = self.max_documents {
            if req.documents.len() > max {
                return Err(Error::invalid_request(format!(
                    "{} documents given; this model scores at most {max} per call",
                    req.documents.len()
                )));
            }
        }
        Ok(())
    }
}

/// A model that scores documents against a query.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{RerankRequest, RerankingModel};
///
/// async fn best(model: Arc<dyn RerankingModel>) -> genai_core::Result<usize> {
///     let req = RerankRequest::new("capital of France", ["Cats purr.", "Paris is in France."]);
///     Ok(model.rerank(&req).await?.results[0].index)
/// }
/// ```
#[async_trait]
pub trait RerankingModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> RerankingCapabilities;

    /// The documents scored, best first.
    async fn rerank(&self, req: &RerankRequest) -> Result<Ranking>;
}
