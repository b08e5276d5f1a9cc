//! The settings document: one row, with a version that replicas poll to notice a save and that
//! saves are checked against (optimistic concurrency, SPEC §4).

use lanyard_core::settings::Settings;
use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

/// The stored settings and their version. A document missing fields gets their defaults.
pub async fn load(conn: &mut AnyConnection) -> Result<(Settings, i64), StoreError> {
    let row = sqlx::query("SELECT document, version FROM settings WHERE id = 1")
        .fetch_one(conn)
        .await?;
    let document: String = row.try_get("document")?;
    let version: i64 = row.try_get("version")?;
    let settings = serde_json::from_str(&document)
        .map_err(|error| StoreError::Database(sqlx::Error::Decode(Box::new(error))))?;
    Ok((settings, version))
}

/// The settings version alone: what replicas poll.
pub async fn version(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM settings WHERE id = 1")
            .fetch_one(conn)
            .await?,
    )
}

/// Stores `settings` over version `based_on` and returns the new version; `VersionConflict` when
/// the stored version is no longer `based_on` (someone saved in between: nothing is written).
pub async fn save(tx: &mut Tx, settings: &Settings, based_on: i64) -> Result<i64, StoreError> {
    let document = serde_json::to_string(settings)
        .map_err(|error| StoreError::Database(sqlx::Error::Encode(Box::new(error))))?;
    let version: Option<i64> = sqlx::query_scalar(
        "UPDATE settings SET document = $1, version = version + 1 WHERE id = 1 AND version = $2 \
         RETURNING version",
    )
    .bind(document)
    .bind(based_on)
    .fetch_optional(&mut **tx)
    .await?;
    version.ok_or(StoreError::VersionConflict)
}
