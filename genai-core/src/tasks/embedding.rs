//! Embeddings: texts to vectors.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::response::Usage;

/// How token vectors are pooled into one vector per text. Vectors pooled differently are not
/// comparable with each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Pooling {
    /// The mean of the token vectors (the usual default).
    #[default]
    Mean,
    /// The vector of the `[CLS]` token.
    Cls,
}

impl Pooling {
    /// `mean` or `cls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
        }
    }
}

/// Texts to embed.
///
/// ```
/// use genai_core::{EmbedRequest, Pooling};
/// let req = EmbedRequest::new(["a cat", "a dog"]).pooling(Pooling::Cls);
/// assert_eq!(req.inputs.len(), 2);
/// assert!(EmbedRequest::new(Vec::<String>::new()).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbedRequest {
    /// The texts, one vector each, in this order.
    pub inputs: Vec<String>,
    /// The pooling; `None` leaves the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooling: Option<Pooling>,
}

impl EmbedRequest {
    /// A request for these texts.
    pub fn new<I, S>(inputs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        EmbedRequest {
            inputs: inputs.into_iter().map(Into::into).collect(),
            pooling: None,
        }
    }

    /// Sets the pooling.
    pub fn pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = Some(pooling);
        self
    }

    /// Refuses an empty list or an empty text.
    pub fn validate(&self) -> Result<()> {
        super::non_blank_list(&self.inputs, "input text")
    }
}

/// The vectors, one per input, in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Embeddings {
    /// One vector per input, in input order.
    pub embeddings: Vec<Vec<f32>>,
    /// The length of every vector.
    pub dimensions: usize,
    /// The pooling the service reports it used, when it says.
    pub pooling: Option<Pooling>,
    /// Token counts, when the service reports them (never invented).
    pub usage: Usage,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Embeddings {
    /// Vectors that must all have the same length; fails with
    /// [`Protocol`](crate::ErrorKind::Protocol) when they do not.
    ///
    /// ```
    /// let e = genai_core::Embeddings::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]]).unwrap();
    /// assert_eq!(e.dimensions, 2);
    /// assert!(genai_core::Embeddings::new(vec![vec![1.0], vec![0.0, 1.0]]).is_err());
    /// ```
    pub fn new(embeddings: Vec<Vec<f32>>) -> Result<Self> {
        let dimensions = embeddings.first().map_or(0, Vec::len);
        if let Some(i) = embeddings.iter().position(|v| v.len() != dimensions) {
            return Err(Error::protocol(format!(
                "vector {} has {} dimensions where vector 1 has {dimensions}",
                i + 1,
                embeddings[i].len()
            )));
        }
        Ok(Embeddings {
            embeddings,
            dimensions,
            pooling: None,
            usage: Usage::default(),
            cost: None,
            rate_limit: None,
        })
    }

    /// The cosine similarity of vectors `a` and `b` (0 when either is all zeros).
    ///
    /// ```
    /// let e = genai_core::Embeddings::new(vec![vec![1.0, 0.0], vec![1.0, 1.0]]).unwrap();
    /// assert!((e.cosine(0, 1).unwrap() - 0.7071).abs() < 1e-3);
    /// ```
    pub fn cosine(&self, a: usize, b: usize) -> Option<f32> {
        Some(cosine(self.embeddings.get(a)?, self.embeddings.get(b)?))
    }
}

/// The cosine similarity of two vectors (0 when either is all zeros or they differ in length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        (dot / (na.sqrt() * nb.sqrt())) as f32
    }
}

/// What an embedding model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingCapabilities {
    /// The most texts one service call takes; more are split into several calls.
    pub max_inputs_per_call: Option<usize>,
    /// The length of the vectors, when known in advance.
    pub dimensions: Option<usize>,
    /// Choosing the pooling.
    pub pooling: Support,
    /// Whether the service reports token usage.
    pub usage: Support,
}

impl EmbeddingCapabilities {
    /// Capabilities with the given per-call limit and dimensions, nothing else.
    pub fn new(max_inputs_per_call: Option<usize>, dimensions: Option<usize>) -> Self {
        EmbeddingCapabilities {
            max_inputs_per_call,
            dimensions,
            ..Self::default()
        }
    }

    /// Validates `req` and refuses what the model cannot do, before any request.
    ///
    /// ```
    /// use genai_core::{EmbedRequest, EmbeddingCapabilities, ErrorKind, Pooling};
    /// let caps = EmbeddingCapabilities::new(Some(100), Some(768));
    /// let err = caps.check(&EmbedRequest::new(["x"]).pooling(Pooling::Cls)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// ```
    pub fn check(&self, req: &EmbedRequest) -> Result<()> {
        req.validate()?;
        if req.pooling.is_some() && !self.pooling.is_usable() {
            return Err(Error::unsupported(
                "this model does not take a pooling option",
            ));
        }
        Ok(())
    }
}

/// A model that turns texts into vectors.
///
/// Object-safe: use it as `Arc<dyn EmbeddingModel>`. Implementations split inputs beyond
/// [`EmbeddingCapabilities::max_inputs_per_call`] into several calls and keep the order.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{EmbedRequest, EmbeddingModel};
///
/// async fn nearest(model: Arc<dyn EmbeddingModel>) -> genai_core::Result<f32> {
///     let out = model.embed(&EmbedRequest::new(["a cat", "a kitten"])).await?;
///     Ok(out.cosine(0, 1).unwrap_or(0.0))
/// }
/// ```
#[async_trait]
pub trait EmbeddingModel: Send + Sync + Debug {
    /// The provider's name, e.g. `cloudflare`.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> EmbeddingCapabilities;

    /// One vector per input, in input order.
    async fn embed(&self, req: &EmbedRequest) -> Result<Embeddings>;
}
