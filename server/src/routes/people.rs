//! People (SPEC §4): list, create, update, deactivate and reactivate users.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use lanyard_api::{CreateUser, ErrorCode, UpdateUser, User, UserPage};
use lanyard_core::people::{AdminState, check_admin_change};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Admin, rfc3339};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::passwords;
use crate::state::AppState;
use crate::store::{self, ADMINISTRATORS, AuditEvent, NewUser, Tx, UserRow, users};

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

fn to_wire(user: &UserRow, group_ids: Vec<i64>) -> User {
    User {
        id: user.id,
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        is_superuser: group_ids.contains(&ADMINISTRATORS),
        is_active: user.is_active,
        group_ids,
        sso_source: user.sso_source.clone(),
        login_attributes: serde_json::from_str(&user.login_attributes).unwrap_or_default(),
        last_login: user.last_login.map(rfc3339),
    }
}

/// `GET /api/user?query=&limit=&offset=`: paged and searchable (email or name).
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(page): Query<PageQuery>,
) -> Result<axum::Json<UserPage>, AppError> {
    let limit = page.limit.clamp(1, 200);
    let offset = page.offset.max(0);
    let (rows, total) = users::page(
        &mut *state.store.conn().await?,
        page.query.trim(),
        limit,
        offset,
    )
    .await?;
    let data = rows
        .into_iter()
        .map(|(user, groups)| to_wire(&user, groups))
        .collect();
    Ok(axum::Json(UserPage { data, total }))
}

/// `POST /api/user`.
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<CreateUser>,
) -> Result<(StatusCode, axum::Json<User>), AppError> {
    let email = lanyard_core::profile::normalize_email(body.email.trim())?;
    let hash = match body.password {
        Some(password)
            if password.chars().count() >= passwords::MIN_PASSWORD_CHARS
                && password.len() <= passwords::MAX_PASSWORD_BYTES =>
        {
            Some(passwords::hash(password).await?)
        }
        Some(_) => return Err(ErrorCode::InvalidRequest.into()),
        None => None,
    };
    let known = state.store.group_ids().await?;
    if body.group_ids.iter().any(|id| !known.contains(id)) {
        return Err(ErrorCode::InvalidRequest.into());
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let new = NewUser {
        email: &email,
        first_name: body.first_name.as_deref(),
        last_name: body.last_name.as_deref(),
        password_hash: hash.as_deref(),
        sso_source: None,
        is_superuser: body.is_superuser,
        login_attributes: None,
        last_login: None,
        now,
    };
    let id = users::insert(&mut tx, &new).await?;
    for &group in &body.group_ids {
        users::add_membership(&mut tx, id, group).await?;
    }
    audit(
        &mut tx,
        &admin.user.email,
        "user_created",
        json!({"user": email}),
        now,
    )
    .await?;
    let user = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// `PUT /api/user/:id`: names, admin flag, groups, active.
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<i64>,
    AppJson(body): AppJson<UpdateUser>,
) -> Result<axum::Json<User>, AppError> {
    if let Some(groups) = &body.group_ids {
        let known = state.store.group_ids().await?;
        if groups.iter().any(|g| !known.contains(g)) {
            return Err(ErrorCode::InvalidRequest.into());
        }
    }
    change(&state, &admin.user.email, id, body)
        .await
        .map(axum::Json)
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
    change(&state, &admin.user.email, id, body)
        .await
        .map(axum::Json)
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
    change(&state, &admin.user.email, id, body)
        .await
        .map(axum::Json)
}

async fn change(
    state: &AppState,
    actor: &str,
    id: i64,
    body: UpdateUser,
) -> Result<User, AppError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let user = users::find_by_id(&mut tx, id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let groups = users::group_ids(&mut tx, id).await?;
    let before = AdminState {
        is_admin: groups.contains(&ADMINISTRATORS),
        is_active: user.is_active,
    };
    let mut wanted_groups = body.group_ids.clone().unwrap_or_else(|| groups.clone());
    if let Some(is_superuser) = body.is_superuser {
        wanted_groups.retain(|&g| g != ADMINISTRATORS);
        if is_superuser {
            wanted_groups.push(ADMINISTRATORS);
        }
    }
    let after = AdminState {
        is_admin: wanted_groups.contains(&ADMINISTRATORS),
        is_active: body.is_active.unwrap_or(user.is_active),
    };
    check_admin_change(before, after, users::active_admin_count(&mut tx).await?)?;
    let first = body.first_name.as_deref().or(user.first_name.as_deref());
    let last = body.last_name.as_deref().or(user.last_name.as_deref());
    users::update(&mut tx, id, first, last, after.is_active).await?;
    users::set_groups(&mut tx, id, &wanted_groups).await?;
    let details = json!({"user": user.email, "changes": body});
    audit(&mut tx, actor, "user_updated", details, now).await?;
    let updated = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(updated)
}

async fn load(tx: &mut Tx, id: i64) -> Result<User, AppError> {
    let user = users::find_by_id(tx, id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let groups = users::group_ids(tx, id).await?;
    Ok(to_wire(&user, groups))
}

/// Audits an admin's change inside its transaction.
pub async fn audit(
    tx: &mut Tx,
    actor: &str,
    event: &str,
    details: serde_json::Value,
    at: i64,
) -> Result<(), AppError> {
    let entry = AuditEvent {
        event,
        actor_email: Some(actor),
        ip: None,
        details,
        at,
    };
    Ok(store::record_audit(tx, &entry).await?)
}
