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
    let mut response = match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => {
            // OpenID Connect Back-Channel Logout answers every refused token with 400; only the
            // server's own trouble (5xx) keeps its status.
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
