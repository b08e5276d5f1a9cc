//! SPEC §14's refusals a real OP never provokes: a provider of the test's own on 127.0.0.1 whose
//! token endpoint answers what the test asks for — an ID token with another nonce or audience, an
//! expired one, one signed by a key not in its JWK Set — or an error, or nothing for longer than
//! lanyard waits. The code the test sends to the callback names the case (`{case}.{nonce}`).

use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::oidc::{callback, start, with_providers};
use crate::support::*;

const ED_PUBLIC: &str = include_str!("keys/ed.pem");
const ED_PRIVATE: &str = include_str!("keys/ed.key");
const P256_PRIVATE: &str = include_str!("keys/p256.key");

async fn discovery(State(issuer): State<String>) -> axum::Json<Value> {
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "id_token_signing_alg_values_supported": ["EdDSA", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
    }))
}

async fn jwks() -> axum::Json<Value> {
    let mut key = lanyard_core::keys::PublicKey::parse(ED_PUBLIC)
        .expect("ed")
        .to_jwk();
    key["kid"] = "ed".into();
    axum::Json(json!({ "keys": [key] }))
}

async fn token(State(issuer): State<String>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        field("client_secret"),
        "hostile-secret",
        "client_secret_post"
    );
    assert_eq!(field("code_verifier").len(), 43, "PKCE always");
    let code = field("code");
    let (case, nonce) = code.split_once('.').unwrap_or((&code, ""));
    let now = now();
    let mut claims = json!({
        "iss": issuer, "aud": "hostile", "sub": "s-1", "nonce": nonce,
        "iat": now, "exp": now + 300, "email": "eve@example.test", "email_verified": true,
        "given_name": "Eve", "family_name": "E",
    });
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed".into());
    let mut key = EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("ed");
    match case {
        "good" => {}
        "wrong-nonce" => claims["nonce"] = "another request's".into(),
        "wrong-aud" => claims["aud"] = "someone-else".into(),
        "expired" => {
            claims["iat"] = (now - 120).into();
            claims["exp"] = (now - 60).into();
        }
        "unknown-key" => {
            header = Header::new(Algorithm::ES256);
            header.kid = Some("not-in-the-set".into());
            key = EncodingKey::from_ec_pem(P256_PRIVATE.as_bytes()).expect("p256");
        }
        "error" => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant", "error_description": "<script>secret internals</script>"})),
            )
                .into_response();
        }
        "crash" => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "<html>stack trace</html>",
            )
                .into_response();
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        other => panic!("unknown case {other}"),
    }
    let id_token = encode(&header, &claims, &key).expect("sign");
    axum::Json(json!({"id_token": id_token, "access_token": "at", "token_type": "Bearer"}))
        .into_response()
}

/// The hostile provider; its issuer URL.
async fn hostile_provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/jwks", axum::routing::get(jwks))
        .route("/token", axum::routing::post(token))
        .with_state(issuer.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

/// Starts a sign-in and answers the callback with the code for `case`.
async fn answer(server: &Server, case: &str) -> reqwest::Response {
    let (authorize, binding) = start(server, "hostile", "/after").await;
    let url = url::Url::parse(&authorize).expect("authorize URL");
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .expect("parameter")
    };
    let back = format!(
        "{}?code={case}.{}&state={}",
        server.url("/auth/oidc/hostile/callback"),
        param("nonce"),
        param("state")
    );
    callback(server, &back, &binding).await
}

async fn hostile_id_tokens_and_token_endpoints_are_refused(server: Server) {
    let issuer = hostile_provider().await;
    let admin = with_providers(
        &server,
        json!([{
            "slug": "hostile", "name": "Hostile", "issuer": issuer, "client_id": "hostile",
            "client_secret": "hostile-secret", "token_endpoint_auth": "client_secret_post",
        }]),
    )
    .await;
    let (status, _) = server.get_json(&admin, "/api/user/current").await;
    assert_eq!(status, 200);
    for (case, status, code) in [
        ("wrong-nonce", 401, "oidc_nonce_mismatch"),
        ("wrong-aud", 401, "invalid_audience"),
        ("expired", 401, "token_expired"),
        ("unknown-key", 401, "unknown_key"),
        ("error", 502, "oidc_token_exchange_failed"),
        ("crash", 502, "oidc_token_exchange_failed"),
        ("hang", 502, "oidc_token_exchange_failed"),
    ] {
        let response = answer(&server, case).await;
        assert_eq!(response.status(), status, "{case}");
        assert!(
            session_cookie(response.headers()).is_none(),
            "{case}: no session"
        );
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], code, "{case}: {body}");
        let text = body.to_string();
        assert!(
            !text.contains("secret internals") && !text.contains("stack trace"),
            "{case}: the IdP's body is never repeated: {text}"
        );
        if case == "error" {
            assert!(
                text.contains("invalid_grant"),
                "the IdP's error code is: {text}"
            );
        }
    }
    // Nobody was created; the good case signs in.
    let (_, people) = server.get_json(&admin, "/api/user?query=eve").await;
    assert_eq!(people["total"], 0, "{people}");
    let response = answer(&server, "good").await;
    assert_eq!(response.status(), 302);
    assert!(session_cookie(response.headers()).is_some());
}

/// SPEC §15: an access token the provider signed (its `iss`, its JWK Set) passes `/auth/verify` as
/// a bearer for an audience in `bearer_audiences`, with its groups through the provider's mappings;
/// a key outside its set does not.
async fn a_providers_access_token_is_a_bearer_for_forward_auth(server: Server) {
    let issuer = hostile_provider().await;
    let admin = server.setup_admin().await;
    let (_, ops) = server
        .post_json(&admin, "/api/permissions/group", &json!({"name": "Ops"}))
        .await;
    let (status, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "oidc_providers": [{
                "slug": "hostile", "name": "Hostile", "issuer": issuer, "client_id": "hostile",
                "client_secret": "hostile-secret", "token_endpoint_auth": "client_secret_post",
                "group_mappings": {"ops-team": [ops["id"]]},
            }],
            "bearer_audiences": ["https://ops-api.example.test"],
            "access_policies": [{"name": "ops", "hosts": ["ops.example.test"], "action": "allow", "groups": ["Ops"]}],
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    let sign = |algorithm: Algorithm, kid: &str, key: &EncodingKey| {
        let mut header = Header::new(algorithm);
        header.kid = Some(kid.into());
        let claims = json!({
            "iss": issuer, "aud": "https://ops-api.example.test", "sub": "deploy-bot",
            "iat": now(), "exp": now() + 600, "groups": ["ops-team"],
        });
        encode(&header, &claims, key).expect("sign")
    };
    let verify = |token: String| {
        let server = &server;
        async move {
            let bearer = format!("Bearer {token}");
            let headers = [
                ("x-forwarded-host", "ops.example.test"),
                ("authorization", bearer.as_str()),
            ];
            server.verify("", &headers).await
        }
    };
    let ed = EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("ed");
    let response = verify(sign(Algorithm::EdDSA, "ed", &ed)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-auth-request-user"], "deploy-bot");
    assert_eq!(response.headers()["x-auth-request-groups"], "Ops");
    let p256 = EncodingKey::from_ec_pem(P256_PRIVATE.as_bytes()).expect("p256");
    let response = verify(sign(Algorithm::ES256, "not-in-the-set", &p256)).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "unknown_key", "{body}");
    // The client secret is not the provider's key for anyone else's tokens.
    let hs = EncodingKey::from_secret(b"hostile-secret");
    let response = verify(sign(Algorithm::HS256, "ed", &hs)).await;
    assert_eq!(response.status(), 401);
}

on_both_backends!(
    hostile_id_tokens_and_token_endpoints_are_refused,
    a_providers_access_token_is_a_bearer_for_forward_auth,
);
