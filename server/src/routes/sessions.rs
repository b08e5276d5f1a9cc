//! "Your sessions" and password changes (SPEC §3, §11): `GET`/`DELETE /api/session/list`,
//! `DELETE /api/session/list/{id}`, `PUT /api/user/current/password`, and the admin's
//! `DELETE /api/user/{id}/sessions`.

use axum::extract::State;
use axum::http::StatusCode;
use lanyard_api::{ChangePassword, SessionView, SessionsEnded};

use crate::auth::{Admin, SignedIn};
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// `GET /api/session/list`: the caller's sessions, newest first; `current` marks this one.
#[utoipa::path(get, path = "/api/session/list", tag = "session", operation_id = "sessions_list", security(("session" = [])),
    responses((status = 200, description = "The caller's unexpired sessions.", body = Vec<SessionView>), crate::openapi::SignedInOnly))]
pub async fn list(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<axum::Json<Vec<SessionView>>, AppError> {
    Ok(axum::Json(state.list_sessions(&me).await?))
}

/// `DELETE /api/session/list`: signs out every other session of the caller.
#[utoipa::path(delete, path = "/api/session/list", tag = "session", operation_id = "sessions_end_others", security(("session" = [])),
    responses((status = 200, description = "Every other session ended; this one stays.", body = SessionsEnded),
        crate::openapi::SignedInOnly, crate::openapi::CrossSite))]
pub async fn end_others(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<axum::Json<SessionsEnded>, AppError> {
    let sessions_ended = state.end_other_sessions(&me).await?;
    Ok(axum::Json(SessionsEnded { sessions_ended }))
}

/// `DELETE /api/session/list/{id}`: ends one of the caller's other sessions.
#[utoipa::path(delete, path = "/api/session/list/{id}", tag = "session", operation_id = "sessions_end_one", security(("session" = [])),
    params(("id" = String, Path, description = "The session's `id` from the list.")),
    responses((status = 204, description = "Ended."),
        (status = 400, description = "`invalid_request`: this is the session of the request itself (sign out with `DELETE /api/session`).", body = lanyard_api::ErrorBody),
        crate::openapi::SignedInOnly, crate::openapi::CrossSite, crate::openapi::NotFound))]
pub async fn end_one(
    State(state): State<AppState>,
    me: SignedIn,
    AppPath(id): AppPath<String>,
) -> Result<StatusCode, AppError> {
    state.end_session(&me, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/user/current/password`: the caller's own password, after their current one; their
/// other sessions end.
#[utoipa::path(put, path = "/api/user/current/password", tag = "session", operation_id = "session_change_password", security(("session" = [])),
    request_body = ChangePassword,
    responses((status = 204, description = "Changed; every other session of the caller ended."),
        (status = 400, description = "`invalid_request`: the new password breaks the password rule, or the body is malformed.", body = lanyard_api::ErrorBody),
        (status = 401, description = "`invalid_credentials` (the current password is wrong) or `unauthenticated`.", body = lanyard_api::ErrorBody),
        (status = 403, description = "`forbidden`: an SSO-only user has no password to change; or `cross_site_request`.", body = lanyard_api::ErrorBody),
        (status = 429, description = "`rate_limited`: wrong current passwords count as failed logins; `Retry-After` says when to retry.", body = lanyard_api::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait.")))))]
pub async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    AppJson(body): AppJson<ChangePassword>,
) -> Result<StatusCode, AppError> {
    state.change_own_password(&me, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/user/{id}/sessions`: an admin signs a user out everywhere.
#[utoipa::path(delete, path = "/api/user/{id}/sessions", tag = "people", operation_id = "people_end_sessions", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")),
    responses((status = 200, description = "Every session of the user ended.", body = SessionsEnded),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn end_user_sessions(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<SessionsEnded>, AppError> {
    let sessions_ended = state.end_user_sessions(id, &admin.actor()).await?;
    Ok(axum::Json(SessionsEnded { sessions_ended }))
}

/// `GET /api/user/{id}/sessions`: a user's sessions, for their page in People.
#[utoipa::path(get, path = "/api/user/{id}/sessions", tag = "people", operation_id = "people_sessions", security(("session" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The user.")),
    responses((status = 200, description = "The user's unexpired sessions, newest first (`current` is always false).", body = Vec<SessionView>),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn user_sessions(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<Vec<SessionView>>, AppError> {
    Ok(axum::Json(state.user_sessions(id).await?))
}
