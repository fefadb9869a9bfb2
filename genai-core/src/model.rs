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
    /// Its price as the catalog lists it, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
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
