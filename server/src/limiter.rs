//! Failed-login rate limiting: the 6th failure within the window, per account and separately per
//! client address, is refused with 429 until the oldest failure leaves the window.
//!
//! Kept in memory, so with several replicas each counts its own failures (an attacker spreading
//! attempts over N replicas gets N times the budget); the window and threshold stay small enough that
//! this is still a hard brake.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failure timestamps per key.
pub struct RateLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Allows `max_failures` failures per key within `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when any of `keys` has used up its failures.
    pub fn blocked(&self, keys: &[&str], now: Instant) -> Option<u64> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.iter()
            .filter_map(|key| {
                let times = failures.get_mut(*key)?;
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                let oldest = *times.front()?;
                (times.len() >= self.max_failures)
                    .then(|| (self.window - now.duration_since(oldest)).as_secs().max(1))
            })
            .max()
    }

    /// Records a failure under each of `keys`.
    pub fn record_failure(&self, keys: &[&str], now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > 100_000 {
            // Bound memory under a flood of distinct keys: forget windows that have passed.
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for key in keys {
            failures
                .entry((*key).to_owned())
                .or_default()
                .push_back(now);
        }
    }

    /// Forgets an account's failures after a successful login.
    pub fn clear(&self, key: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_in_the_window_is_blocked_until_the_oldest_expires() {
        let limiter = RateLimiter::new(5, Duration::from_secs(300));
        let start = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.blocked(&["a"], start), None, "attempt {i}");
            limiter.record_failure(&["a"], start);
        }
        assert!(
            limiter
                .blocked(&["a"], start)
                .is_some_and(|s| s > 0 && s <= 300)
        );
        assert_eq!(
            limiter.blocked(&["b"], start),
            None,
            "other keys are separate"
        );
        assert_eq!(
            limiter.blocked(&["a"], start + Duration::from_secs(300)),
            None
        );
    }
}
