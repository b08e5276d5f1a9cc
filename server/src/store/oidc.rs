//! OpenID Connect (SPEC §14): authorization requests in flight, the (issuer, `sub`) → account
//! links, and which sessions a provider signed in.

use sqlx::{AnyConnection, Row};

use super::{StoreError, Tx};

/// An authorization request in flight.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// SHA-256 of `state`.
    pub state_hash: String,
    /// SHA-256 of the browser's `lanyard_oidc` cookie.
    pub browser_hash: String,
    /// The provider's slug.
    pub provider: String,
    /// The nonce sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// Where to go afterwards (already checked).
    pub return_to: String,
    /// An admin's Test sign-in: reported, nobody signed in.
    pub dry_run: bool,
    /// Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for PendingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The nonce and verifier are secrets while the request is open.
        f.debug_struct("PendingRequest")
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Stores a request (autocommit: the browser is redirected right after).
pub async fn save_request(
    conn: &mut AnyConnection,
    request: &PendingRequest,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oidc_requests (state_hash, browser_hash, provider, nonce, verifier, return_to, \
         dry_run, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&request.state_hash)
    .bind(&request.browser_hash)
    .bind(&request.provider)
    .bind(&request.nonce)
    .bind(&request.verifier)
    .bind(&request.return_to)
    .bind(i64::from(request.dry_run))
    .bind(request.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the request stored under `state_hash` out: whatever happens next, it is never found again
/// (one use, also across replicas: one statement deletes and returns it).
pub async fn take_request(
    conn: &mut AnyConnection,
    state_hash: &str,
) -> Result<Option<PendingRequest>, StoreError> {
    let row = sqlx::query(
        "DELETE FROM oidc_requests WHERE state_hash = $1 RETURNING state_hash, browser_hash, \
         provider, nonce, verifier, return_to, dry_run, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(PendingRequest {
        state_hash: row.try_get("state_hash")?,
        browser_hash: row.try_get("browser_hash")?,
        provider: row.try_get("provider")?,
        nonce: row.try_get("nonce")?,
        verifier: row.try_get("verifier")?,
        return_to: row.try_get("return_to")?,
        dry_run: row.try_get::<i64, _>("dry_run")? != 0,
        expires_at: row.try_get("expires_at")?,
    }))
}

/// Drops requests that expired before `now`.
pub async fn prune_requests(conn: &mut AnyConnection, now: i64) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM oidc_requests WHERE expires_at < $1")
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The account linked to (issuer, `sub`), with its email.
pub async fn linked_account(
    tx: &mut Tx,
    issuer: &str,
    subject: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.email FROM user_identities i JOIN users u ON u.id = i.user_id \
         WHERE i.issuer = $1 AND i.subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|row| Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get("email")?)))
        .transpose()?)
}

/// The account holding `email`, and whether an identity of `issuer` other than `subject` is
/// linked to it.
pub async fn email_holder(
    tx: &mut Tx,
    email: &str,
    issuer: &str,
    subject: &str,
) -> Result<Option<(i64, bool)>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, (SELECT COUNT(*) FROM user_identities i WHERE i.user_id = u.id \
         AND i.issuer = $2 AND i.subject <> $3) AS others FROM users u WHERE u.email = $1",
    )
    .bind(email)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|row| Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get::<i64, _>("others")? > 0)))
        .transpose()?)
}

/// Links (issuer, `sub`) to `user`.
pub async fn link(
    tx: &mut Tx,
    identity: (&str, &str),
    user: i64,
    provider: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO user_identities (issuer, subject, user_id, provider, linked_at, last_login) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(identity.0)
    .bind(identity.1)
    .bind(user)
    .bind(provider)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a sign-in of (issuer, `sub`).
pub async fn touch(tx: &mut Tx, identity: (&str, &str), now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE user_identities SET last_login = $1 WHERE issuer = $2 AND subject = $3")
        .bind(now)
        .bind(identity.0)
        .bind(identity.1)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Changes a linked account's email to the provider's (the caller checked nobody else holds it).
pub async fn update_email(tx: &mut Tx, user: i64, email: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A session a provider signed in.
#[derive(Debug, Clone, Copy)]
pub struct OidcSessionRow<'a> {
    /// The session's token hash.
    pub token_hash: &'a str,
    /// The provider's slug.
    pub provider: &'a str,
    /// The ID token's `sub`.
    pub subject: &'a str,
    /// The ID token's `sid`, when it has one.
    pub sid: Option<&'a str>,
    /// The ID token (the `id_token_hint` at logout).
    pub id_token: &'a str,
}

/// Notes that a provider signed this session in.
pub async fn record_session(tx: &mut Tx, row: OidcSessionRow<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oidc_sessions (token_hash, provider, subject, sid, id_token) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.token_hash)
    .bind(row.provider)
    .bind(row.subject)
    .bind(row.sid)
    .bind(row.id_token)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The provider and ID token of a session a provider signed in.
pub async fn session_provider(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT provider, id_token FROM oidc_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    Ok(row
        .map(|row| Ok::<_, sqlx::Error>((row.try_get("provider")?, row.try_get("id_token")?)))
        .transpose()?)
}

/// Ends the sessions a provider signed in for `sid` (when given) or else for `sub`; returns how
/// many ended and whose they were.
pub async fn end_sessions(
    tx: &mut Tx,
    provider: &str,
    sid: Option<&str>,
    subject: Option<&str>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = match (sid, subject) {
        (Some(sid), _) => {
            sqlx::query(
                "SELECT o.token_hash, s.user_id FROM oidc_sessions o \
                 JOIN sessions s ON s.token_hash = o.token_hash \
                 WHERE o.provider = $1 AND o.sid = $2",
            )
            .bind(provider)
            .bind(sid)
            .fetch_all(&mut **tx)
            .await?
        }
        (None, Some(subject)) => {
            sqlx::query(
                "SELECT o.token_hash, s.user_id FROM oidc_sessions o \
                 JOIN sessions s ON s.token_hash = o.token_hash \
                 WHERE o.provider = $1 AND o.subject = $2",
            )
            .bind(provider)
            .bind(subject)
            .fetch_all(&mut **tx)
            .await?
        }
        (None, None) => Vec::new(),
    };
    let mut ended = Vec::new();
    for row in rows {
        let hash: String = row.try_get("token_hash")?;
        let user: i64 = row.try_get("user_id")?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        ended.push((hash, user));
    }
    Ok(ended)
}

/// When each provider last signed someone in (its slug → Unix seconds).
pub async fn last_sign_ins(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT provider, MAX(last_login) AS last FROM user_identities GROUP BY provider",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("provider")?, row.try_get("last")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
