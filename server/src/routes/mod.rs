//! The router: every route, and the layers every response goes through.

mod audit;
mod demo_idp;
mod demo_oidc;
mod groups;
mod logout;
mod oidc;
mod ops;
mod people;
mod provisioning;
mod scim;
mod session;
mod sessions;
mod settings;
mod sso;
mod verify;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use lanyard_api::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::openapi::{self, ApiDoc};
use crate::state::AppState;

/// The whole application.
pub fn app(state: AppState) -> Router {
    // Every documented route is registered through `routes!`, which adds its `#[utoipa::path]` to
    // the OpenAPI document as it adds the handler to the router.
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(sso::get, sso::post))
        .routes(routes!(logout::backchannel))
        .routes(routes!(oidc::start))
        .routes(routes!(oidc::callback))
        .routes(routes!(oidc::discover))
        .routes(routes!(oidc::status))
        .routes(routes!(logout::oidc_backchannel))
        .routes(routes!(verify::verify))
        .routes(routes!(verify::jwks))
        .routes(routes!(verify::rotate))
        .routes(routes!(verify::test_policies))
        .routes(routes!(session::password_login, session::sign_out))
        .routes(routes!(session::properties))
        .routes(routes!(session::setup))
        .routes(routes!(session::current))
        .routes(routes!(sessions::list, sessions::end_others))
        .routes(routes!(sessions::end_one))
        .routes(routes!(sessions::change_password))
        .routes(routes!(
            sessions::user_sessions,
            sessions::end_user_sessions
        ))
        .routes(routes!(settings::get, settings::put))
        .routes(routes!(settings::test))
        .routes(routes!(settings::put_mappings))
        .routes(routes!(settings::preview_mappings))
        .routes(routes!(settings::refresh_jwks))
        .routes(routes!(settings::put_password_login))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::get, groups::rename, groups::delete))
        .routes(routes!(groups::add_member))
        .routes(routes!(groups::remove_member))
        .routes(routes!(groups::clear))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::get, people::update, people::deactivate))
        .routes(routes!(people::reactivate))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(audit::summary))
        .routes(routes!(provisioning::status, provisioning::enable))
        .routes(routes!(provisioning::rotate_token))
        .routes(routes!(provisioning::list, provisioning::create))
        .routes(routes!(provisioning::rotate))
        .routes(routes!(provisioning::delete))
        .routes(routes!(scim::service_provider_config))
        .routes(routes!(scim::resource_types))
        .routes(routes!(scim::resource_type))
        .routes(routes!(scim::schemas))
        .routes(routes!(scim::schema))
        .routes(routes!(scim::users::list, scim::users::create))
        .routes(routes!(scim::users::search))
        .routes(routes!(
            scim::users::get,
            scim::users::replace,
            scim::users::patch,
            scim::users::delete
        ))
        .routes(routes!(scim::groups::list, scim::groups::create))
        .routes(routes!(scim::groups::search))
        .routes(routes!(
            scim::groups::get,
            scim::groups::replace,
            scim::groups::patch,
            scim::groups::delete
        ))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts();
    let document = Arc::new(openapi::finish(api));
    let mut router = router.route(
        "/api/openapi.json",
        get(move || {
            let document = Arc::clone(&document);
            async move { axum::Json(document) }
        }),
    );
    // Every path under the API's prefixes that names no endpoint: a 404 in the API's error shape
    // (SCIM's under /api/scim/), never the SPA's HTML (SPEC §4).
    for prefix in ["/api", "/auth", "/.well-known"] {
        router = router
            .route(prefix, any(no_such_endpoint))
            .route(&format!("{prefix}/"), any(no_such_endpoint))
            .route(&format!("{prefix}/{{*rest}}"), any(no_such_endpoint));
    }
    router = router
        .route("/api/scim/v2/.search", post(scim::search_all))
        .route("/api/scim/", any(no_such_scim_endpoint))
        .route("/api/scim/{*rest}", any(no_such_scim_endpoint));
    if state.serves_demo_idp() {
        router = router
            .route("/demo-idp", get(demo_idp::form).post(demo_idp::sign))
            .route("/demo-idp/jwks.json", get(demo_idp::jwks))
            .route("/demo-idp/logout", post(demo_idp::logout))
            .route(
                "/demo-idp/.well-known/openid-configuration",
                get(demo_oidc::discovery),
            )
            .route(
                "/demo-idp/authorize",
                get(demo_oidc::authorize).post(demo_oidc::approve),
            )
            .route("/demo-idp/token", post(demo_oidc::token))
            .route("/demo-idp/userinfo", get(demo_oidc::userinfo))
            .route("/demo-idp/end-session", get(demo_oidc::end_session));
    }
    let static_dir = state.static_dir();
    let index_html = std::fs::read_to_string(static_dir.join("index.html")).ok();
    let csp = HeaderValue::from_str(&crate::csp::policy(index_html.as_deref()))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let router = if static_dir.join("index.html").is_file() {
        // `.br`/`.gz` beside a file (`lanyard precompress`) are sent to browsers that accept them.
        let index = ServeFile::new(static_dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip();
        let files = ServeDir::new(static_dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(index);
        router
            .fallback_service(files)
            .layer(middleware::from_fn(static_caching))
    } else {
        router.fallback(no_spa)
    };
    router
        .layer(middleware::from_fn_with_state(state.clone(), scim_guard))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            for_browsers(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            for_browsers(HeaderValue::from_static("nosniff")),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            for_browsers(HeaderValue::from_static("DENY")),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            for_browsers(HeaderValue::from_static("same-origin")),
        ))
        .layer(middleware::from_fn(limit_uri))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            transport_security,
        ))
        .with_state(state)
}

/// Marks an answer that only a reverse proxy reads: `/auth/verify`'s `200`, from which the proxy
/// takes the identity headers it is configured to copy onto the request it lets through, passing
/// nothing of the answer itself to the browser (nginx's `auth_request`, Caddy's `forward_auth`,
/// Traefik's `forwardAuth`). The headers that guard a page in a browser are left off it: on the
/// hot path of every proxied request they were a third of the answer's bytes. Refusals (`401`,
/// `302`, `403`) are not marked: some proxies hand those to the browser as they are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForProxyOnly;

/// `value` for every response but one marked [`ForProxyOnly`].
fn for_browsers(value: HeaderValue) -> impl FnMut(&Response) -> Option<HeaderValue> + Clone {
    move |response: &Response| {
        response
            .extensions()
            .get::<ForProxyOnly>()
            .is_none()
            .then(|| value.clone())
    }
}

async fn no_such_endpoint() -> Response {
    AppError::from(ErrorCode::NotFound).into_response()
}

async fn no_such_scim_endpoint() -> Response {
    AppError::from(lanyard_core::scim::ScimError::status(
        404,
        "No such SCIM endpoint: see GET /ResourceTypes for what this service provider offers.",
    ))
    .into_scim_response()
}

async fn no_spa() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>lanyard</title></head><body>\
         <h1>lanyard</h1><p>The admin app is not built. Build it with <code>make run</code> (or \
         <code>trunk build --release</code>) and point <code>--static-dir</code> at its <code>dist</code> folder.</p>\
         <p>The API, <a href=\"/auth/sso\">/auth/sso</a> and <a href=\"/healthz\">/healthz</a> work without it.</p>\
         </body></html>",
    )
}

/// How long browsers keep the SPA's files: the hashed ones (`app-0123456789abcdef.wasm`) forever,
/// since a new build has new names; everything else (`index.html`, which names them) is revalidated
/// on every load. Each may come compressed, so caches key on `Accept-Encoding`.
async fn static_caching(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let dynamic = [
        "/api/",
        "/auth/",
        "/demo-idp",
        "/healthz",
        "/readyz",
        "/metrics",
        "/.well-known/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    if dynamic || !response.status().is_success() && response.status() != StatusCode::NOT_MODIFIED {
        return response;
    }
    let headers = response.headers_mut();
    let policy = if is_hashed(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether a file name carries a build hash: `-` and 16 hex digits before `_` or `.` (Trunk's names).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.match_indices('-').any(|(at, _)| {
        let rest = &name[at + 1..];
        rest.len() > 16
            && rest[..16].bytes().all(|b| b.is_ascii_hexdigit())
            && matches!(rest.as_bytes()[16], b'_' | b'.')
    })
}

/// Longest path and query accepted: a 16 KiB token in `/auth/sso?jwt=…` and its `return_to` fit.
const MAX_URI_BYTES: usize = 24 * 1024;

/// `414 uri_too_long` for a longer URL, before anything reads it (a path is written to the log and
/// the audit log, and a client must not choose how much).
async fn limit_uri(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |path| path.as_str().len());
    if length > MAX_URI_BYTES {
        return AppError::from(ErrorCode::UriTooLong).into_response();
    }
    next.run(request).await
}

/// With an `https` site URL, `Strict-Transport-Security` on every response; on every API and
/// `/auth/` response `Cache-Control: no-store` unless the route chose otherwise, so no answer that
/// carries a secret (an API key, the SCIM token, a session id) is kept by a cache.
async fn transport_security(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let dynamic =
        request.uri().path().starts_with("/api/") || request.uri().path().starts_with("/auth/");
    let mut response = next.run(request).await;
    let https = state.is_https(&state.settings().settings);
    let headers = response.headers_mut();
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if dynamic && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// SCIM's token check and audit ([`scim::guard`]) for every path under `/api/scim/`.
async fn scim_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(SCIM_PREFIX) {
        // Boxed: the guard's future (token check, audit) is large, and unboxed every request
        // through this middleware would carry and copy its space.
        Box::pin(scim::guard(State(state), request, next)).await
    } else {
        next.run(request).await
    }
}

const SCIM_PREFIX: &str = "/api/scim/";

/// Unsafe methods under `/api` must come from this site: an `Origin` equal to the site's, or none
/// (same-origin requests from older clients and non-browser clients send none). SCIM and API-key
/// requests are exempt: they carry no cookie, so another site cannot make them on a user's behalf.
async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let credential_only = request.uri().path().starts_with(SCIM_PREFIX)
        || request.headers().contains_key(crate::auth::API_KEY_HEADER);
    if unsafe_method
        && !credential_only
        && request.uri().path().starts_with("/api/")
        && let Some(origin) = request.headers().get(header::ORIGIN)
    {
        let snapshot = state.settings();
        let site = state.site_url(&snapshot.settings, crate::extract::host(request.headers()));
        let same = match (
            origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()),
            site,
        ) {
            (Some(origin), Ok(site)) => origin.origin() == site.origin(),
            _ => false,
        };
        if !same {
            return AppError::from(ErrorCode::CrossSiteRequest).into_response();
        }
    }
    next.run(request).await
}

/// One log line per request: method, path (never the query: it can hold a token), status, time.
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // At most 256 characters of the path: a path is the client's to choose, a log line is not.
    let path = lanyard_core::audit::bounded_path(request.uri().path());
    // The route's pattern, not the path, labels the metric: paths are unbounded, patterns are not.
    // (A MatchedPath is a shared string: cloning it allocates nothing.)
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let route = route.as_ref().map_or("static", MatchedPath::as_str);
    state.record_request(route, micros);
    tracing::info!(%method, %path, status = response.status().as_u16(), micros, "request");
    response
}
