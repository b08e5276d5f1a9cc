//! Completing a login once the rules have passed: the writes, in one transaction, so a refusal at any
//! step leaves nothing behind. The rules themselves are lanyard-core's.

use std::collections::BTreeSet;

use lanyard_api::ErrorCode;
use lanyard_core::Login;
use lanyard_core::groups::{self, BuiltinGroups, SyncInput};
use lanyard_core::settings::Settings;
use serde_json::json;

use crate::error::AppError;
use crate::session;
use crate::state::AppState;
use crate::store::{self, ADMINISTRATORS, ALL_USERS, AuditEvent, NewUser, Tx, users};

/// A session just created: the token for the cookie and when it expires.
pub struct NewSession {
    /// The token (the cookie's value; only its hash is stored).
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Signs in the user a verified token describes (SPEC §2.2 replay, §2.3–§2.6).
pub async fn complete_sso(
    state: &AppState,
    settings: &Settings,
    login: &Login,
    ip: Option<&str>,
) -> Result<NewSession, AppError> {
    let now = state.now();
    let profile = &login.profile;
    let mut tx = state.store.begin().await?;
    // First statement is a write: on SQLite the transaction takes the write lock at once, so two
    // logins queue on the busy timeout instead of deadlocking on a read-to-write upgrade.
    store::sessions::remember_token(
        &mut tx,
        &login.replay_key,
        now,
        login.replay_until.saturating_add(1),
    )
    .await?;

    let existing = users::record_sso_login(
        &mut tx,
        &profile.email,
        profile.first_name.as_deref(),
        profile.last_name.as_deref(),
        profile.login_attributes.as_json(),
        now,
    )
    .await?;
    let user = match existing {
        // Returning rolls the transaction back: the update above is undone with the rest.
        Some((_, false)) => return Err(ErrorCode::UserDeactivated.into()),
        Some((id, true)) => id,
        None if !settings.jwt_user_provisioning => return Err(ErrorCode::UserNotProvisioned.into()),
        None => {
            let new = NewUser {
                email: &profile.email,
                first_name: profile.first_name.as_deref(),
                last_name: profile.last_name.as_deref(),
                password_hash: None,
                sso_source: Some("jwt"),
                is_superuser: false,
                login_attributes: Some(profile.login_attributes.as_json()),
                last_login: Some(now),
                now,
            };
            users::insert(&mut tx, &new).await?
        }
    };

    let mut details = json!({"method": "jwt"});
    if settings.jwt_group_sync {
        let current: BTreeSet<i64> = users::group_ids(&mut tx, user).await?.into_iter().collect();
        let is_last_active_admin =
            current.contains(&ADMINISTRATORS) && users::active_admin_count(&mut tx).await? <= 1;
        let plan = groups::plan(SyncInput {
            current: &current,
            mappings: &settings.jwt_group_mappings,
            token_groups: profile.groups.as_deref(),
            builtins: BuiltinGroups {
                all_users: ALL_USERS,
                administrators: ADMINISTRATORS,
            },
            is_last_active_admin,
        });
        for &group in &plan.add {
            users::add_membership(&mut tx, user, group).await?;
        }
        for &group in &plan.remove {
            users::remove_membership(&mut tx, user, group).await?;
        }
        let changes = plan.changes();
        details["groups_added"] = json!(changes.add);
        details["groups_removed"] = json!(changes.remove);
        if !changes.notes.is_empty() {
            details["notes"] = json!(changes.notes);
        }
    }

    let session = create_session(&mut tx, state, user, now).await?;
    store::record_audit(
        &mut tx,
        &AuditEvent {
            event: "sso_login",
            actor_email: Some(&profile.email),
            ip,
            details,
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Creates a session row for `user` inside `tx`.
pub async fn create_session(
    tx: &mut Tx,
    state: &AppState,
    user: i64,
    now: i64,
) -> Result<NewSession, AppError> {
    let (token, hash) = session::new_token()?;
    let expires_at = now.saturating_add(state.options.session_max_age);
    store::sessions::create(tx, &hash, user, now, expires_at).await?;
    Ok(NewSession { token, expires_at })
}
