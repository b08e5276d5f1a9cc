//! Whether the database answers, as the last probe found it. While it does not, requests are
//! refused at once with `storage_unavailable` instead of each waiting out the pool's connect
//! retries; requests already waiting for a connection are released the moment a probe finds the
//! database gone. A probe that succeeds again lets everything through: no restart.

use std::time::Duration;

use tokio::sync::watch;

/// How long a probe's `SELECT 1` may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(750);

/// See the module documentation.
#[derive(Debug)]
pub struct Health {
    reachable: watch::Sender<bool>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            reachable: watch::Sender::new(true),
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

    /// Records a probe's finding; true when it changed.
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
}
