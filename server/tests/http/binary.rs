//! The `lanyard` binary itself: its logs, its CLI, its shutdown.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_lanyard");

/// A `lanyard serve` child process on a free port with JSON logs captured.
struct Process {
    child: Child,
    base: String,
    /// Its stdout and stderr, read as they come (a full pipe would block the server's logging).
    readers: Vec<std::thread::JoinHandle<String>>,
}

impl Process {
    fn serve(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
                "--log-format",
                "json",
                "--demo-idp",
            ])
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lanyard starts");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "lanyard did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut child = child;
        let streams = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ];
        let readers = streams
            .into_iter()
            .flatten()
            .map(|mut stream| {
                std::thread::spawn(move || {
                    let mut text = String::new();
                    let _ = stream.read_to_string(&mut text);
                    text
                })
            })
            .collect();
        Self {
            child,
            base,
            readers,
        }
    }

    /// SIGTERM, then the exit status and everything it logged.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "lanyard did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let logs = self
            .readers
            .drain(..)
            .map(|reader| reader.join().unwrap_or_default())
            .collect();
        (status, logs)
    }
}

#[tokio::test]
async fn logs_never_contain_tokens_keys_or_passwords_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let process = Process::serve(
        &url,
        &[
            ("LANYARD_ADMIN_EMAIL", ADMIN_EMAIL),
            ("LANYARD_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ],
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let login = http
        .post(format!("{}/api/session", process.base))
        .json(&json!({"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200, "LANYARD_ADMIN_EMAIL created the admin");
    let cookie = session_cookie(login.headers()).expect("cookie");
    const RING_SECRET: &str = "ring-secret-ring-secret-ring-secret-0123";
    let private_pem = include_str!("keys/r2048.key");
    let settings = json!({"jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com", "jwt_shared_secret": KEY,
                          "jwt_keys": [{"kid": "ring", "alg": "HS256", "secret": RING_SECRET}]});
    let saved = http
        .put(format!("{}/api/setting/jwt", process.base))
        .header("cookie", &cookie)
        .json(&settings)
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 200);
    // A private key pasted by mistake is refused — and never logged either.
    let refused = http
        .put(format!("{}/api/setting/jwt", process.base))
        .header("cookie", &cookie)
        .json(&json!({"jwt_keys": [{"kid": "oops", "alg": "RS256", "public_key": private_pem}]}))
        .send()
        .await
        .expect("put");
    assert_eq!(refused.status(), 400);
    let good = token(&claims("kate@example.com", json!({})));
    let response = http
        .get(format!("{}/auth/sso", process.base))
        .query(&[("jwt", &good)])
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 302);
    let bad = format!("{good}x");
    http.get(format!("{}/auth/sso", process.base))
        .query(&[("jwt", &bad)])
        .send()
        .await
        .expect("sso");

    let (status, logs) = process.stop();
    assert!(status.success(), "exit on SIGTERM: {status}");
    assert!(
        logs.contains("DEMO IdP ENABLED"),
        "the demo IdP is announced loudly"
    );
    assert!(
        logs.contains("\"path\":\"/auth/sso\""),
        "requests are logged: {logs}"
    );
    let session = cookie.trim_start_matches("lanyard.SESSION=");
    for secret in [
        good.as_str(),
        &good[..good.find('.').expect("dot")],
        KEY,
        RING_SECRET,
        private_pem.lines().nth(1).expect("a PEM body line"),
        ADMIN_PASSWORD,
        session,
    ] {
        assert!(!logs.contains(secret), "the logs leak {secret}");
    }
}

#[tokio::test]
async fn admin_create_makes_the_first_admin_and_refuses_a_second() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let create = |email: &str| {
        Command::new(BIN)
            .args(["admin", "create", "--email", email, "--database-url", &url])
            .env("LANYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .expect("runs")
    };
    assert!(create(ADMIN_EMAIL).status.success());
    let second = create("other@example.com");
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already exists"),
        "{second:?}"
    );
    let migrate = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .expect("runs");
    assert!(migrate.status.success(), "migrate is idempotent");
}

/// Issue 22 item 1: every secret-bearing setting and credential is saved or used, then no audit
/// page, CSV export, API answer (but the one that hands a new secret out) or log line holds any
/// secret, nor any 16-character piece of one.
#[tokio::test]
async fn no_secret_reaches_the_audit_log_the_export_an_api_answer_or_a_log_line() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let process = Process::serve(&url, &[]);
    let base = process.base.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let send = |method: reqwest::Method, path: &str, cookie: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{base}{path}"))
            .header("cookie", cookie.to_owned());
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let cookie = session_cookie(response.headers());
            let text = response.text().await.expect("text");
            (status, text, cookie)
        }
    };
    use reqwest::Method;
    let (status, _, cookie) = send(
        Method::POST,
        "/api/setup",
        "",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200);
    let admin = cookie.expect("setup signs in");
    const RING_SECRET: &str = "hs-ring-secret-hs-ring-secret-hs-ring-secret-hs-ring-secret-0001";
    const USER_PASSWORD: &str = "a new user's password 0001";
    const RESET_PASSWORD: &str = "an admin-set password 0002";
    const OWN_PASSWORD: &str = "the admin's own new password 0003";
    let settings = json!({"jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com",
        "jwt_shared_secret": KEY, "jwt_keys": [{"kid": "hs-ring", "alg": "HS512", "secret": RING_SECRET}]});
    let (status, saved, _) = send(Method::PUT, "/api/setting/jwt", &admin, Some(settings)).await;
    assert_eq!(status, 200, "{saved}");
    let mut secrets: Vec<String> = vec![
        KEY.into(),
        RING_SECRET.into(),
        ADMIN_PASSWORD.into(),
        USER_PASSWORD.into(),
        RESET_PASSWORD.into(),
        OWN_PASSWORD.into(),
        admin.trim_start_matches("lanyard.SESSION=").into(),
    ];
    let field = |text: &str, name: &str| -> String {
        serde_json::from_str::<Value>(text).expect("JSON")[name]
            .as_str()
            .expect("a secret")
            .to_owned()
    };
    let (_, enabled, _) = send(
        Method::PUT,
        "/api/setting/scim",
        &admin,
        Some(json!({"enabled": true})),
    )
    .await;
    secrets.push(field(&enabled, "token"));
    let (_, rotated, _) = send(
        Method::POST,
        "/api/setting/scim/token",
        &admin,
        Some(json!({})),
    )
    .await;
    let scim_token = field(&rotated, "token");
    secrets.push(scim_token.clone());
    let (_, created, _) = send(
        Method::POST,
        "/api/api-key",
        &admin,
        Some(json!({"name": "ci", "is_admin": true})),
    )
    .await;
    secrets.push(field(&created, "key"));
    let id = serde_json::from_str::<Value>(&created).expect("JSON")["api_key"]["id"].clone();
    let (_, rotated, _) = send(
        Method::POST,
        &format!("/api/api-key/{id}/rotate"),
        &admin,
        Some(json!({})),
    )
    .await;
    let api_key = field(&rotated, "key");
    secrets.push(api_key.clone());
    let (status, user, _) = send(
        Method::POST,
        "/api/user",
        &admin,
        Some(json!({"email": "ann@example.com", "password": USER_PASSWORD, "group_ids": []})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let user_id = serde_json::from_str::<Value>(&user).expect("JSON")["id"].clone();
    let (status, _, _) = send(
        Method::PUT,
        &format!("/api/user/{user_id}"),
        &admin,
        Some(json!({"password": RESET_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(
        Method::PUT,
        "/api/user/current/password",
        &admin,
        Some(json!({"old_password": ADMIN_PASSWORD, "password": OWN_PASSWORD})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _, cookie) = send(
        Method::POST,
        "/api/session",
        "",
        Some(json!({"username": "ann@example.com", "password": RESET_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200);
    secrets.push(
        cookie
            .expect("a session")
            .trim_start_matches("lanyard.SESSION=")
            .into(),
    );
    let (status, _, cookie) = send(
        Method::POST,
        "/api/session",
        "",
        Some(json!({"username": ADMIN_EMAIL, "password": OWN_PASSWORD})),
    )
    .await;
    assert_eq!(status, 200);
    let admin = cookie.expect("a session");
    secrets.push(admin.trim_start_matches("lanyard.SESSION=").into());
    let sso = token(&claims("kate@example.com", json!({"jti": "secrets-test"})));
    let response = http
        .get(format!("{base}/auth/sso"))
        .query(&[("jwt", &sso)])
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 302);
    secrets.push(
        session_cookie(response.headers())
            .expect("sso session")
            .trim_start_matches("lanyard.SESSION=")
            .into(),
    );
    secrets.push(sso.rsplit('.').next().expect("signature").into());
    // The credentials in use, right and wrong.
    let scim = http
        .get(format!("{base}/api/scim/v2/Users"))
        .bearer_auth(&scim_token)
        .send()
        .await
        .expect("scim");
    assert_eq!(scim.status(), 200);
    let with_key = http
        .get(format!("{base}/api/user"))
        .header("x-api-key", &api_key)
        .send()
        .await
        .expect("key");
    assert_eq!(with_key.status(), 200);
    const WRONG: &str = "lanyard_wrong-key-wrong-key-wrong-key";
    secrets.push(WRONG.into());
    let wrong = http
        .get(format!("{base}/api/user"))
        .header("x-api-key", WRONG)
        .send()
        .await
        .expect("key");
    assert_eq!(wrong.status(), 401);

    let mut answers = Vec::new();
    for path in [
        "/api/audit?limit=500",
        "/api/audit/export.csv",
        "/api/setting/jwt",
        "/api/setting/scim",
        "/api/api-key",
        "/api/user",
        "/api/session/list",
        "/api/user/current",
        "/api/audit/summary",
        "/metrics",
    ] {
        let (status, text, _) = send(Method::GET, path, &admin, None).await;
        assert_eq!(status, 200, "{path}");
        answers.push((path.to_owned(), text));
    }
    let audit = &answers[0].1;
    assert!(
        audit.contains("settings_changed") && audit.contains("(changed)"),
        "the changed secrets are recorded as changed: {audit}"
    );
    let (status, logs) = process.stop();
    assert!(status.success());
    answers.push(("the log".into(), logs));
    for secret in &secrets {
        assert!(secret.len() >= 16, "{secret}");
        for start in 0..=secret.len() - 16 {
            let piece = &secret[start..start + 16];
            for (place, text) in &answers {
                assert!(
                    !text.contains(piece),
                    "{place} holds {piece:?}, a piece of a secret"
                );
            }
        }
    }
}

/// The data fix of migration 0008: rows written by an earlier version with a secret in their
/// details are rewritten once, on start.
#[tokio::test]
async fn secrets_stored_by_earlier_versions_are_scrubbed_on_upgrade() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("u.db").display());
    let store = lanyard_server::store::Store::connect(&url)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    const OLD_SECRET: &str = "an-old-ring-secret-an-old-ring-secret-0001";
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let details =
        json!({"changes": {"jwt_keys": [{"kid": "hs", "alg": "HS256", "secret": OLD_SECRET}]}});
    sqlx::query("INSERT INTO audit_log (at, event, details) VALUES (1, 'settings_changed', ?)")
        .bind(details.to_string())
        .execute(&mut db)
        .await
        .expect("an old row");
    // As an install upgraded from before the fix: the data fix is still pending.
    sqlx::query("INSERT INTO pending_data_fixes (name) VALUES ('scrub_audit_secrets')")
        .execute(&mut db)
        .await
        .expect("pending");
    store.migrate().await.expect("migrate again");
    let stored: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_log")
        .fetch_all(&mut db)
        .await
        .expect("rows");
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(OLD_SECRET), "{stored:?}");
    assert!(stored[0].contains("\"secret\":\"(changed)\""), "{stored:?}");
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_data_fixes")
        .fetch_one(&mut db)
        .await
        .expect("count");
    assert_eq!(pending, 0, "the fix ran once");
}
