//! Classification: a text or an image to labels with scores.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::cost::Cost;
use crate::error::{Error, Result};
use crate::limits::RateLimit;
use crate::media::Media;

/// What to classify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClassifyInput {
    /// A text.
    Text(String),
    /// An image.
    Image(Media),
}

/// A text or an image to classify.
///
/// ```
/// use genai_core::ClassifyRequest;
/// let req = ClassifyRequest::text("What a lovely day!");
/// assert!(req.validate().is_ok());
/// assert!(ClassifyRequest::text(" ").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClassifyRequest {
    /// The input.
    pub input: ClassifyInput,
    /// Keep only the best `k` labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
}

impl ClassifyRequest {
    /// Classifies a text.
    pub fn text(text: impl Into<String>) -> Self {
        ClassifyRequest {
            input: ClassifyInput::Text(text.into()),
            top_k: None,
        }
    }

    /// Classifies an image.
    pub fn image(image: Media) -> Self {
        ClassifyRequest {
            input: ClassifyInput::Image(image),
            top_k: None,
        }
    }

    /// Keeps only the best `k` labels.
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = Some(k);
        self
    }

    /// Refuses an empty text, an empty image, media that is not an image, or `top_k` 0.
    pub fn validate(&self) -> Result<()> {
        match &self.input {
            ClassifyInput::Text(t) => super::non_blank(t, "the text")?,
            ClassifyInput::Image(m) if m.is_empty() => {
                return Err(Error::invalid_request("the image is empty (0 bytes)"))
            }
            ClassifyInput::Image(m) if !m.is_image() => {
                return Err(Error::invalid_request(format!(
                    "the input is {}, not an image",
                    m.media_type()
                )))
            }
            ClassifyInput::Image(_) => {}
        }
        if self.top_k == Some(0) {
            return Err(Error::invalid_request("top_k must be at least 1"));
        }
        Ok(())
    }
}

/// One label and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Label {
    /// The label, as the model names it.
    pub label: String,
    /// Its score, in `[0, 1]`.
    pub score: f32,
}

impl Label {
    /// A label with its score.
    pub fn new(label: impl Into<String>, score: f32) -> Self {
        Label {
            label: label.into(),
            score,
        }
    }
}

/// The labels, best first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Classification {
    /// Best first.
    pub labels: Vec<Label>,
    /// What the call cost, when known (reported or estimated).
    #[serde(default)]
    pub cost: Option<Cost>,
    /// The rate-limit state the reply reported, when it carried rate-limit headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

impl Classification {
    /// Sorts the labels best first and keeps the best `top_k`.
    ///
    /// ```
    /// use genai_core::{Classification, Label};
    /// let c = Classification::new(vec![Label::new("NEGATIVE", 0.2), Label::new("POSITIVE", 0.8)], None);
    /// assert_eq!(c.labels[0].label, "POSITIVE");
    /// ```
    pub fn new(mut labels: Vec<Label>, top_k: Option<usize>) -> Self {
        labels.sort_by(|a, b| b.score.total_cmp(&a.score));
        if let Some(k) = top_k {
            labels.truncate(k);
        }
        Classification {
            labels,
            cost: None,
            rate_limit: None,
        }
    }
}

/// What a classification model reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClassificationCapabilities {
    /// It classifies texts.
    pub text: bool,
    /// It classifies images.
    pub image: bool,
}

impl ClassificationCapabilities {
    /// A text classifier.
    pub const TEXT: ClassificationCapabilities = ClassificationCapabilities {
        text: true,
        image: false,
    };
    /// An image classifier.
    pub const IMAGE: ClassificationCapabilities = ClassificationCapabilities {
        text: false,
        image: true,
    };

    /// Validates `req` and refuses an input the model does not read, before any request.
    ///
    /// ```
    /// use genai_core::{ClassificationCapabilities, ClassifyRequest, ErrorKind};
    /// let err = ClassificationCapabilities::IMAGE.check(&ClassifyRequest::text("hi")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// ```
    pub fn check(&self, req: &ClassifyRequest) -> Result<()> {
        req.validate()?;
        match req.input {
            ClassifyInput::Text(_) if !self.text => Err(Error::unsupported(
                "this model classifies images, not texts",
            )),
            ClassifyInput::Image(_) if !self.image => Err(Error::unsupported(
                "this model classifies texts, not images",
            )),
            _ => Ok(()),
        }
    }
}

/// A model that labels a text or an image.
///
/// ```
/// use std::sync::Arc;
/// use genai_core::{ClassificationModel, ClassifyRequest};
///
/// async fn mood(model: Arc<dyn ClassificationModel>) -> genai_core::Result<String> {
///     let out = model.classify(&ClassifyRequest::text("What a lovely day!")).await?;
///     Ok(out.labels.first().map(|l| l.label.clone()).unwrap_or_default())
/// }
/// ```
#[async_trait]
pub trait ClassificationModel: Send + Sync + Debug {
    /// The provider's name.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the model reads.
    fn capabilities(&self) -> ClassificationCapabilities;

    /// The labels, best first.
    async fn classify(&self, req: &ClassifyRequest) -> Result<Classification>;
}
