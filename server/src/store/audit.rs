//! The audit log: who did what, when, from where. Secrets never reach it: [`record`] redacts every
//! entry's details itself (lanyard-core's `redact_secrets`), whatever the caller passed, and reads
//! redact again, so a row written by an older version is never served with a secret in it.

use lanyard_api::{AuditEntry, AuditEvent, AuditRecord, AuditSource};
use lanyard_core::audit::redact_secrets;
use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

/// One entry to write: what happened with its details, who did it (or tried), from which address.
#[derive(Debug, Clone)]
pub struct AuditRow<'a> {
    /// What happened, typed (a secret has no field in it).
    pub record: &'a AuditRecord,
    /// Who did it, or who tried.
    pub actor_email: Option<&'a str>,
    /// The client address.
    pub ip: Option<&'a str>,
    /// What acted when not a person.
    pub source: Option<&'a AuditSource>,
    /// Unix seconds.
    pub at: i64,
}

/// Writes an entry inside the caller's transaction, its details redacted.
pub async fn record(tx: &mut Tx, entry: AuditRow<'_>) -> Result<(), StoreError> {
    let (event, details) = stored_form(&entry);
    sqlx::query(
        "INSERT INTO audit_log (at, event, actor_email, ip, details, source) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.at)
    .bind(event)
    .bind(entry.actor_email)
    .bind(entry.ip)
    .bind(details)
    .bind(entry.source.map(AuditSource::to_wire))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An entry's `event` and `details` columns as stored: the event's wire string and the details'
/// JSON text, redacted.
pub(super) fn stored_form(entry: &AuditRow<'_>) -> (&'static str, String) {
    // The record has no secret to redact; this stays as the last guard of the log's contract.
    let mut details = entry.record.details();
    redact_secrets(&mut details);
    (entry.record.event().as_str(), details.to_string())
}

/// Which entries a page holds: an event, a person (a lower-case `LIKE` pattern), a time range.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// The event's wire string.
    pub event: Option<&'a str>,
    /// `%part%`, lower-case, matched against the actor, the source and the details.
    pub person: Option<String>,
    /// From (Unix seconds, inclusive).
    pub since: Option<i64>,
    /// Until (Unix seconds, exclusive).
    pub until: Option<i64>,
}

/// The `WHERE` of a [`Selection`] (`$1` event, `$2` person, `$3` since, `$4` until), one text for
/// the page and its count.
macro_rules! selected {
    () => {
        "($1 IS NULL OR event = $1) \
         AND ($2 IS NULL OR LOWER(COALESCE(actor_email, '') || ' ' || COALESCE(source, '') || ' ' || details) LIKE $2) \
         AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)"
    };
}

/// One page of the selected entries, newest first, and how many are selected in all.
pub async fn page(
    conn: &mut AnyConnection,
    selection: &Selection<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), StoreError> {
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM audit_log WHERE ",
        selected!()
    ))
    .bind(selection.event)
    .bind(selection.person.as_deref())
    .bind(selection.since)
    .bind(selection.until)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(concat!(
        "SELECT id, at, event, actor_email, ip, details, source FROM audit_log WHERE ",
        selected!(),
        " ORDER BY id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(selection.event)
    .bind(selection.person.as_deref())
    .bind(selection.since)
    .bind(selection.until)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let event: String = row.try_get("event")?;
        let Some(event) = AuditEvent::parse(&event) else {
            // Written by a newer lanyard sharing this database: shown by the version that knows it.
            continue;
        };
        let details: String = row.try_get("details")?;
        entries.push(AuditEntry {
            id: row.try_get("id")?,
            at: crate::dates::rfc3339(row.try_get("at")?),
            event,
            actor_email: row.try_get("actor_email")?,
            ip: row.try_get("ip")?,
            source: row
                .try_get::<Option<String>, _>("source")?
                .as_deref()
                .and_then(AuditSource::parse),
            details: stored_details(&details),
        });
    }
    Ok((entries, total))
}

/// When `source` last acted (Unix seconds), if ever.
pub async fn last_at(
    conn: &mut AnyConnection,
    source: &AuditSource,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(at) FROM audit_log WHERE source = $1")
            .bind(source.to_wire())
            .fetch_one(conn)
            .await?,
    )
}

/// Sign-in counts per stretch: `(stretch index, succeeded, error code, count)` for the `stretches`
/// stretches of `width` seconds from `since`. Counted by the database, one row per group.
pub async fn sign_in_counts(
    conn: &mut AnyConnection,
    backend: super::Backend,
    since: i64,
    width: i64,
) -> Result<Vec<(i64, bool, Option<String>, i64)>, StoreError> {
    // Reading `code` out of the details is the one thing the two backends spell apart.
    let sql = match backend {
        super::Backend::Sqlite => {
            "SELECT (at - $1) / $2 AS stretch, event, json_extract(details, '$.code') AS code, \
             COUNT(*) AS n FROM audit_log WHERE at >= $1 AND event IN \
             ('sso_login', 'password_login', 'sso_login_failed', 'password_login_failed') \
             GROUP BY stretch, event, code"
        }
        super::Backend::Postgres => {
            "SELECT (at - $1) / $2 AS stretch, event, CAST(details AS json)->>'code' AS code, \
             COUNT(*) AS n FROM audit_log WHERE at >= $1 AND event IN \
             ('sso_login', 'password_login', 'sso_login_failed', 'password_login_failed') \
             GROUP BY stretch, event, code"
        }
    };
    let rows = sqlx::query(sql)
        .bind(since)
        .bind(width)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let event: String = row.try_get("event")?;
            Ok((
                row.try_get("stretch")?,
                !event.ends_with("_failed"),
                row.try_get("code")?,
                row.try_get("n")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// The last entry of `event`: when, and its details.
pub async fn last_of(
    conn: &mut AnyConnection,
    event: AuditEvent,
) -> Result<Option<(i64, serde_json::Value)>, StoreError> {
    let row =
        sqlx::query("SELECT at, details FROM audit_log WHERE event = $1 ORDER BY id DESC LIMIT 1")
            .bind(event.as_str())
            .fetch_optional(conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let details: String = row.try_get("details")?;
    Ok(Some((row.try_get("at")?, stored_details(&details))))
}

/// Stored details as JSON, redacted again (a row may predate the redaction of some secret).
fn stored_details(text: &str) -> serde_json::Value {
    let mut details = serde_json::from_str(text).unwrap_or_default();
    redact_secrets(&mut details);
    details
}

/// How many rows the scrub reads at a time.
const SCRUB_BATCH: i64 = 500;

/// Rewrites every stored entry whose details hold a secret (written by a version before secrets
/// were redacted at the write), a batch of rows at a time; returns how many rows changed. Only rows
/// whose text names a secret field (`…secret":`, `"key":`, …) are read.
pub async fn scrub_secrets(store: &super::Store) -> Result<u64, StoreError> {
    let mut after = 0_i64;
    let mut scrubbed = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id, details FROM audit_log WHERE id > $1 AND (details LIKE '%secret\"%' \
             OR details LIKE '%password\"%' OR details LIKE '%token\"%' OR details LIKE '%\"key\"%' \
             OR details LIKE '%\"jwt\"%' OR details LIKE '%session_id\"%' OR details LIKE '%code_verifier\"%') \
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(SCRUB_BATCH)
        .fetch_all(&mut *store.conn().await?)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(scrubbed);
        };
        after = last.try_get("id")?;
        let mut tx = store.begin().await?;
        for row in &rows {
            let text: String = row.try_get("details")?;
            let Ok(mut details) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if redact_secrets(&mut details) {
                sqlx::query("UPDATE audit_log SET details = $1 WHERE id = $2")
                    .bind(details.to_string())
                    .bind(row.try_get::<i64, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
                scrubbed += 1;
            }
        }
        tx.commit().await?;
    }
}

/// Active people and unexpired sessions (used since `used_since`).
pub async fn counts(
    conn: &mut AnyConnection,
    now: i64,
    used_since: i64,
) -> Result<(i64, i64), StoreError> {
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_active = $1")
        .bind(super::flag(true))
        .fetch_one(&mut *conn)
        .await?;
    let sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE expires_at > $1 AND COALESCE(last_seen, created_at) >= $2",
    )
    .bind(now)
    .bind(used_since)
    .fetch_one(conn)
    .await?;
    Ok((people, sessions))
}
