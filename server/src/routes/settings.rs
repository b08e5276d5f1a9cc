//! `GET`/`PUT /api/setting/jwt`, `PUT /api/setting/enable-password-login`, `POST /api/setting/jwt/test`.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::HeaderMap;
use lanyard_api::{
    Check, CheckName, CheckOutcome, EnablePasswordLogin, ErrorCode, JwtSettingsPatch,
    JwtSettingsView, TokenTestRequest, Verdict,
};
use lanyard_core::groups::BuiltinGroups;
use lanyard_core::settings::Settings;
use lanyard_core::{GroupContext, InspectInput, inspect};
use serde_json::json;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use crate::store::{ADMINISTRATORS, ALL_USERS, AuditEvent, sessions, users};

/// `GET /api/setting/jwt`: everything but the key.
pub async fn get(State(state): State<AppState>, _admin: Admin) -> axum::Json<JwtSettingsView> {
    axum::Json(state.settings().settings.view())
}

/// `PUT /api/setting/jwt`: a partial update, validated as a whole; nothing changes when invalid.
pub async fn put(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(patch): AppJson<JwtSettingsPatch>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    save(&state, &admin.user.email, &patch).await
}

/// `PUT /api/setting/enable-password-login`.
pub async fn put_password_login(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<EnablePasswordLogin>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    let patch = JwtSettingsPatch {
        enable_password_login: Some(body.value),
        ..Default::default()
    };
    save(&state, &admin.user.email, &patch).await
}

async fn save(
    state: &AppState,
    actor: &str,
    patch: &JwtSettingsPatch,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    let known_groups = state.store.group_ids().await?;
    let current = state.settings();
    let next = current
        .settings
        .apply(patch, Some(&known_groups))
        .map_err(AppError::Settings)?;
    let version = state.store.save_settings(&next).await?;
    state.publish_settings(next.clone(), version);
    let entry = AuditEvent {
        event: "settings_changed",
        actor_email: Some(actor),
        ip: None,
        details: json!({ "changes": redacted(patch) }),
        at: state.now(),
    };
    state.store.audit(&entry).await?;
    Ok(axum::Json(next.view()))
}

/// The patch as the audit log records it: the key, if sent, only as "changed".
fn redacted(patch: &JwtSettingsPatch) -> serde_json::Value {
    let mut value = serde_json::to_value(patch).unwrap_or_default();
    if let Some(secret) = value.get_mut("jwt_shared_secret") {
        *secret = json!("(changed)");
    }
    value
}

/// `POST /api/setting/jwt/test`: the verdict the SSO endpoint would reach — every check of the token,
/// then replay and the account, with the group changes for the existing user — touching nothing.
pub async fn test(
    State(state): State<AppState>,
    _admin: Admin,
    headers: HeaderMap,
    AppJson(request): AppJson<TokenTestRequest>,
) -> Result<axum::Json<Verdict>, AppError> {
    let current = state.settings();
    let settings: Settings = match &request.settings {
        Some(patch) => current
            .settings
            .apply(patch, None)
            .map_err(AppError::Settings)?,
        None => current.settings.clone(),
    };
    let site = state.site_url(&settings, &headers)?;
    let now = state.now();
    let login = lanyard_core::verify_login(&request.token, &settings, site.as_str(), now).ok();
    let mut conn = state.store.conn().await?;
    let user = match &login {
        Some(login) => users::find_by_email(&mut conn, &login.profile.email).await?,
        None => None,
    };
    let current_groups: BTreeSet<i64> = match &user {
        Some(user) => users::group_ids(&mut conn, user.id)
            .await?
            .into_iter()
            .collect(),
        None => BTreeSet::new(),
    };
    let is_last_active_admin = current_groups.contains(&ADMINISTRATORS)
        && users::active_admin_count(&mut conn).await? <= 1;
    let mut verdict = inspect(InspectInput {
        token: &request.token,
        settings: &settings,
        key: Some(settings.jwt_shared_secret.as_bytes()),
        site_url: site.as_str(),
        now,
        user: user.as_ref().map(|_| GroupContext {
            current: &current_groups,
            builtins: BuiltinGroups {
                all_users: ALL_USERS,
                administrators: ADMINISTRATORS,
            },
            is_last_active_admin,
        }),
    });
    let Some(login) = login else {
        return Ok(axum::Json(verdict));
    };
    let replayed = sessions::is_replayed(&mut conn, &login.replay_key, now).await?;
    let account = match &user {
        Some(user) if !user.is_active => {
            Err((ErrorCode::UserDeactivated, "the account is deactivated"))
        }
        Some(_) => Ok("signs in to the existing account"),
        None if !settings.jwt_user_provisioning => Err((
            ErrorCode::UserNotProvisioned,
            "no account, and provisioning is off",
        )),
        None => Ok("creates a new account"),
    };
    let replay = if replayed {
        Err((ErrorCode::TokenReplayed, "this token was already used"))
    } else {
        Ok("not used before")
    };
    for (name, result) in [(CheckName::Replay, replay), (CheckName::Account, account)] {
        let (outcome, detail) = match result {
            Ok(detail) => (CheckOutcome::Pass, detail),
            Err((code, detail)) => {
                // The endpoint checks these after the token, so they never mask a token failure.
                verdict.error = verdict.error.or(Some(code));
                verdict.accepted = false;
                (CheckOutcome::Fail { code }, detail)
            }
        };
        verdict.checks.push(Check {
            name,
            outcome,
            detail: detail.to_owned(),
        });
    }
    Ok(axum::Json(verdict))
}
