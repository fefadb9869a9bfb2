//! Summarisation: a text made shorter.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::capability::Support;
use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::response::Usage;

/// A text to summarise.
///
/// ```
/// use genai_core::SummarizeRequest;
/// let req = SummarizeRequest::new("A long text...").max_length(64);
/// assert_eq!(req.max_length, Some(64));
/// assert!(SummarizeRequest::new("x").max_length(0).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SummarizeRequest {
    /// The text.
    pub text: String,
    /// The longest summary wanted, in the model's unit (tokens, usually).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

impl SummarizeRequest {
    /// Summarises `text`.
    pub fn new(text: impl Into<String>) -> Self {
        SummarizeRequest {
            text: text.into(),
            max_length: None,
        }
    }

    /// Sets the longest summary wanted.
    pub fn max_length(mut self, n: u32) -> Self {
        self.max_length = Some(n);
        self
    }

    /// Refuses an empty text or a zero length.
    pub fn validate(&self) -> Result<()> {
        super::non_blank(&self.text, "the text")?;
        if self.max_length == Some(0) {
            return Err(Error::invalid_request("max_length must be at least 1"));
        }
        Ok(())
    }
}

/// A summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Summary {
    /// The summary.
    pub text: String,
    /// Token counts, when the service reports them.
    pub usage: Usage,
    /// The model that wrote it, when the summariser says (a chat model prompted to
    /// summarise, for example).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Summary {
    /// A summary without usage.
    pub fn new(text: impl Into<String>) -> Self {
        Summary {
            text: text.into(),
            usage: Usage::default(),
            model: None,
            cost: None,
            rate_limit: None,
        }
    }

    /// Names the model that wrote it.
    ///
    /// ```
    /// let s = genai_core::Summary::new("Short.").by("@cf/meta/llama-3.1-8b-instruct-fp8");
    /// assert_eq!(s.model.as_deref(), Some("@cf/meta/llama-3.1-8b-instruct-fp8"));
    /// ```
    pub fn by(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

/// What a summarisation model can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SummarizationCapabilities {
    /// A limit on the summary's length.
    pub max_length: Support,
}

impl SummarizationCapabilities {
    /// Validates `req` and refuses what the model cannot do, before any request.
    pub fn check(&self, req: &SummarizeRequest) -> Result<()> {
        req.validate()?;
        if req.max_length.is_some() && !self.max_length.is_usable() {
            return Err(Error::unsupported(
                "this model does not take a maximum length",
            ));
        }
        Ok(())
    }
}

/// A model that summarises text.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{SummarizeRequest, SummarizationModel};
///
/// async fn tldr(model: Arc<dyn SummarizationModel>, text: &str) -> genai_core::Result<String> {
///     Ok(model.summarize(&SummarizeRequest::new(text).max_length(60)).await?.text)
/// }
/// ```
#[async_trait]
pub trait SummarizationModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model can do.
    fn capabilities(&self) -> SummarizationCapabilities;

    /// The summary.
    async fn summarize(&self, req: &SummarizeRequest) -> Result<Summary>;
}
