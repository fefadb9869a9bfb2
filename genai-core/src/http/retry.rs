//! When to try again, and how long to wait.

use std::time::{Duration, SystemTime};

use crate::error::Error;

/// How a call retries failures that may succeed later.
///
/// Retries happen only for errors whose [`Error::is_retryable`] is true (429, capacity, 5xx,
/// connection failures), only before any byte of the reply was handed to the caller, and only
/// while the call's overall deadline leaves room for the wait.
///
/// ```
/// use genai_core::http::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default().max_retries(5);
/// assert_eq!(policy.max_retries, 5);
/// assert!(policy.backoff(0) <= Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// The backoff before the first retry; it doubles each time (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest backoff (default 8 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the call (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff (it doubles on each retry, up to the maximum).
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the longest backoff.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the longest `Retry-After` honoured.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// The exponential backoff before retry number `retry` (0-based), with jitter: a random
    /// duration between half and all of `initial * 2^retry`, capped at the maximum.
    pub fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        let half = base / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// How long to wait before retry number `retry` after `err`, or `None` to give up.
    pub fn delay_for(&self, err: &Error, retry: u32) -> Option<Duration> {
        if !err.is_retryable() || retry >= self.max_retries {
            return None;
        }
        match err.retry_after() {
            Some(d) if d > self.max_retry_after => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retry)),
        }
    }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (relative to `now`).
///
/// ```
/// use genai_core::http::parse_retry_after;
/// use std::time::{Duration, SystemTime};
/// assert_eq!(parse_retry_after("3", SystemTime::now()), Some(Duration::from_secs(3)));
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784111778);
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), Some(Duration::from_secs(2)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Duration::try_from_secs_f64(secs).ok();
        }
        return None;
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..100 {
            let b0 = p.backoff(0);
            assert!(b0 >= Duration::from_millis(50) && b0 <= Duration::from_millis(100));
            let b2 = p.backoff(2);
            assert!(b2 >= Duration::from_millis(175) && b2 <= Duration::from_millis(350));
            assert!(p.backoff(40) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn delay_honours_retry_after_and_limits() {
        let p = RetryPolicy::default();
        let limited =
            Error::new(ErrorKind::RateLimited, "x").with_retry_after(Duration::from_secs(3));
        assert_eq!(p.delay_for(&limited, 0), Some(Duration::from_secs(3)));
        assert_eq!(p.delay_for(&limited, 2), None, "attempts used up");
        let too_long =
            Error::new(ErrorKind::RateLimited, "x").with_retry_after(Duration::from_secs(600));
        assert_eq!(p.delay_for(&too_long, 0), None);
        assert_eq!(p.delay_for(&Error::invalid_request("x"), 0), None);
        assert!(p
            .delay_for(&Error::new(ErrorKind::Unavailable, "x"), 1)
            .is_some());
    }

    #[test]
    fn retry_after_date_in_the_past_is_zero() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784111780);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
    }
}
