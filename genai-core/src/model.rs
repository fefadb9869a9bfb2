//! Models a provider offers.

use serde::{Deserialize, Serialize};

use crate::capability::ModelCapabilities;

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
    /// Whether it answers chat requests.
    pub chat: bool,
    /// What it can do (meaningful for chat models).
    pub capabilities: ModelCapabilities,
}

impl ModelInfo {
    /// A model known only by its id.
    pub fn new(id: impl Into<String>) -> Self {
        ModelInfo {
            id: id.into(),
            ..ModelInfo::default()
        }
    }
}
