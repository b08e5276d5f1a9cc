//! SCIM Users and Groups (SPEC §12): each request one use case with its own transaction and audit
//! entry (source "scim"). lanyard-core says what a request means (filter, PATCH, resource ↔ user);
//! this applies it with the admin API's rules: the last active administrator stays one, everyone
//! stays in "All Users", built-in groups keep their names, deactivation ends every session.

use std::collections::BTreeSet;

use lanyard_api::{AuditRecord, GroupNamed, MembersChanged, ScimRequest, UserCreated, UserUpdated};
use lanyard_core::people::{
    AdminState, check_admin_change, check_admins_remain, check_members_may_change,
};
use lanyard_core::profile::normalize_email;
use lanyard_core::scim::filter::{Attributes, Filter, GROUP_ATTRIBUTES, USER_ATTRIBUTES};
use lanyard_core::scim::resources::{
    self, GROUP_READ_ONLY, GroupInput, GroupRecord, USER_READ_ONLY, UserInput, UserRecord,
};
use lanyard_core::scim::{Paging, ScimError, ScimType, list_response, patch};
use serde_json::Value;
use sqlx::AnyConnection;

use super::Actor;
use super::Error;
use super::accounts::{self, NewAccount, Origin};
use super::rfc3339;
use crate::state::Service;
use crate::store::Person;
use crate::store::scim::{self, ScimGroupRow, ScimUserRow, UserLookup, UserWrite};
use crate::store::{BUILTINS, StoreError, Tx, groups, sessions, users};

/// What a list request asks for.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// The `filter` parameter.
    pub filter: Option<&'a str>,
    /// `startIndex` and `count`.
    pub paging: Paging,
}

/// A write's preconditions: the `If-Match` header, when sent.
pub type IfMatch<'a> = Option<&'a str>;

fn not_found(kind: &str, id: &str) -> Error {
    ScimError::status(404, format!("No {kind} has id \"{id}\".")).into()
}

fn conflict(error: StoreError, what: &str) -> Error {
    match error {
        StoreError::Conflict => ScimError::conflict(format!("{what} is already taken")).into(),
        other => other.into(),
    }
}

fn user_json(row: &ScimUserRow, base: &str) -> Value {
    resources::user_json(
        &UserRecord {
            id: row.user.id,
            email: &row.user.email,
            user_name: row.user_name.as_deref(),
            first_name: row.user.first_name.as_deref(),
            last_name: row.user.last_name.as_deref(),
            external_id: row.external_id.as_deref(),
            active: row.user.is_active,
            groups: &row.groups,
            created: &rfc3339(row.created_at),
            last_modified: &rfc3339(row.updated_at),
        },
        base,
    )
}

fn group_json(row: &ScimGroupRow, base: &str) -> Value {
    resources::group_json(
        &GroupRecord {
            id: row.id,
            name: &row.name,
            external_id: row.external_id.as_deref(),
            members: &row.members,
            created: &rfc3339(row.created_at),
            last_modified: &rfc3339(row.updated_at),
        },
        base,
    )
}

/// `412` when `if_match` is given and is not the resource's version (`*` matches any).
fn check_if_match(resource: &Value, if_match: IfMatch<'_>) -> Result<(), Error> {
    match if_match {
        Some(wanted)
            if wanted.trim() != "*" && Some(wanted.trim()) != resources::version(resource) =>
        {
            Err(
                ScimError::status(412, "The resource changed since the version in If-Match.")
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

fn parse_id(id: &str, kind: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| not_found(kind, id))
}

fn filtered(
    resources: Vec<Value>,
    filter: Option<&Filter>,
    attributes: &Attributes,
    paging: Paging,
) -> Value {
    let matching: Vec<Value> = resources
        .into_iter()
        .filter(|resource| filter.is_none_or(|f| f.matches(resource, attributes)))
        .collect();
    let total = matching.len();
    list_response(paging.page(matching), total, paging)
}

/// A SCIM resource type: what the one implementation of each operation is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/Users`: lanyard's people.
    User,
    /// `/Groups`: lanyard's groups and their members.
    Group,
}

impl Resource {
    /// The word for one, in messages ("No user has id …").
    fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }

    /// The attributes its filters and PATCH paths may name.
    fn attributes(self) -> &'static Attributes {
        match self {
            Self::User => &USER_ATTRIBUTES,
            Self::Group => &GROUP_ATTRIBUTES,
        }
    }

    /// What a PUT or PATCH may not change.
    fn read_only(self) -> &'static [&'static str] {
        match self {
            Self::User => USER_READ_ONLY,
            Self::Group => GROUP_READ_ONLY,
        }
    }
}

/// A change of one resource: its body replaces it (`PUT`), or its operations apply (`PATCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `PUT`.
    Replace(Resource),
    /// `PATCH`.
    Patch(Resource),
}

/// Which resource a request is about: the SCIM base URL, its id, its `If-Match`.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The SCIM base URL (`meta.location` is under it).
    pub base: &'a str,
    /// The id in the path.
    pub id: &'a str,
    /// The `If-Match` header, when sent.
    pub if_match: IfMatch<'a>,
}

/// The resource as SCIM shows it after PATCH `operations`, refused when they touch a read-only
/// attribute.
fn patched(
    current: &Value,
    operations: &[patch::Operation],
    resource: Resource,
) -> Result<Value, ScimError> {
    let mut object = current.as_object().cloned().unwrap_or_default();
    patch::apply(&mut object, operations, resource.attributes())?;
    let after = Value::Object(object);
    resources::check_read_only(current, &after, resource.read_only())?;
    Ok(after)
}

impl Service {
    /// `GET /Users` or `/Groups`: filtered and paged.
    pub async fn scim_list(
        &self,
        resource: Resource,
        base: &str,
        query: ListQuery<'_>,
    ) -> Result<Value, Error> {
        match resource {
            Resource::User => self.list_scim_users(base, query).await,
            Resource::Group => self.list_scim_groups(base, query).await,
        }
    }

    /// `GET /Users/{id}` or `/Groups/{id}`.
    pub async fn scim_get(&self, resource: Resource, base: &str, id: &str) -> Result<Value, Error> {
        match resource {
            Resource::User => self.get_scim_user(base, id).await,
            Resource::Group => self.get_scim_group(base, id).await,
        }
    }

    /// `POST /Users` or `/Groups`: `409 uniqueness` when the `userName` or the name is taken.
    pub async fn scim_create(
        &self,
        resource: Resource,
        base: &str,
        body: &Value,
        actor: &Actor,
    ) -> Result<Value, Error> {
        match resource {
            Resource::User => self.create_scim_user(base, body, actor).await,
            Resource::Group => self.create_scim_group(base, body, actor).await,
        }
    }

    /// `PUT` (the body replaces the resource's SCIM attributes) or `PATCH` (the operations
    /// applied to the resource as SCIM shows it, then stored as a `PUT` of the result would be).
    pub async fn scim_change(
        &self,
        change: Change,
        target: Target<'_>,
        body: &Value,
        actor: &Actor,
    ) -> Result<Value, Error> {
        let Target { base, id, if_match } = target;
        match change {
            Change::Replace(resource) => {
                resources::check_body_id(body, parse_id(id, resource.noun())?)?;
                match resource {
                    Resource::User => {
                        let input = resources::user_input(body)?;
                        self.write_user(base, id, if_match, actor, |_| Ok(input))
                            .await
                    }
                    Resource::Group => {
                        let input = resources::group_input(body)?;
                        self.write_group(base, id, if_match, actor, move |_| Ok(input.clone()))
                            .await
                    }
                }
            }
            Change::Patch(resource) => {
                let operations = patch::parse(body, resource.attributes())?;
                match resource {
                    Resource::User => {
                        self.write_user(base, id, if_match, actor, move |current| {
                            resources::user_input(&patched(current, &operations, resource)?)
                        })
                        .await
                    }
                    Resource::Group => {
                        // Refused before the group (everyone, perhaps 100,000 people) is read.
                        if parse_id(id, "group")? == BUILTINS.all_users
                            && operations.iter().any(|op| op.may_change("members"))
                        {
                            return Err(all_users_fixed().into());
                        }
                        self.write_group(base, id, if_match, actor, move |current| {
                            resources::group_input(&patched(current, &operations, resource)?)
                        })
                        .await
                    }
                }
            }
        }
    }

    /// `DELETE /Users/{id}` deactivates the user and ends every session of theirs (SPEC §12);
    /// `DELETE /Groups/{id}` deletes a group that is not built in.
    pub async fn scim_delete(
        &self,
        resource: Resource,
        target: Target<'_>,
        actor: &Actor,
    ) -> Result<(), Error> {
        let Target { base, id, if_match } = target;
        match resource {
            Resource::User => self
                .write_user(base, id, if_match, actor, |current| {
                    let mut input = resources::user_input(current)?;
                    input.active = false;
                    Ok(input)
                })
                .await
                .map(|_| ()),
            Resource::Group => self.delete_scim_group(id, actor).await,
        }
    }

    /// Audits a SCIM request that changed nothing (a read) or was refused.
    pub async fn scim_request_seen(&self, actor: &Actor, request: ScimRequest) {
        self.audit_alone(actor, AuditRecord::ScimRequest(request))
            .await;
    }

    /// `GET /Users`: filtered and paged; a filter pinning `userName` reads one row.
    async fn list_scim_users(&self, base: &str, query: ListQuery<'_>) -> Result<Value, Error> {
        let filter = query
            .filter
            .map(|text| Filter::parse(text, &USER_ATTRIBUTES))
            .transpose()?;
        let pinned = filter.as_ref().and_then(Filter::pinned_email);
        let folded = pinned.map(normalize_email);
        let lookup = match (pinned, &folded) {
            (_, Some(Ok(email))) => UserLookup::Email(email),
            // Not an email: a `userName` kept as given (`emails.value` then matches nobody,
            // which the filter decides).
            (Some(name), _) => UserLookup::UserName(name),
            (None, _) => UserLookup::All,
        };
        let rows = scim::users(&mut *self.store.conn().await?, lookup).await?;
        let resources = rows.iter().map(|row| user_json(row, base)).collect();
        Ok(filtered(
            resources,
            filter.as_ref(),
            &USER_ATTRIBUTES,
            query.paging,
        ))
    }

    /// `GET /Users/{id}`.
    async fn get_scim_user(&self, base: &str, id: &str) -> Result<Value, Error> {
        let number = parse_id(id, "user")?;
        let mut conn = self.store.conn().await?;
        let row = scim::users(&mut conn, UserLookup::Id(number)).await?;
        row.first()
            .map(|row| user_json(row, base))
            .ok_or_else(|| not_found("user", id))
    }

    /// `POST /Users`: `409 uniqueness` when the `userName` is someone's.
    async fn create_scim_user(
        &self,
        base: &str,
        body: &Value,
        actor: &Actor,
    ) -> Result<Value, Error> {
        let input = resources::user_input(body)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let account = NewAccount {
            person: Person {
                email: &input.email,
                first_name: input.first_name.as_deref(),
                last_name: input.last_name.as_deref(),
            },
            origin: Origin::Scim,
        };
        let id = accounts::create_user(&mut tx, account, now)
            .await
            .map_err(|e| conflict(e, "userName (or the email it gives)"))?;
        scim::write_user(&mut tx, id, &write_of(&input), now)
            .await
            .map_err(|e| conflict(e, "userName (or the email it gives)"))?;
        let details = AuditRecord::UserCreated(UserCreated {
            user: input.email.clone(),
            user_id: id,
            active: Some(input.active),
        });
        actor.audit(&mut tx, details, now).await?;
        let rows = scim::users(&mut tx, UserLookup::Id(id)).await?;
        tx.commit().await?;
        rows.first()
            .map(|row| user_json(row, base))
            .ok_or_else(|| Error::Internal("created user vanished".into()))
    }

    async fn write_user(
        &self,
        base: &str,
        id: &str,
        if_match: IfMatch<'_>,
        actor: &Actor,
        change: impl FnOnce(&Value) -> Result<UserInput, ScimError> + Send + 'static,
    ) -> Result<Value, Error> {
        let number = parse_id(id, "user")?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let rows = scim::users(&mut tx, UserLookup::Id(number)).await?;
        let row = rows.first().ok_or_else(|| not_found("user", id))?;
        let current = user_json(row, base);
        check_if_match(&current, if_match)?;
        let input = off_the_workers(current.clone(), change).await??;
        let is_admin = accounts::is_admin(row.groups.iter().map(|(group, _)| group));
        check_admin_change(
            AdminState {
                is_admin,
                is_active: row.user.is_active,
            },
            AdminState {
                is_admin,
                is_active: input.active,
            },
            users::active_admin_count(&mut tx).await?,
        )
        .map_err(|_| no_admin_left())?;
        scim::write_user(&mut tx, number, &write_of(&input), now)
            .await
            .map_err(|e| conflict(e, "userName (or the email it gives)"))?;
        let sessions_ended = if row.user.is_active && !input.active {
            sessions::delete_for_user(&mut tx, number).await?
        } else {
            0
        };
        let details = AuditRecord::UserUpdated(UserUpdated {
            user: input.email.clone(),
            user_id: number,
            changes: None,
            active: Some(input.active),
            sessions_ended,
        });
        actor.audit(&mut tx, details, now).await?;
        let rows = scim::users(&mut tx, UserLookup::Id(number)).await?;
        tx.commit().await?;
        rows.first()
            .map(|row| user_json(row, base))
            .ok_or_else(|| not_found("user", id))
    }

    /// `GET /Groups`: filtered and paged.
    async fn list_scim_groups(&self, base: &str, query: ListQuery<'_>) -> Result<Value, Error> {
        let filter = query
            .filter
            .map(|text| Filter::parse(text, &GROUP_ATTRIBUTES))
            .transpose()?;
        let rows = scim::groups(&mut *self.store.conn().await?, None).await?;
        let resources = rows.iter().map(|row| group_json(row, base)).collect();
        Ok(filtered(
            resources,
            filter.as_ref(),
            &GROUP_ATTRIBUTES,
            query.paging,
        ))
    }

    /// `GET /Groups/{id}`.
    async fn get_scim_group(&self, base: &str, id: &str) -> Result<Value, Error> {
        let number = parse_id(id, "group")?;
        let rows = scim::groups(&mut *self.store.conn().await?, Some(number)).await?;
        rows.first()
            .map(|row| group_json(row, base))
            .ok_or_else(|| not_found("group", id))
    }

    /// `POST /Groups`: `409 uniqueness` when the name is taken.
    async fn create_scim_group(
        &self,
        base: &str,
        body: &Value,
        actor: &Actor,
    ) -> Result<Value, Error> {
        let input = resources::group_input(body)?;
        check_users_exist(&mut *self.store.conn().await?, &input.members).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = groups::create(&mut tx, &input.name)
            .await
            .map_err(|e| conflict(e, "displayName"))?;
        scim::write_group(&mut tx, id, &input.name, input.external_id.as_deref(), now).await?;
        let details = AuditRecord::GroupCreated(GroupNamed {
            group: id,
            name: input.name.clone(),
        });
        actor.audit(&mut tx, details, now).await?;
        MemberChange::new(id, &[], &input.members)?
            .apply(&mut tx, actor, now)
            .await?;
        let rows = scim::groups(&mut tx, Some(id)).await?;
        tx.commit().await?;
        rows.first()
            .map(|row| group_json(row, base))
            .ok_or_else(|| Error::Internal("created group vanished".into()))
    }

    /// `DELETE /Groups/{id}`: not a built-in group; it leaves every mapping too.
    async fn delete_scim_group(&self, id: &str, actor: &Actor) -> Result<(), Error> {
        let number = parse_id(id, "group")?;
        match groups::is_builtin(&mut *self.store.conn().await?, number).await {
            Ok(true) => {
                return Err(ScimError::bad(
                    ScimType::Mutability,
                    "The built-in groups cannot be deleted.",
                )
                .into());
            }
            Err(StoreError::NotFound) => return Err(not_found("group", id)),
            Err(other) => return Err(other.into()),
            Ok(false) => {}
        }
        self.delete_group(number, actor).await
    }

    /// Reads the group, works out the change off the async workers and outside any transaction
    /// (a PATCH of 50,000 members is real work, and sign-ins must not queue behind it), then
    /// writes it in one short transaction — if the group is still as it was read; a change made
    /// in between starts the whole request over.
    async fn write_group(
        &self,
        base: &str,
        id: &str,
        if_match: IfMatch<'_>,
        actor: &Actor,
        change: impl Fn(&Value) -> Result<GroupInput, ScimError> + Send + Sync + 'static,
    ) -> Result<Value, Error> {
        let number = parse_id(id, "group")?;
        let change = std::sync::Arc::new(change);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (row, current) = {
                let mut conn = self.store.conn().await?;
                let rows = scim::groups(&mut conn, Some(number)).await?;
                let row = rows
                    .into_iter()
                    .next()
                    .ok_or_else(|| not_found("group", id))?;
                let current = group_json(&row, base);
                (row, current)
            };
            check_if_match(&current, if_match)?;
            let change = std::sync::Arc::clone(&change);
            let input = off_the_workers(current, move |current| change(current)).await??;
            if row.builtin && input.name != row.name {
                return Err(ScimError::bad(
                    ScimType::Mutability,
                    "The built-in groups cannot be renamed.",
                )
                .into());
            }
            let before: Vec<i64> = row.members.iter().map(|(user, _)| *user).collect();
            let members = MemberChange::new(number, &before, &input.members)?;
            // Users are never deleted (SCIM's `DELETE` deactivates), so this may be checked
            // before the write transaction, keeping it short.
            check_users_exist(&mut *self.store.conn().await?, &members.added).await?;

            let now = self.now();
            let mut tx = self.store.begin().await?;
            let unchanged =
                scim::group_fingerprint(&mut tx, number).await? == Some(fingerprint(&row));
            if !unchanged {
                drop(tx);
                if attempts < 3 {
                    continue;
                }
                return Err(ScimError::status(
                    409,
                    "The group kept changing while this request was applied; try again.",
                )
                .into());
            }
            scim::write_group(
                &mut tx,
                number,
                &input.name,
                input.external_id.as_deref(),
                now,
            )
            .await
            .map_err(|e| conflict(e, "displayName"))?;
            if input.name != row.name {
                let details = AuditRecord::GroupRenamed(GroupNamed {
                    group: number,
                    name: input.name.clone(),
                });
                actor.audit(&mut tx, details, now).await?;
            }
            members.apply(&mut tx, actor, now).await?;
            tx.commit().await?;
            // Read back after the commit: the answer is the group as it is now.
            let rows = scim::groups(&mut *self.store.conn().await?, Some(number)).await?;
            return rows
                .first()
                .map(|row| group_json(row, base))
                .ok_or_else(|| not_found("group", id));
        }
    }
}

/// What [`scim::group_fingerprint`] reads, from a group as it was read.
fn fingerprint(row: &ScimGroupRow) -> (String, Option<String>, i64, i64) {
    let ids = row.members.iter().map(|(user, _)| *user);
    (
        row.name.clone(),
        row.external_id.clone(),
        i64::try_from(row.members.len()).unwrap_or(i64::MAX),
        ids.sum(),
    )
}

fn write_of(input: &UserInput) -> UserWrite<'_> {
    UserWrite {
        person: Person {
            email: &input.email,
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
        },
        external_id: input.external_id.as_deref(),
        user_name: input.user_name.as_deref(),
        active: input.active,
    }
}

/// A change of a group's members, worked out from the members before and the members wanted
/// (each a set: linear however many), and refused before anything is written when the group's
/// members may not change ("All Users").
struct MemberChange {
    group: i64,
    added: Vec<i64>,
    removed: Vec<i64>,
}

impl MemberChange {
    fn new(group: i64, before: &[i64], wanted: &[i64]) -> Result<Self, Error> {
        let before: BTreeSet<i64> = before.iter().copied().collect();
        let wanted: BTreeSet<i64> = wanted.iter().copied().collect();
        let change = Self {
            group,
            added: wanted.difference(&before).copied().collect(),
            removed: before.difference(&wanted).copied().collect(),
        };
        if !change.is_empty() {
            check_members_may_change(group, BUILTINS).map_err(|_| all_users_fixed())?;
        }
        Ok(change)
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// Writes the change inside `tx`, set-based (one statement per thousand members), audited;
    /// "Administrators" keeps an active member. [`check_users_exist`] came first.
    async fn apply(&self, tx: &mut Tx, actor: &Actor, now: i64) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        scim::add_members(tx, self.group, &self.added).await?;
        scim::remove_members(tx, self.group, &self.removed).await?;
        check_admins_remain(self.group, BUILTINS, users::active_admin_count(tx).await?)
            .map_err(|_| no_admin_left())?;
        let changed: Vec<i64> = self.added.iter().chain(&self.removed).copied().collect();
        scim::touch_users(tx, &changed, now).await?;
        let details = AuditRecord::GroupMembersChanged(MembersChanged {
            group: self.group,
            added: self.added.to_vec(),
            removed: self.removed.to_vec(),
        });
        actor.audit(tx, details, now).await?;
        Ok(())
    }
}

/// `invalidValue` unless every one of `ids` is a user.
async fn check_users_exist(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), Error> {
    let existing: BTreeSet<i64> = scim::existing_users(conn, ids).await?.into_iter().collect();
    match ids.iter().find(|id| !existing.contains(id)) {
        Some(missing) => Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("No user has id \"{missing}\"."),
        )
        .into()),
        None => Ok(()),
    }
}

/// SCIM's words for All Users' fixed membership (lanyard-core's rule).
fn all_users_fixed() -> ScimError {
    ScimError::bad(
        ScimType::Mutability,
        "Everyone is in All Users: its members cannot change.",
    )
}

/// SCIM's words for `last_admin` (the same rule as the admin API's, from lanyard-core).
fn no_admin_left() -> ScimError {
    ScimError::bad(
        ScimType::InvalidValue,
        "This would leave no active administrator.",
    )
}

/// Runs `change` on `current` on a blocking thread: a PATCH of many values is CPU work that must
/// never hold an async worker (other requests, and shutdown, wait on those).
async fn off_the_workers<T: Send + 'static>(
    current: Value,
    change: impl FnOnce(&Value) -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(move || change(&current))
        .await
        .map_err(|error| Error::Internal(format!("a SCIM change failed: {error}")))
}
