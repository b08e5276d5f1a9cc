//! Runs the HS256 benchmark's two cases a fixed number of times, for instruction counts that do not
//! move with the machine's load (criterion's wall clock does, by tens of percent on shared machines):
//!
//! `valgrind --tool=callgrind target/release/examples/verify_loop hmac 20000` (then `verify 20000`;
//! `scripts/bench-core-instructions.sh` runs both and prints instructions per token and the ratio).

use std::hint::black_box;

use hmac::{Hmac, Mac};
use jsonwebtoken::{EncodingKey, Header};
use lanyard_core::settings::Settings;
use lanyard_core::verify_login;
use sha2::Sha256;

const KEY: &str = "3f6a1c0e9b2d4f8a7c5e1b3d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a";
const NOW: i64 = 1_800_000_000;
const SITE: &str = "https://bi.example.com";

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_default();
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    // The same token as `benches/verify.rs`.
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
    let token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("signs");
    let signed = &token[..token.rfind('.').expect("three parts")];
    let settings = Settings {
        jwt_enabled: true,
        jwt_identity_provider_uri: "https://idp.example.com/sso".into(),
        jwt_shared_secret: KEY.into(),
        jwt_group_sync: true,
        ..Settings::default()
    };
    match case.as_str() {
        "hmac" => {
            for _ in 0..count {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(black_box(KEY.as_bytes())).expect("any length");
                mac.update(black_box(signed.as_bytes()));
                black_box(mac.finalize().into_bytes());
            }
        }
        "verify" => {
            for _ in 0..count {
                assert!(verify_login(black_box(&token), black_box(&settings), SITE, NOW).is_ok());
            }
        }
        other => {
            eprintln!("usage: verify_loop hmac|verify [count] (got {other:?})");
            std::process::exit(2);
        }
    }
}
