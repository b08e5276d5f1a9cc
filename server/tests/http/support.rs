//! A real server on 127.0.0.1:0 over a fresh database, and a client that does not follow redirects.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use jsonwebtoken::{EncodingKey, Header, encode};
use lanyard_server::config::{DatabaseArgs, LogFormat, ServeArgs};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sqlx::Executor;
use tokio::sync::oneshot;

pub const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A running server; stopped when dropped.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    /// The database it runs on (a test may fill it directly, as an import would).
    pub database_url: String,
    // Dropped in this order: the server stops first, then its database goes.
    _stop: oneshot::Sender<()>,
    _dir: Option<tempfile::TempDir>,
    _database: Option<TempDatabase>,
}

impl Server {
    /// A server on a fresh SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lanyard.db").display());
        let mut server = Self::start(url).await;
        server._dir = Some(dir);
        server
    }

    /// A server on a fresh PostgreSQL database, or `None` (and a note) when no server is configured.
    pub async fn postgres() -> Option<Self> {
        let database = TempDatabase::create().await?;
        let mut server = Self::start(database.url.clone()).await;
        server._database = Some(database);
        Some(server)
    }

    /// A server on a fresh SQLite file, with its options changed by `configure`.
    pub async fn sqlite_with(configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("lanyard.db").display());
        let mut server = Self::start_with(url, configure).await;
        server._dir = Some(dir);
        server
    }

    /// A server on `database_url` (shared by replicas in the PostgreSQL tests).
    pub async fn start(database_url: String) -> Self {
        Self::start_with(database_url, |_| {}).await
    }

    /// A server on `database_url` with its options changed by `configure`.
    pub async fn start_with(database_url: String, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let mut options = ServeArgs {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database: DatabaseArgs { database_url },
            site_url: None,
            cookie_domain: None,
            trusted_proxies: vec![
                "127.0.0.0/8".parse().expect("cidr"),
                "::1/128".parse().expect("cidr"),
            ],
            static_dir: PathBuf::from("/nonexistent"),
            demo_idp: true,
            shutdown_grace: 20,
            log_format: LogFormat::Pretty,
            connections: Default::default(),
            session_max_age: 3600,
            session_idle_timeout: None,
            admin_email: None,
            admin_password: None,
        };
        configure(&mut options);
        let database_url = options.database.database_url.clone();
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
            database_url,
            _stop: stop,
            _dir: None,
            _database: None,
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

    /// Sends `method path` with the session `cookie` (and a JSON `body`), and reads the JSON answer
    /// (`Null` when there is none).
    pub async fn send(
        &self,
        method: reqwest::Method,
        cookie: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("cookie", cookie);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET path` without credentials, and the answer as text (`/metrics`, `/healthz`, …).
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.expect("get");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn get_json(&self, cookie: &str, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, cookie, path, None).await
    }

    pub async fn put_json(&self, cookie: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, cookie, path, Some(body))
            .await
    }

    pub async fn post_json(&self, cookie: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, cookie, path, Some(body))
            .await
    }

    /// `GET /auth/verify{query}` with `headers`, as a proxy asks it.
    pub async fn verify(&self, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.get(self.url(&format!("/auth/verify{query}")));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("verify")
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

/// `GET /auth/sso?jwt=…` in JSON mode: the status and the error code (`""` when signed in).
pub async fn sso_outcome(server: &Server, token: &str) -> (u16, String) {
    let response = server.sso(token, &[("response", "json")]).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
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

/// A fresh database on the PostgreSQL server named by LANYARD_TEST_POSTGRES_URL, dropped with this value.
pub struct TempDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TempDatabase {
    /// `None` (with a note on stderr) when LANYARD_TEST_POSTGRES_URL is not set.
    pub async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("LANYARD_TEST_POSTGRES_URL") else {
            eprintln!("skipped: LANYARD_TEST_POSTGRES_URL is not set");
            return None;
        };
        sqlx::any::install_default_drivers();
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "lanyard_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run_as_admin(
            &admin_url,
            &[
                format!("DROP DATABASE IF EXISTS {name}"),
                format!("CREATE DATABASE {name}"),
            ],
        )
        .await;
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path(&name);
        Some(Self {
            admin_url,
            name,
            url: url.into(),
        })
    }
}

impl Drop for TempDatabase {
    /// Drops the database from a thread of its own: `Drop` cannot await, and the test's runtime may
    /// be a single thread that is busy running this very drop.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(run_as_admin(&admin_url, &[statement]));
        });
        if dropped.join().is_err() && !std::thread::panicking() {
            panic!("the test database could not be dropped");
        }
    }
}

/// Runs `statements` in order on the test server's admin database.
async fn run_as_admin(admin_url: &str, statements: &[String]) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url)
        .await
        .expect("PostgreSQL answers");
    for statement in statements {
        conn.execute(sqlx::AssertSqlSafe(statement.as_str()))
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// Runs each named `async fn(Server)` on a fresh SQLite file and, when LANYARD_TEST_POSTGRES_URL is
/// set, again on a fresh PostgreSQL database: one storage suite, both backends (SPEC §7).
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::support::Server::sqlite().await).await
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(server) = crate::support::Server::postgres().await {
                        super::$name(server).await
                    }
                }
            )+
        }
    };
}

/// Asks until `done` holds or SPEC §7's bound for replicas has passed — one second, plus a margin
/// for the request itself — and gives the last answer either way.
pub async fn within_a_second<T, F: std::future::Future<Output = T>>(
    mut ask: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let started = std::time::Instant::now();
    loop {
        let answer = ask().await;
        if done(&answer) || started.elapsed() > std::time::Duration::from_millis(1_200) {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
