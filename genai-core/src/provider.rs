//! The contract every backend implements, and conveniences built on it.

use std::fmt::Debug;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::capability::ModelCapabilities;
use crate::error::Result;
use crate::model::ModelInfo;
use crate::request::ChatRequest;
use crate::response::ChatResponse;
use crate::stream::ChatStream;

/// A configured model of one provider: the contract every backend implements.
///
/// Object-safe: use it as `Arc<dyn ProviderGen>` or `Box<dyn ProviderGen>` to swap providers.
/// Conveniences live in [`ProviderGenExt`], implemented for every `ProviderGen`.
///
/// A backend must refuse a request that needs a capability its model lacks with
/// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) before any network call
/// ([`ModelCapabilities::check`] does it).
#[async_trait]
pub trait ProviderGen: Send + Sync + Debug {
    /// The provider's name, e.g. `cloudflare`.
    fn name(&self) -> &str;

    /// The configured model id.
    fn model(&self) -> &str;

    /// What the configured model can do, per mode.
    fn capabilities(&self) -> ModelCapabilities;

    /// Sends the request and waits for the complete reply.
    async fn gen_sync(&self, req: &ChatRequest) -> Result<ChatResponse>;

    /// Sends the request and streams the reply.
    async fn gen_stream(&self, req: &ChatRequest) -> Result<ChatStream>;

    /// Lists the provider's models.
    async fn list_models(&self) -> Result<Vec<ModelInfo>>;
}

/// Conveniences for every [`ProviderGen`], including `dyn ProviderGen`.
#[async_trait]
pub trait ProviderGenExt: ProviderGen {
    /// Sends one user prompt and returns the answer text.
    async fn chat(&self, prompt: &str) -> Result<String> {
        Ok(self.gen_sync(&ChatRequest::new().user(prompt)).await?.text)
    }

    /// Streams the request and folds the events into a complete reply.
    async fn gen_stream_collect(&self, req: &ChatRequest) -> Result<ChatResponse> {
        self.gen_stream(req).await?.collect_response().await
    }

    /// Asks for JSON following the schema of `T` and decodes the reply into `T`.
    async fn gen_json<T>(&self, req: &ChatRequest) -> Result<T>
    where
        T: JsonSchema + DeserializeOwned + Send,
    {
        let req = req.clone().json_schema_for::<T>();
        self.gen_sync(&req).await?.decode_json()
    }
}

impl<P: ProviderGen + ?Sized> ProviderGenExt for P {}
