//! argon2id password hashes. Hashing runs on the blocking pool: it is deliberately slow. What a
//! password must be is lanyard-core's rule (`people::check_new_password`).
//!
//! Argon2's working memory (19 MiB at the default parameters) is allocated here rather than by
//! the `argon2` crate, with a capacity above glibc's largest mmap threshold (32 MiB on 64-bit), so
//! that it is always its own mapping and goes back to the system when the check ends. Allocated
//! by the crate, the first block is mapped and unmapped, glibc then raises its threshold to that
//! size, and every later one comes from the calling thread's heap arena and stays there: 19 MiB
//! more resident for each blocking thread that ever checked a password (96 MiB after four sign-ins
//! on an idle server). Only the capacity is reserved: pages never touched are never resident.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::service::Error;

/// Blocks (1 KiB each) to reserve at least: just over 32 MiB.
const ALWAYS_MAPPED_BLOCKS: usize = 33 * 1024;

/// Argon2 of `password` and `salt` with `argon`'s parameters into `out`.
fn raw_hash(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let needed = argon.params().block_count();
    let mut memory = Vec::with_capacity(needed.max(ALWAYS_MAPPED_BLOCKS));
    memory.resize(needed, Block::default());
    argon.hash_password_into_with_memory(password, salt, out, &mut memory)
}

/// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password` with `salt`.
fn phc_string(password: &[u8], salt: &SaltString) -> Result<String, String> {
    let argon = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    raw_hash(&argon, password, salt_bytes, &mut out).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (any Argon2 variant, version and
/// parameters it names), compared in constant time.
fn matches(stored: &str, password: &[u8]) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(version) => Version::try_from(version).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        raw_hash(
            &Argon2::new(algorithm, version, params),
            password,
            salt,
            &mut out,
        )
        .ok()?;
        Some(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
    };
    check().unwrap_or(false)
}

/// Hashes `password` with a fresh salt.
pub async fn hash(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        phc_string(password.as_bytes(), &salt)
            .map_err(|e| Error::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Checks `password` against `stored`; with no stored hash it checks against a dummy one, so an
/// unknown user costs the same time as a wrong password.
pub async fn verify(stored: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = matches(&stored, password.as_bytes());
        real && matches
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        phc_string(b"lanyard dummy password", &salt).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn hashes_interoperate_with_the_argon2_crates_own() {
        let salt = SaltString::generate(&mut OsRng);
        let ours = phc_string(b"correct horse", &salt).expect("hash");
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert_eq!(ours, theirs, "the same PHC string for the same salt");
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).expect("parses");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(matches(&theirs, b"correct horse"));
        assert!(!matches(&theirs, b"correct horsE"));
        assert!(!matches("not a hash", b"correct horse"));
    }

    #[test]
    fn other_parameters_in_a_stored_hash_are_honoured() {
        let salt = SaltString::generate(&mut OsRng);
        let argon = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(8, 1, 1, Some(16)).expect("params"),
        );
        let stored = argon.hash_password(b"pw", &salt).expect("hash").to_string();
        assert!(matches(&stored, b"pw"));
        assert!(!matches(&stored, b"pW"));
    }
}
