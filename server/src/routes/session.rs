//! Password login, sign-out, the current user, the login page's properties, first-run setup.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{
    CurrentUser, ErrorBody, FirstAdmin, PasswordLogin, SessionCreated, SessionProperties, SignedOut,
};

use crate::auth::{Client, SignedIn};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::service::NewSession;
use crate::session;
use crate::state::AppState;

/// `GET /api/session/properties`: public, no secrets.
#[utoipa::path(get, path = "/api/session/properties", tag = "session", operation_id = "session_properties",
    responses((status = 200, description = "What the login page needs.", body = SessionProperties)))]
pub async fn properties(
    State(state): State<AppState>,
) -> Result<axum::Json<SessionProperties>, AppError> {
    Ok(axum::Json(state.session_properties().await?))
}

/// `GET /api/user/current`.
#[utoipa::path(get, path = "/api/user/current", tag = "session", operation_id = "session_current", security(("session" = [])),
    responses((status = 200, description = "The signed-in user.", body = CurrentUser), crate::openapi::SignedInOnly))]
pub async fn current(signed_in: SignedIn) -> axum::Json<CurrentUser> {
    axum::Json(signed_in.view())
}

/// `DELETE /api/session`: the session row is deleted and the cookie cleared. An SSO user, while
/// `jwt_logout_uri` is set, or a user an OpenID Connect provider with an `end_session_endpoint`
/// signed in, gets `200 {"logout_url"}` to continue at the IdP (SPEC §11, §14).
#[utoipa::path(delete, path = "/api/session", tag = "session", operation_id = "session_sign_out", security(("session" = [])),
    responses((status = 204, description = "Signed out; the cookie is cleared."),
        (status = 200, description = "Signed out an SSO user while `jwt_logout_uri` is set, or an OpenID Connect user whose provider has an `end_session_endpoint` (with `id_token_hint`, `client_id`, `post_logout_redirect_uri`): the browser continues there so the IdP signs them out too.", body = SignedOut),
        crate::openapi::SignedInOnly, crate::openapi::CrossSite))]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let host = crate::extract::host(&headers);
    let logout_url = state
        .sign_out(
            &signed_in.token_hash,
            signed_in.user.sso_source.as_deref(),
            host,
            &signed_in.actor(),
        )
        .await?;
    let snapshot = state.settings();
    let removal = match state.site_url(&snapshot.settings, host) {
        Ok(site) => session::removal_cookie(state.cookie_scope(&site)),
        Err(_) => session::removal_cookie(session::CookieScope::default()),
    };
    if let Some(logout_url) = logout_url {
        let body = SignedOut { logout_url };
        return Ok(([(header::SET_COOKIE, removal)], axum::Json(body)).into_response());
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, removal)]).into_response())
}

/// `POST /api/session`: email + password (SPEC §3).
#[utoipa::path(post, path = "/api/session", tag = "session", operation_id = "session_password_login", request_body = PasswordLogin,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session.", body = SessionCreated),
        (status = 400, description = "`invalid_request`: the body is not `{username, password}`.", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`.", body = ErrorBody),
        (status = 403, description = "`password_login_disabled` (every attempt but a break-glass admin's right password), or `cross_site_request`.", body = ErrorBody),
        (status = 429, description = "`rate_limited`; `Retry-After` says when to retry.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn password_login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    AppJson(body): AppJson<PasswordLogin>,
) -> Result<Response, AppError> {
    let session = state
        .password_login(&body.username, body.password, &client)
        .await?;
    session_response(&state, &headers, session)
}

/// `POST /api/setup`: the first admin, only while there are no users (SPEC §5).
#[utoipa::path(post, path = "/api/setup", tag = "session", operation_id = "session_setup", request_body = FirstAdmin,
    responses(
        (status = 200, description = "The first admin exists and is signed in.", body = SessionCreated),
        crate::openapi::BadRequest, crate::openapi::CrossSite, crate::openapi::Conflict,
    ))]
pub async fn setup(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    AppJson(body): AppJson<FirstAdmin>,
) -> Result<Response, AppError> {
    let session = state.setup(&body, &client).await?;
    session_response(&state, &headers, session)
}

fn session_response(
    state: &AppState,
    headers: &HeaderMap,
    session: NewSession,
) -> Result<Response, AppError> {
    let snapshot = state.settings();
    let site = state.site_url(&snapshot.settings, crate::extract::host(headers))?;
    let cookie = session::cookie(
        &session.token,
        state.session_max_age(),
        state.cookie_scope(&site),
    )?;
    let body = SessionCreated {
        id: session.token,
        expires_at: session.expires_at,
    };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}
