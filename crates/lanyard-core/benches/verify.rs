//! verify + map of one realistic token (about 400 bytes, 5 groups, 3 extra claims) next to the raw
//! HMAC-SHA256 of the same signed bytes, in one run: the ratio is what the rules cost over the crypto.
//!
//! `cargo bench -p lanyard-core --bench verify`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use lanyard_core::settings::Settings;
use lanyard_core::verify_login;
use sha2::Sha256;

const KEY: &str = "3f6a1c0e9b2d4f8a7c5e1b3d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a";
const NOW: i64 = 1_800_000_000;
const SITE: &str = "https://bi.example.com";

fn token() -> String {
    let claims = serde_json::json!({
        "email": "kate.bush@example.com",
        "first_name": "Kate",
        "last_name": "Bush",
        "groups": ["analysts", "finance", "emea", "dashboards-editors", "all-staff"],
        "department": "Finance",
        "region": "EMEA",
        "employee_id": "E-104233",
        "iat": NOW - 5,
        "exp": NOW + 120,
        "jti": "0b7c1f3e-9a4d-4d2b-8e51-3c6f0a9d7e12",
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("signs")
}

fn bench(c: &mut Criterion) {
    let token = token();
    let signed = &token[..token.rfind('.').expect("three parts")];
    let settings = Settings {
        jwt_enabled: true,
        jwt_identity_provider_uri: "https://idp.example.com/sso".into(),
        jwt_shared_secret: KEY.into(),
        jwt_group_sync: true,
        ..Settings::default()
    };
    assert!(
        verify_login(&token, &settings, SITE, NOW).is_ok(),
        "the benchmark token must pass"
    );
    eprintln!("token: {} bytes", token.len());

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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
