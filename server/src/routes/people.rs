//! People (SPEC §4): `GET`/`POST /api/user`, `PUT`/`DELETE /api/user/:id`,
//! `PUT /api/user/:id/reactivate`.

use axum::extract::State;
use axum::http::StatusCode;
use lanyard_api::{CreateUser, PeopleFilter, UpdateUser, User, UserPage, UserQuery};

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// `GET /api/user?query=&limit=&offset=`: paged and searchable (email or name).
#[utoipa::path(get, path = "/api/user", tag = "people", operation_id = "people_list", security(("session" = []), ("api_key" = [])),
    params(
        ("query" = Option<String>, Query, description = "Part of an email or name."),
        ("status" = Option<PeopleFilter>, Query, description = "Who: `all` (default), `active`, `deactivated`, `admins`, `sso`, `password`."),
        ("limit" = Option<i64>, Query, description = "Page size, 1..=200 (default 50)."),
        ("offset" = Option<i64>, Query, description = "Users to skip."),
    ),
    responses((status = 200, description = "One page of users.", body = UserPage),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    AppQuery(page): AppQuery<UserQuery>,
) -> Result<axum::Json<UserPage>, AppError> {
    Ok(axum::Json(
        state
            .list_users(&page.query, page.status, page.limit, page.offset)
            .await?,
    ))
}

/// `POST /api/user`.
#[utoipa::path(post, path = "/api/user", tag = "people", operation_id = "people_create", security(("session" = []), ("api_key" = [])), request_body = CreateUser,
    responses((status = 201, description = "Created.", body = User),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::Conflict))]
pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(body): AppJson<CreateUser>,
) -> Result<(StatusCode, axum::Json<User>), AppError> {
    let user = state.create_user(body, &admin.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// `PUT /api/user/:id`: names, admin flag, groups, active.
#[utoipa::path(put, path = "/api/user/{id}", tag = "people", operation_id = "people_update", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")), request_body = UpdateUser,
    responses((status = 200, description = "Changed.", body = User),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateUser>,
) -> Result<axum::Json<User>, AppError> {
    Ok(axum::Json(
        state
            .change_user(id, body, &admin.actor(), admin.session.as_deref())
            .await?,
    ))
}

/// `DELETE /api/user/:id`: deactivates (the user's sessions stop working at once).
#[utoipa::path(delete, path = "/api/user/{id}", tag = "people", operation_id = "people_deactivate", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")),
    responses((status = 200, description = "Deactivated; their sessions stop working.", body = User),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound, crate::openapi::Conflict))]
pub async fn deactivate(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<User>, AppError> {
    let body = UpdateUser {
        is_active: Some(false),
        ..Default::default()
    };
    Ok(axum::Json(
        state
            .change_user(id, body, &admin.actor(), admin.session.as_deref())
            .await?,
    ))
}

/// `PUT /api/user/:id/reactivate`.
#[utoipa::path(put, path = "/api/user/{id}/reactivate", tag = "people", operation_id = "people_reactivate", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")),
    responses((status = 200, description = "Reactivated.", body = User),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn reactivate(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<User>, AppError> {
    let body = UpdateUser {
        is_active: Some(true),
        ..Default::default()
    };
    Ok(axum::Json(
        state
            .change_user(id, body, &admin.actor(), admin.session.as_deref())
            .await?,
    ))
}

/// `GET /api/user/{id}`: one person, for their page.
#[utoipa::path(get, path = "/api/user/{id}", tag = "people", operation_id = "people_get", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")),
    responses((status = 200, description = "The user.", body = User),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn get(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<User>, AppError> {
    Ok(axum::Json(state.get_user(id).await?))
}
