//! SPEC §8 over HTTP: keys from a JWK Set served by a real HTTP server on 127.0.0.1 — validation on
//! save, a new `kid` picked up by one refetch, bursts of unknown `kid`s sharing one fetch a minute,
//! the last good set kept when the server is down, skipped keys listed, `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tokio::sync::RwLock;

use crate::support::*;

/// What the test JWKS server answers, and how often it was asked.
#[derive(Clone)]
struct Served {
    body: Arc<RwLock<(StatusCode, String)>>,
    hits: Arc<AtomicUsize>,
}

async fn serve_jwks(State(served): State<Served>) -> impl IntoResponse {
    served.hits.fetch_add(1, Ordering::SeqCst);
    let (status, body) = served.body.read().await.clone();
    (status, [("content-type", "application/json")], body)
}

/// A JWKS server on 127.0.0.1; returns its URL and the handle to change what it serves.
async fn jwks_server(body: Value) -> (String, Served) {
    let served = Served {
        body: Arc::new(RwLock::new((StatusCode::OK, body.to_string()))),
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let app = axum::Router::new()
        .route("/jwks.json", axum::routing::get(serve_jwks))
        .with_state(served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, served)
}

/// The public key in `pem` as one JWK named `kid`.
fn jwk(pem: &str, kid: &str) -> Value {
    let mut value = lanyard_core::keys::PublicKey::parse(pem)
        .expect("parses")
        .to_jwk();
    value["kid"] = kid.into();
    value
}

const ED_PUBLIC: &str = include_str!("keys/ed.pem");
const ED_PRIVATE: &str = include_str!("keys/ed.key");
const P256_PUBLIC: &str = include_str!("keys/p256.pem");
const P256_PRIVATE: &str = include_str!("keys/p256.key");
const RSA_PUBLIC: &str = include_str!("keys/r2048.pem");

fn signed(alg: Algorithm, kid: &str, email: &str) -> String {
    let key = match alg {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("ed"),
        _ => EncodingKey::from_ec_pem(P256_PRIVATE.as_bytes()).expect("p256"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    encode(&header, &claims(email, json!({})), &key).expect("sign")
}

async fn a_bad_jwks_uri_is_a_field_error_and_nothing_is_saved(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, before) = server.get_json(&admin, "/api/setting/jwt").await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        format!("http://127.0.0.1:{port}/jwks.json")
    };
    let (garbage, _) = jwks_server(json!({"not": "a set"})).await;
    let (only_enc, _) =
        jwks_server(json!({"keys": [{"use": "enc", "kty": "RSA", "n": "AQAB", "e": "AQAB"}]}))
            .await;
    let (huge, served) = jwks_server(json!({})).await;
    *served.body.write().await = (
        StatusCode::OK,
        format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024)),
    );
    for (uri, code) in [
        (closed.as_str(), "jwks_unreachable"),
        (garbage.as_str(), "jwks_invalid"),
        (only_enc.as_str(), "jwks_empty"),
        (huge.as_str(), "jwks_too_large"),
        ("http://idp.example.com/jwks.json", "not_https"),
    ] {
        let (status, body) = server
            .put_json(&admin, "/api/setting/jwt", &json!({"jwt_jwks_uri": uri}))
            .await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], "jwt_jwks_uri",
            "{body}"
        );
        assert_eq!(body["error"]["fields"][0]["code"], code, "{uri}: {body}");
    }
    assert_eq!(server.get_json(&admin, "/api/setting/jwt").await.1, before);
}

async fn keys_come_from_the_jwk_set_and_a_new_kid_needs_one_refetch(server: Server) {
    let admin = server.configured(json!({})).await;
    let (uri, served) = jwks_server(json!({"keys": [
        jwk(ED_PUBLIC, "ed-1"),
        {"kty": "RSA", "use": "enc", "kid": "enc-1", "n": jwk(RSA_PUBLIC, "x")["n"], "e": "AQAB"},
    ]}))
    .await;
    let (status, view) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_jwks_uri": uri}))
        .await;
    assert_eq!(status, 200, "{view}");
    let jwks = &view["jwks"];
    assert_eq!(jwks["keys"][0]["kid"], "ed-1");
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert_eq!(
        jwks["keys"][0]["thumbprint"].as_str().map(str::len),
        Some(43)
    );
    assert_eq!(jwks["skipped"][0]["kid"], "enc-1");
    assert!(jwks["fetched_at"].is_number());
    let after_save = served.hits.load(Ordering::SeqCst);

    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::EdDSA, "ed-1", "a@example.com")).await,
        (200, String::new())
    );
    assert_eq!(
        served.hits.load(Ordering::SeqCst),
        after_save,
        "cached: no fetch per login"
    );

    // The IdP adds a key: the first token naming it makes one refetch and is accepted.
    *served.body.write().await = (
        StatusCode::OK,
        json!({"keys": [jwk(ED_PUBLIC, "ed-1"), jwk(P256_PUBLIC, "ec-2")]}).to_string(),
    );
    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::ES256, "ec-2", "b@example.com")).await,
        (200, String::new())
    );
    assert_eq!(served.hits.load(Ordering::SeqCst), after_save + 1);

    // A burst of tokens naming a kid nobody has: at most one more fetch in the minute.
    let burst: Vec<_> = (0..10)
        .map(|i| signed(Algorithm::ES256, "nobody", &format!("c{i}@example.com")))
        .collect();
    for token in &burst {
        assert_eq!(
            sso_outcome(&server, token).await,
            (401, "unknown_key".into())
        );
    }
    assert!(
        served.hits.load(Ordering::SeqCst) <= after_save + 2,
        "{}",
        served.hits.load(Ordering::SeqCst)
    );

    // The JWKS server goes down: the cached keys still verify; a refresh reports the error.
    *served.body.write().await = (StatusCode::INTERNAL_SERVER_ERROR, "down".into());
    let (status, refreshed) = server
        .post_json(&admin, "/api/setting/jwt/jwks/refresh", &json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(
        refreshed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{refreshed}"
    );
    assert_eq!(
        refreshed["keys"].as_array().map(Vec::len),
        Some(2),
        "the last good set stays"
    );
    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::EdDSA, "ed-1", "d@example.com")).await,
        (200, String::new())
    );

    let (_, metrics) = server.get_text("/metrics").await;
    assert!(
        metrics.contains("lanyard_jwks_fetches_total{outcome=\"success\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lanyard_jwks_fetches_total{outcome=\"jwks_unreachable\"}"),
        "{metrics}"
    );
}

async fn a_jwk_set_alone_is_a_key_source(server: Server) {
    let admin = server.setup_admin().await;
    let (uri, _served) = jwks_server(json!({"keys": [jwk(ED_PUBLIC, "ed-1")]})).await;
    let (status, view) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com/sso", "jwt_jwks_uri": uri}),
        )
        .await;
    assert_eq!(status, 200, "JWKS alone enables JWT: {view}");
    assert_eq!(
        sso_outcome(&server, &signed(Algorithm::EdDSA, "ed-1", "a@example.com")).await,
        (200, String::new())
    );
}

/// A replica that never got the set, while the JWKS server is down: a token that needs the set is
/// `503 jwks_unavailable` — not `unknown_key`, which would blame the token.
#[tokio::test]
async fn without_any_good_copy_of_the_set_tokens_get_jwks_unavailable() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("lanyard.db").display());
    let first = Server::start(url.clone()).await;
    let admin = first.configured(json!({})).await;
    let (uri, served) = jwks_server(json!({"keys": [jwk(ED_PUBLIC, "ed-1")]})).await;
    let (status, _) = first
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_jwks_uri": uri}))
        .await;
    assert_eq!(status, 200);
    *served.body.write().await = (StatusCode::SERVICE_UNAVAILABLE, "down".into());
    let second = Server::start(url).await;
    assert_eq!(
        sso_outcome(&second, &signed(Algorithm::EdDSA, "ed-1", "a@example.com")).await,
        (503, "jwks_unavailable".into())
    );
    // The first server still has its copy.
    assert_eq!(
        sso_outcome(&first, &signed(Algorithm::EdDSA, "ed-1", "b@example.com")).await,
        (200, String::new())
    );
    // HS tokens with the shared secret never need the set.
    assert_eq!(
        sso_outcome(&second, &token(&claims("c@example.com", json!({})))).await,
        (200, String::new())
    );
    drop((first, second, dir));
}

/// Every public-key algorithm, with its key published in the JWK Set under its own `alg`.
async fn every_algorithm_verifies_through_the_jwk_set(server: Server) {
    let admin = server.configured(json!({})).await;
    let rsa_private = include_str!("keys/r2048.key").as_bytes();
    let p384_private = include_str!("keys/p384.key").as_bytes();
    let cases: Vec<(Algorithm, &str, Value, EncodingKey)> = vec![
        (
            Algorithm::RS256,
            "RS256",
            jwk(RSA_PUBLIC, "k-RS256"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::RS384,
            "RS384",
            jwk(RSA_PUBLIC, "k-RS384"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::RS512,
            "RS512",
            jwk(RSA_PUBLIC, "k-RS512"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::PS256,
            "PS256",
            jwk(RSA_PUBLIC, "k-PS256"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::PS384,
            "PS384",
            jwk(RSA_PUBLIC, "k-PS384"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::PS512,
            "PS512",
            jwk(RSA_PUBLIC, "k-PS512"),
            EncodingKey::from_rsa_pem(rsa_private).expect("rsa"),
        ),
        (
            Algorithm::ES256,
            "ES256",
            jwk(P256_PUBLIC, "k-ES256"),
            EncodingKey::from_ec_pem(P256_PRIVATE.as_bytes()).expect("p256"),
        ),
        (
            Algorithm::ES384,
            "ES384",
            jwk(include_str!("keys/p384.pem"), "k-ES384"),
            EncodingKey::from_ec_pem(p384_private).expect("p384"),
        ),
        (
            Algorithm::EdDSA,
            "EdDSA",
            jwk(ED_PUBLIC, "k-EdDSA"),
            EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("ed"),
        ),
    ];
    let keys: Vec<Value> = cases
        .iter()
        .map(|(_, name, jwk, _)| {
            let mut jwk = jwk.clone();
            jwk["alg"] = json!(name);
            jwk
        })
        .collect();
    let (uri, _served) = jwks_server(json!({ "keys": keys })).await;
    let (status, view) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_jwks_uri": uri}))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        view["jwks"]["keys"].as_array().map(Vec::len),
        Some(9),
        "{view}"
    );
    for (alg, name, _, key) in &cases {
        let mut header = Header::new(*alg);
        header.kid = Some(format!("k-{name}"));
        let token = encode(
            &header,
            &claims(&format!("{}@example.com", name.to_lowercase()), json!({})),
            key,
        )
        .expect("sign");
        assert_eq!(
            sso_outcome(&server, &token).await,
            (200, String::new()),
            "{name}"
        );
        // The same key under another algorithm's kid is refused: each JWKS key is bound to its alg.
        let mut confused = Header::new(*alg);
        confused.kid = Some(if *name == "EdDSA" {
            "k-ES256".into()
        } else {
            "k-EdDSA".into()
        });
        let token = encode(&confused, &claims("x@example.com", json!({})), key).expect("sign");
        assert_eq!(
            sso_outcome(&server, &token).await,
            (401, "alg_not_allowed".into()),
            "{name}"
        );
    }
}

/// The demo IdP's JWK Set as `jwt_jwks_uri`: its EdDSA, ES256 and RS256 tokens sign people in.
async fn the_demo_idp_signs_with_its_own_keys_through_its_jwks(server: Server) {
    let admin = server.setup_admin().await;
    // The RSA key is made in the background at start.
    for _ in 0..600 {
        let (_, set) = server.get_json("", "/demo-idp/jwks.json").await;
        if set["keys"].as_array().map_or(0, Vec::len) == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let settings = json!({"jwt_enabled": true, "jwt_identity_provider_uri": server.url("/demo-idp"),
                          "jwt_jwks_uri": server.url("/demo-idp/jwks.json")});
    let (status, view) = server.put_json(&admin, "/api/setting/jwt", &settings).await;
    assert_eq!(status, 200, "{view}");
    let kids: Vec<_> = view["jwks"]["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, ["demo-eddsa", "demo-es256", "demo-rs256"]);
    for alg in ["EdDSA", "ES256", "RS256"] {
        let email = format!("{}@example.com", alg.to_lowercase());
        let signed = server
            .http
            .post(server.url("/demo-idp"))
            .form(&[
                ("email", email.as_str()),
                ("alg", alg),
                ("return_to", "/me"),
            ])
            .send()
            .await
            .expect("demo idp");
        assert_eq!(signed.status(), 302, "{alg}");
        let location = signed.headers()["location"]
            .to_str()
            .unwrap_or("")
            .to_owned();
        let back = server
            .http
            .get(server.url(&location))
            .send()
            .await
            .expect("sso");
        assert_eq!(back.status(), 302, "{alg}");
        assert_eq!(back.headers()["location"], "/me", "{alg}");
    }
}

on_both_backends!(
    every_algorithm_verifies_through_the_jwk_set,
    the_demo_idp_signs_with_its_own_keys_through_its_jwks,
    a_bad_jwks_uri_is_a_field_error_and_nothing_is_saved,
    keys_come_from_the_jwk_set_and_a_new_kid_needs_one_refetch,
    a_jwk_set_alone_is_a_key_source,
);
