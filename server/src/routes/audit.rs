//! `GET /api/audit`: sign-ins and changes, newest first, filtered and paged; `GET
//! /api/audit/export.csv`: the same selection as CSV.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{AuditFilter, AuditPage, AuditQuery, AuditSource, AuditSummary};
use lanyard_core::audit::spreadsheet_safe;

use crate::auth::Admin;
use crate::error::AppError;
use crate::extract::AppQuery;
use crate::state::AppState;

/// Most rows one CSV export holds.
const EXPORT_ROWS: i64 = 10_000;

/// One page of the log.
#[utoipa::path(get, path = "/api/audit", tag = "audit", operation_id = "audit_list", security(("session" = []), ("api_key" = [])),
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1..=500 (default 100)."),
        ("offset" = Option<i64>, Query, description = "Entries to skip."),
        AuditFilter,
    ),
    responses((status = 200, description = "One page of the selected entries, newest first, and how many are selected.", body = AuditPage),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<axum::Json<AuditPage>, AppError> {
    Ok(axum::Json(
        state
            .audit_page(&query.filter, query.limit.clamp(1, 500), query.offset)
            .await?,
    ))
}

/// The selected entries (at most 10,000, newest first) as CSV.
#[utoipa::path(get, path = "/api/audit/export.csv", tag = "audit", operation_id = "audit_export", security(("session" = []), ("api_key" = [])),
    params(AuditFilter),
    responses((status = 200, description = "`at,event,actor,source,ip,details` (details as JSON), one row per entry; a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so that no spreadsheet runs it as a formula.", content_type = "text/csv", body = String),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn export(
    State(state): State<AppState>,
    _admin: Admin,
    AppQuery(filter): AppQuery<AuditFilter>,
) -> Result<Response, AppError> {
    let page = state.audit_page(&filter, EXPORT_ROWS, 0).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::internal(e.to_string());
    writer
        .write_record(["at", "event", "actor", "source", "ip", "details"])
        .map_err(internal)?;
    for entry in &page.data {
        let details = entry.details.to_string();
        let source = entry
            .source
            .as_ref()
            .map(AuditSource::to_wire)
            .unwrap_or_default();
        let cells = [
            entry.at.as_str(),
            entry.event.as_str(),
            entry.actor_email.as_deref().unwrap_or_default(),
            &source,
            entry.ip.as_deref().unwrap_or_default(),
            &details,
        ];
        // Anyone can put text in the log (a username typed at sign-in, an IdP's email claim): no
        // cell may run as a formula when the admin opens the file in a spreadsheet.
        writer
            .write_record(
                cells
                    .map(spreadsheet_safe)
                    .iter()
                    .map(|cell| cell.as_bytes()),
            )
            .map_err(internal)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"lanyard-audit.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The overview: sign-ins over the last 24 hours and 7 days, counts, the IdP connection's health.
#[utoipa::path(get, path = "/api/audit/summary", tag = "audit", operation_id = "audit_summary", security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Sign-ins per hour and per day (successes, failures by code), people and session counts, the last SSO sign-in and refusal, the JWK Set's status.", body = AuditSummary),
        crate::openapi::AdminOnly))]
pub async fn summary(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<AuditSummary>, AppError> {
    Ok(axum::Json(state.audit_summary().await?))
}
