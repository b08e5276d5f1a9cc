//! OpenID Connect sign-in (SPEC §14), the parts that are pure: the authorization request with its
//! one-use `state`, `nonce` and PKCE (S256, always), and the rules a provider's fields follow. The
//! caller passes the random bytes; nothing here draws randomness or does I/O.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

mod id_token;
mod logout;
mod provider;

pub use id_token::{
    IdToken, IdTokenChecks, Link, Linked, email_verified, link, merge_userinfo, needs_userinfo,
    profile, verify_id_token,
};
pub use logout::{ProviderLogout, verify_provider_logout};
pub use provider::{MAX_PROVIDERS, check_issuer_url, provider_field, provider_problems};

/// Longest provider slug (`[a-z0-9-]{1,32}`).
pub const MAX_SLUG_CHARS: usize = 32;

/// The secrets of one authorization request, made from the caller's random bytes: `state` binds
/// the callback to this request, `nonce` binds the ID token to it, and the PKCE `verifier` proves
/// at the token endpoint that the one who exchanges the code is the one who asked for it.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestSecrets {
    /// The `state` parameter (43 base64url characters).
    pub state: String,
    /// The `nonce` parameter (43 base64url characters).
    pub nonce: String,
    /// The PKCE code verifier (43 base64url characters: RFC 7636 §4.1 allows 43 to 128).
    pub verifier: String,
}

impl std::fmt::Debug for RequestSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // All three are secrets while the request is open: Debug output ends up in logs.
        f.write_str("RequestSecrets { .. }")
    }
}

impl RequestSecrets {
    /// The secrets from 96 random bytes (32 each).
    pub fn from_random(random: [u8; 96]) -> Self {
        let part = |range: std::ops::Range<usize>| URL_SAFE_NO_PAD.encode(&random[range]);
        Self {
            state: part(0..32),
            nonce: part(32..64),
            verifier: part(64..96),
        }
    }

    /// The PKCE `code_challenge` for the verifier (method `S256`).
    pub fn code_challenge(&self) -> String {
        pkce_challenge(&self.verifier)
    }
}

/// RFC 7636 §4.2's S256 challenge: base64url (no padding) of the SHA-256 of the verifier's ASCII.
///
/// ```
/// // RFC 7636, appendix B.
/// assert_eq!(
///     lanyard_core::oidc::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
///     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
/// );
/// ```
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What the browser is sent to the provider with (OpenID Connect Core §3.1.2.1, RFC 7636).
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    /// The provider's `authorization_endpoint`, from discovery.
    pub authorization_endpoint: &'a str,
    /// lanyard's client id at the provider.
    pub client_id: &'a str,
    /// `{site_url}/auth/oidc/{slug}/callback`.
    pub redirect_uri: &'a str,
    /// The scopes, space-separated (with `openid`).
    pub scope: &'a str,
    /// This request's secrets.
    pub secrets: &'a RequestSecrets,
}

impl AuthorizationRequest<'_> {
    /// The URL to send the browser to: the endpoint with the request's parameters added to any
    /// it already has (every value encoded; the verifier itself is never in it).
    pub fn url(&self) -> Result<Url, url::ParseError> {
        let mut url = Url::parse(self.authorization_endpoint)?;
        let challenge = self.secrets.code_challenge();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", self.scope)
            .append_pair("state", &self.secrets.state)
            .append_pair("nonce", &self.secrets.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }
}

/// `None` when `slug` is a provider slug (`[a-z0-9-]{1,32}`), else the problem (code, message).
pub fn check_slug(slug: &str) -> Option<(&'static str, &'static str)> {
    let valid = !slug.is_empty()
        && slug.len() <= MAX_SLUG_CHARS
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (!valid).then_some((
        "invalid_slug",
        "A provider's slug is 1 to 32 lower-case letters, digits or hyphens, e.g. okta.",
    ))
}

/// `None` when `scopes` (space-separated) holds `openid` and only scope tokens (RFC 6749 §3.3:
/// printable ASCII but `"` and `\`), else the problem (code, message).
pub fn check_scopes(scopes: &str) -> Option<(&'static str, &'static str)> {
    let tokens: Vec<&str> = scopes.split(' ').filter(|t| !t.is_empty()).collect();
    let well_formed = tokens.iter().all(|token| {
        token
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    });
    if !well_formed {
        return Some((
            "invalid_scope",
            "Scopes are separated by spaces and use printable ASCII without quotes or backslashes.",
        ));
    }
    (!tokens.contains(&"openid")).then_some((
        "openid_scope_required",
        "The scopes must include openid, e.g. \"openid email profile\".",
    ))
}

/// What is wrong with an ID token's OpenID Connect claims (the signature, `iss`, `exp` and `iat` are
/// the JWT rules' business, checked before these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenProblem {
    /// `aud` does not name lanyard's client id.
    AudienceMissing,
    /// `azp` is not lanyard's client id, or is absent while `aud` names several parties.
    AuthorizedPartyMismatch,
    /// `nonce` is missing or is not this request's.
    NonceMismatch,
}

/// OpenID Connect Core §3.1.3.7's claims of an ID token for this request: `aud` (a string or a
/// list) names `client_id`; with several audiences `azp` is required, and whenever present it is
/// `client_id`; `nonce` is the one this request sent.
pub fn check_id_token_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
    client_id: &str,
    nonce: &str,
) -> Result<(), IdTokenProblem> {
    use serde_json::Value;
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(IdTokenProblem::AudienceMissing);
    }
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == client_id => {}
        None if audiences.len() == 1 => {}
        _ => return Err(IdTokenProblem::AuthorizedPartyMismatch),
    }
    match claims.get("nonce") {
        Some(Value::String(sent)) if sent == nonce => Ok(()),
        _ => Err(IdTokenProblem::NonceMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_are_distinct_url_safe_and_the_verifier_has_a_valid_length() {
        let mut random = [0u8; 96];
        for (i, byte) in random.iter_mut().enumerate() {
            *byte = u8::try_from(i * 7 % 256).unwrap_or(0);
        }
        let secrets = RequestSecrets::from_random(random);
        assert_ne!(secrets.state, secrets.nonce);
        assert_ne!(secrets.nonce, secrets.verifier);
        for part in [&secrets.state, &secrets.nonce, &secrets.verifier] {
            assert_eq!(part.len(), 43);
            assert!(
                part.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
        assert_eq!(format!("{secrets:?}"), "RequestSecrets { .. }");
    }

    #[test]
    fn slugs_and_scopes_follow_the_rules() {
        for good in ["okta", "entra-id", "a", &"k".repeat(32)] {
            assert_eq!(check_slug(good), None, "{good}");
        }
        for bad in ["", "Okta", "my idp", "a_b", &"k".repeat(33), "ökta"] {
            assert!(check_slug(bad).is_some(), "{bad}");
        }
        assert_eq!(check_scopes("openid email profile"), None);
        assert_eq!(check_scopes("  openid  "), None);
        assert_eq!(
            check_scopes("email profile").map(|p| p.0),
            Some("openid_scope_required")
        );
        assert_eq!(
            check_scopes("openid \"x\"").map(|p| p.0),
            Some("invalid_scope")
        );
    }
}
