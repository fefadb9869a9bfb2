//! Rate limits: what a reply says about them ([`RateLimit`], from the `ratelimit` /
//! `ratelimit-policy` or `x-ratelimit-*` / `retry-after` headers), and a client-side
//! [`RateLimiter`] that spaces requests so a bulk job stays under a published limit.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The rate-limit state a reply reported. A field is `None` when the reply did not give it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<u32>,
    /// Requests left in the current window.
    pub remaining: Option<u32>,
    /// Seconds until the window resets (or, from `retry-after`, until a retry may succeed).
    pub reset_secs: Option<u32>,
    /// The window's length in seconds.
    pub window_secs: Option<u32>,
}

impl RateLimit {
    /// Reads the rate-limit headers of a reply: the structured `ratelimit` (`"default";r=1199;t=1`)
    /// and `ratelimit-policy` (`"default";q=1200;w=300`) fields, the `x-ratelimit-limit`,
    /// `-remaining` and `-reset` (seconds, or an HTTP date) headers, and `retry-after`
    /// (seconds or an HTTP date) as the reset when nothing else gives it. `None` when the
    /// reply has none of them.
    ///
    /// ```
    /// use genai_core::RateLimit;
    /// use genai_core::http::reqwest::header::{HeaderMap, HeaderValue};
    /// let mut h = HeaderMap::new();
    /// h.insert("ratelimit", HeaderValue::from_static("\"default\";r=1199;t=1"));
    /// h.insert("ratelimit-policy", HeaderValue::from_static("\"default\";q=1200;w=300"));
    /// let rl = RateLimit::from_headers(&h).unwrap();
    /// assert_eq!((rl.limit, rl.remaining, rl.reset_secs, rl.window_secs),
    ///            (Some(1200), Some(1199), Some(1), Some(300)));
    /// assert!(RateLimit::from_headers(&HeaderMap::new()).is_none());
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        RateLimit::from_headers_at(headers, SystemTime::now())
    }

    fn from_headers_at(headers: &HeaderMap, now: SystemTime) -> Option<RateLimit> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let mut rl = RateLimit::default();
        if let Some(v) = get("ratelimit") {
            rl.remaining = param(v, "r");
            rl.reset_secs = param(v, "t");
        }
        if let Some(v) = get("ratelimit-policy") {
            rl.limit = param(v, "q");
            rl.window_secs = param(v, "w");
        }
        let number = |name: &str| get(name).and_then(|v| v.trim().parse::<u32>().ok());
        rl.limit = rl.limit.or_else(|| number("x-ratelimit-limit"));
        rl.remaining = rl.remaining.or_else(|| number("x-ratelimit-remaining"));
        rl.reset_secs = rl
            .reset_secs
            .or_else(|| get("x-ratelimit-reset").and_then(|v| secs_or_date(v, now)))
            .or_else(|| get("retry-after").and_then(|v| secs_or_date(v, now)));
        (rl != RateLimit::default()).then_some(rl)
    }
}

/// The integer value of `key=` in a structured header's first item (`"default";r=1199;t=1`).
fn param(value: &str, key: &str) -> Option<u32> {
    let first = value.split(',').next()?;
    first.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key))
            .then(|| v.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

/// Seconds, or an HTTP date turned into seconds from `now` (rounded up, never negative,
/// at most `u32::MAX`).
fn secs_or_date(value: &str, now: SystemTime) -> Option<u32> {
    let value = value.trim();
    if let Ok(n) = value.parse::<u32>() {
        return Some(n);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let d = at.duration_since(now).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Some(u32::try_from(secs).unwrap_or(u32::MAX))
}

/// A client-side limiter: at most `requests` per `window`, spread evenly (one request every
/// `window / requests`), so bulk work runs at a published limit without bursts that the
/// service would answer with 429. Cheap to clone; clones share the same schedule.
///
/// ```
/// use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let limiter = genai_core::RateLimiter::per_minute(3000);
/// assert_eq!(limiter.interval(), Duration::from_millis(20));
/// let start = tokio::time::Instant::now();
/// for _ in 0..3 { limiter.acquire().await; }
/// assert!(start.elapsed() >= Duration::from_millis(40));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiter {
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

impl RateLimiter {
    /// At most `requests` per `window` (at least one request per window).
    pub fn new(requests: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            interval: window / requests.max(1),
            next: Arc::new(Mutex::new(None)),
        }
    }

    /// At most `rpm` requests a minute.
    pub fn per_minute(rpm: u32) -> RateLimiter {
        RateLimiter::new(rpm, Duration::from_secs(60))
    }

    /// The time between two requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits for this request's turn. A turn is taken only when it has come, and the next
    /// one is an interval after that moment: a task that wakes late never lets the ones after
    /// it catch up in a burst.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut next = self.next.lock().await;
                let now = Instant::now();
                match *next {
                    Some(t) if t > now => t,
                    _ => {
                        *next = Some(now + self.interval);
                        return;
                    }
                }
            };
            tokio::time::sleep_until(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn both_header_styles_parse() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("1200"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("7"));
        let reset = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert("x-ratelimit-reset", HeaderValue::from_str(&reset).unwrap());
        let rl = RateLimit::from_headers_at(&h, now).unwrap();
        assert_eq!(
            (rl.limit, rl.remaining, rl.reset_secs),
            (Some(1200), Some(7), Some(30))
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("12"));
        assert_eq!(
            RateLimit::from_headers_at(&h, now).unwrap().reset_secs,
            Some(12)
        );
        let mut h = HeaderMap::new();
        h.insert("ratelimit", HeaderValue::from_static("garbage;;r=x"));
        assert!(RateLimit::from_headers_at(&h, now).is_none());
    }

    #[tokio::test]
    async fn the_limiter_spaces_requests() {
        let l = RateLimiter::new(10, Duration::from_millis(100));
        let start = Instant::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let l = l.clone();
                tokio::spawn(async move { l.acquire().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let took = start.elapsed();
        // Ten requests: the last one waits nine intervals.
        assert!(took >= Duration::from_millis(90), "{took:?}");
    }
}
