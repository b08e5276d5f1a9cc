//! Groups (SPEC §4): create, rename, delete (leaving every mapping in the same transaction), clear.

use lanyard_api::{
    AuditRecord, ErrorCode, Group, GroupDetail, GroupId, GroupNamed, GroupRef, MembersChanged,
    UserId,
};
use lanyard_core::people::{check_admins_remain, check_members_may_change, group_name};

use super::Actor;
use super::Error;
use super::accounts::{self, MembershipPlan};
use super::settings::ensure_custom_group;
use crate::state::Service;
use crate::store::{BUILTINS, groups, settings, users};

impl Service {
    /// Every group with its member count, by name.
    pub async fn list_groups(&self) -> Result<Vec<Group>, Error> {
        Ok(groups::list(&mut *self.store.conn().await?).await?)
    }

    /// Creates a group; `conflict` when the name is taken.
    pub async fn create_group(&self, name: &str, actor: &Actor) -> Result<Group, Error> {
        let name = group_name(name)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = groups::create(&mut tx, name).await?;
        actor
            .audit(
                &mut tx,
                AuditRecord::GroupCreated(GroupNamed {
                    group: id,
                    name: name.to_owned(),
                }),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(Group {
            id,
            name: name.to_owned(),
            member_count: 0,
            builtin: false,
        })
    }

    /// Renames a group (not a built-in one).
    pub async fn rename_group(
        &self,
        id: GroupId,
        name: &str,
        actor: &Actor,
    ) -> Result<Group, Error> {
        let name = group_name(name)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        ensure_custom_group(&mut tx, id).await?;
        groups::rename(&mut tx, id, name).await?;
        actor
            .audit(
                &mut tx,
                AuditRecord::GroupRenamed(GroupNamed {
                    group: id,
                    name: name.to_owned(),
                }),
                now,
            )
            .await?;
        let group = groups::list(&mut tx)
            .await?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or(ErrorCode::NotFound)?;
        tx.commit().await?;
        Ok(group)
    }

    /// Deletes a group (not a built-in one) and removes it from every mapping, in one transaction.
    pub async fn delete_group(&self, id: GroupId, actor: &Actor) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        ensure_custom_group(&mut tx, id).await?;
        groups::delete(&mut tx, id).await?;
        let (current, version) = settings::load(&mut tx).await?;
        let next = current.without_group(id);
        let saved = if next == current {
            None
        } else {
            Some(settings::save(&mut tx, &next, version).await?)
        };
        actor
            .audit(
                &mut tx,
                AuditRecord::GroupDeleted(GroupRef { group: id }),
                now,
            )
            .await?;
        tx.commit().await?;
        if let Some(version) = saved {
            self.publish_settings(next, version);
        }
        Ok(())
    }

    /// Removes every member of a group (not a built-in one).
    pub async fn clear_group(&self, id: GroupId, actor: &Actor) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        ensure_custom_group(&mut tx, id).await?;
        groups::remove_all_members(&mut tx, id).await?;
        actor
            .audit(
                &mut tx,
                AuditRecord::GroupCleared(GroupRef { group: id }),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A group with its members.
    pub async fn group_detail(&self, id: GroupId) -> Result<GroupDetail, Error> {
        let mut conn = self.store.conn().await?;
        let group = groups::list(&mut conn)
            .await?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or(ErrorCode::NotFound)?;
        let members = groups::members(&mut conn, id).await?;
        Ok(GroupDetail { group, members })
    }

    /// Adds (`add`) or removes a member; "All Users" keeps everyone (`builtin_group`) and
    /// "Administrators" keeps an active member (`last_admin`).
    pub async fn change_membership(
        &self,
        group: GroupId,
        user: UserId,
        add: bool,
        actor: &Actor,
    ) -> Result<(), Error> {
        check_members_may_change(group, BUILTINS)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        groups::is_builtin(&mut tx, group).await?;
        users::find_by_id(&mut tx, user)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        if add {
            accounts::apply_membership(&mut tx, user, &MembershipPlan::join(group)).await?;
        } else {
            accounts::apply_membership(&mut tx, user, &MembershipPlan::leave(group)).await?;
            check_admins_remain(group, BUILTINS, users::active_admin_count(&mut tx).await?)?;
        }
        let (added, removed) = if add {
            (vec![user], vec![])
        } else {
            (vec![], vec![user])
        };
        let details = AuditRecord::GroupMembersChanged(MembersChanged {
            group,
            added,
            removed,
        });
        actor.audit(&mut tx, details, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
