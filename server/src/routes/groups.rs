//! `GET`/`POST /api/permissions/group`, `PUT`/`DELETE /api/permissions/group/:id`,
//! `PUT /api/permissions/group/:id/clear`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_api::{CreateGroup, Group, UpdateGroup};

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;

/// Every group.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<Vec<Group>>, AppError> {
    Ok(axum::Json(state.list_groups().await?))
}

/// Creates a group; `conflict` when the name is taken.
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateGroup>,
) -> Result<(StatusCode, axum::Json<Group>), AppError> {
    let group = state.create_group(&body.name, &admin.actor).await?;
    Ok((StatusCode::CREATED, axum::Json(group)))
}

/// Renames (not the built-in groups).
pub async fn rename(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    AppJson(body): AppJson<UpdateGroup>,
) -> Result<axum::Json<Group>, AppError> {
    Ok(axum::Json(
        state.rename_group(id, &body.name, &admin.actor).await?,
    ))
}

/// Deletes (not the built-in groups) and removes the group from every mapping.
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.delete_group(id, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes every member (not from the built-in groups).
pub async fn clear(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.clear_group(id, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
