//! Models a provider offers.

use serde::{Deserialize, Serialize};

use crate::capability::ModelCapabilities;
use crate::cost::Price;
use crate::kind::ModelKind;

/// One model of a provider's catalog.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// The id to pass as the model.
    pub id: String,
    /// The provider's description.
    pub description: String,
    /// The task it performs (`Text Generation`, `Text Embeddings`...), when known.
    pub task: Option<String>,
    /// The context window in tokens, when known.
    pub context_window: Option<u64>,
    /// What kind of model it is, which decides the trait that serves it.
    pub kind: ModelKind,
    /// Whether the provider can run it through an asynchronous batch queue.
    pub batch: bool,
    /// What it can do in chat (meaningful for chat models).
    pub capabilities: ModelCapabilities,
    /// Whether it is served, and for how long.
    #[serde(default)]
    pub status: ModelStatus,
    /// The day it retires (or retired), `YYYY-MM-DD`, when one is known.
    #[serde(default)]
    pub retired_on: Option<String>,
    /// What the provider recommends instead, once it retired.
    #[serde(default)]
    pub replacements: Vec<String>,
    /// Whether it needs a paid plan the free plan does not include.
    #[serde(default)]
    pub paid_only: bool,
    /// Its price as the catalog lists it, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
}

/// Whether a model is served.
///
/// ```
/// assert_eq!(genai_core::ModelStatus::Deprecated.as_str(), "deprecated");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelStatus {
    /// Served, no retirement announced.
    #[default]
    Active,
    /// Served, but a retirement day is announced.
    Deprecated,
    /// No longer served.
    Retired,
}

impl ModelStatus {
    /// `active`, `deprecated` or `retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Active => "active",
            ModelStatus::Deprecated => "deprecated",
            ModelStatus::Retired => "retired",
        }
    }
}

impl ModelInfo {
    /// Whether it answers chat requests.
    pub fn is_chat(&self) -> bool {
        self.kind == ModelKind::Chat
    }

    /// A model known only by its id.
    pub fn new(id: impl Into<String>) -> Self {
        ModelInfo {
            id: id.into(),
            ..ModelInfo::default()
        }
    }
}
