//! Session tokens and the cookie that carries them (built and read with the `cookie` crate).

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

use crate::service::Error;

/// The cookie's name.
pub const COOKIE: &str = "lanyard.SESSION";

/// A fresh 256-bit session token (base64url) and the SHA-256 hex that is stored for it.
pub fn new_token() -> Result<(String, String), Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// What the database stores for a token: never the token itself.
pub fn hash_token(token: &str) -> String {
    // The digest's own lower-case hex fills one buffer, where `hex::encode` builds its string a
    // char at a time: every signed-in request hashes its token.
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn header_value(cookie: &Cookie<'_>) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(&cookie.to_string()).map_err(|e| Error::Internal(e.to_string()))
}

/// Where the session cookie goes: `Secure` when the site is served over https, and the `Domain`
/// of `--cookie-domain` when set (every host under it receives the cookie: forward auth).
#[derive(Debug, Clone, Copy, Default)]
pub struct CookieScope<'a> {
    /// Send only over https.
    pub secure: bool,
    /// The cookie's `Domain`.
    pub domain: Option<&'a str>,
}

fn build<'a>(value: &'a str, max_age: i64, scope: CookieScope<'a>) -> Cookie<'a> {
    let mut cookie = Cookie::build((COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .secure(scope.secure)
        .build();
    if let Some(domain) = scope.domain {
        cookie.set_domain(domain);
    }
    cookie
}

/// The `Set-Cookie` value for a new session: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Max-Age`, and the
/// scope's `Secure` and `Domain`.
pub fn cookie(token: &str, max_age: i64, scope: CookieScope<'_>) -> Result<HeaderValue, Error> {
    header_value(&build(token, max_age, scope))
}

/// The `Set-Cookie` value that removes the session cookie (with the same `Domain`, or the browser
/// would keep it).
pub fn removal_cookie(scope: CookieScope<'_>) -> HeaderValue {
    header_value(&build("", 0, scope))
        .unwrap_or_else(|_| HeaderValue::from_static("lanyard.SESSION=; Max-Age=0"))
}

/// The session token from `Authorization: Bearer …` (the `id` of a JSON-mode login), if any.
pub fn bearer_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            // RFC 7235 §2.1: the scheme is case-insensitive (`bearer`, `BEARER` are `Bearer`).
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

/// The session token from the request's cookies, if any.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

/// The non-empty value of the cookie `name` the request sent, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    /// Stored hashes are lower-case hex SHA-256: a change of spelling would sign everyone out.
    #[test]
    fn a_token_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            super::hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
