//! Forward auth behind the real proxies (SPEC §13, issue 9): Debian's nginx and Caddy, started here on
//! loopback ports with the very configurations README's "Protect an application" shows (read from
//! README.md, with test host names and ports), in front of a small upstream that echoes the headers
//! it receives. On SQLite, and on PostgreSQL when `LANYARD_TEST_POSTGRES_URL` is set.
//!
//! Needs the built server (`LANYARD_BIN`), `nginx` and `caddy` — `make test` provides them; without
//! them the tests say they were skipped.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

mod common;
#[path = "common/postgres.rs"]
mod postgres;
use common::{free_port, wait_for_port};
use postgres::TempDatabase;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const ADMIN: &str = "admin@example.test";
const PASSWORD: &str = "correct horse battery";
const SSO_HOST: &str = "sso.example.test";
const APP_HOST: &str = "app.example.test";

/// The fenced block that follows `<!-- proxy-config: NAME -->` in README.md.
fn readme_config(name: &str) -> String {
    let readme = include_str!("../../README.md");
    let marker = format!("<!-- proxy-config: {name} -->");
    let after = readme
        .split_once(&marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let body = after
        .split_once("```")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, rest)| rest)
        .expect("a fenced block");
    body.split_once("```")
        .map(|(block, _)| block)
        .expect("closed")
        .to_owned()
}

/// The ports of one stack.
#[derive(Clone, Copy)]
struct Ports {
    lanyard: u16,
    upstream: u16,
    nginx: u16,
    caddy: u16,
}

/// README's example addresses → this test's.
fn localise(config: &str, ports: Ports) -> String {
    config
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{}", ports.lanyard))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", ports.upstream))
        .replace("example.com", "example.test")
}

fn kill_on_drop(child: Child) -> Process {
    Process(child)
}

/// A child process, killed when the test ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// An upstream application that answers every request with the request's path and headers as
/// JSON, and remembers what it received.
async fn echo_upstream(port: u16) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("upstream binds");
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&buffer).into_owned();
                let mut lines = text.split("\r\n");
                let path = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or("")
                    .to_owned();
                let mut headers = serde_json::Map::new();
                for line in lines.take_while(|l| !l.is_empty()) {
                    if let Some((name, value)) = line.split_once(':') {
                        headers.insert(name.trim().to_ascii_lowercase(), json!(value.trim()));
                    }
                }
                let body = json!({"path": path, "headers": headers});
                if let Ok(mut seen) = log.lock() {
                    seen.push(body.clone());
                }
                let body = body.to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    seen
}

async fn start_nginx(dir: &Path, ports: Ports) -> Process {
    let server_block = localise(&readme_config("nginx"), ports)
        .replace("listen 80;", &format!("listen 127.0.0.1:{};", ports.nginx));
    let d = dir.display();
    let config = format!(
        "worker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n \
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         {server_block}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), config).expect("nginx.conf");
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts");
    wait_for_port(ports.nginx).await;
    kill_on_drop(child)
}

async fn start_caddy(dir: &Path, ports: Ports) -> Process {
    let site = localise(&readme_config("caddy"), ports).replace(
        &format!("{APP_HOST} {{"),
        &format!("http://{APP_HOST}:{} {{\n\tbind 127.0.0.1", ports.caddy),
    );
    let config = format!("{{\n\tadmin off\n\tauto_https off\n}}\n\n{site}");
    std::fs::write(dir.join("Caddyfile"), config).expect("Caddyfile");
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("caddy starts");
    wait_for_port(ports.caddy).await;
    kill_on_drop(child)
}

/// A client as a browser behaves here: a cookie jar, no automatic redirects (each hop is checked),
/// and the test host names pointed at loopback.
fn browser() -> reqwest::Client {
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .resolve(SSO_HOST, loopback)
        .resolve(APP_HOST, loopback)
        .build()
        .expect("client")
}

fn location(response: &reqwest::Response) -> String {
    let base = response.url().clone();
    let raw = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location");
    base.join(raw).expect("a URL").into()
}

/// The whole stack: lanyard on `database_url` behind nginx and Caddy, both tested end to end.
async fn forward_auth_behind_nginx_and_caddy(database_url: String) {
    let Ok(bin) = std::env::var("LANYARD_BIN") else {
        eprintln!("skipped: LANYARD_BIN is not set (make test sets it)");
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    // nginx drops its workers' privileges when run as root; let them use the work dir.
    let _ = std::fs::set_permissions(
        work.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    );
    let ports = Ports {
        lanyard: free_port(),
        upstream: free_port(),
        nginx: free_port(),
        caddy: free_port(),
    };
    let sso = format!("http://{SSO_HOST}:{}", ports.lanyard);
    let lanyard = Command::new(&bin)
        .args(["serve", "--demo-idp", "--static-dir", "/nonexistent"])
        .args(["--listen", &format!("127.0.0.1:{}", ports.lanyard)])
        .args(["--site-url", &sso, "--cookie-domain", "example.test"])
        .args(["--database-url", &database_url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("lanyard starts");
    let _lanyard = kill_on_drop(lanyard);
    wait_for_port(ports.lanyard).await;
    let upstream = echo_upstream(ports.upstream).await;

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

    let nginx_dir = work.path().join("nginx");
    let caddy_dir = work.path().join("caddy");
    for dir in [&nginx_dir, &caddy_dir] {
        std::fs::create_dir_all(dir).expect("dir");
        let _ = std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777));
    }
    let _nginx = start_nginx(&nginx_dir, ports).await;
    let _caddy = start_caddy(&caddy_dir, ports).await;

    for (proxy, port) in [("nginx", ports.nginx), ("caddy", ports.caddy)] {
        let app = format!("http://{APP_HOST}:{port}");
        one_proxy(proxy, &app, &sso, &upstream).await;
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
