//! SPEC §15 behind the real proxies: README's "Protect several applications" — its rules and both
//! of its proxy configurations exactly — with people (cookies), machine clients (an API key and a
//! JWT access token) and a client that forges forwarded headers from outside `--trusted-proxies`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use super::postgres::TempDatabase;
use super::stack::*;

const API_AUDIENCE: &str = "https://api.example.test";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn sign(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("sign")
}

/// What the test needs of lanyard once configured.
struct Callers {
    admin: reqwest::Client,
    /// Kate, signed in through SSO, in Finance.
    kate: reqwest::Client,
    /// The deploy job's API key (Automation).
    deploy_key: String,
    /// A reporting service's access token (groups claim `automation`).
    report_token: String,
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

/// Sets lanyard up as README's worked example says: groups, mappings, the API key, the rules.
async fn configure(sso: &str) -> Callers {
    let admin = browser();
    let setup = admin
        .post(format!("{sso}/api/setup"))
        .json(&json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .expect("setup");
    assert_eq!(setup.status(), 200);
    let mut ids = Vec::new();
    for name in ["Finance", "Automation"] {
        let group = json_of(
            admin
                .post(format!("{sso}/api/permissions/group"))
                .json(&json!({"name": name}))
                .send()
                .await
                .expect("group"),
        )
        .await;
        ids.push(group["id"].clone());
    }
    // README's rules, localised like the proxy configurations.
    let mut settings: Value =
        serde_json::from_str(&readme_config("policies").replace("example.com", "example.test"))
            .expect("README's rules are JSON");
    settings["jwt_enabled"] = json!(true);
    settings["jwt_identity_provider_uri"] = json!(format!("{sso}/demo-idp"));
    settings["jwt_shared_secret"] = json!(KEY);
    settings["jwt_group_sync"] = json!(true);
    settings["jwt_group_mappings"] = json!({"finance": [ids[0]], "automation": [ids[1]]});
    let saved = admin
        .put(format!("{sso}/api/setting/jwt"))
        .json(&settings)
        .send()
        .await
        .expect("settings");
    assert_eq!(
        saved.status(),
        200,
        "{}",
        saved.text().await.unwrap_or_default()
    );
    let key = json_of(
        admin
            .post(format!("{sso}/api/api-key"))
            .json(&json!({"name": "deploy", "group_ids": [ids[1]]}))
            .send()
            .await
            .expect("key"),
    )
    .await;
    let kate = browser();
    let token = sign(&json!({"email": "kate@example.test", "groups": ["finance"], "iat": now()}));
    let signed = kate
        .get(format!("{sso}/auth/sso"))
        .query(&[("jwt", token.as_str())])
        .send()
        .await
        .expect("sso");
    assert_eq!(signed.status(), 302);
    Callers {
        admin,
        kate,
        deploy_key: key["key"].as_str().expect("key").to_owned(),
        report_token: sign(
            &json!({"sub": "reporting", "aud": API_AUDIENCE, "iat": now(),
                                   "exp": now() + 3600, "groups": ["automation"]}),
        ),
    }
}

/// `client` asks `url` (with `authorization`): the status, and what the upstream saw when it was
/// reached.
async fn visit(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
) -> (u16, Value, String) {
    let mut request = client
        .get(url)
        // Forged: the proxy must replace them with lanyard's answer.
        .header("x-auth-request-user", "1")
        .header("x-auth-request-groups", "Administrators");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("visit");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let echo = if status == 200 {
        response.json().await.unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    (status, echo["headers"].clone(), challenge)
}

async fn through(proxy: &str, port: u16, callers: &Callers, upstream: &Mutex<Vec<Value>>) {
    let app = |host: &str, path: &str| format!("http://{host}:{port}{path}");
    let anonymous = browser();

    let (status, seen, _) = visit(&anonymous, &app("wiki.example.test", "/health"), None).await;
    assert_eq!(status, 200, "{proxy}: the public health check");
    // nginx leaves an empty header out, Caddy sends it empty: either way, nothing forged.
    for name in [
        "x-auth-request-user",
        "x-auth-request-groups",
        "x-lanyard-assertion",
    ] {
        assert_eq!(
            seen[name].as_str().unwrap_or_default(),
            "",
            "{proxy}: {name}: {seen}"
        );
    }
    let (status, _, _) = visit(&anonymous, &app("wiki.example.test", "/page"), None).await;
    assert_eq!(status, 401, "{proxy}: the wiki needs a session");

    let (status, seen, _) = visit(&callers.kate, &app("wiki.example.test", "/page"), None).await;
    assert_eq!(status, 200, "{proxy}");
    assert_eq!(
        seen["x-auth-request-email"], "kate@example.test",
        "{proxy}: {seen}"
    );
    assert!(
        !seen["x-lanyard-assertion"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{proxy}"
    );
    let (status, _, _) = visit(
        &callers.kate,
        &app("wiki.example.test", "/admin/users"),
        None,
    )
    .await;
    assert_eq!(
        status, 403,
        "{proxy}: the wiki's admin area is for administrators"
    );
    let (status, _, _) = visit(
        &callers.kate,
        &app("wiki.example.test", "/admin/../page"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{proxy}: a path is judged resolved");
    let (status, _, _) = visit(
        &callers.admin,
        &app("wiki.example.test", "/admin/users"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{proxy}: an administrator");
    let (status, seen, _) =
        visit(&callers.kate, &app("finance.example.test", "/books"), None).await;
    assert_eq!(
        (status, seen["x-auth-request-groups"].as_str()),
        (200, Some("All%20Users,Finance")),
        "{proxy}"
    );
    let (status, _, _) = visit(&callers.admin, &app("finance.example.test", "/books"), None).await;
    assert_eq!(status, 403, "{proxy}: Finance only");
    for client in [&callers.admin, &callers.kate] {
        let (status, _, _) = visit(client, &app("legacy.example.test", "/"), None).await;
        assert_eq!(status, 403, "{proxy}: the default denies");
    }

    // Machine clients.
    let key = format!("Bearer {}", callers.deploy_key);
    let (status, seen, _) =
        visit(&anonymous, &app("api.example.test", "/deploy"), Some(&key)).await;
    assert_eq!(status, 200, "{proxy}: the deploy job");
    assert_eq!(
        seen["x-auth-request-user"], "api-key:deploy",
        "{proxy}: {seen}"
    );
    assert_eq!(seen["x-auth-request-groups"], "Automation", "{proxy}");
    let (status, _, _) = visit(
        &anonymous,
        &app("finance.example.test", "/books"),
        Some(&key),
    )
    .await;
    assert_eq!(status, 403, "{proxy}: the key is not in Finance");
    let token = format!("Bearer {}", callers.report_token);
    let (status, seen, _) = visit(
        &anonymous,
        &app("api.example.test", "/report"),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "{proxy}: the reporting service");
    assert_eq!(seen["x-auth-request-user"], "reporting", "{proxy}: {seen}");
    let (status, _, challenge) = visit(
        &anonymous,
        &app("api.example.test", "/deploy"),
        Some("Bearer lanyard_wrong"),
    )
    .await;
    assert_eq!(status, 401, "{proxy}: a wrong key");
    assert_eq!(challenge, "Bearer error=\"invalid_token\"", "{proxy}");
    // A bearer wins over the admin's cookie (the admin may not reach the API; the key may).
    let (status, seen, _) = visit(
        &callers.admin,
        &app("api.example.test", "/deploy"),
        Some(&key),
    )
    .await;
    assert_eq!(
        (status, seen["x-auth-request-user"].as_str()),
        (200, Some("api-key:deploy")),
        "{proxy}"
    );

    let reached = upstream.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        reached
            .iter()
            .all(|r| r["headers"]["x-auth-request-groups"] != "Administrators"),
        "{proxy}: a forged header never reached the upstream"
    );
}

/// The worked example on `database_url`.
async fn several_applications_behind_nginx_and_caddy(database_url: String) {
    let Ok(bin) = std::env::var("LANYARD_BIN") else {
        eprintln!("skipped: LANYARD_BIN is not set (make test sets it)");
        return;
    };
    // README's start line: only 127.0.0.1 is a trusted proxy, so 127.0.0.2 below is not.
    let stack = start_lanyard(&bin, &database_url, &["--trusted-proxies", "127.0.0.1/32"]).await;
    let (ports, sso, upstream) = (stack.ports, &stack.sso, &stack.upstream);
    let callers = configure(sso).await;

    let _nginx = start_nginx(&stack.nginx_dir, ports, "nginx-policies").await;
    let _caddy = start_caddy(&stack.caddy_dir, ports, "caddy-policies").await;
    through("nginx", ports.nginx, &callers, upstream).await;
    through("caddy", ports.caddy, &callers, upstream).await;

    // Straight to lanyard from 127.0.0.2, outside --trusted-proxies, with forged forwarded
    // headers naming the API: judged as a request for lanyard's own host, which no rule names.
    let outsider = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .expect("client");
    let forged = outsider
        .get(format!("http://127.0.0.1:{}/auth/verify", ports.lanyard))
        .header("x-forwarded-host", "api.example.test")
        .header("x-original-uri", "/deploy")
        .header("authorization", format!("Bearer {}", callers.deploy_key))
        .send()
        .await
        .expect("forged");
    assert_eq!(
        forged.status(),
        403,
        "the forged host is ignored: the default denies"
    );
    let from_proxy = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/auth/verify", ports.lanyard))
        .header("x-forwarded-host", "api.example.test")
        .header("x-original-uri", "/deploy")
        .header("authorization", format!("Bearer {}", callers.deploy_key))
        .send()
        .await
        .expect("trusted");
    assert_eq!(
        from_proxy.status(),
        200,
        "the same request from a trusted proxy"
    );
}

#[tokio::test]
async fn several_applications_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    several_applications_behind_nginx_and_caddy(format!(
        "sqlite://{}",
        dir.path().join("lanyard.db").display()
    ))
    .await;
}

#[tokio::test]
async fn several_applications_on_postgres() {
    let Ok(admin_url) = std::env::var("LANYARD_TEST_POSTGRES_URL") else {
        eprintln!("skipped: LANYARD_TEST_POSTGRES_URL is not set");
        return;
    };
    let database = TempDatabase::create(&admin_url, "lanyard_policies").await;
    several_applications_behind_nginx_and_caddy(database.url.to_string()).await;
    database.drop().await;
}
