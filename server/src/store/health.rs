//! Whether the database answers, as the last probe found it. While it does not, requests are
//! refused at once with `storage_unavailable` instead of each waiting out the pool's connect
//! retries; requests already waiting for a connection are released the moment a probe finds the
//! database gone. A probe that succeeds again lets everything through: no restart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// How long a probe's `SELECT 1` may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(750);

/// See the module documentation.
#[derive(Debug)]
pub struct Health {
    reachable: watch::Sender<bool>,
    /// Probes overlap (the background one every 250 ms, `/readyz` on demand) and finish out of
    /// order: each takes a ticket when it starts, and a finding counts only if no probe that started
    /// later has reported yet — a probe begun during an outage that times out after the database is
    /// back must not mark it lost again.
    tickets: AtomicU64,
    reported: std::sync::Mutex<u64>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            reachable: watch::Sender::new(true),
            tickets: AtomicU64::new(0),
            reported: std::sync::Mutex::new(0),
        }
    }
}

impl Health {
    /// What the last probe found (true before the first).
    pub fn reachable(&self) -> bool {
        *self.reachable.borrow()
    }

    /// Resolves once a probe finds the database unreachable (at once if it already has).
    pub async fn lost(&self) {
        let mut receiver = self.reachable.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = receiver.wait_for(|reachable| !reachable).await;
    }

    /// A ticket for a probe about to start (see [`Self::report`]).
    pub fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Records the finding of the probe that took `ticket`, unless a probe that started later has
    /// reported already; true when the state changed.
    pub fn report(&self, ticket: u64, reachable: bool) -> bool {
        let mut reported = self
            .reported
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if ticket < *reported {
            return false;
        }
        *reported = ticket;
        self.set(reachable)
    }

    /// Records a finding; true when it changed.
    pub fn set(&self, reachable: bool) -> bool {
        self.reachable.send_if_modified(|current| {
            let changed = *current != reachable;
            *current = reachable;
            changed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_are_released_when_the_database_is_lost_and_only_then() {
        let health = std::sync::Arc::new(Health::default());
        assert!(health.reachable());
        let waiter = tokio::spawn({
            let health = std::sync::Arc::clone(&health);
            async move { health.lost().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert!(!health.set(true), "no change");
        assert!(health.set(false));
        waiter.await.expect("released");
        assert!(!health.reachable());
        assert!(health.set(true));
        assert!(health.reachable());
    }

    #[test]
    fn a_probe_that_started_earlier_cannot_overrule_a_later_one() {
        let health = Health::default();
        let during_outage = health.ticket();
        let after_restore = health.ticket();
        assert!(!health.report(after_restore, true), "still reachable");
        assert!(
            !health.report(during_outage, false),
            "too late: a later probe reported"
        );
        assert!(health.reachable());
        let next = health.ticket();
        assert!(health.report(next, false));
        assert!(!health.reachable());
    }
}
