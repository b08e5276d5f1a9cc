//! A real server on 127.0.0.1:0 over a fresh database, and a client that does not follow redirects.

use std::path::PathBuf;

use jsonwebtoken::{EncodingKey, Header, encode};
use lanyard_server::config::{DatabaseArgs, LogFormat, ServeArgs};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A running server; stopped when dropped.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lanyard.db").display());
        Self::start(url, Some(dir)).await
    }

    /// A server on `database_url` (shared by replicas in the PostgreSQL tests).
    pub async fn start(database_url: String, dir: Option<tempfile::TempDir>) -> Self {
        let options = ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database: DatabaseArgs { database_url },
            site_url: None,
            static_dir: PathBuf::from("/nonexistent"),
            demo_idp: true,
            log_format: LogFormat::Pretty,
            session_max_age: 3600,
            admin_email: None,
            admin_password: None,
        };
        let state = lanyard_server::prepare(options)
            .await
            .expect("server prepares");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(lanyard_server::serve(state, listener, async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client");
        Self {
            base,
            http,
            _stop: stop,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates the first admin and returns their session cookie.
    pub async fn setup_admin(&self) -> String {
        let response = self
            .http
            .post(self.url("/api/setup"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .expect("setup");
        assert_eq!(response.status(), 200, "setup");
        session_cookie(response.headers()).expect("setup signs in")
    }

    /// The admin, with JWT SSO enabled against the demo IdP and `extra` settings on top.
    pub async fn configured(&self, extra: Value) -> String {
        let admin = self.setup_admin().await;
        let mut settings = json!({
            "jwt_enabled": true,
            "jwt_identity_provider_uri": "https://idp.example.com/login?app=bi",
            "jwt_shared_secret": KEY,
        });
        for (k, v) in extra.as_object().expect("object") {
            settings[k] = v.clone();
        }
        let (status, body) = self.put_json(&admin, "/api/setting/jwt", &settings).await;
        assert_eq!(status, 200, "{body}");
        admin
    }

    pub async fn get_json(&self, cookie: &str, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("get");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put_json(&self, cookie: &str, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .put(self.url(path))
            .header("cookie", cookie)
            .json(body)
            .send()
            .await
            .expect("put");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, cookie: &str, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .header("cookie", cookie)
            .json(body)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET /auth/sso?jwt=…` (plus `extra` query) as a browser would send it.
    pub async fn sso(&self, token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut query = vec![("jwt", token)];
        query.extend_from_slice(extra);
        self.http
            .get(self.url("/auth/sso"))
            .query(&query)
            .send()
            .await
            .expect("sso")
    }
}

/// The `lanyard.SESSION=…` pair from a response's `Set-Cookie`, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lanyard.SESSION=") && !v.starts_with("lanyard.SESSION=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// An HS256 token with `KEY` over `claims`.
pub fn token(claims: &Value) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("sign")
}

/// An ordinary login's claims, issued now; `extra` replaces or adds claims.
pub fn claims(email: &str, extra: Value) -> Value {
    let mut claims =
        json!({"email": email, "first_name": "Kate", "last_name": "Bush", "iat": now()});
    for (k, v) in extra.as_object().expect("object") {
        claims[k] = v.clone();
    }
    claims
}
