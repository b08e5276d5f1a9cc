//! What a group-mapping change does (SPEC §10): each SSO user's next login, planned by the very
//! function logins use ([`crate::groups::plan`]) on the groups claim of their last login, so the
//! preview, `apply_now` and the next real login cannot disagree. Pure: the caller loads the users
//! in one query and applies the plans.

use std::collections::{BTreeMap, BTreeSet};

use lanyard_api::{GroupId, GroupImpact, GroupMappings, MappingsImpact, UnmappedGroup, UserImpact};

use crate::groups::{self, BuiltinGroups, SyncInput, SyncPlan};

/// One user who signs in with SSO, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoMember {
    /// The user's id.
    pub user_id: i64,
    /// Their email.
    pub email: String,
    /// Whether they may sign in (only active administrators count for the last-admin rule).
    pub active: bool,
    /// Their memberships now.
    pub current: BTreeSet<GroupId>,
    /// The groups claim of their last login (`jwt_groups`); `None` when none was ever seen, which
    /// changes nothing, as an absent claim at login does.
    pub jwt_groups: Option<Vec<String>>,
}

/// The plan for each of `members` (same order) under `mappings`. The last-admin rule holds across
/// the whole batch: removals from "Administrators" are allowed in id order while another active
/// administrator remains (counting those the same plans add), then refused with a note.
pub fn plan_all(
    members: &[SsoMember],
    mappings: &GroupMappings,
    builtins: BuiltinGroups,
    active_admins: usize,
) -> Vec<SyncPlan> {
    let admins = builtins.administrators;
    let plan = |member: &SsoMember, is_last_active_admin: bool| {
        groups::plan(SyncInput {
            current: &member.current,
            mappings,
            token_groups: member.jwt_groups.as_deref(),
            builtins,
            is_last_active_admin,
        })
    };
    // Every plan as if no one were the last administrator; only the removals from
    // "Administrators" can then need the rule, and only those are planned again.
    let mut plans: Vec<SyncPlan> = members.iter().map(|m| plan(m, false)).collect();
    let joining_admins = members
        .iter()
        .zip(&plans)
        .filter(|(m, p)| m.active && p.add.contains(&admins))
        .count();
    let mut admins_left = active_admins + joining_admins;
    let mut leaving: Vec<usize> = (0..members.len())
        .filter(|&i| {
            let member = &members[i];
            member.active && member.current.contains(&admins) && plans[i].remove.contains(&admins)
        })
        .collect();
    leaving.sort_by_key(|&i| members[i].user_id);
    for i in leaving {
        if admins_left <= 1 {
            plans[i] = plan(&members[i], true);
        } else {
            admins_left -= 1;
        }
    }
    plans
}

/// The preview of `POST /api/setting/jwt/mappings/preview`: who joins and leaves what under
/// `new_mappings`, and which groups `old_mappings` names that `new_mappings` does not, with their
/// member counts (`member_counts`, by group).
pub fn impact(
    members: &[SsoMember],
    old_mappings: &GroupMappings,
    new_mappings: &GroupMappings,
    builtins: BuiltinGroups,
    active_admins: usize,
    member_counts: &BTreeMap<GroupId, i64>,
) -> MappingsImpact {
    let plans = plan_all(members, new_mappings, builtins, active_admins);
    let mut users = Vec::new();
    let mut by_group: BTreeMap<GroupId, (Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for (member, plan) in members.iter().zip(&plans) {
        if plan.is_empty() && plan.notes.is_empty() {
            continue;
        }
        for &group in &plan.add {
            by_group.entry(group).or_default().0.push(member.user_id);
        }
        for &group in &plan.remove {
            by_group.entry(group).or_default().1.push(member.user_id);
        }
        let changes = plan.changes();
        users.push(UserImpact {
            user_id: member.user_id,
            email: member.email.clone(),
            add: changes.add,
            remove: changes.remove,
            notes: changes.notes,
        });
    }
    users.sort_by_key(|user| user.user_id);
    let mapped = |mappings: &GroupMappings| -> BTreeSet<GroupId> {
        mappings.values().flatten().copied().collect()
    };
    let unmapped_groups = mapped(old_mappings)
        .difference(&mapped(new_mappings))
        .map(|&group_id| UnmappedGroup {
            group_id,
            member_count: member_counts.get(&group_id).copied().unwrap_or(0),
        })
        .collect();
    MappingsImpact {
        users,
        groups: by_group
            .into_iter()
            .map(|(group_id, (mut join, mut leave))| {
                join.sort_unstable();
                leave.sort_unstable();
                GroupImpact {
                    group_id,
                    join,
                    leave,
                }
            })
            .collect(),
        unmapped_groups,
    }
}
