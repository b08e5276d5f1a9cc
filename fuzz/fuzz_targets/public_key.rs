//! PEM and JWK public keys (SPEC §8): any text is answered without a panic, and an accepted key's
//! thumbprint and algorithm fit are computable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = lanyard_core::keys::PublicKey::parse(text)
    {
        let _ = key.thumbprint();
        let _ = key.check_for(key.default_alg());
    }
});
