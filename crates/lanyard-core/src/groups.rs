//! Group sync planning (SPEC §2.5): which memberships a login adds and removes.
//!
//! *mapped* is every group any mapping names; *wanted* is what the token's groups map to. The user
//! joins *wanted* and leaves *mapped − wanted*; groups no mapping names are never touched, "All Users"
//! is never left, and the last active administrator stays one.

use std::collections::BTreeSet;

use lanyard_api::{GroupChanges, GroupId, GroupMappings};

/// The ids of the two built-in groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinGroups {
    /// "All Users": every user is a member, always.
    pub all_users: GroupId,
    /// "Administrators": membership is what makes a user an admin.
    pub administrators: GroupId,
}

impl BuiltinGroups {
    /// Whether a member of `groups` is an administrator: membership of "Administrators" is what
    /// makes one.
    pub fn is_admin<'a>(&self, groups: impl IntoIterator<Item = &'a GroupId>) -> bool {
        groups
            .into_iter()
            .any(|&group| group == self.administrators)
    }

    /// The groups a user should be in when an admin sets them to `wanted` and, when given, sets
    /// the administrator flag: "All Users" always, "Administrators" exactly when the flag says so.
    pub fn wanted(&self, wanted: &[GroupId], is_admin: Option<bool>) -> BTreeSet<GroupId> {
        let mut groups: BTreeSet<GroupId> = wanted.iter().copied().collect();
        groups.insert(self.all_users);
        match is_admin {
            Some(true) => {
                groups.insert(self.administrators);
            }
            Some(false) => {
                groups.remove(&self.administrators);
            }
            None => {}
        }
        groups
    }
}

/// Why the plan left out a change the mappings asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncNote {
    /// The user is the last active administrator, so they were not removed from "Administrators".
    KeptLastAdmin,
}

impl SyncNote {
    /// A sentence for the audit log and the preview.
    pub fn message(self) -> &'static str {
        match self {
            Self::KeptLastAdmin => {
                "Not removed from Administrators: this user is the last active administrator."
            }
        }
    }
}

/// What a login changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// Groups to join.
    pub add: BTreeSet<GroupId>,
    /// Groups to leave.
    pub remove: BTreeSet<GroupId>,
    /// Changes deliberately left out.
    pub notes: Vec<SyncNote>,
}

impl SyncPlan {
    /// True when the login changes no membership.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }

    /// The wire form for the preview and the dry run.
    pub fn changes(&self) -> GroupChanges {
        GroupChanges {
            add: self.add.iter().copied().collect(),
            remove: self.remove.iter().copied().collect(),
            notes: self
                .notes
                .iter()
                .map(|note| note.message().to_owned())
                .collect(),
        }
    }
}

/// Everything the plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct SyncInput<'a> {
    /// The user's memberships now (empty for a new user).
    pub current: &'a BTreeSet<GroupId>,
    /// The configured mappings.
    pub mappings: &'a GroupMappings,
    /// The token's groups; `None` when the claim is absent, which changes nothing.
    pub token_groups: Option<&'a [String]>,
    /// The built-in groups.
    pub builtins: BuiltinGroups,
    /// Whether this user is the only active administrator.
    pub is_last_active_admin: bool,
}

/// The memberships a login adds and removes. Pure: the caller applies the plan.
pub fn plan(input: SyncInput<'_>) -> SyncPlan {
    let Some(token_groups) = input.token_groups else {
        return SyncPlan::default();
    };
    let mapped: BTreeSet<GroupId> = input.mappings.values().flatten().copied().collect();
    let wanted: BTreeSet<GroupId> = token_groups
        .iter()
        .filter_map(|name| input.mappings.get(name))
        .flatten()
        .copied()
        .collect();

    let add = wanted.difference(input.current).copied().collect();
    let mut notes = Vec::new();
    let remove = mapped
        .difference(&wanted)
        .copied()
        .filter(|id| input.current.contains(id))
        .filter(|&id| id != input.builtins.all_users)
        .filter(|&id| {
            let keep = id == input.builtins.administrators && input.is_last_active_admin;
            if keep {
                notes.push(SyncNote::KeptLastAdmin);
            }
            !keep
        })
        .collect();
    SyncPlan { add, remove, notes }
}

/// What saving new mappings changes, IdP group by IdP group (the audit log's "Group mappings
/// changed" entry). Lists of lanyard groups are compared as sets; each list is sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingsDiff {
    /// IdP groups mapped now that were not: the groups they map to.
    pub added: Vec<(String, Vec<GroupId>)>,
    /// IdP groups that map to other groups now: before and after.
    pub changed: Vec<(String, Vec<GroupId>, Vec<GroupId>)>,
    /// IdP groups no longer mapped: the groups they mapped to.
    pub removed: Vec<(String, Vec<GroupId>)>,
}

impl MappingsDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The difference between the mappings `before` and `after` a save.
pub fn diff_mappings(before: &GroupMappings, after: &GroupMappings) -> MappingsDiff {
    let sorted = |ids: &[GroupId]| -> Vec<GroupId> {
        ids.iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let mut diff = MappingsDiff::default();
    for (idp_group, ids) in after {
        match before.get(idp_group) {
            None => diff.added.push((idp_group.clone(), sorted(ids))),
            Some(old) if sorted(old) != sorted(ids) => {
                diff.changed
                    .push((idp_group.clone(), sorted(old), sorted(ids)));
            }
            Some(_) => {}
        }
    }
    for (idp_group, ids) in before {
        if !after.contains_key(idp_group) {
            diff.removed.push((idp_group.clone(), sorted(ids)));
        }
    }
    diff
}
