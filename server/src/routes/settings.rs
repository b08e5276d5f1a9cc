//! `GET`/`PUT /api/setting/jwt`, `PUT /api/setting/jwt/mappings`, `POST /api/setting/jwt/mappings/preview`,
//! `PUT /api/setting/enable-password-login`, `POST /api/setting/jwt/test`.

use axum::extract::State;
use axum::http::HeaderMap;
use lanyard_api::{
    EnablePasswordLogin, JwksStatus, JwtSettingsPatch, JwtSettingsView, MappingsImpact,
    MappingsPreviewRequest, SaveMappings, TokenTestRequest, Verdict,
};
use lanyard_core::settings::Settings;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::service::Error;
use crate::state::{AppState, SettingsSnapshot};

/// `GET /api/setting/jwt`: everything but the key, with the version to send back.
#[utoipa::path(get, path = "/api/setting/jwt", tag = "settings", operation_id = "settings_get", security(("session" = [])),
    responses((status = 200, description = "Every setting but the key, and the version.", body = JwtSettingsView), crate::openapi::AdminOnly))]
pub async fn get(State(state): State<AppState>, _admin: Admin) -> axum::Json<JwtSettingsView> {
    let snapshot = state.settings();
    axum::Json(state.settings_view(&snapshot.settings, snapshot.version))
}

/// `PUT /api/setting/jwt`: a partial update, validated as a whole; nothing changes when invalid or
/// when `version` is stale.
#[utoipa::path(put, path = "/api/setting/jwt", tag = "settings", operation_id = "settings_put", security(("session" = []), ("api_key" = [])), request_body = JwtSettingsPatch,
    responses((status = 200, description = "Saved.", body = JwtSettingsView),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::Conflict))]
pub async fn put(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(patch): AppJson<JwtSettingsPatch>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    Ok(axum::Json(
        state.save_settings(&patch, &admin.actor()).await?,
    ))
}

/// `PUT /api/setting/jwt/mappings`: the mappings modal's result, all or nothing.
#[utoipa::path(put, path = "/api/setting/jwt/mappings", tag = "settings", operation_id = "settings_put_mappings", security(("session" = []), ("api_key" = [])), request_body = SaveMappings,
    responses((status = 200, description = "Everything saved, in one transaction.", body = JwtSettingsView),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn put_mappings(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(body): AppJson<SaveMappings>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    Ok(axum::Json(
        state.save_mappings(&body, &admin.actor()).await?,
    ))
}

/// `POST /api/setting/jwt/mappings/preview`: what new mappings would do to every SSO user.
#[utoipa::path(post, path = "/api/setting/jwt/mappings/preview", tag = "settings", operation_id = "settings_preview_mappings", security(("session" = []), ("api_key" = [])), request_body = MappingsPreviewRequest,
    responses((status = 200, description = "Who would join and leave which group, and the groups that stop being mapped; nothing is changed.", body = MappingsImpact),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn preview_mappings(
    State(state): State<AppState>,
    _admin: Admin,
    AppJson(body): AppJson<MappingsPreviewRequest>,
) -> Result<axum::Json<MappingsImpact>, AppError> {
    Ok(axum::Json(state.preview_mappings(&body).await?))
}

/// `PUT /api/setting/enable-password-login`.
#[utoipa::path(put, path = "/api/setting/enable-password-login", tag = "settings", operation_id = "settings_put_password_login", security(("session" = []), ("api_key" = [])), request_body = EnablePasswordLogin,
    responses((status = 200, description = "Saved.", body = JwtSettingsView),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::Conflict))]
pub async fn put_password_login(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(body): AppJson<EnablePasswordLogin>,
) -> Result<axum::Json<JwtSettingsView>, AppError> {
    let patch = JwtSettingsPatch {
        enable_password_login: Some(body.value),
        version: body.version,
        ..Default::default()
    };
    Ok(axum::Json(
        state.save_settings(&patch, &admin.actor()).await?,
    ))
}

/// `POST /api/setting/jwt/test`: the verdict the SSO endpoint would reach, touching nothing.
#[utoipa::path(post, path = "/api/setting/jwt/test", tag = "settings", operation_id = "settings_test", security(("session" = []), ("api_key" = [])), request_body = TokenTestRequest,
    responses((status = 200, description = "The verdict; nothing was changed.", body = Verdict),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
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
            .map_err(|fields| AppError::from(Error::Settings(fields)))?,
        None => current.settings.clone(),
    };
    let site = state.site_url(&settings, crate::extract::host(&headers))?;
    let settings = SettingsSnapshot::new(settings, current.version);
    Ok(axum::Json(
        state.dry_run(&request, &settings, site.as_str()).await?,
    ))
}

/// `POST /api/setting/jwt/jwks/refresh`: fetch the JWK Set now.
#[utoipa::path(post, path = "/api/setting/jwt/jwks/refresh", tag = "settings", operation_id = "settings_refresh_jwks",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "The JWK Set's status after the fetch (a failure is in `last_error`; the previous keys stay in use).", body = JwksStatus),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn refresh_jwks(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<JwksStatus>, AppError> {
    Ok(axum::Json(state.refresh_jwks().await?))
}
