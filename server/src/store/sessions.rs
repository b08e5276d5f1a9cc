//! Sessions (only the SHA-256 of each token is stored) and the replay cache of used tokens.

use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

/// A session about to be stored for its user: until when, and where it was signed in from (so it
/// is listed with its device before it is ever used again).
#[derive(Debug, Clone, Copy)]
pub struct NewSessionRow<'a> {
    /// The SHA-256 of its token.
    pub token_hash: &'a str,
    /// Created, Unix seconds.
    pub now: i64,
    /// Expires, Unix seconds.
    pub expires_at: i64,
    /// The client's address at sign-in.
    pub client_ip: Option<&'a str>,
    /// The client's `User-Agent` at sign-in.
    pub user_agent: Option<&'a str>,
}

/// Creates `user`'s session under the hash of its token. The batched login (`sso_login`) writes
/// the same columns: change both.
pub async fn create(tx: &mut Tx, user: i64, session: NewSessionRow<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(session.token_hash)
    .bind(user)
    .bind(session.now)
    .bind(session.expires_at)
    .bind(session.client_ip)
    .bind(session.user_agent)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends a session (sign-out).
pub async fn delete(tx: &mut Tx, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One session as "Your sessions" lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The hash of its token (never shown: the API names sessions by [`public_id`]).
    pub token_hash: String,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Last used, Unix seconds (recorded at most once a minute).
    pub last_seen: Option<i64>,
    /// The client's address at last use.
    pub client_ip: Option<String>,
    /// The client's User-Agent at last use.
    pub user_agent: Option<String>,
    /// Expires, Unix seconds.
    pub expires_at: i64,
}

/// The id the API shows for a session: derived from its token's hash, so it names the session
/// without being usable as (or leading back to) the token.
pub fn public_id(token_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(format!("session-id:{token_hash}").as_bytes())[..16])
}

/// The unexpired sessions of `user`, newest first.
pub async fn for_user(
    conn: &mut AnyConnection,
    user: i64,
    now: i64,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT token_hash, created_at, last_seen, client_ip, user_agent, expires_at FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash",
    )
    .bind(user)
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SessionRow {
                token_hash: row.try_get("token_hash")?,
                created_at: row.try_get("created_at")?,
                last_seen: row.try_get("last_seen")?,
                client_ip: row.try_get("client_ip")?,
                user_agent: row.try_get("user_agent")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Records a use of the session: when, from where, with what browser. A use without an address
/// or a `User-Agent` keeps the ones recorded before (SPEC §11: never listed without them when the
/// sign-in had them).
pub async fn touch(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
    client_ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET last_seen = $1, client_ip = COALESCE($2, client_ip), \
         user_agent = COALESCE($3, user_agent) WHERE token_hash = $4",
    )
    .bind(now)
    .bind(client_ip)
    .bind(user_agent)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends every session of `user` but `keep` (a password change keeps the session that made it).
pub async fn delete_others(tx: &mut Tx, user: i64, keep: &str) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

/// Ends every session of `user` (back-channel logout, sign out everywhere); how many there were.
pub async fn delete_for_user(tx: &mut Tx, user: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

/// Records a token as used until `expires_at`, with the session it created; `Replayed` when it is
/// recorded already and that record has not expired. One statement: an expired record is simply
/// taken over. The batched login (`sso_login`) records tokens the same way: change both.
pub async fn remember_token(
    tx: &mut Tx,
    replay_key: &str,
    session_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "INSERT INTO replay_cache (replay_key, expires_at, session_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (replay_key) DO UPDATE SET expires_at = excluded.expires_at, \
         session_hash = excluded.session_hash WHERE replay_cache.expires_at < $4",
    )
    .bind(replay_key)
    .bind(expires_at)
    .bind(session_hash)
    .bind(now)
    .execute(&mut **tx)
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

/// When the used token with this replay key created the session `session_hash` and that session
/// is still valid — the same browser presenting the token again (Refresh, Back) — the session's
/// expiry; otherwise `None`.
pub async fn created_session(
    conn: &mut AnyConnection,
    replay_key: &str,
    session_hash: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT s.expires_at FROM replay_cache r JOIN sessions s ON s.token_hash = r.session_hash \
         WHERE r.replay_key = $1 AND r.session_hash = $2 AND s.expires_at > $3",
    )
    .bind(replay_key)
    .bind(session_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Deletes expired sessions and replay entries.
pub async fn prune(tx: &mut Tx, now: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM replay_cache WHERE expires_at < $1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
