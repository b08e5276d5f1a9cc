//! SPEC §8 over HTTP: the key ring — RS/PS/ES/EdDSA keys given as PEM or JWK, selection by `kid`,
//! the alg binding that stops confusion attacks, retirement, and secrets never shown. (Fixtures in
//! `keys/`, made with `openssl genpkey`; the private halves only sign the tests' tokens.)

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::support::*;

const RSA_PUBLIC: &str = include_str!("keys/r2048.pem");
const RSA_PRIVATE: &str = include_str!("keys/r2048.key");
const P256_PUBLIC: &str = include_str!("keys/p256.pem");
const P256_PRIVATE: &str = include_str!("keys/p256.key");
const P384_PUBLIC: &str = include_str!("keys/p384.pem");
const P384_PRIVATE: &str = include_str!("keys/p384.key");
const ED_PUBLIC: &str = include_str!("keys/ed.pem");
const ED_PRIVATE: &str = include_str!("keys/ed.key");

fn signing_key(alg: Algorithm) -> EncodingKey {
    let pem = |text: &str| text.as_bytes().to_vec();
    match alg {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => EncodingKey::from_rsa_pem(&pem(RSA_PRIVATE)).expect("rsa"),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem(P256_PRIVATE)).expect("p256"),
        Algorithm::ES384 => EncodingKey::from_ec_pem(&pem(P384_PRIVATE)).expect("p384"),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem(ED_PRIVATE)).expect("ed25519"),
        _ => EncodingKey::from_secret(KEY.as_bytes()),
    }
}

fn public_pem(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => P256_PUBLIC,
        Algorithm::ES384 => P384_PUBLIC,
        Algorithm::EdDSA => ED_PUBLIC,
        _ => RSA_PUBLIC,
    }
}

/// The same key as one JWK, from the server's own reading of the PEM (its thumbprint must match).
fn as_jwk(view_thumbprint: &str, pem: &str) -> String {
    let key = lanyard_core::keys::PublicKey::parse(pem).expect("parses");
    assert_eq!(key.thumbprint(), view_thumbprint);
    key.to_jwk().to_string()
}

fn signed(alg: Algorithm, kid: Option<&str>, email: &str) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims(email, json!({})), &signing_key(alg)).expect("sign")
}

async fn every_algorithm_verifies_with_its_key_given_as_pem_or_jwk(server: Server) {
    let admin = server.configured(json!({})).await;
    let algs = [
        (Algorithm::RS256, "RS256"),
        (Algorithm::RS384, "RS384"),
        (Algorithm::RS512, "RS512"),
        (Algorithm::PS256, "PS256"),
        (Algorithm::PS384, "PS384"),
        (Algorithm::PS512, "PS512"),
        (Algorithm::ES256, "ES256"),
        (Algorithm::ES384, "ES384"),
        (Algorithm::EdDSA, "EdDSA"),
    ];
    let pem_keys: Vec<Value> = algs
        .iter()
        .map(|(alg, name)| json!({"kid": format!("pem-{name}"), "alg": name, "public_key": public_pem(*alg)}))
        .collect();
    let (status, view) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": pem_keys}))
        .await;
    assert_eq!(status, 200, "{view}");
    // As JWKs too, from the thumbprints the server shows.
    let mut keys = pem_keys.clone();
    for (i, (alg, name)) in algs.iter().enumerate() {
        let thumbprint = view["jwt_keys"][i]["thumbprint"]
            .as_str()
            .expect("thumbprint");
        keys.push(json!({"kid": format!("jwk-{name}"), "alg": name, "public_key": as_jwk(thumbprint, public_pem(*alg))}));
    }
    let (status, view) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": keys}))
        .await;
    assert_eq!(status, 200, "{view}");
    assert!(
        view["jwt_keys"]
            .as_array()
            .expect("keys")
            .iter()
            .all(|k| k["status"] == "active")
    );
    for (n, (alg, name)) in algs.iter().enumerate() {
        for source in ["pem", "jwk"] {
            let kid = format!("{source}-{name}");
            let email = format!("u{n}-{source}@example.com");
            assert_eq!(
                sso_outcome(&server, &signed(*alg, Some(&kid), &email)).await,
                (200, String::new()),
                "{kid}"
            );
        }
        // Without kid: the keys of the header's alg are tried.
        let email = format!("u{n}-nokid@example.com");
        assert_eq!(
            sso_outcome(&server, &signed(*alg, None, &email)).await,
            (200, String::new()),
            "{name} without kid"
        );
    }
}

async fn confusion_attacks_and_unknown_or_retired_keys_are_refused(server: Server) {
    let admin = server.configured(json!({})).await;
    let keys = json!([
        {"kid": "rsa-1", "alg": "RS256", "public_key": RSA_PUBLIC},
        {"kid": "hs-1", "alg": "HS256", "secret": "s".repeat(40)},
        {"kid": "old", "alg": "ES256", "public_key": P256_PUBLIC, "not_after": now() - 10},
    ]);
    let (status, view) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": keys}))
        .await;
    assert_eq!(status, 200, "{view}");

    // An HS token naming the RSA key: the key is bound to RS256.
    let hs_with_rsa_kid = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        encode(
            &header,
            &claims("a@example.com", json!({})),
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .expect("sign")
    };
    assert_eq!(
        sso_outcome(&server, &hs_with_rsa_kid).await,
        (401, "alg_not_allowed".into())
    );
    // The classic: HS256 "signed" with the RSA public key's PEM as the secret — as the ring key, or as
    // the shared secret.
    for kid in [Some("rsa-1"), None] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        let token = encode(
            &header,
            &claims("b@example.com", json!({})),
            &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
        )
        .expect("sign");
        let (status, code) = sso_outcome(&server, &token).await;
        assert_eq!(status, 401, "{kid:?}");
        assert!(
            code == "alg_not_allowed" || code == "invalid_signature",
            "{kid:?}: {code}"
        );
    }
    // Header alg other than the key's.
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::RS384, Some("rsa-1"), "c@example.com")
        )
        .await,
        (401, "alg_not_allowed".into())
    );
    // An RS256 token signed by another key under the right kid.
    let forged = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("rsa-1".into());
        encode(
            &header,
            &claims("d@example.com", json!({})),
            &signing_key(Algorithm::ES256),
        )
        .expect("sign")
    };
    assert_eq!(
        sso_outcome(&server, &forged).await,
        (401, "alg_not_allowed".into())
    );
    // Unknown kid; retired key; an algorithm no key verifies.
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::RS256, Some("nobody"), "e@example.com")
        )
        .await,
        (401, "unknown_key".into())
    );
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::ES256, Some("old"), "f@example.com")
        )
        .await,
        (401, "key_retired".into())
    );
    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::ES256, None, "g@example.com")).await,
        (401, "key_retired".into())
    );
    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::EdDSA, None, "h@example.com")).await,
        (401, "alg_not_allowed".into())
    );
    // The HMAC ring key works under its kid; an HS token with an unknown kid uses the shared secret.
    let ring_hs = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("hs-1".into());
        encode(
            &header,
            &claims("i@example.com", json!({})),
            &EncodingKey::from_secret("s".repeat(40).as_bytes()),
        )
        .expect("sign")
    };
    assert_eq!(sso_outcome(&server, &ring_hs).await, (200, String::new()));
    let shared_with_kid = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("idp-default".into());
        encode(
            &header,
            &claims("j@example.com", json!({})),
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .expect("sign")
    };
    assert_eq!(
        sso_outcome(&server, &shared_with_kid).await,
        (200, String::new()),
        "Metabase ignores kid"
    );
    // The view: statuses, the HMAC secret only as a hint; the dry run agrees with the endpoint.
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    let text = view.to_string();
    assert!(!text.contains(&"s".repeat(40)), "no secret in the view");
    let keys = view["jwt_keys"].as_array().expect("keys");
    assert_eq!(keys[1]["secret_set"], true);
    assert_eq!(keys[1]["secret_hint"], "…ss");
    assert_eq!(keys[2]["status"], "retired");
    let (_, verdict) = server
        .post_json(
            &admin,
            "/api/setting/jwt/test",
            &json!({"token": signed(Algorithm::RS256, Some("rsa-1"), "k@example.com")}),
        )
        .await;
    assert_eq!(verdict["accepted"], true, "{verdict}");
    // Saving the ring again with the hint keeps the secret.
    let mut resend: Vec<Value> = keys
        .iter()
        .map(|k| json!({"kid": k["kid"], "alg": k["alg"], "public_key": k["public_key"], "not_after": k["not_after"]}))
        .collect();
    resend[1] = json!({"kid": "hs-1", "alg": "HS256", "secret": "…ss"});
    for key in &mut resend {
        key.as_object_mut()
            .expect("object")
            .retain(|_, v| !v.is_null());
    }
    let (status, _) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": resend}))
        .await;
    assert_eq!(status, 200);
    let again = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("hs-1".into());
        encode(
            &header,
            &claims("l@example.com", json!({})),
            &EncodingKey::from_secret("s".repeat(40).as_bytes()),
        )
        .expect("sign")
    };
    assert_eq!(
        sso_outcome(&server, &again).await,
        (200, String::new()),
        "the secret was kept"
    );
}

async fn invalid_keys_are_field_errors_and_change_nothing(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, before) = server.get_json(&admin, "/api/setting/jwt").await;
    for (key, code) in [
        (
            json!({"kid": "a", "alg": "RS256", "public_key": "not a key"}),
            "invalid_public_key",
        ),
        (
            json!({"kid": "a", "alg": "ES256", "public_key": RSA_PUBLIC}),
            "key_alg_mismatch",
        ),
        (
            json!({"kid": "a", "alg": "RS256", "public_key": RSA_PRIVATE}),
            "private_key",
        ),
        (json!({"kid": "a", "alg": "RS256"}), "public_key_required"),
        (
            json!({"kid": "a", "alg": "HS384", "secret": "x".repeat(40)}),
            "too_short",
        ),
        (
            json!({"kid": "a", "alg": "RS256", "public_key": RSA_PUBLIC, "secret": "x".repeat(40)}),
            "unexpected_secret",
        ),
        (
            json!({"kid": "a b", "alg": "EdDSA", "public_key": ED_PUBLIC}),
            "invalid_kid",
        ),
    ] {
        let (status, body) = server
            .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": [key]}))
            .await;
        assert_eq!(status, 400, "{body}");
        let codes: Vec<_> = body["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["code"].clone())
            .collect();
        assert!(codes.contains(&json!(code)), "{code}: {body}");
        assert!(
            !body.to_string().contains("BEGIN PRIVATE KEY")
                && !body.to_string().contains(&"x".repeat(40)),
            "no secret echoed"
        );
    }
    let twice = json!([{"kid": "a", "alg": "EdDSA", "public_key": ED_PUBLIC}, {"kid": "a", "alg": "EdDSA", "public_key": ED_PUBLIC}]);
    let (status, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": twice}))
        .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["code"].as_str()),
        (400, Some("duplicate_kid"))
    );
    assert_eq!(server.get_json(&admin, "/api/setting/jwt").await.1, before);
}

/// Rotation without downtime (SPEC §8): add the new key, move the IdP to it, retire the old one.
async fn a_key_is_rotated_without_downtime(server: Server) {
    let admin = server.configured(json!({})).await;
    let old = json!({"kid": "2026-a", "alg": "ES256", "public_key": P256_PUBLIC});
    let (status, _) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": [old]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::ES256, Some("2026-a"), "a@example.com")
        )
        .await,
        (200, String::new())
    );
    // The new key joins; both verify while the IdP moves over.
    let new = json!({"kid": "2026-b", "alg": "EdDSA", "public_key": ED_PUBLIC});
    let (status, _) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_keys": [old, new]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::ES256, Some("2026-a"), "b@example.com")
        )
        .await,
        (200, String::new())
    );
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::EdDSA, Some("2026-b"), "c@example.com")
        )
        .await,
        (200, String::new())
    );
    // The old key retires: its tokens are refused, the new key's still pass.
    let mut retired = old.clone();
    retired["not_after"] = json!(now() - 1);
    let (status, view) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_keys": [retired, new]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(view["jwt_keys"][0]["status"], "retired");
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::ES256, Some("2026-a"), "d@example.com")
        )
        .await,
        (401, "key_retired".into())
    );
    assert_eq!(
        sso_outcome(
            &server,
            &signed(Algorithm::EdDSA, Some("2026-b"), "e@example.com")
        )
        .await,
        (200, String::new())
    );
}

on_both_backends!(
    every_algorithm_verifies_with_its_key_given_as_pem_or_jwk,
    confusion_attacks_and_unknown_or_retired_keys_are_refused,
    invalid_keys_are_field_errors_and_change_nothing,
    a_key_is_rotated_without_downtime,
);
