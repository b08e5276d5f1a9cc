//! `GET`/`POST /api/permissions/group`, `PUT`/`DELETE /api/permissions/group/:id`,
//! `PUT /api/permissions/group/:id/clear`.

use axum::extract::State;
use axum::http::StatusCode;
use lanyard_api::{CreateGroup, Group, UpdateGroup};

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// Every group.
#[utoipa::path(get, path = "/api/permissions/group", tag = "people", operation_id = "groups_list", security(("session" = [])),
    responses((status = 200, description = "Every group, by name.", body = Vec<Group>), crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<Vec<Group>>, AppError> {
    Ok(axum::Json(state.list_groups().await?))
}

/// Creates a group; `conflict` when the name is taken.
#[utoipa::path(post, path = "/api/permissions/group", tag = "people", operation_id = "groups_create", security(("session" = [])), request_body = CreateGroup,
    responses((status = 201, description = "Created.", body = Group),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::Conflict))]
pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(body): AppJson<CreateGroup>,
) -> Result<(StatusCode, axum::Json<Group>), AppError> {
    let group = state.create_group(&body.name, &admin.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(group)))
}

/// Renames (not the built-in groups).
#[utoipa::path(put, path = "/api/permissions/group/{id}", tag = "people", operation_id = "groups_rename", security(("session" = [])),
    params(("id" = i64, Path, description = "The group.")), request_body = UpdateGroup,
    responses((status = 200, description = "Renamed.", body = Group),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn rename(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateGroup>,
) -> Result<axum::Json<Group>, AppError> {
    Ok(axum::Json(
        state.rename_group(id, &body.name, &admin.actor()).await?,
    ))
}

/// Deletes (not the built-in groups) and removes the group from every mapping.
#[utoipa::path(delete, path = "/api/permissions/group/{id}", tag = "people", operation_id = "groups_delete", security(("session" = [])),
    params(("id" = i64, Path, description = "The group.")),
    responses((status = 204, description = "Deleted, and removed from every mapping."),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    state.delete_group(id, &admin.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes every member (not from the built-in groups).
#[utoipa::path(put, path = "/api/permissions/group/{id}/clear", tag = "people", operation_id = "groups_clear", security(("session" = [])),
    params(("id" = i64, Path, description = "The group.")),
    responses((status = 204, description = "Every member removed."),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn clear(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    state.clear_group(id, &admin.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
