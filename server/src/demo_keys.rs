//! The demo IdP's own key pairs (`--demo-idp` only): Ed25519 and P-256 made at start, RSA 2048 made
//! in the background (it takes a moment), so JWKS mode can be tried in one command. They live in
//! memory only: a restart makes new ones, and the JWKS cache picks them up by `kid` refetch.

use std::sync::{Arc, OnceLock};

use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey};
use lanyard_core::keys::{Curve, PublicKey};
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::error::AppError;

/// One signing key: the private half for `jsonwebtoken` and the public half as a JWK.
pub struct DemoKey {
    /// The `kid` tokens carry.
    pub kid: &'static str,
    /// Its algorithm.
    pub alg: Algorithm,
    /// Signs.
    pub encoding: EncodingKey,
    /// The public JWK (with `kid`, `alg`, `use`).
    pub jwk: Value,
}

/// The demo IdP's keys.
pub struct DemoKeys {
    ed25519: DemoKey,
    p256: DemoKey,
    rsa: Arc<OnceLock<DemoKey>>,
}

fn seed() -> Result<[u8; 32], AppError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    Ok(seed)
}

/// `public` as the JWK the set publishes: lanyard-core's JWK form, with `kid`, `alg` and `use`.
fn published(public: PublicKey, kid: &str, alg: &str) -> Value {
    let mut jwk = public.to_jwk();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg);
    jwk["use"] = json!("sig");
    jwk
}

fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::internal(error.to_string())
}

impl DemoKeys {
    /// Makes the Ed25519 and P-256 keys now and starts making the RSA key.
    pub fn generate() -> Result<Self, AppError> {
        let ed = ed25519_dalek::SigningKey::from_bytes(&seed()?);
        let ed25519 = DemoKey {
            kid: "demo-eddsa",
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(ed.to_pkcs8_der().map_err(internal)?.as_bytes()),
            jwk: published(
                PublicKey::Ed25519 {
                    x: ed.verifying_key().to_bytes().to_vec(),
                },
                "demo-eddsa",
                "EdDSA",
            ),
        };
        let ec = p256::SecretKey::from_slice(&seed()?).map_err(internal)?;
        let point = ec.public_key().to_sec1_bytes();
        let (x, y) = point
            .get(1..)
            .map(|xy| xy.split_at(32))
            .ok_or_else(|| internal("point"))?;
        let p256 = DemoKey {
            kid: "demo-es256",
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(
                p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&ec)
                    .map_err(internal)?
                    .as_bytes(),
            ),
            jwk: published(
                PublicKey::Ec {
                    curve: Curve::P256,
                    x: x.to_vec(),
                    y: y.to_vec(),
                },
                "demo-es256",
                "ES256",
            ),
        };
        let rsa = Arc::new(OnceLock::new());
        let slot = Arc::clone(&rsa);
        let rsa_seed = seed()?;
        std::thread::spawn(move || match rsa_key(rsa_seed) {
            Ok(key) => {
                let _ = slot.set(key);
            }
            Err(error) => tracing::error!(%error, "the demo IdP could not make its RSA key"),
        });
        Ok(Self { ed25519, p256, rsa })
    }

    /// The key for `alg`, when made.
    pub fn key(&self, alg: Algorithm) -> Option<&DemoKey> {
        match alg {
            Algorithm::EdDSA => Some(&self.ed25519),
            Algorithm::ES256 => Some(&self.p256),
            Algorithm::RS256 => self.rsa.get(),
            _ => None,
        }
    }

    /// The JWK Set of the keys made so far.
    pub fn jwks(&self) -> Value {
        let mut keys = vec![self.ed25519.jwk.clone(), self.p256.jwk.clone()];
        if let Some(rsa) = self.rsa.get() {
            keys.push(rsa.jwk.clone());
        }
        json!({ "keys": keys })
    }
}

fn rsa_key(seed: [u8; 32]) -> Result<DemoKey, AppError> {
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(internal)?;
    let der = key.to_pkcs1_der().map_err(internal)?;
    Ok(DemoKey {
        kid: "demo-rs256",
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: published(
            PublicKey::Rsa {
                n: key.n().to_bytes_be(),
                e: key.e().to_bytes_be(),
            },
            "demo-rs256",
            "RS256",
        ),
    })
}
