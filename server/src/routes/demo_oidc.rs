//! The demo IdP as an OpenID Connect provider (only with `--demo-idp`; SPEC §14): issuer
//! `{site}/demo-idp`, with discovery, an authorization endpoint that shows its form, a token
//! endpoint (client `lanyard-demo`, secret `demo-secret`, PKCE S256 required), userinfo and the
//! JWK Set it already publishes; ID tokens are signed with its EdDSA key. Codes and access tokens
//! live in this process's memory for a minute. It signs anyone in: never enable it in production.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::demo_idp::DEMO_STYLE;
use crate::error::{AppError, escape_html};
use crate::state::AppState;

/// The demo's one client.
pub const CLIENT_ID: &str = "lanyard-demo";
/// Its secret.
pub const CLIENT_SECRET: &str = "demo-secret";
/// How long a code or access token is good for, seconds.
const LIFETIME: i64 = 60;

/// A code or access token's grant: the claims it stands for.
#[derive(Clone)]
struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    claims: serde_json::Map<String, Value>,
    expires_at: i64,
}

fn grants() -> &'static Mutex<HashMap<String, Grant>> {
    static GRANTS: OnceLock<Mutex<HashMap<String, Grant>>> = OnceLock::new();
    GRANTS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn take_grant(key: &str, now: i64) -> Option<Grant> {
    let mut grants = grants().lock().unwrap_or_else(|p| p.into_inner());
    grants.retain(|_, grant| grant.expires_at >= now);
    grants.remove(key)
}

fn put_grant(key: String, grant: Grant) {
    grants()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, grant);
}

fn issuer(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    let snapshot = state.settings();
    let site = state.site_url(&snapshot.settings, crate::extract::host(headers))?;
    Ok(format!("{}/demo-idp", site.as_str().trim_end_matches('/')))
}

/// An OAuth error answer.
fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// `GET /demo-idp/.well-known/openid-configuration`.
pub async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, AppError> {
    let issuer = issuer(&state, &headers)?;
    Ok(axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "end_session_endpoint": format!("{issuer}/end-session"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "scopes_supported": ["openid", "email", "profile", "groups"],
        "claims_supported": ["sub", "email", "email_verified", "given_name", "family_name", "groups"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    })))
}

/// The authorization request's parameters (also the form's hidden fields).
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

/// `GET /demo-idp/authorize`: the demo's sign-in form for an OpenID Connect client.
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuthorizeQuery>,
) -> Result<Response, AppError> {
    let issuer = issuer(&state, &headers)?;
    let site = issuer.trim_end_matches("/demo-idp");
    if query.client_id != CLIENT_ID
        || !query
            .redirect_uri
            .starts_with(&format!("{site}/auth/oidc/"))
        || query.code_challenge_method != "S256"
        || query.code_challenge.is_empty()
    {
        return Ok((
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<!doctype html><title>Demo IdP</title>{DEMO_STYLE}<main><h1>Not a request the demo IdP accepts</h1>\
                 <p>It needs client_id {CLIENT_ID}, a redirect URI under {}/auth/oidc/ and PKCE (S256).</p></main>",
                escape_html(site)
            )),
        )
            .into_response());
    }
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape_html(value)
        )
    };
    let fields = [
        hidden("redirect_uri", &query.redirect_uri),
        hidden("state", &query.state),
        hidden("nonce", &query.nonce),
        hidden("code_challenge", &query.code_challenge),
    ]
    .concat();
    Ok(Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{DEMO_STYLE}</head>
<body><header>Demo identity provider · OpenID Connect</header><main>
<h1>Sign in</h1>
<p class="warning"><strong>For demos only.</strong> Whoever you type here is signed in to lanyard.</p>
<form class="card" method="post" action="/demo-idp/authorize">
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="off">
<label for="given_name">First name</label><input id="given_name" name="given_name">
<label for="family_name">Last name</label><input id="family_name" name="family_name">
<label for="groups">Groups (comma-separated)</label><input id="groups" name="groups">
{fields}<button type="submit">Sign in</button>
</form></main></body></html>"#
    ))
    .into_response())
}

/// The form's answer.
#[derive(Debug, Deserialize)]
pub struct AuthorizeForm {
    email: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    groups: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
}

/// `POST /demo-idp/authorize`: a code for the person typed, and back to the client.
pub async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AuthorizeForm>,
) -> Result<Response, AppError> {
    let issuer = issuer(&state, &headers)?;
    let site = issuer.trim_end_matches("/demo-idp");
    if !form.redirect_uri.starts_with(&format!("{site}/auth/oidc/")) {
        return Err(lanyard_api::ErrorCode::InvalidRequest.into());
    }
    let groups: Vec<&str> = form
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    let mut claims = serde_json::Map::new();
    claims.insert(
        "sub".into(),
        json!(format!("demo|{}", form.email.to_ascii_lowercase())),
    );
    claims.insert("email".into(), json!(form.email));
    claims.insert("email_verified".into(), json!(true));
    claims.insert("given_name".into(), json!(form.given_name));
    claims.insert("family_name".into(), json!(form.family_name));
    claims.insert("groups".into(), json!(groups));
    let (code, _) = crate::session::new_token()?;
    put_grant(
        format!("code:{code}"),
        Grant {
            redirect_uri: form.redirect_uri.clone(),
            challenge: form.code_challenge,
            nonce: form.nonce,
            claims,
            expires_at: state.now() + LIFETIME,
        },
    );
    let mut location = url::Url::parse(&form.redirect_uri)
        .map_err(|_| AppError::from(lanyard_api::ErrorCode::InvalidRequest))?;
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &form.state)
        .append_pair("iss", &issuer);
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response())
}

/// The token request.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

/// The client's credentials, from HTTP Basic or the form.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |text: &str| {
                form_urlencoded::parse(format!("x={text}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)))
}

/// `POST /demo-idp/token`: the code (one use, a minute) for an ID token and an access token.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    if form.grant_type != "authorization_code" {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ));
    }
    match client_credentials(&headers, &form) {
        Some((id, secret)) if id == CLIENT_ID && secret == CLIENT_SECRET => {}
        _ => return Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client")),
    }
    let now = state.now();
    let Some(grant) = take_grant(&format!("code:{}", form.code), now) else {
        return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"));
    };
    let pkce = lanyard_core::oidc::pkce_challenge(&form.code_verifier);
    if grant.redirect_uri != form.redirect_uri || pkce != grant.challenge {
        return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"));
    }
    let issuer = issuer(&state, &headers)?;
    let mut claims = grant.claims.clone();
    claims.insert("iss".into(), json!(issuer));
    claims.insert("aud".into(), json!(CLIENT_ID));
    claims.insert("nonce".into(), json!(grant.nonce));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 300));
    let key = state
        .demo_keys()
        .and_then(|keys| keys.key(jsonwebtoken::Algorithm::EdDSA))
        .ok_or_else(|| AppError::internal("the demo IdP has no key"))?;
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    jwt_header.kid = Some(key.kid.to_owned());
    let id_token = jsonwebtoken::encode(&jwt_header, &claims, &key.encoding)
        .map_err(|e| AppError::internal(e.to_string()))?;
    let (access_token, _) = crate::session::new_token()?;
    put_grant(
        format!("access:{access_token}"),
        Grant {
            expires_at: now + LIFETIME,
            ..grant
        },
    );
    Ok(axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": LIFETIME,
        "id_token": id_token,
    }))
    .into_response())
}

/// `GET /demo-idp/userinfo`: the claims of the person an access token stands for.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let grant = token.and_then(|token| {
        let key = format!("access:{token}");
        let grant = take_grant(&key, state.now())?;
        put_grant(key, grant.clone());
        Some(grant)
    });
    match grant {
        Some(grant) => axum::Json(Value::Object(grant.claims)).into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token"),
    }
}

/// `GET /demo-idp/end-session`: signed out at the demo IdP; a link back to lanyard.
pub async fn end_session(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let back = query
        .get("post_logout_redirect_uri")
        .map_or_else(|| "/".to_owned(), |uri| escape_html(uri));
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title>{DEMO_STYLE}</head>
<body><header>Demo identity provider · OpenID Connect</header><main><h1>Signed out at the demo IdP</h1>
<p><a href="{back}">Back to lanyard</a></p></main></body></html>"#
    ))
}
