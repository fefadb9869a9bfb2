//! A fake batch queue: every item answered by the catalog's model of the batch's kind, done at
//! the first poll.

use std::ops::Range;

use async_trait::async_trait;
use genai_core::{
    BatchCapabilities, BatchItem, BatchJob, BatchModel, BatchOutput, BatchRequest, BatchResult,
    BatchStatus, EmbeddingModel, Error, ProviderGen, SpeechModel, TranslationModel,
    TurnDetectionModel,
};

use super::ScriptedModel;

/// The most items one fake submission holds.
const MAX_ITEMS: usize = 25;

/// A fake [`BatchModel`], handed out by [`ScriptedCatalog`](super::ScriptedCatalog) for its
/// models of a kind the queue takes (chat, embedding, translation, speech, turn detection)
/// once the catalog has [`with_queue`](super::ScriptedCatalog::with_queue). Items are checked
/// before any submission, split into jobs of at most 25, and each job is done at its first
/// poll with the results the model gives synchronously, references carried.
#[derive(Debug, Clone)]
pub struct ScriptedBatch {
    model: ScriptedModel,
}

impl ScriptedBatch {
    /// The queue of `model`; `None` for a kind the queue does not take.
    pub fn new(model: ScriptedModel) -> Option<Self> {
        matches!(
            model,
            ScriptedModel::Chat(_)
                | ScriptedModel::Embedding(_)
                | ScriptedModel::Translation(_)
                | ScriptedModel::Speech(_)
                | ScriptedModel::Turn(_)
        )
        .then_some(ScriptedBatch { model })
    }

    /// The synchronous answer to one request.
    async fn answer(&self, request: &BatchRequest) -> Result<BatchOutput, Error> {
        match (&self.model, request) {
            (ScriptedModel::Chat(m), BatchRequest::Chat(r)) => {
                m.gen_sync(r).await.map(BatchOutput::Chat)
            }
            (ScriptedModel::Embedding(m), BatchRequest::Embed(r)) => {
                m.embed(r).await.map(BatchOutput::Embeddings)
            }
            (ScriptedModel::Translation(m), BatchRequest::Translate(r)) => {
                m.translate(r).await.map(BatchOutput::Translation)
            }
            (ScriptedModel::Speech(m), BatchRequest::Speak(r)) => {
                let audio = m.speak(r).await?.collect().await?;
                Ok(BatchOutput::Speech(audio))
            }
            (ScriptedModel::Turn(m), BatchRequest::DetectTurn(r)) => {
                m.detect_turn(r).await.map(BatchOutput::Turn)
            }
            (_, other) => Err(Error::unsupported(format!(
                "this batch does not take {} requests",
                other.kind().as_str()
            ))),
        }
    }
}

#[async_trait]
impl BatchModel for ScriptedBatch {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        self.model.id()
    }

    fn capabilities(&self) -> BatchCapabilities {
        let mut caps = BatchCapabilities::new(self.model.kind(), 10 << 20);
        caps.max_items = Some(MAX_ITEMS);
        caps
    }

    fn plan(&self, items: &[BatchItem]) -> Result<Vec<Range<usize>>, Error> {
        let caps = self.capabilities();
        for item in items {
            caps.check(item)?;
        }
        Ok((0..items.len())
            .step_by(MAX_ITEMS)
            .map(|start| start..(start + MAX_ITEMS).min(items.len()))
            .collect())
    }

    async fn submit(&self, items: &[BatchItem], offset: usize) -> Result<BatchJob, Error> {
        if self.plan(items)?.len() > 1 {
            return Err(Error::invalid_request(format!(
                "{} items do not fit in one submission of at most {MAX_ITEMS}",
                items.len()
            )));
        }
        Ok(BatchJob::new(
            format!("fake-{}-{offset}-{}", self.model.id(), items.len()),
            self.model.id(),
            offset,
            items.len(),
        ))
    }

    async fn status(&self, job: &BatchJob, items: &[BatchItem]) -> Result<BatchStatus, Error> {
        let mut results = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let outcome = self.answer(&item.request).await;
            results.push(BatchResult::new(
                job.offset + i,
                item.external_reference.clone(),
                outcome,
            ));
        }
        Ok(BatchStatus::Done(results))
    }
}
