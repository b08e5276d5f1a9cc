//! Sessions (SPEC §3, §11): each session's last use (recorded at most once a minute, so signed-in
//! requests stay cheap), the idle timeout, "Your sessions" with ending one or all others, an
//! admin ending all of a user's sessions, and password changes, which end the other sessions.

use lanyard_api::{
    AuditRecord, ChangePassword, ErrorCode, PasswordChanged, SessionView, SessionsEndedDetails,
    UserId,
};
use lanyard_core::people::check_new_password;

use super::Error;
use super::{Actor, MAX_USER_AGENT_CHARS};
use super::{Caller, rfc3339};
use crate::passwords;
use crate::state::Service;
use crate::store::sessions::{self, public_id};
use crate::store::users;

/// How often a session's use is written, at most, in seconds.
const USE_INTERVAL: i64 = 60;
/// Remembered uses kept at most before the old ones are dropped.
const USES_KEPT: usize = 10_000;

impl Service {
    /// The earliest last use a live session may have at `now` (the idle timeout), or `i64::MIN`.
    pub fn used_since(&self, now: i64) -> i64 {
        self.options
            .session_idle_timeout
            .map_or(i64::MIN, |idle| now.saturating_sub(idle))
    }

    /// Records that the session was used now, from `client_ip` with `user_agent` — unless this
    /// process recorded it less than a minute ago (or half the idle timeout, when shorter).
    pub async fn record_use(
        &self,
        token_hash: &str,
        now: i64,
        client_ip: Option<std::net::IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<(), Error> {
        let interval = self
            .options
            .session_idle_timeout
            .map_or(USE_INTERVAL, |idle| (idle / 2).clamp(1, USE_INTERVAL));
        {
            let mut uses = self
                .session_uses
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if uses
                .get(token_hash)
                .is_some_and(|&last| now - last < interval)
            {
                return Ok(());
            }
            if uses.len() >= USES_KEPT {
                uses.retain(|_, last| now - *last < interval);
            }
            uses.insert(token_hash.to_owned(), now);
        }
        let user_agent =
            user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect::<String>());
        let client_ip = client_ip.map(|ip| ip.to_string());
        // Boxed: the write happens once a minute per session, and its future is large; unboxed,
        // every authenticated request would allocate and move that space (BENCHMARKS.md).
        Box::pin(async move {
            let mut tx = self.store.begin().await?;
            sessions::touch(
                &mut tx,
                token_hash,
                now,
                client_ip.as_deref(),
                user_agent.as_deref(),
            )
            .await?;
            tx.commit_keeping_caches().await?;
            Ok(())
        })
        .await
    }

    /// `GET /api/session/list`: the caller's sessions, this one marked.
    pub async fn list_sessions(&self, me: &Caller) -> Result<Vec<SessionView>, Error> {
        self.sessions_of(me.user.id, Some(&me.token_hash)).await
    }

    /// A user's unexpired sessions for an admin (`GET /api/user/:id/sessions`); `not_found` for no
    /// such user.
    pub async fn user_sessions(&self, user: i64) -> Result<Vec<SessionView>, Error> {
        crate::store::users::find_by_id(&mut *self.store.conn().await?, user)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        self.sessions_of(user, None).await
    }

    async fn sessions_of(
        &self,
        user: i64,
        current: Option<&str>,
    ) -> Result<Vec<SessionView>, Error> {
        let now = self.now();
        let mut conn = self.store.conn().await?;
        let used_since = self.used_since(now);
        Ok(sessions::for_user(&mut conn, user, now)
            .await?
            .into_iter()
            .filter(|row| row.last_seen.unwrap_or(row.created_at) >= used_since)
            .map(|row| SessionView {
                id: public_id(&row.token_hash),
                current: current == Some(row.token_hash.as_str()),
                created_at: rfc3339(row.created_at),
                last_seen: row.last_seen.map(rfc3339),
                client_ip: row.client_ip,
                user_agent: row.user_agent,
                expires_at: rfc3339(row.expires_at),
            })
            .collect())
    }

    /// `DELETE /api/session/list/:id`: ends one of the caller's other sessions (`not_found` for any
    /// other id; `invalid_request` for this very session, which `DELETE /api/session` signs out
    /// of, clearing its cookie too).
    pub async fn end_session(&self, me: &Caller, id: &str) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let target = sessions::for_user(&mut tx, me.user.id, now)
            .await?
            .into_iter()
            .find(|row| public_id(&row.token_hash) == id)
            .ok_or(ErrorCode::NotFound)?;
        if target.token_hash == me.token_hash {
            return Err(ErrorCode::InvalidRequest.into());
        }
        sessions::delete(&mut tx, &target.token_hash).await?;
        me.actor()
            .audit(
                &mut tx,
                AuditRecord::SessionEnded(SessionsEndedDetails::One {
                    session: id.to_owned(),
                }),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `DELETE /api/session/list`: ends every session of the caller but this one.
    pub async fn end_other_sessions(&self, me: &Caller) -> Result<u64, Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let ended = sessions::delete_others(&mut tx, me.user.id, &me.token_hash).await?;
        me.actor()
            .audit(
                &mut tx,
                AuditRecord::SessionEnded(SessionsEndedDetails::Others {
                    others: true,
                    sessions_ended: ended,
                }),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// `DELETE /api/user/:id/sessions`: an admin ends every session of a user ("Sign out everywhere").
    pub async fn end_user_sessions(&self, id: UserId, actor: &Actor) -> Result<u64, Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let user = users::find_by_id(&mut tx, id)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        let ended = sessions::delete_for_user(&mut tx, id).await?;
        let details = AuditRecord::SessionEnded(SessionsEndedDetails::OfUser {
            user: user.email.clone(),
            user_id: id,
            sessions_ended: ended,
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// `PUT /api/user/current/password`: the caller's new password, after their current one (not
    /// for SSO-only users, who have none); every other session of theirs ends. A wrong current
    /// password counts as a failed login (SPEC §3's limits), so a stolen session cannot be used to
    /// guess the password.
    pub async fn change_own_password(
        &self,
        me: &Caller,
        body: ChangePassword,
    ) -> Result<(), Error> {
        let Some(stored) = me.user.password_hash.clone() else {
            return Err(ErrorCode::Forbidden.into());
        };
        check_new_password(&body.password)?;
        let ip = me.peer.map(|ip| ip.to_string());
        let attempt = match self.start_attempt(&me.user.email, ip.as_deref()).await? {
            Ok(attempt) => attempt,
            Err(retry_after) => return Err(Error::RateLimited { retry_after }),
        };
        if !passwords::verify(Some(stored), body.old_password).await {
            return Err(ErrorCode::InvalidCredentials.into());
        }
        self.attempt_succeeded(attempt).await?;
        let hash = passwords::hash(body.password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        users::set_password(&mut tx, me.user.id, &hash).await?;
        let ended = sessions::delete_others(&mut tx, me.user.id, &me.token_hash).await?;
        me.actor()
            .audit(
                &mut tx,
                AuditRecord::PasswordChanged(PasswordChanged {
                    user_id: me.user.id,
                    sessions_ended: ended,
                }),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
