//! Who calls `/auth/verify` (SPEC §13, §15): a person by their session (the cookie, or a session
//! token as `Bearer`), or a machine client by an API key or a JWT access token. Each becomes a
//! [`Visitor`]: what the policies, the location's restriction and the identity headers need.

use std::collections::BTreeSet;
use std::net::IpAddr;

use lanyard_api::{Credential, ErrorCode, GroupId};
use lanyard_core::Checks;
use lanyard_core::bearer::{self, BearerKind, ProviderKeys};
use lanyard_core::forward::display_name;
use lanyard_core::jose::JoseVerifier;

use super::{Actor, Caller, Credentials, Error, Principal, RequestSource};
use crate::session;
use crate::state::Service;
use crate::store::api_keys::{self, KeyLookup};
use crate::store::{BUILTINS, groups};

/// How `/auth/verify`'s caller presents themselves.
#[derive(Debug, Clone, Copy)]
pub enum ForwardCredential<'a> {
    /// The session cookie.
    Cookie(&'a str),
    /// `Authorization: Bearer`: a session token, an API key or a JWT access token. It wins over a
    /// cookie, and its refusals are `401` with `WWW-Authenticate`, never a redirect.
    Bearer(&'a str),
}

/// Someone `/auth/verify` lets through if the rules allow: a person or a machine client.
#[derive(Debug, Clone)]
pub(super) struct Visitor {
    /// `X-Auth-Request-User`: a user id, `api-key:{name}`, or an access token's `sub`.
    pub user: String,
    /// The email (empty when a machine client has none).
    pub email: String,
    /// The display name.
    pub name: String,
    /// Lanyard group names.
    pub groups: Vec<String>,
    /// In Administrators (an admin API key counts).
    pub is_admin: bool,
    /// What the assertion cache keys its entry on: the session's hash, or the bearer's.
    pub cache_key: String,
}

impl Visitor {
    fn person(caller: Caller) -> Self {
        let user = &caller.user;
        Self {
            user: user.id.to_string(),
            name: display_name(user.first_name.as_deref(), user.last_name.as_deref()),
            email: user.email.clone(),
            groups: caller.groups.iter().map(|(_, name)| name.clone()).collect(),
            is_admin: caller.is_admin(),
            cache_key: caller.token_hash,
        }
    }
}

impl Service {
    /// Who `credential` is: `Ok(None)` for a cookie that names no live session (the caller is then
    /// signed out); `Err` for a bearer value that is refused (its code).
    pub(super) async fn visitor(
        &self,
        credential: ForwardCredential<'_>,
        origin: RequestSource<'_>,
        address: Option<IpAddr>,
        now: i64,
    ) -> Result<Option<Visitor>, Error> {
        let session = |token| async move {
            match self
                .authenticate(Credentials::Session(token), origin, now)
                .await
            {
                Ok(Principal::Person(caller)) => Ok(Some(Visitor::person(caller))),
                Err(Error::Code(ErrorCode::Unauthenticated)) | Ok(Principal::ApiKey(_)) => Ok(None),
                Err(other) => Err(other),
            }
        };
        match credential {
            ForwardCredential::Cookie(token) => session(token).await,
            ForwardCredential::Bearer(value) => match bearer::kind_of(value) {
                BearerKind::Session => session(value)
                    .await?
                    .map(Some)
                    .ok_or_else(|| ErrorCode::Unauthenticated.into()),
                // Boxed: their futures (a JWK Set fetch, an OIDC discovery) are large, and every
                // `/auth/verify` would otherwise carry their space and move it around.
                BearerKind::ApiKey => Box::pin(self.api_key_visitor(value, address, now))
                    .await
                    .map(Some),
                BearerKind::AccessToken => Box::pin(self.access_token_visitor(value, now))
                    .await
                    .map(Some),
            },
        }
    }

    /// An API key as a machine client: its name, groups and admin flag. Its use is recorded at
    /// most once a minute and not audited (a proxy asks on every request: SPEC §15); an unknown key
    /// counts against the address as at the API (`429` after too many).
    async fn api_key_visitor(
        &self,
        presented: &str,
        address: Option<IpAddr>,
        now: i64,
    ) -> Result<Visitor, Error> {
        let hash = session::hash_token(presented);
        let found = api_keys::find(&mut *self.store.conn().await?, KeyLookup::Hash(&hash)).await?;
        let Some(row) = found else {
            let client = Actor::at(address.map(|ip| ip.to_string()));
            return Err(self
                .refuse_credential(Credential::ApiKey, &client, ErrorCode::InvalidApiKey.into())
                .await);
        };
        if row.last_used_at.is_none_or(|used| now - used >= 60) {
            let touched = async {
                let mut tx = self.store.begin().await?;
                api_keys::touch(&mut tx, row.id, now).await?;
                tx.commit_keeping_caches().await
            };
            if let Err(error) = touched.await {
                tracing::warn!(%error, "could not record an API key's use");
            }
        }
        let ids: BTreeSet<GroupId> = row.group_ids.iter().copied().collect();
        Ok(Visitor {
            user: format!("api-key:{}", row.name),
            email: String::new(),
            name: row.name.clone(),
            groups: self.group_names(&ids).await?,
            is_admin: row.is_admin || BUILTINS.is_admin(&ids),
            cache_key: hash,
        })
    }

    /// A JWT access token (SPEC §15): an OpenID Connect provider's when its `iss` is an enabled
    /// provider's issuer (that provider's keys and mappings), else JWT SSO's key ring and mappings;
    /// `aud` must be one of `bearer_audiences`.
    async fn access_token_visitor(&self, token: &str, now: i64) -> Result<Visitor, Error> {
        let snapshot = self.settings();
        let settings = &snapshot.settings;
        let audiences = &settings.bearer_audiences;
        let issuer = bearer::claimed_issuer(token);
        let provider = settings
            .enabled_providers()
            .find(|provider| Some(&provider.issuer) == issuer.as_ref());
        let (access, mappings) = match provider {
            Some(provider) => {
                let discovered = self.discovered(provider, now).await?;
                let access = self
                    .with_provider_keys(provider, &discovered, now, |ring| {
                        let with = ProviderKeys {
                            provider,
                            keys: ring,
                            verifier: Some(&JoseVerifier),
                            clock_skew_seconds: settings.jwt_clock_skew_seconds,
                            now,
                        };
                        bearer::verify_provider_access_token(token, &with, audiences)
                            .map_err(Error::Refused)
                    })
                    .await?;
                (access, &provider.group_mappings)
            }
            None if settings.sso_ready() => {
                let access = self
                    .with_key_ring(&snapshot, now, |ring| {
                        let checks = Checks {
                            settings,
                            keys: ring,
                            verifier: Some(&JoseVerifier),
                            // Unused: an access token's `aud` must name a bearer audience.
                            site_url: "",
                            now,
                        };
                        bearer::verify_jwt_access_token(token, &checks, audiences)
                    })
                    .await
                    .map_err(Error::Refused)?;
                (access, &settings.jwt_group_mappings)
            }
            None => return Err(ErrorCode::SsoDisabled.into()),
        };
        let ids = bearer::mapped_groups(&access.groups, mappings);
        let (first, last) = &access.names;
        Ok(Visitor {
            name: display_name(first.as_deref(), last.as_deref()),
            email: access.email.unwrap_or_default(),
            groups: self.group_names(&ids).await?,
            is_admin: BUILTINS.is_admin(&ids),
            user: access.subject,
            cache_key: session::hash_token(token),
        })
    }

    /// The names of the groups `ids`, in the store's order (unknown ids are skipped: a mapping to
    /// a group deleted since).
    pub(super) async fn group_names(&self, ids: &BTreeSet<GroupId>) -> Result<Vec<String>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let all = groups::names(&mut *self.store.conn().await?).await?;
        Ok(all
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .map(|(_, name)| name)
            .collect())
    }
}
