//! Saving settings and the mappings modal's result (SPEC §1, §4, §10). Each save reads the stored
//! document inside its transaction, checks the version the admin loaded, and writes the next version
//! only if no one saved in between; the snapshot every request reads is swapped after the commit.

use std::collections::{BTreeMap, BTreeSet};

use lanyard_api::{
    AuditRecord, ErrorCode, FieldError, GroupId, GroupMembersCount, JwksStatus, JwtSettingsPatch,
    JwtSettingsView, MappingChanged, MappingNamed, MappingsChanged, SaveMappings, SettingsChanged,
};
use lanyard_core::groups::diff_mappings;

use super::Error;
use super::{Actor, mappings};
use crate::state::Service;
use crate::store::{Tx, groups, settings};

/// How often a save that named no version is retried when another save slipped in between.
const UNVERSIONED_RETRIES: usize = 3;

impl Service {
    /// A partial update, validated as a whole (lanyard-core); nothing changes when invalid, or when
    /// `patch.version` is no longer the stored version (`settings_conflict`).
    pub async fn save_settings(
        &self,
        patch: &JwtSettingsPatch,
        actor: &Actor,
    ) -> Result<JwtSettingsView, Error> {
        let probed = self.probe_jwks(patch).await?;
        self.probe_providers(patch).await?;
        let mut tries = 0;
        let saved = loop {
            tries += 1;
            match self.try_save_settings(patch, actor).await {
                // Without a version, a conflict can only be a save that slipped in between.
                Err(Error::Code(ErrorCode::SettingsConflict))
                    if patch.version.is_none() && tries < UNVERSIONED_RETRIES => {}
                other => break other,
            }
        }?;
        if let Some((uri, set)) = probed {
            self.jwks.store(&uri, set, self.now());
            return Ok(self.settings_view(&self.settings().settings, saved.version));
        }
        Ok(saved)
    }

    /// A new JWKS URI is fetched before anything is saved: unreachable, too large, not a JWK Set or
    /// without a usable key, it is a field error and nothing changes (SPEC §8).
    async fn probe_jwks(
        &self,
        patch: &JwtSettingsPatch,
    ) -> Result<Option<(String, lanyard_core::keys::JwkSet)>, Error> {
        let Some(uri) = patch.jwt_jwks_uri.as_deref().filter(|uri| !uri.is_empty()) else {
            return Ok(None);
        };
        let current = self.settings();
        if current.settings.jwt_jwks_uri == uri && self.jwks.keys(uri, self.now()).is_some() {
            return Ok(None);
        }
        // The rules first, so a malformed URI gets their message rather than a failed fetch.
        current
            .settings
            .apply(patch, None)
            .map_err(Error::Settings)?;
        match self.jwks.probe(uri).await {
            Ok(set) => {
                self.metrics.jwks_fetch("success");
                Ok(Some((uri.to_owned(), set)))
            }
            Err(error) => {
                self.metrics.jwks_fetch(error.code);
                Err(Error::Settings(vec![FieldError {
                    field: lanyard_api::SettingField::JwtJwksUri.into(),
                    code: error.code.into(),
                    message: format!("The JWK Set cannot be used: {}.", error.message),
                }]))
            }
        }
    }

    /// Each provider a save sends whose issuer is new is discovered before anything is saved
    /// (SPEC §14): a failure is a field error on its `issuer`, and nothing changes. A token endpoint
    /// authentication the provider does not list is one on `token_endpoint_auth`.
    async fn probe_providers(&self, patch: &JwtSettingsPatch) -> Result<(), Error> {
        let Some(providers) = &patch.oidc_providers else {
            return Ok(());
        };
        let current = self.settings();
        current
            .settings
            .apply(patch, None)
            .map_err(Error::Settings)?;
        let now = self.now();
        let mut errors = Vec::new();
        for (index, provider) in providers.iter().enumerate() {
            let known = current
                .settings
                .oidc_providers
                .iter()
                .any(|stored| stored.issuer == provider.issuer);
            let discovered = if known {
                self.oidc.discovered(&provider.issuer, now).await
            } else {
                self.oidc
                    .discover(&provider.issuer)
                    .await
                    .map(std::sync::Arc::new)
            };
            match discovered {
                Ok(found) => {
                    let method = serde_json::to_value(provider.token_endpoint_auth)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let listed = &found.token_endpoint_auth_methods_supported;
                    if !listed.is_empty() && !listed.contains(&method) {
                        errors.push(FieldError {
                            field: lanyard_core::oidc::provider_field(index, "token_endpoint_auth"),
                            code: "not_supported".into(),
                            message: format!(
                                "The provider does not accept {method} at its token endpoint; it lists {}.",
                                listed.join(", ")
                            ),
                        });
                    }
                }
                Err(error) => errors.push(FieldError {
                    field: lanyard_core::oidc::provider_field(index, "issuer"),
                    code: error.code.into(),
                    message: format!("Discovery failed: {}.", error.message),
                }),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Settings(errors))
        }
    }

    /// Fetches the JWK Set now (`POST /api/setting/jwt/jwks/refresh`) and reports its status.
    pub async fn refresh_jwks(&self) -> Result<JwksStatus, Error> {
        let uri = self.settings().settings.jwt_jwks_uri.clone();
        if uri.is_empty() {
            return Err(ErrorCode::InvalidRequest.into());
        }
        let outcome = self.jwks.refresh(&uri, self.now()).await;
        self.metrics
            .jwks_fetch(outcome.err().map_or("success", |error| error.code));
        Ok(self.jwks.status(&uri))
    }

    async fn try_save_settings(
        &self,
        patch: &JwtSettingsPatch,
        actor: &Actor,
    ) -> Result<JwtSettingsView, Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (current, version) = settings::load(&mut tx).await?;
        check_version(patch.version, version)?;
        let known = groups::ids(&mut tx).await?;
        let next = current
            .apply(patch, Some(&known))
            .map_err(Error::Settings)?;
        let saved = settings::save(&mut tx, &next, version).await?;
        let details = AuditRecord::SettingsChanged(Box::new(SettingsChanged {
            changes: patch.audited(),
        }));
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        self.publish_settings(next.clone(), saved);
        Ok(self.settings_view(&next, saved))
    }

    /// The mappings modal's whole result in one transaction: members removed, groups deleted (and
    /// taken out of every mapping), mappings replaced, and with `apply_now` every SSO user's
    /// memberships brought in line with them (SPEC §10). Any failure — a stale version, a built-in or
    /// missing group, an invalid mapping — changes nothing at all.
    pub async fn save_mappings(
        &self,
        body: &SaveMappings,
        actor: &Actor,
    ) -> Result<JwtSettingsView, Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (current, version) = settings::load(&mut tx).await?;
        check_version(Some(body.version), version)?;
        let provider = body.provider.as_deref();
        if current.mappings_of(provider).is_none() {
            return Err(ErrorCode::NotFound.into());
        }
        let touched: BTreeSet<GroupId> = body
            .remove_members_of
            .iter()
            .chain(&body.delete_groups)
            .copied()
            .collect();
        for &id in &touched {
            ensure_custom_group(&mut tx, id).await?;
        }
        // Names as they were before any group is deleted: the audit entry must still say which.
        let names: BTreeMap<GroupId, String> = groups::list(&mut tx)
            .await?
            .into_iter()
            .map(|group| (group.id, group.name))
            .collect();
        let name_of = |id: &GroupId| {
            names
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("group {id}"))
        };
        let mut members_removed = Vec::new();
        for &id in &body.remove_members_of {
            let members = groups::remove_all_members(&mut tx, id).await?;
            members_removed.push(GroupMembersCount {
                group: name_of(&id),
                group_id: id,
                members,
            });
        }
        let mut groups_deleted = Vec::new();
        for &id in &body.delete_groups {
            let members = groups::delete(&mut tx, id).await?;
            groups_deleted.push(GroupMembersCount {
                group: name_of(&id),
                group_id: id,
                members,
            });
        }
        let mut mappings = body.mappings.clone();
        for ids in mappings.values_mut() {
            ids.retain(|id| !body.delete_groups.contains(id));
        }
        // Deleted groups leave every mapping, JWT's and each provider's.
        let mut base = current.clone();
        for &id in &body.delete_groups {
            base = base.without_group(id);
        }
        let patch = base.mappings_patch(provider, mappings);
        let known = groups::ids(&mut tx).await?;
        let next = base.apply(&patch, Some(&known)).map_err(Error::Settings)?;
        let saved = settings::save(&mut tx, &next, version).await?;
        let before = current.mappings_of(provider).ok_or(ErrorCode::NotFound)?;
        let after = next.mappings_of(provider).ok_or(ErrorCode::NotFound)?;
        let applied_to = if body.apply_now {
            mappings::check_apply_now(after.group_sync)?;
            Some(mappings::apply_now(&mut tx, self.store.backend(), &after, actor, now).await?)
        } else {
            None
        };
        let diff = diff_mappings(before.mappings, after.mappings);
        let named = |ids: &[GroupId]| ids.iter().map(&name_of).collect::<Vec<_>>();
        let mapping = |(idp, ids): &(String, Vec<GroupId>)| MappingNamed {
            idp_group: idp.clone(),
            groups: named(ids),
        };
        let details = AuditRecord::MappingsChanged(MappingsChanged {
            mappings: after.mappings.clone(),
            mappings_added: diff.added.iter().map(mapping).collect(),
            mappings_changed: diff
                .changed
                .iter()
                .map(|(idp, before, after)| MappingChanged {
                    idp_group: idp.clone(),
                    before: named(before),
                    after: named(after),
                })
                .collect(),
            mappings_removed: diff.removed.iter().map(mapping).collect(),
            members_removed,
            groups_deleted,
            applied_to: applied_to.map(|people| people as u64),
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        self.publish_settings(next.clone(), saved);
        Ok(self.settings_view(&next, saved))
    }
}

/// `settings_conflict` when the admin's version is not the stored one.
fn check_version(expected: Option<i64>, stored: i64) -> Result<(), Error> {
    match expected {
        Some(expected) if expected != stored => Err(ErrorCode::SettingsConflict.into()),
        _ => Ok(()),
    }
}

/// `builtin_group` for the two built-in groups, `not_found` for a group that does not exist.
pub(super) async fn ensure_custom_group(tx: &mut Tx, id: GroupId) -> Result<(), Error> {
    if groups::is_builtin(tx, id).await? {
        Err(ErrorCode::BuiltinGroup.into())
    } else {
        Ok(())
    }
}
