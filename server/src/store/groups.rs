//! Groups.

use lanyard_api::Group;
use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// Every group with its member count, by name.
    pub async fn list_groups(&self) -> Result<Vec<Group>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.id, g.name, g.builtin, COUNT(m.user_id) AS members FROM user_groups g \
             LEFT JOIN memberships m ON m.group_id = g.id GROUP BY g.id, g.name, g.builtin ORDER BY g.name",
        )
        .fetch_all(self.pool())
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

    /// Creates a group; `Conflict` when the name is taken.
    pub async fn create_group(&self, name: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("INSERT INTO user_groups (name) VALUES ($1) RETURNING id")
                .bind(name)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Every group id, for validating mappings.
    pub async fn group_ids(&self) -> Result<std::collections::BTreeSet<i64>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM user_groups")
            .fetch_all(self.pool())
            .await?;
        Ok(ids.into_iter().collect())
    }
}

/// Whether a group is built in; `NotFound` when it does not exist.
pub async fn is_builtin(conn: &mut sqlx::AnyConnection, id: i64) -> Result<bool, StoreError> {
    let builtin: Option<i64> = sqlx::query_scalar("SELECT builtin FROM user_groups WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    builtin.map(|b| b != 0).ok_or(StoreError::NotFound)
}

/// Renames a group; `Conflict` when the name is taken.
pub async fn rename(conn: &mut sqlx::AnyConnection, id: i64, name: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE user_groups SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a group and its memberships.
pub async fn delete(conn: &mut sqlx::AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE group_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes every member of a group (the mappings modal's "also remove all members").
pub async fn remove_all_members(conn: &mut sqlx::AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE group_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
