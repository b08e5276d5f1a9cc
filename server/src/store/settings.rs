//! The settings document: one row, with a version that replicas poll to notice a save.

use lanyard_core::settings::Settings;
use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// The stored settings and their version. A document missing fields gets their defaults.
    pub async fn load_settings(&self) -> Result<(Settings, i64), StoreError> {
        let row = sqlx::query("SELECT document, version FROM settings WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let document: String = row.try_get("document")?;
        let version: i64 = row.try_get("version")?;
        let settings = serde_json::from_str(&document)
            .map_err(|error| StoreError::Database(sqlx::Error::Decode(Box::new(error))))?;
        Ok((settings, version))
    }

    /// The settings version alone: what replicas poll.
    pub async fn settings_version(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT version FROM settings WHERE id = 1")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Stores `settings` and bumps the version; returns the new version.
    pub async fn save_settings(&self, settings: &Settings) -> Result<i64, StoreError> {
        let document = serde_json::to_string(settings)
            .map_err(|error| StoreError::Database(sqlx::Error::Encode(Box::new(error))))?;
        Ok(sqlx::query_scalar(
            "UPDATE settings SET document = $1, version = version + 1 WHERE id = 1 RETURNING version",
        )
        .bind(document)
        .fetch_one(self.pool())
        .await?)
    }
}
