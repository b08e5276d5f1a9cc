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
    match &state.demo_keys {
        Some(keys) => axum::Json(keys.jwks()).into_response(),
        None => AppError::Code(ErrorCode::NotFound).into_response(),
    }
}

/// `GET /demo-idp`: the sign-in form.
pub async fn form(Query(query): Query<DemoQuery>) -> Html<String> {
    let return_to = escape_html(query.return_to.as_deref().unwrap_or("/"));
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem">
<h1>Demo identity provider</h1>
<p><strong>For demos only.</strong> Whoever you type here is signed in to lanyard.</p>
<form method="post" action="/demo-idp">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" required autocomplete="off"></p>
<p><label for="first_name">First name</label><br><input id="first_name" name="first_name"></p>
<p><label for="last_name">Last name</label><br><input id="last_name" name="last_name"></p>
<p><label for="groups">Groups (comma-separated)</label><br><input id="groups" name="groups"></p>
<p><label for="alg">Signature</label><br><select id="alg" name="alg">
<option value="HS256">HS256 with lanyard's shared secret</option>
<option value="EdDSA">EdDSA with this IdP's key (JWKS)</option>
<option value="ES256">ES256 with this IdP's key (JWKS)</option>
<option value="RS256">RS256 with this IdP's key (JWKS)</option>
</select></p>
<input type="hidden" name="return_to" value="{return_to}">
<p><button type="submit">Sign in</button></p>
</form>
<h2>Sign out everywhere</h2>
<p>Signs this person out of every lanyard session, as an identity provider does with OpenID Connect
back-channel logout.</p>
<form method="post" action="/demo-idp/logout">
<p><label for="logout-email">Email</label><br><input id="logout-email" name="email" type="email" required autocomplete="off"></p>
<p><button type="submit">Sign out everywhere</button></p>
</form></body></html>"#
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
    let site = state.site_url(settings, &headers)?;
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
        .backchannel_logout(&token, site.as_str(), &client)
        .await?;
    Ok(Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out everywhere</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem">
<h1>Signed out everywhere</h1>
<p>The demo identity provider sent lanyard a back-channel logout for {}: {} session(s) ended.</p>
<p><a href="/login">Back to sign-in</a></p></body></html>"#,
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
                .demo_keys
                .as_ref()
                .and_then(|keys| keys.key(alg))
                .ok_or(ErrorCode::NotFound)?;
            let mut header = jsonwebtoken::Header::new(alg);
            header.kid = Some(key.kid.to_owned());
            jsonwebtoken::encode(&header, claims, &key.encoding)
        }
    }
    .map_err(|e| AppError::Internal(e.to_string()))
}
