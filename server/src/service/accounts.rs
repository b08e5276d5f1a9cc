//! The one path that creates users and changes their memberships: SSO, SCIM, the admin API, the
//! first administrator and the mappings' `apply_now` all go through here. The membership rules
//! ("All Users" always, the last administrator stays one) are lanyard-core's; this module writes
//! what they decide.

use std::collections::BTreeSet;

use lanyard_api::GroupId;

use crate::store::{BUILTINS, NewUser, Person, StoreError, Tx, users};

/// Where a new account comes from, with what only that origin gives it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Origin<'a> {
    /// An admin (`POST /api/user`): maybe a password, maybe administrator, some groups.
    Admin {
        password_hash: Option<&'a str>,
        is_admin: bool,
        groups: &'a [GroupId],
    },
    /// The first administrator (setup page, command line).
    FirstAdmin { password_hash: &'a str },
    /// SCIM provisioning: no password, no groups until a group names them.
    Scim,
    /// A JWT SSO sign-in: the login's attributes, subject and groups claim, signed in now.
    Sso {
        source: &'a str,
        login_attributes: &'a str,
        subject: Option<&'a str>,
        jwt_groups: Option<&'a str>,
    },
}

/// A user to create.
#[derive(Debug, Clone, Copy)]
pub(super) struct NewAccount<'a> {
    /// Who (the email already normalised).
    pub person: Person<'a>,
    /// Where from.
    pub origin: Origin<'a>,
}

/// Creates the user in "All Users" (and the groups its origin gives); `conflict` when the email is
/// taken.
pub(super) async fn create_user(
    tx: &mut Tx,
    account: NewAccount<'_>,
    now: i64,
) -> Result<i64, StoreError> {
    let mut new = NewUser {
        person: account.person,
        password_hash: None,
        sso_source: None,
        is_superuser: false,
        login_attributes: None,
        last_login: None,
        sso_subject: None,
        jwt_groups: None,
        now,
    };
    let mut groups: &[GroupId] = &[];
    match account.origin {
        Origin::Admin {
            password_hash,
            is_admin,
            groups: wanted,
        } => {
            new.password_hash = password_hash;
            new.is_superuser = is_admin;
            groups = wanted;
        }
        Origin::FirstAdmin { password_hash } => {
            new.password_hash = Some(password_hash);
            new.is_superuser = true;
        }
        Origin::Scim => {}
        Origin::Sso {
            source,
            login_attributes,
            subject,
            jwt_groups,
        } => {
            new.sso_source = Some(source);
            new.login_attributes = Some(login_attributes);
            new.last_login = Some(now);
            new.sso_subject = subject;
            new.jwt_groups = jwt_groups;
        }
    }
    let id = users::insert(tx, &new).await?;
    let plan = MembershipPlan {
        add: groups.iter().copied().collect(),
        remove: BTreeSet::new(),
    };
    apply_membership(tx, id, &plan).await?;
    Ok(id)
}

/// Groups one user joins and leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct MembershipPlan {
    /// Groups to join.
    pub add: BTreeSet<GroupId>,
    /// Groups to leave.
    pub remove: BTreeSet<GroupId>,
}

impl MembershipPlan {
    /// From the groups a user is in to `wanted` (which core's `BuiltinGroups::wanted` made).
    pub fn between(current: &BTreeSet<GroupId>, wanted: &BTreeSet<GroupId>) -> Self {
        Self {
            add: wanted.difference(current).copied().collect(),
            remove: current.difference(wanted).copied().collect(),
        }
    }

    /// Joining one group.
    pub fn join(group: GroupId) -> Self {
        Self {
            add: BTreeSet::from([group]),
            remove: BTreeSet::new(),
        }
    }

    /// Leaving one group.
    pub fn leave(group: GroupId) -> Self {
        Self {
            add: BTreeSet::new(),
            remove: BTreeSet::from([group]),
        }
    }
}

impl From<&lanyard_core::groups::SyncPlan> for MembershipPlan {
    fn from(plan: &lanyard_core::groups::SyncPlan) -> Self {
        Self {
            add: plan.add.clone(),
            remove: plan.remove.clone(),
        }
    }
}

/// Writes `plan` for `user`. "All Users" is never left: core's plans never ask it, and this is
/// the last place that could.
pub(super) async fn apply_membership(
    tx: &mut Tx,
    user: i64,
    plan: &MembershipPlan,
) -> Result<(), StoreError> {
    for &group in &plan.add {
        users::add_membership(tx, user, group).await?;
    }
    for &group in plan.remove.iter().filter(|&&g| g != BUILTINS.all_users) {
        users::remove_membership(tx, user, group).await?;
    }
    Ok(())
}

/// Whether a member of `groups` is an administrator (core's rule, with lanyard's built-in ids).
pub(super) fn is_admin<'a>(groups: impl IntoIterator<Item = &'a GroupId>) -> bool {
    BUILTINS.is_admin(groups)
}
