//! API keys (SPEC §12): only each key's SHA-256 is stored.

use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx, flag};

/// An API key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Id.
    pub id: i64,
    /// Name (unique).
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// Acts as an administrator.
    pub is_admin: bool,
    /// Groups it acts as a member of (JSON array text).
    pub group_ids: Vec<i64>,
    /// The creating admin's email.
    pub created_by: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub rotated_at: Option<i64>,
    /// Unix seconds.
    pub last_used_at: Option<i64>,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<ApiKeyRow, sqlx::Error> {
    let groups: String = row.try_get("group_ids")?;
    Ok(ApiKeyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        group_ids: serde_json::from_str(&groups).unwrap_or_default(),
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        rotated_at: row.try_get("rotated_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// A key to create.
#[derive(Debug)]
pub struct NewApiKey<'a> {
    /// Name.
    pub name: &'a str,
    /// SHA-256 of the key, hex.
    pub key_hash: &'a str,
    /// The key's first characters.
    pub prefix: &'a str,
    /// Acts as an administrator.
    pub is_admin: bool,
    /// Groups.
    pub group_ids: &'a [i64],
    /// The creating admin.
    pub created_by: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// Creates a key; [`StoreError::Conflict`] when the name is taken.
pub async fn insert(tx: &mut Tx, key: &NewApiKey<'_>) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO api_keys (name, key_hash, prefix, is_admin, group_ids, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(key.name)
    .bind(key.key_hash)
    .bind(key.prefix)
    .bind(flag(key.is_admin))
    .bind(serde_json::to_string(key.group_ids).unwrap_or_else(|_| "[]".into()))
    .bind(key.created_by)
    .bind(key.now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Every key, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<ApiKeyRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, prefix, is_admin, group_ids, created_by, created_at, rotated_at, last_used_at \
         FROM api_keys ORDER BY name",
    )
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The query for the key rows matching `$where` (a static string, so the SQL stays static).
macro_rules! select_key {
    ($where:literal) => {
        concat!(
            "SELECT id, name, prefix, is_admin, group_ids, created_by, created_at, rotated_at, ",
            "last_used_at FROM api_keys WHERE ",
            $where
        )
    };
}

/// Which key to read.
#[derive(Debug, Clone, Copy)]
pub enum KeyLookup<'a> {
    /// By its id.
    Id(i64),
    /// By the hash of the key presented.
    Hash(&'a str),
}

/// The key `lookup` names, if any.
pub async fn find(
    conn: &mut AnyConnection,
    lookup: KeyLookup<'_>,
) -> Result<Option<ApiKeyRow>, StoreError> {
    let query = match lookup {
        KeyLookup::Id(id) => sqlx::query(select_key!("id = $1")).bind(id),
        KeyLookup::Hash(hash) => sqlx::query(select_key!("key_hash = $1")).bind(hash),
    };
    let row = query.fetch_optional(conn).await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Replaces key `id` with a new one; [`StoreError::NotFound`] when there is no such key.
pub async fn rotate(
    tx: &mut Tx,
    id: i64,
    key_hash: &str,
    prefix: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE api_keys SET key_hash = $1, prefix = $2, rotated_at = $3 WHERE id = $4",
    )
    .bind(key_hash)
    .bind(prefix)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    found(&done)
}

/// Deletes key `id`; [`StoreError::NotFound`] when there is no such key.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM api_keys WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    found(&done)
}

/// [`StoreError::NotFound`] when a statement on one key touched none.
fn found(done: &sqlx::any::AnyQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Records a use.
pub async fn touch(tx: &mut Tx, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
