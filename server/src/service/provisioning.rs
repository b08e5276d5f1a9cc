//! SCIM's switch and token, and API keys (SPEC §12). Secrets are made here from the OS's randomness,
//! answered once, and stored only as SHA-256 hashes; checking one compares hashes in constant time.

use lanyard_api::{
    ApiKeyCreated, ApiKeyCreatedDetails, ApiKeyNamed, ApiKeyUsed, ApiKeyView, AuditRecord,
    AuditSource, CreateApiKey, CredentialsRefused, ErrorCode, Nothing, ScimStatus, ScimToken,
};
use lanyard_core::audit::bounded_path;
use lanyard_core::people::group_name;
use subtle::ConstantTimeEq;

use std::time::Instant;

use super::Actor;
use super::Error;
use super::rfc3339;
use crate::refusals::Credential;
use crate::session;
use crate::state::Service;
use crate::store::api_keys::{self, ApiKeyRow, KeyLookup, NewApiKey};
use crate::store::{ADMINISTRATORS, audit, groups, settings};

/// The SCIM actor's `source`, and what `last_request` is looked up by.
/// API keys start with this, so a leaked one is recognisable (secret scanners, logs).
use lanyard_core::bearer::API_KEY_PREFIX;
/// How much of a key the list shows.
const SHOWN_CHARS: usize = API_KEY_PREFIX.len() + 6;

/// A new random secret with `prefix`, and its stored hash.
fn new_secret(prefix: &str) -> Result<(String, String), Error> {
    let (token, _) = session::new_token()?;
    let secret = format!("{prefix}{token}");
    let hash = session::hash_token(&secret);
    Ok((secret, hash))
}

/// Whether `presented` hashes to `stored_hash`, in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    let hash = session::hash_token(presented);
    !stored_hash.is_empty() && bool::from(hash.as_bytes().ct_eq(stored_hash.as_bytes()))
}

impl Service {
    /// SCIM's state; `endpoint` is the SCIM base URL.
    pub async fn scim_status(&self, endpoint: String) -> Result<ScimStatus, Error> {
        let last = audit::last_at(&mut *self.store.conn().await?, &AuditSource::Scim).await?;
        Ok(ScimStatus {
            enabled: self.settings().settings.scim_enabled,
            endpoint,
            last_request: last.map(rfc3339),
        })
    }

    /// Turns SCIM on (a new token, answered once, when it was off) or off (the token ends).
    pub async fn enable_scim(
        &self,
        enabled: bool,
        endpoint: String,
        actor: &Actor,
    ) -> Result<ScimToken, Error> {
        let current = self.settings().settings.clone();
        if current.scim_enabled == enabled {
            return Ok(ScimToken {
                enabled,
                token: None,
                endpoint,
            });
        }
        let (token, event) = if enabled {
            (
                Some(new_secret("scim_")?),
                AuditRecord::ScimEnabled(Nothing {}),
            )
        } else {
            (None, AuditRecord::ScimDisabled(Nothing {}))
        };
        self.save_scim(
            enabled,
            token.as_ref().map(|(_, hash)| hash.as_str()),
            event,
            actor,
        )
        .await?;
        Ok(ScimToken {
            enabled,
            token: token.map(|(secret, _)| secret),
            endpoint,
        })
    }

    /// A new SCIM token (answered once); the old one ends. `invalid_request` while SCIM is off.
    pub async fn rotate_scim_token(
        &self,
        endpoint: String,
        actor: &Actor,
    ) -> Result<ScimToken, Error> {
        if !self.settings().settings.scim_enabled {
            return Err(ErrorCode::InvalidRequest.into());
        }
        let (secret, hash) = new_secret("scim_")?;
        self.save_scim(
            true,
            Some(&hash),
            AuditRecord::ScimTokenRotated(Nothing {}),
            actor,
        )
        .await?;
        Ok(ScimToken {
            enabled: true,
            token: Some(secret),
            endpoint,
        })
    }

    async fn save_scim(
        &self,
        enabled: bool,
        token_hash: Option<&str>,
        event: AuditRecord,
        actor: &Actor,
    ) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut next, version) = settings::load(&mut tx).await?;
        next.scim_enabled = enabled;
        next.scim_token_hash = token_hash.unwrap_or_default().to_owned();
        let saved = settings::save(&mut tx, &next, version).await?;
        actor.audit(&mut tx, event, now).await?;
        tx.commit().await?;
        self.publish_settings(next, saved);
        Ok(())
    }

    /// Whether `bearer` is the SCIM token (SCIM on), compared in constant time. A wrong or missing
    /// token is a refusal from `actor`'s address (`429` once the address has used up its
    /// refusals). While SCIM is off nothing is recorded but a count.
    pub async fn authenticate_scim(
        &self,
        bearer: Option<&str>,
        actor: &Actor,
    ) -> Result<(), Error> {
        use lanyard_core::scim::ScimError;
        let snapshot = self.settings();
        if !snapshot.settings.scim_enabled {
            self.metrics
                .credential_refused(Credential::Scim.as_str(), "disabled");
            return Err(
                ScimError::status(401, "SCIM provisioning is not enabled in lanyard.").into(),
            );
        }
        let refusal = match bearer {
            Some(token) if secret_matches(token, &snapshot.settings.scim_token_hash) => {
                return Ok(());
            }
            Some(_) => "The bearer token is not lanyard's SCIM token.",
            None => "Send the SCIM token as \"Authorization: Bearer …\".",
        };
        Err(self
            .refuse_credential(
                Credential::Scim,
                actor,
                ScimError::status(401, refusal).into(),
            )
            .await)
    }

    /// A wrong `credential` from `actor`'s address: counted, and answered with `refusal` — or
    /// with `429` once the address has used up its refusals (a right credential from the same
    /// address still passes: behind a proxy every client shares one address).
    pub(super) async fn refuse_credential(
        &self,
        credential: Credential,
        actor: &Actor,
        refusal: Error,
    ) -> Error {
        match self
            .refusals
            .begin(credential, actor.ip.as_deref(), Instant::now())
        {
            Ok(counted) => {
                drop(counted);
                self.credential_refused(credential, actor, "invalid").await;
                refusal
            }
            Err(retry_after) => {
                self.credential_refused(credential, actor, "throttled")
                    .await;
                Error::RateLimited { retry_after }
            }
        }
    }

    /// Counts a refused credential in `/metrics` and, at most once a minute per address, writes
    /// one `credentials_refused` entry saying how many were refused since the last one — never
    /// the request's path, headers or credential.
    pub(crate) async fn credential_refused(
        &self,
        credential: Credential,
        actor: &Actor,
        reason: &'static str,
    ) {
        self.metrics.credential_refused(credential.as_str(), reason);
        let due = self
            .refusals
            .summary_due(credential, actor.ip.as_deref(), self.now());
        if let Some(attempts) = due {
            let details = AuditRecord::CredentialsRefused(CredentialsRefused {
                credential,
                attempts,
            });
            self.audit_alone(actor, details).await;
        }
    }

    /// Every API key, by name.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyView>, Error> {
        let rows = api_keys::list(&mut *self.store.conn().await?).await?;
        Ok(rows.iter().map(key_view).collect())
    }

    /// Creates a key (answered once); `conflict` when the name is taken.
    pub async fn create_api_key(
        &self,
        body: &CreateApiKey,
        actor: &Actor,
    ) -> Result<ApiKeyCreated, Error> {
        let name = group_name(&body.name)?;
        let mut group_ids: Vec<i64> = body.group_ids.clone();
        group_ids.sort_unstable();
        group_ids.dedup();
        if body.is_admin {
            group_ids.retain(|&id| id != ADMINISTRATORS);
        }
        let (secret, hash) = new_secret(API_KEY_PREFIX)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let known = groups::ids(&mut tx).await?;
        if group_ids.iter().any(|id| !known.contains(id))
            || (!body.is_admin && group_ids.is_empty())
        {
            return Err(ErrorCode::InvalidRequest.into());
        }
        let id = api_keys::insert(
            &mut tx,
            &NewApiKey {
                name,
                key_hash: &hash,
                prefix: &secret[..SHOWN_CHARS],
                is_admin: body.is_admin,
                group_ids: &group_ids,
                created_by: actor.email.as_deref(),
                now,
            },
        )
        .await?;
        let details = AuditRecord::ApiKeyCreated(ApiKeyCreatedDetails {
            api_key: id,
            name: name.to_owned(),
            is_admin: body.is_admin,
            group_ids: group_ids.clone(),
        });
        actor.audit(&mut tx, details, now).await?;
        let row = api_keys::find(&mut tx, KeyLookup::Id(id))
            .await?
            .ok_or(ErrorCode::NotFound)?;
        tx.commit().await?;
        Ok(ApiKeyCreated {
            api_key: key_view(&row),
            key: secret,
        })
    }

    /// Replaces key `id` with a new one (answered once); the old one stops working at once.
    pub async fn rotate_api_key(&self, id: i64, actor: &Actor) -> Result<ApiKeyCreated, Error> {
        let (secret, hash) = new_secret(API_KEY_PREFIX)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        api_keys::rotate(&mut tx, id, &hash, &secret[..SHOWN_CHARS], now).await?;
        let row = api_keys::find(&mut tx, KeyLookup::Id(id))
            .await?
            .ok_or(ErrorCode::NotFound)?;
        let details = AuditRecord::ApiKeyRotated(ApiKeyNamed {
            api_key: id,
            name: row.name.clone(),
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        Ok(ApiKeyCreated {
            api_key: key_view(&row),
            key: secret,
        })
    }

    /// Deletes key `id`.
    pub async fn delete_api_key(&self, id: i64, actor: &Actor) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let row = api_keys::find(&mut tx, KeyLookup::Id(id))
            .await?
            .ok_or(ErrorCode::NotFound)?;
        api_keys::delete(&mut tx, id).await?;
        let details = AuditRecord::ApiKeyDeleted(ApiKeyNamed {
            api_key: id,
            name: row.name.clone(),
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The key `presented` is, with its use recorded and audited; `invalid_api_key` when none (a
    /// refusal from `actor`'s address: `429` once the address has used up its refusals).
    pub(super) async fn use_api_key(
        &self,
        presented: &str,
        method: &str,
        path: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<ApiKeyRow, Error> {
        let hash = session::hash_token(presented);
        let found = api_keys::find(&mut *self.store.conn().await?, KeyLookup::Hash(&hash)).await?;
        let Some(row) = found else {
            return Err(self
                .refuse_credential(Credential::ApiKey, actor, ErrorCode::InvalidApiKey.into())
                .await);
        };
        let mut tx = self.store.begin().await?;
        api_keys::touch(&mut tx, row.id, now).await?;
        let actor = actor.as_source(api_key_source(&row.name));
        let details = AuditRecord::ApiKeyUsed(ApiKeyUsed {
            api_key: row.id,
            method: method.to_owned(),
            path: bounded_path(path),
        });
        actor.audit(&mut tx, details, now).await?;
        // The key's last use and its audit row change nothing a signed-in read caches: an
        // integration calling all day must not empty every user's cache entry on each call.
        tx.commit_keeping_caches().await?;
        Ok(row)
    }
}

/// The audit `source` of an API key.
pub fn api_key_source(name: &str) -> AuditSource {
    AuditSource::ApiKey(name.to_owned())
}

fn key_view(row: &ApiKeyRow) -> ApiKeyView {
    ApiKeyView {
        id: row.id,
        name: row.name.clone(),
        prefix: format!("{}…", row.prefix),
        is_admin: row.is_admin,
        group_ids: row.group_ids.clone(),
        created_by: row.created_by.clone(),
        created_at: rfc3339(row.created_at),
        rotated_at: row.rotated_at.map(rfc3339),
        last_used_at: row.last_used_at.map(rfc3339),
    }
}
