//! What SCIM reads and writes beyond the admin API's queries: users and groups with their SCIM
//! attributes (`externalId`, created and last-changed times) and group members.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{StoreError, Tx, UserRow, flag, users};

/// A user with what SCIM shows besides the user row.
#[derive(Debug, Clone)]
pub struct ScimUserRow {
    /// The user.
    pub user: UserRow,
    /// The IdP's id.
    pub external_id: Option<String>,
    /// The SCIM `userName` when it is not the email.
    pub user_name: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds (the creation time until the first change).
    pub updated_at: i64,
    /// Groups: id and name, by id.
    pub groups: Vec<(i64, String)>,
}

/// A group with its members.
#[derive(Debug, Clone)]
pub struct ScimGroupRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Built in ("All Users", "Administrators").
    pub builtin: bool,
    /// The IdP's id.
    pub external_id: Option<String>,
    /// Unix seconds (0 for groups made before SCIM).
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Members: user id and email, by id.
    pub members: Vec<(i64, String)>,
}

/// Which users a SCIM read wants.
#[derive(Debug, Clone, Copy)]
pub enum UserLookup<'a> {
    /// Every user.
    All,
    /// The user with this id.
    Id(i64),
    /// The user with this (folded) email.
    Email(&'a str),
    /// The user whose SCIM `userName` (not an email) is this, in any letter case.
    UserName(&'a str),
}

/// Users with their groups, by id.
pub async fn users(
    conn: &mut AnyConnection,
    lookup: UserLookup<'_>,
) -> Result<Vec<ScimUserRow>, StoreError> {
    let (only, email, user_name) = match lookup {
        UserLookup::All => (None, None, None),
        UserLookup::Id(id) => (Some(id), None, None),
        UserLookup::Email(email) => (None, Some(email), None),
        UserLookup::UserName(name) => (None, None, Some(name)),
    };
    let rows = sqlx::query(
        "SELECT id, email, first_name, last_name, password_hash, is_active, sso_source, \
         login_attributes, last_login, external_id, scim_user_name, created_at, updated_at \
         FROM users WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR email = $2) \
         AND ($3 IS NULL OR LOWER(scim_user_name) = LOWER($3)) ORDER BY id",
    )
    .bind(only)
    .bind(email)
    .bind(user_name)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let memberships = sqlx::query(
        "SELECT m.user_id, g.id, g.name FROM memberships m JOIN user_groups g ON g.id = m.group_id \
         WHERE ($1 IS NULL OR m.user_id = $1) ORDER BY m.user_id, g.id",
    )
    .bind(if rows.len() == 1 {
        rows[0].try_get::<i64, _>("id").ok()
    } else {
        only
    })
    .fetch_all(conn)
    .await?;
    let mut groups: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for row in &memberships {
        groups
            .entry(row.try_get("user_id")?)
            .or_default()
            .push((row.try_get("id")?, row.try_get("name")?));
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let user = users::from_row(row)?;
        let created_at: i64 = row.try_get("created_at")?;
        out.push(ScimUserRow {
            groups: groups.remove(&user.id).unwrap_or_default(),
            external_id: row.try_get("external_id")?,
            user_name: row.try_get("scim_user_name")?,
            created_at,
            updated_at: row
                .try_get::<Option<i64>, _>("updated_at")?
                .unwrap_or(created_at),
            user,
        });
    }
    Ok(out)
}

/// Groups with their members: one (`only`) or all, by id.
pub async fn groups(
    conn: &mut AnyConnection,
    only: Option<i64>,
) -> Result<Vec<ScimGroupRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, builtin, external_id, created_at, updated_at FROM user_groups \
         WHERE ($1 IS NULL OR id = $1) ORDER BY id",
    )
    .bind(only)
    .fetch_all(&mut *conn)
    .await?;
    let memberships = sqlx::query(
        "SELECT m.group_id, u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE ($1 IS NULL OR m.group_id = $1) ORDER BY m.group_id, u.id",
    )
    .bind(only)
    .fetch_all(conn)
    .await?;
    let mut members: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for row in &memberships {
        members
            .entry(row.try_get("group_id")?)
            .or_default()
            .push((row.try_get("id")?, row.try_get("email")?));
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let created_at = row.try_get::<Option<i64>, _>("created_at")?.unwrap_or(0);
        out.push(ScimGroupRow {
            id,
            name: row.try_get("name")?,
            builtin: row.try_get::<i64, _>("builtin")? != 0,
            external_id: row.try_get("external_id")?,
            created_at,
            updated_at: row
                .try_get::<Option<i64>, _>("updated_at")?
                .unwrap_or(created_at),
            members: members.remove(&id).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// What a SCIM create or replace writes on a user.
#[derive(Debug, Clone, Copy)]
pub struct UserWrite<'a> {
    /// Who (the email folded).
    pub person: super::users::Person<'a>,
    /// The IdP's id.
    pub external_id: Option<&'a str>,
    /// The SCIM `userName` when it is not the email.
    pub user_name: Option<&'a str>,
    /// Active.
    pub active: bool,
}

/// Writes a user's SCIM attributes; [`StoreError::Conflict`] when the email or the `userName` is
/// another user's.
pub async fn write_user(
    tx: &mut Tx,
    id: i64,
    user: &UserWrite<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET email = $1, first_name = $2, last_name = $3, external_id = $4, \
         is_active = $5, updated_at = $6, scim_user_name = $8 WHERE id = $7",
    )
    .bind(user.person.email)
    .bind(user.person.first_name)
    .bind(user.person.last_name)
    .bind(user.external_id)
    .bind(flag(user.active))
    .bind(now)
    .bind(id)
    .bind(user.user_name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a group's name and `externalId`; [`StoreError::Conflict`] when the name is taken.
pub async fn write_group(
    tx: &mut Tx,
    id: i64,
    name: &str,
    external_id: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE user_groups SET name = $1, external_id = $2, updated_at = $3, \
         created_at = COALESCE(created_at, $3) WHERE id = $4",
    )
    .bind(name)
    .bind(external_id)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ids per set-based statement: far below SQLite's and PostgreSQL's limits on bound parameters,
/// large enough that a group of 50,000 members is 50 statements.
const BATCH: usize = 1000;

/// `$first, $first+1, …` for `count` parameters. The statements built with these hold nothing but
/// numbered placeholders (every value is bound), which is why they are `AssertSqlSafe`.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Marks users changed (their groups changed): one statement per batch.
pub async fn touch_users(tx: &mut Tx, ids: &[i64], now: i64) -> Result<(), StoreError> {
    for batch in ids.chunks(BATCH) {
        let sql = format!(
            "UPDATE users SET updated_at = $1 WHERE id IN ({})",
            placeholders(2, batch.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(now);
        for id in batch {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Which of `ids` are users: one statement per batch.
pub async fn existing_users(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for batch in ids.chunks(BATCH) {
        let sql = format!(
            "SELECT id FROM users WHERE id IN ({})",
            placeholders(1, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        for id in batch {
            query = query.bind(id);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Makes `users` members of `group` (those who are stay so): one statement per batch.
pub async fn add_members(tx: &mut Tx, group: i64, users: &[i64]) -> Result<(), StoreError> {
    for batch in users.chunks(BATCH) {
        let rows = (0..batch.len())
            .map(|i| format!("(${}, $1)", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO memberships (user_id, group_id) VALUES {rows} ON CONFLICT DO NOTHING"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(group);
        for user in batch {
            query = query.bind(user);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Takes `users` out of `group`: one statement per batch.
pub async fn remove_members(tx: &mut Tx, group: i64, users: &[i64]) -> Result<(), StoreError> {
    for batch in users.chunks(BATCH) {
        let sql = format!(
            "DELETE FROM memberships WHERE group_id = $1 AND user_id IN ({})",
            placeholders(2, batch.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(group);
        for user in batch {
            query = query.bind(user);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A cheap fingerprint of a group's state: name, `externalId` and its members' count and id sum.
/// A write computed from an earlier read of the group goes ahead only while this is unchanged.
pub async fn group_fingerprint(
    conn: &mut AnyConnection,
    group: i64,
) -> Result<Option<(String, Option<String>, i64, i64)>, StoreError> {
    let row = sqlx::query(
        "SELECT g.name, g.external_id, \
         (SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id) AS members, \
         (SELECT CAST(COALESCE(SUM(m.user_id), 0) AS BIGINT) FROM memberships m WHERE m.group_id = g.id) AS id_sum \
         FROM user_groups g WHERE g.id = $1",
    )
    .bind(group)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok((
            row.try_get("name")?,
            row.try_get("external_id")?,
            row.try_get("members")?,
            row.try_get("id_sum")?,
        ))
    })
    .transpose()
    .map_err(|error: sqlx::Error| StoreError::from(error))
}
