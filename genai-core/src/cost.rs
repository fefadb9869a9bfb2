//! What a call costs: the catalog's [`Price`] of a model, the [`Cost`] of a reply (reported by
//! the service or estimated from the price and what was used), and the [`Budget`] that caps
//! spending before a request is sent.
//!
//! Workers AI bills in neurons: one neuron is [`USD_PER_NEURON`] dollars ($0.011 per 1,000).
//!
//! ```
//! use genai_core::{Budget, Cost, CostSource, Metered, Price, PriceUnit};
//! let price = Price::new()
//!     .with(PriceUnit::InputTokensPerM, 0.293)
//!     .with(PriceUnit::OutputTokensPerM, 2.253);
//! let cost = price.estimate(&Metered::tokens(43, 3)).unwrap();
//! assert_eq!(cost.source, CostSource::Estimated);
//! assert!((cost.neurons - 1.76).abs() < 0.01);
//!
//! let budget = Budget::usd(0.0001);
//! let charge = budget.reserve(Some(cost.neurons)).unwrap();
//! charge.settle(Some(&cost));
//! assert!(budget.spent_neurons() > 1.7);
//! assert!(budget.reserve(Some(100.0)).is_err());
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// Dollars per neuron: Workers AI sells 1,000 neurons for $0.011.
pub const USD_PER_NEURON: f64 = 0.011 / 1000.0;

/// Where a [`Cost`] figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CostSource {
    /// The service reported it (Workers AI's `cf-ai-neurons` reply header).
    Provider,
    /// Computed from the model's price and what the call used (tokens, tiles, minutes...).
    Estimated,
}

impl CostSource {
    /// The stable name: `provider` or `estimated`.
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Provider => "provider",
            CostSource::Estimated => "estimated",
        }
    }
}

/// What one call (or a sum of calls) cost. Where a reply has `Option<Cost>`, `None` means
/// unknown: never a made-up zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// The cost in neurons.
    pub neurons: f64,
    /// The cost in US dollars (`neurons` x [`USD_PER_NEURON`]).
    pub usd: f64,
    /// Reported or estimated. A sum is `estimated` as soon as one of its parts is.
    pub source: CostSource,
}

impl Cost {
    /// A cost given in neurons.
    ///
    /// ```
    /// let c = genai_core::Cost::from_neurons(1.76, genai_core::CostSource::Provider);
    /// assert!((c.usd - 0.00001936).abs() < 1e-12);
    /// ```
    pub fn from_neurons(neurons: f64, source: CostSource) -> Cost {
        Cost {
            neurons,
            usd: neurons * USD_PER_NEURON,
            source,
        }
    }

    /// A cost given in US dollars.
    pub fn from_usd(usd: f64, source: CostSource) -> Cost {
        Cost {
            neurons: usd / USD_PER_NEURON,
            usd,
            source,
        }
    }

    /// Reads a `cf-ai-neurons` header value (`"1.76"`). `"0"`, which streamed replies carry
    /// whatever they cost, and anything not a finite non-negative number give `None`.
    ///
    /// ```
    /// use genai_core::Cost;
    /// assert!((Cost::from_neurons_header("4.50").unwrap().neurons - 4.5).abs() < 1e-9);
    /// assert!(Cost::from_neurons_header("0").is_none());
    /// assert!(Cost::from_neurons_header("lots").is_none());
    /// ```
    pub fn from_neurons_header(value: &str) -> Option<Cost> {
        let n: f64 = value.trim().parse().ok()?;
        (n.is_finite() && n > 0.0).then(|| Cost::from_neurons(n, CostSource::Provider))
    }

    /// The sum of two costs.
    pub fn plus(self, other: Cost) -> Cost {
        let source = if self.source == CostSource::Provider && other.source == CostSource::Provider
        {
            CostSource::Provider
        } else {
            CostSource::Estimated
        };
        Cost {
            neurons: self.neurons + other.neurons,
            usd: self.usd + other.usd,
            source,
        }
    }

    /// The total of several known costs, `None` when there is none. An unknown part makes the
    /// whole unknown: use [`CostTotal`] to keep a total of the known parts and a count of the
    /// unknown ones.
    pub fn sum(costs: impl IntoIterator<Item = Option<Cost>>) -> Option<Cost> {
        let mut total: Option<Cost> = None;
        for c in costs {
            let c = c?;
            total = Some(match total {
                Some(t) => t.plus(c),
                None => c,
            });
        }
        total
    }
}

/// A running total over many calls: the known costs added up, and how many calls had none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTotal {
    /// The sum of the known costs (`None` before the first).
    pub known: Option<Cost>,
    /// How many calls had no known cost.
    pub unknown: u64,
}

impl CostTotal {
    /// Adds one call's cost.
    pub fn add(&mut self, cost: Option<Cost>) {
        match cost {
            Some(c) => self.known = Some(self.known.map_or(c, |t| t.plus(c))),
            None => self.unknown += 1,
        }
    }
}

/// A unit the Workers AI catalog prices a model in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PriceUnit {
    /// `per M input tokens`.
    InputTokensPerM,
    /// `per M output tokens`.
    OutputTokensPerM,
    /// `per M cached input tokens`.
    CachedInputTokensPerM,
    /// `per audio minute`.
    AudioMinute,
    /// `per audio minute (websocket)`: the streaming (websocket) price, not used by HTTP calls.
    AudioMinuteWebsocket,
    /// `per 1k characters` (of text to speak).
    ThousandCharacters,
    /// `per 512 by 512 tile` (of a generated image).
    Tile512,
    /// `per step` (of an image model's diffusion).
    Step,
    /// `per inference request`.
    Request,
}

impl PriceUnit {
    /// Every unit, in catalog order.
    pub const ALL: [PriceUnit; 9] = [
        PriceUnit::InputTokensPerM,
        PriceUnit::OutputTokensPerM,
        PriceUnit::CachedInputTokensPerM,
        PriceUnit::AudioMinute,
        PriceUnit::AudioMinuteWebsocket,
        PriceUnit::ThousandCharacters,
        PriceUnit::Tile512,
        PriceUnit::Step,
        PriceUnit::Request,
    ];

    /// The catalog's wording of this unit.
    pub fn catalog_name(self) -> &'static str {
        match self {
            PriceUnit::InputTokensPerM => "per M input tokens",
            PriceUnit::OutputTokensPerM => "per M output tokens",
            PriceUnit::CachedInputTokensPerM => "per M cached input tokens",
            PriceUnit::AudioMinute => "per audio minute",
            PriceUnit::AudioMinuteWebsocket => "per audio minute (websocket)",
            PriceUnit::ThousandCharacters => "per 1k characters",
            PriceUnit::Tile512 => "per 512 by 512 tile",
            PriceUnit::Step => "per step",
            PriceUnit::Request => "per inference request",
        }
    }

    /// The unit the catalog calls `name` (case and spacing ignored), `None` if unknown.
    ///
    /// ```
    /// use genai_core::PriceUnit;
    /// assert_eq!(PriceUnit::from_catalog("per M input tokens"), Some(PriceUnit::InputTokensPerM));
    /// assert_eq!(PriceUnit::from_catalog("per fortnight"), None);
    /// ```
    pub fn from_catalog(name: &str) -> Option<PriceUnit> {
        let norm = name.split_whitespace().collect::<Vec<_>>().join(" ");
        PriceUnit::ALL
            .into_iter()
            .find(|u| u.catalog_name().eq_ignore_ascii_case(&norm))
    }
}

/// A model's price: US dollars per unit, as the catalog lists it (only the units it lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Price {
    entries: Vec<(PriceUnit, f64)>,
}

impl Price {
    /// A price with no unit yet.
    pub fn new() -> Price {
        Price::default()
    }

    /// Sets the dollars per `unit` (a negative or non-finite figure is ignored).
    pub fn with(mut self, unit: PriceUnit, usd: f64) -> Price {
        if usd.is_finite() && usd >= 0.0 {
            self.entries.retain(|(u, _)| *u != unit);
            self.entries.push((unit, usd));
        }
        self
    }

    /// A price from the catalog's `(unit, USD)` pairs. Units this library does not know are
    /// returned apart, so the caller can say which ones were skipped.
    ///
    /// ```
    /// let (price, unknown) = genai_core::Price::from_catalog([
    ///     ("per M input tokens", 0.35),
    ///     ("per M output tokens", 0.75),
    ///     ("per fortnight", 1.0),
    /// ]);
    /// assert_eq!(price.get(genai_core::PriceUnit::OutputTokensPerM), Some(0.75));
    /// assert_eq!(unknown, ["per fortnight"]);
    /// ```
    pub fn from_catalog<'a>(
        pairs: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> (Price, Vec<&'a str>) {
        let mut price = Price::new();
        let mut unknown = Vec::new();
        for (name, usd) in pairs {
            match PriceUnit::from_catalog(name) {
                Some(unit) => price = price.with(unit, usd),
                None => unknown.push(name),
            }
        }
        (price, unknown)
    }

    /// The dollars per `unit`, when the price has that unit.
    pub fn get(&self, unit: PriceUnit) -> Option<f64> {
        self.entries
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, usd)| *usd)
    }

    /// Every `(unit, USD)` entry.
    pub fn entries(&self) -> &[(PriceUnit, f64)] {
        &self.entries
    }

    /// Whether no unit is priced.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The estimated cost of a call that used `m`. `None` when the price is empty, or when it
    /// charges a unit whose quantity `m` does not know (unknown is not zero). Cached input
    /// tokens are charged at the cached price when both are known, otherwise as input tokens.
    /// The websocket audio price is not used (HTTP calls are billed per audio minute).
    pub fn estimate(&self, m: &Metered) -> Option<Cost> {
        let mut usd = 0.0;
        let mut any = false;
        let cached_price = self.get(PriceUnit::CachedInputTokensPerM);
        for &(unit, price) in &self.entries {
            let amount = match unit {
                PriceUnit::InputTokensPerM => {
                    let input = m.input_tokens? as f64;
                    let cached = match (cached_price, m.cached_input_tokens) {
                        (Some(_), Some(c)) => (c as f64).min(input),
                        _ => 0.0,
                    };
                    (input - cached) / 1e6
                }
                PriceUnit::CachedInputTokensPerM => match m.cached_input_tokens {
                    Some(c) if self.get(PriceUnit::InputTokensPerM).is_some() => {
                        (c as f64).min(m.input_tokens.unwrap_or(c) as f64) / 1e6
                    }
                    _ => continue,
                },
                PriceUnit::OutputTokensPerM => m.output_tokens? as f64 / 1e6,
                PriceUnit::AudioMinute => m.audio_seconds? / 60.0,
                PriceUnit::AudioMinuteWebsocket => continue,
                PriceUnit::ThousandCharacters => m.characters? as f64 / 1000.0,
                PriceUnit::Tile512 => m.tiles? as f64,
                PriceUnit::Step => m.steps? as f64,
                PriceUnit::Request => m.requests as f64,
            };
            usd += amount * price;
            any = true;
        }
        any.then(|| Cost::from_usd(usd, CostSource::Estimated))
    }
}

/// What one call used, in the units models are priced in. `None` = not known.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Metered {
    /// Input tokens (cached ones included).
    pub input_tokens: Option<u64>,
    /// Of the input tokens, those read from the prompt cache.
    pub cached_input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: Option<u64>,
    /// Seconds of audio (transcribed, or spoken).
    pub audio_seconds: Option<f64>,
    /// Characters of text (spoken).
    pub characters: Option<u64>,
    /// 512x512 tiles of a generated image.
    pub tiles: Option<u64>,
    /// Diffusion steps.
    pub steps: Option<u64>,
    /// Requests (1 for one call).
    pub requests: u64,
}

impl Default for Metered {
    fn default() -> Self {
        Metered {
            input_tokens: None,
            cached_input_tokens: None,
            output_tokens: None,
            audio_seconds: None,
            characters: None,
            tiles: None,
            steps: None,
            requests: 1,
        }
    }
}

impl Metered {
    /// One call that read `input` and wrote `output` tokens.
    pub fn tokens(input: u64, output: u64) -> Metered {
        Metered {
            input_tokens: Some(input),
            output_tokens: Some(output),
            ..Metered::default()
        }
    }

    /// One call on `seconds` of audio.
    pub fn audio(seconds: f64) -> Metered {
        Metered {
            audio_seconds: Some(seconds),
            ..Metered::default()
        }
    }

    /// One call on `n` characters of text.
    pub fn characters(n: u64) -> Metered {
        Metered {
            characters: Some(n),
            ..Metered::default()
        }
    }

    /// One image of `width` x `height` pixels made in `steps` steps (`None`: the model's
    /// default, unknown here).
    pub fn image(width: u32, height: u32, steps: Option<u32>) -> Metered {
        Metered {
            tiles: Some(tiles_512(width, height)),
            steps: steps.map(u64::from),
            ..Metered::default()
        }
    }

    /// `n` requests and nothing else known (a model priced per request).
    pub fn requests(n: u64) -> Metered {
        Metered {
            requests: n,
            ..Metered::default()
        }
    }
}

/// How many 512x512 tiles cover an image of `width` x `height` pixels.
///
/// ```
/// assert_eq!(genai_core::tiles_512(1024, 1024), 4);
/// assert_eq!(genai_core::tiles_512(1024, 768), 4);
/// assert_eq!(genai_core::tiles_512(512, 512), 1);
/// ```
pub fn tiles_512(width: u32, height: u32) -> u64 {
    u64::from(width.div_ceil(512).max(1)) * u64::from(height.div_ceil(512).max(1))
}

/// A spending cap shared by every call that holds a clone of it: a client's budget, or one
/// run's (a batch, a scoreboard). Counted in neurons.
///
/// Before a request, the call reserves its worst-case estimate ([`Budget::reserve`]); a call
/// whose worst case exceeds what is left is refused with [`ErrorKind::Budget`] and nothing is
/// sent. After the reply, the [`Charge`] is settled with the real cost; a call whose cost
/// stays unknown keeps its worst case charged.
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Mutex<Account>>,
}

#[derive(Debug)]
struct Account {
    limit: f64,
    spent: f64,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (limit, spent) = self.read(|a| (a.limit, a.spent));
        f.debug_struct("Budget")
            .field("limit_neurons", &limit)
            .field("spent_neurons", &spent)
            .finish()
    }
}

impl Budget {
    /// A budget of `limit` neurons.
    pub fn neurons(limit: f64) -> Budget {
        Budget {
            inner: Arc::new(Mutex::new(Account {
                limit: if limit.is_finite() {
                    limit.max(0.0)
                } else {
                    0.0
                },
                spent: 0.0,
            })),
        }
    }

    /// A budget of `limit` US dollars.
    pub fn usd(limit: f64) -> Budget {
        Budget::neurons(limit / USD_PER_NEURON)
    }

    fn read<T>(&self, f: impl FnOnce(&mut Account) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The cap, in neurons.
    pub fn limit_neurons(&self) -> f64 {
        self.read(|a| a.limit)
    }

    /// What has been spent or reserved so far, in neurons.
    pub fn spent_neurons(&self) -> f64 {
        self.read(|a| a.spent)
    }

    /// What is left, in neurons.
    pub fn remaining_neurons(&self) -> f64 {
        self.read(|a| (a.limit - a.spent).max(0.0))
    }

    /// Whether nothing is left.
    pub fn is_spent(&self) -> bool {
        self.remaining_neurons() <= 0.0
    }

    /// Reserves a call's worst-case cost in neurons. With no estimate (`None`: the model's
    /// price is unknown), the call is let through while anything is left. Refused with
    /// [`ErrorKind::Budget`] when the worst case exceeds what is left.
    pub fn reserve(&self, worst_case_neurons: Option<f64>) -> Result<Charge> {
        self.read(|a| {
            let left = (a.limit - a.spent).max(0.0);
            let refuse = match worst_case_neurons {
                Some(w) => w > left,
                None => left <= 0.0,
            };
            if refuse {
                let wanted = match worst_case_neurons {
                    Some(w) => format!(
                        "could cost up to {w:.4} neurons (${:.8})",
                        w * USD_PER_NEURON
                    ),
                    None => "has an unknown cost".to_owned(),
                };
                return Err(Error::new(
                    ErrorKind::Budget,
                    format!(
                        "the call {wanted}, more than the budget has left: {left:.4} of {:.4} neurons (${:.8} of ${:.8}); nothing was sent",
                        a.limit,
                        left * USD_PER_NEURON,
                        a.limit * USD_PER_NEURON
                    ),
                ));
            }
            let reserved = worst_case_neurons.unwrap_or(0.0);
            a.spent += reserved;
            Ok(Charge {
                budget: self.clone(),
                reserved,
                settled: false,
            })
        })
    }
}

/// A call's reservation against a [`Budget`]. [`settle`](Charge::settle) it with the real
/// cost; dropped unsettled (the call failed or was abandoned), the reservation stays spent
/// unless [`release`](Charge::release) is called because nothing was billed.
#[derive(Debug)]
pub struct Charge {
    budget: Budget,
    reserved: f64,
    settled: bool,
}

impl Charge {
    /// Replaces the reservation with the real cost; with `None` (unknown) the reservation
    /// stays as the charge.
    pub fn settle(mut self, cost: Option<&Cost>) {
        if let Some(c) = cost {
            let reserved = self.reserved;
            self.budget
                .read(|a| a.spent = (a.spent - reserved + c.neurons).max(0.0));
        }
        self.settled = true;
    }

    /// Gives the reservation back: the call was refused before the service did any work.
    pub fn release(mut self) {
        let reserved = self.reserved;
        self.budget
            .read(|a| a.spent = (a.spent - reserved).max(0.0));
        self.settled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_example_estimates_the_header() {
        let price = Price::from_catalog([
            ("per M input tokens", 0.293),
            ("per M output tokens", 2.253),
        ])
        .0;
        let c = price.estimate(&Metered::tokens(43, 3)).unwrap();
        assert!((c.neurons - 1.7598).abs() < 1e-3, "{c:?}");
        assert!((c.usd - 0.000019358).abs() < 1e-12);
    }

    #[test]
    fn unknown_quantities_make_unknown_costs() {
        let price = Price::new().with(PriceUnit::OutputTokensPerM, 1.0);
        let mut m = Metered::tokens(1, 1);
        m.output_tokens = None;
        assert!(price.estimate(&m).is_none());
        assert!(Price::new().estimate(&Metered::tokens(1, 1)).is_none());
    }

    #[test]
    fn every_unit_prices_its_quantity() {
        let cases = [
            (PriceUnit::AudioMinute, Metered::audio(30.0), 0.5),
            (
                PriceUnit::ThousandCharacters,
                Metered::characters(2500),
                2.5,
            ),
            (PriceUnit::Tile512, Metered::image(1024, 1024, None), 4.0),
            (PriceUnit::Step, Metered::image(512, 512, Some(8)), 8.0),
            (PriceUnit::Request, Metered::requests(1), 1.0),
        ];
        for (unit, m, want) in cases {
            let c = Price::new().with(unit, 1.0).estimate(&m).unwrap();
            assert!((c.usd - want).abs() < 1e-12, "{unit:?}: {c:?}");
        }
        // The websocket audio price does not apply to HTTP calls.
        let ws = Price::new().with(PriceUnit::AudioMinuteWebsocket, 1.0);
        assert!(ws.estimate(&Metered::audio(60.0)).is_none());
        // Cached tokens at the cached price.
        let p = Price::new()
            .with(PriceUnit::InputTokensPerM, 1.0)
            .with(PriceUnit::CachedInputTokensPerM, 0.5);
        let mut m = Metered::tokens(1_000_000, 0);
        m.cached_input_tokens = Some(500_000);
        assert!((p.estimate(&m).unwrap().usd - 0.75).abs() < 1e-12);
    }

    #[test]
    fn budgets_reserve_settle_and_refuse() {
        let b = Budget::neurons(10.0);
        let c = b.reserve(Some(6.0)).unwrap();
        assert!((b.remaining_neurons() - 4.0).abs() < 1e-9);
        let e = b.reserve(Some(5.0)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Budget);
        assert!(!e.is_retryable());
        c.settle(Some(&Cost::from_neurons(1.0, CostSource::Provider)));
        assert!((b.spent_neurons() - 1.0).abs() < 1e-9);
        b.reserve(Some(5.0)).unwrap().release();
        assert!((b.spent_neurons() - 1.0).abs() < 1e-9);
        drop(b.reserve(Some(9.0)).unwrap());
        assert!(b.is_spent());
        assert!(b.reserve(None).is_err());
    }

    #[test]
    fn totals_keep_unknowns_apart() {
        let mut t = CostTotal::default();
        t.add(Some(Cost::from_neurons(1.0, CostSource::Provider)));
        t.add(None);
        t.add(Some(Cost::from_neurons(2.0, CostSource::Estimated)));
        let k = t.known.unwrap();
        assert_eq!(
            (k.neurons, k.source, t.unknown),
            (3.0, CostSource::Estimated, 1)
        );
        assert!(Cost::sum([Some(Cost::from_neurons(1.0, CostSource::Provider)), None]).is_none());
    }
}
