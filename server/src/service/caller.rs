//! Who a request comes from, once their credentials are checked: [`Caller`], from a session token
//! through [`Service::authenticate_session`] — the one place a session is looked up, for the
//! signed-in extractor and for forward auth alike.

use std::net::IpAddr;

use lanyard_api::CurrentUser;

use super::{Actor, Error};
use crate::dates::rfc3339;
use crate::session;
use crate::state::Service;
use crate::store::UserRow;

/// An active user with a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: UserRow,
    /// Their groups: ids and names.
    pub groups: Vec<(i64, String)>,
    /// The hash of the session token (for sign-out and "this session").
    pub token_hash: String,
    /// The client's address (formatted only when an audit entry needs it).
    pub peer: Option<IpAddr>,
}

impl Caller {
    /// Whether the user is in "Administrators".
    pub fn is_admin(&self) -> bool {
        super::accounts::is_admin(self.groups.iter().map(|(id, _)| id))
    }

    /// The user, from their address: who the audit log names.
    pub fn actor(&self) -> Actor {
        Actor::at(self.peer.map(|ip| ip.to_string())).as_email(&self.user.email)
    }

    /// The `GET /api/user/current` view.
    pub fn view(&self) -> CurrentUser {
        let user = &self.user;
        CurrentUser {
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            is_superuser: self.is_admin(),
            group_ids: self.groups.iter().map(|(id, _)| *id).collect(),
            group_names: self.groups.iter().map(|(_, name)| name.clone()).collect(),
            login_attributes: serde_json::from_str(&user.login_attributes).unwrap_or_default(),
            sso_source: user.sso_source.clone(),
            last_login: user.last_login.map(rfc3339),
        }
    }
}

impl Service {
    /// Who the session `token` signs in at `now` — an active user, the session neither expired
    /// nor idle — with this use recorded (at most once a minute; a failure to record it never
    /// fails the request). `None` for no such session.
    pub async fn authenticate_session(
        &self,
        token: &str,
        now: i64,
        client_ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<Option<Caller>, Error> {
        let token_hash = session::hash_token(token);
        let Some((user, groups)) = self
            .store
            .signed_in(&token_hash, now, self.used_since(now))
            .await?
        else {
            return Ok(None);
        };
        if let Err(error) = self
            .record_use(&token_hash, now, client_ip, user_agent)
            .await
        {
            tracing::warn!(%error, "could not record a session's use");
        }
        Ok(Some(Caller {
            user,
            groups,
            token_hash,
            peer: client_ip,
        }))
    }
}
