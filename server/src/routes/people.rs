//! People (SPEC §4): `GET`/`POST /api/user`, `PUT`/`DELETE /api/user/:id`,
//! `PUT /api/user/:id/reactivate`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use lanyard_api::{CreateUser, UpdateUser, User, UserPage};
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;

/// `GET /api/user` query.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    query: String,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    50
}

/// `GET /api/user?query=&limit=&offset=`: paged and searchable (email or name).
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(page): Query<PageQuery>,
) -> Result<axum::Json<UserPage>, AppError> {
    Ok(axum::Json(
        state
            .list_users(&page.query, page.limit, page.offset)
            .await?,
    ))
}

/// `POST /api/user`.
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateUser>,
) -> Result<(StatusCode, axum::Json<User>), AppError> {
    let user = state.create_user(body, &admin.actor).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// `PUT /api/user/:id`: names, admin flag, groups, active.
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    AppJson(body): AppJson<UpdateUser>,
) -> Result<axum::Json<User>, AppError> {
    Ok(axum::Json(state.change_user(id, body, &admin.actor).await?))
}

/// `DELETE /api/user/:id`: deactivates (the user's sessions stop working at once).
pub async fn deactivate(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<axum::Json<User>, AppError> {
    let body = UpdateUser {
        is_active: Some(false),
        ..Default::default()
    };
    Ok(axum::Json(state.change_user(id, body, &admin.actor).await?))
}

/// `PUT /api/user/:id/reactivate`.
pub async fn reactivate(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
) -> Result<axum::Json<User>, AppError> {
    let body = UpdateUser {
        is_active: Some(true),
        ..Default::default()
    };
    Ok(axum::Json(state.change_user(id, body, &admin.actor).await?))
}
