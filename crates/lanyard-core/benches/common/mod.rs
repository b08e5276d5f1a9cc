//! The HS256 benchmark token, shared by `benches/verify.rs` (criterion) and `examples/verify_loop.rs`
//! (instruction counts): about 460 bytes, 5 groups, 3 extra claims.

use jsonwebtoken::{EncodingKey, Header};
use lanyard_core::settings::Settings;

pub const KEY: &str = "3f6a1c0e9b2d4f8a7c5e1b3d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a";
pub const NOW: i64 = 1_800_000_000;
pub const SITE: &str = "https://bi.example.com";

pub fn claims() -> serde_json::Value {
    serde_json::json!({
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
    })
}

/// The token, signed HS256 with [`KEY`].
pub fn token() -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims(),
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("signs")
}

/// JWT sign-in on with [`KEY`] and group sync, as a real site would have it.
pub fn settings() -> Settings {
    Settings {
        jwt_enabled: true,
        jwt_identity_provider_uri: "https://idp.example.com/sso".into(),
        jwt_shared_secret: KEY.into(),
        jwt_group_sync: true,
        ..Settings::default()
    }
}
