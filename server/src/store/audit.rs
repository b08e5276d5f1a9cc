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

/// One page of the log, newest first, and the total count.
pub async fn page(
    conn: &mut AnyConnection,
    limit: i64,
    offset: i64,
) -> Result<(Vec<lanyard_api::AuditEntry>, i64), StoreError> {
    use sqlx::Row;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT id, at, event, actor_email, ip, details FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    let entries = rows
        .iter()
        .map(|row| {
            let details: String = row.try_get("details")?;
            Ok(lanyard_api::AuditEntry {
                id: row.try_get("id")?,
                at: crate::auth::rfc3339(row.try_get("at")?),
                event: row.try_get("event")?,
                actor_email: row.try_get("actor_email")?,
                ip: row.try_get("ip")?,
                details: serde_json::from_str(&details).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((entries, total))
}
