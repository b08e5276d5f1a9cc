//! Password login, sign-out, the current user, the login page's properties, first-run setup.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{
    CurrentUser, ErrorCode, FirstAdmin, PasswordLogin, SessionCreated, SessionProperties,
};
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::login::{self, NewSession};
use crate::passwords;
use crate::session;
use crate::state::AppState;
use crate::store::{self, ADMINISTRATORS, AuditEvent, NewUser, Store, users};

/// `GET /api/session/properties`: public, no secrets.
pub async fn properties(
    State(state): State<AppState>,
) -> Result<axum::Json<SessionProperties>, AppError> {
    let snapshot = state.settings();
    let sso_enabled = snapshot.settings.sso_ready();
    let mut conn = state.store.conn().await?;
    Ok(axum::Json(SessionProperties {
        sso_enabled,
        password_login_enabled: snapshot.settings.enable_password_login || !sso_enabled,
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
    state.store.delete_session(&signed_in.token_hash).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::removal_cookie())],
    )
        .into_response())
}

/// `POST /api/session`: email + password (SPEC §3).
pub async fn password_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(body): AppJson<PasswordLogin>,
) -> Result<Response, AppError> {
    let email = body.username.trim().to_ascii_lowercase();
    if email.len() > lanyard_core::profile::MAX_EMAIL_BYTES
        || body.password.len() > passwords::MAX_PASSWORD_BYTES
    {
        return Err(ErrorCode::InvalidCredentials.into());
    }
    let ip = peer.ip().to_string();
    let account_key = format!("account:{email}");
    let ip_key = format!("ip:{ip}");
    let keys = [account_key.as_str(), ip_key.as_str()];
    if let Some(retry_after) = state.limiter.blocked(&keys, Instant::now()) {
        state
            .metrics
            .sign_in("password", ErrorCode::RateLimited.as_str());
        return Err(AppError::RateLimited { retry_after });
    }

    let user = users::find_by_email(&mut *state.store.conn().await?, &email).await?;
    let snapshot = state.settings();
    if !snapshot.settings.enable_password_login && snapshot.settings.jwt_enabled {
        // Break-glass: an admin without an SSO identity may still sign in, so a broken IdP
        // configuration cannot lock everyone out.
        let break_glass = match &user {
            Some(user) if user.sso_source.is_none() => {
                users::group_ids(&mut *state.store.conn().await?, user.id)
                    .await?
                    .contains(&ADMINISTRATORS)
            }
            _ => false,
        };
        if !break_glass {
            state
                .metrics
                .sign_in("password", ErrorCode::PasswordLoginDisabled.as_str());
            return Err(ErrorCode::PasswordLoginDisabled.into());
        }
    }

    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let valid = passwords::verify(stored, body.password).await;
    let user = match user {
        Some(user) if valid && user.is_active => user,
        _ => {
            state.limiter.record_failure(&keys, Instant::now());
            state
                .metrics
                .sign_in("password", ErrorCode::InvalidCredentials.as_str());
            let failure = AuditEvent {
                event: "password_login_failed",
                actor_email: Some(&email),
                ip: Some(&ip),
                details: json!({"code": ErrorCode::InvalidCredentials.as_str()}),
                at: state.now(),
            };
            state.store.audit(&failure).await?;
            return Err(ErrorCode::InvalidCredentials.into());
        }
    };
    state.limiter.clear(&account_key);

    let now = state.now();
    let mut tx = state.store.begin().await?;
    users::touch_last_login(&mut tx, user.id, now).await?;
    let session = login::create_session(&mut tx, &state, user.id, now).await?;
    let entry = AuditEvent {
        event: "password_login",
        actor_email: Some(&email),
        ip: Some(&ip),
        details: json!({}),
        at: now,
    };
    store::record_audit(&mut tx, &entry).await?;
    tx.commit().await?;
    state.metrics.sign_in("password", "success");
    session_response(&state, &headers, session)
}

/// `POST /api/setup`: the first admin, only while there are no users (SPEC §5).
pub async fn setup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(body): AppJson<FirstAdmin>,
) -> Result<Response, AppError> {
    let now = state.now();
    let user = create_first_admin(&state.store, &body, now).await?;
    let mut tx = state.store.begin().await?;
    let session = login::create_session(&mut tx, &state, user, now).await?;
    let ip = peer.ip().to_string();
    let entry = AuditEvent {
        event: "admin_created",
        actor_email: Some(&body.email),
        ip: Some(&ip),
        details: json!({}),
        at: now,
    };
    store::record_audit(&mut tx, &entry).await?;
    tx.commit().await?;
    session_response(&state, &headers, session)
}

/// Creates the first administrator; `already_set_up` when any user exists.
pub async fn create_first_admin(
    store: &Store,
    body: &FirstAdmin,
    now: i64,
) -> Result<i64, AppError> {
    let email = lanyard_core::profile::normalize_email(body.email.trim())?;
    if body.password.chars().count() < passwords::MIN_PASSWORD_CHARS
        || body.password.len() > passwords::MAX_PASSWORD_BYTES
    {
        return Err(ErrorCode::InvalidRequest.into());
    }
    let hash = passwords::hash(body.password.clone()).await?;
    let mut tx = store.begin().await?;
    if users::count(&mut tx).await? > 0 {
        return Err(ErrorCode::AlreadySetUp.into());
    }
    let new = NewUser {
        email: &email,
        first_name: body.first_name.as_deref(),
        last_name: body.last_name.as_deref(),
        password_hash: Some(&hash),
        sso_source: None,
        is_superuser: true,
        login_attributes: None,
        last_login: None,
        now,
    };
    let id = users::insert(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(id)
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
        exp: session.expires_at,
    };
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}
