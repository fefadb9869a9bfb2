//! An enforced request rate: at most `limit` model calls in any sliding `window`; calls over
//! it are answered 429 like the service's rate limit. Uses no other emulator module.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The calls admitted during the last window, and how many were refused.
#[derive(Debug)]
pub(crate) struct RateWindow {
    limit: usize,
    window: Duration,
    admitted: Mutex<VecDeque<Instant>>,
    refused: AtomicU64,
}

impl RateWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        RateWindow {
            limit: (limit as usize).max(1),
            window: window.max(Duration::from_millis(1)),
            admitted: Mutex::new(VecDeque::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Whether a call arriving now is within the rate (and if so, counts it).
    pub(crate) fn admit(&self) -> bool {
        let now = Instant::now();
        let mut admitted = self
            .admitted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            admitted.pop_front();
        }
        if admitted.len() >= self.limit {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        admitted.push_back(now);
        true
    }

    /// How many calls were refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_over_the_rate_are_refused() {
        let w = RateWindow::new(3, Duration::from_secs(60));
        assert!(w.admit() && w.admit() && w.admit());
        assert!(!w.admit());
        assert_eq!(w.refused(), 1);
    }
}
