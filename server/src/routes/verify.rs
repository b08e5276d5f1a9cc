//! `GET /auth/verify` for reverse proxies (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `ForwardAuth`), `GET /.well-known/jwks.json`, and the admin's key rotation (SPEC §13).

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_api::{AssertionKey, ErrorBody, ErrorCode};
use lanyard_core::forward::Restriction;
use lanyard_core::redirect::forwarded_url;

use std::net::IpAddr;

use crate::auth::{Admin, Peer};
use crate::error::AppError;
use crate::service::{ForwardAnswer, ForwardCredential, ForwardRequest, Identity};
use crate::session;
use crate::state::AppState;

/// oauth2-proxy's header names, so proxy configurations written for it work.
const USER: HeaderName = HeaderName::from_static("x-auth-request-user");
const EMAIL: HeaderName = HeaderName::from_static("x-auth-request-email");
const NAME: HeaderName = HeaderName::from_static("x-auth-request-preferred-username");
const GROUPS: HeaderName = HeaderName::from_static("x-auth-request-groups");
const ASSERTION: HeaderName = HeaderName::from_static("x-lanyard-assertion");

/// What a proxy forwards about the original request (named once: a name given as text is parsed
/// on every lookup).
const FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");
const FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const ORIGINAL_URI: HeaderName = HeaderName::from_static("x-original-uri");

fn header_text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// `GET /auth/verify`.
#[utoipa::path(get, path = "/auth/verify", tag = "forward", operation_id = "verify_verify",
    params(
        ("group" = Option<Vec<String>>, Query, description = "Only members of one of these groups (repeatable)."),
        ("admin" = Option<bool>, Query, description = "`true`: only administrators (`false`: no such rule). Any other value is `400 invalid_restriction`."),
    ),
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Allowed by the access policies (SPEC §15) and, when they ask for one, a caller: the identity headers `X-Auth-Request-User`, `-Email`, \
            `-Preferred-Username`, `-Groups` (each present, empty when there is no value) and `X-Lanyard-Assertion`."),
        (status = 302, description = "Not signed in, and the proxy sent `X-Forwarded-Proto`, `-Host` and `-Uri` for a client that \
            takes HTML: to `/auth/sso` with the original URL as `return_to`."),
        (status = 400, description = "`invalid_restriction`: a restriction not spelled exactly `group=NAME` (non-blank) or `admin=true|false` (any parameter whose name starts or ends with `group` or `admin`, in any case); nobody is let through. Other parameters are ignored.", body = ErrorBody),
        (status = 401, description = "`unauthenticated`: no valid session. With `Authorization: Bearer` (an API key, a JWT access token whose `aud` is one of `bearer_audiences`, or a session token; it wins over a cookie) a refused value is always `401` with `WWW-Authenticate: Bearer error=\"invalid_token\"` and its code (`invalid_api_key`, `invalid_audience`, `missing_exp`, `token_expired`, `invalid_signature`, `unknown_key`, …), never a redirect.", body = ErrorBody),
        (status = 403, description = "`forbidden`: a policy denies the request, or the caller is outside its groups, the location's groups, or not an administrator.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many unknown API keys from this address.", body = ErrorBody),
        (status = 502, description = "`oidc_discovery_failed`: an access token names an OpenID Connect provider whose discovery document cannot be had.", body = ErrorBody),
        (status = 503, description = "`jwks_unavailable`: an access token's keys could not be fetched.", body = ErrorBody),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    Peer(peer): Peer,
    RawQuery(query): RawQuery,
    // The request itself rather than a `HeaderMap`, which would be a copy of its headers.
    request: Request,
) -> Result<Response, AppError> {
    let headers = request.headers();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    // Checked before anything else: a location whose rule is not understood lets no one through,
    // signed in or not, so the mistake shows at once instead of opening the location.
    let restriction = Restriction::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|invalid| {
            tracing::warn!(%invalid, "/auth/verify refused a restriction it does not understand");
            AppError::from(ErrorCode::InvalidRestriction)
        })?;
    // A bearer value wins over a cookie (SPEC §15): a script's token says who it is meant to be.
    let bearer = session::bearer_from(headers);
    let cookie = session::token_from(headers);
    let credential = match (&bearer, &cookie) {
        (Some(value), _) => Some(ForwardCredential::Bearer(value)),
        (None, Some(token)) => Some(ForwardCredential::Cookie(token)),
        (None, None) => None,
    };
    let snapshot = state.settings();
    let site = state.site_url(&snapshot.settings, crate::extract::host(headers))?;
    // Forwarded headers count only from a trusted proxy (SPEC §15); from anyone else the request
    // is judged as addressed to lanyard itself, and gets no assertion.
    let trusted = peer.is_some_and(|ip| state.is_trusted_proxy(ip));
    let forwarded = |name: &HeaderName| header_text(headers, name).filter(|_| trusted);
    let host = forwarded(&FORWARDED_HOST)
        .or_else(|| header_text(headers, &header::HOST))
        .unwrap_or_default();
    let audience = (trusted && !host.contains(',')).then_some(host);
    let address = if trusted {
        client_address(forwarded(&FORWARDED_FOR), peer, |ip| {
            state.is_trusted_proxy(ip)
        })
    } else {
        peer
    };
    let takes_html =
        header_text(headers, &header::ACCEPT).is_some_and(|accept| accept.contains("text/html"));
    let original_url = match (
        forwarded(&FORWARDED_PROTO),
        forwarded(&FORWARDED_HOST),
        forwarded(&FORWARDED_URI),
    ) {
        (Some(proto), Some(host), Some(uri)) if takes_html => forwarded_url(proto, host, uri),
        _ => None,
    };
    let answer = state
        .forward_auth(ForwardRequest {
            credential,
            restriction: &restriction,
            site: &site,
            host,
            audience,
            address,
            original_url: original_url.as_deref(),
            // nginx passes the original URI as X-Original-URI; Caddy and Traefik as X-Forwarded-Uri.
            uri: forwarded(&ORIGINAL_URI)
                .or_else(|| forwarded(&FORWARDED_URI))
                .unwrap_or("/auth/verify"),
            method: forwarded(&FORWARDED_METHOD).unwrap_or("GET"),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok()),
        })
        .await?;
    let mut response = match answer {
        ForwardAnswer::Allow(identity) => identity_response(*identity),
        ForwardAnswer::Forbidden => AppError::from(ErrorCode::Forbidden).into_response(),
        ForwardAnswer::Unauthenticated => {
            AppError::from(ErrorCode::Unauthenticated).into_response()
        }
        ForwardAnswer::BearerRefused(code) => {
            let mut refused = AppError::from(code).into_response();
            *refused.status_mut() = StatusCode::UNAUTHORIZED;
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            refused
        }
        ForwardAnswer::SignIn(location) => match HeaderValue::from_str(&location) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => AppError::from(ErrorCode::Unauthenticated).into_response(),
        },
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The client a trusted proxy forwarded for: the rightmost `X-Forwarded-For` entry that is not a
/// trusted proxy itself (entries left of it could be written by the client); the peer without one.
fn client_address(
    forwarded_for: Option<&str>,
    peer: Option<IpAddr>,
    is_trusted: impl Fn(IpAddr) -> bool,
) -> Option<IpAddr> {
    let Some(list) = forwarded_for else {
        return peer;
    };
    let mut last = peer;
    for entry in list.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => last = Some(ip),
            Ok(ip) => return Some(ip),
            Err(_) => return None,
        }
    }
    last
}

/// `200` with every identity header present (empty when there is no value: Caddy 2.6 would forward
/// a literal placeholder for a missing one). The values are moved into the headers, not copied:
/// this answer is on the hot path of every proxied request.
fn identity_response(identity: Identity) -> Response {
    let value = |text: String| HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static(""));
    let mut response = StatusCode::OK.into_response();
    response.extensions_mut().insert(super::ForProxyOnly);
    let headers = response.headers_mut();
    headers.insert(USER, value(identity.user));
    headers.insert(EMAIL, value(identity.email));
    headers.insert(NAME, value(identity.name));
    headers.insert(GROUPS, value(identity.groups));
    let assertion = identity
        .assertion
        .and_then(|token| HeaderValue::from_maybe_shared(token).ok());
    headers.insert(ASSERTION, assertion.unwrap_or(HeaderValue::from_static("")));
    response
}

/// `GET /.well-known/jwks.json`: the keys assertions are signed with (the current one, and retired
/// ones for 10 minutes).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "forward", operation_id = "verify_jwks",
    responses((status = 200, description = "A JWK Set of Ed25519 keys (`kty` OKP, `alg` EdDSA).", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = axum::Json(state.assertion_jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=60"),
    );
    response
}

/// `POST /api/setting/assertion-key/rotate`.
#[utoipa::path(post, path = "/api/setting/assertion-key/rotate", tag = "forward", operation_id = "verify_rotate",
    security(("session" = []), ("api_key" = [])),
    responses((status = 200, description = "A new key signs from now on; the old one stays published for 10 minutes.", body = AssertionKey),
        crate::openapi::AdminOnly))]
pub async fn rotate(
    State(state): State<AppState>,
    admin: Admin,
) -> Result<axum::Json<AssertionKey>, AppError> {
    Ok(axum::Json(
        state.rotate_assertion_key(&admin.actor()).await?,
    ))
}

/// `POST /api/setting/policies/test`: what the stored access policies decide for a request and a
/// caller (SPEC §15).
#[utoipa::path(post, path = "/api/setting/policies/test", tag = "forward", operation_id = "policies_test",
    security(("session" = []), ("api_key" = [])), request_body = lanyard_api::PolicyTest,
    responses((status = 200, description = "The decision, the rule that made it, and the answer for the caller described.", body = lanyard_api::PolicyTestResult),
        crate::openapi::BadRequest, crate::openapi::AdminOnly, crate::openapi::NotFound))]
pub async fn test_policies(
    State(state): State<AppState>,
    _admin: Admin,
    crate::extract::AppJson(test): crate::extract::AppJson<lanyard_api::PolicyTest>,
) -> Result<axum::Json<lanyard_api::PolicyTestResult>, AppError> {
    Ok(axum::Json(state.test_policies(&test).await?))
}
