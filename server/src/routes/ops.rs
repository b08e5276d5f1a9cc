//! `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "ops_healthz",
    responses((status = 200, description = "The process is up.", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", operation_id = "ops_readyz",
    responses(
        (status = 200, description = "The database answers.", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer.", body = String, content_type = "text/plain"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // The probe logs when the database is lost and when it is back.
    if state.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// OpenMetrics text (Prometheus reads it).
#[utoipa::path(get, path = "/metrics", tag = "ops", operation_id = "ops_metrics",
    responses((status = 200, description = "Sign-ins by outcome and request latencies, OpenMetrics text.", body = String,
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics_text(),
    )
}
