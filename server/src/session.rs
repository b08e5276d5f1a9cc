//! Session tokens and the cookie that carries them (built and read with the `cookie` crate).

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The cookie's name.
pub const COOKIE: &str = "lanyard.SESSION";

/// A fresh 256-bit session token (base64url) and the SHA-256 hex that is stored for it.
pub fn new_token() -> Result<(String, String), AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// What the database stores for a token: never the token itself.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn header_value(cookie: &Cookie<'_>) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&cookie.to_string()).map_err(|e| AppError::Internal(e.to_string()))
}

/// The `Set-Cookie` value for a new session: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Max-Age`, and
/// `Secure` when the site is served over https.
pub fn cookie(token: &str, max_age: i64, secure: bool) -> Result<HeaderValue, AppError> {
    let cookie = Cookie::build((COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(secure)
        .build();
    header_value(&cookie)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn removal_cookie() -> HeaderValue {
    let cookie = Cookie::build((COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    header_value(&cookie)
        .unwrap_or_else(|_| HeaderValue::from_static("lanyard.SESSION=; Max-Age=0"))
}

/// The session token from the request's cookies, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}
