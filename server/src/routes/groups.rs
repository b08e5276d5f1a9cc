//! `GET`/`POST /api/permissions/group`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use lanyard_api::{CreateGroup, ErrorCode, Group, UpdateGroup};
use serde_json::json;

use super::people;
use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use crate::store::{Tx, groups};

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
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateGroup>,
) -> Result<(StatusCode, axum::Json<Group>), AppError> {
    let name = valid_name(&body.name)?;
    let id = state.store.create_group(name).await?;
    let entry = crate::store::AuditEvent {
        event: "group_created",
        actor_email: Some(&admin.user.email),
        ip: None,
        details: json!({"group": id, "name": name}),
        at: state.now(),
    };
    state.store.audit(&entry).await?;
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

/// `PUT /api/permissions/group/:id`: renames (not the built-in groups).
pub async fn rename(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    AppJson(body): AppJson<UpdateGroup>,
) -> Result<axum::Json<Group>, AppError> {
    let name = valid_name(&body.name)?;
    let now = state.now();
    let mut tx = begin_on_custom_group(&state, id).await?;
    groups::rename(&mut tx, id, name).await?;
    people::audit(
        &mut tx,
        &admin.user.email,
        "group_renamed",
        json!({"group": id, "name": name}),
        now,
    )
    .await?;
    tx.commit().await?;
    let group = state
        .store
        .list_groups()
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or(ErrorCode::NotFound)?;
    Ok(axum::Json(group))
}

/// `DELETE /api/permissions/group/:id`: deletes (not the built-in groups) and removes the group from
/// every mapping.
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let now = state.now();
    let mut tx = begin_on_custom_group(&state, id).await?;
    groups::delete(&mut tx, id).await?;
    people::audit(
        &mut tx,
        &admin.user.email,
        "group_deleted",
        json!({"group": id}),
        now,
    )
    .await?;
    tx.commit().await?;
    let current = state.settings();
    let next = current.settings.without_group(id);
    if next != current.settings {
        let version = state.store.save_settings(&next).await?;
        state.publish_settings(next, version);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/permissions/group/:id/clear`: removes every member (not from the built-in groups).
pub async fn clear(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let now = state.now();
    let mut tx = begin_on_custom_group(&state, id).await?;
    groups::remove_all_members(&mut tx, id).await?;
    people::audit(
        &mut tx,
        &admin.user.email,
        "group_cleared",
        json!({"group": id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn valid_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > lanyard_core::settings::MAX_NAME_CHARS {
        Err(ErrorCode::InvalidRequest.into())
    } else {
        Ok(name)
    }
}

/// A write transaction on group `id`; `builtin_group` when it is one of the two built-in groups,
/// `not_found` when it does not exist.
async fn begin_on_custom_group(state: &AppState, id: i64) -> Result<Tx, AppError> {
    let mut tx = state.store.begin().await?;
    if groups::is_builtin(&mut tx, id).await? {
        return Err(ErrorCode::BuiltinGroup.into());
    }
    Ok(tx)
}
