//! `genai models`: the provider's model catalog, optionally of one kind.

use std::io::Write;

use clap::Args;
use genai_cloudflare::facts;
use genai_core::{Error, ModelInfo, ModelKind, Result};
use serde_json::{json, Value};

use crate::options::{positive_secs, provider, Format, ProviderArgs};
use crate::output::emit_line;

/// Flags of `genai models`: where to reach the provider, nothing about a model.
#[derive(Args, Debug)]
pub(crate) struct ModelsArgs {
    /// Backend.
    #[arg(long, default_value = "cloudflare")]
    provider: String,
    /// API root [default: https://api.cloudflare.com/client/v4].
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL", value_name = "URL")]
    base_url: Option<String>,
    /// Cloudflare account id.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID", value_name = "ID")]
    account_id: Option<String>,
    /// Retries of failures that may succeed later (429, capacity, 5xx, connection) [default: 2].
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
    /// Overall deadline of the listing in seconds [default: 600].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Only the models of this kind (embedding, reranking, text_classification, translation...).
    #[arg(long, value_name = "KIND")]
    pub(crate) task: Option<String>,
    /// Also list the retired models the library knows (with their retirement day and
    /// replacements), after the catalog's.
    #[arg(long)]
    pub(crate) all: bool,
}

impl ModelsArgs {
    /// The shared provider flags these stand for (no model: the listing needs none).
    pub(crate) fn provider_args(&self) -> ProviderArgs {
        ProviderArgs {
            provider: self.provider.clone(),
            model: None,
            model_from_env: false,
            base_url: self.base_url.clone(),
            account_id: self.account_id.clone(),
            max_retries: self.max_retries,
            timeout: self.timeout,
            no_capability_check: false,
            // Listing the catalog is free and unpaced.
            max_cost: None,
            reject_if_busy: false,
            throttle: false,
            format: self.format,
            // The catalog is read from the API root, never through a gateway.
            gateway: None,
            gateway_base_url: None,
            gateway_cache_ttl: None,
            gateway_skip_cache: false,
            gateway_metadata: None,
            tags: Vec::new(),
        }
    }
}

pub(crate) async fn models(
    args: ProviderArgs,
    task: Option<String>,
    all: bool,
) -> genai_core::Result<()> {
    let client = provider(&args)?;
    if let Some(task) = &task {
        filter_by_task(Vec::new(), task)?; // an unknown kind: refused before any request
    }
    let provider = client.provider();
    let mut models = genai_core::Provider::list_models(&provider).await?;
    if all {
        let listed: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
        models.extend(
            provider
                .retired_models()
                .into_iter()
                .filter(|m| !listed.contains(&m.id)),
        );
    }
    if let Some(task) = &task {
        models = filter_by_task(models, task)?;
    }
    match args.format {
        Format::Json => {
            let list: Vec<Value> = models
                .iter()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "task": m.task,
                        "context_window": m.context_window,
                        "kind": m.kind,
                        "chat": m.is_chat(),
                        "batch": m.batch,
                        "status": m.status.as_str(),
                        "retired_on": m.retired_on,
                        "replacements": m.replacements,
                        "paid_only": m.paid_only,
                        "price": price_json(&m.id),
                        "description": m.description,
                        "capabilities": m.capabilities,
                    })
                })
                .collect();
            emit_line(&Value::Array(list).to_string());
        }
        Format::Text => {
            let mut out = std::io::stdout().lock();
            crate::output::note_stdout(writeln!(
                out,
                "{:<56} {:<30} {:>8} {:<21} PRICE (USD)",
                "ID", "TASK", "CONTEXT", "STATUS"
            ));
            for m in &models {
                let mut status = match &m.retired_on {
                    Some(day) => format!("{} {day}", m.status.as_str()),
                    None => m.status.as_str().to_owned(),
                };
                if m.paid_only {
                    status.push_str(" paid");
                }
                crate::output::note_stdout(writeln!(
                    out,
                    "{:<56} {:<30} {:>8} {:<21} {}",
                    m.id,
                    m.task.as_deref().unwrap_or("-"),
                    m.context_window.map_or("-".to_owned(), |c| c.to_string()),
                    status,
                    price_text(&m.id)
                ));
            }
        }
    }
    Ok(())
}

/// The catalog's price of `model` as `[{"unit","price","currency"}]`, or null.
fn price_json(model: &str) -> Value {
    match facts::lookup(model).map(|f| f.price) {
        Some(price) if !price.is_empty() => price
            .iter()
            .map(|(unit, usd)| json!({"unit": unit, "price": usd, "currency": "USD"}))
            .collect(),
        _ => Value::Null,
    }
}

/// The price in one cell: `0.35 per M input tokens, 0.75 per M output tokens`, or `-`.
fn price_text(model: &str) -> String {
    match facts::lookup(model).map(|f| f.price) {
        Some(price) if !price.is_empty() => price
            .iter()
            .map(|(unit, usd)| format!("{usd} {unit}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "-".to_owned(),
    }
}

/// Keeps the models of the kind named by `task` (`embedding`, `reranking`,
/// `text_classification`, `translation`..., a catalog task name such as `Text Embeddings`,
/// or a part of one such as `classification`); an unknown name is an error listing the kinds.
pub(crate) fn filter_by_task(models: Vec<ModelInfo>, task: &str) -> Result<Vec<ModelInfo>> {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let q = norm(task);
    let matches = |kind: ModelKind| {
        let k = kind.as_str();
        !q.is_empty()
            && (k == q
                || k == q.trim_end_matches('s')
                || norm(kind.task_name()) == q
                || (q.len() >= 4 && k.contains(q.as_str())))
    };
    if !ModelKind::all().iter().any(|k| matches(*k)) {
        let kinds: Vec<&str> = ModelKind::all().iter().map(|k| k.as_str()).collect();
        return Err(Error::invalid_request(format!(
            "unknown task `{task}` (kinds: {})",
            kinds.join(", ")
        )));
    }
    Ok(models.into_iter().filter(|m| matches(m.kind)).collect())
}
