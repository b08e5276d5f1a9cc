//! Failed-login rate limiting (SPEC §3): the 6th attempt within the window, per account and
//! separately per client address, is refused with 429 until the oldest failure leaves the window.
//!
//! An attempt counts from the moment it starts: [`RateLimiter::begin`] checks and records it under
//! one lock, before the slow password check, so 20 guesses sent at once get at most 5 checks.
//! A success takes its own record back ([`Attempt::succeeded`]) and forgets the account's failures.
//!
//! This one is kept in memory: for a SQLite file, which one server owns. On PostgreSQL the same
//! rule runs in the database (`store::login_attempts`), so replicas share one count.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per key within [`WINDOW_SECONDS`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in, seconds.
pub const WINDOW_SECONDS: u64 = 300;

/// Attempt timestamps per key.
pub struct RateLimiter {
    max_failures: usize,
    window: Duration,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// An attempt in progress, counted as a failure unless [`Attempt::succeeded`] is called.
#[must_use = "an attempt counts as a failure unless it succeeded"]
pub struct Attempt<'a> {
    limiter: &'a RateLimiter,
    keys: Vec<String>,
    started: Instant,
}

impl RateLimiter {
    /// Allows `max_failures` failed attempts per key within `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Starts an attempt under every one of `keys`, or refuses it with the seconds to wait when any
    /// key has used up its attempts. The check and the record are one step.
    pub fn begin(&self, keys: &[&str], now: Instant) -> Result<Attempt<'_>, u64> {
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let blocked = keys
            .iter()
            .filter_map(|key| {
                let times = attempts.get_mut(*key)?;
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
            .max();
        if let Some(retry_after) = blocked {
            return Err(retry_after);
        }
        if attempts.len() > 100_000 {
            // Bound memory under a flood of distinct keys: forget windows that have passed.
            attempts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for key in keys {
            attempts
                .entry((*key).to_owned())
                .or_default()
                .push_back(now);
        }
        Ok(Attempt {
            limiter: self,
            keys: keys.iter().map(|key| (*key).to_owned()).collect(),
            started: now,
        })
    }
}

impl Attempt<'_> {
    /// The attempt succeeded: it no longer counts, and the first key's (the account's) earlier
    /// failures are forgotten.
    pub fn succeeded(self) {
        let mut attempts = self
            .limiter
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (index, key) in self.keys.iter().enumerate() {
            let Some(times) = attempts.get_mut(key) else {
                continue;
            };
            if index == 0 {
                times.clear();
            } else if let Some(position) = times.iter().position(|t| *t == self.started) {
                times.remove(position);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused_until_the_oldest_expires() {
        let limiter = RateLimiter::new(5, Duration::from_secs(300));
        let start = Instant::now();
        // Five attempts in flight at once: none has failed yet, all count.
        let in_flight: Vec<_> = (0..5)
            .map(|i| {
                limiter
                    .begin(&["a"], start)
                    .unwrap_or_else(|_| panic!("{i}"))
            })
            .collect();
        assert!(
            limiter
                .begin(&["a"], start)
                .is_err_and(|s| s > 0 && s <= 300)
        );
        assert!(
            limiter.begin(&["b"], start).is_ok(),
            "other keys are separate"
        );
        drop(in_flight);
        assert!(
            limiter
                .begin(&["a"], start + Duration::from_secs(300))
                .is_ok()
        );
    }

    #[test]
    fn a_success_takes_its_attempt_back_and_clears_the_account() {
        let limiter = RateLimiter::new(2, Duration::from_secs(300));
        let now = Instant::now();
        drop(limiter.begin(&["account", "ip"], now).ok());
        limiter
            .begin(&["account", "ip"], now)
            .map(Attempt::succeeded)
            .ok();
        // The account starts over; the address keeps its one failure.
        assert!(limiter.begin(&["account"], now).is_ok());
        assert!(limiter.begin(&["account"], now).is_ok());
        assert!(limiter.begin(&["ip"], now).is_ok());
        assert!(limiter.begin(&["ip"], now).is_err());
    }
}
