//! HS256, HS384 and HS512 as a jsonwebtoken [`JwtVerifier`], and nothing else.
//!
//! jsonwebtoken's `rust_crypto` provider picks the algorithm at run time, so every algorithm it knows
//! (RSA, ECDSA, EdDSA and their big-number code) is linked wherever it is: about a third of the admin
//! SPA's download, for algorithms lanyard refuses anyway. This verifier covers exactly what lanyard
//! accepts, on the same RustCrypto `hmac` the provider uses, with its constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::Algorithm;
use jsonwebtoken::crypto::JwtVerifier;
use jsonwebtoken::signature::{self, Verifier};
use sha2::{Sha256, Sha384, Sha512};

/// An HMAC keyed with the signing key, for one algorithm.
pub(crate) enum HmacVerifier {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
}

impl HmacVerifier {
    /// A verifier for `alg` with `secret`; `None` for any algorithm outside the HMAC family.
    pub(crate) fn new(alg: Algorithm, secret: &[u8]) -> Option<Self> {
        // HMAC takes a key of any length (a long one is hashed first), so these cannot fail.
        match alg {
            Algorithm::HS256 => Hmac::new_from_slice(secret).ok().map(Self::Hs256),
            Algorithm::HS384 => Hmac::new_from_slice(secret).ok().map(Self::Hs384),
            Algorithm::HS512 => Hmac::new_from_slice(secret).ok().map(Self::Hs512),
            _ => None,
        }
    }

    /// Whether `signature` (base64url without padding, as it appears in a token) is this key's HMAC
    /// of `message`. The decoding is strict, as jsonwebtoken's is: a reshaped signature fails.
    pub(crate) fn matches(&self, message: &[u8], signature: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(signature)
            .is_ok_and(|bytes| self.verify(message, &bytes).is_ok())
    }
}

impl Verifier<Vec<u8>> for HmacVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        fn check<M: Mac + Clone>(
            mac: &M,
            message: &[u8],
            signature: &[u8],
        ) -> Result<(), signature::Error> {
            let mut mac = mac.clone();
            mac.update(message);
            mac.verify_slice(signature)
                .map_err(signature::Error::from_source)
        }
        match self {
            Self::Hs256(mac) => check(mac, message, signature),
            Self::Hs384(mac) => check(mac, message, signature),
            Self::Hs512(mac) => check(mac, message, signature),
        }
    }
}

impl JwtVerifier for HmacVerifier {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256(_) => Algorithm::HS256,
            Self::Hs384(_) => Algorithm::HS384,
            Self::Hs512(_) => Algorithm::HS512,
        }
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, crypto::sign};

    use super::*;

    /// Agrees with jsonwebtoken's own provider on every HMAC algorithm, and refuses a wrong key, a
    /// changed message, a reshaped signature and a non-HMAC algorithm.
    #[test]
    fn agrees_with_jsonwebtoken() {
        let key = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let message = b"eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jIn0";
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let signature =
                sign(message, &EncodingKey::from_secret(key), alg).expect("jsonwebtoken signs");
            let verifier = HmacVerifier::new(alg, key).expect("HMAC");
            assert_eq!(verifier.algorithm(), alg);
            assert!(verifier.matches(message, &signature), "{alg:?}");
            assert!(!verifier.matches(b"eyJ.other", &signature), "{alg:?}");
            let other = HmacVerifier::new(alg, b"another key").expect("HMAC");
            assert!(!other.matches(message, &signature), "{alg:?}");
            assert!(
                !verifier.matches(message, &format!("{signature}=")),
                "{alg:?}"
            );
            assert!(!verifier.matches(message, ""), "{alg:?}");
        }
        assert!(HmacVerifier::new(Algorithm::RS256, key).is_none());
        assert!(HmacVerifier::new(Algorithm::EdDSA, key).is_none());
    }
}
