//! The key ring's wire types (SPEC §8).

use serde::{Deserialize, Serialize};

/// A signature algorithm a key is bound to. Wire strings are the JOSE names (`"RS256"`, `"EdDSA"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyAlg {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

impl KeyAlg {
    /// Every algorithm.
    pub const ALL: &'static [KeyAlg] = &[
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The JOSE name, e.g. `"RS256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm with this JOSE name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|alg| alg.as_str() == name)
    }

    /// An HMAC algorithm (a shared secret), rather than a public key.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }
}

/// One key of the ring as written (`PUT /api/setting/jwt`'s `jwt_keys`) and stored. The secret is
/// write-only: reads show [`JwtKeyView`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct JwtKey {
    /// The key id tokens name in their header (1–128 printable ASCII, unique in the ring).
    pub kid: String,
    /// The one algorithm this key verifies.
    pub alg: KeyAlg,
    /// For HS256/384/512: the secret (≥ 32/48/64 bytes). Absent, or the masked hint sent back
    /// unchanged, keeps the stored secret of the same `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// For RS/PS/ES/EdDSA: a PEM SubjectPublicKeyInfo, or one JWK — as JSON text or as the
    /// object itself (kept as its JSON text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_jwk_object"
    )]
    pub public_key: Option<String>,
    /// Unix seconds after which the key is retired: tokens it verifies are refused (`key_retired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A public key given as text (PEM, or a JWK's JSON), or a JWK pasted as an object: the object is
/// kept as its JSON text, so both reach the same validation and the same field errors.
fn text_or_jwk_object<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrObject {
        Text(String),
        Object(serde_json::Map<String, serde_json::Value>),
    }
    Ok(
        match Option::<TextOrObject>::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom("expected a PEM public key or a JWK (as text or an object)")
        })? {
            None => None,
            Some(TextOrObject::Text(text)) => Some(text),
            Some(TextOrObject::Object(jwk)) => Some(serde_json::Value::Object(jwk).to_string()),
        },
    )
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Whether a key verifies tokens now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// It verifies tokens.
    Active,
    /// Its `not_after` has passed: tokens it verifies are refused.
    Retired,
}

/// One key of the ring as `GET /api/setting/jwt` shows it: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwtKeyView {
    /// The key id.
    pub kid: String,
    /// Its algorithm.
    pub alg: KeyAlg,
    /// Its name for people.
    pub label: Option<String>,
    /// When it retires (Unix seconds).
    pub not_after: Option<i64>,
    /// Active or retired.
    pub status: KeyStatus,
    /// HMAC keys: whether a secret is stored.
    pub secret_set: bool,
    /// HMAC keys: `"…"` and the secret's last two characters.
    pub secret_hint: String,
    /// Public keys: the key as it was given (PEM or JWK).
    pub public_key: Option<String>,
    /// Public keys: the same key as one JWK (JSON text), whichever form it was given in: what the
    /// SPA reads, so the browser needs no PEM/DER parser.
    pub public_jwk: Option<String>,
    /// Public keys: the RFC 7638 thumbprint.
    pub thumbprint: Option<String>,
}

/// A key read from the JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwksKey {
    /// Its `kid` (its thumbprint when the set gave none).
    pub kid: String,
    /// The algorithm it is bound to (its `alg`, or its kind's default).
    pub alg: KeyAlg,
    /// RFC 7638 thumbprint.
    pub thumbprint: String,
    /// The public key as a JWK (JSON text): public, so the token preview can check signatures with
    /// it in the browser.
    pub public_key: String,
}

/// A key of the JWK Set that lanyard does not use, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwksSkippedKey {
    /// Its `kid`, when it has one.
    pub kid: Option<String>,
    /// Why it is not used.
    pub reason: String,
}

/// The JWK Set as this server last fetched it (each replica fetches for itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwksStatus {
    /// `jwt_jwks_uri`.
    pub uri: String,
    /// When the keys in use were fetched (Unix seconds); `None` before the first success.
    pub fetched_at: Option<i64>,
    /// The keys in use.
    pub keys: Vec<JwksKey>,
    /// Keys left out.
    pub skipped: Vec<JwksSkippedKey>,
    /// The last fetch's error, when it failed (the previous keys stay in use for up to 24 h).
    pub last_error: Option<String>,
}
