//! Who a request comes from, once their credentials are checked: [`Service::authenticate`] is the
//! one place credentials become a [`Principal`] — a person with a session ([`Caller`]) or an API
//! key — for the extractors and for forward auth alike.

use std::net::IpAddr;

use lanyard_api::CurrentUser;

use lanyard_api::ErrorCode;

use super::{Actor, Error};
use crate::dates::rfc3339;
use crate::session;
use crate::state::Service;
use crate::store::api_keys::ApiKeyRow;
use crate::store::{SignedIn, SignedInRow};

/// An active user with a live session: the user and their groups (`caller.user`, `caller.groups`,
/// shared with the session cache), and the session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user and their groups.
    pub signed_in: SignedInRow,
    /// The hash of the session token (for sign-out and "this session").
    pub token_hash: String,
    /// The client's address (formatted only when an audit entry needs it).
    pub peer: Option<IpAddr>,
}

impl std::ops::Deref for Caller {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.signed_in
    }
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

/// What a request presents.
#[derive(Debug, Clone, Copy)]
pub enum Credentials<'a> {
    /// A session token (the cookie, or `Authorization: Bearer`).
    Session(&'a str),
    /// An `X-Api-Key`, with the request it authenticates (each use is audited).
    ApiKey {
        /// The key as presented.
        key: &'a str,
        /// The request's method.
        method: &'a str,
        /// The request's path.
        path: &'a str,
    },
}

/// Where a request comes from: its address and `User-Agent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSource<'a> {
    /// The TCP peer (none behind forward auth: the proxy's address is not the user's).
    pub peer: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a str>,
}

/// Who the credentials are.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A person with a live session.
    Person(Caller),
    /// An API key (not a person: no session, password or account of its own).
    ApiKey(ApiKeyRow),
}

impl Service {
    /// Who `credentials` are at `now`: a person for a live session of an active user (its use
    /// recorded at most once a minute), an API key for a known key (its use audited).
    /// `unauthenticated` for a session that is not live; `invalid_api_key` (or `429` after too many
    /// from one address) for an unknown key.
    pub async fn authenticate(
        &self,
        credentials: Credentials<'_>,
        origin: RequestSource<'_>,
        now: i64,
    ) -> Result<Principal, Error> {
        match credentials {
            Credentials::Session(token) => self
                .authenticate_session(token, now, origin.peer, origin.user_agent)
                .await?
                .map(Principal::Person)
                .ok_or_else(|| ErrorCode::Unauthenticated.into()),
            Credentials::ApiKey { key, method, path } => {
                let client = Actor::at(origin.peer.map(|ip| ip.to_string()));
                // Boxed: its future (the key's audit, the refusal's throttle) is some 16 KiB, and
                // every session-authenticated request — `/auth/verify` on each proxied request —
                // would otherwise carry that space and copy it as axum moves the handler's future.
                let row = Box::pin(self.use_api_key(key, method, path, &client, now)).await?;
                Ok(Principal::ApiKey(row))
            }
        }
    }

    /// Who the session `token` signs in at `now` — an active user, the session neither expired
    /// nor idle — with this use recorded (at most once a minute; a failure to record it never
    /// fails the request). `None` for no such session.
    async fn authenticate_session(
        &self,
        token: &str,
        now: i64,
        client_ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<Option<Caller>, Error> {
        let token_hash = session::hash_token(token);
        let Some(signed_in) = self
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
            signed_in,
            token_hash,
            peer: client_ip,
        }))
    }
}
