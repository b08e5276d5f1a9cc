//! `GET`/`POST /api/permissions/group`, `PUT`/`DELETE /api/permissions/group/:id`,
//! `PUT /api/permissions/group/:id/clear`.

use axum::extract::State;
use axum::http::StatusCode;
use lanyard_api::{AddMember, CreateGroup, Group, GroupDetail, UpdateGroup};

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// Every group.
#[utoipa::path(get, path = "/api/permissions/group", tag = "people", operation_id = "groups_list", security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Every group, by name.", body = Vec<Group>), crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<Vec<Group>>, AppError> {
    Ok(axum::Json(state.list_groups().await?))
}

/// Creates a group; `conflict` when the name is taken.
#[utoipa::path(post, path = "/api/permissions/group", tag = "people", operation_id = "groups_create", security(("session" = []), ("api_key" = [])), request_body = CreateGroup,
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
#[utoipa::path(put, path = "/api/permissions/group/{id}", tag = "people", operation_id = "groups_rename", security(("session" = []), ("api_key" = [])),
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
#[utoipa::path(delete, path = "/api/permissions/group/{id}", tag = "people", operation_id = "groups_delete", security(("session" = []), ("api_key" = [])),
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
#[utoipa::path(put, path = "/api/permissions/group/{id}/clear", tag = "people", operation_id = "groups_clear", security(("session" = []), ("api_key" = [])),
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

/// A group with its members.
#[utoipa::path(get, path = "/api/permissions/group/{id}", tag = "people", operation_id = "groups_get", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The group's id.")),
    responses((status = 200, description = "The group and its members.", body = GroupDetail),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn get(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<GroupDetail>, AppError> {
    Ok(axum::Json(state.group_detail(id).await?))
}

/// Adds a member (not to "All Users", which holds everyone).
#[utoipa::path(post, path = "/api/permissions/group/{id}/members", tag = "people", operation_id = "groups_add_member", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The group's id.")), request_body = AddMember,
    responses((status = 204, description = "Added (or already a member)."),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn add_member(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<AddMember>,
) -> Result<StatusCode, AppError> {
    state
        .change_membership(id, body.user_id, true, &admin.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (not from "All Users"; not the last active administrator).
#[utoipa::path(delete, path = "/api/permissions/group/{id}/members/{user_id}", tag = "people", operation_id = "groups_remove_member", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The group's id."), ("user_id" = i64, Path, description = "The member's user id.")),
    responses((status = 204, description = "Removed (or was not a member)."),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn remove_member(
    State(state): State<AppState>,
    admin: Admin,
    AppPath((id, user_id)): AppPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .change_membership(id, user_id, false, &admin.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
