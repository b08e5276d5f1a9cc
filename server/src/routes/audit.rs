//! `GET /api/audit`: sign-ins and changes, newest first.

use axum::extract::{Query, State};
use lanyard_api::AuditPage;
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::AppError;
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
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, AppError> {
    Ok(axum::Json(
        state.audit_page(query.limit, query.offset).await?,
    ))
}
