//! `GET`/`PUT /api/setting/jwt`, `PUT /api/setting/jwt/mappings`,
//! `PUT /api/setting/enable-password-login`, `POST /api/setting/jwt/test`.

use axum::extract::State;
use axum::http::HeaderMap;
use lanyard_api::{
    EnablePasswordLogin, JwtSettingsPatch, JwtSettingsView, SaveMappings, TokenTestRequest, Verdict,
};
use lanyard_core::settings::Settings;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;

/// `GET /api/setting/jwt`: everything but the key, with the version to send back.
pub async fn get(State(state): State<AppState>, _admin: Admin) -> axum::Json<JwtSettingsView> {
    let snapshot = state.settings();
    axum::Json(snapshot.settings.view(snapshot.version))
}

/// `PUT /api/setting/jwt`: a partial update, validated as a whole; nothing changes when invalid or
/// when `version` is stale.
pub async fn put(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(patch): AppJson<JwtSettingsPatch>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    Ok(axum::Json(state.save_settings(&patch, &admin.actor).await?))
}

/// `PUT /api/setting/jwt/mappings`: the mappings modal's result, all or nothing.
pub async fn put_mappings(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<SaveMappings>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    Ok(axum::Json(state.save_mappings(&body, &admin.actor).await?))
}

/// `PUT /api/setting/enable-password-login`.
pub async fn put_password_login(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<EnablePasswordLogin>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    let patch = JwtSettingsPatch {
        enable_password_login: Some(body.value),
        version: body.version,
        ..Default::default()
    };
    Ok(axum::Json(state.save_settings(&patch, &admin.actor).await?))
}

/// `POST /api/setting/jwt/test`: the verdict the SSO endpoint would reach, touching nothing.
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
    Ok(axum::Json(
        state.dry_run(&request, &settings, site.as_str()).await?,
    ))
}
