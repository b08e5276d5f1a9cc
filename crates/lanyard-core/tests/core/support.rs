//! Token forging for tests: any header and payload bytes, signed with any key, so malformed tokens
//! (duplicate keys, `crit`, wrong types) can carry a valid signature and reach the rule under test.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use lanyard_core::settings::Settings;
use sha2::Sha256;

pub const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
pub const SITE: &str = "https://bi.example.com";
pub const NOW: i64 = 1_800_000_000;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` with an HS256 signature over the raw JSON texts given.
pub fn sign_raw(header: &str, payload: &str, key: &[u8]) -> String {
    let signed = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
}

/// An HS256 token over `payload` with [`KEY`].
pub fn sign(payload: &serde_json::Value) -> String {
    sign_raw(r#"{"alg":"HS256","typ":"JWT"}"#, &payload.to_string(), KEY)
}

/// A token signed with a given algorithm through jsonwebtoken itself.
pub fn sign_with(alg: jsonwebtoken::Algorithm, payload: &serde_json::Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        payload,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .expect("signing works")
}

/// The claims of an ordinary login, issued 10 s before [`NOW`].
pub fn claims() -> serde_json::Value {
    serde_json::json!({
        "email": "Kate@Example.com",
        "first_name": "Kate",
        "last_name": "Bush",
        "groups": ["analysts"],
        "iat": NOW - 10,
    })
}

/// Settings with JWT enabled and [`KEY`] as the signing key.
pub fn settings() -> Settings {
    Settings {
        jwt_enabled: true,
        jwt_identity_provider_uri: "https://idp.example.com/sso".into(),
        jwt_shared_secret: String::from_utf8(KEY.to_vec()).expect("ascii"),
        ..Settings::default()
    }
}

/// `claims()` with some keys replaced (a `null` value removes the key).
pub fn claims_with(changes: serde_json::Value) -> serde_json::Value {
    let mut claims = claims();
    let map = claims.as_object_mut().expect("object");
    for (key, value) in changes.as_object().expect("object") {
        if value.is_null() {
            map.remove(key);
        } else {
            map.insert(key.clone(), value.clone());
        }
    }
    claims
}
