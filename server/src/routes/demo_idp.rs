//! `/demo-idp` (only with `--demo-idp`): a stand-in identity provider that signs a token for whatever
//! user and groups are typed into its form — with the configured shared secret (HS256), or with its
//! own RS256, ES256 or EdDSA key published at `/demo-idp/jwks.json` — so the whole flow can be tried
//! without a real IdP. It signs anyone in: never enable it in production.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use lanyard_api::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Client;
use crate::error::{AppError, escape_html};
use crate::state::AppState;

/// The query the SSO endpoint sends the browser here with.
#[derive(Debug, Deserialize)]
pub struct DemoQuery {
    #[serde(default)]
    return_to: Option<String>,
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct DemoForm {
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    /// Comma-separated.
    #[serde(default)]
    groups: String,
    #[serde(default)]
    return_to: Option<String>,
    /// `HS256` (the shared secret; the default), `RS256`, `ES256` or `EdDSA`.
    #[serde(default)]
    alg: Option<String>,
}

/// `GET /demo-idp/jwks.json`: the demo IdP's public keys, for `jwt_jwks_uri`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.demo_keys() {
        Some(keys) => axum::Json(keys.jwks()).into_response(),
        None => AppError::from(ErrorCode::NotFound).into_response(),
    }
}

/// The demo IdP's look: lanyard's colours, so a demo reads as one product (inline: CSP allows inline
/// styles, and this page has no build step).
pub(super) const DEMO_STYLE: &str = r#"<style>
:root { --ink: #1d2430; --muted: #5b6576; --line: #d9dee7; --bg: #f5f7fa; --brand: #2f5bd3; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
  line-height: 1.5; margin: 0; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 0.75rem 1rem; font-weight: 700; color: #7a5c00; }
main { max-width: 30rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 0 0 1rem; }
.warning { background: #fff8e1; border: 1px solid #e6c44d; border-radius: 8px; padding: 0.5rem 0.75rem; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input, select { width: 100%; font: inherit; padding: 0.5rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
button { font: inherit; padding: 0.45rem 0.9rem; border-radius: 6px; cursor: pointer; margin-top: 1rem;
  border: 1px solid var(--brand); background: var(--brand); color: #fff; }
button.secondary { background: #fff; color: var(--ink); border-color: var(--line); }
p.help { color: var(--muted); font-size: 0.9rem; }
a { color: var(--brand); }
</style>"#;

/// `GET /demo-idp`: the sign-in form.
pub async fn form(Query(query): Query<DemoQuery>) -> Html<String> {
    let return_to = escape_html(query.return_to.as_deref().unwrap_or("/"));
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{DEMO_STYLE}</head>
<body><header>Demo identity provider</header><main>
<h1>Sign in</h1>
<p class="warning"><strong>For demos only.</strong> Whoever you type here is signed in to lanyard.</p>
<form class="card" method="post" action="/demo-idp">
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="off">
<label for="first_name">First name</label><input id="first_name" name="first_name">
<label for="last_name">Last name</label><input id="last_name" name="last_name">
<label for="groups">Groups (comma-separated)</label><input id="groups" name="groups">
<label for="alg">Signature</label><select id="alg" name="alg">
<option value="HS256">HS256 with lanyard's shared secret</option>
<option value="EdDSA">EdDSA with this IdP's key (JWKS)</option>
<option value="ES256">ES256 with this IdP's key (JWKS)</option>
<option value="RS256">RS256 with this IdP's key (JWKS)</option>
</select>
<input type="hidden" name="return_to" value="{return_to}">
<button type="submit">Sign in</button>
</form>
<form class="card" method="post" action="/demo-idp/logout">
<h2>Sign out everywhere</h2>
<p class="help">Signs this person out of every lanyard session, as an identity provider does with OpenID Connect
back-channel logout.</p>
<label for="logout-email">Email</label><input id="logout-email" name="email" type="email" required autocomplete="off">
<button type="submit" class="secondary">Sign out everywhere</button>
</form></main></body></html>"#
    ))
}

/// `POST /demo-idp`: signs a token and sends the browser back to `/auth/sso`.
pub async fn sign(
    State(state): State<AppState>,
    Form(form): Form<DemoForm>,
) -> Result<Response, AppError> {
    let snapshot = state.settings();
    let settings = &snapshot.settings;
    let groups: Vec<&str> = form
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    let mut claims = serde_json::Map::new();
    claims.insert(settings.jwt_attribute_email.clone(), json!(form.email));
    claims.insert(
        settings.jwt_attribute_firstname.clone(),
        json!(form.first_name),
    );
    claims.insert(
        settings.jwt_attribute_lastname.clone(),
        json!(form.last_name),
    );
    claims.insert(settings.jwt_attribute_groups.clone(), json!(groups));
    claims.insert("iat".into(), json!(state.now()));
    let token = sign_claims(&state, form.alg.as_deref().unwrap_or("HS256"), &claims)?;
    let mut location = String::from("/auth/sso?");
    location.push_str(
        &form_urlencoded::Serializer::new(String::new())
            .append_pair("jwt", &token)
            .append_pair("return_to", form.return_to.as_deref().unwrap_or("/"))
            .finish(),
    );
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// The form of **Sign out everywhere**.
#[derive(Debug, Deserialize)]
pub struct DemoLogoutForm {
    email: String,
    #[serde(default)]
    alg: Option<String>,
}

/// `POST /demo-idp/logout`: what an IdP does when a user signs out there — a back-channel logout
/// token for that user (by email), delivered to lanyard's `/auth/sso/logout` rules, so every
/// lanyard session of theirs ends.
pub async fn logout(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<DemoLogoutForm>,
) -> Result<Html<String>, AppError> {
    let snapshot = state.settings();
    let settings = &snapshot.settings;
    let (jti, _) = crate::session::new_token()?;
    let mut claims = serde_json::Map::new();
    claims.insert(settings.jwt_attribute_email.clone(), json!(form.email));
    claims.insert("iat".into(), json!(state.now()));
    claims.insert("jti".into(), json!(jti));
    claims.insert(
        "events".into(),
        json!({ lanyard_core::logout::BACKCHANNEL_LOGOUT_EVENT: {} }),
    );
    if !settings.jwt_issuer.is_empty() {
        claims.insert("iss".into(), json!(settings.jwt_issuer));
    }
    let site = state.site_url(settings, crate::extract::host(&headers))?;
    if !settings.jwt_audiences.is_empty() {
        claims.insert("aud".into(), json!(site.as_str()));
    }
    // HS256 needs the shared secret; without one, the demo IdP's own EdDSA key (its JWK Set).
    let default_alg = if settings.jwt_shared_secret.is_empty() {
        "EdDSA"
    } else {
        "HS256"
    };
    let token = sign_claims(&state, form.alg.as_deref().unwrap_or(default_alg), &claims)?;
    let done = state
        .backchannel_logout(&token, crate::extract::host(&headers), &client)
        .await?;
    Ok(Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out everywhere</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{DEMO_STYLE}</head>
<body><header>Demo identity provider</header><main>
<h1>Signed out everywhere</h1>
<p>The demo identity provider sent lanyard a back-channel logout for {}: {} session(s) ended.</p>
<p><a href="/login">Back to sign-in</a></p></main></body></html>"#,
        escape_html(&form.email),
        done.sessions_ended
    )))
}

/// `claims` signed with the shared secret (`HS256`) or the demo IdP's own key for `alg`.
fn sign_claims(
    state: &AppState,
    alg: &str,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, AppError> {
    let snapshot = state.settings();
    let settings = &snapshot.settings;
    match alg {
        "HS256" => {
            if settings.jwt_shared_secret.is_empty() {
                return Err(ErrorCode::SsoDisabled.into());
            }
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                claims,
                &jsonwebtoken::EncodingKey::from_secret(settings.jwt_shared_secret.as_bytes()),
            )
        }
        name => {
            let alg = match name {
                "RS256" => jsonwebtoken::Algorithm::RS256,
                "ES256" => jsonwebtoken::Algorithm::ES256,
                "EdDSA" => jsonwebtoken::Algorithm::EdDSA,
                _ => return Err(ErrorCode::InvalidRequest.into()),
            };
            let key = state
                .demo_keys()
                .and_then(|keys| keys.key(alg))
                .ok_or(ErrorCode::NotFound)?;
            let mut header = jsonwebtoken::Header::new(alg);
            header.kid = Some(key.kid.to_owned());
            jsonwebtoken::encode(&header, claims, &key.encoding)
        }
    }
    .map_err(|e| AppError::internal(e.to_string()))
}
