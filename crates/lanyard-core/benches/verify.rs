//! verify + map of one realistic token (about 400 bytes, 5 groups, 3 extra claims) next to the raw
//! signature check of the same signed bytes, in one run: the ratio is what the rules cost over the
//! crypto. HS256 against the raw HMAC-SHA256; RS256 (2048), ES256 and EdDSA (key ring keys, checked by
//! `jose::JoseVerifier`) against `jsonwebtoken::crypto::verify` with the same key.
//!
//! `cargo bench -p lanyard-core --features jose --bench verify`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use lanyard_api::{JwtKey, KeyAlg};
use lanyard_core::jose::JoseVerifier;
use lanyard_core::keys::KeyRing;
use lanyard_core::settings::Settings;
use lanyard_core::{Checks, verify_login, verify_login_with};
use sha2::Sha256;

mod common;
use common::{KEY, NOW, SITE, claims, settings, token};

/// The public-key cases: algorithm, key ring entry, and the private key that signs.
fn asymmetric() -> Vec<(&'static str, Algorithm, KeyAlg, &'static str, EncodingKey)> {
    let rsa = include_str!("keys/r2048.key").as_bytes();
    let p256 = include_str!("keys/p256.key").as_bytes();
    let ed = include_str!("keys/ed.key").as_bytes();
    vec![
        (
            "rs256",
            Algorithm::RS256,
            KeyAlg::RS256,
            include_str!("keys/r2048.pem"),
            EncodingKey::from_rsa_pem(rsa).expect("rsa"),
        ),
        (
            "es256",
            Algorithm::ES256,
            KeyAlg::ES256,
            include_str!("keys/p256.pem"),
            EncodingKey::from_ec_pem(p256).expect("p256"),
        ),
        (
            "eddsa",
            Algorithm::EdDSA,
            KeyAlg::EdDSA,
            include_str!("keys/ed.pem"),
            EncodingKey::from_ed_pem(ed).expect("ed25519"),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let token = token();
    let signed = &token[..token.rfind('.').expect("three parts")];
    let settings = settings();
    assert!(
        verify_login(&token, &settings, SITE, NOW).is_ok(),
        "the benchmark token must pass"
    );
    eprintln!("token: {} bytes", token.len());
    // `scripts/bench-peers.sh` times PyJWT and node on this very token.
    if let Ok(path) = std::env::var("LANYARD_BENCH_TOKEN_OUT") {
        std::fs::write(&path, format!("{token}\n{KEY}\n{NOW}\n")).expect("writes the token");
    }

    let mut group = c.benchmark_group("token");
    group.bench_function("hmac_sha256_raw", |b| {
        b.iter(|| {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(black_box(KEY.as_bytes())).expect("any length");
            mac.update(black_box(signed.as_bytes()));
            mac.finalize().into_bytes()
        })
    });
    group.bench_function("verify_and_map", |b| {
        b.iter(|| verify_login(black_box(&token), black_box(&settings), SITE, NOW))
    });

    for (name, alg, key_alg, public_pem, private) in asymmetric() {
        let mut header = Header::new(alg);
        header.kid = Some(format!("{name}-key"));
        let token = jsonwebtoken::encode(&header, &claims(), &private).expect("signs");
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let ring = KeyRing::from_keys(&[JwtKey {
            kid: format!("{name}-key"),
            alg: key_alg,
            secret: None,
            public_key: Some(public_pem.to_owned()),
            not_after: None,
            label: None,
        }]);
        assert!(
            verify_login_with(&token, &checks(&settings, &ring)).is_ok(),
            "the {name} token must pass"
        );
        let decoding = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(public_pem.as_bytes()),
            Algorithm::ES256 => DecodingKey::from_ec_pem(public_pem.as_bytes()),
            _ => DecodingKey::from_ed_pem(public_pem.as_bytes()),
        }
        .expect("public key");
        group.bench_function(format!("{name}_raw"), |b| {
            b.iter(|| {
                jsonwebtoken::crypto::verify(
                    black_box(signature),
                    black_box(signed.as_bytes()),
                    &decoding,
                    alg,
                )
            })
        });
        group.bench_function(format!("{name}_verify_and_map"), |b| {
            b.iter(|| verify_login_with(black_box(&token), black_box(&checks(&settings, &ring))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

/// The checks the server makes: the ring, and public keys checked by jsonwebtoken.
fn checks<'a>(settings: &'a Settings, ring: &'a KeyRing) -> Checks<'a> {
    Checks {
        settings,
        keys: ring,
        verifier: Some(&JoseVerifier),
        site_url: SITE,
        now: NOW,
    }
}
