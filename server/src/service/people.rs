//! People (SPEC §4): list, create, and change users (names, admin flag, groups, active). The last
//! active administrator stays one (lanyard-core's rule).

use std::collections::BTreeSet;

use lanyard_api::{
    AuditRecord, CreateUser, ErrorCode, GroupId, PeopleFilter, UpdateUser, User, UserChanges,
    UserCreated, UserId, UserPage, UserUpdated,
};
use lanyard_core::people::{AdminState, check_admin_change, check_new_password};
use lanyard_core::profile::normalize_email;

use super::Actor;
use super::Error;
use super::accounts::{self, MembershipPlan, NewAccount, Origin};
use super::rfc3339;
use crate::passwords;
use crate::state::Service;
use crate::store::Person;
use crate::store::{BUILTINS, Tx, UserRow, groups, sessions, users};

impl Service {
    /// One page of the users `status` selects whose email or name contains `search`.
    pub async fn list_users(
        &self,
        search: &str,
        status: PeopleFilter,
        limit: i64,
        offset: i64,
    ) -> Result<UserPage, Error> {
        let (rows, total) = users::page(
            &mut *self.store.conn().await?,
            search.trim(),
            status.as_str(),
            limit.clamp(1, 200),
            offset.max(0),
        )
        .await?;
        let data = rows
            .into_iter()
            .map(|(user, groups)| to_wire(&user, groups))
            .collect();
        Ok(UserPage { data, total })
    }

    /// One user (`GET /api/user/:id`).
    pub async fn get_user(&self, id: UserId) -> Result<User, Error> {
        load(&mut *self.store.conn().await?, id).await
    }

    /// Creates a user with a password (or none, for SSO-only) and groups.
    pub async fn create_user(&self, body: CreateUser, actor: &Actor) -> Result<User, Error> {
        let email = normalize_email(body.email.trim())?;
        let hash = match body.password {
            Some(password) => {
                check_new_password(&password)?;
                Some(passwords::hash(password).await?)
            }
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        ensure_groups_exist(&mut tx, &body.group_ids).await?;
        let account = NewAccount {
            person: Person {
                email: &email,
                first_name: body.first_name.as_deref(),
                last_name: body.last_name.as_deref(),
            },
            origin: Origin::Admin {
                password_hash: hash.as_deref(),
                is_admin: body.is_superuser,
                groups: &body.group_ids,
            },
        };
        let id = accounts::create_user(&mut tx, account, now).await?;
        actor
            .audit(
                &mut tx,
                AuditRecord::UserCreated(UserCreated {
                    user: email.clone(),
                    user_id: id,
                    active: None,
                }),
                now,
            )
            .await?;
        let user = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Applies `body` to user `id`; `last_admin` when it would leave no active administrator.
    /// Deactivating a user ends every session of theirs; setting their password ends every one
    /// but the caller's own (`caller_session`, the hash of the session making the change), so an
    /// admin setting their own password stays signed in here (SPEC §3, §11).
    pub async fn change_user(
        &self,
        id: UserId,
        body: UpdateUser,
        actor: &Actor,
        caller_session: Option<&str>,
    ) -> Result<User, Error> {
        let password_hash = match &body.password {
            Some(password) => {
                check_new_password(password)?;
                Some(passwords::hash(password.clone()).await?)
            }
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let user = users::find_by_id(&mut tx, id)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        if let Some(wanted) = &body.group_ids {
            ensure_groups_exist(&mut tx, wanted).await?;
        }
        let groups: BTreeSet<GroupId> = users::group_ids(&mut tx, id).await?.into_iter().collect();
        let before = AdminState {
            is_admin: accounts::is_admin(&groups),
            is_active: user.is_active,
        };
        let current: Vec<GroupId> = groups.iter().copied().collect();
        let wanted_groups = BUILTINS.wanted(
            body.group_ids.as_deref().unwrap_or(&current),
            body.is_superuser,
        );
        let after = AdminState {
            is_admin: accounts::is_admin(&wanted_groups),
            is_active: body.is_active.unwrap_or(user.is_active),
        };
        check_admin_change(before, after, users::active_admin_count(&mut tx).await?)?;
        let first = body.first_name.as_deref().or(user.first_name.as_deref());
        let last = body.last_name.as_deref().or(user.last_name.as_deref());
        users::update(&mut tx, id, first, last, after.is_active).await?;
        accounts::apply_membership(
            &mut tx,
            id,
            &MembershipPlan::between(&groups, &wanted_groups),
        )
        .await?;
        if let Some(hash) = &password_hash {
            users::set_password(&mut tx, id, hash).await?;
        }
        let deactivated = user.is_active && !after.is_active;
        let sessions_ended = if deactivated {
            sessions::delete_for_user(&mut tx, id).await?
        } else if password_hash.is_some() {
            match caller_session {
                Some(keep) => sessions::delete_others(&mut tx, id, keep).await?,
                None => sessions::delete_for_user(&mut tx, id).await?,
            }
        } else {
            0
        };
        // A new password is recorded only as "(changed)": `UserChanges` has no room for it.
        let details = AuditRecord::UserUpdated(UserUpdated {
            user: user.email.clone(),
            user_id: id,
            changes: Some(UserChanges::from(&body)),
            active: None,
            sessions_ended,
        });
        actor.audit(&mut tx, details, now).await?;
        let updated = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

/// `invalid_request` when any of `ids` names no group.
async fn ensure_groups_exist(tx: &mut Tx, ids: &[i64]) -> Result<(), Error> {
    let known = groups::ids(tx).await?;
    if ids.iter().all(|id| known.contains(id)) {
        Ok(())
    } else {
        Err(ErrorCode::InvalidRequest.into())
    }
}

async fn load(conn: &mut sqlx::AnyConnection, id: UserId) -> Result<User, Error> {
    let user = users::find_by_id(conn, id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let groups = users::group_ids(conn, id).await?;
    Ok(to_wire(&user, groups))
}

fn to_wire(user: &UserRow, group_ids: Vec<i64>) -> User {
    User {
        id: user.id,
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        is_superuser: accounts::is_admin(&group_ids),
        is_active: user.is_active,
        group_ids,
        sso_source: user.sso_source.clone(),
        login_attributes: serde_json::from_str(&user.login_attributes).unwrap_or_default(),
        last_login: user.last_login.map(rfc3339),
    }
}
