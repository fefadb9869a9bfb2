//! A fake reranking model: documents scored by the words they share with the query.

use async_trait::async_trait;
use genai_core::{
    Error, RankedDocument, Ranking, RerankRequest, RerankingCapabilities, RerankingModel, Support,
};

use super::words;

/// A fake [`RerankingModel`]: a document's score is the share of the query's words it
/// contains (so the document that answers the question comes first), best first, `top_k`
/// kept.
///
/// ```
/// use genai_core::{RerankRequest, RerankingModel};
/// use genai_testkit::fake::ScriptedReranker;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedReranker::new("fake/reranking");
/// let req = RerankRequest::new("the capital of France", ["Bananas are yellow.", "Paris is the capital of France."]);
/// assert_eq!(model.rerank(&req).await.unwrap().results[0].index, 1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedReranker {
    pub(super) model: String,
}

impl ScriptedReranker {
    /// A fake reranking model called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedReranker {
            model: model.into(),
        }
    }
}

#[async_trait]
impl RerankingModel for ScriptedReranker {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> RerankingCapabilities {
        let mut caps = RerankingCapabilities::default();
        caps.top_k = Support::Supported;
        caps
    }

    async fn rerank(&self, req: &RerankRequest) -> Result<Ranking, Error> {
        self.capabilities().check(req)?;
        let query: Vec<String> = words(&req.query).collect();
        let results = req
            .documents
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let doc: Vec<String> = words(doc).collect();
                let shared = query.iter().filter(|w| doc.contains(w)).count();
                RankedDocument::new(i, shared as f32 / query.len().max(1) as f32)
            })
            .collect();
        Ok(Ranking::new(results, req.top_k))
    }
}
