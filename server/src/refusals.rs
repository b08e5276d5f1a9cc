//! Refused machine credentials (SPEC §12): a wrong SCIM bearer token or `X-Api-Key`. Anyone can send
//! them, so they must cost the server nothing lasting: each is counted in `/metrics`, each client
//! address gets [`MAX_REFUSALS`] a minute (further wrong credentials from it get `429` until the
//! window passes; a right one still passes, since behind a proxy every client shares one address),
//! and the audit log gets at most one summary entry a minute per address and credential — how many
//! were refused — never the request's path, headers or credential.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::limiter::{Attempt, RateLimiter};

/// Refusals allowed per address and credential within [`WINDOW`].
pub const MAX_REFUSALS: usize = 10;
/// The window refusals are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// At most one audit summary per address and credential this often, seconds.
pub const SUMMARY_SECONDS: i64 = 60;
/// Addresses remembered for summaries before old ones are forgotten (bounds memory under a flood).
const MAX_ADDRESSES: usize = 100_000;

/// Which credential was refused (its `as_str` is the label in `/metrics` and the audit summary).
pub use lanyard_api::Credential;

/// Refusals since the last summary, and when that was written.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    last_written: Option<i64>,
    refused: u64,
}

/// The per-address limit and the summaries' clock.
pub struct CredentialRefusals {
    limiter: RateLimiter,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Default for CredentialRefusals {
    fn default() -> Self {
        Self {
            limiter: RateLimiter::new(MAX_REFUSALS, WINDOW),
            pending: Mutex::new(HashMap::new()),
        }
    }
}

fn key(credential: Credential, address: Option<&str>) -> String {
    format!("{}|{}", credential.as_str(), address.unwrap_or("unknown"))
}

impl CredentialRefusals {
    /// Counts a refusal from `address` (the returned record stays counted when dropped), or the
    /// seconds to wait when the address has used up its refusals.
    pub fn begin(
        &self,
        credential: Credential,
        address: Option<&str>,
        now: Instant,
    ) -> Result<Attempt<'_>, u64> {
        self.limiter.begin(&[&key(credential, address)], now)
    }

    /// Counts one refusal; answers how many refusals the summary due now covers, or `None` when
    /// one was written less than [`SUMMARY_SECONDS`] ago.
    pub fn summary_due(
        &self,
        credential: Credential,
        address: Option<&str>,
        now: i64,
    ) -> Option<u64> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.len() >= MAX_ADDRESSES {
            pending.retain(|_, entry| {
                entry
                    .last_written
                    .is_some_and(|at| now - at < SUMMARY_SECONDS)
            });
        }
        let entry = pending.entry(key(credential, address)).or_default();
        entry.refused += 1;
        if entry
            .last_written
            .is_some_and(|at| now - at < SUMMARY_SECONDS)
        {
            return None;
        }
        entry.last_written = Some(now);
        Some(std::mem::take(&mut entry.refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_summary_a_minute_per_address_covering_every_refusal_since_the_last() {
        let refusals = CredentialRefusals::default();
        let a = Some("192.0.2.1");
        assert_eq!(refusals.summary_due(Credential::Scim, a, 1000), Some(1));
        for at in 1001..1060 {
            assert_eq!(refusals.summary_due(Credential::Scim, a, at), None);
        }
        // Another address and another credential have summaries of their own.
        assert_eq!(
            refusals.summary_due(Credential::Scim, Some("192.0.2.2"), 1001),
            Some(1)
        );
        assert_eq!(refusals.summary_due(Credential::ApiKey, a, 1001), Some(1));
        assert_eq!(refusals.summary_due(Credential::Scim, a, 1060), Some(60));
    }

    #[test]
    fn the_eleventh_refusal_in_a_minute_is_throttled() {
        let refusals = CredentialRefusals::default();
        let now = Instant::now();
        for _ in 0..MAX_REFUSALS {
            drop(refusals.begin(Credential::ApiKey, Some("192.0.2.1"), now));
        }
        assert!(
            refusals
                .begin(Credential::ApiKey, Some("192.0.2.1"), now)
                .is_err()
        );
        assert!(
            refusals
                .begin(Credential::Scim, Some("192.0.2.1"), now)
                .is_ok()
        );
        assert!(
            refusals
                .begin(Credential::ApiKey, Some("192.0.2.1"), now + WINDOW)
                .is_ok()
        );
    }
}
