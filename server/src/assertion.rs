//! `X-Lanyard-Assertion` (SPEC §13): a 60-second JWT signed with lanyard's own Ed25519 key, so an
//! upstream can verify who the user is instead of trusting a header. The newest unretired key signs;
//! every published key is in `GET /.well-known/jwks.json`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::json;

use crate::service::Error;
use crate::store::assertion_keys::KeyRow;
use lanyard_core::keys::PublicKey;

/// How long an assertion is valid, in seconds.
pub const LIFETIME: i64 = 60;
/// How long a signed assertion is handed out again for the same session, host and identity: half
/// its lifetime, so an upstream always receives one valid for at least 30 s more.
const REUSE: i64 = LIFETIME / 2;
/// Assertions kept for reuse at most; the cache starts over when full.
const CACHE_CAPACITY: usize = 10_000;

/// The claims of an assertion.
#[derive(Debug, Serialize)]
pub struct AssertionClaims<'a> {
    /// `site_url`.
    pub iss: &'a str,
    /// The host the proxy was asked for.
    pub aud: &'a str,
    /// The user's id.
    pub sub: String,
    /// The user's email.
    pub email: &'a str,
    /// The user's group names.
    pub groups: Vec<&'a str>,
    /// Unix seconds.
    pub iat: i64,
    /// `iat` + [`LIFETIME`].
    pub exp: i64,
}

/// A new key: a random seed, its public key and RFC 7638 thumbprint as the `kid`.
pub fn generate(now: i64) -> Result<KeyRow, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let x = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    Ok(KeyRow {
        kid: PublicKey::Ed25519 { x: x.to_vec() }.thumbprint(),
        seed: hex::encode(seed),
        public_key: URL_SAFE_NO_PAD.encode(x),
        created_at: now,
        retired_at: None,
    })
}

/// The signing key and the published set, swapped whole when the stored keys change.
struct KeyRing {
    signing: Option<(String, EncodingKey)>,
    jwks: serde_json::Value,
}

/// A signed assertion kept for reuse, with what it says.
struct Signed {
    kid: String,
    aud: String,
    iss: String,
    sub: String,
    email: String,
    groups: Vec<String>,
    iat: i64,
    /// Shared with every answer that carries it (a reference count, not a copy).
    token: Bytes,
}

impl Signed {
    /// Whether this assertion says what `claims` would, with key `kid`, and is young enough.
    fn reusable_for(&self, kid: &str, claims: &AssertionClaims<'_>) -> bool {
        self.kid == kid
            && self.aud == claims.aud
            && self.iss == claims.iss
            && self.sub == claims.sub
            && self.email == claims.email
            && self
                .groups
                .iter()
                .map(String::as_str)
                .eq(claims.groups.iter().copied())
            && (0..REUSE).contains(&(claims.iat - self.iat))
    }
}

/// The assertion keys as this process uses them, and recently signed assertions: signing costs
/// far more than the rest of a forward-auth check, and a proxy asks about every request.
pub struct Assertions {
    ring: ArcSwap<KeyRing>,
    /// By session hash.
    recent: Mutex<HashMap<String, Signed>>,
}

impl Default for Assertions {
    fn default() -> Self {
        Self {
            ring: ArcSwap::from_pointee(KeyRing {
                signing: None,
                jwks: json!({"keys": []}),
            }),
            recent: Mutex::new(HashMap::new()),
        }
    }
}

impl Assertions {
    /// Uses `published` (newest first): the first unretired key signs, all are published.
    pub fn load(&self, published: &[KeyRow]) {
        let signing = published
            .iter()
            .find(|key| key.retired_at.is_none())
            .and_then(|key| {
                let seed: [u8; 32] = hex::decode(&key.seed).ok()?.try_into().ok()?;
                let der = SigningKey::from_bytes(&seed).to_pkcs8_der().ok()?;
                Some((key.kid.clone(), EncodingKey::from_ed_der(der.as_bytes())))
            });
        let keys: Vec<_> = published
            .iter()
            .map(|key| {
                json!({"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid,
                       "alg": "EdDSA", "use": "sig"})
            })
            .collect();
        self.ring.store(Arc::new(KeyRing {
            signing,
            jwks: json!({ "keys": keys }),
        }));
    }

    /// The kid of the key that signs now.
    pub fn signing_kid(&self) -> Option<String> {
        self.ring
            .load()
            .signing
            .as_ref()
            .map(|(kid, _)| kid.clone())
    }

    /// The published JWK Set.
    pub fn jwks(&self) -> serde_json::Value {
        self.ring.load().jwks.clone()
    }

    /// The assertion for `claims` on the session `session_hash`: one signed for the same session,
    /// audience, issuer, identity and key within the last [`REUSE`] seconds, or a fresh one.
    pub fn for_session(&self, session_hash: &str, claims: &AssertionClaims<'_>) -> Option<Bytes> {
        let ring = self.ring.load();
        let kid = ring.signing.as_ref().map(|(kid, _)| kid.as_str())?;
        {
            let recent = self
                .recent
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(signed) = recent.get(session_hash)
                && signed.reusable_for(kid, claims)
            {
                return Some(signed.token.clone());
            }
        }
        let token = Bytes::from(self.sign(claims)?);
        let signed = Signed {
            kid: kid.to_owned(),
            aud: claims.aud.to_owned(),
            iss: claims.iss.to_owned(),
            sub: claims.sub.clone(),
            email: claims.email.to_owned(),
            groups: claims.groups.iter().map(|g| (*g).to_owned()).collect(),
            iat: claims.iat,
            token: token.clone(),
        };
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if recent.len() >= CACHE_CAPACITY {
            recent.clear();
        }
        recent.insert(session_hash.to_owned(), signed);
        Some(token)
    }

    /// Signs `claims`; `None` when there is no key yet.
    pub fn sign(&self, claims: &AssertionClaims<'_>) -> Option<String> {
        let ring = self.ring.load();
        let (kid, key) = ring.signing.as_ref()?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        match jsonwebtoken::encode(&header, claims, key) {
            Ok(token) => Some(token),
            Err(error) => {
                tracing::error!(%error, "could not sign an assertion");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_verifies_against_the_published_key_and_names_its_kid() {
        let key = generate(100).expect("key");
        let assertions = Assertions::default();
        assertions.load(std::slice::from_ref(&key));
        let claims = AssertionClaims {
            iss: "https://sso.example.com/",
            aud: "app.example.com",
            sub: "7".into(),
            email: "kate@example.com",
            groups: vec!["All Users"],
            iat: 100,
            exp: 160,
        };
        let token = assertions.sign(&claims).expect("signed");
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(assertions.jwks()).expect("a JWK Set");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let jwk = jwks.find(&key.kid).expect("published");
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["app.example.com"]);
        validation.validate_exp = false;
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_jwk(jwk).expect("key"),
            &validation,
        )
        .expect("verifies");
        assert_eq!(decoded.claims["email"], "kate@example.com");
        // The kid is the RFC 7638 thumbprint: 43 base64url characters of a SHA-256.
        assert_eq!(key.kid.len(), 43);
        assert!(
            !format!("{key:?}").contains(&key.seed),
            "Debug hides the seed"
        );
    }

    #[test]
    fn an_assertion_is_reused_only_for_the_same_identity_key_and_half_its_life() {
        let assertions = Assertions::default();
        assertions.load(&[generate(0).expect("key")]);
        let claims = |iat, groups: Vec<&'static str>| AssertionClaims {
            iss: "https://sso.example.com/",
            aud: "app.example.com",
            sub: "7".into(),
            email: "kate@example.com",
            groups,
            iat,
            exp: iat + LIFETIME,
        };
        let first = assertions.for_session("s", &claims(100, vec!["All Users"]));
        assert!(first.is_some());
        assert_eq!(
            assertions.for_session("s", &claims(129, vec!["All Users"])),
            first
        );
        assert_ne!(
            assertions.for_session("s", &claims(129, vec!["All Users", "Finance"])),
            first,
            "new groups: a new assertion at once"
        );
        assert_ne!(
            assertions.for_session("other", &claims(101, vec!["All Users"])),
            first
        );
        let later = assertions.for_session("s", &claims(200, vec!["All Users"]));
        assert_ne!(later, first, "older than half its life: signed again");
        assertions.load(&[generate(0).expect("key")]);
        assert_ne!(
            assertions.for_session("s", &claims(201, vec!["All Users"])),
            later,
            "a rotated key signs at once"
        );
    }

    #[test]
    fn a_retired_key_is_published_but_does_not_sign() {
        let old = KeyRow {
            retired_at: Some(50),
            ..generate(10).expect("key")
        };
        let new = generate(50).expect("key");
        let assertions = Assertions::default();
        assertions.load(&[new.clone(), old.clone()]);
        assert_eq!(assertions.signing_kid(), Some(new.kid));
        assert_eq!(assertions.jwks()["keys"].as_array().map(Vec::len), Some(2));
        assertions.load(&[old]);
        assert_eq!(assertions.signing_kid(), None);
    }
}
