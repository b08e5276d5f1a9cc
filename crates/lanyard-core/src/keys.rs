//! Public keys of the key ring (SPEC §8): parsing a PEM SubjectPublicKeyInfo or one JWK, the checks a
//! key must pass for the algorithm it is bound to (RSA ≥ 2048 bits, the right curve), and its RFC 7638
//! thumbprint. Structure only — no signature math, so the browser links no RSA or EC code; the server
//! verifies signatures with `jsonwebtoken`, the browser with Web Crypto.

use base64::Engine;
#[cfg(feature = "pem")]
use base64::engine::general_purpose::STANDARD;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lanyard_api::KeyAlg;
use sha2::{Digest, Sha256};
#[cfg(feature = "pem")]
use spki::{SubjectPublicKeyInfoRef, der::asn1::ObjectIdentifier};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest key text accepted (a 16384-bit RSA PEM is about 3 KB).
pub const MAX_KEY_TEXT_BYTES: usize = 16 * 1024;

#[cfg(feature = "pem")]
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
#[cfg(feature = "pem")]
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
#[cfg(feature = "pem")]
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
#[cfg(feature = "pem")]
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
#[cfg(feature = "pem")]
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// An elliptic curve lanyard accepts for ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// P-256 (ES256).
    P256,
    /// P-384 (ES384).
    P384,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }

    /// Bytes of one coordinate.
    fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }
}

/// A public key, as its JWK members (big-endian bytes, leading zeros removed for RSA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: modulus and public exponent.
    Rsa {
        /// `n`.
        n: Vec<u8>,
        /// `e`.
        e: Vec<u8>,
    },
    /// ECDSA: curve and the point's coordinates.
    Ec {
        /// `crv`.
        curve: Curve,
        /// `x`.
        x: Vec<u8>,
        /// `y`.
        y: Vec<u8>,
    },
    /// Ed25519: the 32-byte public key.
    Ed25519 {
        /// `x`.
        x: Vec<u8>,
    },
}

/// Why a key text was refused; `code` is the settings field error's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyError {
    /// A stable code, e.g. `"invalid_public_key"`.
    pub code: &'static str,
    /// What is wrong, fit to show under the field.
    pub message: &'static str,
}

const fn refuse(code: &'static str, message: &'static str) -> KeyError {
    KeyError { code, message }
}

const NOT_A_KEY: KeyError = refuse(
    "invalid_public_key",
    "Paste a PEM public key (-----BEGIN PUBLIC KEY-----) or one JWK as JSON.",
);
const UNSUPPORTED: KeyError = refuse(
    "unsupported_key",
    "Only RSA, P-256, P-384 and Ed25519 public keys are supported.",
);

/// Whether `text` is PEM (a public key pasted as `-----BEGIN PUBLIC KEY-----`, or any other
/// label). A build without the `pem` feature (the SPA) cannot read it and leaves it to the server.
pub fn is_pem(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN")
}

/// What a build without the `pem` feature says of a PEM key.
#[cfg(not(feature = "pem"))]
pub const PEM_UNCHECKED: KeyError = refuse(
    "pem_unchecked",
    "This PEM key is checked by the server when it is added.",
);

impl PublicKey {
    /// Parses a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) or one JWK as JSON. A
    /// private key is refused (its PEM label or JWK `d` member) so it is never stored by mistake.
    ///
    /// ```
    /// use lanyard_core::keys::PublicKey;
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    /// let key = PublicKey::parse(jwk).unwrap();
    /// assert_eq!(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// assert!(PublicKey::parse("not a key").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.len() > MAX_KEY_TEXT_BYTES {
            return Err(refuse("key_too_large", "The key is larger than 16 KiB."));
        }
        let text = text.trim();
        if text.starts_with('{') {
            Self::from_jwk(text)
        } else if is_pem(text) {
            Self::from_pem(text)
        } else {
            Err(NOT_A_KEY)
        }
    }

    #[cfg(not(feature = "pem"))]
    fn from_pem(_text: &str) -> Result<Self, KeyError> {
        Err(PEM_UNCHECKED)
    }

    #[cfg(feature = "pem")]
    fn from_pem(text: &str) -> Result<Self, KeyError> {
        const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
        const END: &str = "-----END PUBLIC KEY-----";
        if text.contains("PRIVATE KEY") {
            return Err(refuse(
                "private_key",
                "This is a private key: paste only the public key, and keep the private one secret.",
            ));
        }
        let body = text
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix(END))
            .ok_or(NOT_A_KEY)?;
        let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(base64).map_err(|_| NOT_A_KEY)?;
        Self::from_spki_der(&der)
    }

    /// A DER SubjectPublicKeyInfo.
    #[cfg(feature = "pem")]
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoRef::try_from(der).map_err(|_| NOT_A_KEY)?;
        let key = spki.subject_public_key.as_bytes().ok_or(NOT_A_KEY)?;
        let oid = spki.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            let rsa = pkcs1::RsaPublicKey::try_from(key).map_err(|_| NOT_A_KEY)?;
            Ok(Self::Rsa {
                n: strip_zeros(rsa.modulus.as_bytes()),
                e: strip_zeros(rsa.public_exponent.as_bytes()),
            })
        } else if oid == EC_PUBLIC_KEY {
            let curve_oid: ObjectIdentifier =
                spki.algorithm.parameters_oid().map_err(|_| UNSUPPORTED)?;
            let curve = match curve_oid {
                oid if oid == P256 => Curve::P256,
                oid if oid == P384 => Curve::P384,
                _ => return Err(UNSUPPORTED),
            };
            let len = curve.coordinate_len();
            // Only the uncompressed form (0x04 ‖ x ‖ y), which is what every IdP publishes.
            match key.split_first() {
                Some((0x04, point)) if point.len() == 2 * len => Ok(Self::Ec {
                    curve,
                    x: point[..len].to_vec(),
                    y: point[len..].to_vec(),
                }),
                _ => Err(NOT_A_KEY),
            }
        } else if oid == ED25519 {
            if key.len() == 32 {
                Ok(Self::Ed25519 { x: key.to_vec() })
            } else {
                Err(NOT_A_KEY)
            }
        } else {
            Err(UNSUPPORTED)
        }
    }

    fn from_jwk(text: &str) -> Result<Self, KeyError> {
        let jwk: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|_| NOT_A_KEY)?;
        if jwk.contains_key("d") {
            return Err(refuse(
                "private_key",
                "This JWK holds a private key (\"d\"): paste only the public key.",
            ));
        }
        let member = |name: &str| -> Result<Vec<u8>, KeyError> {
            jwk.get(name)
                .and_then(serde_json::Value::as_str)
                .and_then(|value| URL_SAFE_NO_PAD.decode(value).ok())
                .ok_or(NOT_A_KEY)
        };
        let text_member = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
        match text_member("kty") {
            Some("RSA") => Ok(Self::Rsa {
                n: strip_zeros(&member("n")?),
                e: strip_zeros(&member("e")?),
            }),
            Some("EC") => {
                let curve = match text_member("crv") {
                    Some("P-256") => Curve::P256,
                    Some("P-384") => Curve::P384,
                    _ => return Err(UNSUPPORTED),
                };
                let (x, y) = (member("x")?, member("y")?);
                let len = curve.coordinate_len();
                if x.len() == len && y.len() == len {
                    Ok(Self::Ec { curve, x, y })
                } else {
                    Err(NOT_A_KEY)
                }
            }
            Some("OKP") if text_member("crv") == Some("Ed25519") => {
                let x = member("x")?;
                if x.len() == 32 {
                    Ok(Self::Ed25519 { x })
                } else {
                    Err(NOT_A_KEY)
                }
            }
            Some("OKP") => Err(UNSUPPORTED),
            Some(_) => Err(UNSUPPORTED),
            None => Err(NOT_A_KEY),
        }
    }

    /// Whether this key can verify `alg` (SPEC §8: RSA ≥ 2048 bits for RS/PS, P-256 for ES256,
    /// P-384 for ES384, Ed25519 for EdDSA; never an HMAC algorithm).
    ///
    /// ```
    /// use lanyard_api::KeyAlg;
    /// use lanyard_core::keys::PublicKey;
    /// let ed = PublicKey::Ed25519 { x: vec![7; 32] };
    /// assert!(ed.check_for(KeyAlg::EdDSA).is_ok());
    /// assert!(ed.check_for(KeyAlg::RS256).is_err());
    /// assert!(ed.check_for(KeyAlg::HS256).is_err());
    /// ```
    pub fn check_for(&self, alg: KeyAlg) -> Result<(), KeyError> {
        use KeyAlg as A;
        match (self, alg) {
            (
                Self::Rsa { n, .. },
                A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512,
            ) => {
                if bit_length(n) >= MIN_RSA_BITS {
                    Ok(())
                } else {
                    Err(refuse(
                        "weak_rsa_key",
                        "RSA keys must have at least 2048 bits.",
                    ))
                }
            }
            (
                Self::Ec {
                    curve: Curve::P256, ..
                },
                A::ES256,
            )
            | (
                Self::Ec {
                    curve: Curve::P384, ..
                },
                A::ES384,
            )
            | (Self::Ed25519 { .. }, A::EdDSA) => Ok(()),
            _ => Err(refuse(
                "key_alg_mismatch",
                "This key does not fit the algorithm: RS/PS need RSA, ES256 P-256, ES384 P-384, EdDSA Ed25519.",
            )),
        }
    }

    /// The algorithm a JWK without `alg` is bound to (SPEC §8): RSA → RS256, P-256 → ES256,
    /// P-384 → ES384, Ed25519 → EdDSA.
    pub fn default_alg(&self) -> KeyAlg {
        match self {
            Self::Rsa { .. } => KeyAlg::RS256,
            Self::Ec {
                curve: Curve::P256, ..
            } => KeyAlg::ES256,
            Self::Ec {
                curve: Curve::P384, ..
            } => KeyAlg::ES384,
            Self::Ed25519 { .. } => KeyAlg::EdDSA,
        }
    }

    /// The key's RFC 7638 thumbprint: SHA-256 over its required JWK members in lexical order,
    /// base64url without padding.
    pub fn thumbprint(&self) -> String {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let canonical = match self {
            Self::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n)),
            Self::Ec { curve, x, y } => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                curve.name(),
                b64(x),
                b64(y)
            ),
            Self::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

/// Bits of a big-endian unsigned integer without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(&first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

/// Whether `kid` may name a key: 1–128 printable ASCII characters (SPEC §8).
pub fn valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len()) && kid.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// The shortest HMAC secret for `alg`, in bytes (RFC 7518 §3.2: at least the hash's size; 32 for
/// HS256 as RFC 8725 asks); `None` for asymmetric algorithms.
pub fn min_secret_bytes(alg: KeyAlg) -> Option<usize> {
    match alg {
        KeyAlg::HS256 => Some(32),
        KeyAlg::HS384 => Some(48),
        KeyAlg::HS512 => Some(64),
        _ => None,
    }
}

/// What a ring key verifies with.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// An HMAC secret's bytes (empty when unknown here: the browser never receives secrets).
    Secret(Vec<u8>),
    /// A public key.
    Public(PublicKey),
}

/// One key of the ring, parsed once per settings version.
#[derive(Clone, PartialEq, Eq)]
pub struct RingKey {
    /// Its id.
    pub kid: String,
    /// The one algorithm it verifies.
    pub alg: KeyAlg,
    /// What it verifies with.
    pub material: KeyMaterial,
    /// Retired after this (Unix seconds).
    pub not_after: Option<i64>,
}

impl std::fmt::Debug for RingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl RingKey {
    /// Whether the key is retired at `now`.
    pub fn retired(&self, now: i64) -> bool {
        self.not_after.is_some_and(|not_after| now > not_after)
    }
}

/// The configured keys (`jwt_keys`), parsed. Entries that do not parse are left out (settings are
/// validated before they are stored, so that happens only to a hand-edited database).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    /// The keys, in the settings' order.
    pub keys: Vec<RingKey>,
}

impl KeyRing {
    /// Parses the settings' keys.
    pub fn from_keys(keys: &[lanyard_api::JwtKey]) -> Self {
        let keys = keys
            .iter()
            .filter_map(|key| {
                let material = if key.alg.is_hmac() {
                    KeyMaterial::Secret(key.secret.clone().unwrap_or_default().into_bytes())
                } else {
                    KeyMaterial::Public(PublicKey::parse(key.public_key.as_deref()?).ok()?)
                };
                Some(RingKey {
                    kid: key.kid.clone(),
                    alg: key.alg,
                    material,
                    not_after: key.not_after,
                })
            })
            .collect();
        Self { keys }
    }

    /// The key with this id.
    pub fn get(&self, kid: &str) -> Option<&RingKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }
}

/// Checks public-key signatures. lanyard-core decides which key and algorithm; the arithmetic is
/// the caller's (the server's `jsonwebtoken`, the browser's Web Crypto), so this crate links none.
pub trait PublicKeyVerifier: std::fmt::Debug + Sync {
    /// Whether `signature` (raw bytes, as JWS encodes it) is valid for `message` under `key` and `alg`.
    fn verify(&self, alg: KeyAlg, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// Largest JWK Set accepted, in bytes (SPEC §8).
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A key of a JWK Set that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Its `kid`, when it has one.
    pub kid: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// A JWK Set read: the usable keys (bound to their `alg`, or the kind's default) and the skipped ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwkSet {
    /// Usable signing keys. A key without `kid` is named by its thumbprint.
    pub keys: Vec<RingKey>,
    /// Keys left out: `use` other than `sig`, an unsupported `kty`/`crv`/`alg`, a malformed key, a
    /// repeated `kid`.
    pub skipped: Vec<SkippedKey>,
}

/// Reads a JWK Set (`{"keys": [...]}`), refusing a set over 256 KiB or one that is not a JWK Set;
/// keys that cannot be used are skipped and listed, never fatal.
///
/// ```
/// use lanyard_core::keys::parse_jwk_set;
/// let set = parse_jwk_set(r#"{"keys":[
///   {"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
///   {"kty":"RSA","use":"enc","kid":"b","n":"AQAB","e":"AQAB"}]}"#).unwrap();
/// assert_eq!(set.keys.len(), 1);
/// assert_eq!(set.skipped[0].kid.as_deref(), Some("b"));
/// ```
pub fn parse_jwk_set(text: &str) -> Result<JwkSet, KeyError> {
    if text.len() > MAX_JWKS_BYTES {
        return Err(refuse(
            "jwks_too_large",
            "The JWK Set is larger than 256 KiB.",
        ));
    }
    let not_a_set = refuse(
        "jwks_invalid",
        "The document is not a JWK Set ({\"keys\": [...]}).",
    );
    let document: serde_json::Value = serde_json::from_str(text).map_err(|_| not_a_set)?;
    let entries = document
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or(not_a_set)?;
    let mut set = JwkSet::default();
    for entry in entries {
        let kid = entry
            .get("kid")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let mut skip = |reason: String| {
            set.skipped.push(SkippedKey {
                kid: kid.clone(),
                reason,
            });
        };
        if let Some(usage) = entry.get("use").and_then(serde_json::Value::as_str)
            && usage != "sig"
        {
            skip(format!("\"use\" is \"{usage}\", not \"sig\""));
            continue;
        }
        let key = match PublicKey::parse(&entry.to_string()) {
            Ok(key) => key,
            Err(error) => {
                skip(error.message.to_owned());
                continue;
            }
        };
        let alg = match entry.get("alg").and_then(serde_json::Value::as_str) {
            None => key.default_alg(),
            Some(name) => match KeyAlg::parse(name) {
                Some(alg) if !alg.is_hmac() => alg,
                _ => {
                    skip(format!("\"alg\" {name} is not supported"));
                    continue;
                }
            },
        };
        if let Err(error) = key.check_for(alg) {
            skip(error.message.to_owned());
            continue;
        }
        let kid = kid.clone().unwrap_or_else(|| key.thumbprint());
        if !valid_kid(&kid) || set.keys.iter().any(|k| k.kid == kid) {
            skip("the kid is invalid or repeated".to_owned());
            continue;
        }
        set.keys.push(RingKey {
            kid,
            alg,
            material: KeyMaterial::Public(key),
            not_after: None,
        });
    }
    Ok(set)
}

impl PublicKey {
    /// The key as a public JWK (what Web Crypto imports): `kty` and its members.
    ///
    /// ```
    /// use lanyard_core::keys::PublicKey;
    /// let key = PublicKey::Ed25519 { x: vec![0; 32] };
    /// assert_eq!(key.to_jwk()["kty"], "OKP");
    /// ```
    pub fn to_jwk(&self) -> serde_json::Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match self {
            Self::Rsa { n, e } => serde_json::json!({"kty": "RSA", "n": b64(n), "e": b64(e)}),
            Self::Ec { curve, x, y } => {
                serde_json::json!({"kty": "EC", "crv": curve.name(), "x": b64(x), "y": b64(y)})
            }
            Self::Ed25519 { x } => serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)}),
        }
    }
}
