//! Failed-login counters in PostgreSQL, shared by every replica (SPEC §3). Each key's check and
//! record happen under a transaction-scoped advisory lock on that key, so attempts arriving at
//! once on different replicas are counted one after another, from the moment each starts.

use sqlx::Row;

use super::{StoreError, Tx};

/// Starts attempt `id` under every one of `keys` at `now` (seconds): `Ok(Err(retry_after))` when
/// any key already has `max` attempts within `window` seconds, else records it under each key.
/// PostgreSQL only.
pub async fn begin(
    tx: &mut Tx,
    keys: &[&str],
    id: &str,
    now: i64,
    max: i64,
    window: i64,
) -> Result<Result<(), u64>, StoreError> {
    let mut sorted = keys.to_vec();
    // One order for every transaction, so two attempts never wait on each other's locks.
    sorted.sort_unstable();
    for key in &sorted {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(*key)
            .execute(&mut **tx)
            .await?;
    }
    let mut retry_after = None;
    for key in &sorted {
        sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1 AND at <= $2")
            .bind(*key)
            .bind(now - window)
            .execute(&mut **tx)
            .await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS attempts, MIN(at) AS oldest FROM login_attempts WHERE attempt_key = $1",
        )
        .bind(*key)
        .fetch_one(&mut **tx)
        .await?;
        let attempts: i64 = row.try_get("attempts")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        if let (true, Some(oldest)) = (attempts >= max, oldest) {
            let wait = u64::try_from(window - (now - oldest)).unwrap_or(1).max(1);
            retry_after = retry_after.max(Some(wait));
        }
    }
    if let Some(wait) = retry_after {
        return Ok(Err(wait));
    }
    for key in &sorted {
        sqlx::query("INSERT INTO login_attempts (attempt_key, at, attempt) VALUES ($1, $2, $3)")
            .bind(*key)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(Ok(()))
}

/// Attempt `id` succeeded: the account's (`account_key`) attempts are forgotten, and the others
/// take back only this one.
pub async fn succeeded(
    tx: &mut Tx,
    account_key: &str,
    other_keys: &[&str],
    id: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1")
        .bind(account_key)
        .execute(&mut **tx)
        .await?;
    for key in other_keys {
        sqlx::query("DELETE FROM login_attempts WHERE attempt_key = $1 AND attempt = $2")
            .bind(*key)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
