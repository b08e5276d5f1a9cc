//! Groups.

use lanyard_api::Group;
use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

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

/// Every group id, for validating mappings.
pub async fn ids(conn: &mut AnyConnection) -> Result<std::collections::BTreeSet<i64>, StoreError> {
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
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    remove_all_members(tx, id).await?;
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes every member of a group (the mappings modal's "also remove all members").
pub async fn remove_all_members(tx: &mut Tx, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE group_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
