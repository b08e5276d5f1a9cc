//! SPEC §8: public keys as PEM or JWK, their fit to an algorithm, thumbprints (fixtures in `keys/`,
//! made with `openssl genpkey`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lanyard_api::KeyAlg;
use lanyard_core::keys::{Curve, PublicKey, valid_kid};
use proptest::prelude::*;

const RSA_2048: &str = include_str!("keys/r2048.pem");
const RSA_1024: &str = include_str!("keys/r1024.pem");
const P256: &str = include_str!("keys/p256.pem");
const P384: &str = include_str!("keys/p384.pem");
const SECP256K1: &str = include_str!("keys/k1.pem");
const ED25519: &str = include_str!("keys/ed.pem");
const X25519: &str = include_str!("keys/x.pem");
const PRIVATE: &str = include_str!("keys/private-r2048.pem");

fn code(text: &str) -> &'static str {
    PublicKey::parse(text).err().map_or("ok", |e| e.code)
}

/// The key as a JWK, from what the PEM parser read (with a `use`, which parsing accepts).
fn as_jwk(key: &PublicKey) -> String {
    let mut jwk = key.to_jwk();
    jwk["use"] = "sig".into();
    jwk.to_string()
}

#[test]
fn pem_and_jwk_forms_of_each_supported_key_read_the_same() {
    for (pem, alg) in [
        (RSA_2048, KeyAlg::RS256),
        (P256, KeyAlg::ES256),
        (P384, KeyAlg::ES384),
        (ED25519, KeyAlg::EdDSA),
    ] {
        let from_pem = PublicKey::parse(pem).expect("PEM parses");
        let from_jwk = PublicKey::parse(&as_jwk(&from_pem)).expect("JWK parses");
        assert_eq!(from_pem, from_jwk, "{alg:?}");
        assert_eq!(from_pem.thumbprint(), from_jwk.thumbprint());
        assert_eq!(from_pem.default_alg(), alg);
        assert_eq!(from_pem.check_for(alg), Ok(()));
    }
    let Ok(PublicKey::Ec { curve, .. }) = PublicKey::parse(P384) else {
        panic!("P-384 is EC");
    };
    assert_eq!(curve, Curve::P384);
}

#[test]
fn each_algorithm_takes_only_its_kind_of_key() {
    let rsa = PublicKey::parse(RSA_2048).expect("rsa");
    let p256 = PublicKey::parse(P256).expect("p256");
    let p384 = PublicKey::parse(P384).expect("p384");
    let ed = PublicKey::parse(ED25519).expect("ed");
    for alg in KeyAlg::ALL.iter().copied() {
        let fits = |key: &PublicKey| key.check_for(alg).is_ok();
        let expected = match alg.as_str() {
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
                [true, false, false, false]
            }
            "ES256" => [false, true, false, false],
            "ES384" => [false, false, true, false],
            "EdDSA" => [false, false, false, true],
            _ => [false, false, false, false],
        };
        assert_eq!(
            [fits(&rsa), fits(&p256), fits(&p384), fits(&ed)],
            expected,
            "{alg:?}"
        );
    }
    let weak = PublicKey::parse(RSA_1024).expect("parses");
    assert_eq!(
        weak.check_for(KeyAlg::RS256).err().map(|e| e.code),
        Some("weak_rsa_key")
    );
}

#[test]
fn unsupported_malformed_and_private_keys_are_refused() {
    assert_eq!(code(SECP256K1), "unsupported_key");
    assert_eq!(code(X25519), "unsupported_key");
    assert_eq!(code(PRIVATE), "private_key");
    assert_eq!(
        code(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}"#),
        "private_key"
    );
    for garbage in [
        "",
        "ssh-rsa AAAAB3NzaC1yc2E",
        "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "{}",
        "{not json",
        r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#,
        r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#,
        r#"{"kty":"RSA","n":"***","e":"AQAB"}"#,
    ] {
        assert_eq!(code(garbage), "invalid_public_key", "{garbage:?}");
    }
    assert_eq!(code(r#"{"kty":"oct","k":"c2VjcmV0"}"#), "unsupported_key");
    assert_eq!(
        code(r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#),
        "unsupported_key"
    );
    assert_eq!(code(&"A".repeat(20_000)), "key_too_large");
}

#[test]
fn thumbprints_follow_rfc_7638() {
    // RFC 7638 §3.1's example key and thumbprint.
    let rfc = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
    let key = PublicKey::parse(rfc).expect("parses");
    assert_eq!(
        key.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // RFC 8037 A.3: the Ed25519 example.
    let ed = PublicKey::parse(
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .expect("parses");
    assert_eq!(
        ed.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn key_ids_are_printable_ascii_of_1_to_128() {
    for kid in ["a", "2011-04-29", "key/1:rot~", &"k".repeat(128)] {
        assert!(valid_kid(kid), "{kid}");
    }
    for kid in ["", " a", "a b", "ключ", "a\u{7}", &"k".repeat(129)] {
        assert!(!valid_kid(kid), "{kid:?}");
    }
}

proptest! {
    /// Whatever text arrives, parsing answers (never panics), and a key it accepts has a 43-character
    /// thumbprint and fits its own default algorithm or is a weak RSA key.
    #[test]
    fn parsing_never_panics(text in prop_oneof![
        any::<String>(),
        "-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]{0,200}\n-----END PUBLIC KEY-----",
        "\\{\"kty\":\"(RSA|EC|OKP)\",\"(n|x|crv|e|y)\":\"[A-Za-z0-9_-]{0,60}\"\\}",
    ]) {
        if let Ok(key) = PublicKey::parse(&text) {
            prop_assert_eq!(key.thumbprint().len(), 43);
            let fits = key.check_for(key.default_alg());
            prop_assert!(fits.is_ok() || fits.err().map(|e| e.code) == Some("weak_rsa_key"));
        }
    }
}

#[test]
fn a_jwk_set_keeps_signing_keys_and_lists_the_rest() {
    use lanyard_core::keys::parse_jwk_set;
    let ed = PublicKey::parse(ED25519).expect("ed");
    let PublicKey::Ed25519 { x } = &ed else {
        panic!("ed25519")
    };
    let x = URL_SAFE_NO_PAD.encode(x);
    let rsa_jwk: serde_json::Value =
        serde_json::from_str(&as_jwk(&PublicKey::parse(RSA_2048).expect("rsa"))).expect("json");
    let weak_jwk: serde_json::Value =
        serde_json::from_str(&as_jwk(&PublicKey::parse(RSA_1024).expect("rsa"))).expect("json");
    let mut rsa_ps = rsa_jwk.clone();
    rsa_ps["kid"] = "ps".into();
    rsa_ps["alg"] = "PS384".into();
    let mut rsa_enc = rsa_jwk.clone();
    rsa_enc["kid"] = "enc".into();
    rsa_enc["use"] = "enc".into();
    let mut weak = weak_jwk;
    weak["kid"] = "weak".into();
    let mut hs = rsa_jwk.clone();
    hs["kid"] = "hs".into();
    hs["alg"] = "HS256".into();
    let set = serde_json::json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig"},
        rsa_ps,
        rsa_enc,
        weak,
        hs,
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "dup"},
        {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "dup"},
    ]});
    let parsed = lanyard_core::keys::parse_jwk_set(&set.to_string()).expect("a JWK Set");
    let kept: Vec<_> = parsed.keys.iter().map(|k| (k.kid.clone(), k.alg)).collect();
    assert_eq!(
        kept,
        [
            (ed.thumbprint(), KeyAlg::EdDSA),
            ("ps".into(), KeyAlg::PS384),
            ("dup".into(), KeyAlg::EdDSA)
        ],
        "no kid: named by the thumbprint; alg from the JWK or the kind"
    );
    let skipped: Vec<_> = parsed
        .skipped
        .iter()
        .map(|s| s.kid.clone().unwrap_or_default())
        .collect();
    assert_eq!(skipped, ["enc", "weak", "hs", "secret", "p521", "dup"]);
    assert_eq!(
        parse_jwk_set("[]").err().map(|e| e.code),
        Some("jwks_invalid")
    );
    assert_eq!(
        parse_jwk_set("{\"keys\": 1}").err().map(|e| e.code),
        Some("jwks_invalid")
    );
    let huge = format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    assert_eq!(
        parse_jwk_set(&huge).err().map(|e| e.code),
        Some("jwks_too_large")
    );
}

#[test]
fn the_preview_hands_public_key_signatures_to_the_browser_and_takes_its_answer() {
    use jsonwebtoken::{EncodingKey, Header};
    use lanyard_api::{CheckName, CheckOutcome, ErrorCode};
    use lanyard_core::{InspectInput, inspect, pending_signature, with_browser_signature};

    let private = EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).expect("rsa");
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    let claims = serde_json::json!({"email": "kate@example.com", "iat": crate::support::NOW - 5});
    let token = jsonwebtoken::encode(&header, &claims, &private).expect("sign");
    let ring = lanyard_core::keys::KeyRing::from_keys(&[lanyard_api::JwtKey {
        kid: "rsa-1".into(),
        alg: KeyAlg::RS256,
        secret: None,
        public_key: Some(RSA_2048.into()),
        not_after: None,
        label: None,
    }]);
    let settings = crate::support::settings();
    let input = InspectInput {
        token: &token,
        settings: &settings,
        key: None,
        keys: &ring,
        verifier: None,
        site_url: crate::support::SITE,
        now: crate::support::NOW,
        user: None,
    };
    let verdict = inspect(input);
    let signature = |v: &lanyard_api::Verdict| {
        v.checks
            .iter()
            .find(|c| c.name == CheckName::Signature)
            .map(|c| c.outcome.clone())
    };
    assert_eq!(signature(&verdict), Some(CheckOutcome::Skipped));
    assert!(!verdict.accepted);
    let pending = pending_signature(&input).expect("a public-key check for the browser");
    assert_eq!(pending.alg, KeyAlg::RS256);
    assert_eq!(pending.keys, [PublicKey::parse(RSA_2048).expect("rsa")]);
    assert_eq!(
        pending.message,
        token
            .rsplit_once('.')
            .map(|(m, _)| m.as_bytes().to_vec())
            .unwrap_or_default()
    );

    let passed = with_browser_signature(verdict.clone(), true);
    assert_eq!(signature(&passed), Some(CheckOutcome::Pass));
    assert!(passed.accepted && passed.error.is_none());
    let failed = with_browser_signature(verdict, false);
    assert_eq!(failed.error, Some(ErrorCode::InvalidSignature));
    assert!(!failed.accepted);
}
