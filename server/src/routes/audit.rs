//! `GET /api/audit`: sign-ins and changes, newest first.

use axum::extract::{Query, State};
use lanyard_api::AuditPage;
use serde::Deserialize;

use crate::auth::Admin;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::audit;

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
    let (data, total) = audit::page(
        &mut *state.store.conn().await?,
        query.limit.clamp(1, 500),
        query.offset.max(0),
    )
    .await?;
    Ok(axum::Json(AuditPage { data, total }))
}
