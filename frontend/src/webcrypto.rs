//! The browser's cryptography: random secrets for **Generate key**, and public-key signatures
//! checked with Web Crypto (`SubtleCrypto.verify`) for the token preview — lanyard-core selects the
//! key and hands over the bytes; the browser does the arithmetic, so the bundle carries no RSA or EC
//! code.

use js_sys::{Array, JSON, Object, Reflect};
use lanyard_api::KeyAlg;
use lanyard_core::PendingSignature;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// 64 hex characters from the browser's CSPRNG, through lanyard-core's `generate_secret`: a
/// signing key long enough for HS512 too.
pub fn random_secret() -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; 32];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(lanyard_core::settings::generate_secret(bytes))
}

fn object(pairs: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value)?;
    }
    Ok(object)
}

/// Web Crypto's import and verify parameters for `alg`.
fn parameters(alg: KeyAlg) -> Result<(Object, Object), JsValue> {
    let s = JsValue::from_str;
    let hash = |bits: u32| s(&format!("SHA-{bits}"));
    let rsa = |name: &str, bits: u32| -> Result<(Object, Object), JsValue> {
        let import = object(&[("name", s(name)), ("hash", hash(bits))])?;
        let verify = if name == "RSA-PSS" {
            object(&[("name", s(name)), ("saltLength", JsValue::from(bits / 8))])?
        } else {
            object(&[("name", s(name))])?
        };
        Ok((import, verify))
    };
    match alg {
        KeyAlg::RS256 => rsa("RSASSA-PKCS1-v1_5", 256),
        KeyAlg::RS384 => rsa("RSASSA-PKCS1-v1_5", 384),
        KeyAlg::RS512 => rsa("RSASSA-PKCS1-v1_5", 512),
        KeyAlg::PS256 => rsa("RSA-PSS", 256),
        KeyAlg::PS384 => rsa("RSA-PSS", 384),
        KeyAlg::PS512 => rsa("RSA-PSS", 512),
        KeyAlg::ES256 | KeyAlg::ES384 => {
            let (curve, bits) = if alg == KeyAlg::ES256 {
                ("P-256", 256)
            } else {
                ("P-384", 384)
            };
            Ok((
                object(&[("name", s("ECDSA")), ("namedCurve", s(curve))])?,
                object(&[("name", s("ECDSA")), ("hash", hash(bits))])?,
            ))
        }
        KeyAlg::EdDSA => Ok((
            object(&[("name", s("Ed25519"))])?,
            object(&[("name", s("Ed25519"))])?,
        )),
        KeyAlg::HS256 | KeyAlg::HS384 | KeyAlg::HS512 => Err(s("not a public-key algorithm")),
    }
}

/// Whether any of the pending keys verifies the signature. `Err` when the browser cannot tell (no
/// Web Crypto, or it refuses the key).
pub async fn verify(pending: &PendingSignature) -> Result<bool, String> {
    let text = |error: JsValue| {
        error
            .as_string()
            .or_else(|| JSON::stringify(&error).ok().and_then(|s| s.as_string()))
            .unwrap_or_else(|| "Web Crypto failed".to_owned())
    };
    let subtle = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(text)?
        .subtle();
    let (import, verify) = parameters(pending.alg).map_err(text)?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    for key in &pending.keys {
        let jwk: Object = JSON::parse(&key.to_jwk().to_string())
            .map_err(text)?
            .dyn_into()
            .map_err(text)?;
        let imported = subtle
            .import_key_with_object("jwk", &jwk, &import, false, &usages)
            .map_err(text)?;
        let crypto_key: web_sys::CryptoKey = JsFuture::from(imported)
            .await
            .map_err(text)?
            .dyn_into()
            .map_err(text)?;
        let checked = subtle
            .verify_with_object_and_u8_array_and_u8_array(
                &verify,
                &crypto_key,
                &pending.signature,
                &pending.message,
            )
            .map_err(text)?;
        if JsFuture::from(checked).await.map_err(text)?.as_bool() == Some(true) {
            return Ok(true);
        }
    }
    Ok(false)
}
