//! `GET`/`POST /api/permissions/group`.

use axum::extract::State;
use axum::http::StatusCode;
use lanyard_api::{CreateGroup, ErrorCode, Group};

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;

/// Every group.
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<Vec<Group>>, AppError> {
    Ok(axum::Json(state.store.list_groups().await?))
}

/// Creates a group; `conflict` when the name is taken.
pub async fn create(
    State(state): State<AppState>,
    _admin: Admin,
    AppJson(body): AppJson<CreateGroup>,
) -> Result<(StatusCode, axum::Json<Group>), AppError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > lanyard_core::settings::MAX_NAME_CHARS {
        return Err(ErrorCode::InvalidRequest.into());
    }
    let id = state.store.create_group(name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Group {
            id,
            name: name.to_owned(),
            member_count: 0,
            builtin: false,
        }),
    ))
}
