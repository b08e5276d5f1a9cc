//! lanyard's own signing keys for forward-auth assertions (SPEC §13).

use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

/// How long a retired key stays published, in seconds.
pub const RETIRED_KEY_OVERLAP: i64 = 600;

/// One key as stored. `Debug` never prints the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// RFC 7638 thumbprint of its public JWK.
    pub kid: String,
    /// The Ed25519 private key's 32-byte seed, hex.
    pub seed: String,
    /// The public key, base64url.
    pub public_key: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When it stopped signing; `None` for the active key.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// The keys still published at `now`: the active ones first, then newest first.
pub async fn published(conn: &mut AnyConnection, now: i64) -> Result<Vec<KeyRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, seed, public_key, created_at, retired_at FROM assertion_keys \
         WHERE retired_at IS NULL OR retired_at > $1 \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, kid",
    )
    .bind(now - RETIRED_KEY_OVERLAP)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(KeyRow {
                kid: row.try_get("kid")?,
                seed: row.try_get("seed")?,
                public_key: row.try_get("public_key")?,
                created_at: row.try_get("created_at")?,
                retired_at: row.try_get("retired_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Whether an unretired key exists.
pub async fn has_active(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM assertion_keys WHERE retired_at IS NULL LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Retires every active key at `now` (they stay published for [`RETIRED_KEY_OVERLAP`]).
pub async fn retire_active(tx: &mut Tx, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE assertion_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores a new active key.
pub async fn insert(tx: &mut Tx, key: &KeyRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO assertion_keys (kid, seed, public_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(&key.seed)
    .bind(&key.public_key)
    .bind(key.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
