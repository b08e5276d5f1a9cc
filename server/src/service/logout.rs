//! Back-channel logout (SPEC §11): the IdP tells lanyard that a user signed out, and every session
//! of that user ends at once. On PostgreSQL every replica reads sessions from the database, and on
//! SQLite the commit invalidates the session cache, so no replica serves an ended session.

use lanyard_api::{AuditRecord, BackchannelLogout, ErrorCode};
use lanyard_core::Checks;
use lanyard_core::jose::JoseVerifier;
use lanyard_core::logout::{Logout, verify_logout};

use super::Actor;
use super::Error;
use crate::state::Service;
use crate::store::{StoreError, sessions, users};

/// What a back-channel logout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedOut {
    /// The user it named, when lanyard knows them.
    pub user_id: Option<i64>,
    /// How many sessions ended.
    pub sessions_ended: u64,
}

impl Service {
    /// Verifies the logout token (lanyard-core, the login's key ring and rules), records it as used,
    /// and ends every session of the user its `sub` (their `sso_subject`) or email names — in one
    /// transaction with its audit entry. A valid token naming no known user ends nothing and still
    /// succeeds, as OpenID Connect Back-Channel Logout asks; refusals are audited too.
    pub async fn backchannel_logout(
        &self,
        token: &str,
        host: Option<&str>,
        actor: &Actor,
    ) -> Result<LoggedOut, Error> {
        let now = self.now();
        let snapshot = self.settings();
        let site = self.site_url(&snapshot.settings, host)?;
        let site_url = site.as_str();
        let verified = self
            .with_key_ring(&snapshot, now, |ring| {
                let checks = Checks {
                    settings: &snapshot.settings,
                    keys: ring,
                    verifier: Some(&JoseVerifier),
                    site_url,
                    now,
                };
                verify_logout(token, &checks)
            })
            .await;
        let result = match verified {
            Ok(logout) => self.end_sessions_of(&logout, actor, now).await,
            Err(code) => Err(code.into()),
        };
        self.audit_refusal(actor, result, AuditRecord::BackchannelLogoutFailed)
            .await
    }

    /// The verified logout token recorded as used, and every session of the user it names ended.
    async fn end_sessions_of(
        &self,
        logout: &Logout,
        actor: &Actor,
        now: i64,
    ) -> Result<LoggedOut, Error> {
        let mut tx = self.store.begin().await?;
        // First statement a write, as in a login: on SQLite the transaction takes the lock at once.
        let until = logout.replay_until.saturating_add(1);
        match sessions::remember_token(&mut tx, &logout.replay_key, "", now, until).await {
            Err(StoreError::Replayed) => return Err(ErrorCode::TokenReplayed.into()),
            other => other?,
        }
        let by_subject = match &logout.subject {
            Some(subject) => users::find_by_subject(&mut tx, subject).await?,
            None => None,
        };
        let user = match (by_subject, &logout.email) {
            (Some(user), _) => Some(user),
            (None, Some(email)) => users::find_by_email(&mut tx, email).await?,
            (None, None) => None,
        };
        let sessions_ended = match &user {
            Some(user) => sessions::delete_for_user(&mut tx, user.id).await?,
            None => 0,
        };
        let details = AuditRecord::BackchannelLogout(BackchannelLogout {
            user_id: user.as_ref().map(|u| u.id),
            email: user.as_ref().map(|u| u.email.clone()),
            sessions_ended,
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        tracing::info!(sessions_ended, "back-channel logout");
        Ok(LoggedOut {
            user_id: user.map(|u| u.id),
            sessions_ended,
        })
    }
}
