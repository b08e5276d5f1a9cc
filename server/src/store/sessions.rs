//! Sessions (only the SHA-256 of each token is stored) and the replay cache of used tokens.

use sqlx::AnyConnection;

use super::{Store, StoreError};

/// Creates a session for `user` under the hash of its token.
pub async fn create(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a token as used until `expires_at`; `Replayed` when it is recorded already and that
/// record has not expired. One statement: an expired record is simply taken over.
pub async fn remember_token(
    conn: &mut AnyConnection,
    replay_key: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "INSERT INTO replay_cache (replay_key, expires_at) VALUES ($1, $2) \
         ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE replay_cache.expires_at < $3",
    )
    .bind(replay_key)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    if result.rows_affected() == 0 {
        Err(StoreError::Replayed)
    } else {
        Ok(())
    }
}

/// Whether a token with this replay key was used and could still be replayed.
pub async fn is_replayed(
    conn: &mut AnyConnection,
    replay_key: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM replay_cache WHERE replay_key = $1 AND expires_at >= $2")
            .bind(replay_key)
            .bind(now)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

impl Store {
    /// Ends a session (sign-out).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        self.forget_cached_sessions();
        Ok(())
    }

    /// Deletes expired sessions and replay entries; run periodically.
    pub async fn prune(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM replay_cache WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        self.forget_cached_sessions();
        Ok(())
    }
}
