use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_800_000_000;

fn key(seed: u8) -> (EncodingKey, Value) {
    let signing = SigningKey::from_bytes(&[seed; 32]);
    let der = signing.to_pkcs8_der().expect("der");
    let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": format!("k{seed}"),
                     "alg": "EdDSA", "use": "sig"});
    (EncodingKey::from_ed_der(der.as_bytes()), jwk)
}

fn sign(seed: u8, claims: Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(format!("k{seed}"));
    jsonwebtoken::encode(&header, &claims, &key(seed).0).expect("sign")
}

fn claims(extra: Value) -> Value {
    let mut claims = json!({
        "iss": "https://sso.example.com", "aud": "app.example.com", "sub": "42",
        "email": "kate@example.com", "groups": ["All Users", "Finance"],
        "iat": NOW, "exp": NOW + 60,
    });
    for (k, v) in extra.as_object().expect("object") {
        claims[k] = v.clone();
    }
    claims
}

fn verifier() -> Verifier {
    let mut verifier = Verifier::new("https://sso.example.com/", "app.example.com");
    let jwks = json!({"keys": [key(1).1]}).to_string();
    verifier.set_keys(&jwks).expect("keys");
    verifier
}

#[test]
fn a_good_assertion_yields_the_identity() {
    let identity = verifier()
        .verify(&sign(1, claims(json!({}))), NOW + 10)
        .expect("valid");
    assert_eq!(identity.sub, "42");
    assert_eq!(identity.email, "kate@example.com");
    assert!(identity.in_group("Finance") && !identity.in_group("Admins"));
}

#[test]
fn every_broken_promise_is_refused() {
    let verifier = verifier();
    let refused = |token: String, now: i64| verifier.verify(&token, now).expect_err("refused");
    assert_eq!(refused(String::new(), NOW), VerifyError::Missing);
    assert_eq!(refused("a.b".into(), NOW), VerifyError::Malformed);
    assert_eq!(
        refused(sign(2, claims(json!({}))), NOW),
        VerifyError::UnknownKey
    );
    for (extra, now) in [
        (json!({"aud": "other.example.com"}), NOW),
        (json!({"iss": "https://evil.example"}), NOW),
        (json!({}), NOW + 60 + LEEWAY_SECONDS as i64 + 1),
    ] {
        assert!(
            matches!(
                refused(sign(1, claims(extra.clone())), now),
                VerifyError::Invalid(_)
            ),
            "{extra}"
        );
    }
    // Signed by another key under the set's kid.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let forged = jsonwebtoken::encode(&header, &claims(json!({})), &key(3).0).expect("sign");
    assert!(matches!(refused(forged, NOW), VerifyError::Invalid(_)));
    // An HMAC token naming the kid is not lanyard's.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let hmac = jsonwebtoken::encode(&header, &claims(json!({})), &EncodingKey::from_secret(b"x"))
        .expect("sign");
    assert_eq!(refused(hmac, NOW), VerifyError::Malformed);
}

#[test]
fn keys_are_replaced_whole() {
    let mut verifier = verifier();
    verifier
        .set_keys(&json!({"keys": [key(2).1]}).to_string())
        .expect("keys");
    assert_eq!(
        verifier.verify(&sign(1, claims(json!({}))), NOW),
        Err(VerifyError::UnknownKey)
    );
    assert!(verifier.verify(&sign(2, claims(json!({}))), NOW).is_ok());
    assert!(matches!(
        verifier.set_keys("nope"),
        Err(VerifyError::Keys(_))
    ));
}
