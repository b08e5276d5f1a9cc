//! `GET`/`POST /auth/sso` (SPEC §2): without a token, send the browser to the IdP; with one, sign in
//! (`Service::sso_login`) and send the browser on to `return_to`, or answer JSON.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{ErrorBody, ErrorCode, SsoSession, SsoStart};
use serde::Deserialize;

use crate::auth::Client;
use crate::error::AppError;
use crate::extract::AppBytes;
use crate::service::{Actor, SsoOutcome, SsoRequest};
use crate::session;
use crate::state::AppState;

/// The parameters `/auth/sso` reads, each at most once.
#[derive(Debug, Default)]
struct SsoParams {
    jwt: Option<String>,
    return_to: Option<String>,
    json: bool,
}

/// A JSON body (`POST /auth/sso`, as Metabase accepts): `{"jwt", "return_to"}`, and optionally the
/// JSON-mode switches.
#[derive(Debug, Default, Deserialize)]
struct JsonBody {
    jwt: Option<String>,
    return_to: Option<String>,
    redirect: Option<String>,
    token: Option<serde_json::Value>,
    response: Option<String>,
}

impl SsoParams {
    /// Reads the query and the body (a form or JSON); a repeated `jwt` or `return_to` — twice in
    /// one place, or once in the query and once in the body — is refused rather than resolved,
    /// since two layers might pick different copies.
    fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Self, AppError> {
        let mut params = Self::default();
        let mut redirect = None;
        let mut take = |name: &str, value: String, params: &mut Self| -> Result<(), AppError> {
            let slot = match name {
                "jwt" => &mut params.jwt,
                "return_to" => &mut params.return_to,
                // Metabase's login page names the target `redirect`.
                "redirect" => &mut redirect,
                // Metabase's embedding SDK asks for JSON with `token=true`.
                "token" => {
                    params.json |= value == "true";
                    return Ok(());
                }
                "response" => {
                    params.json |= value == "json";
                    return Ok(());
                }
                _ => return Ok(()),
            };
            if slot.replace(value).is_some() {
                return Err(ErrorCode::DuplicateParameter.into());
            }
            Ok(())
        };
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            take(&name, value.into_owned(), &mut params)?;
        }
        if is_json(headers) {
            for (name, value) in json_body(body)? {
                take(name, value, &mut params)?;
            }
        } else {
            for (name, value) in form_urlencoded::parse(body) {
                take(&name, value.into_owned(), &mut params)?;
            }
        }
        params.return_to = params.return_to.or(redirect);
        Ok(params)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// The JSON body's fields as name/value pairs. A key given twice is `duplicate_parameter`.
fn json_body(body: &[u8]) -> Result<Vec<(&'static str, String)>, AppError> {
    let body: JsonBody = serde_json::from_slice(body).map_err(|error| {
        if error.to_string().starts_with("duplicate field") {
            AppError::from(ErrorCode::DuplicateParameter)
        } else {
            AppError::from(ErrorCode::InvalidRequest)
        }
    })?;
    let token = body.token.map(|token| match token {
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    });
    Ok([
        ("jwt", body.jwt),
        ("return_to", body.return_to),
        ("redirect", body.redirect),
        ("token", token),
        ("response", body.response),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| (name, value)))
    .collect())
}

pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `GET /auth/sso`.
#[utoipa::path(get, path = "/auth/sso", tag = "sso", operation_id = "sso_get",
    params(
        ("jwt" = Option<String>, Query, description = "The signed token; without it the browser is sent to the IdP."),
        ("return_to" = Option<String>, Query, description = "Where to go after signing in (a path on this site)."),
        ("redirect" = Option<String>, Query, description = "Metabase's name for `return_to`."),
        ("token" = Option<bool>, Query, description = "`true`: answer JSON (Metabase's embedding SDK)."),
        ("response" = Option<String>, Query, description = "`json`: answer JSON."),
    ),
    responses(
        (status = 302, description = "To the IdP (no token) or to `return_to` (signed in; `Set-Cookie` carries the session)."),
        (status = 200, description = "JSON mode: the IdP URL, or the new session.", body = crate::openapi::SsoJson),
        (status = 400, description = "A malformed token or request, or SSO is disabled (SPEC §2.9).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "Signature, age, expiry, audience or replay (SPEC §2.9).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "The account is deactivated, or unknown with provisioning off.", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    handle(state, client, headers, query, Ok(AppBytes(Bytes::new()))).await
}

/// `POST /auth/sso` with a form (`application/x-www-form-urlencoded`) or JSON body.
#[utoipa::path(post, path = "/auth/sso", tag = "sso", operation_id = "sso_post",
    params(
        ("token" = Option<bool>, Query, description = "`true`: answer JSON (Metabase's embedding SDK)."),
        ("response" = Option<String>, Query, description = "`json`: answer JSON."),
    ),
    request_body(description = "`jwt` and `return_to` as a form or as JSON.", content(
        (crate::openapi::SsoForm = "application/x-www-form-urlencoded"),
        (crate::openapi::SsoForm = "application/json"),
    )),
    responses(
        (status = 302, description = "To `return_to`, signed in (`Set-Cookie` carries the session)."),
        (status = 200, description = "JSON mode: the new session.", body = crate::openapi::SsoJson),
        (status = 400, description = "A malformed token or request, or SSO is disabled (SPEC §2.9).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "Signature, age, expiry, audience or replay (SPEC §2.9).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "The account is deactivated, or unknown with provisioning off.", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<AppBytes, AppError>,
) -> Response {
    handle(state, client, headers, query, body).await
}

async fn handle(
    state: AppState,
    client: Actor,
    headers: HeaderMap,
    query: Option<String>,
    body: Result<AppBytes, AppError>,
) -> Response {
    let mut json = wants_json(&headers);
    let parsed =
        body.and_then(|AppBytes(body)| SsoParams::parse(query.as_deref(), &headers, &body));
    let result = match parsed {
        Ok(params) => {
            json |= params.json;
            respond(&state, &client, &headers, params, json).await
        }
        Err(error) => Err(error),
    };
    sign_in_answer(result, json)
}

/// A sign-in endpoint's answer: an error as JSON for API clients, as a page for browsers; never
/// cached and never in the next page's `Referer`, since tokens, codes and states travel in these
/// URLs (`/auth/sso`, `/auth/oidc/…`).
pub(super) fn sign_in_answer(result: Result<Response, AppError>, json: bool) -> Response {
    let mut response = match result {
        Ok(response) => response,
        Err(error) if json => error.into_response(),
        Err(error) => error.into_html_response(),
    };
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
    client: &Actor,
    headers: &HeaderMap,
    params: SsoParams,
    json: bool,
) -> Result<Response, AppError> {
    let browser_session = session::token_from(headers);
    let request = SsoRequest {
        token: params.jwt.as_deref(),
        return_to: params.return_to.as_deref(),
        host: crate::extract::host(headers),
        browser_session: browser_session.as_deref(),
    };
    let (signed_in, target, site) = match state.sso(request, client).await? {
        SsoOutcome::ToIdentityProvider(url) => {
            return if json {
                Ok(axum::Json(SsoStart {
                    url,
                    method: "jwt".into(),
                })
                .into_response())
            } else {
                redirect(&url)
            };
        }
        SsoOutcome::SignedIn {
            session,
            target,
            site,
        } => (session, target, site),
    };
    let cookie = signed_in
        .new_session
        .then(|| {
            session::cookie(
                &signed_in.token,
                state.session_max_age(),
                state.cookie_scope(&site),
            )
        })
        .transpose()?;
    let mut response = if json {
        axum::Json(SsoSession {
            id: signed_in.token,
            exp: signed_in.expires,
            iat: signed_in.issued_at,
            expires_at: signed_in.expires_at,
        })
        .into_response()
    } else {
        redirect(&target)?
    };
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub(super) fn redirect(location: &str) -> Result<Response, AppError> {
    let location =
        HeaderValue::from_str(location).map_err(|_| AppError::from(ErrorCode::InvalidReturnTo))?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}
