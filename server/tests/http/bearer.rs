//! SPEC §15 over HTTP: machine clients at `/auth/verify` with `Authorization: Bearer` — API keys
//! and JWT access tokens — judged by the same policies as people, refused with `401` and
//! `WWW-Authenticate`, never a redirect or a cookie, and winning over a cookie.

use serde_json::{Value, json};

use crate::support::*;

const AUDIENCE: &str = "https://api.example.test";

/// `/auth/verify` as a trusted proxy asks it for `host` with `authorization` (and a `cookie`).
async fn ask(
    server: &Server,
    host: &str,
    authorization: Option<&str>,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut headers = vec![
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", host),
        ("x-forwarded-uri", "/reports?q=1"),
        // A browser would be redirected; a bearer client never is.
        ("accept", "text/html"),
    ];
    if let Some(value) = authorization {
        headers.push(("authorization", value));
    }
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    server.verify("", &headers).await
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A refusal: `401`, the Bearer challenge, no cookie, no redirect; its code.
async fn refused(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 401);
    assert_eq!(
        header(&response, "www-authenticate"),
        "Bearer error=\"invalid_token\""
    );
    assert!(response.headers().get("set-cookie").is_none());
    assert!(response.headers().get("location").is_none());
    let body: Value = response.json().await.expect("json");
    body["error"]["code"].as_str().expect("code").to_owned()
}

fn access_token(extra: Value) -> String {
    let mut claims = json!({
        "sub": "svc-reports", "aud": AUDIENCE, "iat": now(), "exp": now() + 3600,
        "groups": ["finance-bots"],
    });
    // `null` leaves the claim out.
    for (k, v) in extra.as_object().expect("object") {
        match v {
            Value::Null => drop(claims.as_object_mut().and_then(|c| c.remove(k))),
            _ => claims[k] = v.clone(),
        }
    }
    token(&claims)
}

async fn machine_clients_pass_the_proxy_with_bearer_tokens(server: Server) {
    let admin = server
        .configured(json!({"bearer_audiences": [AUDIENCE]}))
        .await;
    let (_, finance) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let finance_id = finance["id"].as_i64().expect("id");
    let (status, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "jwt_group_mappings": {"finance-bots": [finance_id]},
            "access_policies": [
                {"name": "finance", "hosts": ["finance.example.test"], "action": "allow", "groups": ["Finance"]},
            ],
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    let key = |body: Value| {
        let (server, admin) = (&server, &admin);
        async move {
            let (status, created) = server.post_json(admin, "/api/api-key", &body).await;
            assert_eq!(status, 201, "{created}");
            created["key"].as_str().expect("key").to_owned()
        }
    };
    let billing = key(json!({"name": "Billing job", "group_ids": [finance_id]})).await;
    let plain = key(json!({"name": "Plain job", "group_ids": [1]})).await;
    let audit_size = || async {
        let (_, audit) = server.get_json(&admin, "/api/audit?limit=200").await;
        audit["data"].as_array().map_or(0, Vec::len)
    };
    let entries_before = audit_size().await;

    // An API key: its name and groups, an assertion for the one forwarded host.
    let response = ask(
        &server,
        "finance.example.test",
        Some(&format!("Bearer {billing}")),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-auth-request-user"),
        "api-key:Billing job"
    );
    assert_eq!(header(&response, "x-auth-request-groups"), "Finance");
    assert_eq!(header(&response, "x-auth-request-email"), "");
    assert!(!header(&response, "x-lanyard-assertion").is_empty());
    // A key outside the policy's group: 403, no challenge to sign in.
    let response = ask(
        &server,
        "finance.example.test",
        Some(&format!("Bearer {plain}")),
        None,
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("location").is_none());
    assert_eq!(
        audit_size().await,
        entries_before,
        "forward auth does not audit each request"
    );
    assert_eq!(
        refused(
            ask(
                &server,
                "finance.example.test",
                Some("Bearer lanyard_not-a-key"),
                None
            )
            .await
        )
        .await,
        "invalid_api_key"
    );

    // A JWT access token: its sub, its groups mapped as at sign-in.
    let response = ask(
        &server,
        "finance.example.test",
        Some(&format!("bearer {}", access_token(json!({})))),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-auth-request-user"), "svc-reports");
    assert_eq!(header(&response, "x-auth-request-groups"), "Finance");
    let other_groups = access_token(json!({"groups": ["marketing"]}));
    assert_eq!(
        ask(
            &server,
            "finance.example.test",
            Some(&format!("Bearer {other_groups}")),
            None
        )
        .await
        .status(),
        403
    );
    for (token, code) in [
        (
            access_token(json!({"aud": "https://elsewhere.example"})),
            "invalid_audience",
        ),
        // A sign-in token (aud = the site, or none) is not an access token.
        (
            token(&claims("kate@example.com", json!({}))),
            "invalid_audience",
        ),
        (access_token(json!({"exp": null})), "missing_exp"),
        (
            access_token(json!({"exp": now() - 3600, "iat": now() - 7200})),
            "token_expired",
        ),
        (access_token(json!({"sub": null})), "malformed_token"),
    ] {
        let response = ask(
            &server,
            "finance.example.test",
            Some(&format!("Bearer {token}")),
            None,
        )
        .await;
        assert_eq!(refused(response).await, code);
    }
    let forged = {
        let mut parts: Vec<String> = access_token(json!({}))
            .split('.')
            .map(String::from)
            .collect();
        parts[2] = "AAAA".into();
        parts.join(".")
    };
    assert_eq!(
        refused(
            ask(
                &server,
                "finance.example.test",
                Some(&format!("Bearer {forged}")),
                None
            )
            .await
        )
        .await,
        "invalid_signature"
    );

    // The bearer wins over a cookie, and a refused one is not rescued by it.
    let response = ask(
        &server,
        "app.example.test",
        Some(&format!("Bearer {plain}")),
        Some(&admin),
    )
    .await;
    assert_eq!(
        header(&response, "x-auth-request-user"),
        "api-key:Plain job"
    );
    assert_eq!(
        refused(
            ask(
                &server,
                "app.example.test",
                Some("Bearer lanyard_wrong"),
                Some(&admin)
            )
            .await
        )
        .await,
        "invalid_api_key"
    );
    // A session token as a bearer (SPEC §13's scripts) still works; a dead one is a 401, not a
    // redirect.
    let session = admin.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let response = ask(
        &server,
        "app.example.test",
        Some(&format!("Bearer {session}")),
        None,
    )
    .await;
    assert_eq!(header(&response, "x-auth-request-email"), ADMIN_EMAIL);
    assert_eq!(
        refused(
            ask(
                &server,
                "app.example.test",
                Some("Bearer no-such-session"),
                None
            )
            .await
        )
        .await,
        "unauthenticated"
    );
}

/// Without `bearer_audiences` no access token is accepted.
async fn access_tokens_need_bearer_audiences(server: Server) {
    server.configured(json!({})).await;
    let response = ask(
        &server,
        "app.example.test",
        Some(&format!("Bearer {}", access_token(json!({})))),
        None,
    )
    .await;
    assert_eq!(refused(response).await, "invalid_audience");
}

on_both_backends!(
    machine_clients_pass_the_proxy_with_bearer_tokens,
    access_tokens_need_bearer_audiences,
);
