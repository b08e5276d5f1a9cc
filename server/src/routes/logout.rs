//! `POST /auth/sso/logout` (SPEC §11): OpenID Connect Back-Channel Logout, sent by the identity
//! provider's server — never a browser — with the form field `logout_token`.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{ErrorBody, ErrorCode};
use serde::Deserialize;

use crate::auth::Client;
use crate::error::{AppError, status_of};
use crate::state::AppState;

/// The form body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LogoutForm {
    /// The logout token (a JWT).
    logout_token: String,
}

/// `POST /auth/sso/logout`: every session of the user the logout token names ends.
#[utoipa::path(post, path = "/auth/sso/logout", tag = "sso", operation_id = "sso_backchannel_logout",
    request_body(content = LogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The user's sessions ended (or the token named no known user)."),
        (status = 400, description = "The token was refused; `error.code` is one of SPEC §2.9's codes, `invalid_logout_token` or `token_replayed`.", body = ErrorBody),
        (status = 503, description = "`jwks_unavailable` or the database is unreachable.", body = ErrorBody),
    )
)]
pub async fn backchannel(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = match form {
        Ok(Form(form)) => {
            let host = crate::extract::host(&headers);
            state
                .backchannel_logout(&form.logout_token, host, &client)
                .await
                .map(drop)
        }
        Err(_) => Err(ErrorCode::InvalidRequest.into()),
    };
    answer(result)
}

/// `POST /auth/oidc/{slug}/backchannel-logout`: the sessions this provider signed in for the
/// logout token's `sid` (or else its `sub`) end (SPEC §14).
#[utoipa::path(post, path = "/auth/oidc/{slug}/backchannel-logout", tag = "sso", operation_id = "oidc_backchannel_logout",
    params(("slug" = String, Path, description = "The provider's slug.")),
    request_body(content = LogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The sessions ended (or the token named none)."),
        (status = 400, description = "The token was refused (its signature, issuer, audience, age or shape), was used before, or no enabled provider has this slug.", body = ErrorBody),
        (status = 502, description = "`oidc_discovery_failed`: the provider's discovery document cannot be fetched.", body = ErrorBody),
        (status = 503, description = "`jwks_unavailable`, or the database is unreachable.", body = ErrorBody),
    )
)]
pub async fn oidc_backchannel(
    State(state): State<AppState>,
    Client(client): Client,
    crate::extract::AppPath(slug): crate::extract::AppPath<String>,
    form: Result<Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = match form {
        Ok(Form(form)) => state
            .oidc_backchannel_logout(&slug, &form.logout_token, &client)
            .await
            .map(drop),
        Err(_) => Err(ErrorCode::InvalidRequest.into()),
    };
    answer(result)
}

/// OpenID Connect Back-Channel Logout's answer: 200, or 400 for every refused token; only the
/// server's own trouble (5xx) keeps its status.
fn answer(result: Result<(), crate::service::Error>) -> Response {
    let mut response = match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => {
            let status = status_of(error.code());
            let mut response = AppError::from(error).into_response();
            if !status.is_server_error() {
                *response.status_mut() = StatusCode::BAD_REQUEST;
            }
            response
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
