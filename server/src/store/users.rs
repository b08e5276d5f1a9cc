//! Users and their memberships.

use sqlx::{AnyConnection, Row};

use super::{ADMINISTRATORS, ALL_USERS, StoreError, Tx, flag};

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Email, ASCII-lowercased.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// argon2id PHC string; `None` for SSO-only users.
    pub password_hash: Option<String>,
    /// Deactivated users cannot sign in.
    pub is_active: bool,
    /// `"jwt"` once the user has signed in through SSO.
    pub sso_source: Option<String>,
    /// Claims kept from the last SSO login, as a JSON object text.
    pub login_attributes: String,
    /// Last sign-in, Unix seconds.
    pub last_login: Option<i64>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("is_active", &self.is_active)
            .field("sso_source", &self.sso_source)
            .finish_non_exhaustive()
    }
}

pub(crate) fn from_row(row: &sqlx::any::AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        password_hash: row.try_get("password_hash")?,
        is_active: row.try_get::<i64, _>("is_active")? != 0,
        sso_source: row.try_get("sso_source")?,
        login_attributes: row.try_get("login_attributes")?,
        last_login: row.try_get("last_login")?,
    })
}

/// The user with this (already folded) email.
pub async fn find_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, email, first_name, last_name, password_hash, is_active, sso_source, \
         login_attributes, last_login FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The SSO user whose last login carried this `sub`.
pub async fn find_by_subject(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, email, first_name, last_name, password_hash, is_active, sso_source, \
         login_attributes, last_login FROM users WHERE sso_subject = $1 ORDER BY id LIMIT 1",
    )
    .bind(subject)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The user with this id.
pub async fn find_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, email, first_name, last_name, password_hash, is_active, sso_source, \
         login_attributes, last_login FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Who a user is: what every write of a user's own attributes sets.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// Email, ASCII-lowercased.
    pub email: &'a str,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
}

/// A user to create.
#[derive(Clone)]
pub struct NewUser<'a> {
    /// Who.
    pub person: Person<'a>,
    /// argon2id hash, or `None` for SSO-only.
    pub password_hash: Option<&'a str>,
    /// `"jwt"` for users created by an SSO login.
    pub sso_source: Option<&'a str>,
    /// Administrator.
    pub is_superuser: bool,
    /// Claims kept from an SSO login (JSON object text); `None` for `{}`.
    pub login_attributes: Option<&'a str>,
    /// Set when the user is created by a login.
    pub last_login: Option<i64>,
    /// The `sub` of the SSO login that creates the user.
    pub sso_subject: Option<&'a str>,
    /// The groups claim (JSON array text) of the SSO login that creates the user.
    pub jwt_groups: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// Creates a user in "All Users" (and "Administrators" when asked); `Conflict` when the email is taken.
pub async fn insert(tx: &mut Tx, user: &NewUser<'_>) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, first_name, last_name, password_hash, sso_source, created_at, \
         login_attributes, last_login, sso_subject, jwt_groups) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(user.person.email)
    .bind(user.person.first_name)
    .bind(user.person.last_name)
    .bind(user.password_hash)
    .bind(user.sso_source)
    .bind(user.now)
    .bind(user.login_attributes.unwrap_or("{}"))
    .bind(user.last_login)
    .bind(user.sso_subject)
    .bind(user.jwt_groups)
    .fetch_one(&mut **tx)
    .await?;
    add_membership(tx, id, ALL_USERS).await?;
    if user.is_superuser {
        add_membership(tx, id, ADMINISTRATORS).await?;
    }
    Ok(id)
}

/// What an SSO login writes on its user.
#[derive(Debug, Clone, Copy)]
pub struct SsoLoginRecord<'a> {
    /// Email, ASCII-lowercased: the user it is.
    pub email: &'a str,
    /// First name; `None` keeps the stored one.
    pub first_name: Option<&'a str>,
    /// Last name; `None` keeps the stored one.
    pub last_name: Option<&'a str>,
    /// Login attributes (JSON object text), replacing the stored ones.
    pub login_attributes: &'a str,
    /// The token's `sub`; `None` keeps the stored one.
    pub subject: Option<&'a str>,
    /// The token's groups claim as a JSON array text; `None` (claim absent) keeps the stored one.
    pub jwt_groups: Option<&'a str>,
    /// How they signed in: `jwt`, or `oidc:{slug}`.
    pub source: &'a str,
}

/// Records an SSO login of an existing user by email: names (only those given), `sso_source`, login
/// attributes, subject and groups claim, last login. Returns the user's id and whether they are
/// active, or `None` when no user has this email. One statement, so a login holds the write lock as
/// briefly as possible. The batched login (`sso_login`) writes the same columns: change both.
pub async fn record_sso_login(
    tx: &mut Tx,
    login: &SsoLoginRecord<'_>,
    now: i64,
) -> Result<Option<(i64, bool)>, StoreError> {
    let row = sqlx::query(
        "UPDATE users SET first_name = COALESCE($1, first_name), last_name = COALESCE($2, last_name), \
         sso_source = $8, login_attributes = $3, last_login = $4, \
         sso_subject = COALESCE($5, sso_subject), jwt_groups = COALESCE($6, jwt_groups) \
         WHERE email = $7 RETURNING id, is_active",
    )
    .bind(login.first_name)
    .bind(login.last_name)
    .bind(login.login_attributes)
    .bind(now)
    .bind(login.subject)
    .bind(login.jwt_groups)
    .bind(login.email)
    .bind(login.source)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|row| {
            Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get::<i64, _>("is_active")? != 0))
        })
        .transpose()?)
}

/// Records a password login.
pub async fn touch_last_login(tx: &mut Tx, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many users exist (first run: none).
pub async fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// How many active administrators exist.
pub async fn active_admin_count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE m.group_id = $1 AND u.is_active = $2",
    )
    .bind(ADMINISTRATORS)
    .bind(flag(true))
    .fetch_one(conn)
    .await?)
}

/// The user's group ids, ascending.
pub async fn group_ids(conn: &mut AnyConnection, id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT group_id FROM memberships WHERE user_id = $1 ORDER BY group_id")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

/// Adds a membership; already being a member is fine.
pub async fn add_membership(tx: &mut Tx, user: i64, group: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memberships (user_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(group)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes a membership; not being a member is fine.
pub async fn remove_membership(tx: &mut Tx, user: i64, group: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND group_id = $2")
        .bind(user)
        .bind(group)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The users whose email or name contains the search pattern `$1` (one condition for the page and
/// its count).
macro_rules! matching_search {
    ($status:literal) => {
        concat!(
            "(LOWER(email) LIKE $1 OR LOWER(COALESCE(first_name, '')) LIKE $1 \
             OR LOWER(COALESCE(last_name, '')) LIKE $1) AND (",
            $status,
            " = 'all' OR (",
            $status,
            " = 'active' AND is_active = 1) OR (",
            $status,
            " = 'deactivated' AND is_active = 0) OR (",
            $status,
            " = 'sso' AND sso_source IS NOT NULL) OR (",
            $status,
            " = 'password' AND password_hash IS NOT NULL) OR (",
            $status,
            " = 'admins' AND EXISTS (SELECT 1 FROM memberships a \
             WHERE a.user_id = users.id AND a.group_id = 2)))"
        )
    };
}

/// One page of users whose email or name contains `search` (case-insensitive), by id, each with
/// their group ids, and how many match in all: one query (the total by a window function, the
/// groups aggregated per row).
pub async fn page(
    conn: &mut AnyConnection,
    search: &str,
    status: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<(UserRow, Vec<i64>)>, i64), StoreError> {
    let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
    let rows = sqlx::query(concat!(
        "SELECT id, email, first_name, last_name, password_hash, is_active, sso_source, login_attributes, \
         last_login, COUNT(*) OVER () AS total, \
         (SELECT string_agg(CAST(m.group_id AS TEXT), ',' ORDER BY m.group_id) FROM memberships m \
          WHERE m.user_id = users.id) AS group_ids \
         FROM users WHERE ",
        matching_search!("$4"),
        " ORDER BY id LIMIT $2 OFFSET $3"
    ),
    )
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .bind(status)
    .fetch_all(&mut *conn)
    .await?;
    let mut total = 0;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        total = row.try_get("total")?;
        let ids: Option<String> = row.try_get("group_ids")?;
        let groups = ids
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect();
        users.push((from_row(row)?, groups));
    }
    if rows.is_empty() && offset > 0 {
        // Past the last page the window has no row to report the total on.
        total = sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM users WHERE ",
            matching_search!("$2")
        ))
        .bind(&pattern)
        .bind(status)
        .fetch_one(conn)
        .await?;
    }
    Ok((users, total))
}

/// Sets the user's password (an argon2id PHC string).
pub async fn set_password(tx: &mut Tx, id: i64, password_hash: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets names and the active flag.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    first_name: Option<&str>,
    last_name: Option<&str>,
    is_active: bool,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET first_name = $1, last_name = $2, is_active = $3 WHERE id = $4")
        .bind(first_name)
        .bind(last_name)
        .bind(flag(is_active))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The active user behind an unexpired session, and when the session expires, in one query.
pub async fn by_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
    used_since: i64,
) -> Result<Option<(UserRow, i64)>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.password_hash, u.is_active, u.sso_source, \
         u.login_attributes, u.last_login, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.is_active = $3 \
         AND COALESCE(s.last_seen, s.created_at) >= $4",
    )
    .bind(token_hash)
    .bind(now)
    .bind(flag(true))
    .bind(used_since)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((from_row(&row)?, row.try_get("expires_at")?)))
}

/// The user's groups as (id, name), by id.
pub async fn groups(conn: &mut AnyConnection, id: i64) -> Result<Vec<(i64, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT g.id, g.name FROM memberships m JOIN user_groups g ON g.id = m.group_id \
         WHERE m.user_id = $1 ORDER BY g.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|row| Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get("name")?)))
        .collect::<Result<_, _>>()?)
}
