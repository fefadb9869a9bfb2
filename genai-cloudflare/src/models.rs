//! The model catalog (`/ai/models/search`) and its unreliable pagination.

use std::collections::HashSet;

use genai_core::http::{self, Deadline};
use genai_core::text::excerpt;
use genai_core::{Error, ModelInfo, Result};
use reqwest::header::AUTHORIZATION;

use crate::client::Cloudflare;
use crate::errors::{self, PROVIDER};
use crate::family::catalog_capabilities;
use crate::wire::{CatalogModel, CatalogPage};

const PER_PAGE: usize = 100;
/// A bound on pages, in case the service never returns an empty page.
const MAX_PAGES: u32 = 50;

pub(crate) async fn list(client: &Cloudflare) -> Result<Vec<ModelInfo>> {
    let inner = &client.inner;
    let deadline = Deadline::after(inner.options.timeout);
    let mut seen = HashSet::new();
    let mut models = Vec::new();
    for page in 1..=MAX_PAGES {
        let url = format!(
            "{}?page={page}&per_page={PER_PAGE}&hide_experimental=false",
            inner.models_url
        );
        let resp = http::send(
            &inner.options,
            &deadline,
            || {
                inner
                    .http
                    .get(&url)
                    .header(AUTHORIZATION, inner.auth.clone())
            },
            errors::map_failure,
        )
        .await
        .map_err(|e| e.with_provider(PROVIDER))?;
        let status = resp.status().as_u16();
        let body = http::read_body(
            resp,
            inner.options.max_response_bytes,
            &deadline,
            inner.options.idle_timeout,
            false,
        )
        .await
        .map_err(|e| e.with_provider(PROVIDER))?;
        let (batch, total) = decode_page(status, &body)?;
        let before = models.len();
        for m in batch {
            if seen.insert(m.id.clone()) {
                models.push(m);
            }
        }
        // An empty page ends the list; so does a page with nothing new (a service that ignores
        // `page` would otherwise be asked fifty times for the same models).
        if models.len() == before {
            break;
        }
        // `total_count` overstates what the pages hold: it only ends the loop early.
        if total.is_some_and(|t| models.len() as u64 >= t) {
            break;
        }
    }
    Ok(models)
}

/// Decodes one page of `/ai/models/search`: its models and the `total_count` it claims.
pub(crate) fn decode_page(status: u16, body: &[u8]) -> Result<(Vec<ModelInfo>, Option<u64>)> {
    let page: CatalogPage = serde_json::from_slice(body).map_err(|e| {
        Error::protocol(format!(
            "HTTP {status}: the model list is not valid JSON ({e}): {}",
            excerpt(&String::from_utf8_lossy(body), 200)
        ))
        .with_provider(PROVIDER)
    })?;
    if page.success == Some(false) {
        return Err(errors::from_codes(status, &page.errors).with_status(status));
    }
    let total = page.result_info.and_then(|i| i.total_count);
    let entries = page.result.unwrap_or_default();
    let mut models = Vec::with_capacity(entries.len());
    for entry in entries {
        // One odd entry does not hide the rest of the catalog.
        match serde_json::from_value::<CatalogModel>(entry) {
            Ok(m) => models.push(model_info(&m)),
            Err(e) => tracing::debug!(error = %e, "skipped a catalog entry that does not decode"),
        }
    }
    Ok((models, total))
}

fn model_info(m: &CatalogModel) -> ModelInfo {
    let (chat, capabilities) = catalog_capabilities(m);
    let mut info = ModelInfo::new(m.name.clone());
    info.description = m.description.clone().unwrap_or_default();
    info.task = m.task.as_ref().map(|t| t.name.clone());
    info.context_window = m
        .property("context_window")
        .and_then(|v| v.trim().parse().ok());
    info.chat = chat;
    info.capabilities = capabilities;
    info
}
