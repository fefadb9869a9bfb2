//! Cost, budgets and rate limits of Workers AI calls: the price a call is estimated with, the
//! budget reservation before it, what its reply's headers say after it, and the client-side
//! limiter that paces it. Every operation goes through [`Metering`] on the transport.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use genai_core::http::reqwest::header::HeaderMap;
use genai_core::{Budget, Charge, Cost, Metered, ModelKind, Price, RateLimit, RateLimiter, Result};

use crate::prices::built_in_price;

/// The reply header with what a synchronous call cost, in neurons (`"0"` on streams).
pub(crate) const NEURONS_HEADER: &str = "cf-ai-neurons";

/// What a call without `max_tokens` is assumed to write at most, for a budget's worst case,
/// on a model whose service default is not known.
pub(crate) const WORST_CASE_OUTPUT_TOKENS: u64 = 8192;

/// The account-wide metering state, shared by every model handle of one client.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metering {
    /// The spending cap, when one is set.
    pub(crate) budget: Option<Budget>,
    /// The live catalog's prices, once it has been listed: they override the built-in ones.
    pub(crate) prices: Arc<RwLock<HashMap<String, Price>>>,
    /// The caller's own prices, which override everything else.
    pub(crate) overrides: Arc<HashMap<String, Price>>,
    /// Client-side pacing at the published per-task limits, when enabled.
    pub(crate) limiter: Option<Arc<Limiters>>,
    /// Synchronous calls ask the service to fail at once when it is out of capacity.
    pub(crate) reject_if_busy: bool,
}

impl Metering {
    /// The price of `model`: the caller's, else the catalog's, else the built-in one.
    pub(crate) fn price(&self, model: &str) -> Option<Price> {
        if let Some(p) = self.overrides.get(model) {
            return Some(p.clone());
        }
        let overlay = self
            .prices
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(model)
            .cloned();
        overlay.or_else(|| built_in_price(model))
    }

    /// Sets the caller's price of `model`.
    pub(crate) fn override_price(&mut self, model: String, price: Price) {
        Arc::make_mut(&mut self.overrides).insert(model, price);
    }

    /// Sets prices that take precedence over the built-in ones.
    pub(crate) fn set_prices(&self, prices: impl IntoIterator<Item = (String, Price)>) {
        let mut map = self.prices.write().unwrap_or_else(PoisonError::into_inner);
        for (model, price) in prices {
            if !price.is_empty() {
                map.insert(model, price);
            }
        }
    }

    /// The estimated cost of a call on `model` that used `m`.
    pub(crate) fn estimate(&self, model: &str, m: &Metered) -> Option<Cost> {
        self.price(model)?.estimate(m)
    }

    /// Before a request: reserves the worst case `worst` against the budget (refused with
    /// kind `budget`, nothing sent, when it exceeds what is left), then waits for the
    /// request's turn under the client-side limiter.
    pub(crate) async fn begin(
        &self,
        model: &str,
        kind: ModelKind,
        worst: &Metered,
    ) -> Result<Option<Charge>> {
        let charge = match &self.budget {
            Some(b) => Some(
                b.reserve(self.estimate(model, worst).map(|c| c.neurons))
                    .map_err(|e| e.with_provider(crate::errors::PROVIDER))?,
            ),
            None => None,
        };
        if let Some(l) = &self.limiter {
            l.for_model(model, kind).acquire().await;
        }
        Ok(charge)
    }
}

/// Charges a finished call's cost (its worst case stays charged when the cost is unknown).
pub(crate) fn settle(charge: Option<Charge>, cost: Option<Cost>) {
    if let Some(c) = charge {
        c.settle(cost.as_ref());
    }
}

/// Gives a call's reservation back: the service refused it, nothing was billed.
pub(crate) fn release(charge: Option<Charge>) {
    if let Some(c) = charge {
        c.release();
    }
}

/// What a successful reply's headers say about the call.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplyMeta {
    /// The cost the service reported (`cf-ai-neurons`), when it is not `"0"`.
    pub(crate) reported: Option<Cost>,
    /// The rate-limit headers, when the reply had any.
    pub(crate) rate_limit: Option<RateLimit>,
    /// The service's request id (`cf-ai-req-id`).
    pub(crate) request_id: Option<String>,
    /// The AI Gateway's log id (`cf-aig-log-id`).
    pub(crate) gateway_log_id: Option<String>,
    /// The AI Gateway's cache status (`cf-aig-cache-status`: `HIT`, `MISS`).
    pub(crate) gateway_cache_status: Option<String>,
}

impl ReplyMeta {
    /// Reads the headers of a reply.
    pub(crate) fn of(headers: &HeaderMap) -> ReplyMeta {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        ReplyMeta {
            request_id: text("cf-ai-req-id"),
            gateway_log_id: text("cf-aig-log-id"),
            gateway_cache_status: text("cf-aig-cache-status"),
            reported: headers
                .get(NEURONS_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(Cost::from_neurons_header),
            rate_limit: RateLimit::from_headers(headers),
        }
    }

    /// The call's cost: the one reported, or else `estimate`.
    pub(crate) fn cost(&self, estimate: Option<Cost>) -> Option<Cost> {
        self.reported.or(estimate)
    }
}

/// An upper estimate of the tokens of `bytes` bytes of text in `pieces` pieces (messages,
/// documents): no tokenizer makes more tokens than bytes, and each piece gets room for the
/// template around it.
pub(crate) fn token_ceiling(bytes: usize, pieces: usize) -> u64 {
    bytes as u64 + 16 * pieces as u64 + 64
}

/// The length in seconds of a WAV file, from its header (`None` for anything else).
pub(crate) fn wav_seconds(wav: &[u8]) -> Option<f64> {
    genai_core::Wav::parse(wav).ok()?.seconds()
}

/// A ceiling on the seconds of audio in `bytes` bytes of a compressed file of unknown
/// format: no speech codec in use goes below 8 kbit/s.
pub(crate) fn audio_seconds_ceiling(bytes: u64) -> f64 {
    bytes as f64 / 1000.0
}

/// Workers AI's published requests per minute for `kind` on `model`, when one is published.
pub(crate) fn published_rpm(model: &str, kind: ModelKind) -> Option<u32> {
    // The per-model exceptions first.
    match model {
        "@cf/baai/bge-large-en-v1.5" => return Some(1500),
        "@cf/runwayml/stable-diffusion-v1-5-img2img" => return Some(1500),
        _ => {}
    }
    match kind {
        ModelKind::Chat => Some(300),
        ModelKind::Embedding | ModelKind::ImageClassification | ModelKind::ObjectDetection => {
            Some(3000)
        }
        ModelKind::TextClassification => Some(2000),
        ModelKind::Summarization => Some(1500),
        ModelKind::TextToImage
        | ModelKind::SpeechRecognition
        | ModelKind::ImageToText
        | ModelKind::Translation => Some(720),
        _ => None,
    }
}

/// One limiter per model, each at its task's published rate (or the caller's own rate).
#[derive(Debug, Default)]
pub(crate) struct Limiters {
    /// Requests per minute for every model, instead of the published figures.
    pub(crate) rpm_override: Option<u32>,
    by_model: Mutex<HashMap<String, RateLimiter>>,
}

impl Limiters {
    pub(crate) fn new(rpm_override: Option<u32>) -> Limiters {
        Limiters {
            rpm_override,
            by_model: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter of `model`; a model with no published limit is not paced (an unlimited
    /// limiter would still serialise it, so it gets a very fast one).
    fn for_model(&self, model: &str, kind: ModelKind) -> RateLimiter {
        let mut map = self.by_model.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(model.to_owned())
            .or_insert_with(|| {
                let rpm = self
                    .rpm_override
                    .or_else(|| published_rpm(model, kind))
                    .unwrap_or(u32::MAX);
                RateLimiter::per_minute(rpm)
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::http::reqwest::header::HeaderValue;
    use genai_core::{CostSource, ErrorKind, PriceUnit};

    #[test]
    fn headers_give_the_reported_cost_and_limits() {
        let mut h = HeaderMap::new();
        h.insert(NEURONS_HEADER, HeaderValue::from_static("1.76"));
        h.insert(
            "ratelimit-policy",
            HeaderValue::from_static("\"default\";q=1200;w=300"),
        );
        let meta = ReplyMeta::of(&h);
        let c = meta.cost(None).unwrap();
        assert_eq!(c.source, CostSource::Provider);
        assert!((c.neurons - 1.76).abs() < 1e-9);
        assert_eq!(meta.rate_limit.unwrap().window_secs, Some(300));
        h.insert(NEURONS_HEADER, HeaderValue::from_static("0"));
        let est = Cost::from_neurons(2.0, CostSource::Estimated);
        assert_eq!(ReplyMeta::of(&h).cost(Some(est)), Some(est));
    }

    #[test]
    fn overlay_prices_win_and_published_limits_apply() {
        let m = Metering::default();
        let model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
        assert!(m.price(model).is_some());
        m.set_prices([(model.to_owned(), Price::new().with(PriceUnit::Request, 1.0))]);
        assert_eq!(m.price(model).unwrap().get(PriceUnit::Request), Some(1.0));
        let mut mine = m.clone();
        mine.override_price(model.to_owned(), Price::new().with(PriceUnit::Step, 2.0));
        assert_eq!(mine.price(model).unwrap().get(PriceUnit::Step), Some(2.0));
        assert!(m.price(model).unwrap().get(PriceUnit::Step).is_none());
        assert_eq!(published_rpm(model, ModelKind::Chat), Some(300));
        assert_eq!(
            published_rpm("@cf/baai/bge-large-en-v1.5", ModelKind::Embedding),
            Some(1500)
        );
        assert_eq!(
            published_rpm("@cf/baai/bge-m3", ModelKind::Embedding),
            Some(3000)
        );
    }

    #[tokio::test]
    async fn a_budget_refuses_a_worst_case_it_cannot_cover() {
        let m = Metering {
            budget: Some(Budget::neurons(10.0)),
            ..Metering::default()
        };
        let model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
        let e = m
            .begin(model, ModelKind::Chat, &Metered::tokens(1000, 1000))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Budget);
        let charge = m
            .begin(model, ModelKind::Chat, &Metered::tokens(10, 10))
            .await
            .unwrap();
        assert!(charge.is_some());
    }
}
