//! A fake embedding model: each word hashed into one of the vector's dimensions, so texts that
//! share words are close and unrelated ones are not.

use std::hash::Hasher;

use async_trait::async_trait;
use genai_core::{EmbedRequest, EmbeddingCapabilities, EmbeddingModel, Embeddings, Error};

use super::words;

/// A fake [`EmbeddingModel`] of 256 dimensions: a bag of words, each word hashed (FNV-1a) to
/// a dimension, normalised. It takes any number of texts at once, as if split into calls of
/// 100.
///
/// ```
/// use genai_core::{EmbedRequest, EmbeddingModel};
/// use genai_testkit::fake::ScriptedEmbedder;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let model = ScriptedEmbedder::new("fake/embedding");
/// let out = model.embed(&EmbedRequest::new(["a cat", "a kitten", "the stock market"])).await.unwrap();
/// assert_eq!(out.dimensions, 256);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedEmbedder {
    pub(super) model: String,
}

/// The dimensions of the fake's vectors.
const DIMENSIONS: usize = 256;

impl ScriptedEmbedder {
    /// A fake embedding model called `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ScriptedEmbedder {
            model: model.into(),
        }
    }
}

/// The normalised bag-of-words vector of `text`.
fn vector(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; DIMENSIONS];
    for word in words(text) {
        let mut hash = fnv::FnvHasher::default();
        hash.write(word.as_bytes());
        v[(hash.finish() % DIMENSIONS as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    } else {
        // A text without words still gets a vector of the right length.
        v[0] = 1.0;
    }
    v
}

#[async_trait]
impl EmbeddingModel for ScriptedEmbedder {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn capabilities(&self) -> EmbeddingCapabilities {
        EmbeddingCapabilities::new(Some(100), Some(DIMENSIONS))
    }

    async fn embed(&self, req: &EmbedRequest) -> Result<Embeddings, Error> {
        self.capabilities().check(req)?;
        Embeddings::new(req.inputs.iter().map(|t| vector(t)).collect())
    }
}
