//! `GET /api/audit`: sign-ins and changes, newest first.

use axum::extract::State;
use lanyard_api::AuditPage;
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppQuery;
use crate::state::AppState;

/// Paging.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    100
}

/// One page of the log.
#[utoipa::path(get, path = "/api/audit", tag = "audit", operation_id = "audit_list", security(("session" = [])),
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1..=500 (default 100)."),
        ("offset" = Option<i64>, Query, description = "Entries to skip."),
    ),
    responses((status = 200, description = "One page of the log, newest first.", body = AuditPage),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<axum::Json<AuditPage>, AppError> {
    Ok(axum::Json(
        state.audit_page(query.limit, query.offset).await?,
    ))
}
