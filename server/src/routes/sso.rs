//! `GET`/`POST /auth/sso` (SPEC §2): without a token, send the browser to the IdP; with one, verify it
//! (lanyard-core), sign the user in (crate::login) and send them on to `return_to`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{ErrorCode, SessionCreated, SsoStart};
use lanyard_core::redirect::{check_return_to, idp_redirect_url};
use serde_json::json;

use crate::error::AppError;
use crate::login;
use crate::session;
use crate::state::AppState;
use crate::store::AuditEvent;

/// The parameters `/auth/sso` reads, each at most once.
#[derive(Debug, Default)]
struct SsoParams {
    jwt: Option<String>,
    return_to: Option<String>,
    json: bool,
}

impl SsoParams {
    /// Reads the query and (for POST) the form body; a repeated `jwt` or `return_to` is refused
    /// rather than resolved, since two layers might pick different copies.
    fn parse(query: Option<&str>, body: &[u8]) -> Result<Self, AppError> {
        let mut params = Self::default();
        let mut redirect = None;
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .chain(form_urlencoded::parse(body));
        for (name, value) in pairs {
            let slot = match name.as_ref() {
                "jwt" => &mut params.jwt,
                "return_to" => &mut params.return_to,
                // Metabase's login page names the target `redirect`.
                "redirect" => &mut redirect,
                "response" => {
                    params.json |= value == "json";
                    continue;
                }
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ErrorCode::DuplicateParameter.into());
            }
        }
        params.return_to = params.return_to.or(redirect);
        Ok(params)
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `GET /auth/sso`.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    handle(state, peer, headers, query, Bytes::new()).await
}

/// `POST /auth/sso` with an `application/x-www-form-urlencoded` body.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    handle(state, peer, headers, query, body).await
}

async fn handle(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> Response {
    let mut json = wants_json(&headers);
    let result = match SsoParams::parse(query.as_deref(), &body) {
        Ok(params) => {
            json |= params.json;
            respond(&state, &peer, &headers, params, json).await
        }
        Err(error) => Err(error),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) if json => error.into_response(),
        Err(error) => error.into_html_response(),
    };
    // Tokens travel in this URL: keep it out of caches and out of the next page's Referer.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn respond(
    state: &AppState,
    peer: &SocketAddr,
    headers: &HeaderMap,
    params: SsoParams,
    json: bool,
) -> Result<Response, AppError> {
    let snapshot = state.settings();
    let settings = &snapshot.settings;
    if !settings.sso_ready() {
        return Err(ErrorCode::SsoDisabled.into());
    }
    let site = state.site_url(settings, headers)?;
    // Checked before anything is written (SPEC §2.7).
    let target = check_return_to(params.return_to.as_deref(), &site)?;

    let Some(token) = params.jwt else {
        let url = idp_redirect_url(&settings.jwt_identity_provider_uri, &target)
            .map_err(|_| AppError::Code(ErrorCode::SsoDisabled))?;
        return Ok(if json {
            axum::Json(SsoStart {
                url,
                method: "jwt".into(),
            })
            .into_response()
        } else {
            redirect(&url)?
        });
    };

    let ip = peer.ip().to_string();
    let now = state.now();
    let outcome = match lanyard_core::verify_login(&token, settings, site.as_str(), now) {
        Ok(login) => login::complete_sso(state, settings, &login, Some(&ip))
            .await
            .map(|s| (login, s)),
        Err(code) => Err(code.into()),
    };
    let (login, session) = match outcome {
        Ok(done) => done,
        Err(error) => {
            state.metrics.sign_in("jwt", error.code().as_str());
            let failure = AuditEvent {
                event: "sso_login_failed",
                actor_email: None,
                ip: Some(&ip),
                details: json!({"code": error.code().as_str()}),
                at: now,
            };
            if let Err(audit_error) = state.store.audit(&failure).await {
                tracing::error!(error = %audit_error, "could not audit a failed login");
            }
            return Err(error);
        }
    };
    state.metrics.sign_in("jwt", "success");
    tracing::info!(email = %login.profile.email, "sso login");

    let cookie = session::cookie(
        &session.token,
        state.options.session_max_age,
        site.scheme() == "https",
    )?;
    let mut response = if json {
        axum::Json(SessionCreated {
            id: session.token,
            exp: session.expires_at,
        })
        .into_response()
    } else {
        redirect(&target)?
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

fn redirect(location: &str) -> Result<Response, AppError> {
    let location =
        HeaderValue::from_str(location).map_err(|_| AppError::Code(ErrorCode::InvalidReturnTo))?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}
