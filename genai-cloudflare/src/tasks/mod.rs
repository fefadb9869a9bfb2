//! The task models beyond chat, one file per kind, all over the shared
//! [`Transport`](crate::transport::Transport).

mod image;
mod text;

pub use image::CloudflareImageModel;
pub(crate) use image::MAX_INPUT_IMAGE_BYTES;
pub use text::{CloudflareSummarizer, CloudflareTranslator};

use genai_core::http::Deadline;
use genai_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::errors::PROVIDER;
use crate::transport::{Body, Transport};

/// Runs one JSON task call on `model`: the one path every JSON-in, JSON-out task takes.
/// Errors name `operation`, carry the provider and never the token.
pub(crate) async fn run_json<T: DeserializeOwned>(
    transport: &Transport,
    operation: &'static str,
    model: &str,
    body: &impl Serialize,
) -> Result<T> {
    let span = tracing::info_span!("genai.call", provider = PROVIDER, model = %model, operation);
    let call = async {
        let body = Body::json(body)?;
        let deadline = Deadline::after(transport.options.timeout);
        transport.run_json(model, &body, &deadline).await
    };
    tracing::Instrument::instrument(call, span)
        .await
        .map_err(|e| finish_error(transport, e, operation))
}

/// The last touch on every task error: provider, operation, no token.
pub(crate) fn finish_error(transport: &Transport, e: Error, operation: &'static str) -> Error {
    transport
        .redact(e)
        .with_provider(PROVIDER)
        .with_operation(operation)
}
