//! The flags every command that calls a provider shares, their checks, and the client they
//! build.

use std::sync::OnceLock;
use std::time::Duration;

use clap::{Args, ValueEnum};
use genai_cloudflare::{CloudflareBuilder, CloudflareChat, WorkersAi};
use genai_core::{Budget, Error};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Where to reach the provider: shared by every command that calls one.
#[derive(Args, Debug, Clone)]
pub(crate) struct ProviderArgs {
    /// Backend.
    #[arg(long, default_value = "cloudflare")]
    pub(crate) provider: String,
    /// Model id.
    #[arg(long, value_name = "ID")]
    pub(crate) model: Option<String>,
    /// Whether `model` came from `GENAI_MODEL` (named in errors).
    #[arg(skip)]
    pub(crate) model_from_env: bool,
    /// API root; requests go to {URL}/accounts/{account}/ai/run/{model}
    /// [default: https://api.cloudflare.com/client/v4].
    #[arg(long, env = "CLOUDFLARE_API_BASE_URL", value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Cloudflare account id.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID", value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// Send every request through this Cloudflare AI Gateway.
    #[arg(long, value_name = "ID", env = "CLOUDFLARE_AI_GATEWAY")]
    pub(crate) gateway: Option<String>,
    /// The AI Gateway root URL (default https://gateway.ai.cloudflare.com/v1).
    #[arg(long, value_name = "URL", env = "CLOUDFLARE_AI_GATEWAY_BASE_URL")]
    pub(crate) gateway_base_url: Option<String>,
    /// Cache replies in the gateway for SECS seconds (cf-aig-cache-ttl).
    #[arg(long, value_name = "SECS")]
    pub(crate) gateway_cache_ttl: Option<u64>,
    /// Bypass the gateway's cache (cf-aig-skip-cache).
    #[arg(long)]
    pub(crate) gateway_skip_cache: bool,
    /// Metadata for the gateway's logs, a JSON object of at most 5 entries (cf-aig-metadata).
    #[arg(long, value_name = "JSON")]
    pub(crate) gateway_metadata: Option<String>,
    /// Tag the requests (repeatable, at most 5).
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Retries of failures that may succeed later (429, capacity, 5xx, connection) [default: 2].
    #[arg(long, value_name = "N")]
    pub(crate) max_retries: Option<u32>,
    /// Overall deadline of a call in seconds (for a stream, also the longest silence)
    /// [default: 600].
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub(crate) timeout: Option<f64>,
    /// Send requests even when the model is known not to support a feature they use (the
    /// service then decides).
    #[arg(long)]
    pub(crate) no_capability_check: bool,
    /// Spend at most USD dollars: a call whose worst-case cost could exceed what is left
    /// fails with kind `budget` before any request (for `batch` and `scoreboard`, the budget
    /// of the whole run, which stops submitting once it is spent).
    #[arg(long, value_name = "USD", value_parser = non_negative_usd)]
    pub(crate) max_cost: Option<f64>,
    /// Synchronous calls fail at once (kind `busy`, not retried) instead of waiting when
    /// the service is out of capacity.
    #[arg(long)]
    pub(crate) reject_if_busy: bool,
    /// Pace requests at Workers AI's published per-task limits (300 a minute for text
    /// generation, 3,000 for embeddings...), so bulk work runs at the limit without 429s.
    #[arg(long)]
    pub(crate) throttle: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// A number of dollars: finite, not negative.
pub(crate) fn non_negative_usd(s: &str) -> Result<f64, String> {
    match s.trim().trim_start_matches('$').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("must be a number of US dollars, 0 or more (e.g. 0.05)".to_owned()),
    }
}

/// The budget of this run: one for the whole process, shared by every client it builds.
fn run_budget(max_cost_usd: f64) -> Budget {
    static BUDGET: OnceLock<Budget> = OnceLock::new();
    BUDGET.get_or_init(|| Budget::usd(max_cost_usd)).clone()
}

/// The variable that replaces the default chat model.
pub(crate) const MODEL_VAR: &str = "GENAI_MODEL";

impl ProviderArgs {
    /// The model id: `--model` (or `GENAI_MODEL` where it applies), else the command's
    /// `default`.
    pub(crate) fn model_or(&self, default: &str) -> String {
        self.model.clone().unwrap_or_else(|| default.to_owned())
    }

    /// Takes the model from `GENAI_MODEL` when `--model` was not given. Only the commands
    /// whose default is the chat model (`chat`, `batch`) call it: a chat model set for every
    /// shell would otherwise break `genai embed` and the other kinds.
    pub(crate) fn model_from_environment(&mut self) {
        if self.model.is_some() {
            return;
        }
        if let Some(m) = std::env::var(MODEL_VAR)
            .ok()
            .filter(|m| !m.trim().is_empty())
        {
            self.model = Some(m);
            self.model_from_env = true;
        }
    }

    /// `err` with what the user can do about it: the model's origin when it came from
    /// `GENAI_MODEL`, and `--no-capability-check` for a refusal made before any request.
    pub(crate) fn explain(&self, err: Error) -> Error {
        use genai_core::ErrorKind as K;
        let mut err = err;
        if err.kind() == K::Unsupported && err.status().is_none() && !self.no_capability_check {
            err = err.with_hint("--no-capability-check sends the request anyway");
        }
        if self.model_from_env
            && matches!(
                err.kind(),
                K::Unsupported | K::NotFound | K::InvalidRequest | K::Config | K::PermissionDenied
            )
        {
            let model = self.model.as_deref().unwrap_or_default();
            err = err.with_hint(format!(
                "the model `{model}` came from {MODEL_VAR}; --model overrides it"
            ));
        }
        err
    }
}

/// The `--model` help of a command: its own default, and for chat and batch the variable that
/// replaces it. `None` for commands without `--model`.
pub(crate) fn model_help(command: &str) -> Option<String> {
    let chat = genai_cloudflare::DEFAULT_MODEL;
    let default = match command {
        "chat" | "batch" => {
            return Some(format!(
                "Model id [env: {MODEL_VAR}] [default: {chat}] ({MODEL_VAR} applies to chat and \
                 batch only)"
            ))
        }
        "embed" => crate::embedding::EMBED_MODEL.to_owned(),
        "rerank" => crate::reranking::RERANK_MODEL.to_owned(),
        "classify" => format!(
            "{} (with --image: {})",
            crate::classification::CLASSIFY_MODEL,
            crate::classification::CLASSIFY_IMAGE_MODEL
        ),
        "translate" => crate::translation::TRANSLATE_MODEL.to_owned(),
        "summarize" => crate::summarization::SUMMARIZE_MODEL.to_owned(),
        "image" => crate::image::DEFAULT_IMAGE_MODEL.to_owned(),
        "speak" => crate::speech::DEFAULT_SPEECH_MODEL.to_owned(),
        "transcribe" => crate::transcription::DEFAULT_TRANSCRIPTION_MODEL.to_owned(),
        _ => return None,
    };
    Some(format!("Model id [default: {default}]"))
}

/// A positive, finite number of seconds.
pub(crate) fn positive_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && Duration::try_from_secs_f64(t).is_ok() => Ok(t),
        _ => Err("must be a positive number of seconds".to_owned()),
    }
}

/// A prompt with something in it.
pub(crate) fn non_empty_prompt(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("the prompt is empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// Builds the configured provider from flags and the environment.
pub(crate) fn provider(args: &ProviderArgs) -> genai_core::Result<CloudflareChat> {
    if args.provider != "cloudflare" {
        return Err(Error::config(format!(
            "unknown provider `{}` (available: cloudflare)",
            args.provider
        )));
    }
    let mut b = CloudflareBuilder::from_env();
    if let Some(m) = &args.model {
        b = b.model(m);
    }
    if let Some(u) = &args.base_url {
        b = b.base_url(u);
    }
    if let Some(a) = &args.account_id {
        b = b.account_id(a);
    }
    if let Some(id) = &args.gateway {
        b = match &args.gateway_base_url {
            Some(url) => b.ai_gateway_at(url, id),
            None => b.ai_gateway(id),
        };
    }
    if let Some(ttl) = args.gateway_cache_ttl {
        b = b.gateway_cache_ttl(Duration::from_secs(ttl));
    }
    if args.gateway_skip_cache {
        b = b.gateway_skip_cache(true);
    }
    if let Some(meta) = &args.gateway_metadata {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(meta) else {
            return Err(Error::invalid_request(
                "--gateway-metadata must be a JSON object, e.g. {\"user\":\"u-42\"}",
            ));
        };
        b = b.gateway_metadata(map);
    }
    if !args.tags.is_empty() {
        b = b.tags(args.tags.iter().cloned());
    }
    if let Some(n) = args.max_retries {
        b = b.max_retries(n);
    }
    if let Some(t) = args.timeout {
        let t = Duration::try_from_secs_f64(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::invalid_request(format!(
                    "--timeout must be a positive number of seconds, got {t}"
                ))
            })?;
        b = b.timeout(t);
    }
    if args.no_capability_check {
        b = b.check_capabilities(false);
    }
    if let Some(usd) = args.max_cost {
        b = b.budget(run_budget(usd));
    }
    if args.reject_if_busy {
        b = b.reject_if_busy(true);
    }
    if args.throttle {
        b = b.rate_limit_published(true);
    }
    b.build()
}

/// The provider and the model id: `--model` (or `GENAI_MODEL`), else the command's default.
pub(crate) fn workers_ai(
    args: &ProviderArgs,
    default: &str,
) -> genai_core::Result<(WorkersAi, String)> {
    let model = args.model.clone().unwrap_or_else(|| default.to_owned());
    Ok((provider(args)?.provider(), model))
}
