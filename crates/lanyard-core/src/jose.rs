//! Public-key signature checks for the key ring (SPEC §8), with `jsonwebtoken`'s RustCrypto provider
//! (feature `jose`: the server and the benchmarks enable it; the browser build never does, so the
//! SPA links no RSA or EC code). The rest of the crate selects the key and the algorithm; this only
//! does the arithmetic.

use crate::keys::{PublicKey, PublicKeyVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use lanyard_api::KeyAlg;

/// The server's verifier.
#[derive(Debug, Default, Clone, Copy)]
pub struct JoseVerifier;

fn algorithm(alg: KeyAlg) -> Option<Algorithm> {
    Some(match alg {
        KeyAlg::RS256 => Algorithm::RS256,
        KeyAlg::RS384 => Algorithm::RS384,
        KeyAlg::RS512 => Algorithm::RS512,
        KeyAlg::PS256 => Algorithm::PS256,
        KeyAlg::PS384 => Algorithm::PS384,
        KeyAlg::PS512 => Algorithm::PS512,
        KeyAlg::ES256 => Algorithm::ES256,
        KeyAlg::ES384 => Algorithm::ES384,
        KeyAlg::EdDSA => Algorithm::EdDSA,
        KeyAlg::HS256 | KeyAlg::HS384 | KeyAlg::HS512 => return None,
    })
}

fn decoding_key(key: &PublicKey) -> Option<DecodingKey> {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    match key {
        PublicKey::Rsa { n, e } => Some(DecodingKey::from_rsa_raw_components(n, e)),
        PublicKey::Ec { x, y, .. } => DecodingKey::from_ec_components(&b64(x), &b64(y)).ok(),
        PublicKey::Ed25519 { x } => DecodingKey::from_ed_components(&b64(x)).ok(),
    }
}

impl PublicKeyVerifier for JoseVerifier {
    fn verify(&self, alg: KeyAlg, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        // lanyard-core only asks for the key's own algorithm; refuse anything else regardless.
        if key.check_for(alg).is_err() {
            return false;
        }
        let (Some(algorithm), Some(decoding)) = (algorithm(alg), decoding_key(key)) else {
            return false;
        };
        jsonwebtoken::crypto::verify(
            &URL_SAFE_NO_PAD.encode(signature),
            message,
            &decoding,
            algorithm,
        )
        .unwrap_or(false)
    }
}
