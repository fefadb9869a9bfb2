//! Configuration: the builder, its validation, and the secret token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use genai_core::http::{HttpOptions, RetryPolicy};
use genai_core::{Budget, Error, Price, Result};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::chat::client::CloudflareChat;
use crate::hints::Hints;
use crate::metering::{Limiters, Metering};
use crate::provider::WorkersAi;
use crate::transport::{affinity_header, normalize_model, Transport};

/// The Cloudflare API root.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// The AI Gateway root; see [`CloudflareBuilder::ai_gateway`].
pub const DEFAULT_GATEWAY_URL: &str = "https://gateway.ai.cloudflare.com/v1";

/// The model used when none is configured.
pub const DEFAULT_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/// A credential: printed as `[redacted]` by `Debug` and never part of an error.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl CloudflareChat {
    /// A builder; see [`CloudflareBuilder`].
    pub fn builder() -> CloudflareBuilder {
        CloudflareBuilder::new()
    }
}

/// Builds a [`CloudflareChat`] client; every check happens in [`build`](CloudflareBuilder::build).
///
/// ```
/// use genai_cloudflare::CloudflareChat;
/// let client = CloudflareChat::builder()
///     .account_id("0123456789abcdef0123456789abcdef")
///     .api_token("my-token")
///     .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
///     .max_retries(3)
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("my-token"));
/// ```
#[derive(Clone, Default)]
pub struct CloudflareBuilder {
    account_id: Option<String>,
    api_token: Option<Secret>,
    /// The environment variable the token came from, named when the service refuses it.
    token_var: Option<&'static str>,
    model: Option<String>,
    base_url: Option<String>,
    gateway: Option<(String, String)>,
    http: Option<reqwest::Client>,
    options: HttpOptions,
    check_capabilities: Option<bool>,
    log_content: bool,
    embedding_concurrency: Option<usize>,
    gateway_options: GatewayOptions,
    tags: Vec<String>,
    session_affinity: Option<String>,
    metering: Metering,
}

/// The AI Gateway's per-request options, sent as its `cf-aig-*` headers.
#[derive(Clone, Default, Debug)]
struct GatewayOptions {
    cache_ttl: Option<Duration>,
    skip_cache: bool,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    request_timeout: Option<Duration>,
    max_attempts: Option<u32>,
    token: Option<Secret>,
}

impl GatewayOptions {
    fn is_set(&self) -> bool {
        self.cache_ttl.is_some()
            || self.skip_cache
            || self.metadata.is_some()
            || self.request_timeout.is_some()
            || self.max_attempts.is_some()
            || self.token.is_some()
    }

    /// The headers, checked: at most five metadata entries, each a string, number or boolean.
    fn headers(&self) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: String| -> Result<()> {
            let v = HeaderValue::from_str(&value).map_err(|_| {
                Error::config(format!(
                    "the AI Gateway option `{name}` is not a valid header value"
                ))
            })?;
            h.insert(name, v);
            Ok(())
        };
        if let Some(ttl) = self.cache_ttl {
            put("cf-aig-cache-ttl", ttl.as_secs().to_string())?;
        }
        if self.skip_cache {
            put("cf-aig-skip-cache", "true".to_owned())?;
        }
        if let Some(t) = self.request_timeout {
            put("cf-aig-request-timeout", t.as_millis().to_string())?;
        }
        if let Some(n) = self.max_attempts {
            put("cf-aig-max-attempts", n.to_string())?;
        }
        if let Some(m) = &self.metadata {
            if m.len() > 5 {
                return Err(Error::config(format!(
                    "AI Gateway metadata takes at most 5 entries, {} were given",
                    m.len()
                )));
            }
            if let Some((k, _)) = m
                .iter()
                .find(|(_, v)| !(v.is_string() || v.is_number() || v.is_boolean()))
            {
                return Err(Error::config(format!(
                    "AI Gateway metadata `{k}` must be a string, a number or a boolean"
                )));
            }
            put(
                "cf-aig-metadata",
                serde_json::Value::Object(m.clone()).to_string(),
            )?;
        }
        if let Some(t) = &self.token {
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", t.expose().trim())).map_err(|_| {
                    Error::config(
                        "the AI Gateway token contains characters not allowed in a header",
                    )
                })?;
            v.set_sensitive(true);
            h.insert("cf-aig-authorization", v);
        }
        Ok(h)
    }
}

/// Checks request tags: at most 5, each 1 to 50 of letters, digits and `: - . / @`;
/// duplicates dropped.
fn check_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        let ok = (1..=50).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":-./@".contains(&b));
        if !ok {
            return Err(Error::config(format!(
                "the tag `{t}` must be 1 to 50 letters, digits or `: - . / @`"
            )));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 5 {
        return Err(Error::config(format!(
            "a request takes at most 5 tags, {} were given",
            out.len()
        )));
    }
    Ok(out)
}

impl fmt::Debug for CloudflareBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudflareBuilder")
            .field("account_id", &self.account_id)
            .field("api_token", &self.api_token.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("gateway", &self.gateway)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CloudflareBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        CloudflareBuilder::default()
    }

    /// A builder filled from the environment: `CLOUDFLARE_ACCOUNT_ID`, `CLOUDFLARE_API_TOKEN`
    /// (falling back to `CLOUDFLARE_API_KEY`) and `CLOUDFLARE_API_BASE_URL`. Unset or empty
    /// variables are left unset; `build` says which one is missing.
    ///
    /// ```no_run
    /// use genai_cloudflare::CloudflareBuilder;
    /// use genai_core::{ChatRequest, ProviderGen};
    /// # async fn run() -> genai_core::Result<()> {
    /// let client = CloudflareBuilder::from_env()
    ///     .model("@cf/meta/llama-3.3-70b-instruct-fp8-fast")
    ///     .build()?;
    /// let reply = client.gen_sync(&ChatRequest::new().user("Say hello.")).await?;
    /// println!("{}", reply.text);
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut b = CloudflareBuilder::new();
        b.account_id = var("CLOUDFLARE_ACCOUNT_ID");
        (b.api_token, b.token_var) = match (var("CLOUDFLARE_API_TOKEN"), var("CLOUDFLARE_API_KEY"))
        {
            (Some(t), _) => (Some(Secret(t)), Some("CLOUDFLARE_API_TOKEN")),
            (None, Some(t)) => (Some(Secret(t)), Some("CLOUDFLARE_API_KEY")),
            (None, None) => (None, None),
        };
        b.base_url = var("CLOUDFLARE_API_BASE_URL");
        b
    }

    /// Sets the account id (32 hexadecimal characters).
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = Some(id.into());
        self
    }

    /// Sets the API token.
    pub fn api_token(mut self, token: impl Into<String>) -> Self {
        self.api_token = Some(Secret(token.into()));
        self.token_var = None;
        self
    }

    /// Sets the model id, e.g. `@cf/meta/llama-3.3-70b-instruct-fp8-fast` (default
    /// [`DEFAULT_MODEL`]).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the API root (default [`DEFAULT_BASE_URL`]); requests go to
    /// `{url}/accounts/{account}/ai/run/{model}`. The local emulator (`genai serve`) is at
    /// `http://127.0.0.1:8787/client/v4` and takes the token `test-token`:
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// let client = CloudflareChat::builder()
    ///     .base_url("http://127.0.0.1:8787/client/v4")
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("test-token")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The former name of [`base_url`](Self::base_url).
    #[deprecated(note = "renamed `base_url`, like the other setters")]
    pub fn with_base_url(self, url: impl Into<String>) -> Self {
        self.base_url(url)
    }

    /// Sends chat requests through the AI Gateway `gateway_id` (caching, logs, rate limits)
    /// at [`DEFAULT_GATEWAY_URL`]: `{url}/{account}/{gateway_id}/workers-ai/{model}`. The model
    /// list still comes from the API root.
    ///
    /// ```
    /// # use genai_cloudflare::CloudflareChat;
    /// let client = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("t")
    ///     .ai_gateway("my-gateway")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn ai_gateway(self, gateway_id: impl Into<String>) -> Self {
        self.ai_gateway_at(DEFAULT_GATEWAY_URL, gateway_id)
    }

    /// Like [`ai_gateway`](Self::ai_gateway), with another gateway root URL.
    pub fn ai_gateway_at(mut self, url: impl Into<String>, gateway_id: impl Into<String>) -> Self {
        self.gateway = Some((url.into(), gateway_id.into()));
        self
    }

    /// Caches replies in the AI Gateway for `ttl` (`cf-aig-cache-ttl`, whole seconds). Needs
    /// [`ai_gateway`](Self::ai_gateway).
    ///
    /// ```
    /// # use genai_cloudflare::CloudflareChat;
    /// use std::time::Duration;
    /// let client = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("t")
    ///     .ai_gateway("my-gateway")
    ///     .gateway_cache_ttl(Duration::from_secs(3600))
    ///     .gateway_metadata(serde_json::json!({"user": "u-42", "tier": 2}).as_object().unwrap().clone())
    ///     .tags(["nightly-job", "team:search"])
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn gateway_cache_ttl(mut self, ttl: Duration) -> Self {
        self.gateway_options.cache_ttl = Some(ttl);
        self
    }

    /// Bypasses the AI Gateway's cache (`cf-aig-skip-cache: true`).
    pub fn gateway_skip_cache(mut self, skip: bool) -> Self {
        self.gateway_options.skip_cache = skip;
        self
    }

    /// Attaches metadata to the AI Gateway's logs (`cf-aig-metadata`): at most 5 entries whose
    /// values are strings, numbers or booleans (checked by `build`).
    pub fn gateway_metadata(
        mut self,
        metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        self.gateway_options.metadata = Some(metadata);
        self
    }

    /// The AI Gateway's own time limit for the upstream call (`cf-aig-request-timeout`).
    pub fn gateway_request_timeout(mut self, timeout: Duration) -> Self {
        self.gateway_options.request_timeout = Some(timeout);
        self
    }

    /// How many times the AI Gateway tries the upstream call (`cf-aig-max-attempts`).
    pub fn gateway_max_attempts(mut self, n: u32) -> Self {
        self.gateway_options.max_attempts = Some(n);
        self
    }

    /// The token of an authenticated AI Gateway (`cf-aig-authorization`); kept secret like the
    /// API token.
    pub fn gateway_token(mut self, token: impl Into<String>) -> Self {
        self.gateway_options.token = Some(Secret(token.into()));
        self
    }

    /// Tags every request, to group them in the dashboard (sent as the `tags` query
    /// parameter): at most 5, each 1 to 50 letters, digits or `: - . / @`.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Routes the chat requests of the built client to the same model instance
    /// (`x-session-affinity`), so a conversation's prompt prefix is reused from the cache.
    /// See also [`CloudflareChat::with_session_affinity`].
    pub fn session_affinity(mut self, key: impl Into<String>) -> Self {
        self.session_affinity = Some(key.into());
        self
    }

    /// Uses this HTTP client (connection pool, proxy, TLS settings).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sets retries, time limits and size limits at once.
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the number of retries of failures that may succeed later (default 2).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.options.retry = self.options.retry.max_retries(n);
        self
    }

    /// Sets the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = policy;
        self
    }

    /// Sets the overall deadline of a call (retries included) and, for streams, the longest
    /// silence between two events.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// Whether requests that the model's known capabilities cannot honour fail before any HTTP
    /// call (default `true`). Turn it off to let the service decide, e.g. for a model whose
    /// capabilities changed after this release.
    pub fn check_capabilities(mut self, check: bool) -> Self {
        self.check_capabilities = Some(check);
        self
    }

    /// How many embedding calls may be in flight at once when a request has more texts than
    /// one call takes (default 4, at least 1). The vectors keep the input order whatever it is.
    pub fn embedding_concurrency(mut self, calls: usize) -> Self {
        self.embedding_concurrency = Some(calls.max(1));
        self
    }

    /// Caps what the client's calls may spend: before each request its worst-case cost
    /// (the prompt's tokens at most, `max_tokens` of output, the image's tiles, the text's
    /// characters...) is reserved, and a call that would exceed what is left fails with
    /// [`ErrorKind::Budget`](genai_core::ErrorKind::Budget) without sending anything. Every
    /// model handle of the client shares the budget; a clone of a [`Budget`] given to several
    /// clients is shared by all of them. A call whose model has no known price is let through
    /// while anything is left.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::Budget;
    /// let budget = Budget::usd(0.50);
    /// let client = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("t")
    ///     .budget(budget.clone())
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// assert_eq!(budget.spent_neurons(), 0.0);
    /// ```
    pub fn budget(mut self, budget: Budget) -> Self {
        self.metering.budget = Some(budget);
        self
    }

    /// Paces requests client-side at Workers AI's published limits per task (300 requests a
    /// minute for text generation, 3,000 for embeddings, 720 for images and speech
    /// recognition...), each model on its own schedule, so bulk work runs at the limit
    /// without a 429.
    pub fn rate_limit_published(mut self, on: bool) -> Self {
        self.metering.limiter = on.then(|| Arc::new(Limiters::new(None)));
        self
    }

    /// Paces requests client-side at `rpm` requests a minute per model, instead of the
    /// published limits (an account with a lower or higher limit).
    pub fn rate_limit_rpm(mut self, rpm: u32) -> Self {
        self.metering.limiter = Some(Arc::new(Limiters::new(Some(rpm.max(1)))));
        self
    }

    /// Synchronous calls ask the service to fail at once, rather than wait, when it is out
    /// of capacity (`rejectIfBusy`): such a failure has kind
    /// [`ErrorKind::Busy`](genai_core::ErrorKind::Busy) and is not retried.
    pub fn reject_if_busy(mut self, on: bool) -> Self {
        self.metering.reject_if_busy = on;
        self
    }

    /// Prices a model (US dollars per unit), overriding the built-in price and the catalog's.
    pub fn price(mut self, model: impl AsRef<str>, price: Price) -> Self {
        let model = model.as_ref().trim().trim_start_matches('/').to_owned();
        self.metering.override_price(model, price);
        self
    }

    /// Whether prompts and replies may appear in `trace`-level logs (default `false`).
    pub fn log_content(mut self, log: bool) -> Self {
        self.log_content = log;
        self
    }

    /// Checks the configuration and builds the chat client of the configured model.
    ///
    /// Fails with [`ErrorKind::Config`](genai_core::ErrorKind::Config) when the account id or
    /// token is missing or malformed, the model is empty, or the base URL is not an http(s)
    /// URL. The token is never quoted.
    pub fn build(self) -> Result<CloudflareChat> {
        let model = normalize_model(self.model.as_deref().unwrap_or(DEFAULT_MODEL))?;
        let affinity = self.session_affinity.clone();
        let mut transport = self.transport()?;
        if let Some(key) = affinity {
            transport
                .headers
                .insert("x-session-affinity", affinity_header(&key)?);
        }
        Ok(CloudflareChat::over(Arc::new(transport), model))
    }

    /// Checks the configuration and builds the provider, which hands out models of every kind
    /// (chat, embeddings, reranking...) over one connection pool and lists the catalog. The
    /// configured [`model`](Self::model) is not used.
    ///
    /// ```
    /// use genai_cloudflare::CloudflareChat;
    /// use genai_core::{ErrorKind, Provider};
    /// let provider = CloudflareChat::builder()
    ///     .account_id("0123456789abcdef0123456789abcdef")
    ///     .api_token("my-token")
    ///     .build_provider()
    ///     .unwrap();
    /// let translator = provider.translation_model("@cf/meta/m2m100-1.2b").unwrap();
    /// assert_eq!(translator.model(), "@cf/meta/m2m100-1.2b");
    /// // A chat model asked for as a translation model is refused before any request.
    /// let err = provider.translation_model("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// ```
    pub fn build_provider(self) -> Result<WorkersAi> {
        Ok(WorkersAi::over(Arc::new(self.transport()?)))
    }

    fn transport(self) -> Result<Transport> {
        let account_id = validate_account_id(self.account_id.as_deref())?;
        let token = self
            .api_token
            .filter(|t| !t.0.trim().is_empty())
            .ok_or_else(|| {
                Error::config(
                    "no Cloudflare API token: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY)",
                )
            })?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose().trim()))
            .map_err(|_| {
                Error::config("the API token contains characters not allowed in a header")
            })?;
        auth.set_sensitive(true);
        let base_url = validate_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let run_base = match &self.gateway {
            None => format!("{base_url}/accounts/{account_id}/ai/run/"),
            Some((url, id)) => {
                let id = id.trim();
                if id.is_empty()
                    || !id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(Error::config(format!(
                        "the AI Gateway id `{id}` must be letters, digits, `-` or `_`"
                    )));
                }
                let url = validate_base_url(url)?;
                format!("{url}/{account_id}/{id}/workers-ai/")
            }
        };
        if self.gateway.is_none() && self.gateway_options.is_set() {
            return Err(Error::config(
                "AI Gateway options were given without a gateway: set ai_gateway(ID) too",
            ));
        }
        let headers = self.gateway_options.headers()?;
        let tags = check_tags(&self.tags)?;
        let run_query = if tags.is_empty() {
            String::new()
        } else {
            format!("?tags={}", tags.join(","))
        };
        let http = match self.http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| Error::config("could not build the HTTP client").with_source(e))?,
        };
        let hints = Hints {
            api_root: base_url.clone(),
            on_gateway: self.gateway.is_some(),
            token_var: self.token_var,
            known_models: crate::catalog::known_ids,
            kind_of: crate::catalog::builtin_kind,
        };
        Ok(Transport {
            hints,
            on_gateway: self.gateway.is_some(),
            run_base,
            models_url: format!("{base_url}/accounts/{account_id}/ai/models/search"),
            auth,
            http,
            options: self.options,
            check_capabilities: self.check_capabilities.unwrap_or(true),
            log_content: self.log_content,
            headers,
            run_query,
            embedding_concurrency: self.embedding_concurrency.unwrap_or(4),
            metering: self.metering,
        })
    }
}

fn validate_account_id(id: Option<&str>) -> Result<String> {
    let Some(id) = id.map(str::trim) else {
        return Err(Error::config(
            "no Cloudflare account id: set CLOUDFLARE_ACCOUNT_ID (32 hexadecimal characters, \
             shown on the dashboard's Workers AI page)",
        ));
    };
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(id.to_ascii_lowercase());
    }
    let why = if id.is_empty() {
        "it is empty".to_owned()
    } else if id.contains('$') || id.contains('{') {
        "it looks like an unexpanded shell variable".to_owned()
    } else if id.len() >= 35 && id.bytes().any(|b| !b.is_ascii_hexdigit()) {
        "it looks like an API token, not an account id".to_owned()
    } else {
        match id.chars().count() {
            1 => "it has 1 character".to_owned(),
            n => format!("it has {n} characters"),
        }
    };
    Err(Error::config(format!(
        "the Cloudflare account id must be 32 hexadecimal characters; {why}"
    )))
}

fn validate_base_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(url.to_owned()),
        _ => Err(Error::config(format!(
            "the base URL `{url}` is not an http(s) URL"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::ErrorKind;

    const ACCOUNT: &str = "0123456789abcdef0123456789ABCDEF";

    #[test]
    fn account_id_mistakes_are_explained() {
        let cases = [
            (None, "CLOUDFLARE_ACCOUNT_ID"),
            (Some(""), "empty"),
            (Some("${CLOUDFLARE_ACCOUNT_ID}"), "unexpanded"),
            (
                Some("Zx9_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                "API token",
            ),
            (Some("abc"), "3 characters"),
        ];
        for (id, needle) in cases {
            let err = validate_account_id(id).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains(needle), "{}", err.message());
        }
        assert_eq!(
            validate_account_id(Some(ACCOUNT)).unwrap(),
            ACCOUNT.to_ascii_lowercase()
        );
    }

    #[test]
    fn build_checks_token_model_and_url_without_quoting_the_token() {
        let base = || {
            CloudflareBuilder::new()
                .account_id(ACCOUNT)
                .api_token("s3cr3t-token")
        };
        assert!(base().build().is_ok());
        let e = CloudflareBuilder::new()
            .account_id(ACCOUNT)
            .build()
            .unwrap_err();
        assert!(e.message().contains("CLOUDFLARE_API_TOKEN"));
        let e = base().model("  ").build().unwrap_err();
        assert!(e.message().contains("model"));
        let e = base().base_url("ftp://x").build().unwrap_err();
        assert!(e.message().contains("ftp://x"));
        // The former name still sets the same field.
        #[allow(deprecated)]
        let old = base().with_base_url("ftp://y").build().unwrap_err();
        assert!(old.message().contains("ftp://y"));
        let e = CloudflareBuilder::new()
            .account_id(ACCOUNT)
            .api_token("bad\ntoken")
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("bad\ntoken"));
        let client = base().build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", base()).contains("s3cr3t"));
    }

    #[test]
    fn ai_gateway_urls() {
        let b = || {
            CloudflareBuilder::new()
                .account_id(ACCOUNT)
                .api_token("t")
                .model("@cf/meta/llama-3.2-1b-instruct")
        };
        let c = b().ai_gateway("my-gw").build().unwrap();
        assert_eq!(
            c.inner.run_url,
            "https://gateway.ai.cloudflare.com/v1/0123456789abcdef0123456789abcdef/my-gw/workers-ai/@cf/meta/llama-3.2-1b-instruct"
        );
        assert!(c.inner.transport.models_url.starts_with(DEFAULT_BASE_URL));
        let c = b()
            .ai_gateway_at("http://127.0.0.1:9/v1/", "g")
            .build()
            .unwrap();
        assert!(c
            .inner
            .run_url
            .starts_with("http://127.0.0.1:9/v1/0123456789abcdef0123456789abcdef/g/workers-ai/"));
        let e = b().ai_gateway("bad/id").build().unwrap_err();
        assert!(e.message().contains("AI Gateway"));
    }

    #[test]
    fn urls_keep_the_model_unescaped() {
        let client = CloudflareBuilder::new()
            .account_id(ACCOUNT)
            .api_token("t")
            .base_url("http://127.0.0.1:9/client/v4/")
            .model("@cf/meta/llama-3.2-3b-instruct")
            .build()
            .unwrap();
        assert_eq!(
            client.inner.run_url,
            "http://127.0.0.1:9/client/v4/accounts/0123456789abcdef0123456789abcdef/ai/run/@cf/meta/llama-3.2-3b-instruct"
        );
    }
}
