//! Password login, sign-out, the current user, the login page's properties, first-run setup.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{CurrentUser, FirstAdmin, PasswordLogin, SessionCreated, SessionProperties};
use lanyard_core::accounts::password_login_allowed;

use crate::auth::{Client, SignedIn};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::service::NewSession;
use crate::session;
use crate::state::AppState;
use crate::store::users;

/// `GET /api/session/properties`: public, no secrets.
pub async fn properties(
    State(state): State<AppState>,
) -> Result<axum::Json<SessionProperties>, AppError> {
    let snapshot = state.settings();
    let sso_enabled = snapshot.settings.sso_ready();
    let mut conn = state.store.conn().await?;
    Ok(axum::Json(SessionProperties {
        sso_enabled,
        password_login_enabled: password_login_allowed(&snapshot.settings),
        sso_url: sso_enabled.then(|| "/auth/sso".to_owned()),
        needs_setup: users::count(&mut conn).await? == 0,
    }))
}

/// `GET /api/user/current`.
pub async fn current(signed_in: SignedIn) -> axum::Json<CurrentUser> {
    axum::Json(signed_in.view())
}

/// `DELETE /api/session`: the session row is deleted and the cookie cleared.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    state
        .sign_out(&signed_in.token_hash, &signed_in.actor)
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::removal_cookie())],
    )
        .into_response())
}

/// `POST /api/session`: email + password (SPEC §3).
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
    let secure = state
        .site_url(&snapshot.settings, headers)
        .is_ok_and(|url| url.scheme() == "https");
    let cookie = session::cookie(&session.token, state.options.session_max_age, secure)?;
    let body = SessionCreated {
        id: session.token,
        expires_at: session.expires_at,
    };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}
