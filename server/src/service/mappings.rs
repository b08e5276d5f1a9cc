//! The group-mapping impact (SPEC §10): the preview of new mappings, and `apply_now`, which applies
//! the same plans inside the mappings save's transaction. Both plan with lanyard-core's
//! `impact::plan_all` on each SSO user's last groups claim: the plans logins would make.

use std::collections::BTreeMap;

use lanyard_api::{
    AuditRecord, ErrorCode, FieldError, MappingsApplied, MappingsImpact, MappingsPreviewRequest,
};
use lanyard_core::impact::{impact, plan_all};
use lanyard_core::settings::MappingTarget;

use super::Actor;
use super::Error;
use super::accounts::{self, MembershipPlan};
use crate::state::Service;
use crate::store::{BUILTINS, Backend, Tx, groups, users};

impl Service {
    /// `POST /api/setting/jwt/mappings/preview`: what `body.mappings` would do to every SSO user,
    /// read in one query and planned in memory; changes nothing.
    pub async fn preview_mappings(
        &self,
        body: &MappingsPreviewRequest,
    ) -> Result<MappingsImpact, Error> {
        let current = self.settings();
        let provider = body.provider.as_deref();
        let target = current
            .settings
            .mappings_of(provider)
            .ok_or(ErrorCode::NotFound)?;
        let mut conn = self.store.conn().await?;
        let known = groups::ids(&mut conn).await?;
        let patch = current
            .settings
            .mappings_patch(provider, body.mappings.clone());
        current
            .settings
            .apply(&patch, Some(&known))
            .map_err(Error::Settings)?;
        let members = groups::sso_members(&mut conn, self.store.backend(), &target.source).await?;
        let counts: BTreeMap<i64, i64> = groups::list(&mut conn)
            .await?
            .into_iter()
            .map(|group| (group.id, group.member_count))
            .collect();
        let admins = users::active_admin_count(&mut conn).await?;
        Ok(impact(
            &members,
            target.mappings,
            &body.mappings,
            BUILTINS,
            usize::try_from(admins).unwrap_or(0),
            &counts,
        ))
    }
}

/// Applies `mappings` to every SSO user now, in `tx`, as their next login would, with one audit
/// entry per user whose memberships change. Returns how many users changed.
pub(super) async fn apply_now(
    tx: &mut Tx,
    backend: Backend,
    target: &MappingTarget<'_>,
    actor: &Actor,
    now: i64,
) -> Result<usize, Error> {
    let mappings = target.mappings;
    let members = groups::sso_members(tx, backend, &target.source).await?;
    let admins = users::active_admin_count(tx).await?;
    let plans = plan_all(
        &members,
        mappings,
        BUILTINS,
        usize::try_from(admins).unwrap_or(0),
    );
    let mut changed = 0;
    for (member, plan) in members.iter().zip(&plans) {
        if plan.is_empty() && plan.notes.is_empty() {
            continue;
        }
        accounts::apply_membership(tx, member.user_id, &MembershipPlan::from(plan)).await?;
        let changes = plan.changes();
        let details = AuditRecord::MappingsApplied(MappingsApplied {
            user_id: member.user_id,
            email: member.email.clone(),
            groups_added: changes.add,
            groups_removed: changes.remove,
            notes: changes.notes,
        });
        actor.audit(tx, details, now).await?;
        changed += usize::from(!plan.is_empty());
    }
    Ok(changed)
}

/// `apply_now` applies what group sync would do, so it needs group sync on.
pub(super) fn check_apply_now(group_sync: bool) -> Result<(), Error> {
    if group_sync {
        Ok(())
    } else {
        Err(Error::Settings(vec![FieldError {
            field: lanyard_api::FieldName::Other("apply_now".into()),
            code: "requires_group_sync".into(),
            message: "Turn on \"Synchronize group memberships\" before applying mappings to current members."
                .into(),
        }]))
    }
}
