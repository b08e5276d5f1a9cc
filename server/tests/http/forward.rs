//! SPEC §13 over HTTP: `/auth/verify` for reverse proxies, the assertion and its keys, the cookie
//! domain. (The real nginx and Caddy run in `tests/tests/proxies.rs`.)

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::support::*;

/// Kate, signed in through SSO with the groups `groups`: her session cookie.
async fn kate(server: &Server, groups: Value) -> String {
    let token = token(&claims("kate@example.com", json!({"groups": groups})));
    let response = server.sso(&token, &[]).await;
    assert_eq!(response.status(), 302);
    session_cookie(response.headers()).expect("session")
}

/// The headers every answer a browser may be shown carries, and a `200` for the proxy does not.
const BROWSER_ONLY: [&str; 4] = [
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
];

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap_or("").to_owned())
}

async fn a_signed_in_request_gets_the_identity_headers_and_a_verifiable_assertion(server: Server) {
    let admin = server.configured(json!({"jwt_group_sync": true})).await;
    let (_, finance) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "R&D, EU"}),
        )
        .await;
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"rd": [finance["id"]]}, "version": view["version"]}),
        )
        .await;
    let cookie = kate(&server, json!(["rd"])).await;
    let response = server
        .verify(
            "",
            &[("cookie", &cookie), ("x-forwarded-host", "app.example.com")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    // The proxy alone reads a 200 (it copies the identity headers onto the request it lets
    // through): the headers that guard a page in a browser are left off it.
    for browser_only in BROWSER_ONLY {
        assert_eq!(header(&response, browser_only), None, "{browser_only}");
    }
    assert_eq!(
        header(&response, "x-auth-request-email").as_deref(),
        Some("kate@example.com")
    );
    assert_eq!(
        header(&response, "x-auth-request-preferred-username").as_deref(),
        Some("Kate Bush")
    );
    assert_eq!(
        header(&response, "x-auth-request-groups").as_deref(),
        Some("All%20Users,R%26D%2C%20EU")
    );
    let user = header(&response, "x-auth-request-user").expect("user id");
    let assertion = header(&response, "x-lanyard-assertion").expect("assertion");

    let (_, jwks) = server.get_json("", "/.well-known/jwks.json").await;
    let jwks: JwkSet = serde_json::from_value(jwks).expect("a JWK Set");
    let kid = jsonwebtoken::decode_header(&assertion)
        .expect("header")
        .kid
        .expect("kid");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["app.example.com"]);
    validation.set_issuer(&[server.base.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(
        &assertion,
        &DecodingKey::from_jwk(jwks.find(&kid).expect("published")).expect("key"),
        &validation,
    )
    .expect("the assertion verifies")
    .claims;
    assert_eq!(claims["sub"], user);
    assert_eq!(claims["email"], "kate@example.com");
    assert_eq!(claims["groups"], json!(["All Users", "R&D, EU"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        60
    );

    // The session id of a JSON-mode login works as a bearer token too.
    let json_login = server
        .sso(&token(&claims_for("sam@example.com")), &[("token", "true")])
        .await;
    let body: Value = json_login.json().await.expect("json");
    let bearer = format!("Bearer {}", body["id"].as_str().expect("id"));
    let response = server.verify("", &[("authorization", &bearer)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-auth-request-email").as_deref(),
        Some("sam@example.com")
    );
}

fn claims_for(email: &str) -> Value {
    claims(email, json!({}))
}

async fn locations_restricted_by_group_or_admin_refuse_others_with_403(server: Server) {
    let admin = server.configured(json!({})).await;
    let cookie = kate(&server, json!([])).await;
    for (query, status) in [
        ("", 200),
        ("?group=Finance", 403),
        ("?group=Finance&group=All%20Users", 200),
        ("?admin=true", 403),
    ] {
        assert_eq!(
            server
                .verify(query, &[("cookie", &cookie)])
                .await
                .status()
                .as_u16(),
            status,
            "{query}"
        );
    }
    let response = server.verify("?admin=true", &[("cookie", &admin)]).await;
    assert_eq!(response.status(), 200);
    let forbidden: Value = server
        .verify("?group=Finance", &[("cookie", &cookie)])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(forbidden["error"]["code"], "forbidden");
}

async fn without_a_session_proxies_get_401_or_a_redirect_to_sign_in(server: Server) {
    server.configured(json!({})).await;
    let response = server.verify("", &[]).await;
    assert_eq!(response.status(), 401);
    assert_eq!(header(&response, "x-auth-request-email"), None);
    // Caddy and Traefik hand a refusal to the browser as it is: it keeps the page's guards.
    for browser_only in BROWSER_ONLY {
        assert!(header(&response, browser_only).is_some(), "{browser_only}");
    }
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthenticated");

    // Caddy and Traefik pass the original request; a browser is sent to sign in and back.
    let host = server.base.trim_start_matches("http://").to_owned();
    let forwarded = [
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", host.as_str()),
        ("x-forwarded-uri", "/reports?q=1&x=2"),
        ("accept", "text/html,application/xhtml+xml"),
    ];
    let response = server.verify("", &forwarded).await;
    assert_eq!(response.status(), 302);
    for browser_only in BROWSER_ONLY {
        assert!(header(&response, browser_only).is_some(), "{browser_only}");
    }
    let location = header(&response, "location").expect("location");
    let expected_return = format!("http://{host}/reports?q=1&x=2");
    let start = url::Url::parse(&location).expect("absolute");
    assert_eq!(start.path(), "/auth/sso");
    assert_eq!(
        start
            .query_pairs()
            .find(|(k, _)| k == "return_to")
            .map(|(_, v)| v.into_owned()),
        Some(expected_return)
    );
    // An API client (no text/html) gets the 401; so does a host outside the site.
    assert_eq!(server.verify("", &forwarded[..3]).await.status(), 401);
    let elsewhere = [
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "evil.example.net"),
        ("x-forwarded-uri", "/"),
        ("accept", "text/html"),
    ];
    assert_eq!(server.verify("", &elsewhere).await.status(), 401);
    // A deactivated or signed-out session is a 401 at once.
    let cookie = kate(&server, json!([])).await;
    assert_eq!(
        server.verify("", &[("cookie", &cookie)]).await.status(),
        200
    );
    server
        .send(reqwest::Method::DELETE, &cookie, "/api/session", None)
        .await;
    assert_eq!(
        server.verify("", &[("cookie", &cookie)]).await.status(),
        401
    );
}

async fn a_rotated_key_signs_from_then_on_and_the_old_one_stays_published(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, before) = server.get_json("", "/.well-known/jwks.json").await;
    let old_kid = before["keys"][0]["kid"].clone();
    assert_eq!(before["keys"].as_array().map(Vec::len), Some(1));
    let (status, rotated) = server
        .post_json(&admin, "/api/setting/assertion-key/rotate", &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_ne!(rotated["kid"], old_kid);
    let (_, after) = server.get_json("", "/.well-known/jwks.json").await;
    let kids: Vec<_> = after["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(
        kids,
        [rotated["kid"].clone(), old_kid],
        "new first, old still published"
    );
    let cookie = kate(&server, json!([])).await;
    let response = server.verify("", &[("cookie", &cookie)]).await;
    let assertion = header(&response, "x-lanyard-assertion").expect("assertion");
    let kid = jsonwebtoken::decode_header(&assertion).expect("header").kid;
    assert_eq!(kid.as_deref(), rotated["kid"].as_str());
    // Only admins rotate.
    assert_eq!(
        server
            .post_json(&cookie, "/api/setting/assertion-key/rotate", &json!({}))
            .await
            .0,
        403
    );
}

/// SPEC §15 at `/auth/verify`: the first matching policy decides — a public bypass, a denied path,
/// an app for one group — and the default covers the rest.
async fn access_policies_decide_before_the_session(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, finance) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let (status, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "access_policies": [
                {"name": "health", "hosts": ["app.example.test"], "paths": ["/health"], "action": "bypass"},
                {"name": "admin area", "hosts": ["app.example.test"], "paths": ["/admin/**"], "action": "deny"},
                {"name": "finance", "hosts": ["finance.example.test"], "action": "allow", "groups": ["Finance"]},
                {"name": "app", "hosts": ["app.example.test"], "action": "allow"},
            ],
            "access_default": "deny",
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    // The change is audited, rules and all (SPEC §15).
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=5").await;
    let entries = audit["data"].as_array().expect("entries");
    let change = entries
        .iter()
        .find(|e| e["event"] == "settings_changed")
        .expect("settings_changed");
    let text = change.to_string();
    assert!(
        text.contains("access_policies")
            && text.contains("admin area")
            && text.contains("/admin/**"),
        "{change}"
    );
    let ask = |cookie: &str, host: &str, uri: &str| {
        let (cookie, host, uri) = (cookie.to_owned(), host.to_owned(), uri.to_owned());
        let server = &server;
        async move {
            let mut request = server
                .http
                .get(server.url("/auth/verify"))
                .header("x-forwarded-host", host)
                .header("x-forwarded-uri", uri);
            if !cookie.is_empty() {
                request = request.header("cookie", cookie);
            }
            request.send().await.expect("verify")
        }
    };
    let health = ask("", "app.example.test", "/health").await;
    assert_eq!(health.status(), 200, "a bypass needs no session");
    assert_eq!(header(&health, "x-auth-request-email").as_deref(), Some(""));
    assert_eq!(
        header(&health, "x-lanyard-assertion").as_deref(),
        Some(""),
        "no identity, no assertion"
    );
    assert_eq!(
        ask(&admin, "app.example.test", "/admin/x/../users")
            .await
            .status(),
        403
    );
    assert_eq!(
        ask(&admin, "app.example.test", "/reports").await.status(),
        200
    );
    assert_eq!(ask("", "app.example.test", "/reports").await.status(), 401);
    assert_eq!(
        ask(&admin, "finance.example.test", "/").await.status(),
        403,
        "not in Finance"
    );
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    let (status, _) = server
        .post_json(
            &admin,
            &format!("/api/permissions/group/{}/members", finance["id"]),
            &json!({"user_id": me["id"]}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(ask(&admin, "finance.example.test", "/").await.status(), 200);
    // The tester answers as /auth/verify does, for a user by id and for group names.
    for (caller, answer) in [
        (json!({"user_id": me["id"]}), "allowed"),
        (json!({"groups": ["Sales"]}), "denied"),
    ] {
        let mut body = json!({"host": "finance.example.test", "uri": "/", "method": "GET"});
        for (k, v) in caller.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, result) = server
            .post_json(&admin, "/api/setting/policies/test", &body)
            .await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["answer"], answer, "{result}");
        assert_eq!(result["decision"]["rule_name"], "finance", "{result}");
    }
    assert_eq!(
        ask(&admin, "other.example.test", "/").await.status(),
        403,
        "the default denies"
    );
}

/// SPEC §15: forwarded headers count only from `--trusted-proxies`; one host exactly gets an
/// assertion; a trusted proxy's `X-Forwarded-For` is the address `networks` rules see.
async fn only_trusted_proxies_are_believed(server: Server) {
    let admin = server.configured(json!({})).await;
    let (status, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "access_policies": [
                {"name": "office", "paths": ["/internal/"], "networks": ["10.0.0.0/8"], "action": "bypass"},
                {"name": "no finance", "hosts": ["finance.example.test"], "action": "deny"},
            ],
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    let ask = |headers: Vec<(&'static str, &'static str)>, cookie: Option<&str>| {
        let server = &server;
        let cookie = cookie.map(str::to_owned);
        async move {
            let mut request = server.http.get(server.url("/auth/verify"));
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            request.send().await.expect("verify")
        }
    };
    // From loopback (trusted by default): a list of hosts gets no assertion; one host does.
    let listed = ask(
        vec![("x-forwarded-host", "app.example.test, finance.example.test")],
        Some(&admin),
    )
    .await;
    assert_eq!(listed.status(), 200);
    assert_eq!(header(&listed, "x-lanyard-assertion").as_deref(), Some(""));
    let one = ask(vec![("x-forwarded-host", "app.example.test")], Some(&admin)).await;
    assert!(header(&one, "x-lanyard-assertion").is_some_and(|a| a.split('.').count() == 3));
    assert_eq!(
        ask(
            vec![("x-forwarded-host", "finance.example.test")],
            Some(&admin)
        )
        .await
        .status(),
        403
    );
    // The address a trusted proxy forwarded decides `networks`; the rightmost untrusted entry counts.
    let inside = ask(
        vec![
            ("x-forwarded-uri", "/internal/x"),
            ("x-forwarded-for", "192.168.0.9, 10.1.2.3"),
        ],
        None,
    )
    .await;
    assert_eq!(inside.status(), 200);
    let outside = ask(
        vec![
            ("x-forwarded-uri", "/internal/x"),
            ("x-forwarded-for", "10.1.2.3, 192.168.0.9"),
        ],
        None,
    )
    .await;
    assert_eq!(outside.status(), 401);
}

/// From a client that is not a trusted proxy, forwarded headers are ignored: the request is judged
/// as addressed to lanyard itself, and no assertion names a host the client chose.
#[tokio::test]
async fn forwarded_headers_from_anyone_else_are_ignored() {
    let server = Server::sqlite_with(|options| {
        options.trusted_proxies = vec!["10.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    let admin = server.configured(json!({})).await;
    let (status, _) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "access_policies": [{"name": "no finance", "hosts": ["finance.example.test"], "action": "deny"}],
        }))
        .await;
    assert_eq!(status, 200);
    let response = server
        .http
        .get(server.url("/auth/verify"))
        .header("cookie", &admin)
        .header("x-forwarded-host", "finance.example.test")
        .send()
        .await
        .expect("verify");
    assert_eq!(
        response.status(),
        200,
        "judged as a request to lanyard itself"
    );
    assert_eq!(
        header(&response, "x-lanyard-assertion").as_deref(),
        Some(""),
        "no assertion for a host the client chose"
    );
    assert_eq!(
        header(&response, "x-auth-request-email").as_deref(),
        Some(ADMIN_EMAIL)
    );
}

on_both_backends!(
    only_trusted_proxies_are_believed,
    access_policies_decide_before_the_session,
    a_signed_in_request_gets_the_identity_headers_and_a_verifiable_assertion,
    locations_restricted_by_group_or_admin_refuse_others_with_403,
    without_a_session_proxies_get_401_or_a_redirect_to_sign_in,
    a_rotated_key_signs_from_then_on_and_the_old_one_stays_published,
);

/// With `--cookie-domain`, the cookie carries that Domain and `return_to` may name its hosts.
#[tokio::test]
async fn the_cookie_domain_widens_the_cookie_and_return_to() {
    let server =
        Server::sqlite_with(|options| options.cookie_domain = Some("example.test".into())).await;
    server.configured(json!({})).await;
    let kate_token = token(&claims("kate@example.com", json!({})));
    let response = server
        .sso(
            &kate_token,
            &[("return_to", "http://app.example.test:8080/x?y=1")],
        )
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()[LOCATION],
        "http://app.example.test:8080/x?y=1"
    );
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(set_cookie.contains("Domain=example.test"), "{set_cookie}");
    let lookalike = server
        .sso(
            &token(&claims("sam@example.com", json!({}))),
            &[
                ("return_to", "http://example.test.evil.net/"),
                ("response", "json"),
            ],
        )
        .await;
    assert_eq!(lookalike.status(), 400);
    // Signing out clears the cookie on the same Domain.
    let cookie = session_cookie(response.headers()).expect("cookie");
    let out = server
        .http
        .delete(server.url("/api/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sign out");
    let removal = out.headers()["set-cookie"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        removal.contains("Domain=example.test") && removal.contains("Max-Age=0"),
        "{removal}"
    );
}
