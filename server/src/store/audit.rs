//! The audit log: who did what, when, from where. Secrets never reach it (callers pass redacted details).

use sqlx::AnyConnection;

use super::{Store, StoreError};

/// One entry to write.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// What happened, e.g. `"sso_login"`.
    pub event: &'a str,
    /// Who did it, or who tried.
    pub actor_email: Option<&'a str>,
    /// The client address.
    pub ip: Option<&'a str>,
    /// Details as a JSON object (already redacted).
    pub details: serde_json::Value,
    /// Unix seconds.
    pub at: i64,
}

/// Writes an entry inside the caller's transaction.
pub async fn record(conn: &mut AnyConnection, entry: &AuditEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, event, actor_email, ip, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.at)
    .bind(entry.event)
    .bind(entry.actor_email)
    .bind(entry.ip)
    .bind(entry.details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Writes an entry on its own (failures are audited outside the login's transaction, which they
    /// roll back).
    pub async fn audit(&self, entry: &AuditEvent<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        record(&mut conn, entry).await
    }
}
