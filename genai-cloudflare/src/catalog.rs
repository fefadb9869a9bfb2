//! The model catalog (`/ai/models/search`) with its unreliable pagination, and the built-in
//! table of model kinds used when the catalog has not been read.

use std::collections::HashSet;

use genai_core::http::Deadline;
use genai_core::text::excerpt;
use genai_core::{
    Capabilities, Error, Modalities, ModelCapabilities, ModelInfo, ModelKind, ModelStatus, Price,
    Result, Support,
};
use serde::Deserialize;
use serde_json::Value;

use crate::chat::family::Family;
use crate::errors::{self, WireError, PROVIDER};
use crate::facts::{self, ModelFacts};
use crate::transport::Transport;

const PER_PAGE: usize = 100;
/// A bound on pages, in case the service never returns an empty page.
const MAX_PAGES: u32 = 50;

/// One page of `/ai/models/search`.
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogPage {
    #[serde(default)]
    pub(crate) success: Option<bool>,
    #[serde(default)]
    pub(crate) result: Option<Vec<Value>>,
    #[serde(default)]
    pub(crate) result_info: Option<ResultInfo>,
    #[serde(default)]
    pub(crate) errors: Vec<WireError>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResultInfo {
    #[serde(default)]
    pub(crate) total_count: Option<u64>,
}

/// A model of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogModel {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) task: Option<CatalogTask>,
    #[serde(default)]
    pub(crate) properties: Vec<CatalogProperty>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogTask {
    pub(crate) name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CatalogProperty {
    pub(crate) property_id: String,
    #[serde(default)]
    pub(crate) value: Value,
}

impl CatalogModel {
    /// A string property's value.
    pub(crate) fn property(&self, id: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.property_id == id)
            .and_then(|p| p.value.as_str())
    }
}

pub(crate) async fn list(transport: &Transport) -> Result<Vec<ModelInfo>> {
    let deadline = Deadline::after(transport.options.timeout);
    let mut seen = HashSet::new();
    let mut models = Vec::new();
    for page in 1..=MAX_PAGES {
        let url = format!(
            "{}?page={page}&per_page={PER_PAGE}&hide_experimental=false",
            transport.models_url
        );
        let resp = transport.get(&url, &deadline).await?;
        let status = resp.status().as_u16();
        let body = transport.read(resp, &deadline).await?;
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
    let (_, capabilities) = catalog_capabilities(m);
    let mut info = ModelInfo::new(m.name.clone());
    info.description = m.description.clone().unwrap_or_default();
    info.task = m.task.as_ref().map(|t| t.name.clone());
    info.kind = kind_from_catalog(&m.name, info.task.as_deref());
    info.batch = m.property("async_queue") == Some("true");
    info.context_window = m
        .property("context_window")
        .and_then(|v| v.trim().parse().ok());
    info.capabilities = capabilities;
    info.price = catalog_price(m);
    // The live catalog speaks for the models it lists; the facts table adds what the catalog
    // does not carry (the retirement a deprecation notice announced, the replacements).
    let known = facts::lookup(&m.name);
    info.paid_only = m.property("require_workers_paid") == Some("true");
    info.retired_on = m
        .property("planned_deprecation_date")
        .map(|d| d.trim().to_owned())
        .filter(|d| is_date(d))
        .or_else(|| known.and_then(|f| f.retired_on).map(str::to_owned));
    if let Some(known) = known {
        info.replacements = known.replacements.iter().map(|r| (*r).to_owned()).collect();
    }
    info.status = status_of(info.retired_on.as_deref());
    info
}

/// Whether `day` looks like `YYYY-MM-DD`.
fn is_date(day: &str) -> bool {
    let b = day.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Active without a retirement day, deprecated before it, retired from it on.
fn status_of(retired_on: Option<&str>) -> ModelStatus {
    match retired_on {
        None => ModelStatus::Active,
        Some(day) if day <= facts::today().as_str() => ModelStatus::Retired,
        Some(_) => ModelStatus::Deprecated,
    }
}

/// A model the facts table knows, as a [`ModelInfo`] (for retired ids, which no catalog lists).
pub(crate) fn info_from_facts(f: &ModelFacts) -> ModelInfo {
    let mut info = ModelInfo::new(f.id);
    info.task = Some(f.task.to_owned());
    info.kind = f.kind;
    info.batch = f.queue;
    info.context_window = f.context_window.map(u64::from);
    if f.kind == ModelKind::Chat {
        info.capabilities = Family::of(f.id).capabilities(f.id);
    }
    info.paid_only = f.paid_only;
    // An alias is served (by the model it names): no retirement to show.
    info.retired_on = f
        .retired_on
        .filter(|_| f.alias_of.is_none())
        .map(str::to_owned);
    info.replacements = f.replacements.iter().map(|r| (*r).to_owned()).collect();
    info.replacements.extend(f.alias_of.map(str::to_owned));
    info.status = if f.alias_of.is_some() {
        ModelStatus::Active
    } else {
        status_of(f.retired_on)
    };
    info.description = match f.alias_of {
        Some(of) => format!("An alias now answered by {of}."),
        None => String::new(),
    };
    info
}

/// The `price` property: `[{"unit": "per M input tokens", "price": 0.35, "currency": "USD"}]`.
/// Entries in another currency, without a number, or in a unit this library does not know
/// are skipped; `None` when nothing usable is left.
pub(crate) fn catalog_price(m: &CatalogModel) -> Option<Price> {
    #[derive(Deserialize)]
    struct Entry {
        unit: String,
        price: f64,
        #[serde(default)]
        currency: Option<String>,
    }
    let value = &m
        .properties
        .iter()
        .find(|p| p.property_id == "price")?
        .value;
    let entries: Vec<Entry> = match value {
        // Some catalog values are JSON text rather than JSON.
        Value::String(s) => serde_json::from_str(s).ok()?,
        v => serde_json::from_value(v.clone()).ok()?,
    };
    let usd = entries.iter().filter(|e| {
        e.currency
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case("USD"))
    });
    let (price, unknown) = Price::from_catalog(usd.map(|e| (e.unit.as_str(), e.price)));
    if !unknown.is_empty() {
        tracing::debug!(model = %m.name, ?unknown, "price units not understood");
    }
    (!price.is_empty()).then_some(price)
}

/// Capabilities of a catalog model: the family table, corrected by what the catalog says.
pub(crate) fn catalog_capabilities(model: &CatalogModel) -> (bool, ModelCapabilities) {
    let task = model.task.as_ref().map(|t| t.name.as_str()).unwrap_or("");
    let mut modalities_in = Modalities::default();
    let mut modalities_out = Modalities::default();
    let chat = task == "Text Generation";
    match task {
        "Text Generation" | "Summarization" | "Translation" => {
            modalities_in.text = true;
            modalities_out.text = true;
        }
        "Text-to-Image" => {
            modalities_in.text = true;
            modalities_out.image = true;
        }
        "Image-to-Text" => {
            modalities_in.image = true;
            modalities_out.text = true;
        }
        "Automatic Speech Recognition" => {
            modalities_in.audio = true;
            modalities_out.text = true;
        }
        "Text-to-Speech" => {
            modalities_in.text = true;
            modalities_out.audio = true;
        }
        "Image Classification" | "Object Detection" => modalities_in.image = true,
        "Dumb Pipe" => modalities_in.audio = true,
        _ => modalities_in.text = true,
    }
    if model.property("vision") == Some("true") {
        modalities_in.image = true;
    }
    if !chat {
        let caps = Capabilities {
            input: modalities_in,
            output: modalities_out,
            ..Capabilities::default()
        };
        return (
            false,
            ModelCapabilities {
                sync: caps,
                stream: caps,
            },
        );
    }
    let family = Family::of(&model.name);
    let mut caps = family.capabilities(&model.name);
    for mode in [&mut caps.sync, &mut caps.stream] {
        mode.input = modalities_in;
        mode.output = modalities_out;
        if model.property("function_calling") == Some("true") && mode.tools != Support::Supported {
            mode.tools = Support::Supported;
        }
        if model.property("reasoning") == Some("true") && mode.reasoning == Support::Unsupported {
            // The catalog says it reasons, but this crate cannot split it out reliably.
            mode.reasoning = Support::Flaky;
        }
    }
    (true, caps)
}

/// The kind of a catalog entry: its task, except where the catalog files a model under a
/// task it does not perform (the reranker is filed under "Text Classification"; a few chat
/// models that read images are filed under "Image-to-Text").
pub(crate) fn kind_from_catalog(model: &str, task: Option<&str>) -> ModelKind {
    match builtin_kind(model) {
        ModelKind::Unknown => task.map_or(ModelKind::Unknown, ModelKind::from_task),
        known => known,
    }
}

/// Every model id this crate knows by name and today's catalog serves: the facts table's
/// models of other kinds, then the chat models (the usual choices first), each once. Mistyped
/// ids are checked against it.
pub(crate) fn known_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    let all = facts::catalog()
        .filter(|f| f.kind != ModelKind::Chat)
        .map(|f| f.id)
        .chain(crate::chat::family::named_models());
    for id in all {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The kind of `model` from the facts table: [`ModelKind::Unknown`] for an id it does not
/// list, except ids that name a text generation family (`-instruct`, `-chat`...).
pub(crate) fn builtin_kind(model: &str) -> ModelKind {
    if let Some(known) = facts::lookup(model) {
        return known.kind;
    }
    let id = model.trim().to_ascii_lowercase();
    let name = id.rsplit('/').next().unwrap_or(&id);
    let chat_words = [
        "instruct",
        "chat",
        "llama",
        "mistral",
        "gemma",
        "qwen",
        "qwq",
        "gpt-oss",
        "glm",
        "deepseek",
        "hermes",
        "phi-",
        "falcon",
        "sqlcoder",
        "cybertron",
        "zephyr",
        "starling",
        "openchat",
        "discolm",
        "guard",
        "kimi",
        "nemotron",
        "granite",
    ];
    if chat_words.iter().any(|w| name.contains(w)) {
        ModelKind::Chat
    } else {
        ModelKind::Unknown
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn builtin_kinds_cover_the_task_models() {
        let cases = [
            ("@cf/baai/bge-base-en-v1.5", ModelKind::Embedding),
            ("@cf/baai/bge-reranker-base", ModelKind::Reranking),
            ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", ModelKind::Chat),
            ("@hf/thebloke/deepseek-coder-6.7b-base-awq", ModelKind::Chat),
            ("@cf/microsoft/phi-2", ModelKind::Chat),
            ("@cf/unknown/thing", ModelKind::Unknown),
        ];
        for (model, kind) in cases {
            assert_eq!(builtin_kind(model), kind, "{model}");
        }
        // The catalog's task is used for ids the table does not know; the table wins where
        // the catalog files a model under another task.
        assert_eq!(
            kind_from_catalog("@cf/x/new-embedder", Some("Text Embeddings")),
            ModelKind::Embedding
        );
        assert_eq!(
            kind_from_catalog("@cf/baai/bge-reranker-base", Some("Text Classification")),
            ModelKind::Reranking
        );
    }
}

#[cfg(test)]
mod price_tests {
    use super::*;
    use genai_core::PriceUnit;

    #[test]
    fn the_price_property_becomes_a_price() {
        let page = serde_json::json!({
            "success": true,
            "result": [
                {"name": "@cf/x/chat", "task": {"name": "Text Generation"}, "properties": [
                    {"property_id": "price", "value": [
                        {"unit": "per M input tokens", "price": 0.5, "currency": "USD"},
                        {"unit": "per M output tokens", "price": 1.5, "currency": "USD"},
                        {"unit": "per parsec", "price": 9.0, "currency": "USD"},
                        {"unit": "per step", "price": 9.0, "currency": "EUR"}
                    ]}
                ]},
                {"name": "@cf/x/free", "properties": [{"property_id": "price", "value": "not a list"}]},
                {"name": "@cf/x/none", "properties": []}
            ]
        });
        let (models, _) = decode_page(200, page.to_string().as_bytes()).unwrap();
        let price = models[0].price.as_ref().unwrap();
        assert_eq!(price.get(PriceUnit::InputTokensPerM), Some(0.5));
        assert_eq!(price.get(PriceUnit::OutputTokensPerM), Some(1.5));
        assert_eq!(price.entries().len(), 2);
        assert!(models[1].price.is_none() && models[2].price.is_none());
    }
}
