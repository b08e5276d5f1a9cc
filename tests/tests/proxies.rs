//! Forward auth behind the real proxies (SPEC §13, issue 9): Debian's nginx and Caddy, started here on
//! loopback ports with the very configurations README's "Protect an application" shows (read from
//! README.md, with test host names and ports), in front of a small upstream that echoes the headers
//! it receives. On SQLite, and on PostgreSQL when `LANYARD_TEST_POSTGRES_URL` is set. The access
//! policies' worked example (SPEC §15) is in `proxies/policies.rs`, the shared parts in
//! `proxies/stack.rs`.
//!
//! Needs the built server (`LANYARD_BIN`), `nginx` and `caddy` — `make test` provides them; without
//! them the tests say they were skipped.

use std::sync::Mutex;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

mod common;
#[path = "proxies/policies.rs"]
mod policies;
#[path = "common/postgres.rs"]
mod postgres;
#[path = "proxies/stack.rs"]
mod stack;
use postgres::TempDatabase;
use stack::*;

/// The whole stack: lanyard on `database_url` behind nginx and Caddy, both tested end to end.
async fn forward_auth_behind_nginx_and_caddy(database_url: String) {
    let Ok(bin) = std::env::var("LANYARD_BIN") else {
        eprintln!("skipped: LANYARD_BIN is not set (make test sets it)");
        return;
    };
    let stack = start_lanyard(&bin, &database_url, &[]).await;
    let (ports, sso, upstream) = (stack.ports, &stack.sso, &stack.upstream);

    // The admin: JWT SSO against the demo IdP, group sync, "finance" → Finance.
    let admin = browser();
    let setup = admin
        .post(format!("{sso}/api/setup"))
        .json(&json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .expect("setup");
    assert_eq!(setup.status(), 200);
    let settings = json!({"jwt_enabled": true, "jwt_identity_provider_uri": format!("{sso}/demo-idp"),
                          "jwt_shared_secret": KEY, "jwt_group_sync": true});
    let saved = admin
        .put(format!("{sso}/api/setting/jwt"))
        .json(&settings)
        .send()
        .await
        .expect("settings");
    assert_eq!(saved.status(), 200);
    let finance: Value = admin
        .post(format!("{sso}/api/permissions/group"))
        .json(&json!({"name": "Finance"}))
        .send()
        .await
        .expect("group")
        .json()
        .await
        .expect("json");
    let view: Value = admin
        .get(format!("{sso}/api/setting/jwt"))
        .send()
        .await
        .expect("view")
        .json()
        .await
        .expect("json");
    let mapped = admin
        .put(format!("{sso}/api/setting/jwt/mappings"))
        .json(&json!({"mappings": {"finance": [finance["id"]]}, "version": view["version"]}))
        .send()
        .await
        .expect("mappings");
    assert_eq!(mapped.status(), 200);

    let _nginx = start_nginx(&stack.nginx_dir, ports, "nginx").await;
    let _caddy = start_caddy(&stack.caddy_dir, ports, "caddy").await;

    for (proxy, port) in [("nginx", ports.nginx), ("caddy", ports.caddy)] {
        let app = format!("http://{APP_HOST}:{port}");
        one_proxy(proxy, &app, sso, upstream).await;
    }
}

/// The flow through one proxy in front of the echo upstream at `app`.
async fn one_proxy(proxy: &str, app: &str, sso: &str, upstream: &Mutex<Vec<Value>>) {
    let seen_before = upstream.lock().map(|s| s.len()).unwrap_or(0);
    let kate = browser();
    let original = format!("{app}/reports/q1?x=1&y=2");

    // Unauthenticated browser → the SSO start with the original URL as return_to.
    let first = kate
        .get(&original)
        .header("accept", "text/html")
        .send()
        .await
        .expect("first");
    assert_eq!(
        first.status(),
        302,
        "{proxy}: a browser without a session is sent to sign in"
    );
    let start = location(&first);
    let start_url = url::Url::parse(&start).expect("url");
    assert_eq!(
        format!(
            "{}://{}:{}",
            start_url.scheme(),
            start_url.host_str().unwrap_or(""),
            start_url.port().unwrap_or(0)
        ),
        sso
    );
    assert_eq!(start_url.path(), "/auth/sso");
    assert_eq!(
        start_url
            .query_pairs()
            .find(|(k, _)| k == "return_to")
            .map(|(_, v)| v.into_owned()),
        Some(original.clone()),
        "{proxy}"
    );
    // → the demo IdP → back to /auth/sso with a token → the original URL, signed in.
    let to_idp = kate.get(&start).send().await.expect("sso start");
    assert_eq!(to_idp.status(), 302);
    let idp = location(&to_idp);
    assert!(idp.starts_with(&format!("{sso}/demo-idp")), "{idp}");
    let signed = kate
        .post(format!("{sso}/demo-idp"))
        .form(&[
            ("email", "kate@example.test"),
            ("first_name", "Kate"),
            // Non-ASCII reaches the application as percent-encoded ASCII (README's one rule).
            ("last_name", "Büsch"),
            ("groups", "staff"),
            ("return_to", original.as_str()),
        ])
        .send()
        .await
        .expect("demo idp");
    assert_eq!(signed.status(), 302);
    let back = kate
        .get(location(&signed))
        .send()
        .await
        .expect("sso with jwt");
    assert_eq!(back.status(), 302, "{proxy}");
    assert_eq!(
        location(&back),
        original,
        "{proxy}: back at the original URL"
    );

    // The upstream sees the user — not what the client claims — and a verifiable assertion.
    let page: Value = kate
        .get(&original)
        .header("x-auth-request-email", "ceo@example.test")
        .header("x-auth-request-groups", "Administrators")
        .send()
        .await
        .expect("page")
        .json()
        .await
        .expect("the upstream's echo");
    let headers = &page["headers"];
    assert_eq!(page["path"], "/reports/q1?x=1&y=2", "{proxy}");
    assert_eq!(
        headers["x-auth-request-email"], "kate@example.test",
        "{proxy}: {headers}"
    );
    assert_eq!(headers["x-auth-request-groups"], "All%20Users", "{proxy}");
    assert_eq!(
        headers["x-auth-request-preferred-username"], "Kate B%C3%BCsch",
        "{proxy}"
    );
    let assertion = headers["x-lanyard-assertion"]
        .as_str()
        .expect("an assertion");
    let jwks: JwkSet = reqwest::get(format!(
        "http://127.0.0.1:{}/.well-known/jwks.json",
        url::Url::parse(sso)
            .ok()
            .and_then(|u| u.port())
            .unwrap_or(0)
    ))
    .await
    .expect("jwks")
    .json()
    .await
    .expect("a JWK Set");
    let kid = jsonwebtoken::decode_header(assertion)
        .expect("header")
        .kid
        .expect("kid");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[sso]);
    validation.set_audience(&[app.trim_start_matches("http://")]);
    let claims = jsonwebtoken::decode::<Value>(
        assertion,
        &DecodingKey::from_jwk(jwks.find(&kid).expect("published")).expect("key"),
        &validation,
    )
    .unwrap_or_else(|e| panic!("{proxy}: the assertion verifies: {e}"))
    .claims;
    assert_eq!(claims["email"], "kate@example.test");
    assert_eq!(claims["sub"], headers["x-auth-request-user"]);

    // A group-restricted location refuses a non-member.
    let finance = kate
        .get(format!("{app}/finance/books"))
        .send()
        .await
        .expect("finance");
    assert_eq!(finance.status(), 403, "{proxy}: Kate is not in Finance");

    // A member gets in: Kate signs in again, now in the IdP's "finance" group.
    let again = kate
        .get(format!("{sso}/auth/sso"))
        .query(&[("return_to", format!("{app}/finance/books"))])
        .send()
        .await
        .expect("again");
    let signed = kate
        .post(format!("{sso}/demo-idp"))
        .form(&[
            ("email", "kate@example.test"),
            ("groups", "finance"),
            ("return_to", &format!("{app}/finance/books")),
        ])
        .send()
        .await
        .expect("demo idp");
    assert_eq!(again.status(), 302);
    let back = kate.get(location(&signed)).send().await.expect("sso");
    assert_eq!(back.status(), 302);
    let books = kate
        .get(format!("{app}/finance/books"))
        .send()
        .await
        .expect("finance");
    assert_eq!(books.status(), 200, "{proxy}: a Finance member gets in");

    // After sign-out the next request is sent to sign in again — with the cookie gone from the
    // jar, and with the old session id replayed by hand.
    let cookie = kate
        .get(format!("{sso}/api/user/current"))
        .send()
        .await
        .expect("me");
    assert_eq!(cookie.status(), 200);
    let out = kate
        .delete(format!("{sso}/api/session"))
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), 204);
    let after = kate
        .get(&original)
        .header("accept", "text/html")
        .send()
        .await
        .expect("after");
    assert_eq!(after.status(), 302, "{proxy}: signed out → sign in again");

    // Without a session a forged identity never reaches the upstream: an API client gets 401.
    let forger = browser();
    let forged = forger
        .get(format!("{app}/reports/q1"))
        .header("x-auth-request-email", "ceo@example.test")
        .header("x-auth-request-user", "1")
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), 401, "{proxy}");
    let seen = upstream
        .lock()
        .map(|s| s[seen_before..].to_vec())
        .unwrap_or_default();
    assert!(
        seen.iter()
            .all(|r| r["headers"]["x-auth-request-email"] == "kate@example.test"),
        "{proxy}: only Kate's own requests reached the upstream: {seen:?}"
    );
    assert_eq!(seen.len(), 2, "{proxy}: the page and the Finance book");
}

#[tokio::test]
async fn forward_auth_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    forward_auth_behind_nginx_and_caddy(format!(
        "sqlite://{}",
        dir.path().join("lanyard.db").display()
    ))
    .await;
}

#[tokio::test]
async fn forward_auth_on_postgres() {
    let Ok(admin_url) = std::env::var("LANYARD_TEST_POSTGRES_URL") else {
        eprintln!("skipped: LANYARD_TEST_POSTGRES_URL is not set");
        return;
    };
    let database = TempDatabase::create(&admin_url, "lanyard_proxies").await;
    forward_auth_behind_nginx_and_caddy(database.url.to_string()).await;
    database.drop().await;
}
