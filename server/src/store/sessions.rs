//! Sessions (only the SHA-256 of each token is stored) and the replay cache of used tokens.

use sqlx::AnyConnection;

use super::{Store, StoreError, flag};

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

/// Records a token as used until `expires_at`; `Replayed` when it was used already. Expired entries
/// are pruned first, so a key can be reused once its token could no longer pass anyway.
pub async fn remember_token(
    conn: &mut AnyConnection,
    replay_key: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM replay_cache WHERE replay_key = $1 AND expires_at < $2")
        .bind(replay_key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO replay_cache (replay_key, expires_at) VALUES ($1, $2)")
        .bind(replay_key)
        .bind(expires_at)
        .execute(conn)
        .await
        .map_err(|error| match StoreError::from(error) {
            StoreError::Conflict => StoreError::Replayed,
            other => other,
        })?;
    Ok(())
}

impl Store {
    /// The user id behind an unexpired session of an active user.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.is_active = $3",
        )
        .bind(token_hash)
        .bind(now)
        .bind(flag(true))
        .fetch_optional(self.pool())
        .await?)
    }

    /// Ends a session (sign-out).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
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
        Ok(())
    }
}
