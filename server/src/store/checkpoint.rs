//! WAL checkpoints on SQLite, off the writers' path. SQLite's own (automatic) checkpoint runs in
//! the commit that crosses its mark — a thousand pages, a few hundred SSO logins — copying the WAL
//! back into the database file and syncing it while every queued writer waits (`group_commit`).
//! Here automatic checkpoints are off (`wal_autocheckpoint = 0`, set on every connection) and a
//! task checkpoints every [`INTERVAL`] on a pooled connection instead. `PASSIVE` never waits for a
//! lock: writers go on appending to the WAL meanwhile, and what a checkpoint cannot copy yet (pages
//! a reader still needs) the next one does. Durability is unchanged: a commit is durable once in
//! the WAL; the checkpoint only moves pages into the main file. The last connection to close
//! (the process ending, `lanyard migrate`) checkpoints whatever is left.

use std::time::Duration;

use sqlx::{AnyPool, Executor};

/// How often the WAL is copied back: about a quarter of a second's writes wait in it.
const INTERVAL: Duration = Duration::from_millis(250);

/// Checkpoints every [`INTERVAL`] until the pool closes.
pub(super) async fn run(pool: AnyPool) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Told once when checkpoints start failing and once when they work again, not every tick.
    let mut failing = false;
    loop {
        ticks.tick().await;
        match pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("WAL checkpoints work again");
            }
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            // The next tick tries again; a database that stays unusable shows in `/readyz`.
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "WAL checkpoint failed");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::store::Store;

    /// A fresh database's schema lands in the WAL (automatic checkpoints are off); the task copies
    /// it into the database file within a few of its intervals, with the store still open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_copied_into_the_database_file_while_the_store_is_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("t.db");
        let store = Store::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        // Polled up to a bound far above the interval: CI machines are busy.
        let deadline = Instant::now() + Duration::from_secs(10);
        while size() < 64 * 1024 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            size() >= 64 * 1024,
            "the database file is still {} bytes: the schema stayed in the WAL",
            size()
        );
    }
}
