//! OpenID Connect (SPEC §14): `GET /auth/oidc/{slug}` (to the provider), `GET
//! /auth/oidc/{slug}/callback` (signed in, or why not), `POST /api/setting/oidc/discover`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use cookie::{Cookie, SameSite};
use lanyard_api::{DiscoverRequest, Discovered, ErrorBody, ErrorCode};

use super::sso::{redirect, sign_in_answer, wants_json};
use crate::auth::{Admin, Client};
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::service::{Actor, BROWSER_COOKIE, OidcCallback, OidcOutcome, OidcStart};
use crate::session;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The query parameters, each at most once (a repeated one is refused, as `/auth/sso` does).
fn params(query: Option<&str>) -> Result<Vec<(String, String)>, AppError> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if seen.iter().any(|(known, _)| *known == name) {
            return Err(ErrorCode::DuplicateParameter.into());
        }
        seen.push((name.into_owned(), value.into_owned()));
    }
    Ok(seen)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(known, _)| known == name)
        .map(|(_, value)| value.as_str())
}

/// `GET /auth/oidc/{slug}`: to the provider's authorization endpoint.
#[utoipa::path(get, path = "/auth/oidc/{slug}", tag = "sso", operation_id = "oidc_start",
    params(
        ("slug" = String, Path, description = "The provider's slug."),
        ("return_to" = Option<String>, Query, description = "Where to go after signing in (checked as for `/auth/sso`)."),
        ("test" = Option<bool>, Query, description = "`true`: an administrator's Test sign-in — the callback reports the claims and what signing in would do, and signs nobody in."),
    ),
    responses(
        (status = 302, description = "To the provider, with `state`, `nonce` and PKCE; `Set-Cookie` binds the sign-in to this browser for 10 minutes."),
        (status = 503, description = "The database is unreachable.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 400, description = "`return_to` is not a safe target.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "`test=true` without a session.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "`test=true` from someone who is not an administrator.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "No enabled provider has this slug (`oidc_disabled`).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 502, description = "The provider's discovery document cannot be fetched (`oidc_discovery_failed`).", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    admin: Result<Admin, AppError>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = params(query.as_deref())?;
        let dry_run = match param(&params, "test") {
            None | Some("false") => false,
            // A Test sign-in reports what signing in would do: for administrators only.
            Some("true") => admin.map(|_| true)?,
            Some(_) => return Err(ErrorCode::InvalidRequest.into()),
        };
        let browser = session::cookie_value(&headers, BROWSER_COOKIE);
        let to_provider = state
            .oidc_start(OidcStart {
                slug: &slug,
                return_to: param(&params, "return_to"),
                host: crate::extract::host(&headers),
                browser: browser.as_deref(),
                dry_run,
            })
            .await?;
        let cookie = Cookie::build((BROWSER_COOKIE, to_provider.browser.as_str()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/auth/oidc")
            .max_age(cookie::time::Duration::seconds(
                crate::service::oidc_request_seconds(),
            ))
            .secure(to_provider.site.scheme() == "https")
            .build();
        let mut response = redirect(&to_provider.url)?;
        let cookie = HeaderValue::from_str(&cookie.to_string())
            .map_err(|e| AppError::internal(e.to_string()))?;
        response.headers_mut().insert(header::SET_COOKIE, cookie);
        Ok::<_, AppError>(response)
    }
    .await;
    sign_in_answer(result, wants_json(&headers))
}

/// `GET /auth/oidc/{slug}/callback`: the provider's answer.
#[utoipa::path(get, path = "/auth/oidc/{slug}/callback", tag = "sso", operation_id = "oidc_callback",
    params(
        ("slug" = String, Path, description = "The provider's slug."),
        ("code" = Option<String>, Query, description = "The authorization code."),
        ("state" = Option<String>, Query, description = "The state the start sent."),
        ("iss" = Option<String>, Query, description = "The issuer (RFC 9207); when present it must be the provider's."),
        ("error" = Option<String>, Query, description = "The provider's error code."),
        ("error_description" = Option<String>, Query, description = "The provider's words for it."),
    ),
    responses(
        (status = 302, description = "Signed in: to `return_to`, `Set-Cookie` carrying the session. A Test sign-in: to the OpenID Connect page with the report (`OidcTestResult`, base64url JSON) in the fragment, nobody signed in."),
        (status = 400, description = "`oidc_state_invalid`, `oidc_issuer_mismatch`, or a malformed ID token.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 401, description = "The ID token's signature, times, audience, issuer or nonce.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "`oidc_idp_error`, `oidc_email_unverified`, a deactivated or unprovisioned user, a sign-in rule.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "No enabled provider has this slug (`oidc_disabled`).", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 409, description = "`oidc_email_taken`.", content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 502, description = "`oidc_token_exchange_failed`, `oidc_userinfo_failed`, `oidc_discovery_failed`.", content((ErrorBody = "application/json"), (String = "text/html"))),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    Client(client): Client,
    AppPath(slug): AppPath<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = signed_in(&state, &client, &slug, &headers, query.as_deref()).await;
    sign_in_answer(result, wants_json(&headers))
}

async fn signed_in(
    state: &AppState,
    client: &Actor,
    slug: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, AppError> {
    let params = params(query)?;
    let browser = session::cookie_value(headers, BROWSER_COOKIE);
    let callback = OidcCallback {
        slug,
        code: param(&params, "code"),
        state: param(&params, "state"),
        iss: param(&params, "iss"),
        error: param(&params, "error"),
        error_description: param(&params, "error_description"),
        browser: browser.as_deref(),
        host: crate::extract::host(headers),
    };
    let signed_in = match state.oidc_callback(callback, client).await? {
        OidcOutcome::SignedIn(signed_in) => signed_in,
        OidcOutcome::Tested { result, target, .. } => {
            let json =
                serde_json::to_vec(&result).map_err(|e| AppError::internal(e.to_string()))?;
            return redirect(&format!("{target}#{}", URL_SAFE_NO_PAD.encode(json)));
        }
    };
    let cookie = session::cookie(
        &signed_in.session.token,
        state.session_max_age(),
        state.cookie_scope(&signed_in.site),
    )?;
    let mut response = redirect(&signed_in.target)?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `POST /api/setting/oidc/discover`: what an issuer's discovery document says, fetched now.
#[utoipa::path(post, path = "/api/setting/oidc/discover", tag = "settings", operation_id = "oidc_discover", security(("session" = []), ("api_key" = [])), request_body = DiscoverRequest,
    responses((status = 200, description = "The endpoints, algorithms, scopes and claims found.", body = Discovered),
        crate::openapi::BadRequest, crate::openapi::AdminOnly))]
pub async fn discover(
    State(state): State<AppState>,
    _admin: Admin,
    AppJson(body): AppJson<DiscoverRequest>,
) -> Result<axum::Json<Discovered>, AppError> {
    Ok(axum::Json(state.discover(&body.issuer).await?))
}

/// `GET /api/setting/oidc/status`: each provider's discovery state and last sign-in.
#[utoipa::path(get, path = "/api/setting/oidc/status", tag = "settings", operation_id = "oidc_status", security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "Each provider, in the settings' order.", body = Vec<lanyard_api::OidcProviderStatus>),
        crate::openapi::AdminOnly))]
pub async fn status(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<axum::Json<Vec<lanyard_api::OidcProviderStatus>>, AppError> {
    Ok(axum::Json(state.oidc_status().await?))
}
