//! The `lanyard` binary itself: its logs, its CLI, its shutdown.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_lanyard");

/// A `lanyard serve` child process on a free port with JSON logs captured.
struct Process {
    child: Child,
    base: String,
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
        Self { child, base }
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
        let mut logs = String::new();
        for stream in [
            self.child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read>),
            self.child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read>),
        ]
        .into_iter()
        .flatten()
        {
            let mut stream = stream;
            let _ = stream.read_to_string(&mut logs);
        }
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
