//! Groups.

use std::collections::BTreeSet;

use lanyard_api::Group;
use lanyard_core::impact::SsoMember;
use sqlx::{AnyConnection, Row};

use super::{Backend, StoreError, Tx};

/// Every group with its member count, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Group>, StoreError> {
    let rows = sqlx::query(
        "SELECT g.id, g.name, g.builtin, COUNT(m.user_id) AS members FROM user_groups g \
         LEFT JOIN memberships m ON m.group_id = g.id GROUP BY g.id, g.name, g.builtin ORDER BY g.name",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Group {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                builtin: row.try_get::<i64, _>("builtin")? != 0,
                member_count: row.try_get("members")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Every group's id and name, by name: what a request needs, without [`list`]'s member counts (a
/// scan of every membership).
pub async fn names(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, name FROM user_groups ORDER BY name")
            .fetch_all(conn)
            .await?,
    )
}

/// Every group id, for validating mappings.
pub async fn ids(conn: &mut AnyConnection) -> Result<BTreeSet<i64>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM user_groups")
        .fetch_all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Creates a group; `Conflict` when the name is taken.
pub async fn create(tx: &mut Tx, name: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("INSERT INTO user_groups (name) VALUES ($1) RETURNING id")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Whether a group is built in; `NotFound` when it does not exist.
pub async fn is_builtin(conn: &mut AnyConnection, id: i64) -> Result<bool, StoreError> {
    let builtin: Option<i64> = sqlx::query_scalar("SELECT builtin FROM user_groups WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    builtin.map(|b| b != 0).ok_or(StoreError::NotFound)
}

/// Renames a group; `Conflict` when the name is taken.
pub async fn rename(tx: &mut Tx, id: i64, name: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE user_groups SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes a group and its memberships.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<u64, StoreError> {
    let members = remove_all_members(tx, id).await?;
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(members)
}

/// Removes every member of a group (the mappings modal's "also remove all members"); how many
/// there were.
pub async fn remove_all_members(tx: &mut Tx, id: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM memberships WHERE group_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected())
}

/// Every SSO user whose last login carried a groups claim, with their memberships: what the mapping
/// preview and `apply_now` plan from (SPEC §10). One query, however many users.
pub async fn sso_members(
    conn: &mut AnyConnection,
    backend: Backend,
    source: &str,
) -> Result<Vec<SsoMember>, StoreError> {
    // One row per user, memberships folded into a list: a row per membership would triple the
    // rows the driver decodes. The folding function is the one thing the two backends spell apart.
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT u.id, u.email, u.is_active, u.jwt_groups, \
             (SELECT group_concat(m.group_id) FROM memberships m WHERE m.user_id = u.id) AS group_ids \
             FROM users u WHERE u.sso_source = $1 AND u.jwt_groups IS NOT NULL ORDER BY u.id"
        }
        Backend::Postgres => {
            "SELECT u.id, u.email, u.is_active, u.jwt_groups, \
             (SELECT string_agg(CAST(m.group_id AS TEXT), ',') FROM memberships m WHERE m.user_id = u.id) \
             AS group_ids FROM users u WHERE u.sso_source = $1 AND u.jwt_groups IS NOT NULL ORDER BY u.id"
        }
    };
    let rows = sqlx::query(sql).bind(source).fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let groups: String = row.try_get("jwt_groups")?;
            let ids: Option<String> = row.try_get("group_ids")?;
            Ok(SsoMember {
                user_id: row.try_get("id")?,
                email: row.try_get("email")?,
                active: row.try_get::<i64, _>("is_active")? != 0,
                current: ids
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|id| id.trim().parse().ok())
                    .collect::<BTreeSet<i64>>(),
                // Written by lanyard from a validated claim; anything else counts as no claim.
                jwt_groups: serde_json::from_str(&groups).ok(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A group's members as its page lists them, by email: one query.
pub async fn members(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Vec<lanyard_api::GroupMember>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.is_active FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.email",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let first: Option<String> = row.try_get("first_name")?;
            let last: Option<String> = row.try_get("last_name")?;
            let name = [first, last]
                .into_iter()
                .flatten()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            Ok(lanyard_api::GroupMember {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                name: (!name.is_empty()).then_some(name),
                is_active: row.try_get::<i64, _>("is_active")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
