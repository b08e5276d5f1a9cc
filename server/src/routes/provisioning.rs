//! SCIM's switch and token (`/api/setting/scim`) and API keys (`/api/api-key`), SPEC §12. Only a
//! signed-in administrator manages credentials; an API key cannot (`session_required`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use lanyard_api::{ApiKeyCreated, ApiKeyView, CreateApiKey, EnableScim, ScimStatus, ScimToken};

use crate::auth::{Admin, SessionAdmin};
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::routes::scim::endpoint;
use crate::state::AppState;

/// `GET /api/setting/scim`: on or off, the endpoint, the last request; never the token.
#[utoipa::path(get, path = "/api/setting/scim", tag = "provisioning", operation_id = "scim_status", security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "SCIM's state.", body = ScimStatus), crate::openapi::AdminOnly))]
pub async fn status(
    State(state): State<AppState>,
    _admin: Admin,
    headers: HeaderMap,
) -> Result<axum::Json<ScimStatus>, AppError> {
    Ok(axum::Json(
        state.scim_status(endpoint(&state, &headers)?).await?,
    ))
}

/// `PUT /api/setting/scim`: on (the token, once) or off (the token ends).
#[utoipa::path(put, path = "/api/setting/scim", tag = "provisioning", operation_id = "scim_enable", security(("session" = [])), request_body = EnableScim,
    responses((status = 200, description = "Saved; `token` is set when SCIM was just turned on.", body = ScimToken),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::CrossSite))]
pub async fn enable(
    State(state): State<AppState>,
    SessionAdmin(admin): SessionAdmin,
    headers: HeaderMap,
    AppJson(body): AppJson<EnableScim>,
) -> Result<axum::Json<ScimToken>, AppError> {
    let endpoint = endpoint(&state, &headers)?;
    Ok(axum::Json(
        state
            .enable_scim(body.enabled, endpoint, &admin.actor())
            .await?,
    ))
}

/// `POST /api/setting/scim/token`: a new token, once; the old one ends.
#[utoipa::path(post, path = "/api/setting/scim/token", tag = "provisioning", operation_id = "scim_rotate_token", security(("session" = [])),
    responses((status = 200, description = "The new token.", body = ScimToken),
        (status = 400, description = "`invalid_request`: SCIM is off.", body = lanyard_api::ErrorBody),
        crate::openapi::AdminOnly))]
pub async fn rotate_token(
    State(state): State<AppState>,
    SessionAdmin(admin): SessionAdmin,
    headers: HeaderMap,
) -> Result<axum::Json<ScimToken>, AppError> {
    let endpoint = endpoint(&state, &headers)?;
    Ok(axum::Json(
        state.rotate_scim_token(endpoint, &admin.actor()).await?,
    ))
}

/// `GET /api/api-key`: every key, never a key itself.
#[utoipa::path(get, path = "/api/api-key", tag = "provisioning", operation_id = "api_keys_list", security(("session" = [])),
    responses((status = 200, description = "Every API key, by name.", body = Vec<ApiKeyView>), crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: SessionAdmin,
) -> Result<axum::Json<Vec<ApiKeyView>>, AppError> {
    Ok(axum::Json(state.list_api_keys().await?))
}

/// `POST /api/api-key`: a new key, answered once.
#[utoipa::path(post, path = "/api/api-key", tag = "provisioning", operation_id = "api_keys_create", security(("session" = [])), request_body = CreateApiKey,
    responses((status = 201, description = "The key, this once.", body = ApiKeyCreated),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::Conflict))]
pub async fn create(
    State(state): State<AppState>,
    SessionAdmin(admin): SessionAdmin,
    AppJson(body): AppJson<CreateApiKey>,
) -> Result<(StatusCode, axum::Json<ApiKeyCreated>), AppError> {
    let created = state.create_api_key(&body, &admin.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// `POST /api/api-key/{id}/rotate`: a new key in place of the old, answered once.
#[utoipa::path(post, path = "/api/api-key/{id}/rotate", tag = "provisioning", operation_id = "api_keys_rotate", security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses((status = 200, description = "The new key, this once.", body = ApiKeyCreated),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn rotate(
    State(state): State<AppState>,
    SessionAdmin(admin): SessionAdmin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<ApiKeyCreated>, AppError> {
    Ok(axum::Json(state.rotate_api_key(id, &admin.actor()).await?))
}

/// `DELETE /api/api-key/{id}`.
#[utoipa::path(delete, path = "/api/api-key/{id}", tag = "provisioning", operation_id = "api_keys_delete", security(("session" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses((status = 204, description = "Deleted: the key stops working."),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn delete(
    State(state): State<AppState>,
    SessionAdmin(admin): SessionAdmin,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    state.delete_api_key(id, &admin.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
