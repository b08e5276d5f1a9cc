//! Verify lanyard's `X-Lanyard-Assertion` in an application behind the proxy (SPEC §13, §15).
//!
//! lanyard's reverse proxy passes each allowed request on with a short-lived JWT (EdDSA, 60 s)
//! naming the user: `iss` = lanyard's site URL, `aud` = the application's host, `sub`, `email`,
//! `groups`. An application that does not want to trust its network verifies it against lanyard's
//! published keys (`{site}/.well-known/jwks.json`) instead of trusting the plain headers.
//!
//! [`Verifier`] is the check itself, without I/O: give it the JWK Set, ask it about a token. The
//! `layer` feature adds [`layer::AssertionLayer`], a tower layer for axum (or any tower stack) that
//! fetches and caches the keys, refuses a request without a valid assertion (`401`), and hands the
//! [`Identity`] to the handler.
//!
//! ```
//! use lanyard_assertion::{Verifier, VerifyError};
//! let mut verifier = Verifier::new("https://sso.example.com", "app.example.com");
//! verifier.set_keys(r#"{"keys": []}"#).unwrap();
//! assert!(matches!(verifier.verify("not-a-jwt", 0), Err(VerifyError::Malformed)));
//! ```

use std::collections::HashMap;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

#[cfg(feature = "layer")]
pub mod layer;

/// Seconds of clock difference tolerated between lanyard and the application.
pub const LEEWAY_SECONDS: u64 = 5;

/// Who a verified assertion names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `sub`: the lanyard user id, `api-key:{name}` for an API key, or a machine client's `sub`.
    pub sub: String,
    /// The email (empty for a machine client without one).
    #[serde(default)]
    pub email: String,
    /// lanyard group names.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Until when (Unix seconds) the assertion is valid.
    pub exp: i64,
}

impl Identity {
    /// Whether the caller is in group `name`.
    pub fn in_group(&self, name: &str) -> bool {
        self.groups.iter().any(|group| group == name)
    }
}

/// Why an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No `X-Lanyard-Assertion`, or an empty one (a bypassed request without a session).
    #[error("no assertion")]
    Missing,
    /// Not a JWT, or not one lanyard signs (its header names no `kid`, or not EdDSA).
    #[error("not an assertion lanyard signs")]
    Malformed,
    /// Signed by a key not in the set: lanyard may have rotated; fetch the set again.
    #[error("signed by a key not in lanyard's JWK Set")]
    UnknownKey,
    /// The signature, issuer, audience or expiry does not hold.
    #[error("invalid assertion: {0}")]
    Invalid(String),
    /// The JWK Set could not be read (or fetched, for the layer).
    #[error("lanyard's keys are unavailable: {0}")]
    Keys(String),
}

/// Checks assertions for one application: lanyard's issuer (the site URL as configured), the
/// application's host as the audience, and lanyard's current keys.
#[derive(Clone)]
pub struct Verifier {
    issuer: String,
    audience: String,
    keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Verifier {
    /// A verifier with no keys yet: `issuer` is lanyard's site URL (a trailing slash is
    /// ignored), `audience` the application's host as the proxy forwards it.
    pub fn new(issuer: &str, audience: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience: audience.to_owned(),
            keys: HashMap::new(),
        }
    }

    /// Replaces the keys with the JWK Set `jwks` (the body of `/.well-known/jwks.json`). Keys
    /// that are not Ed25519 signing keys with a `kid` are skipped.
    pub fn set_keys(&mut self, jwks: &str) -> Result<(), VerifyError> {
        let set: JwkSet =
            serde_json::from_str(jwks).map_err(|e| VerifyError::Keys(e.to_string()))?;
        self.keys = set
            .keys
            .iter()
            .filter_map(|jwk: &Jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, key))
            })
            .collect();
        Ok(())
    }

    /// Whether any key is loaded.
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Verifies `token` at `now` (Unix seconds): EdDSA by a key of the set, `iss`, `aud`, `exp`
    /// (with [`LEEWAY_SECONDS`]).
    pub fn verify(&self, token: &str, now: i64) -> Result<Identity, VerifyError> {
        if token.is_empty() {
            return Err(VerifyError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(VerifyError::Malformed);
        }
        let kid = header.kid.ok_or(VerifyError::Malformed)?;
        let key = self.keys.get(&kid).ok_or(VerifyError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` is checked below against `now`, not jsonwebtoken's system clock: the caller's time.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Identity>(token, key, &validation)
            .map_err(|e| VerifyError::Invalid(e.to_string()))?;
        let identity = data.claims;
        if now > identity.exp.saturating_add(LEEWAY_SECONDS as i64) {
            return Err(VerifyError::Invalid("expired".into()));
        }
        Ok(identity)
    }
}

#[cfg(test)]
mod tests;
